"""Local joblib against a Dask LocalCluster on this machine, and what the full FMA would cost.

Measured in one run, on the same inputs, each checked to give the local path's results:

(a) Audio extraction of ``--clips`` synthetic 30 s clips (``sources.synthetic.generate_corpus``,
    FLAC, 22,050 Hz), no cache: ``extract_batch`` with ``n_jobs=1`` (the reference), with
    ``n_jobs=2`` joblib processes (their start-up included, as a user pays it), and as Dask
    futures on a ``LocalCluster`` of ``--workers`` single-threaded processes (started before and
    warmed up: the start-up is reported apart).
(b) The grid search: ``selection.ModelSelection`` (``--grid small``: logistic regression and a
    random forest, five candidates; ``--grid report``: notebook 03's four models and seven
    candidates), 3 grouped folds, on ``--tracks`` snapshot tracks' audio features: ``n_jobs=1``,
    ``n_jobs=2`` and ``scheduler=client`` (joblib's Dask backend, the data scattered once).
(c) The BIC grid (k = 1..6 x 4 covariance types) of ``mixture.bic_grid`` on the same tracks'
    standardised features: the local loop and ``scheduler=client`` (one task per cell).
(d) The per-clip cost of the real FMA MP3 (44,100 Hz stereo: decoding and resampling weigh
    more than for the synthetic FLAC) and the estimate for the full FMA (106,574 clips of 30 s)
    on 32 workers: clips x per-clip cost / (32 x the parallel efficiency measured in (a)).

With ``--table FILE`` (a tracks table, e.g. ``bench_scale.py``'s 1.2M-track parquet), (b) runs on
exactly the rows notebook 03's grid search sees there: the table deduplicated and split by artist
as notebook 03 does, its training rows' seeded artist-grouped subsample of ``selection_max_rows``
(``--max-rows``, default 25,000); and (e) adds the refit of the chosen model on every training row
(``n_jobs`` 1 and 2) and what 32 workers would do for that notebook: the grid's tasks, each
task's seconds, the data scattered once, the expected wall time.

Wall-clock on a shared 2-core machine: the load average is printed before and after; ratios
are ``local n_jobs=1 time / this time`` (above 1 = faster than one process).

Usage::

    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_dask.py [--clips 40] [--tracks 4000] \\
        [--grid small|report] [--workers 2]
    PYTHONPATH=$PWD/lib .venv/bin/python benchmarks/bench_dask.py --grid report \\
        --table /tmp/genrelab-bench-scale/tracks_1.2m.parquet
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np
from record import recording
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import ParameterGrid
from sklearn.preprocessing import StandardScaler

from genrelab import audio, classify, config, execution, mixture, schema, tables
from genrelab.audio import batch as extraction
from genrelab.audio.sources import synthetic
from genrelab.classify import selection
from genrelab.mixture.em import COVARIANCE_TYPES

FMA_TRACKS = 106_574
FMA_WORKERS = 32


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def grid(name: str) -> tuple[dict, dict]:
    """``small``: two quick models, five candidates; ``report``: notebook 03's (seven)."""
    if name == "report":
        return classify.default_models(42), classify.default_grids()
    return (
        {
            "lr": LogisticRegression(max_iter=500),
            "rf": RandomForestClassifier(n_estimators=60, n_jobs=1, random_state=0),
        },
        {"lr": {"model__C": [0.1, 1.0, 10.0]}, "rf": {"model__max_depth": [8, 16]}},
    )


def selection_run(X, y, groups, models, grids, n_jobs=None, scheduler=None):
    search = classify.ModelSelection(
        models,
        grids,
        cv=classify.grouped_cv(3, seed=42),
        n_jobs=n_jobs,
        scheduler=scheduler,
    )
    return search.fit(X, y, groups=groups, progress=False)


def warm_up() -> None:
    """On each worker, the imports a first task would pay (numpy, aubio, scikit-learn)."""
    import genrelab.audio.batch  # noqa: F401
    import genrelab.classify.selection  # noqa: F401
    import genrelab.mixture.bic  # noqa: F401


def row(name: str, seconds: float, reference: float, note: str = "") -> None:
    print(f"  {name:<38} {seconds:7.2f} s   x{reference / seconds:5.2f}  {note}")


def notebook03_rows(path: Path, max_rows: int):
    """The rows of notebook 03's grid search on the table at ``path`` (default parameters):
    the subsample's ``X, y, groups`` and all training rows' ``X, y``."""
    split = classify.split_tracks(tables.load_tracks(path, invalid="drop"))  # as notebook 01
    X_all = split.train_rows(classify.model_frame(split.tracks, "audio"))
    y_all, groups_all = split.y_train, split.groups_train
    rows = selection.selection_rows(groups_all, max_rows, split.seed)
    if rows is None:
        return X_all, y_all, groups_all, X_all, y_all
    return X_all.iloc[rows], y_all[rows], groups_all[rows], X_all, y_all


