"""Run the numbered notebooks with papermill into a run directory, and keep the run's state.

The state (``run.json``) says the truth about a run: the digest of the parameters it was
started with, each notebook's status (``ok``, ``failed``, ``running``, ``pending``) and time,
and whether the run completed. ``runs/latest`` moves only when a run completes, and running
an incomplete run again with the same parameters resumes at its first notebook not done.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as md
import json
import logging
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import nbformat
import papermill as pm
import yaml
from filelock import FileLock, Timeout

from genrelab import config, memo, runs
from genrelab.errors import GenrelabError
from genrelab.report.kernels import IPCKernelManager
from genrelab.report.params import check_params, load_params, notebook_parameters, resolve_paths
from genrelab.report.render import render_html
from genrelab.runs import Run

log = logging.getLogger("genrelab.report")

REPORTED_PACKAGES = [
    "genrelab",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "aubio-ledfx",
    "soundfile",
    "spotipy",
    "papermill",
    "jupyterlab",
    "ipywidgets",
    "voila",
    "skops",
    "pyarrow",
]
#: The run's state file (see the module docstring).
STATE_FILE = "run.json"
#: Held while the run runs (:func:`_run_lock`).
RUN_LOCK = ".run.lock"
#: The notebook metadata that declares which notebooks' outputs a notebook reads:
#: ``{"genrelab": {"needs": ["01_collection"]}}`` (notebook stems). The runner starts a notebook
#: once those are done; a notebook without it needs every notebook before it by name.
METADATA_KEY = "genrelab"


#: Notebooks at once for ``make report`` (the command line's default): 02, 03 and 04 together
#: after 01; their own parallel parts (n_jobs) share the cores. ``benchmarks/bench_report.py
#: --jobs N`` measures it against one at a time (the README's performance section).
DEFAULT_JOBS = 3


class NotebookFailed(GenrelabError, RuntimeError):
    """A notebook raised; the message names the notebook and the failing cell."""


@dataclass
class NotebookResult:
    name: str
    seconds: float
    ok: bool
    error: str = ""
    ended_early: str = ""  # the note of a notebook that ended itself (``raise SystemExit(0)``)


def numbered_notebooks(notebooks_dir: Path = config.NOTEBOOKS_DIR) -> list[Path]:
    """``NN_name.ipynb`` files in order (checkpoints and unnumbered notebooks are skipped)."""
    return sorted(p for p in notebooks_dir.glob("[0-9][0-9]_*.ipynb"))


def run_order(notebooks: list[Path]) -> dict[Path, set[str]]:
    """Each notebook with the notebooks it needs (:data:`METADATA_KEY`), in an order where
    every notebook comes after those it needs (by name among those ready at the same time).

    Raises
    ------
    ValueError
        A notebook needs one that is not in the run, or notebooks need each other in a cycle.
    """
    by_stem = {nb.stem: nb for nb in sorted(notebooks)}
    needs: dict[str, set[str]] = {}
    for i, (stem, nb) in enumerate(by_stem.items()):
        meta = nbformat.read(nb, as_version=4).metadata.get(METADATA_KEY, {})
        names = meta.get("needs", list(by_stem)[:i])
        if not isinstance(names, list):
            raise ValueError(f"{nb.name}: metadata {METADATA_KEY}.needs must be a list of names")
        unknown = sorted(set(names) - set(by_stem))
        if unknown:
            raise ValueError(
                f"{nb.name}: metadata {METADATA_KEY}.needs names {unknown}, not a notebook of "
                f"the run ({', '.join(by_stem)})"
            )
        needs[stem] = set(names)
    sorter = TopologicalSorter(needs)
    try:
        sorter.prepare()
    except CycleError as err:
        cycle = " -> ".join(err.args[1])
        raise ValueError(f"the notebooks' {METADATA_KEY}.needs form a cycle: {cycle}") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return {by_stem[stem]: needs[stem] for stem in order}


def environment_info() -> dict:
    """Versions and the git commit: what is needed to say which code made a run."""
    versions: dict[str, str | None] = {}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args],
                cwd=config.PROJECT_ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
            return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "packages": versions,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# --- the run's state ---------------------------------------------------------------------------
def read_state(run: Run) -> dict | None:
    """The run's ``run.json``, or ``None`` for a folder the runner has not started."""
    path = run.path(STATE_FILE)
    return json.loads(path.read_text()) if path.exists() else None


