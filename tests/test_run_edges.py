"""Runs and the folders they use, against what a hostile but realistic user brings (issue 26:
major 7 and the runs minors): a relative runs folder, a run id with a newline, the same run
started twice, a ``latest`` link planted outside runs/, a cache folder that cannot be written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock
from nbformat.v4 import new_code_cell, new_notebook

from genrelab import config, memo, runs
from genrelab.report import execute, run_report
from genrelab.runs import Run

LIB = Path(__file__).resolve().parents[1] / "lib"


def _notebook(folder: Path, name: str, *cells: str) -> Path:
    params = new_code_cell('run_id: str = "lab"  # run directory')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, *(new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def _python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(LIB), **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_path_settings_are_made_absolute_at_start_up_against_the_callers_directory(tmp_path):
    # issue 26, major 7: a relative GENRELAB_RUNS_DIR followed the working directory, which
    # papermill changes while a notebook runs
    caller = tmp_path / "caller"
    caller.mkdir()
    out = _python(
        """
        import json, os
        from genrelab import config
        os.chdir("/")  # what papermill does to a kernel, and a kernel's own start in notebooks/
        print(json.dumps({
            "runs": str(config.runs_dir()),
            "cache": str(config.cache_dir()),
            "env": {n: os.environ.get(n) for n in config.PATH_SETTINGS},
        }))
        """,
        caller,
        GENRELAB_RUNS_DIR="relruns",
        GENRELAB_CACHE_DIR="./relcache",
        GENRELAB_FMA_DIR="../fma",
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["runs"] == str(caller / "relruns")
    assert got["cache"] == str(caller / "relcache")
    # the kernels inherit the environment: the absolute form is what they read
    assert got["env"]["GENRELAB_RUNS_DIR"] == str(caller / "relruns")
    assert got["env"]["GENRELAB_CACHE_DIR"] == str(caller / "relcache")
    assert got["env"]["GENRELAB_FMA_DIR"] == str(tmp_path / "fma")


@pytest.mark.slow
def test_a_relative_runs_dir_keeps_the_whole_run_in_one_folder(tmp_path):
    # issue 26, major 7: `./relruns/<id>/run.json` stayed "running" forever while
    # `notebooks/relruns/<id>/` held the finished run
    caller, notebooks = tmp_path / "caller", tmp_path / "notebooks"
    caller.mkdir()
    nb = _notebook(
        notebooks,
        "01_rel.ipynb",
        "from genrelab.runs import Run\nRun(run_id).record('probe', cwd=__import__('os').getcwd())",
    )
    (caller / "p.yaml").write_text("{}\n")
    out = _python(
        f"""
        from pathlib import Path
        from genrelab.report import run_report
        run_report("p.yaml", "rel", notebooks=[Path({str(nb)!r})], progress_bar=False)
        """,
        caller,
        GENRELAB_RUNS_DIR="relruns",
        GENRELAB_CACHE_DIR="relcache",
    )
    assert out.returncode == 0, out.stderr
    run = caller / "relruns" / "rel"
    assert json.loads((run / execute.STATE_FILE).read_text())["complete"] is True
    assert json.loads((run / runs.METRICS_FILE).read_text())["probe"]["cwd"] == str(notebooks)
    assert not (notebooks / "relruns").exists()
    assert (caller / "relruns" / runs.LATEST).resolve() == run


@pytest.mark.parametrize("run_id", ["a\nb", "tab\there", "bell\x07", "del\x7f", "nl\r"])
def test_a_run_id_with_a_control_character_is_refused(tmp_project_dirs, run_id):
    # issue 26, runs minor: a run id holding a newline was accepted
    with pytest.raises(ValueError, match="without control characters"):
        runs.check_run_id(run_id)
    with pytest.raises(ValueError, match="without control characters"):
        Run(run_id)
    assert not (tmp_project_dirs / "runs").exists() or not any(
        (tmp_project_dirs / "runs").iterdir()
    )


def test_the_same_run_started_twice_at_once_is_refused(tmp_project_dirs, tmp_path):
    # issue 26, runs minor: two processes ran the same RUN= into one folder
    nb = _notebook(tmp_path / "nbs", "01_x.ipynb", "x = 1")
    params = tmp_path / "p.yaml"
    params.write_text("{}\n")
    run = Run("twice")
    with FileLock(run.path(execute.RUN_LOCK)):  # the first process, still running
        with pytest.raises(FileExistsError, match=r"run 'twice' is running in another process"):
            run_report(params, "twice", notebooks=[nb], progress_bar=False)
    assert execute.read_state(run) is None, "the refused start wrote the run's state"


def test_latest_pointing_outside_runs_is_refused(tmp_project_dirs, tmp_path):
    # issue 26, runs minor: runs/latest planted to point elsewhere was followed (and the
    # predictor wrote its mixture there)
    root = config.runs_dir()
    root.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / runs.LATEST).symlink_to(elsewhere)
    with pytest.raises(
        ValueError, match=r"latest points to .*elsewhere, which is not a run folder"
    ):
        Run(runs.LATEST)
    with pytest.raises(ValueError, match="not a run folder"):
        runs.resolve_latest(root)
    (root / runs.LATEST).unlink()
    (root / runs.LATEST).symlink_to("../..")
    with pytest.raises(ValueError, match="not a run folder"):
        Run(runs.LATEST, create=False)
    (root / runs.LATEST).unlink()
    (root / "good").mkdir()
    (root / runs.LATEST).symlink_to("good")
    assert Run(runs.LATEST).dir == (root / "good").resolve()


def test_a_read_only_cache_folder_is_one_sentence(tmp_project_dirs, monkeypatch):
    # issue 26, runs minor: a read-only cache gave a bare PermissionError
    results = tmp_project_dirs / "cache" / "results"
    results.mkdir(parents=True)
    results.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: report what any other user would be told
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: Path(p) != results and real(p, m))
    monkeypatch.setenv("GENRELAB_NO_CACHE", "0")
    try:
        with pytest.raises(PermissionError, match=r"the cache folder .*results cannot be written"):
            memo.memory()
        with pytest.raises(config.CacheFolderError) as err:
            config.cache_folder("results")
        message = str(err.value)
        assert str(results) in message and "GENRELAB_NO_CACHE" in message
        assert "\n" not in message
    finally:
        results.chmod(0o755)


def test_a_file_in_the_way_of_the_cache_is_one_sentence(tmp_path, monkeypatch):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GENRELAB_CACHE_DIR", str(blocker))
    with pytest.raises(config.CacheFolderError, match=rf"{blocker} cannot be written to"):
        config.cache_folder("features")


def test_the_command_line_reports_a_cache_folder_error_in_one_line(tmp_path, monkeypatch, capsys):
    from genrelab.report import __main__ as cli

    def refuse(*args, **kwargs):
        config.cache_folder("results")

    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GENRELAB_CACHE_DIR", str(blocker))
    monkeypatch.setattr(cli, "run_report", refuse)
    assert cli.main(["--run-id", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: the cache folder {blocker}") and err.count("\n") == 1


def test_a_notebook_opened_before_01_leaves_no_empty_run_behind(tmp_project_dirs):
    """Notebook 02 run in Lab before 01: its error says to run 01 first, and ``runs/lab/`` is
    not left behind empty (issue 28, item 6)."""
    root = config.runs_dir()
    run = Run("lab")
    assert run.dir.is_dir()
    with pytest.raises(FileNotFoundError, match="run notebooks/01_collection.ipynb"):
        run.read_table("tracks")
    assert not (root / "lab").exists()
    run.record("eda", n=1)  # a later write makes the folder again
    assert run.metric("eda.n") == 1


def test_a_run_with_content_or_made_earlier_stays(tmp_project_dirs):
    Run("kept").record("collection", tracks=3)
    with pytest.raises(FileNotFoundError):
        Run("kept").read_table("tracks")
    assert (config.runs_dir() / "kept" / runs.METRICS_FILE).exists()
    (config.runs_dir() / "empty").mkdir()
    with pytest.raises(FileNotFoundError):
        Run("empty").read_table("tracks")
    assert (config.runs_dir() / "empty").is_dir()  # not this object's to remove
