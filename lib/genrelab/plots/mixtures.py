"""Figures of the Gaussian mixtures (notebook 04 part 1): clusters, BIC, genres, PCA, profiles.

Every function draws on a new figure (or on ``ax``) and returns the figure, for
:func:`genrelab.plots.save_fig <genrelab.plots.style.save_fig>`. Clusters take
:func:`~genrelab.plots.style.cluster_palette` (not the genre colours), so a cluster is never
mistaken for a genre.

Example
-------
>>> import numpy as np
>>> from genrelab.mixture.em import GaussianMixtureEM
>>> from genrelab.plots import mixtures
>>> X = np.random.default_rng(0).normal(size=(200, 2))
>>> gmm = GaussianMixtureEM(2, random_state=0).fit(X)
>>> fig = mixtures.clusters_2d(X, gmm.predict(X), gmm, ["a", "b"])
>>> fig.axes[0].get_xlabel()
'a'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Ellipse
from matplotlib.ticker import StrMethodFormatter
from sklearn.decomposition import PCA

from genrelab.plots.style import as_written, cluster_palette, figure_and_axes, genre_order

__all__ = ["clusters_2d", "bic_curves", "cluster_genres", "pca_clusters", "cluster_profiles"]


def _subsample(n: int, max_points: int | None, seed: int) -> np.ndarray:
    if max_points is None or n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))


def _full_covariances(gmm) -> np.ndarray:
    """Every component's covariance as a (k, d, d) matrix, whatever the covariance type."""
    k, d = gmm.means_.shape
    cov = np.asarray(gmm.covariances_)
    return {
        "full": lambda: cov,
        "tied": lambda: np.broadcast_to(cov, (k, d, d)),
        "diag": lambda: np.einsum("ki,ij->kij", cov, np.eye(d)),
        "spherical": lambda: cov[:, None, None] * np.eye(d),
    }[gmm.covariance_type]()


def _ellipse(ax, mean, cov, n_std, color, **kw):
    vals, vecs = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1]))
    w, h = 2 * n_std * np.sqrt(np.maximum(vals[::-1], 0))
    ax.add_patch(Ellipse(mean, w, h, angle=angle, fill=False, edgecolor=color, **kw))


def _scatter_clusters(ax, P, labels, colors, idx):
    ax.scatter(
        P[idx, 0],
        P[idx, 1],
        c=[colors[c] for c in labels[idx]],
        s=4,
        alpha=0.35,
        linewidths=0,
        rasterized=True,
    )


@as_written
def clusters_2d(
    X,
    labels,
    gmm,
    feature_names: Sequence[str],
    *,
    point: Sequence[float] | None = None,
    point_label: str = "test song",
    max_points: int | None = 15000,
    seed: int = 0,
    ax=None,
):
    """Scatter of 2-D data coloured by cluster, each component's mean (x) and 1/2-sd ellipses.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    labels : array-like of shape (n_samples,)
        Cluster of each point (e.g. ``gmm.predict(X)``).
    gmm : fitted GaussianMixtureEM (or scikit-learn GaussianMixture) on these 2 features
    feature_names : two str
        Axis labels.
    point : two floats, optional
        A point to highlight (a star), e.g. the seed study's test song.
    max_points : int or None
        Draw at most this many points (a random subset; the means use all).
    """
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    k = gmm.means_.shape[0]
    colors = cluster_palette(k)
    fig, ax = figure_and_axes(ax, (6.5, 5.5))
    idx = _subsample(len(X), max_points, seed)
    _scatter_clusters(ax, X, labels, colors, idx)
    covs = _full_covariances(gmm)
    for c in range(k):
        for n_std, style in ((1, "-"), (2, "--")):
            _ellipse(ax, gmm.means_[c], covs[c], n_std, colors[c], lw=1.6, ls=style)
        mean = f"({gmm.means_[c, 0]:.2f}, {gmm.means_[c, 1]:.2f})"
        ax.scatter(
            *gmm.means_[c],
            marker="X",
            s=160,
            color=colors[c],
            edgecolor="black",
            linewidth=1.2,
            zorder=5,
            label=f"cluster {c}: mean {mean}, weight {gmm.weights_[c]:.2f}",
        )
    if point is not None:
        ax.scatter(
            *point,
            marker="*",
            s=320,
            color="gold",
            edgecolor="black",
            linewidth=1.2,
            zorder=6,
            label=point_label,
        )
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.legend(loc="best", fontsize=9, frameon=True, framealpha=0.9)
    shown = f"{len(idx):,} of {len(X):,} points" if len(idx) < len(X) else f"{len(X):,} points"
    ax.set_title(
        f"{k}-component mixture ({gmm.covariance_type}); ellipses: 1 and 2 sd; {shown}", fontsize=10
    )
    return fig


