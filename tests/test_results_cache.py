"""The results cache wired into the study: the grid search, the full and leaky fits and the BIC
grid are read back on an identical call (a logged hit), give the same numbers as a computation
without the cache (``GENRELAB_NO_CACHE=1``), and do not depend on where they were computed."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from genrelab import classify, config, execution, memo, mixture, tables


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GENRELAB_NO_CACHE", raising=False)
    monkeypatch.delenv(execution.SCHEDULER_ENV, raising=False)


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return tables.snapshot_tracks("keep_first").sample(700, random_state=5).reset_index(drop=True)


def _study(rows, scheduler=None):
    """Notebook 03's steps on a small problem; its metrics, and the search."""
    split = classify.split_tracks(rows, "keep_first", seed=0)
    X = classify.model_frame(split.tracks, "audio")
    search = classify.grid_search(
        split.train_rows(X),
        split.y_train,
        split.groups_train,
        models=["random_forest", "logistic_regression"],
        cv_folds=2,
        seed=0,
        n_jobs=1,
        scheduler=scheduler,
        progress=False,
    )
    scores = classify.score_on_test(search, split, X)
    full = classify.fit_full_model(split, search, "logistic_regression", {}, cv_folds=2)
    leaky = classify.leaky_comparison(rows, search.best_estimator_, seed=0)
    result = classify.evaluate_classifiers(split, search, scores, [full], leaky, cv_folds=2)
    importances = classify.feature_importances(search, split, X, n_repeats=1)
    return {**result.metrics(), "importances": importances.permutation.to_dict()}, search


def _keys(messages: list[str]) -> list[str]:
    return sorted(re.search(r"\[(\w+)\]", m).group(1) for m in messages)


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "genrelab.memo"]


def test_an_identical_study_is_read_back_with_the_same_numbers(rows, caplog, monkeypatch):
    with caplog.at_level(logging.INFO, logger="genrelab.memo"):
        first, first_search = _study(rows)
        misses = _messages(caplog)
        caplog.clear()
        again, again_search = _study(rows)
        hits = _messages(caplog)
    names = ("search_model", "fit_and_cross_validate", "fit_model", "permutation_importances")
    for name in names:
        assert any(m.startswith("cache miss") and name in m for m in misses), (name, misses)
        assert any(m.startswith("cache hit") and name in m for m in hits), (name, hits)
    assert not any(m.startswith("cache miss") for m in hits), hits
    # the same five keys both times: a search per model, the full fit, the leaky fit, and the
    # importances of the chosen model (keyed by its search: the model read back is a copy)
    assert len(hits) == 5 and _keys(hits) == _keys(misses)
    np.testing.assert_equal(again, first)
    pd.testing.assert_frame_equal(again_search.score_summary(), first_search.score_summary())

    monkeypatch.setenv("GENRELAB_NO_CACHE", "1")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="genrelab.memo"):
        fresh, _ = _study(rows)
    assert _messages(caplog) == []  # no cache: nothing read, nothing logged
    np.testing.assert_equal(fresh, first)


def test_another_grid_or_seed_recomputes_only_what_changed(rows, caplog):
    split = classify.split_tracks(rows, "keep_first", seed=0)
    X = split.train_rows(classify.model_frame(split.tracks, "audio"))
    models = {"lr": classify.default_models(0)["logistic_regression"]}

    def search(grid, seed=0):
        ms = classify.ModelSelection(models, {"lr": grid}, cv=classify.grouped_cv(2, seed))
        return ms.fit(X, split.y_train, split.groups_train, progress=False)

    with caplog.at_level(logging.INFO, logger="genrelab.memo"):
        search({"model__C": [0.1, 1.0]})
        search({"model__C": [0.1, 1.0]})
        search({"model__C": [0.1]})
        search({"model__C": [0.1, 1.0]}, seed=1)
    kinds = [m.split(":")[0] for m in _messages(caplog)]
    assert kinds == ["cache miss", "cache hit", "cache miss", "cache miss"]


def test_where_a_search_ran_is_not_in_the_key(rows):
    """A study cached locally is read back with a scheduler setting that names an unreachable
    cluster: nothing was missing, so no cluster was asked for."""
    first, _ = _study(rows)
    again, _ = _study(rows, scheduler="tcp://127.0.0.1:9")
    np.testing.assert_equal(again, first)
    split = classify.split_tracks(rows, "keep_first", seed=1)  # another split: a miss
    X = classify.model_frame(split.tracks, "audio")
    with pytest.raises(execution.SchedulerError, match=r"tcp://127\.0\.0\.1:9"):
        classify.grid_search(
            split.train_rows(X),
            split.y_train,
            split.groups_train,
            models=["logistic_regression"],
            cv_folds=2,
            scheduler="tcp://127.0.0.1:9",
            progress=False,
        )


def test_a_bic_grid_computed_on_dask_is_read_back_locally(caplog, monkeypatch):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, size=(120, 2)) for c in (-3.0, 3.0)])
    kw = dict(n_components=[1, 2, 3], covariance_types=["full", "diag"], random_state=0)
    remote = mixture.bic_grid(X, **kw, scheduler="local:2")
    assert mixture.bic_grid.in_cache(X, **kw)
    # caplog records the whole test: when the logger is already at INFO (``--log-level=INFO``,
    # or an earlier test), the Dask call's own "cache miss" is in it; keep the local call's only.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="genrelab.memo"):
        local = mixture.bic_grid(X, **kw)
    (message,) = _messages(caplog)
    assert message.startswith("cache hit: genrelab.mixture.bic.bic_grid ["), message
    pd.testing.assert_frame_equal(local, remote, check_exact=True)
    monkeypatch.setenv("GENRELAB_NO_CACHE", "1")
    assert not mixture.bic_grid.in_cache(X, **kw)
    pd.testing.assert_frame_equal(mixture.bic_grid(X, **kw), remote, check_exact=True)


def test_the_report_kernels_show_the_hits(tmp_path):
    """With GENRELAB_SHOW_CACHE=1 (set by the report runner), importing the package prints the
    cache's hits and misses on stderr: what a notebook shows under the cell."""
    code = (
        "import numpy as np\n"
        "from genrelab import mixture\n"
        "X = np.random.default_rng(0).normal(size=(60, 2))\n"
        "mixture.bic_grid(X, [1], ['diag'], random_state=0)\n"
        "mixture.bic_grid(X, [1], ['diag'], random_state=0)\n"
    )
    env = {
        **os.environ,
        "GENRELAB_CACHE_DIR": str(tmp_path / "cache"),
        memo.SHOW_SETTING: "1",
        "PYTHONPATH": str(config.PROJECT_ROOT / "lib"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    lines = [line for line in out.stderr.splitlines() if line.startswith("genrelab.memo")]
    assert len(lines) == 2, out.stderr
    assert lines[0].startswith("genrelab.memo: cache miss: genrelab.mixture.bic.bic_grid [")
    assert lines[1].startswith("genrelab.memo: cache hit: genrelab.mixture.bic.bic_grid [")
    env.pop(memo.SHOW_SETTING)
    quiet = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert "genrelab.memo" not in quiet.stderr


def test_show_attaches_one_handler():
    handlers = [memo.show(), memo.show(logging.DEBUG)]
    try:
        assert handlers[0] is handlers[1]
        assert sum(isinstance(h, type(handlers[0])) for h in memo.log.handlers) == 1
        assert handlers[0].level == logging.DEBUG
    finally:
        memo.log.removeHandler(handlers[0])
        memo.log.setLevel(logging.NOTSET)
