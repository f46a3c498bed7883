"""How the default report's time and memory grow with the table: 30k, 120k, 500k, 1.2M tracks.

The tables
----------
Built from the embedded snapshot (validated; its one placeholder row dropped: 32,832 rows,
28,355 tracks) by :func:`build_table`, copied ``copies`` times:

* copy 0 is the snapshot as it is;
* copy ``c`` >= 1 gets new ids: ``track_id``, ``track_album_id`` and ``playlist_id`` end in
  ``-c<c>``, the artist is ``"<artist> (c<c>)"`` (so artist-grouped splits stay grouped: a copy
  of an artist is another artist); names, genres and subgenres are kept;
* copy ``c`` >= 1 has its continuous features jittered per track (the same draw for all rows of
  a track, so a track in several playlists stays one track and dedup behaves as on the snapshot):
  Gaussian noise of 5 % of the feature's standard deviation over the snapshot, clipped to the
  schema's ranges; ``duration_ms`` by up to 2 %, popularity by up to 2 points; key and mode
  unchanged. The generator is seeded (``--seed``, default 0): the same tables every time.

No two rows of two copies are identical. The sizes and their copies:

==========  ======  ==========  ==========
size        copies  rows        tracks
==========  ======  ==========  ==========
30k         1       32,832      28,355
120k        4       131,328     113,420
500k        18      590,976     510,390
1.2m        42      1,378,944   1,190,910
==========  ======  ==========  ==========

(Accuracy on such tables means nothing: a song's copies under other artists sit on both sides of
the split. Use them for time and memory only.)

The measurement
---------------
For each size the table is written as parquet, a params file holding only
``01_collection: {source: file, data_path: <table>}`` is written beside it, and the default
report runs on it (``python -m genrelab.report --params <yaml> --run-id <id> --no-progress``,
the default ``--jobs``), each run with a fresh, empty ``GENRELAB_CACHE_DIR`` (cold: nothing read
back from an earlier run) unless ``--cache-dir`` names one. Recorded per size:

* every notebook's seconds (the runner's ``run.json``) and the command's wall time;
* the slowest cells (papermill's per-cell durations in the executed notebooks' metadata);
* peak memory: a thread samples, every ``--interval`` seconds, the resident set size (RSS)
  summed over the report's process and all its descendants (kernels, joblib workers), and keeps
  the peak overall and the peak while each set of notebooks was running (``run.json`` says
  which). RSS summed over processes counts pages they share once per process: an upper bound.

Results are merged into ``benchmarks/results/bench_scale.json`` (a size measured again replaces
its entry), with the git commit measured, the machine and its load averages; the script prints
per notebook the exponent of time against the number of tracks between consecutive sizes
(log-log slope: 1 is linear, 2 quadratic).

Usage::

    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_scale.py --sizes 30k 120k
    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_scale.py --build-only --sizes 1.2m
    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_scale.py --table   # print the JSON's

Options: ``--work DIR`` (tables, params and caches; default ``/tmp/genrelab-bench-scale``),
``--params-extra YAML`` (more parameters merged into each size's params file, e.g. an
unlabelled run), ``--tag NAME`` (store under ``<size>-<tag>``), ``--output FILE``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import yaml

from genrelab import config, execution, schema, tables

SIZES = {"30k": 1, "120k": 4, "500k": 18, "1.2m": 42}
OUTPUT = Path(__file__).resolve().parent / "results" / "bench_scale.json"
WORK = Path("/tmp/genrelab-bench-scale")
#: The jitter's standard deviation as a share of each continuous feature's own.
JITTER = 0.05


# --- the tables ---
def snapshot_rows() -> pd.DataFrame:
    """The snapshot's rows, validated (its placeholder row dropped), the columns of the CSV."""
    raw = tables.read_tracks()
    valid, _ = tables.validate_tracks(raw, invalid="drop")
    return valid[[c for c in raw.columns if c != schema.LABEL]].reset_index(drop=True)


def _jittered(base: pd.DataFrame, copy: int, rng: np.random.Generator) -> pd.DataFrame:
    out = base.copy()
    track = pd.factorize(out["track_id"])[0]  # one draw per track, shared by its rows
    n = track.max() + 1
    for col in schema.CONTINUOUS_FEATURES:
        scale = JITTER * float(base[col].std())
        out[col] = out[col].to_numpy() + rng.normal(0.0, scale, n)[track]
    out[schema.UNIT_FEATURES] = out[schema.UNIT_FEATURES].clip(0.0, 1.0)
    out["loudness"] = out["loudness"].clip(-60.0, 5.0)
    out["tempo"] = out["tempo"].clip(lower=1.0)
    factor = 1.0 + rng.uniform(-0.02, 0.02, n)[track]
    out["duration_ms"] = np.maximum(1, np.rint(out["duration_ms"].to_numpy() * factor)).astype(
        "int64"
    )
    pop = out["track_popularity"].to_numpy() + rng.integers(-2, 3, n)[track]
    out["track_popularity"] = np.clip(pop, 0, 100)
    if copy:
        tag = f"-c{copy}"
        for col in ("track_id", "track_album_id", "playlist_id"):
            out[col] = out[col].astype("str") + tag
        out["track_artist"] = out["track_artist"].where(
            out["track_artist"].isna(), out["track_artist"].astype("str") + f" (c{copy})"
        )
    return out


