"""Exploration helpers behind notebook 02: genre profiles and how alike genres are."""

from __future__ import annotations

import numpy as np
import pandas as pd


def standardized_medians(df: pd.DataFrame, features, label: str = "genre") -> pd.DataFrame:
    """Each label's median of each feature as a z-score against all rows (labels x features).

    ``key`` and ``mode`` are skipped: the median of a pitch-class code or of a 0/1 flag means
    nothing.
    """
    cols = [f for f in features if f not in ("key", "mode")]
    return (df.groupby(label)[cols].median() - df[cols].mean()) / df[cols].std()


def genre_similarity(profiles: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation between the labels' standardized profiles (labels x labels)."""
    return profiles.T.corr()


def most_similar_pair(similarity: pd.DataFrame) -> tuple[str, str, float]:
    """The two different labels whose profiles correlate most: ``(a, b, r)``."""
    values = similarity.to_numpy(copy=True)
    np.fill_diagonal(values, -np.inf)
    i, j = np.unravel_index(np.argmax(values), values.shape)
    return similarity.index[i], similarity.columns[j], float(values[i, j])
