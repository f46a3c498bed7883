"""A parameters file cannot silently change a study (issue 13, item 4): checked before any run."""

from __future__ import annotations

import ast

import nbformat
import papermill as pm
import pytest

from genrelab import config
from genrelab.report import ParameterError, execute, load_params
from genrelab.report import params as params_module
from genrelab.report.__main__ import main

NOTEBOOKS = execute.numbered_notebooks()


def _plan(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return execute.plan_run(path, "check", NOTEBOOKS)


def test_the_shipped_parameter_files_pass():
    for name in ("default.yaml", "quick.yaml"):
        plan = execute.plan_run(config.PARAMS_DIR / name, "check", NOTEBOOKS)
        assert [nb.stem for nb, _ in plan] == [nb.stem for nb in NOTEBOOKS]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "03_clasification:\n  cv_folds: 3\n",
            "unknown section '03_clasification'.*'03_classification'",
        ),
        ("label_colum: genre\n", "unknown parameter 'label_colum'.*'label_column'"),
        ("01_collection:\n  max_tracks: '3000'\n", "max_tracks must be int.*got str '3000'"),
        ("03_classification:\n  test_size: yes\n", "test_size must be float.*got bool"),
        ("03_classification:\n  models: random_forest\n", "models must be list"),
        ("run_id: mine\n", "'run_id' is set by the runner"),
        ("04_gmm_vs_aubio:\n  n_clusterz: 3\n", "section 04_gmm_vs_aubio: unknown parameter"),
    ],
)
def test_typos_and_mistyped_values_are_refused_with_the_closest_name(tmp_path, text, message):
    with pytest.raises(ParameterError, match=message):
        _plan(tmp_path, text)


def test_an_int_is_a_valid_float(tmp_path):
    plan = dict((nb.stem, p) for nb, p in _plan(tmp_path, "04_gmm_vs_aubio:\n  clip_seconds: 10\n"))
    assert plan["04_gmm_vs_aubio"]["clip_seconds"] == 10


def test_invalid_yaml_is_one_line_with_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("seed: 42\n01_collection:\n  source: [snapshot\n")
    with pytest.raises(ParameterError, match=r"broken\.yaml:\d+: invalid YAML") as err:
        load_params(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_reads_every_parameter_of_the_parameters_cell(notebook):
    # papermill's parser skips a line it cannot read (e.g. two '=' in it) with a log warning,
    # and the parameter then cannot be set: every assignment must be declared
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assigned = [n.target.id for n in ast.parse(cell.source).body if isinstance(n, ast.AnnAssign)]
    assert set(pm.inspect_notebook(str(notebook))) == set(assigned)


# --- issue 26: what a hostile but realistic parameters file brings is refused up front ----------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("01_collection:\n  max_tracks:\n", r"p\.yaml: section 01_collection: max_tracks is empty"),
        ("seed: null\n", r"p\.yaml: \(for 01_collection\) seed is empty \(null\)"),
        ("03_classification:\n  seed: ~\n", r"section 03_classification: seed is empty"),
    ],
)
def test_null_is_refused_for_a_parameter_not_declared_optional(tmp_path, text, message):
    # issue 26, major 6: `max_tracks:` left empty failed inside notebook 01; `seed: null` ran a
    # study that could not be reproduced
    with pytest.raises(ParameterError, match=message):
        _plan(tmp_path, text)


def test_null_is_accepted_for_a_parameter_declared_optional(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "run_id: str = 'x'\nlimit: Optional[int] = 3\nother: int = None"
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "p", "language": "python"}
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    params = tmp_path / "p.yaml"
    params.write_text("limit: null\nother: null\n")
    [(_, got)] = execute.plan_run(params, "check", [path])
    assert got["limit"] is None and got["other"] is None
    params.write_text("limit: '3'\n")
    with pytest.raises(ParameterError, match="limit must be Optional"):
        execute.plan_run(params, "check", [path])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("03_classification:\n  cv_folds: 100000000000000000000000000\n", r"cv_folds must be 2 <="),
        ("03_classification:\n  cv_folds: 1e26\n", r"cv_folds must be int.*got str"),
        ("03_classification:\n  cv_folds: 1\n", r"section 03_classification: cv_folds must be 2"),
        ("04_gmm_vs_aubio:\n  k_audio: -3\n", r"k_audio must be 0 <= value <= 100, got -3"),
        ("04_gmm_vs_aubio:\n  seed_k: -2\n", r"seed_k must be 1 <= value <= 100, got -2"),
        ("04_gmm_vs_aubio:\n  bic_k: [a, null]\n", r"bic_k must be a list of int values, got 'a'"),
        ("04_gmm_vs_aubio:\n  bic_k: [2, null]\n", r"bic_k must be a list of int.*got None"),
        ("04_gmm_vs_aubio:\n  bic_k: [2, 0]\n", r"bic_k must be 1 <= value <= 1000, got 0"),
        ("seed: -1\n", r"seed must be 0 <= value"),
        ("03_classification:\n  test_size: 1.5\n", r"test_size must be 0 < value < 1"),
        ("03_classification:\n  models: [random_forest, 3]\n", r"models must be a list of str"),
        # the probe of issue 26 (cases 28, 30): a misspelt model, an empty grid
        (
            "03_classification:\n  models: [random_forrest]\n",
            r"models must be one of .*random_forest",
        ),
        ("03_classification:\n  models: []\n", r"models must name at least one value"),
        ("04_gmm_vs_aubio:\n  bic_k: []\n", r"bic_k must name at least one value"),
        ("04_gmm_vs_aubio:\n  bic_covariance_types: [full, round]\n", r"must be one of"),
        ("03_classification:\n  full_feature_sets: [audio_plus]\n", r"must be one of"),
    ],
)
def test_ranges_and_list_element_types_are_checked_before_anything_runs(tmp_path, text, message):
    # issue 26, parameters minor: these passed the plan check and failed inside the notebooks
    with pytest.raises(ParameterError, match=message):
        _plan(tmp_path, text)


