"""The report's time per notebook: from cold caches, and the identical re-run that reads them.

Each repeat (``--repeat``) runs ``python -m genrelab.report`` twice with the same parameters:

* *cold*: after removing what ``make clean`` removes except the virtualenv and the runs
  (``data/cache`` - downloads, synthetic clips, extracted features, the results cache - and the
  package's ``__pycache__`` folders);
* *re-run*: the identical command again under another run id (the caches now warm).

It prints every notebook's seconds (``run.json``, written by the runner) per run, the median
over the repeats, the sum of the notebooks and the wall time of the command, with the load
average before and after each run (the machine is shared: say what else ran). Each run's
``metrics.json`` is compared with the first cold run's (``--reference`` names another file, e.g.
a baseline): identical numbers, or the paths that differ.

``--table RUN_ID ...`` prints the table of existing runs only; ``--cells RUN_ID`` lists a run's
slowest cells (papermill's per-cell durations in the executed notebooks' metadata).

``--openmp`` times one fit of notebook 03's HistGradientBoosting (150 iterations on the
training split) in fresh processes: OpenMP's default wait policy (threads spin while they wait),
one thread, and ``OMP_WAIT_POLICY=PASSIVE`` (what the report runner sets for its kernels); the
predicted probabilities must be identical.

Usage::

    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_report.py \\
        --params params/quick.yaml [--repeat 3] [--jobs 1] [--reference metrics.json]
    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_report.py --table RUN_A RUN_B
    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_report.py --cells RUN_A [--top 15]
    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_report.py --openmp
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from record import recording

from genrelab import config, runs
from genrelab.report.execute import STATE_FILE


def clean_caches() -> None:
    """What ``make clean`` removes, except the virtualenv and the runs."""
    shutil.rmtree(config.cache_dir(), ignore_errors=True)
    for folder in (config.PROJECT_ROOT / "lib").rglob("__pycache__"):
        shutil.rmtree(folder, ignore_errors=True)


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def run_report(params: str, run_id: str, jobs: int) -> float:
    """One ``python -m genrelab.report`` run; its wall time (raises if it failed)."""
    cmd = [sys.executable, "-m", "genrelab.report", "--params", params, "--run-id", run_id]
    cmd += ["--no-progress", "--jobs", str(jobs)]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=config.PROJECT_ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return wall


def notebook_seconds(run_id: str) -> dict[str, float]:
    state = json.loads((config.runs_dir() / run_id / STATE_FILE).read_text())
    return {name: entry.get("seconds", float("nan")) for name, entry in state["notebooks"].items()}


def differences(a, b, path: str = "") -> list[str]:
    """The paths where two JSON values differ (floats compared exactly)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for key in sorted(set(a) & set(b)):
            out += differences(a[key], b[key], f"{path}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, f"{path}[{i}]")]
    both_nan = isinstance(a, float) and isinstance(b, float) and a != a and b != b
    return [] if a == b or both_nan else [f"{path}: {a!r} vs {b!r}"]


def metrics(run_id: str) -> dict:
    return json.loads((config.runs_dir() / run_id / runs.METRICS_FILE).read_text())


def print_table(columns: dict[str, dict[str, float]], walls: dict[str, float]) -> None:
    names = list(dict.fromkeys(n for col in columns.values() for n in col))
    width = max(12, *(len(c) for c in columns))
    print(f"{'notebook':20s}" + "".join(f"{c:>{width + 2}s}" for c in columns))
    for name in names:
        cells = "".join(
            f"{col.get(name, float('nan')):>{width + 2}.1f}" for col in columns.values()
        )
        print(f"{name:20s}{cells}")
    print(
        f"{'sum of notebooks':20s}"
        + "".join(f"{sum(c.values()):>{width + 2}.1f}" for c in columns.values())
    )
    if walls:
        print(
            f"{'command wall time':20s}"
            + "".join(f"{walls.get(c, float('nan')):>{width + 2}.1f}" for c in columns)
        )


def slowest_cells(run_id: str, top: int) -> None:
    rows = []
    for path in sorted((config.runs_dir() / run_id).glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
            if seconds is not None and cell["cell_type"] == "code":
                source = "".join(cell["source"])  # nbformat stores a list of lines or one string
                first = next((line for line in source.splitlines() if line.strip()), "")
                rows.append((seconds, path.stem, i, first[:70]))
    for seconds, stem, i, first in sorted(rows, reverse=True)[:top]:
        print(f"{seconds:7.1f} s  {stem} cell {i:2d}  {first}")


HGB_FIT = """
import sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from genrelab import tables
from genrelab import classify
from genrelab import classify
from genrelab import classify
rows = tables.snapshot_tracks("keep_first")
split = classify.split_tracks(rows, "drop_conflicting")
X = classify.model_frame(split.tracks, "audio")
model = classify.default_models()["hist_gradient_boosting"]
pipe = classify.make_pipeline_for(model, "audio").set_params(model__max_iter=150)
limit = int(sys.argv[1]) or None
with threadpool_limits(limit, user_api="openmp"):
    start = time.perf_counter()
    pipe.fit(split.train_rows(X), split.y_train)
    seconds = time.perf_counter() - start
    proba = pipe.predict_proba(split.test_rows(X))
print(seconds, repr(np.round(proba[:50], 12).tolist()))
"""


def openmp() -> None:
    """One HistGradientBoosting fit per OpenMP setting, each in a fresh process."""
    settings = {
        "default (spin)": ({}, 0),
        "one thread": ({}, 1),
        "OMP_WAIT_POLICY=PASSIVE": ({"OMP_WAIT_POLICY": "PASSIVE"}, 0),
    }
    reference, first = None, None
    for label, (extra, limit) in settings.items():
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | extra
        before = load()
        cmd = [sys.executable, "-c", HGB_FIT, str(limit)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        seconds, proba = out.stdout.split(" ", 1)
        reference = reference or proba
        first = first or float(seconds)
        same = "same probabilities" if proba == reference else "OTHER PROBABILITIES"
        ratio = first / float(seconds)
        print(
            f"{label:26s} {float(seconds):6.1f} s  x{ratio:4.1f} vs default;  {same}; "
            f"load {before} -> {load()}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--params", default="params/default.yaml")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="--jobs of the report runner")
    parser.add_argument("--reference", help="a metrics.json the runs' numbers are compared with")
    parser.add_argument("--tag", default="", help="run ids: bench-<tag>-<cold|rerun>-<i>")
    parser.add_argument("--table", nargs="+", metavar="RUN_ID", help="print existing runs only")
    parser.add_argument("--cells", metavar="RUN_ID", help="a run's slowest cells")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--openmp", action="store_true", help="HGB fit: OpenMP wait policies")
    args = parser.parse_args()
    if args.openmp:
        openmp()
        return
    if args.cells:
        slowest_cells(args.cells, args.top)
        return
    if args.table:
        print_table({r: notebook_seconds(r) for r in args.table}, {})
        return

    name = "bench_report_" + Path(args.params).stem
    with recording(name, f"make report's time, cold and re-run ({Path(args.params).stem})") as rec:
        stamp = datetime.now().strftime("%H%M%S")
        tag = args.tag or f"{Path(args.params).stem}-j{args.jobs}-{stamp}"
        reference = json.loads(Path(args.reference).read_text()) if args.reference else None
        columns: dict[str, dict[str, float]] = {}
        walls: dict[str, float] = {}
        for i in range(1, args.repeat + 1):
            clean_caches()
            for kind in ("cold", "rerun"):
                run_id = f"bench-{tag}-{kind}-{i}"
                before = load()
                walls[run_id] = run_report(args.params, run_id, args.jobs)
                columns[run_id] = notebook_seconds(run_id)
                if reference is None:
                    reference = metrics(run_id)
                    same = "the reference"
                else:
                    diff = differences(reference, metrics(run_id))
                    same = (
                        "identical metrics" if not diff else f"{len(diff)} differences: {diff[:5]}"
                    )
                print(
                    f"{run_id}: {walls[run_id]:.1f} s wall, notebooks "
                    f"{sum(columns[run_id].values()):.1f} s; load {before} -> {load()}; {same}",
                    flush=True,
                )
        print()
        print_table(columns, walls)
        for kind in ("cold", "rerun"):
            ids = [r for r in columns if f"-{kind}-" in r]
            names = list(columns[ids[0]])
            med = {n: statistics.median(columns[r][n] for r in ids) for n in names}
            total = statistics.median(sum(columns[r].values()) for r in ids)
            wall = statistics.median(walls[r] for r in ids)
            per = ", ".join(f"{n[:2]} {s:.1f}" for n, s in med.items())
            print(f"median {kind} ({len(ids)}): notebooks {total:.1f} s ({per}); wall {wall:.1f} s")
            rec.add(
                f"median {kind}, notebooks one after the other ({len(ids)} runs)", total, unit="s"
            )
            rec.add(f"median {kind}, command wall time", wall, unit="s")
            for n, sec in med.items():
                rec.add(f"median {kind}, {n}", sec, unit="s")
        rec.note(
            f"--params {args.params} --jobs {args.jobs} --repeat {args.repeat}; cold = empty caches"
        )


if __name__ == "__main__":
    main()
