"""Figures of the exploration (notebooks 01 and 02): what the genres look like in the features.

Example
-------
>>> import pandas as pd
>>> from genrelab.plots import eda
>>> df = pd.DataFrame({"genre": ["pop", "rock", "rock"], "playlist_subgenre": ["a", "b", "c"]})
>>> eda.subgenre_counts(df).axes[0].get_title()
'Rows per subgenre, coloured by genre'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from scipy.stats import gaussian_kde

from genrelab.plots.style import as_written, genre_palette, grid
from genrelab.schema import LABEL, PITCH_CLASSES

__all__ = [
    "subgenre_counts",
    "feature_densities",
    "tempo_by_genre",
    "correlation_heatmap",
    "genre_medians_heatmap",
]


@as_written
def subgenre_counts(tracks, label: str = LABEL, sub: str = "playlist_subgenre") -> plt.Figure:
    """Horizontal bars: rows per subgenre, grouped and coloured by genre."""
    counts = tracks.groupby([label, sub], observed=True).size().rename("rows").reset_index()
    counts = counts.sort_values([label, "rows"], ascending=[True, False], ignore_index=True)
    fig, ax = plt.subplots(figsize=(7, 0.26 * len(counts) + 1))
    colors = genre_palette(counts[label])
    ax.barh(range(len(counts)), counts["rows"], color=counts[label].map(colors))
    ax.set_yticks(range(len(counts)), counts[sub])
    ax.invert_yaxis()
    ax.set_xlabel("rows (track x playlist)")
    ax.set_title("Rows per subgenre, coloured by genre")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[g]) for g in colors]
    ax.legend(handles, list(colors), title=label, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


#: Above this many values a density curve is computed from binned counts (:func:`_density`).
DENSITY_EXACT_MAX = 50_000
#: Bins of the binned density: a bin is a small fraction of the bandwidth.
DENSITY_BINS = 4096


def _density(values: np.ndarray, clip, gridsize: int = 200, cut: float = 3.0):
    """A Gaussian kernel density (Scott's bandwidth) on a grid over the sample +- ``cut``
    bandwidths, within ``clip``: what ``seaborn.kdeplot`` draws, without its overhead per call
    (60 curves took 6.8 s through it). ``None`` when there is nothing to estimate.

    Past :data:`DENSITY_EXACT_MAX` values the kernels sit on the centres of
    :data:`DENSITY_BINS` equal bins weighted by their counts (the same bandwidth, from all the
    values): the cost no longer grows with the rows times the grid, and the curve differs from
    the exact one by far less than a line's width."""
    values = values[np.isfinite(values)]
    if len(values) < 2 or np.ptp(values) == 0:
        return None
    if len(values) > DENSITY_EXACT_MAX:
        return _binned_density(values, clip, gridsize, cut)
    kde = gaussian_kde(values)
    bw = float(np.sqrt(kde.covariance[0, 0]))
    lo, hi = max(values.min() - cut * bw, clip[0]), min(values.max() + cut * bw, clip[1])
    x = np.linspace(lo, hi, gridsize)
    return x, kde(x)


def _binned_density(values: np.ndarray, clip, gridsize: int, cut: float):
    """:func:`_density` of many values from binned counts (Scott's factor, as gaussian_kde)."""
    n = len(values)
    bw = float(np.std(values, ddof=1)) * n ** (-1 / 5)
    lo, hi = max(values.min() - cut * bw, clip[0]), min(values.max() + cut * bw, clip[1])
    x = np.linspace(lo, hi, gridsize)
    counts, edges = np.histogram(values, bins=DENSITY_BINS)
    centres = (edges[:-1] + edges[1:]) / 2
    used = counts > 0
    z = (x[:, None] - centres[used][None, :]) / bw
    density = np.exp(-0.5 * z * z) @ counts[used] / (n * bw * np.sqrt(2 * np.pi))
    return x, density


@as_written
def feature_densities(df, features, label: str = LABEL) -> plt.Figure:
    """The seed's grid: per-genre densities overlaid, one panel per feature.

    Continuous features get kernel density estimates; for ``key`` the share of each genre's
    tracks in each key, for ``mode`` the share in major. Duration is shown in minutes.
    """
    colors = genre_palette(df[label])
    genres = list(colors)
    fig, axes = grid(len(features))
    for ax, feat in zip(axes, features):
        if feat == "mode":
            share = df.groupby(label)["mode"].mean().reindex(genres)
            ax.bar(genres, share.to_numpy(), color=[colors[g] for g in genres])
            ax.set_ylabel("share in major")
            ax.set_ylim(0, 1)
            ax.tick_params(axis="x", labelsize=8)
        elif feat == "key":
            for g in genres:
                share = (
                    df.loc[df[label] == g, feat]
                    .value_counts(normalize=True)
                    .reindex(range(12), fill_value=0)
                )
                ax.plot(
                    range(12), share.to_numpy(), marker="o", ms=3, lw=1.3, color=colors[g], label=g
                )
            ax.set_xticks(range(12), PITCH_CLASSES, fontsize=7)
            ax.set_ylabel("share")
        else:
            values = df[feat] / 60_000 if feat == "duration_ms" else df[feat]
            clip = values.quantile([0.001, 0.999]).to_numpy()
            for g in genres:
                if (curve := _density(values[df[label] == g].to_numpy(float), clip)) is not None:
                    ax.plot(*curve, color=colors[g], lw=1.3, label=g)
            ax.set_ylabel("density")
            ax.set_yticks([])
        ax.set_title("duration (min)" if feat == "duration_ms" else feat)
        ax.set_xlabel("")
    handles = [plt.Line2D([], [], color=colors[g], lw=2) for g in genres]
    fig.legend(handles, genres, loc="outside lower center", ncols=len(genres))
    title = "Audio features by genre" if len(genres) > 1 else "Audio features"
    fig.suptitle(title, fontweight="bold")
    return fig


@as_written
def tempo_by_genre(df, label: str = LABEL) -> plt.Figure:
    """Tempo distribution of each genre (violins with quartiles), genres by median tempo."""
    medians = df.groupby(label)["tempo"].median()
    order = medians.sort_values().index.tolist()
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.violinplot(
        data=df,
        x=label,
        y="tempo",
        order=order,
        hue=label,
        palette=genre_palette(df[label]),
        inner="quart",
        cut=0,
        linewidth=0.8,
        ax=ax,
        legend=False,
    )
    ax.set_xticks(range(len(order)), [f"{g}\nmedian {medians[g]:.0f}" for g in order])
    ax.set_ylabel("tempo (BPM)")
    ax.set_xlabel("")
    ax.set_title("Tempo by genre" if len(order) > 1 else "Tempo")
    return fig


@as_written
def correlation_heatmap(df, features) -> plt.Figure:
    """Pearson correlations of the features, upper triangle masked, annotated."""
    corr = df[list(features)].corr().iloc[1:, :-1]  # first row and last column would be empty
    mask = np.triu(np.ones_like(corr, dtype=bool), k=1)
    fig, ax = plt.subplots(figsize=(8, 6.5))
    sns.heatmap(
        corr,
        mask=mask,
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
        center=0,
        annot=True,
        fmt=".2f",
        annot_kws={"size": 7},
        square=True,
        linewidths=0.5,
        cbar_kws={"shrink": 0.7, "label": "r"},
        ax=ax,
    )
    ax.grid(False)
    ax.set_title("Feature correlations (Pearson r)")
    return fig


@as_written
def genre_medians_heatmap(z) -> plt.Figure:
    """Heatmap of standardized genre medians (``eda.standardized_medians``: genres x features)."""
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(z) + 1.6))
    lim = float(np.nanmax(np.abs(z.to_numpy())))
    sns.heatmap(
        z,
        cmap="RdBu_r",
        center=0,
        vmin=-lim,
        vmax=lim,
        annot=True,
        fmt=".1f",
        annot_kws={"size": 8},
        linewidths=0.5,
        cbar_kws={"label": "z of the median"},
        ax=ax,
    )
    ax.set_ylabel("")
    ax.set_title("Which genres resemble which: standardized genre medians")
    plt.setp(ax.get_xticklabels(), rotation=35, ha="right")
    return fig