def test_every_default_and_shipped_value_is_in_its_declared_range():
    for nb in NOTEBOOKS:
        for name, declared in pm.inspect_notebook(str(nb)).items():
            rule = params_module.RULES.get(name)
            if rule is not None:
                default = ast.literal_eval(declared["default"])
                assert rule.problem(default) is None, f"{nb.stem}: {name} = {default!r}"


def test_the_choices_of_list_parameters_are_the_librarys():
    from genrelab import classify, mixture, schema

    rules = params_module.RULES
    assert set(rules["models"].choices) == set(classify.default_models(0))
    assert set(rules["bic_covariance_types"].choices) == set(mixture.em.COVARIANCE_TYPES)
    assert set(rules["full_feature_sets"].choices) == set(schema.FEATURE_SETS)


def test_an_alias_bomb_is_refused_naming_the_key(tmp_path):
    # issue 26, parameters minor: aliases of declared keys expanded into a 351 MB parameters cell;
    # here each key holds nine of the one before (bic_k: 9**5 items)
    keys = ["audio_peers", "bic_covariance_types", "seed_features", "test_song", "bic_k"]
    bomb = f"04_gmm_vs_aubio:\n  {keys[0]}: &a0 [{', '.join(['lol'] * 9)}]\n"
    for i, key in enumerate(keys[1:], start=1):
        bomb += f"  {key}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n"
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    with pytest.raises(
        ParameterError, match=r"bomb\.yaml: section 04_gmm_vs_aubio: bic_k is larger"
    ):
        load_params(path)


def test_a_parameters_file_over_the_size_cap_is_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("01_collection:\n  data_path: '" + "x" * params_module.MAX_FILE_BYTES + "'\n")
    with pytest.raises(ParameterError, match=r"huge\.yaml is [\d,]+ bytes; a parameters file is"):
        load_params(path)


def test_an_empty_params_file_runs_the_default_study_and_says_so(tmp_path, caplog):
    # issue 26, parameters minor: an empty file silently meant the default study; it is
    # legitimate (params/default.yaml is `{}`), so it is accepted with a warning
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here yet\n")
    with caplog.at_level("WARNING", logger="genrelab.report.params"):
        assert load_params(path) == {}
    assert "empty.yaml holds no parameters" in caplog.text
    assert "default study" in caplog.text
    caplog.clear()
    path.write_text("{}\n")
    with caplog.at_level("WARNING", logger="genrelab.report.params"):
        assert load_params(path) == {}
    assert not caplog.text, "`{}` says what it means: no warning"


def test_a_non_utf8_params_file_is_refused_naming_the_file_and_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("seed: 1\n01_collection:\n  data_path: caf\u00e9.csv\n".encode("latin-1"))
    with pytest.raises(ParameterError, match=r"latin1\.yaml:3: not UTF-8 text \(byte 0xe9\)"):
        load_params(path)


def test_params_pointing_at_a_folder_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(ParameterError, match=r"is a folder, not a parameters file"):
        load_params(tmp_path)
    assert main(["--params", str(tmp_path), "--run-id", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and str(tmp_path) in err


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("seed: 1\nseed: 2\n", 2),
        ("03_classification:\n  cv_folds: 2\n  n_jobs: 1\n  cv_folds: 5\n", 4),
        ("03_classification:\n  cv_folds: 2\n03_classification:\n  cv_folds: 5\n", 3),
    ],
)
def test_duplicate_yaml_keys_are_refused(tmp_path, text, line):
    # issue 26, parameters minor: the last of two equal keys won silently
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    with pytest.raises(ParameterError, match=rf"dup\.yaml:{line}: invalid YAML \(key .* twice"):
        load_params(path)


def test_yaml_merge_keys_still_override(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {cv_folds: 2, n_jobs: 1}\nx:\n  <<: *b\n  cv_folds: 3\n")
    assert load_params(path)["x"] == {"cv_folds": 3, "n_jobs": 1}


def test_a_relative_data_path_is_read_from_the_callers_directory(tmp_path, monkeypatch):
    # issue 26, parameters minor: a relative data_path was read from notebooks/ (the kernels'
    # folder); it is made absolute against the directory the command ran from
    monkeypatch.setattr(config, "START_DIR", tmp_path)
    (tmp_path / "mine.csv").write_text("x\n")
    text = "01_collection:\n  source: file\n  data_path: mine.csv\n"
    plan = dict((nb.stem, p) for nb, p in _plan(tmp_path, text))
    assert plan["01_collection"]["data_path"] == str(tmp_path / "mine.csv")
    with pytest.raises(ParameterError, match=r"data_path: .*missing\.csv does not exist") as err:
        _plan(tmp_path, "01_collection:\n  data_path: sub/missing.csv\n")
    assert str(tmp_path / "sub" / "missing.csv") in str(err.value)
