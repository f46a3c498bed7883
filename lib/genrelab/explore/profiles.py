"""Exploration helpers behind notebook 02: genre profiles and how alike genres are."""

from __future__ import annotations

import numpy as np
import pandas as pd

from genrelab.schema import DISCRETE_FEATURES


def standardized_medians(df: pd.DataFrame, features, label: str = "genre") -> pd.DataFrame:
    """Each label's median of each feature as a z-score against all rows (labels x features).

    ``key`` and ``mode`` are skipped: the median of a pitch-class code or of a 0/1 flag means
    nothing.
    """
    cols = [f for f in features if f not in DISCRETE_FEATURES]
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


# --- sentences written from the numbers (no notebook states a result of one table) ----------------
def tempo_spread_sentence(df: pd.DataFrame, label: str = "genre", tempo: str = "tempo") -> str:
    """Which label's tempo sits in the narrowest band and which spreads widest (interquartile
    ranges), as one Markdown sentence."""
    quartiles = df.groupby(label)[tempo].quantile([0.25, 0.5, 0.75]).unstack()
    quartiles.columns = ["q1", "median", "q3"]
    spread = quartiles["q3"] - quartiles["q1"]
    narrow, wide = spread.idxmin(), spread.idxmax()
    q_n, q_w = quartiles.loc[narrow], quartiles.loc[wide]
    return (
        f"**{narrow}** has the narrowest tempo band: half its tracks lie between "
        f"{q_n.q1:.0f} and {q_n.q3:.0f} BPM (median {q_n['median']:.0f}); **{wide}** spreads "
        f"widest, {q_w.q1:.0f}–{q_w.q3:.0f} BPM. A wide band can mean half- and double-time "
        "readings of the same pulse as much as varied music."
    )


def strongest_correlations(corr: pd.DataFrame, n: int = 2) -> tuple[list, list]:
    """The ``n`` most positive and ``n`` most negative pairs of a correlation matrix, each as
    ``(a, b, r)``, strongest first."""
    upper = corr.where(np.triu(np.ones(corr.shape, dtype=bool), k=1)).stack()
    pairs = [(a, b, float(r)) for (a, b), r in upper.items()]
    positive = sorted((p for p in pairs if p[2] > 0), key=lambda p: -p[2])[:n]
    negative = sorted((p for p in pairs if p[2] < 0), key=lambda p: p[2])[:n]
    return positive, negative


def correlation_sentence(corr: pd.DataFrame, n: int = 2) -> str:
    """The strongest correlations of a matrix as one Markdown sentence."""
    positive, negative = strongest_correlations(corr, n)

    def pairs(items) -> str:
        return ", ".join(f"{a} and {b} (r = {r:+.2f})" for a, b, r in items) or "none"

    return f"Strongest together: {pairs(positive)}. Strongest against: {pairs(negative)}."


def shape_table(df: pd.DataFrame, features) -> pd.DataFrame:
    """Per feature: the share of rows at exactly 0 and the skewness (how far from a Gaussian)."""
    cols = list(features)
    return pd.DataFrame({"share exactly 0": (df[cols] == 0).mean(), "skewness": df[cols].skew()})


def shape_sentence(df: pd.DataFrame, features, n: int = 3) -> str:
    """The features least like a Gaussian (largest absolute skewness; the share of tracks at
    exactly 0 where it is large), as one Markdown sentence."""
    skew = df[list(features)].skew().abs().sort_values(ascending=False).head(n)
    parts = []
    for feature, value in skew.items():
        zeros = float((df[feature] == 0).mean())
        at_zero = f", {zeros:.0%} of tracks at exactly 0" if zeros >= 0.05 else ""
        parts.append(f"{feature} (|skew| {value:.1f}{at_zero})")
    return (
        "The features least like a Gaussian: " + "; ".join(parts) + ". Extra mixture "
        "components can buy likelihood by modelling such shapes rather than genres."
    )