def write_state(run: Run, state: dict) -> None:
    """Write ``run.json`` atomically (a reader never sees half a file)."""
    path = run.path(STATE_FILE)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, path)


def _digest(plan: list[tuple[Path, dict]]) -> str:
    text = yaml.safe_dump({nb.stem: p for nb, p in plan})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _start_or_resume(run: Run, plan: list[tuple[Path, dict]]) -> dict:
    """The state to run from: a fresh one, or the incomplete run's own (same parameters)."""
    digest = _digest(plan)
    state = read_state(run)
    if state is None:
        if any(run.dir.glob("[0-9][0-9]_*.ipynb")):
            raise FileExistsError(
                f"{run.dir} already holds executed notebooks: choose another RUN="
            )
        return {
            "run_id": run.id,
            "params_digest": digest,
            "complete": False,
            "notebooks": {nb.stem: {"status": "pending"} for nb, _ in plan},
        }
    if state.get("complete"):
        raise FileExistsError(f"run {run.id!r} is complete ({run.dir}): choose another RUN=")
    if state.get("params_digest") != digest or list(state["notebooks"]) != [
        nb.stem for nb, _ in plan
    ]:
        raise FileExistsError(
            f"run {run.id!r} stopped before it completed, but it was started with other "
            f"parameters or notebooks: choose another RUN= (or delete {run.dir} to start over)"
        )
    done = [name for name, entry in state["notebooks"].items() if entry["status"] == "ok"]
    log.info("run %s: resuming after %s", run.id, ", ".join(done) or "nothing")
    print(f"[{run.id}] resuming: {len(done)} notebook(s) already done", flush=True)
    return state


def _point_latest(run: Run) -> None:
    latest = run.dir.parent / runs.LATEST
    tmp = run.dir.parent / f".{runs.LATEST}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run.dir.name)
    os.replace(tmp, latest)  # atomic: a reader sees the old or the new link, never none


# --- running -------------------------------------------------------------------------------------
#: What the notebook kernels inherit, unless set already: they print the results cache's hits
#: and misses under the cells, and OpenMP threads (HistGradientBoosting's) sleep instead of
#: spinning while they wait: on a shared machine spinning threads made a fit 9x slower (70 s
#: against 7.5 s, the same model; ``benchmarks/bench_report.py --openmp``).
KERNEL_ENVIRONMENT = {memo.SHOW_SETTING: "1", "OMP_WAIT_POLICY": "PASSIVE"}


@contextlib.contextmanager
def _kernel_environment():
    """Set :data:`KERNEL_ENVIRONMENT` (what is not set already) while the kernels start."""
    added = {k: v for k, v in KERNEL_ENVIRONMENT.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _setup_logging(run: Run) -> logging.Handler:
    handler = logging.FileHandler(run.path(runs.LOG_FILE), mode="a")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    return handler


def _execute(notebook: Path, output: Path, parameters: dict, progress_bar: bool) -> NotebookResult:
    """Run one notebook with papermill, in a fresh kernel on IPC (:mod:`.kernels`)."""
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            notebook,
            output,
            parameters=parameters,
            cwd=str(notebook.parent),
            progress_bar=progress_bar,
            log_output=True,
            kernel_name="python3",
            kernel_manager_class=IPCKernelManager,  # papermill passes it on to nbclient
        )
    except pm.PapermillExecutionError as err:
        where = f"cell {err.cell_index} (execution count {err.exec_count})"
        return NotebookResult(
            notebook.stem, time.perf_counter() - start, False, f"{where}: {err.ename}: {err.evalue}"
        )
    ended = tidy_early_end(output)
    return NotebookResult(notebook.stem, time.perf_counter() - start, True, ended_early=ended)


