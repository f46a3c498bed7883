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
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import papermill as pm
import yaml

from genrelab import config, memo, runs
from genrelab.errors import GenrelabError
from genrelab.report import kernels as warm
from genrelab.report.params import check_params, load_params, notebook_parameters
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
#: What each notebook reads that another writes: it starts when those are done. A notebook
#: not named here needs every notebook before it.
NEEDS = {
    "01_collection": [],
    "02_eda": ["01_collection"],
    "03_classification": ["01_collection"],
    "04_gmm_vs_aubio": ["01_collection"],
    "05_predictor": ["01_collection", "03_classification", "04_gmm_vs_aubio"],
}


#: Notebooks at once for ``make report`` (the command line's default): 02, 03 and 04 together
#: after 01. On the 2-core machine (``benchmarks/bench_report.py --jobs N``), against one at a
#: time: default parameters cold 157 s -> 128 s of wall time, identical re-run 90 s -> 58 s;
#: quick 68 s -> 52 s and 54 s -> 38 s. Their own parallel parts (n_jobs) share the cores.
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


def environment_info() -> dict:
    """Versions and the git commit: what is needed to say which code made a run."""
    versions = {}
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


def _execute(
    notebook: Path, output: Path, parameters: dict, progress_bar: bool, kernel: Future | None
) -> NotebookResult:
    """Run one notebook with papermill, in ``kernel`` when one was started ahead for it."""
    start = time.perf_counter()
    km = warm.ready(kernel, notebook)
    try:
        pm.execute_notebook(
            notebook,
            output,
            parameters=parameters,
            cwd=str(notebook.parent),
            progress_bar=progress_bar,
            log_output=True,
            kernel_name="python3",
            **({"km": km} if km is not None else {}),
        )
    except pm.PapermillExecutionError as err:
        where = f"cell {err.cell_index} (execution count {err.exec_count})"
        return NotebookResult(
            notebook.stem, time.perf_counter() - start, False, f"{where}: {err.ename}: {err.evalue}"
        )
    finally:
        if km is not None:
            warm.shutdown(km)
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
    """Each notebook with the parameters it will get; every check happens before anything runs."""
    params = load_params(params_path)
    declared = {nb.stem: pm.inspect_notebook(str(nb)) for nb in notebooks}
    for nb in notebooks:
        if "run_id" not in declared[nb.stem]:
            raise ValueError(f"{nb.name}: its parameters cell must declare run_id")
    check_params(params, str(params_path), declared)
    stems = set(declared)
    return [
        (nb, {**notebook_parameters(params, nb, set(declared[nb.stem]), stems), "run_id": run_id})
        for nb in notebooks
    ]


def _needs(plan: list[tuple[Path, dict]]) -> dict[str, set[str]]:
    """Each notebook's prerequisites among the run's notebooks (:data:`NEEDS`)."""
    order = [nb.stem for nb, _ in plan]
    return {
        stem: set(NEEDS[stem]) & set(order) if stem in NEEDS else set(order[:i])
        for i, stem in enumerate(order)
    }


def _run_plan(
    run: Run, state: dict, plan: list[tuple[Path, dict]], *, jobs: int, progress_bar: bool
) -> NotebookResult | None:
    """Run the notebooks not done yet, up to ``jobs`` at once, each when its prerequisites
    are done; after a failure nothing new starts. Returns the first failure, if any.

    The kernels of the next ``jobs`` notebooks that can start once the running ones are done
    are started ahead, with their imports (:mod:`.kernels`)."""
    needs = _needs(plan)
    done = {name for name, e in state["notebooks"].items() if e["status"] == "ok"}
    pending = [(nb, p) for nb, p in plan if nb.stem not in done]
    failed: NotebookResult | None = None
    slots = max(1, jobs)
    with ThreadPoolExecutor(max_workers=slots) as pool, warm.KernelPool(workers=slots) as kernels:
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
                kernels.prepare(nb, ahead=False)  # (unless it was started ahead)
                kernel = kernels.take(nb)
                running[pool.submit(_execute, nb, out, nb_params, progress_bar, kernel)] = nb
            if not running:
                break  # a failure, or prerequisites that can no longer be met
            under_way = done | {nb.stem for nb in running.values()}
            upcoming = [
                nb
                for nb, _ in pending
                if not failed and needs[nb.stem] <= under_way and nb not in kernels
            ]
            for nb in upcoming[: max(0, slots - kernels.waiting)]:
                kernels.prepare(nb)
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
    (:data:`NEEDS`: 02, 03 and 04 after 01; 05 after 03 and 04). A run that stopped before it
    completed resumes at its notebooks not done when it is run again with the same parameters.

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
