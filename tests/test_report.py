"""`make report`: every numbered notebook runs on params/quick.yaml into a temporary run."""

from __future__ import annotations

import json
import secrets

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from genrelab import config, report
from genrelab.report import execute
from genrelab.report.__main__ import main
from genrelab.runs import Run

pytestmark = pytest.mark.slow

#: Credentials planted in the quick run's environment (the kernels inherit it): distinctive, so
#: finding one in the run folder can only mean it leaked.
PLANTED = {
    "SPOTIPY_CLIENT_ID": f"planted-id-{secrets.token_hex(12)}",
    "SPOTIPY_CLIENT_SECRET": f"planted-secret-{secrets.token_hex(12)}",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    mp = pytest.MonkeyPatch()
    mp.setenv("GENRELAB_RUNS_DIR", str(root / "runs"))
    mp.setenv("GENRELAB_CACHE_DIR", str(root / "cache"))
    for name, value in PLANTED.items():
        mp.setenv(name, value)
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
    quick = yaml.safe_load((config.PARAMS_DIR / "quick.yaml").read_text())
    n_tracks = quick["01_collection"]["max_tracks"]
    assert params["01_collection"]["max_tracks"] == n_tracks > 0
    env = json.loads((run.dir / "environment.json").read_text())
    assert env["packages"]["genrelab"] and env["python"].startswith("3.11")
    metrics = json.loads((run.dir / "metrics.json").read_text())
    assert metrics["collection"]["tracks"] == n_tracks
    tracks = run.read_table("tracks")
    assert tracks["track_id"].nunique() == n_tracks
    assert (run.figures_dir / "01_subgenre_counts.png").stat().st_size > 10_000
    html = (run.dir / "report.html").read_text()
    for nb in report.numbered_notebooks():
        assert f'href="html/{nb.stem}.html"' in html
        assert (run.dir / "html" / f"{nb.stem}.html").exists()
    assert (run.dir.parent / "latest").resolve() == run.dir.resolve()
    assert "Headline numbers" in html and "genre accuracy, audio features, held-out artists" in html
    assert "papermill" in (run.dir / "report.log").read_text()


def test_no_secret_reaches_the_run(quick_run):
    # The run had credentials in its environment; no file of the run folder may hold them.
    files = [p for p in quick_run.dir.rglob("*") if p.is_file()]
    assert len(files) > 10, files
    for path in files:
        data = path.read_bytes()
        for name, value in PLANTED.items():
            assert value.encode() not in data, f"{name} leaked into {path}"


def test_every_saved_figure_shows_in_its_cell_and_no_cell_prints_a_bare_value(quick_run):
    """Each ``save_fig`` call's image is among its cell's outputs (wherever the call sits in the
    cell), and no cell's value prints as a bare path or an empty dict."""
    import base64
    import re

    shown = 0
    for nb_path in report.numbered_notebooks():
        executed = nbformat.read(quick_run.dir / nb_path.name, as_version=4)
        for i, cell in enumerate(executed.cells):
            if cell.cell_type != "code":
                continue
            images = [o.data["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
            for name in re.findall(r'save_fig\(\s*\w+,\s*"([^"]+)"', cell.source):
                png = quick_run.figures_dir / f"{name}.png"
                if not png.exists():  # in a branch this run did not take
                    continue
                data = base64.b64encode(png.read_bytes()).decode()
                assert any(img.replace("\n", "") == data for img in images), (
                    f"{nb_path.name} cell {i}: {name}.png is saved but not shown"
                )
                shown += 1
            for out in cell.outputs:
                text = out.get("data", {}).get("text/plain", "") if "data" in out else ""
                if out.output_type == "execute_result":
                    assert not re.match(r"^(\w*Path\(|\{\}$|\[\]$|None$)", text.strip()), (
                        f"{nb_path.name} cell {i} prints {text.strip()[:60]!r}"
                    )
    assert shown >= 10, shown


def _notebook(tmp_path, name, *cells, needs=None):
    nb = new_notebook(cells=[new_markdown_cell("x")])
    if needs is not None:  # without, a notebook needs every notebook before it
        nb.metadata[execute.METADATA_KEY] = {"needs": needs}
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
    with pytest.raises(ValueError, match=r"section 01_x: unknown parameter 'n_clusterz'"):
        report.run_report(params, "r2", notebooks=[nb], progress_bar=False)


def test_existing_run_is_not_overwritten(tmp_project_dirs, tmp_path):
    nb = _notebook(tmp_path, "01_x.ipynb", "x = 1")
    params = tmp_path / "p.yaml"
    params.write_text("{}\n")
    report.run_report(params, "same", notebooks=[nb], progress_bar=False)
    with pytest.raises(FileExistsError, match="is complete.*choose another RUN"):
        report.run_report(params, "same", notebooks=[nb], progress_bar=False)


def test_headline_rows_skip_absent_metrics():
    rows = report.headline_rows({"gmm": {"k_bic": 6, "ari_vs_genre": 0.0623}, "aubio": {}})
    assert rows == [
        ("mixture components chosen by BIC", "6"),
        ("clusters vs genres, adjusted Rand index", "0.062"),
    ]


def test_command_line_exit_code(tmp_project_dirs, capsys):
    assert main(["--params", "no/such.yaml", "--run-id", "x"]) == 1
    assert "no/such.yaml" in capsys.readouterr().err


def _params(tmp_path, text="{}\n"):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


def test_a_failed_run_stays_incomplete_and_resumes_where_it_stopped(tmp_project_dirs, tmp_path):
    marker = tmp_path / "first_ran"
    first = _notebook(tmp_path, "01_first.ipynb", f"open({str(marker)!r}, 'a').write('x')")
    flag = tmp_path / "fixed"
    second = _notebook(
        tmp_path, "02_second.ipynb", f"import os\nassert os.path.exists({str(flag)!r}), 'not yet'"
    )
    params = _params(tmp_path)
    good = _notebook(tmp_path, "01_good.ipynb", "x = 1")
    report.run_report(params, "earlier", notebooks=[good], progress_bar=False)
    latest = Run("earlier").dir.parent / "latest"
    with pytest.raises(report.NotebookFailed, match="run the same RUN= again to resume"):
        report.run_report(params, "r", notebooks=[first, second], progress_bar=False)
    # the failed run is not the latest one, and says it is incomplete
    assert latest.resolve().name == "earlier"
    state = json.loads((Run("r").dir / "run.json").read_text())
    assert state["complete"] is False
    assert [e["status"] for e in state["notebooks"].values()] == ["ok", "failed"]
    flag.write_text("")
    report.run_report(params, "r", notebooks=[first, second], progress_bar=False)
    assert marker.read_text() == "x", "the notebook that had succeeded ran again"
    assert latest.resolve().name == "r"
    assert json.loads((Run("r").dir / "run.json").read_text())["complete"] is True


def test_an_interrupted_run_resumes_and_other_parameters_are_refused(tmp_project_dirs, tmp_path):
    nb1 = _notebook(tmp_path, "01_a.ipynb", "x = 1")
    nb2 = _notebook(tmp_path, "02_b.ipynb", "y = 2")
    params = _params(tmp_path)
    with pytest.raises(FileNotFoundError):
        report.publish("interrupted")  # no such run: an error, not an empty folder
    run = Run("interrupted")
    plan = execute.plan_run(params, "interrupted", [nb1, nb2])
    state = {
        "run_id": "interrupted",
        "params_digest": execute._digest(plan),
        "complete": False,
        "notebooks": {"01_a": {"status": "ok", "seconds": 1.0}, "02_b": {"status": "running"}},
    }
    execute.write_state(run, state)
    with pytest.raises(ValueError, match="did not complete"):
        report.publish("interrupted")
    with pytest.raises(FileExistsError, match="other parameters or notebooks"):
        report.run_report(params, "interrupted", notebooks=[nb1])
    report.run_report(params, "interrupted", notebooks=[nb1, nb2], progress_bar=False)
    assert not (run.dir / "01_a.ipynb").exists(), "01 was done: it must not run again"
    assert (run.dir / "02_b.ipynb").exists()


@pytest.mark.parametrize(
    ("run_id", "message"),
    [("latest", "link to the newest complete run"), ("x" * 300, "at most 120")],
)
def test_bad_run_ids_are_refused_before_anything_runs(tmp_project_dirs, tmp_path, run_id, message):
    nb = _notebook(tmp_path, "01_x.ipynb", "x = 1")
    with pytest.raises(ValueError, match=message):
        report.run_report(_params(tmp_path), run_id, notebooks=[nb], progress_bar=False)
    assert not (tmp_project_dirs / "runs" / "latest").exists()


def test_independent_notebooks_run_at_the_same_time_and_05_waits(tmp_project_dirs, tmp_path):
    # 02 and 03 each wait for the other's marker: they can only both finish if they overlap;
    # what each needs is declared in its metadata, as in the shipped notebooks
    def meet(me, other):
        return (
            f"import pathlib, time\npathlib.Path({str(tmp_path / me)!r}).touch()\n"
            f"deadline = time.time() + 60\n"
            f"while not pathlib.Path({str(tmp_path / other)!r}).exists():\n"
            f"    assert time.time() < deadline, 'ran alone'\n    time.sleep(0.1)"
        )

    done4 = tmp_path / "04_done"
    nbs = [
        _notebook(tmp_path, "01_collection.ipynb", "x = 1", needs=[]),
        _notebook(tmp_path, "02_eda.ipynb", meet("02", "03"), needs=["01_collection"]),
        _notebook(tmp_path, "03_classification.ipynb", meet("03", "02"), needs=["01_collection"]),
        _notebook(
            tmp_path,
            "04_gmm_vs_aubio.ipynb",
            f"open({str(done4)!r}, 'w').close()",
            needs=["01_collection"],
        ),
        _notebook(
            tmp_path,
            "05_predictor.ipynb",
            f"assert __import__('os').path.exists({str(done4)!r})",
            needs=["03_classification", "04_gmm_vs_aubio"],
        ),
    ]
    run = report.run_report(
        _params(tmp_path), "together", notebooks=nbs, progress_bar=False, jobs=2
    )
    state = json.loads((run.dir / "run.json").read_text())
    assert state["complete"] and all(e["status"] == "ok" for e in state["notebooks"].values())


def test_a_skipped_part_is_recorded_and_listed_on_the_report(tmp_project_dirs, tmp_path):
    nb = _notebook(
        tmp_path,
        "01_x.ipynb",
        "from genrelab.runs import Run\n"
        "print(Run(run_id).skip('taste', 'skipped: the table has no playlists'))",
    )
    params = tmp_path / "p.yaml"
    params.write_text("{}\n")
    run = report.run_report(params, "skips", notebooks=[nb], progress_bar=False)
    assert run.metric("skipped.taste") == "skipped: the table has no playlists"
    page = (run.dir / "report.html").read_text()
    assert "<h2>Skipped</h2>" in page
    assert "<td>taste</td><td>skipped: the table has no playlists</td>" in page
