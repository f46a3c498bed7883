"""How two partitions of the same items agree: contingency, matched agreement, ARI, AMI.

The one place clusters are scored against labels or against other clusters: notebook 04's
mixtures against the genres (:mod:`genrelab.mixture.bic`), reference clusters against aubio
clusters (:mod:`genrelab.audio.compare`), and each cluster's genres in the predictor
(:func:`label_shares`).

Example
-------
>>> from genrelab.mixture.partition import partition_scores
>>> partition_scores([0, 0, 1, 1], [1, 1, 0, 0])["ari"]
1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score


def hungarian_agreement(a, b) -> tuple[float, dict]:
    """Share of items on which two partitions agree after the best one-to-one matching of clusters.

    Returns the agreement and the mapping {cluster of ``b`` -> cluster of ``a``} (Hungarian
    algorithm on the contingency table, ``scipy.optimize.linear_sum_assignment``).

    Examples
    --------
    >>> hungarian_agreement([0, 0, 1, 1, 2], [5, 5, 7, 7, 7])[0]
    0.8
    """
    table = contingency(a, b)
    rows, cols = linear_sum_assignment(-table.values)
    agreement = table.values[rows, cols].sum() / table.values.sum()
    mapping = {table.columns[c]: table.index[r] for r, c in zip(rows, cols)}
    return float(agreement), mapping


def contingency(a, b) -> pd.DataFrame:
    """Counts of items per (cluster of ``a``, cluster of ``b``)."""
    return pd.crosstab(pd.Series(np.asarray(a), name="a"), pd.Series(np.asarray(b), name="b"))


def matched_contingency(a, b) -> pd.DataFrame:
    """:func:`contingency` with ``b``'s columns in the order of the rows they are matched to.

    The matching is :func:`hungarian_agreement`'s; columns left unmatched (``b`` has more
    clusters than ``a``) come last. A good match then shows as a dark diagonal.
    """
    table = contingency(a, b)
    _, mapping = hungarian_agreement(a, b)  # cluster of b -> cluster of a
    rows = list(table.index)
    order = sorted(
        table.columns, key=lambda c: (rows.index(mapping[c]) if c in mapping else len(rows), c)
    )
    return table[order]


def partition_scores(a, b) -> dict:
    """ARI, AMI and Hungarian-matched agreement of two labelings of the same items."""
    a, b = np.asarray(a), np.asarray(b)
    return {
        "ari": float(adjusted_rand_score(a, b)),
        "ami": float(adjusted_mutual_info_score(a, b)),
        "agreement": hungarian_agreement(a, b)[0],
    }


def label_shares(clusters, labels, n_clusters: int) -> pd.DataFrame:
    """Share of each cluster's items per label: rows ``0 .. n_clusters - 1`` (an empty cluster
    is a row of zeros), columns the labels, each non-empty row summing to 1."""
    table = pd.crosstab(
        pd.Series(np.asarray(clusters), name="cluster"),
        pd.Series(np.asarray(labels), name="label"),
        normalize="index",
    )
    return table.reindex(range(n_clusters), fill_value=0.0)
