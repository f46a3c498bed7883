"""The results cache: keyed by argument values and code version, hits logged, switchable off."""

from __future__ import annotations

import logging

import joblib
import numpy as np
import pandas as pd
import pytest

from genrelab import memo

CALLS: list[tuple] = []


@memo.cached
def column_means(frame: pd.DataFrame, scale: float = 1.0) -> pd.Series:
    """Means of the columns, times scale."""
    CALLS.append((len(frame), scale))
    return frame.mean() * scale


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GENRELAB_NO_CACHE", raising=False)
    CALLS.clear()


def frame(seed: int = 0) -> pd.DataFrame:
    return pd.DataFrame(np.random.default_rng(seed).normal(size=(50, 3)), columns=list("abc"))


def test_an_identical_call_is_read_back_and_logged_as_a_hit(caplog):
    with caplog.at_level(logging.INFO, logger="genrelab.memo"):
        first = column_means(frame(), 2.0)
        second = column_means(frame(), 2.0)
    pd.testing.assert_series_equal(first, second)
    assert CALLS == [(50, 2.0)]
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("cache miss: test_memo.column_means [")
    assert messages[1].startswith("cache hit: test_memo.column_means [")
    assert messages[0].split("[")[1][:12] == messages[1].split("[")[1][:12]  # the same key


def test_other_data_or_parameters_recompute():
    column_means(frame(0))
    column_means(frame(1))  # same shape, other values
    column_means(frame(0), scale=3.0)
    column_means(frame(0))
    assert CALLS == [(50, 1.0), (50, 1.0), (50, 3.0)]


def test_another_code_version_does_not_read_the_old_results(monkeypatch):
    column_means(frame())
    monkeypatch.setattr(memo, "code_version", lambda: "another-version")
    column_means(frame())
    assert len(CALLS) == 2


def test_the_cache_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("GENRELAB_NO_CACHE", "1")
    column_means(frame())
    column_means(frame())
    assert len(CALLS) == 2


def test_the_wrapper_keeps_name_and_docstring():
    assert column_means.__name__ == "column_means"
    assert column_means.__doc__ == "Means of the columns, times scale."


def test_code_version_changes_with_the_sources(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(memo, "PACKAGE_DIR", tmp_path)
    memo.code_version.cache_clear()
    try:
        before = memo.code_version()
        (tmp_path / "a.py").write_text("x = 2\n")
        memo.code_version.cache_clear()
        assert memo.code_version() != before
    finally:
        memo.code_version.cache_clear()


def test_text_columns_and_object_arrays_are_keyed_by_their_content():
    names = pd.DataFrame({"name": ["a", "b", "c"] * 20, "x": np.arange(60.0)})
    labels = np.array(["pop", "rock"] * 30, dtype=object)
    keys = [memo._compact(v) for v in (names, labels)]
    changed = names.copy()
    changed.loc[5, "name"] = "z"
    assert joblib.hash(memo._compact(names.copy())) == joblib.hash(keys[0])
    assert joblib.hash(memo._compact(changed)) != joblib.hash(keys[0])
    assert joblib.hash(memo._compact(names[["x", "name"]])) != joblib.hash(keys[0])
    assert joblib.hash(memo._compact(labels[::-1])) != joblib.hash(keys[1])
    column_means(names[["x"]])
    column_means(changed[["x"]])  # the same numbers: read back
    assert len(CALLS) == 1


def test_unhashable_cells_fall_back_to_joblib():
    cells = pd.DataFrame({"genres": [["pop"], ["rock", "pop"]]})
    assert memo._compact(cells) is cells


def test_the_key_names_the_call(caplog):
    key = column_means.key(frame(), 2.0)
    assert key == column_means.key(frame(), scale=2.0)
    assert key not in (column_means.key(frame(1), 2.0), column_means.key(frame(), 3.0))
    with caplog.at_level(logging.INFO, logger="genrelab.memo"):
        column_means(frame(), 2.0)
    assert caplog.records[0].getMessage().endswith(f"[{key[:12]}], computing")


def test_another_library_version_does_not_read_the_old_results(monkeypatch):
    versions = memo.library_versions()
    assert set(versions) == {"python", *memo.LIBRARIES}
    memo.code_version.cache_clear()
    try:
        before = memo.code_version()
        monkeypatch.setattr(memo, "library_versions", lambda: {**versions, "scikit-learn": "0"})
        memo.code_version.cache_clear()
        assert memo.code_version() != before
    finally:
        memo.code_version.cache_clear()


@memo.cached(ignore=["model"])
def model_score(model, model_key: str, X, y) -> float:
    CALLS.append(model_key)
    return float(model.score(X, y))


def test_a_fitted_estimator_is_keyed_by_the_call_that_fitted_it_never_by_its_bytes(tmp_path):
    # a fitted model's bytes change when it is read back (padding of scikit-learn's tree nodes,
    # strides of empty arrays): a key holding one missed on every re-run, so it is refused
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 3)), rng.integers(0, 3, 300)
    unfitted = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=5))

    @memo.cached
    def fit(estimator, X, y):
        return clone(estimator).fit(X, y)

    model = fit(unfitted, X, y)  # an unfitted estimator is keyed by its parameters
    with pytest.raises(TypeError, match="argument 'estimator' is a fitted Pipeline"):
        fit.key(model, X, y)
    with pytest.raises(TypeError, match="argument 'estimator' is a fitted"):
        fit.key([model], X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    read_back = joblib.load(tmp_path / "model.joblib")
    key = fit.key(unfitted, X, y)
    assert model_score(model, key, X, y) == model_score(read_back, key, X, y)
    assert CALLS == [key]
