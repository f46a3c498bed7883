"""Figures of the classification study (notebook 03): accuracies, confusions, importances, a tree.

The numbers come from :mod:`genrelab.classify.evaluation` (the headline table, confusion counts,
importances); these functions only draw them.

Example
-------
>>> import pandas as pd
>>> from genrelab.plots import classification
>>> counts = pd.DataFrame([[8, 2], [1, 9]], index=["pop", "rock"], columns=["pop", "rock"])
>>> classification.confusion_heatmap(counts).axes[0].get_xlabel()
'predicted'
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import PercentFormatter
from sklearn.tree import plot_tree

from genrelab.plots.style import as_written, grid

__all__ = ["accuracy_comparison", "confusion_heatmap", "importances", "decision_tree"]


@as_written
def confusion_heatmap(counts: pd.DataFrame, title: str = "Confusion matrix") -> plt.Figure:
    """Row-normalized confusion matrix (recall on the diagonal) with counts in each cell.

    ``counts``: true classes x predicted classes
    (:meth:`genrelab.classify.fits.Scored.confusion`).
    """
    values = counts.to_numpy()
    share = values / values.sum(axis=1, keepdims=True)
    annot = np.array([[f"{s:.0%}\n{c}" for s, c in zip(rs, rc)] for rs, rc in zip(share, values)])
    fig, ax = plt.subplots(figsize=(6.8, 5.6))
    sns.heatmap(
        share,
        annot=annot,
        fmt="",
        cmap="Blues",
        vmin=0,
        vmax=1,
        xticklabels=list(counts.columns),
        yticklabels=list(counts.index),
        annot_kws={"size": 8},
        cbar_kws={"label": "share of true genre"},
        ax=ax,
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return fig


@as_written
def importances(impurity: pd.Series, permutation: pd.DataFrame) -> plt.Figure:
    """Impurity importances (random forest) beside permutation importances (best model, test set).

    ``impurity``: Series indexed by feature. ``permutation``: DataFrame with ``mean`` and ``std``.
    """
    order = permutation["mean"].sort_values().index
    fig, (a1, a2) = grid(2, ncols=2, panel=(5, 0.32 * len(order) + 1.4), sharey=True)
    a1.barh(order, impurity.reindex(order).to_numpy(), color=sns.color_palette()[0])
    a1.set_title("impurity (random forest)")
    a1.set_xlabel("mean decrease in impurity")
    a2.barh(
        order,
        permutation.loc[order, "mean"],
        xerr=permutation.loc[order, "std"],
        color=sns.color_palette()[1],
        error_kw={"lw": 1},
    )
    a2.set_title("permutation (best model, test set)")
    a2.set_xlabel("drop in accuracy")
    fig.suptitle("Which features the classifiers use", fontweight="bold")
    return fig


@as_written
def accuracy_comparison(
    table: pd.DataFrame, title: str = "Accuracy on the test split"
) -> plt.Figure:
    """Horizontal bars of accuracy with optional 95% intervals, one bar per row of ``table``.

    ``table`` has the columns ``accuracy``, ``kind`` (honest, leaky or baseline) and optionally
    ``ci_low`` / ``ci_high``, an interval of the same test accuracy (the bootstrap over test
    artists), not of a cross-validation estimate
    (:meth:`genrelab.classify.evaluation.ClassificationEvaluation.headline_table`).
    """
    kind_colors = {
        "honest": sns.color_palette()[0],
        "leaky": sns.color_palette()[3],
        "baseline": (0.6, 0.6, 0.6),
    }
    t = table.iloc[::-1]
    # the long row names take the left; the bars keep about 5 inches of their own
    width = max(8.0, 5.0 + 0.085 * max(len(str(name)) for name in t.index))
    fig, ax = plt.subplots(figsize=(width, 0.45 * len(t) + 1.2))
    ax.barh(t.index, t["accuracy"], color=t["kind"].map(kind_colors))
    if {"ci_low", "ci_high"} <= set(t.columns) and t["ci_low"].notna().any():
        has = t["ci_low"].notna()
        ax.errorbar(
            t.loc[has, "ci_low"] / 2 + t.loc[has, "ci_high"] / 2,
            np.flatnonzero(has.to_numpy()),
            xerr=(t.loc[has, "ci_high"] - t.loc[has, "ci_low"]) / 2,
            fmt="none",
            ecolor="k",
            capsize=3,
            lw=1,
        )
        ax.set_xlabel(
            "accuracy on the test split; whiskers: its 95% interval (bootstrap over test artists)"
        )
    right = t[["accuracy", "ci_high"]].max(axis=1) if "ci_high" in t else t["accuracy"]
    for i, (acc, x) in enumerate(zip(t["accuracy"], right)):
        ax.text(x + 0.01, i, f"{acc:.1%}", va="center", fontsize=9)
    ax.set_xlim(0, max(0.8, float(t["accuracy"].max()) + 0.08))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in kind_colors.values()]
    ax.legend(handles, list(kind_colors), loc="lower right")
    fig.suptitle(title, fontweight="bold")  # centred on the figure, not on the narrow axes
    return fig


@as_written
def decision_tree(
    tree, feature_names: Sequence[str], class_names: Sequence[str], max_depth: int | None = None
) -> plt.Figure:
    """A fitted decision tree drawn with scikit-learn's ``plot_tree``, nodes coloured by class."""
    depth = tree.get_depth() if max_depth is None else min(max_depth, tree.get_depth())
    fig, ax = plt.subplots(figsize=(max(10, 4.4 * 2**depth), 2.3 * (depth + 1)), layout="none")
    plot_tree(
        tree,
        feature_names=list(feature_names),
        class_names=[str(c) for c in class_names],
        filled=True,
        rounded=True,
        impurity=False,
        proportion=True,
        precision=2,
        max_depth=max_depth,
        fontsize=9,
        ax=ax,
    )
    ax.set_title(
        f"Decision tree (depth {depth}) on the audio features; "
        f"value = share of each genre ({', '.join(map(str, class_names))})",
        fontsize=14,
    )
    return fig
