"""A parameters file cannot silently change a study (issue 13, item 4): checked before any run."""

from __future__ import annotations

import ast

import nbformat
import papermill as pm
import pytest

from genrelab import config
from genrelab.report import ParameterError, execute, load_params

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


def test_an_int_is_a_valid_float_and_null_is_left_to_the_notebook(tmp_path):
    plan = dict((nb.stem, p) for nb, p in _plan(tmp_path, "03_classification:\n  test_size: 1\n"))
    assert plan["03_classification"]["test_size"] == 1


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