def tidy_early_end(path: Path) -> str:
    """A notebook that ended itself with ``raise SystemExit(0)`` (papermill counts it a success;
    notebook 03 on a table without genres): drop the exit's error output, IPython's "To exit"
    warning and papermill's exception marks, so the page shows the notebook's own note. Returns
    that note (the markdown the ending cell displayed), or ``""`` for a notebook that ran on."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        if not any(o.output_type == "error" and o.ename == "SystemExit" for o in outputs):
            continue
        cell.outputs = [
            o
            for o in outputs
            if o.output_type != "error"
            and not (o.output_type == "stream" and "To exit: use" in o.get("text", ""))
        ]
        cell.metadata.get("papermill", {}).update(exception=False, status="completed")
        nb.metadata.get("papermill", {})["exception"] = False
        notes = [
            o["data"]["text/markdown"] for o in cell.outputs if "text/markdown" in o.get("data", {})
        ]
        nbformat.write(nb, path)
        return " ".join(notes) or "the notebook ended itself"
    return ""


def plan_run(
    params_path: str | Path, run_id: str, notebooks: list[Path]
) -> list[tuple[Path, dict]]:
    """Each notebook with the parameters it will get, in :func:`run_order`; every check happens
    before anything runs."""
    params = load_params(params_path)
    notebooks = list(run_order(notebooks))
    declared = {nb.stem: pm.inspect_notebook(str(nb)) for nb in notebooks}
    for nb in notebooks:
        if "run_id" not in declared[nb.stem]:
            raise ValueError(f"{nb.name}: its parameters cell must declare run_id")
    check_params(params, str(params_path), declared)
    params = resolve_paths(params, str(params_path))
    stems = set(declared)
    return [
        (nb, {**notebook_parameters(params, nb, set(declared[nb.stem]), stems), "run_id": run_id})
        for nb in notebooks
    ]


def _run_plan(
    run: Run, state: dict, plan: list[tuple[Path, dict]], *, jobs: int, progress_bar: bool
) -> NotebookResult | None:
    """Run the notebooks not done yet, up to ``jobs`` at once, each when its prerequisites
    are done; after a failure nothing new starts. Returns the first failure, if any."""
    needs = {nb.stem: names for nb, names in run_order([nb for nb, _ in plan]).items()}
    done = {name for name, e in state["notebooks"].items() if e["status"] == "ok"}
    pending = [(nb, p) for nb, p in plan if nb.stem not in done]
    failed: NotebookResult | None = None
    slots = max(1, jobs)
    with ThreadPoolExecutor(max_workers=slots) as pool:
        running: dict = {}
        while pending or running:
            for nb, nb_params in list(pending):
                if failed or len(running) >= slots or not needs[nb.stem] <= done:
                    continue
                pending.remove((nb, nb_params))
                state["notebooks"][nb.stem] = {"status": "running"}
                write_state(run, state)
                print(f"[{run.id}] {nb.name} ...", flush=True)
                out = run.path(nb.name)
                running[pool.submit(_execute, nb, out, nb_params, progress_bar)] = nb
            if not running:
                break  # a failure, or prerequisites that can no longer be met
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                nb = running.pop(future)
                res = future.result()
                state["notebooks"][nb.stem] = {
                    "status": "ok" if res.ok else "failed",
                    "seconds": round(res.seconds, 2),
                    **({} if res.ok else {"error": res.error}),
                    **({"ended_early": res.ended_early} if res.ended_early else {}),
                }
                write_state(run, state)
                line = (
                    f"[{run.id}] {nb.name}: {'ok' if res.ok else 'FAILED'} in {res.seconds:.1f} s"
                )
                print(line if res.ok else f"{line}\n    {res.error}", flush=True)
                log.info(line + ("" if res.ok else f" -- {res.error}"))
                if res.ok:
                    done.add(nb.stem)
                elif failed is None:
                    failed = res
    return failed


def run_report(
    params_path: str | Path,
    run_id: str,
    *,
    notebooks: list[Path] | None = None,
    progress_bar: bool = True,
    jobs: int = 1,
) -> Run:
    """Run the numbered notebooks into ``runs/<run_id>/`` and render the report.

    With ``jobs`` > 1, notebooks that do not read each other's outputs run at the same time
    (their metadata, :func:`run_order`: 02, 03 and 04 after 01; 05 after 03 and 04). A run
    that stopped before it completed resumes at its notebooks not done when it is run again
    with the same parameters.

    Raises
    ------
    NotebookFailed
        When a notebook raises: the run stops there, the executed notebook (with its error)
        and report.html are kept, the run stays incomplete, ``runs/latest`` does not move, and
        the message names the notebook and the failing cell.
    ValueError
        ``run_id`` is ``latest``, not a plain folder name, or too long.
    FileExistsError
        The run is complete already, or was started with other parameters.
    """
    runs.check_run_id(run_id)
    if run_id == runs.LATEST:
        raise ValueError(
            f"RUN={runs.LATEST} is the link to the newest complete run, not a run id: "
            "choose another name"
        )
    notebooks = notebooks if notebooks is not None else numbered_notebooks()
    if not notebooks:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {config.NOTEBOOKS_DIR}")
    plan = plan_run(params_path, run_id, notebooks)
    run = Run(run_id)
    with _run_lock(run):
        return _run_locked(run, plan, params_path, jobs=jobs, progress_bar=progress_bar)


@contextlib.contextmanager
def _run_lock(run: Run):
    """Hold the run's lock while it runs: the same RUN= started again meanwhile is refused."""
    lock = FileLock(run.path(RUN_LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise FileExistsError(
            f"run {run.id!r} is running in another process ({run.dir}): wait for it to end, "
            "or choose another RUN="
        ) from None
    try:
        yield
    finally:
        lock.release()


def _run_locked(
    run: Run, plan: list[tuple[Path, dict]], params_path, *, jobs: int, progress_bar: bool
) -> Run:
    state = _start_or_resume(run, plan)
    handler = _setup_logging(run)
    try:
        run.path(runs.PARAMS_FILE).write_text(
            yaml.safe_dump({nb.stem: p for nb, p in plan}, sort_keys=False)
        )
        run.path(runs.ENVIRONMENT_FILE).write_text(json.dumps(environment_info(), indent=2))
        log.info("run %s: %d notebooks, parameters from %s", run.id, len(plan), params_path)
        total = time.perf_counter()
        with _kernel_environment():
            failed = _run_plan(run, state, plan, jobs=jobs, progress_bar=progress_bar and jobs == 1)
        # what the user waited for: with jobs > 1 it is less than the sum of the notebooks
        state["jobs"] = jobs
        state["notebooks_wall_seconds"] = round(time.perf_counter() - total, 2)
        state["complete"] = failed is None
        write_state(run, state)
        index = render_html(run, state)
        if failed is None:
            _point_latest(run)
        n_ok = sum(e["status"] == "ok" for e in state["notebooks"].values())
        elapsed = time.perf_counter() - total
        summary = f"[{run.id}] {n_ok}/{len(plan)} notebooks ok, {elapsed:.1f} s -> {index}"
        print(summary, flush=True)
        log.info(summary)
        if failed is not None:
            raise NotebookFailed(
                f"{failed.name}.ipynb failed at {failed.error}; the executed notebook with the "
                f"error is {run.path(failed.name + '.ipynb')}; fix it and run the same RUN= again "
                "to resume there"
            )
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    return run
