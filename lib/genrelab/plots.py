"""One plotting style for every figure, and the one helper that saves figures into a run.

Genres keep the same colour in every figure (:data:`GENRE_COLORS`); call :func:`use_style`
once at the top of a notebook.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from .runs import Run
from .schema import PITCH_CLASSES

GENRE_ORDER = ["edm", "latin", "pop", "r&b", "rap", "rock"]
# colour-blind-safe palette, one fixed colour per snapshot genre
GENRE_COLORS = dict(zip(GENRE_ORDER, sns.color_palette("colorblind", len(GENRE_ORDER))))


def use_style() -> None:
    """The project's figure style: seaborn whitegrid, readable font sizes, tight layouts."""
    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind")
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "figure.constrained_layout.use": True,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.frameon": False,
        }
    )


def genre_palette(genres) -> dict:
    """Colours for ``genres``: the fixed ones for known genres, then the palette for others."""
    extra = iter(sns.color_palette("tab10", 10) * 3)
    return {g: GENRE_COLORS.get(g) or next(extra) for g in genres}


class SavedFigure(type(Path())):
    """The path of a saved figure, which Jupyter shows as the saved image itself.

    Showing the saved PNG instead of letting the inline backend draw the figure a second time
    halves the cost of every figure, and the notebook shows exactly what the run holds.
    """

    def _repr_png_(self):
        data = self.read_bytes()
        width = int.from_bytes(data[16:20], "big")  # PNG header: IHDR width
        dpi = plt.rcParams["savefig.dpi"]
        scale = plt.rcParams["figure.dpi"] / dpi if isinstance(dpi, (int, float)) else 1.0
        return data, {"width": round(width * scale)}


def save_fig(fig: plt.Figure, name: str, run: Run, *, featured: bool = False) -> SavedFigure:
    """Save ``fig`` as ``<run>/figures/<name>.png``, close it, and return the saved file.

    In a notebook, end the cell with the call (or ``display()`` it) to show the figure.

    Parameters
    ----------
    fig : matplotlib Figure
    name : str
        File stem, e.g. ``"02_feature_densities"`` (prefix it with the notebook number).
    run : Run
        The run directory to write into.
    featured : bool
        Mark it as one of the chosen figures that ``make figures`` copies to ``figures/``.
    """
    path = run.figures_dir / f"{name}.png"
    fig.savefig(path)
    plt.close(fig)
    if featured:
        run.mark_featured(path.name)
    return SavedFigure(path)


def subgenre_counts(tracks, label: str = "genre", sub: str = "playlist_subgenre") -> plt.Figure:
    """Horizontal bars: rows per subgenre, grouped and coloured by genre."""
    counts = tracks.groupby([label, sub], observed=True).size().rename("rows").reset_index()
    counts = counts.sort_values([label, "rows"], ascending=[True, False], ignore_index=True)
    fig, ax = plt.subplots(figsize=(7, 0.26 * len(counts) + 1))
    colors = genre_palette(counts[label].unique())
    ax.barh(range(len(counts)), counts["rows"], color=counts[label].map(colors))
    ax.set_yticks(range(len(counts)), counts[sub])
    ax.invert_yaxis()
    ax.set_xlabel("rows (track x playlist)")
    ax.set_title("Rows per subgenre, coloured by genre")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[g]) for g in colors]
    ax.legend(handles, list(colors), title=label, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


# --- exploration (notebook 02) ---------------------------------------------------------------------


def _grid(n: int, ncols: int = 4, size: tuple[float, float] = (3.4, 2.5)):
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows))
    axes = axes.ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def feature_densities(df, features, label: str = "genre") -> plt.Figure:
    """The seed's grid: per-genre densities overlaid, one panel per feature.

    Continuous features get kernel density estimates; for ``key`` the share of each genre's
    tracks in each key, for ``mode`` the share in major. Duration is shown in minutes.
    """
    genres = sorted(df[label].unique())
    colors = genre_palette(genres)
    fig, axes = _grid(len(features))
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
                sns.kdeplot(
                    values[df[label] == g],
                    ax=ax,
                    color=colors[g],
                    lw=1.3,
                    clip=clip,
                    label=g,
                    warn_singular=False,
                )
            ax.set_ylabel("density")
            ax.set_yticks([])
        ax.set_title("duration (min)" if feat == "duration_ms" else feat)
        ax.set_xlabel("")
    handles = [plt.Line2D([], [], color=colors[g], lw=2) for g in genres]
    fig.legend(handles, genres, loc="outside lower center", ncols=len(genres))
    fig.suptitle("Audio features by genre", fontweight="bold")
    return fig


