"""Large tables (issue 27): selection subsample, binned densities, vectorised label conflicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import gaussian_kde

from genrelab import tables
from genrelab.classify import selection
from genrelab.plots import eda


def test_selection_rows_all_when_small():
    groups = np.repeat(np.arange(50), 3)
    assert selection.selection_rows(groups, 150) is None
    assert selection.selection_rows(groups, 0) is None
    assert selection.selection_rows(groups, None) is None


def test_selection_rows_whole_groups_seeded():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 2000, 20_000).astype(str)
    rows = selection.selection_rows(groups, 5000, seed=1)
    assert rows is not None
    assert 5000 <= len(rows) < 5000 + np.bincount(pd.factorize(groups)[0]).max()
    assert np.all(np.diff(rows) > 0)  # original order
    kept = set(groups[rows])
    assert not kept & set(np.delete(groups, rows))  # a group is in or out, never split
    np.testing.assert_array_equal(rows, selection.selection_rows(groups, 5000, seed=1))
    assert not np.array_equal(rows, selection.selection_rows(groups, 5000, seed=2))


def test_binned_density_matches_exact():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.beta(2, 5, 60_000), rng.normal(0.8, 0.05, 20_000)])
    x, binned = eda._density(values, (0.0, 1.0))  # past DENSITY_EXACT_MAX: binned
    exact = gaussian_kde(values)(x)
    assert np.abs(binned - exact).max() < 1e-3 * exact.max()


def _label_conflicts_by_track(df: pd.DataFrame, label: str = "genre") -> pd.DataFrame:
    """The former implementation: a Python call per track."""
    sets = df.groupby("track_id")[label].agg(lambda s: tuple(sorted(set(s))))
    sets = sets[sets.map(len) > 1]
    return sets.map(" + ".join).value_counts().rename_axis("labels").reset_index(name="tracks")


@pytest.mark.parametrize("label", ["genre", "playlist_subgenre"])
def test_label_conflicts_as_before(label):
    raw = tables.read_tracks()
    pd.testing.assert_frame_equal(
        tables.label_conflicts(raw, label), _label_conflicts_by_track(raw, label)
    )


def test_compact_text_keeps_values_and_survives_parquet(tmp_path):
    raw = tables.read_tracks()
    compact = tables.compact_text(raw)
    assert compact["genre"].dtype == "category"
    assert compact["playlist_name"].dtype == "category"
    assert compact["track_id"].dtype != "category"  # one value per track: stays text
    for column in raw.columns:
        if pd.api.types.is_numeric_dtype(raw[column]):
            assert compact[column].dtype == raw[column].dtype, column
        left, right = raw[column].astype(object), compact[column].astype(object)
        pd.testing.assert_series_equal(left, right, check_names=False)
    converted = [c for c in raw.columns if compact[c].dtype == "category"]
    size = {
        name: t[converted].memory_usage(deep=True).sum()
        for name, t in [("raw", raw), ("compact", compact)]
    }
    assert size["compact"] < 0.5 * size["raw"]
    compact.to_parquet(tmp_path / "t.parquet", index=False)
    back = pd.read_parquet(tmp_path / "t.parquet")
    assert back["genre"].dtype == "category"
    assert raw["genre"].dtype != "category"  # the input was not changed in place


def _grouped_table(n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = pd.DataFrame(rng.normal(size=(n, 4)) + y[:, None] * 0.5, columns=list("abcd"))
    groups = rng.integers(0, 300, n).astype(str)
    return X, np.array(["pop", "rock", "rap"])[y], groups


@pytest.mark.parametrize(("tree_rows", "expected"), [(200, 200), (10_000, 0.5)])
def test_refitted_forest_draws_at_most_tree_rows(monkeypatch, tree_rows, expected):
    monkeypatch.setattr(selection, "FOREST_TREE_ROWS", tree_rows)
    X, y, groups = _grouped_table()
    search = selection.grid_search(
        X, y, groups, models=["random_forest"], cv_folds=3, n_jobs=1, progress=False, max_rows=1000
    )
    assert search.selection_rows_ is not None and search.selection_rows_ < len(X)
    forest = search.best_estimator_[-1]
    assert forest.max_samples == expected
    assert forest.n_features_in_ == 4 and len(forest.estimators_) == 60


def test_compact_text_leaves_unhashable_and_unique_columns_alone():
    df = pd.DataFrame(
        {
            "genre": ["pop", "rock"] * 3,
            "track_id": [f"id{i}" for i in range(6)],
            "artists": [["a"], ["b"]] * 3,  # a collected column of lists
            "tempo": [120.0] * 6,
        }
    )
    out = tables.compact_text(df)
    assert out["genre"].dtype == "category"
    assert out["track_id"].dtype == df["track_id"].dtype
    assert out["artists"].dtype == object and out["artists"][0] == ["a"]
    assert out["tempo"].dtype == "float64"
    assert tables.compact_text(df.iloc[:0]).shape == (0, 4)