def build_table(copies: int, path: Path, seed: int = 0) -> dict:
    """Write the ``copies``-fold table (module docstring) to ``path`` as parquet."""
    start = time.perf_counter()
    base = snapshot_rows()
    rng = np.random.default_rng(seed)
    parts = [base if c == 0 else _jittered(base, c, rng) for c in range(copies)]
    table = pd.concat(parts, ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(path, index=False)
    return {
        "copies": copies,
        "rows": len(table),
        "tracks": int(table["track_id"].nunique()),
        "build_seconds": round(time.perf_counter() - start, 1),
        "file_mb": round(path.stat().st_size / 2**20, 1),
    }


# --- memory ---
class MemorySampler(threading.Thread):
    """Sample the RSS summed over a process and its descendants; keep the peaks."""

    def __init__(self, pid: int, state_file: Path, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.state_file, self.interval = pid, state_file, interval
        self.peak = 0
        self.peak_processes = 0
        self.by_running: dict[str, int] = {}
        self._done = threading.Event()

    def _running(self) -> str:
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return "(starting)"
        names = [n for n, e in state["notebooks"].items() if e.get("status") == "running"]
        return "+".join(names) or "(between notebooks)"

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            if total > self.peak:
                self.peak, self.peak_processes = total, len(procs)
            running = self._running()
            self.by_running[running] = max(self.by_running.get(running, 0), total)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


# --- one report ---
def slowest_cells(run_dir: Path, top: int = 12) -> list[dict]:
    rows = []
    for path in sorted(run_dir.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
            if seconds is not None and cell["cell_type"] == "code":
                source = "".join(cell["source"])
                first = next((line for line in source.splitlines() if line.strip()), "")
                rows.append(
                    {
                        "seconds": round(seconds, 1),
                        "notebook": path.stem,
                        "cell": i,
                        "first_line": first[:90],
                    }
                )
    return sorted(rows, key=lambda r: -r["seconds"])[:top]


def metrics_digest(run_dir: Path) -> str | None:
    """SHA-256 of the run's ``metrics.json`` read as data (keys sorted): two runs with the same
    digest gave the same results, number for number (it holds no timings)."""
    path = run_dir / "metrics.json"
    if not path.exists():
        return None
    text = json.dumps(json.loads(path.read_text()), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def run_report(params: Path, run_id: str, cache_dir: Path, interval: float) -> dict:
    env = {**os.environ, "GENRELAB_CACHE_DIR": str(cache_dir)}
    cmd = [
        sys.executable,
        "-m",
        "genrelab.report",
        "--params",
        str(params),
        "--run-id",
        run_id,
        "--no-progress",
    ]
    run_dir = config.runs_dir() / run_id
    load_before = os.getloadavg()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=config.PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sampler = MemorySampler(proc.pid, run_dir / "run.json", interval)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop()
    state = (
        json.loads((run_dir / "run.json").read_text()) if (run_dir / "run.json").exists() else {}
    )
    result = {
        "run_id": run_id,
        "returncode": proc.returncode,
        "wall_seconds": round(wall, 1),
        "notebooks_wall_seconds": state.get("notebooks_wall_seconds"),
        "notebooks": {n: e.get("seconds") for n, e in state.get("notebooks", {}).items()},
        "status": {n: e.get("status") for n, e in state.get("notebooks", {}).items()},
        "peak_rss_mb": round(sampler.peak / 2**20),
        "peak_processes": sampler.peak_processes,
        "peak_rss_mb_while": {k: round(v / 2**20) for k, v in sampler.by_running.items()},
        "slowest_cells": slowest_cells(run_dir) if run_dir.exists() else [],
        "metrics_sha256": metrics_digest(run_dir),
        "dask_scheduler": os.environ.get(execution.SCHEDULER_ENV, ""),
        "load_before": [round(x, 1) for x in load_before],
        "load_after": [round(x, 1) for x in os.getloadavg()],
    }
    if proc.returncode:
        result["output_tail"] = output[-3000:]
    return result


# --- growth ---
def exponents(sizes: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Per notebook (and the wall time), the log-log slope of seconds against tracks between
    consecutive measured sizes."""
    done = sorted(  # untagged sizes only (a tagged run repeats a size under other settings)
        (
            (k, v)
            for k, v in sizes.items()
            if k in SIZES and v.get("report", {}).get("returncode") == 0
        ),
        key=lambda kv: kv[1]["table"]["tracks"],
    )
    out: dict[str, dict[str, float]] = {}
    for (a, ra), (b, rb) in zip(done, done[1:]):
        na, nb = ra["table"]["tracks"], rb["table"]["tracks"]
        times_a = {**ra["report"]["notebooks"], "wall": ra["report"]["wall_seconds"]}
        times_b = {**rb["report"]["notebooks"], "wall": rb["report"]["wall_seconds"]}
        for name in times_a:
            ta, tb = times_a.get(name), times_b.get(name)
            if ta and tb:
                slope = math.log(tb / ta) / math.log(nb / na)
                out.setdefault(name, {})[f"{a}->{b}"] = round(slope, 2)
    return out


def print_table(results: dict) -> None:
    sizes = results.get("sizes", {})
    names = list(dict.fromkeys(n for s in sizes.values() for n in s["report"]["notebooks"]))
    print(f"{'':18s}" + "".join(f"{k:>12s}" for k in sizes))
    print(f"{'tracks':18s}" + "".join(f"{s['table']['tracks']:>12,d}" for s in sizes.values()))
    for name in names:
        cells = "".join(
            f"{(s['report']['notebooks'].get(name) or float('nan')):>12.1f}" for s in sizes.values()
        )
        print(f"{name:18s}{cells}")
    print(
        f"{'wall (s)':18s}"
        + "".join(f"{s['report']['wall_seconds']:>12.1f}" for s in sizes.values())
    )
    print(
        f"{'peak RSS (MB)':18s}"
        + "".join(f"{s['report']['peak_rss_mb']:>12,d}" for s in sizes.values())
    )
    print("\nexponent of time against tracks (log-log slope between sizes):")
    for name, slopes in results.get("exponents", {}).items():
        print(f"  {name:18s} " + "  ".join(f"{k}: {v:.2f}" for k, v in slopes.items()))


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=config.PROJECT_ROOT, capture_output=True, text=True
    ).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--interval", type=float, default=0.5, help="memory sampling (s)")
    parser.add_argument("--cache-dir", type=Path, help="reuse this cache (default: fresh, cold)")
    parser.add_argument("--params-extra", type=Path, help="YAML merged into each params file")
    parser.add_argument("--tag", default="", help="store results under <size>-<tag>")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--table", action="store_true", help="print the stored results only")
    args = parser.parse_args(argv)
    results = json.loads(args.output.read_text()) if args.output.exists() else {"sizes": {}}
    if args.table:
        print_table(results)
        return 0
    extra = yaml.safe_load(args.params_extra.read_text()) if args.params_extra else {}
    for size in args.sizes:
        table_path = args.work / f"tracks_{size}.parquet"
        info_path = table_path.with_suffix(".json")
        if not table_path.exists() or not info_path.exists():
            print(f"[{size}] building {SIZES[size]} copies ...", flush=True)
            info_path.write_text(json.dumps(build_table(SIZES[size], table_path, args.seed)))
        table = json.loads(info_path.read_text())
        print(f"[{size}] {table['rows']:,} rows, {table['tracks']:,} tracks: {table_path}")
        if args.build_only:
            continue
        key = f"{size}-{args.tag}" if args.tag else size
        params = {"01_collection": {"source": "file", "data_path": str(table_path)}}
        for section, values in extra.items():
            params[section] = (
                {**params.get(section, {}), **values} if isinstance(values, dict) else values
            )
        params_path = args.work / f"params_{key}.yaml"
        params_path.write_text(yaml.safe_dump(params))
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        run_id = f"scale-{key}-{stamp}"
        cache = args.cache_dir or args.work / f"cache-{run_id}"
        commit = git("rev-parse", "HEAD")
        # dirty: a tracked file changed, other than the benchmark's own output
        changed = git("status", "--porcelain", "-uno").splitlines()
        dirty = any(not line.endswith(args.output.name) for line in changed)
        print(f"[{size}] report {run_id} (cache {cache}) ...", flush=True)
        report = run_report(params_path, run_id, cache, args.interval)
        if args.cache_dir is None:
            shutil.rmtree(cache, ignore_errors=True)
        print(
            f"[{size}] rc {report['returncode']}, wall {report['wall_seconds']} s, "
            f"peak {report['peak_rss_mb']:,} MB; notebooks {report['notebooks']}",
            flush=True,
        )
        if report["returncode"]:
            print(report.get("output_tail", ""))
        results["sizes"][key] = {
            "table": table,
            "params": params,
            "report": report,
            "commit": commit,
            "dirty": dirty,
            "measured_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        results["machine"] = {
            "cpu_count": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform(),
        }
        results["sizes"] = dict(
            sorted(results["sizes"].items(), key=lambda kv: kv[1]["table"]["tracks"])
        )
        results["exponents"] = exponents(results["sizes"])
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2))
    if not args.build_only:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
