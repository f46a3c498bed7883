"""Notebook 03's honest split: one row per track, and the test artists never seen in training.

:func:`split_tracks` dedups the table by an explicit policy (:func:`genrelab.tables.dedup`) and
splits it by artist (:func:`genrelab.classify.selection.honest_split`); the :class:`HonestSplit`
it returns gives the training and test rows of any model frame built from its tracks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genrelab import tables
from genrelab.classify import selection as sel
from genrelab.schema import LABEL
from genrelab.tables.dedup import Policy


@dataclass(frozen=True)
class HonestSplit:
    """One row per track and an artist-grouped train/test split of them (row positions)."""

    tracks: pd.DataFrame
    dedup_report: tables.DedupReport
    y: np.ndarray
    groups: np.ndarray
    train: np.ndarray
    test: np.ndarray
    dedup_policy: str
    group_column: str
    test_size: float
    seed: int

    @property
    def artist_honest(self) -> bool:
        """Whether the split holds out artists: False when the table names no artist, and each
        track is then its own group (an artist may sit on both sides)."""
        return self.group_column in self.tracks and bool(
            self.tracks[self.group_column].notna().any()
        )

    @property
    def y_train(self) -> np.ndarray:
        return self.y[self.train]

    @property
    def y_test(self) -> np.ndarray:
        return self.y[self.test]

    @property
    def groups_train(self) -> np.ndarray:
        return self.groups[self.train]

    @property
    def groups_test(self) -> np.ndarray:
        return self.groups[self.test]

    def train_rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The training rows of a frame aligned with :attr:`tracks` (e.g. a model frame)."""
        return frame.iloc[self.train]

    def test_rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The held-out rows of a frame aligned with :attr:`tracks`."""
        return frame.iloc[self.test]

    def summary(self) -> str:
        """How many tracks and artists sit on each side (none on both)."""
        if not self.artist_honest:
            return (
                f"{len(self.train):,} training and {len(self.test):,} test tracks, grouped by "
                f"track: the table has no {self.group_column} column, so the split is not "
                "artist-honest (an artist may sit on both sides)"
            )
        return (
            f"{len(self.train):,} training and {len(self.test):,} test tracks; "
            f"{len(set(self.groups[self.train])):,} and {len(set(self.groups[self.test])):,} "
            "artists, none on both sides"
        )

    def policy(self, cv_folds: int) -> dict[str, Any]:
        """The evaluation policy in words, for ``metrics.json``."""
        column = self.group_column if self.artist_honest else "track_id"
        share = self.test_size
        return {
            "dedup": self.dedup_policy,
            "split": f"grouped by {column}, {1 - share:.0%}/{share:.0%}",
            "cv": f"{cv_folds} {column}-grouped stratified folds of the training split",
            "seed": self.seed,
        }


def split_tracks(
    rows: pd.DataFrame,
    dedup_policy: Policy = "drop_conflicting",
    test_size: float = 0.2,
    group_column: str = "track_artist",
    seed: int = 42,
) -> HonestSplit:
    """Deduplicate the per-playlist ``rows`` and split the tracks with no artist on both sides."""
    tracks, report = tables.dedup(rows, dedup_policy)
    if group_column not in tracks:  # no artist column: every track its own group
        tracks = tracks.assign(**{group_column: pd.NA})
    train, test = sel.honest_split(tracks, test_size, group_column, seed)
    return HonestSplit(
        tracks=tracks,
        dedup_report=report,
        y=tracks[LABEL].to_numpy(),
        groups=sel.artist_groups(tracks, group_column),
        train=train,
        test=test,
        dedup_policy=dedup_policy,
        group_column=group_column,
        test_size=test_size,
        seed=seed,
    )
