"""Dask execution: the setting, futures with failures as data, and the local path's results.

The cluster is real: a ``distributed.LocalCluster`` of two worker processes on 127.0.0.1, started
once for the module through :func:`genrelab.execution.cluster` (the ``local:2`` setting).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from distributed import get_task_stream
from joblib.parallel import get_active_backend
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from test_audio import SR, click_track, make_bad_files

from genrelab import classify, config, execution, schema, tables
from genrelab.audio import batch as extraction
from genrelab.mixture.bic import best_by_bic, bic_grid


@pytest.fixture(scope="module")
def client():
    with execution.cluster("local:2") as client:
        client.wait_for_workers(2)
        yield client


# --- the setting -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [
        ("", execution.Scheduler("joblib")),
        (None, execution.Scheduler("joblib")),
        ("local:3", execution.Scheduler("local", n_workers=3)),
        (" tcp://10.0.0.5:8786 ", execution.Scheduler("address", address="tcp://10.0.0.5:8786")),
        (
            "tls://scheduler.example.org:8786",
            execution.Scheduler("address", address="tls://scheduler.example.org:8786"),
        ),
    ],
)
def test_parse_scheduler(value, expected):
    assert execution.parse_scheduler(value) == expected


@pytest.mark.parametrize("value", ["local:0", "local:two", "http://host:8786", "host:8786", "dask"])
def test_a_bad_setting_is_named(value, monkeypatch):
    with pytest.raises(execution.SchedulerError, match="scheduler=.*expected|N >= 1"):
        execution.resolve(value)
    monkeypatch.setenv(execution.SCHEDULER_ENV, value)
    with pytest.raises(execution.SchedulerError, match=execution.SCHEDULER_ENV):
        execution.resolve("")


def test_the_parameter_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv(execution.SCHEDULER_ENV, "local:2")
    assert execution.resolve("") == execution.Scheduler("local", n_workers=2)
    assert execution.resolve("tcp://h:1") == execution.Scheduler("address", address="tcp://h:1")
    monkeypatch.delenv(execution.SCHEDULER_ENV)
    assert config.setting(execution.SCHEDULER_ENV) is None
    assert execution.resolve(None).kind == "joblib"
    with execution.cluster(None) as nothing, execution.joblib_backend(nothing):
        assert nothing is None


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT", 1)
    with pytest.raises(execution.SchedulerError, match=r"tcp://127\.0\.0\.1:9"):
        with execution.cluster("tcp://127.0.0.1:9"):
            pass


# --- futures ---------------------------------------------------------------------------------
def _inverse(x, scale=1.0):
    return scale / x


@pytest.mark.parametrize("chunksize", [1, 3])
def test_failures_come_back_as_data_in_order(client, chunksize):
    items = [4, 0, 2, "x", 1]
    local = execution.map_items(_inverse, items, None, progress=False)
    remote = execution.map_items(
        _inverse, items, client, shared={"scale": 2.0}, chunksize=chunksize, progress=False
    )
    assert [o.ok for o in remote] == [True, False, True, False, True], remote
    assert [o.value for o in remote] == [0.5, None, 1.0, None, 2.0]
    assert [o.error_type for o in remote] == [o.error_type for o in local]
    assert remote[1].error_type == "ZeroDivisionError" and "_inverse" in remote[1].traceback
    with pytest.raises(execution.TaskError, match=r"task 0 failed: ZeroDivisionError"):
        execution.values(remote, labels=items)


def test_map_tasks_passes_keywords_and_shows_progress(client, capsys):
    outcomes = execution.map_tasks(
        _inverse, [{"x": 2}, {"x": 4, "scale": 8.0}], client, desc="inverses"
    )
    assert execution.values(outcomes) == [0.5, 2.0]
    assert "inverses" in capsys.readouterr().err  # tqdm writes to stderr


# --- audio extraction: the same tables and cache on the cluster --------------------------------
@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    expected_bad = make_bad_files(folder)
    for bpm in (90, 120, 150):
        sf.write(folder / f"click_{bpm}.flac", click_track(bpm, seconds=6.0), SR)
    paths = sorted(str(p) for p in folder.iterdir()) + [str(folder / "gone.wav")]
    return paths, expected_bad


def test_extraction_on_dask_equals_the_local_path(client, clips, tmp_path, caplog):
    paths, expected_bad = clips
    local = extraction.extract_batch(paths, cache=tmp_path / "local.parquet", progress=False)
    with caplog.at_level(logging.WARNING, logger="genrelab.audio.batch"):
        remote = extraction.extract_batch(
            paths, cache=tmp_path / "dask.parquet", progress=False, scheduler=client
        )
    assert sorted(remote.features["file"]) == ["click_120.flac", "click_150.flac", "click_90.flac"]
    assert set(remote.failures["file"]) == set(expected_bad) | {"gone.wav"}
    pd.testing.assert_frame_equal(local.features, remote.features)
    pd.testing.assert_frame_equal(local.failures, remote.failures)
    assert any("gone.wav" in r.getMessage() for r in caplog.records)
    assert (remote.n_extracted, remote.n_cached) == (local.n_extracted, 0)
    # the client wrote the cache: the same rows as the local path's
    cache_local = pd.read_parquet(tmp_path / "local.parquet").sort_values("content_hash")
    cache_dask = pd.read_parquet(tmp_path / "dask.parquet").sort_values("content_hash")
    pd.testing.assert_frame_equal(
        cache_local.reset_index(drop=True), cache_dask.reset_index(drop=True)
    )


def test_extraction_reads_the_environment_and_reuses_the_cache(
    client, clips, tmp_path, monkeypatch
):
    paths, _ = clips
    good = [p for p in paths if "click_" in p]
    monkeypatch.setenv(execution.SCHEDULER_ENV, client.scheduler.address)
    with get_task_stream(client) as stream:
        first = extraction.extract_batch(good, cache=tmp_path / "c.parquet", progress=False)
    assert any("_extract_one" in t["key"] for t in stream.data), "not extracted on the cluster"
    assert first.n_extracted == 3
    again = extraction.extract_batch(good, cache=tmp_path / "c.parquet", progress=False)
    assert (again.n_extracted, again.n_cached) == (0, 3)
    pd.testing.assert_frame_equal(first.features, again.features)


def test_relative_paths_reach_the_workers(client, clips, tmp_path, monkeypatch):
    paths, _ = clips
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "click_90.flac").write_bytes(
        open(next(p for p in paths if "click_90" in p), "rb").read()
    )
    monkeypatch.chdir(folder)  # the workers started in another directory
    batch = extraction.extract_batch(
        ["click_90.flac"], cache=False, progress=False, scheduler=client
    )
    assert batch.failures.empty, batch.failures
    assert list(batch.features["path"]) == ["click_90.flac"]  # as given


# --- grid search through joblib's Dask backend ---------------------------------------------------
def _search(scheduler=None):
    return classify.ModelSelection(
        {
            "lr": LogisticRegression(max_iter=300),
            "rf": RandomForestClassifier(n_estimators=20, random_state=0),
        },
        {"lr": {"model__C": [0.1, 1.0]}, "rf": {"model__max_depth": [4, 8]}},
        cv=classify.grouped_cv(3, seed=0),
        n_jobs=1,
        scheduler=scheduler,
    )


@pytest.fixture(scope="module")
def tracks():
    tracks = tables.snapshot_tracks().sample(800, random_state=0).reset_index(drop=True)
    return tracks[schema.AUDIO_FEATURES], tracks["genre"].to_numpy(), classify.artist_groups(tracks)


@pytest.fixture(scope="module")
def local_search(tracks):
    X, y, groups = tracks
    return _search().fit(X, y, groups=groups, progress=False)


def _assert_same_search(local, remote, X):
    pd.testing.assert_frame_equal(local.score_summary(), remote.score_summary())
    assert remote.best_name_ == local.best_name_
    for name in ("lr", "rf"):
        np.testing.assert_array_equal(
            local.searches_[name].cv_results_["mean_test_score"],
            remote.searches_[name].cv_results_["mean_test_score"],
        )
    np.testing.assert_array_equal(
        local.best_estimator_.predict_proba(X), remote.best_estimator_.predict_proba(X)
    )


def test_grid_search_on_dask_equals_the_local_path(client, tracks, local_search):
    X, y, groups = tracks
    with get_task_stream(client) as stream:
        remote = _search(client).fit(X, y, groups=groups, progress=False)
    # 2 models x 2 parameter sets x 3 folds, batched by joblib: more than one task, on both
    assert len(stream.data) >= 2, "the fits did not run on the cluster"
    assert len({t["worker"] for t in stream.data}) == 2, "one worker did all the fits"
    _assert_same_search(local_search, remote, X)


def test_the_search_reads_the_environment(client, tracks, local_search, monkeypatch):
    X, y, groups = tracks
    monkeypatch.setenv(execution.SCHEDULER_ENV, client.scheduler.address)
    with get_task_stream(client) as stream:
        remote = _search().fit(X, y, groups=groups, progress=False)
    assert stream.data, "the fits did not run on the cluster"
    _assert_same_search(local_search, remote, X)


def test_joblib_cluster_scatters_the_data_once(client, tracks):
    X, y, _ = tracks
    with execution.joblib_cluster(client, scatter=[X, y]) as same:
        assert same is client
        backend, n_jobs = get_active_backend()
        assert type(backend).__name__ == "DaskDistributedBackend" and n_jobs == -1
        # joblib swaps these very objects for the futures of their copies on every worker
        futures = backend.data_futures
        assert set(futures) == {id(X), id(y)}
        where = client.who_has(list(futures.values()))
        assert all(len(workers) == 2 for workers in where.values()), where
    with execution.joblib_cluster("") as nothing:
        assert nothing is None
        assert type(get_active_backend()[0]).__name__ != "DaskDistributedBackend"


# --- the BIC grid as tasks -------------------------------------------------------------------
def test_the_bic_grid_on_dask_equals_the_local_loop(client, capsys):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, size=(150, 3)) for c in (-3.0, 0.0, 3.0)])
    kw = dict(n_components=[1, 2, 3], covariance_types=["full", "diag", "spherical", "tied"])
    local = bic_grid(X, **kw, random_state=0, max_samples=400)
    with get_task_stream(client) as stream:
        remote = bic_grid(X, **kw, random_state=0, max_samples=400, scheduler=client)
    assert sum("_fit_cell" in t["key"] for t in stream.data) == 12
    assert "BIC grid" in capsys.readouterr().err  # the progress bar
    pd.testing.assert_frame_equal(local, remote, check_exact=True)
    assert best_by_bic(remote)["n_components"] == 3


def test_a_failing_bic_cell_is_named(client):
    X = np.random.default_rng(0).normal(size=(40, 2))
    with pytest.raises(execution.TaskError, match=r"'n_components': 50.*ValueError"):
        bic_grid(X, [1, 50], ["diag"], random_state=0, scheduler=client)
