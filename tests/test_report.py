"""`make report`: every numbered notebook runs on params/quick.yaml into a temporary run."""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from genrelab import config, report
from genrelab.runs import Run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    mp = pytest.MonkeyPatch()
    mp.setenv("GENRELAB_RUNS_DIR", str(root / "runs"))
    mp.setenv("GENRELAB_CACHE_DIR", str(root / "cache"))
    try:
        yield report.run_report(config.PARAMS_DIR / "quick.yaml", "quick", progress_bar=False)
    finally:
        mp.undo()


def test_every_notebook_ran(quick_run):
    names = [p.name for p in report.numbered_notebooks()]
    assert names and names[0] == "01_collection.ipynb"
    for name in names:
        executed = nbformat.read(quick_run.dir / name, as_version=4)
        assert not executed.metadata["papermill"]["exception"], name
        errors = [
            o
            for c in executed.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "error"
        ]
        assert not errors, f"{name}: {errors[:1]}"
        injected = [
            c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
        ]
        assert 'run_id = "quick"' in injected[0].source, name


def test_run_directory_contents(quick_run):
    run = quick_run
    params = yaml.safe_load((run.dir / "params.yaml").read_text())
    assert params["01_collection"]["max_tracks"] == 3000
    env = json.loads((run.dir / "environment.json").read_text())
    assert env["packages"]["genrelab"] and env["python"].startswith("3.11")
    metrics = json.loads((run.dir / "metrics.json").read_text())
    assert metrics["collection"]["tracks"] == 3000
    tracks = run.read_table("tracks")
    assert tracks["track_id"].nunique() == 3000
    assert (run.figures_dir / "01_subgenre_counts.png").stat().st_size > 10_000
    html = (run.dir / "report.html").read_text()
    for nb in report.numbered_notebooks():
        assert f'href="html/{nb.stem}.html"' in html
        assert (run.dir / "html" / f"{nb.stem}.html").exists()
    assert (run.dir.parent / "latest").resolve() == run.dir.resolve()
    assert "Headline numbers" in html and "genre accuracy, audio features, held-out artists" in html
    assert "papermill" in (run.dir / "report.log").read_text()


def test_no_secret_reaches_the_run(quick_run, monkeypatch):
    # The runner records package versions and the commit, never the environment.
    text = (quick_run.dir / "environment.json").read_text() + (
        quick_run.dir / "params.yaml"
    ).read_text()
    assert "SPOTIPY" not in text and "SECRET" not in text.upper()


def _notebook(tmp_path, name, *cells):
    nb = new_notebook(cells=[new_markdown_cell("x")])
    params = new_code_cell('run_id: str = "lab"  # run directory')
    params.metadata["tags"] = ["parameters"]
    nb.cells.append(params)
    for src in cells:
        nb.cells += [new_markdown_cell("step"), new_code_cell(src)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_failing_notebook_stops_the_run_and_names_the_cell(tmp_project_dirs, tmp_path):
    ok = _notebook(tmp_path, "01_ok.ipynb", "x = 1")
    bad = _notebook(tmp_path, "02_bad.ipynb", "y = 2", "raise ValueError('broken on purpose')")
    never = _notebook(tmp_path, "03_never.ipynb", "z = 3")
    params = tmp_path / "p.yaml"
    params.write_text("{}\n")
    with pytest.raises(
        report.NotebookFailed,
        match=r"02_bad\.ipynb failed at cell \d+ .*ValueError: broken on purpose",
    ):
        report.run_report(params, "r1", notebooks=[ok, bad, never], progress_bar=False)
    run = Run("r1")
    kept = nbformat.read(run.dir / "02_bad.ipynb", as_version=4)
    assert kept.metadata["papermill"]["exception"] is True
    assert not (run.dir / "03_never.ipynb").exists()
    assert "FAILED" in (run.dir / "report.html").read_text()


def test_unknown_parameter_in_a_notebook_section_is_an_error(tmp_project_dirs, tmp_path):
    nb = _notebook(tmp_path, "01_x.ipynb", "x = 1")
    params = tmp_path / "p.yaml"
    params.write_text("01_x:\n  n_clusterz: 3\n")
    with pytest.raises(ValueError, match=r"01_x.ipynb has no parameter\(s\) \['n_clusterz'\]"):
        report.run_report(params, "r2", notebooks=[nb], progress_bar=False)


def test_existing_run_is_not_overwritten(tmp_project_dirs, tmp_path):
    nb = _notebook(tmp_path, "01_x.ipynb", "x = 1")
    params = tmp_path / "p.yaml"
    params.write_text("{}\n")
    report.run_report(params, "same", notebooks=[nb], progress_bar=False)
    with pytest.raises(FileExistsError, match="choose another RUN"):
        report.run_report(params, "same", notebooks=[nb], progress_bar=False)


def test_headline_rows_skip_absent_metrics():
    rows = report.headline_rows({"gmm": {"k_bic": 6, "ari_vs_genre": 0.0623}, "aubio": {}})
    assert rows == [
        ("mixture components chosen by BIC", "6"),
        ("clusters vs genres, adjusted Rand index", "0.062"),
    ]


def test_command_line_exit_code(tmp_project_dirs, capsys):
    assert report.main(["--params", "no/such.yaml", "--run-id", "x"]) == 1
    assert "no/such.yaml" in capsys.readouterr().err