def tempo_by_genre(df, label: str = "genre") -> plt.Figure:
    """Tempo distribution of each genre (violins with quartiles), genres by median tempo."""
    order = df.groupby(label)["tempo"].median().sort_values().index.tolist()
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.violinplot(
        data=df,
        x=label,
        y="tempo",
        order=order,
        hue=label,
        palette=genre_palette(order),
        inner="quart",
        cut=0,
        linewidth=0.8,
        ax=ax,
        legend=False,
    )
    medians = df.groupby(label)["tempo"].median()
    ax.set_xticks(range(len(order)), [f"{g}\nmedian {medians[g]:.0f}" for g in order])
    ax.set_ylabel("tempo (BPM)")
    ax.set_xlabel("")
    ax.set_title("Tempo by genre")
    return fig


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


# --- classification (notebook 03) -----------------------------------------------------------------
def confusion_heatmap(y_true, y_pred, classes, title: str = "Confusion matrix") -> plt.Figure:
    """Row-normalized confusion matrix (recall on the diagonal) with counts in each cell."""
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(y_true, y_pred, labels=classes)
    share = counts / counts.sum(axis=1, keepdims=True)
    annot = np.array([[f"{s:.0%}\n{c}" for s, c in zip(rs, rc)] for rs, rc in zip(share, counts)])
    fig, ax = plt.subplots(figsize=(6.8, 5.6))
    sns.heatmap(
        share,
        annot=annot,
        fmt="",
        cmap="Blues",
        vmin=0,
        vmax=1,
        xticklabels=classes,
        yticklabels=classes,
        annot_kws={"size": 8},
        cbar_kws={"label": "share of true genre"},
        ax=ax,
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return fig


def importances(impurity, permutation) -> plt.Figure:
    """Impurity importances (random forest) beside permutation importances (best model, test set).

    ``impurity``: Series indexed by feature. ``permutation``: DataFrame with ``mean`` and ``std``.
    """
    order = permutation["mean"].sort_values().index
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 0.32 * len(order) + 1.4), sharey=True)
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


def accuracy_comparison(table, title: str = "Accuracy on the test split") -> plt.Figure:
    """Horizontal bars of accuracy with optional 95% intervals (columns ``accuracy``, ``ci_low``,
    ``ci_high``, ``kind`` in {"honest", "leaky", "baseline"}), one bar per row of ``table``."""
    kind_colors = {
        "honest": sns.color_palette()[0],
        "leaky": sns.color_palette()[3],
        "baseline": (0.6, 0.6, 0.6),
    }
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(t) + 1.2))
    ax.barh(t.index, t["accuracy"], color=t["kind"].map(kind_colors))
    if {"ci_low", "ci_high"} <= set(t.columns):
        has = t["ci_low"].notna()
        ax.errorbar(
            t.loc[has, "ci_low"] / 2 + t.loc[has, "ci_high"] / 2,
            np.flatnonzero(has.to_numpy()),
            xerr=(t.loc[has, "ci_high"] - t.loc[has, "ci_low"]) / 2,
            fmt="none",
            ecolor="k",
            capsize=3,
            lw=1,
            label="95% interval, grouped CV",
        )
    right = t[["accuracy", "ci_high"]].max(axis=1) if "ci_high" in t else t["accuracy"]
    for i, (acc, x) in enumerate(zip(t["accuracy"], right)):
        ax.text(x + 0.01, i, f"{acc:.1%}", va="center", fontsize=9)
    ax.set_xlim(0, max(0.8, float(t["accuracy"].max()) + 0.08))
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in kind_colors.values()]
    ax.legend(handles, list(kind_colors), loc="lower right")
    ax.set_title(title)
    return fig


def decision_tree(tree, feature_names, class_names, max_depth: int | None = None) -> plt.Figure:
    """A fitted decision tree drawn with scikit-learn's ``plot_tree``, nodes coloured by class."""
    from sklearn.tree import plot_tree

    depth = tree.get_depth() if max_depth is None else min(max_depth, tree.get_depth())
    fig, ax = plt.subplots(figsize=(max(10, 4.4 * 2**depth), 2.3 * (depth + 1)), layout="none")
    plot_tree(
        tree,
        feature_names=list(feature_names),
        class_names=list(class_names),
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