@as_written
def bic_curves(grid: pd.DataFrame, *, ax=None):
    """BIC against the number of components, one line per covariance type; the minimum circled.

    Parameters
    ----------
    grid : DataFrame
        ``genrelab.mixture.bic.bic_grid``'s table.
    """
    fig, ax = figure_and_axes(ax, (8.5, 4.5))
    sns.lineplot(
        data=grid,
        x="n_components",
        y="bic",
        hue="covariance_type",
        style="covariance_type",
        markers=True,
        dashes=False,
        ax=ax,
    )
    best = grid.loc[grid["bic"].idxmin()]
    ax.scatter(
        best["n_components"],
        best["bic"],
        s=250,
        facecolor="none",
        edgecolor="black",
        linewidth=2,
        zorder=5,
        label=f"lowest BIC: k={int(best['n_components'])}, {best['covariance_type']}",
    )
    ax.set_xlabel("number of components k")
    ax.set_ylabel("BIC (lower is better)")
    ax.set_xticks(sorted(grid["n_components"].unique()))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    # outside the axes, so no line is hidden
    ax.legend(title="covariance type", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return fig


@as_written
def cluster_genres(labels, genres, *, ax=None):
    """Heatmap of each cluster's genre mix (row shares, annotated in %), cluster sizes on the left.

    Parameters
    ----------
    labels : array-like
        Cluster of each track.
    genres : array-like
        Genre of each track; the columns follow :func:`~genrelab.plots.style.genre_order`.
    """
    table = pd.crosstab(
        pd.Series(np.asarray(labels), name="cluster"), pd.Series(np.asarray(genres), name="genre")
    )
    order = genre_order(table.columns)
    table = table[order]
    share = table.div(table.sum(axis=1), axis=0)
    fig, ax = figure_and_axes(ax, (1.1 * len(order) + 2.5, 0.45 * len(table) + 1.8))
    sns.heatmap(
        share * 100,
        annot=True,
        fmt=".0f",
        cmap="rocket_r",
        vmin=0,
        vmax=100,
        cbar_kws={"label": "% of the cluster"},
        ax=ax,
    )
    ax.set_yticklabels([f"{c} (n={n:,})" for c, n in table.sum(axis=1).items()], rotation=0)
    ax.set_xlabel("genre (playlist label)")
    ax.set_ylabel("cluster")
    ax.set_title("Genre mix of each cluster (% of its tracks)")
    return fig


@as_written
def pca_clusters(X, labels, *, means=None, max_points: int | None = 15000, seed: int = 0, ax=None):
    """Points projected on the data's first two principal components, coloured by cluster.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The (standardized) features the mixture was fitted on.
    labels : array-like of shape (n_samples,)
    means : array-like of shape (n_components, n_features), optional
        Component means, projected and marked with their cluster number.
    """
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    pca = PCA(n_components=2, random_state=seed).fit(X)
    P = pca.transform(X)
    k = int(labels.max()) + 1 if means is None else len(means)
    colors = cluster_palette(k)
    fig, ax = figure_and_axes(ax, (7, 5.5))
    _scatter_clusters(ax, P, labels, colors, _subsample(len(X), max_points, seed))
    if means is not None:
        M = pca.transform(np.asarray(means, dtype=float))
        for c, (x, y) in enumerate(M):
            ax.scatter(
                x, y, marker="o", s=260, color=colors[c], edgecolor="black", linewidth=1.2, zorder=5
            )
            ax.annotate(
                str(c), (x, y), ha="center", va="center", fontsize=9, fontweight="bold", zorder=6
            )
    r = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC1 ({r[0]:.0%} of the variance)")
    ax.set_ylabel(f"PC2 ({r[1]:.0%} of the variance)")
    ax.set_title(
        "Clusters in the first two principal components (numbers: component means)", fontsize=10
    )
    return fig


@as_written
def cluster_profiles(means, feature_names: Sequence[str], *, weights=None, ax=None):
    """Heatmap of the clusters' mean features (standardized units), one row per cluster.

    Parameters
    ----------
    means : array-like of shape (n_components, n_features)
        Component means in standardized units (0 = the average track, 1 = one sd above).
    feature_names : sequence of str
    weights : array-like of shape (n_components,), optional
        Shown next to each cluster's number.
    """
    means = np.asarray(means, dtype=float)
    k = len(means)
    rows = [f"{c}" + (f" ({weights[c]:.0%})" if weights is not None else "") for c in range(k)]
    fig, ax = figure_and_axes(ax, (0.9 * len(feature_names) + 2.5, 0.45 * k + 2.0))
    lim = max(1.0, float(np.nanpercentile(np.abs(means), 98)))
    sns.heatmap(
        pd.DataFrame(means, index=rows, columns=list(feature_names)),
        annot=True,
        fmt=".1f",
        cmap="vlag",
        center=0,
        vmin=-lim,
        vmax=lim,
        cbar_kws={"label": "mean (standardized)"},
        ax=ax,
    )
    ax.set_xticklabels(ax.get_xticklabels(), rotation=35, ha="right")
    ax.set_ylabel("cluster (weight)")
    ax.set_title(
        "Cluster profiles: mean of each feature, in standard deviations from the average track",
        fontsize=10,
    )
    return fig
