"""One plotting style for every figure, and the one helper that saves figures into a run.

Genres keep the same colour in every figure (:data:`GENRE_COLORS`); call :func:`use_style`
once at the top of a notebook.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns

from .runs import Run

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


def save_fig(fig: plt.Figure, name: str, run: Run, *, featured: bool = False) -> Path:
    """Save ``fig`` as ``<run>/figures/<name>.png`` and return the path.

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
    if featured:
        run.mark_featured(path.name)
    return path


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
