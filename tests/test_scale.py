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