def refit_estimate(rec, search, X_all, y_all, t_grid_2) -> None:
    """(e) The chosen model refitted on every training row (as notebook 03 does on a large
    table), and the grid search and refit on 32 workers: the grid's tasks run at once, so its
    wall time is its longest task's, and the refit's trees split over the workers."""
    results = search.score_summary()
    tasks = {
        name: s.cv_results_["mean_fit_time"] + s.cv_results_["mean_score_time"]
        for name, s in search.searches_.items()
    }
    longest = max(float(t.max()) for t in tasks.values())
    n_tasks = 3 * sum(len(t) for t in tasks.values())
    task_seconds = 3 * sum(float(t.sum()) for t in tasks.values())
    refit = {}
    for n_jobs in (1, 2):  # the pipeline notebook 03 refits (a forest: on n_jobs threads)
        chosen = selection.refit_pipeline(search, len(X_all), n_jobs)
        refit[n_jobs] = timed(chosen.fit, X_all, y_all)[1]
    trees = chosen.get_params().get("model__n_estimators", 1)
    scatter_mb = (X_all.memory_usage(deep=True).sum() + np.asarray(y_all).nbytes) / 2**20
    rounds = math.ceil(trees / FMA_WORKERS)
    refit_32 = refit[1] * rounds / trees
    grid_32 = max(longest, task_seconds / FMA_WORKERS)
    print(
        f"\n(e) notebook 03 on this table: the chosen {search.best_name_} refitted on "
        f"{len(X_all):,} training rows"
    )
    print(results.round(3).to_string())
    row("refit, n_jobs=1 (reference)", refit[1], refit[1])
    row("refit, n_jobs=2", refit[2], refit[1])
    print(
        f"  grid: {n_tasks} tasks (candidates x folds), {task_seconds:.0f} task-seconds, the "
        f"longest {longest:.1f} s; {scatter_mb:.0f} MB scattered once for the refit"
    )
    print(
        f"  on {FMA_WORKERS} workers: grid ~{grid_32:.0f} s (the longest task; here n_jobs=2 "
        f"{t_grid_2:.0f} s), refit ~{refit_32:.0f} s ({trees} trees in {rounds} rounds)"
    )
    rec.add("(e) grid tasks", n_tasks)
    rec.add("(e) grid task-seconds", task_seconds, unit="s")
    rec.add("(e) longest grid task", longest, unit="s")
    rec.add("(e) refit on all training rows, n_jobs=1", refit[1], unit="s")
    rec.add("(e) refit on all training rows, n_jobs=2", refit[2], unit="s")
    rec.add(f"(e) grid on {FMA_WORKERS} workers, estimated", grid_32, unit="s")
    rec.add(f"(e) refit on {FMA_WORKERS} workers, estimated", refit_32, unit="s")
    rec.add("(e) data scattered once for the refit", scatter_mb, unit="MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40, help="synthetic 30 s clips to extract")
    parser.add_argument("--tracks", type=int, default=4000, help="snapshot tracks in the search")
    parser.add_argument("--grid", choices=["small", "report"], default="small", help="the search")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--table", type=Path, help="search notebook 03's subsample of this table")
    parser.add_argument("--max-rows", type=int, default=selection.SELECTION_MAX_ROWS)
    args = parser.parse_args()
    with recording("bench_dask", "Local joblib against a Dask LocalCluster") as rec:
        # timings of the work itself: the results cache would answer the grid search and BIC grid
        os.environ["GENRELAB_NO_CACHE"] = "1"
        print(f"{os.cpu_count()} cores, {load()}")

        truth = synthetic.generate_corpus(
            args.clips, seed=2026, n_jobs=2
        )  # cached after a first run
        paths = list(truth["path"])
        if args.table:
            X, y, groups, X_all, y_all = notebook03_rows(args.table, args.max_rows)
            args.tracks = len(X)
            print(f"{args.table}: {len(X_all):,} training tracks, {len(X):,} in the subsample")
        else:
            tracks = tables.snapshot_tracks().sample(args.tracks, random_state=0)
            tracks = tracks.reset_index(drop=True)
            X, y = tracks[schema.AUDIO_FEATURES], tracks["genre"].to_numpy()
            groups = classify.artist_groups(tracks)
        Xs = StandardScaler().fit_transform(X)
        ks = range(1, 7)
        n_cells = len(ks) * len(COVARIANCE_TYPES)

        # --- local ------------------------------------------------------------------------------
        kw = dict(cache=False, progress=False)
        ref, t_ex1 = timed(extraction.extract_batch, paths, n_jobs=1, **kw)
        _, t_ex2 = timed(extraction.extract_batch, paths, n_jobs=2, min_clips_per_job=0, **kw)
        models, grids = grid(args.grid)
        n_candidates = sum(len(ParameterGrid(g)) for g in grids.values())
        ms1, t_gs1 = timed(selection_run, X, y, groups, models, grids, n_jobs=1)
        _, t_gs2 = timed(selection_run, X, y, groups, models, grids, n_jobs=2)
        bic_local, t_bic1 = timed(mixture.bic_grid, Xs, ks, COVARIANCE_TYPES, random_state=0)

        # --- Dask -------------------------------------------------------------------------------
        scheduler = f"local:{args.workers}"
        start = time.perf_counter()
        with execution.cluster(scheduler) as client:
            client.wait_for_workers(args.workers)
            client.run(warm_up)
            t_start = time.perf_counter() - start
            dask_ex, t_exd = timed(extraction.extract_batch, paths, scheduler=client, **kw)

            msd, t_gsd = timed(selection_run, X, y, groups, models, grids, scheduler=client)
            bic_dask, t_bicd = timed(
                mixture.bic_grid, Xs, ks, COVARIANCE_TYPES, random_state=0, scheduler=client
            )

        same_ex = ref.features.equals(dask_ex.features) and ref.failures.equals(dask_ex.failures)
        same_gs = (
            ms1.score_summary().equals(msd.score_summary()) and ms1.best_name_ == msd.best_name_
        )
        same_bic = bic_local.equals(bic_dask)

        # --- the real MP3's per-clip cost -------------------------------------------------------
        audio.extract_features(config.FMA_CLIP)  # warm
        c_fma = min(timed(audio.extract_features, config.FMA_CLIP)[1] for _ in range(3))

        w = args.workers
        print(f"\n(a) extraction of {args.clips} synthetic 30 s clips (no cache)")
        row("local, n_jobs=1 (reference)", t_ex1, t_ex1, f"{t_ex1 / args.clips:.3f} s/clip")
        row("local joblib, n_jobs=2 (start included)", t_ex2, t_ex1)
        row(f"Dask LocalCluster, {w} workers", t_exd, t_ex1, f"identical: {same_ex}")
        print(f"  (cluster start-up and worker imports, apart: {t_start:.2f} s)")
        size = f"{n_candidates} candidates x 3 folds, {args.tracks} tracks"
        print(f"\n(b) grid search {args.grid!r}, {size}")
        row("local, n_jobs=1 (reference)", t_gs1, t_gs1)
        row("local joblib, n_jobs=2", t_gs2, t_gs1)
        row(f"joblib Dask backend, {w} workers", t_gsd, t_gs1, f"identical: {same_gs}")
        print(f"\n(c) BIC grid, {n_cells} fits of GaussianMixtureEM")
        row("local loop (reference)", t_bic1, t_bic1)
        row(f"Dask tasks, {w} workers", t_bicd, t_bic1, f"identical: {same_bic}")

        if args.table:
            refit_estimate(rec, ms1, X_all, y_all, t_gs2)
        efficiency = t_ex1 / (w * t_exd)
        c_syn = t_ex1 / args.clips
        hours = FMA_TRACKS * c_fma / (FMA_WORKERS * efficiency) / 3600
        print("\n(d) the full FMA on 32 workers")
        print(f"  per-clip cost: synthetic FLAC {c_syn:.3f} s, real FMA MP3 {c_fma:.3f} s")
        print(f"  parallel efficiency of {w} Dask workers here: {efficiency:.2f}")
        print(
            f"  {FMA_TRACKS:,} clips x {c_fma:.3f} s / ({FMA_WORKERS} x {efficiency:.2f}) "
            f"= {hours * 60:.0f} min ({hours:.2f} h) of extraction"
        )
        print(f"\n{load()}")
        for label, (local, dask_s) in {
            f"(a) extraction of {args.clips} clips": (t_ex1, t_exd),
            f"(b) grid search {args.grid!r}, {n_candidates} candidates x 3 folds": (t_gs1, t_gsd),
            f"(c) BIC grid, {n_cells} fits": (t_bic1, t_bicd),
        }.items():
            rec.add(f"{label}, local n_jobs=1", local, unit="s")
            rec.add(f"{label}, Dask, {w} workers", dask_s, unit="s")
            rec.add(f"{label}, ratio local / Dask", local / dask_s, unit="x")
        rec.add("(a) extraction, local joblib n_jobs=2", t_ex2, unit="s")
        rec.add("(b) grid search, local joblib n_jobs=2", t_gs2, unit="s")
        rec.add("cluster start-up and worker imports", t_start, unit="s")
        rec.add("(d) per-clip cost, FMA MP3", c_fma, unit="s")
        rec.add(f"(d) the full FMA on {FMA_WORKERS} workers, estimated", hours * 60, unit="min")
        rec.note(
            f"Dask results identical to the local ones: extraction {same_ex}, grid search "
            f"{same_gs}, BIC grid {same_bic}"
        )
        if not (same_ex and same_gs and same_bic):
            raise SystemExit("Dask and local results differ")


if __name__ == "__main__":  # the LocalCluster's worker processes re-import this script
    main()
