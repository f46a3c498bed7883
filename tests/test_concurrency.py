"""Several processes on one cold cache and one run: no crash, no lost row (issue 11, item 2)."""

from __future__ import annotations

import json
import multiprocessing as mp

import pandas as pd

from genrelab.audio import batch as extraction
from genrelab.audio.sources import synthetic
from genrelab.runs import Run

N_PROCESSES = 4


def _generate_and_extract(cache_dir: str, runs_dir: str, worker: int) -> list[str]:
    import os

    os.environ["GENRELAB_CACHE_DIR"] = cache_dir
    os.environ["GENRELAB_RUNS_DIR"] = runs_dir
    truth = synthetic.generate_corpus(n_clips=8, seed=5, duration=4.0)
    # each worker analyses all clips but one of its own, so the cache merges different sets
    paths = [p for i, p in enumerate(truth["path"]) if i != worker]
    batch = extraction.extract_batch(paths, progress=False, min_duration=3.0)
    for i in range(5):
        Run("shared").record(f"worker{worker}", **{f"value{i}": i})
    return sorted(batch.features["content_hash"])


def test_processes_sharing_a_cold_cache_and_a_run(tmp_path):
    cache, runs_dir = str(tmp_path / "cache"), str(tmp_path / "runs")
    with mp.get_context("spawn").Pool(N_PROCESSES) as pool:
        results = pool.starmap(
            _generate_and_extract, [(cache, runs_dir, w) for w in range(N_PROCESSES)]
        )
    assert all(len(r) == 7 for r in results), "every worker analysed its 7 clips"
    # the feature cache holds every clip once: no writer lost another's rows
    table = pd.concat(
        pd.read_parquet(p) for p in (tmp_path / "cache" / "features").glob("*.parquet")
    )
    assert table["content_hash"].nunique() == 8 and len(table) == 8
    # every section every worker recorded survived the concurrent read-modify-writes
    metrics = json.loads((tmp_path / "runs" / "shared" / "metrics.json").read_text())
    assert metrics == {f"worker{w}": {f"value{i}": i for i in range(5)} for w in range(N_PROCESSES)}
    leftovers = [p.name for p in (tmp_path / "cache").rglob("*.tmp*")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
