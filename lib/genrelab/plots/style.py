"""One look for every figure: the style, the two palettes, the panel grid, saving, placeholders.

Genres get their colours from the labels present (:func:`genre_palette`: the sorted labels,
each with a colour of seaborn's colour-blind palette), so a genre keeps its colour in every
figure of a run whatever the genres are. Clusters get another palette (:func:`cluster_palette`),
so a cluster is never mistaken for a genre. Every multi-panel figure is laid out by
:func:`grid`; every figure is saved by :func:`save_fig`.

Example
-------
>>> from genrelab.plots import style
>>> colors = style.genre_palette(["rock", "pop", "rock"])
>>> list(colors)
['pop', 'rock']
>>> fig, axes = style.grid(3, ncols=2)
>>> [ax.get_visible() for ax in fig.axes]
[True, True, True, False]
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ParamSpec, TypeVar

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from genrelab.runs import Run

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "use_style",
    "genre_order",
    "genre_palette",
    "cluster_palette",
    "grid",
    "figure_and_axes",
    "placeholder",
    "show_saved",
    "save_fig",
    "plain_text",
    "as_written",
]

#: Fonts tried, in this order, for a character DejaVu Sans lacks (CJK, emoji, symbols), when
#: installed: matplotlib >= 3.6 draws each glyph with the first font of the list that has it.
FALLBACK_FONTS = (
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Noto Sans JP",
    "Noto Sans SC",
    "Noto Emoji",
    "Symbola",
    "Noto Sans Symbols2",
)


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
            # labels come from the user's table: "$money$" is a name, not mathematics
            "text.parse_math": False,
            "font.sans-serif": _with_fallbacks(plt.rcParams["font.sans-serif"]),
        }
    )


def _installed_fonts() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def _with_fallbacks(families: list[str]) -> list[str]:
    """``families`` with the installed :data:`FALLBACK_FONTS` right after the first installed
    one (seaborn lists Arial first, which is often missing: DejaVu Sans draws then)."""
    installed = _installed_fonts()
    extra = [f for f in FALLBACK_FONTS if f in installed and f not in families]
    at = next((i + 1 for i, f in enumerate(families) if f in installed), 0)
    return [*families[:at], *extra, *families[at:]]


@functools.lru_cache(maxsize=8)
def _drawable(families: tuple[str, ...]) -> frozenset[int]:
    """The code points the installed fonts of ``families`` (and matplotlib's default) can draw."""
    installed = _installed_fonts()
    paths = {font_manager.findfont("DejaVu Sans")}
    for family in families:
        if family in installed:
            paths.add(font_manager.findfont(family, fallback_to_default=False))
    return frozenset(code for path in paths for code in FT2Font(path).get_charmap())


_NOTED: list[str] = []  # the characters of the one missing-font note of this session


def plain_text(fig: plt.Figure) -> plt.Figure:
    """Draw every text of ``fig`` as written, no mathtext: a label ``$money$`` stays a name, and
    ``$\\x$`` no longer stops the drawing. :func:`save_fig` calls it (and draws with no
    mathtext, so tick labels made while drawing stay plain too)."""
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return fig


def as_written(draw: Callable[P, R]) -> Callable[P, R]:
    """Decorate a drawing function: it draws with no mathtext (seaborn measures its labels while
    drawing) and its figure's texts stay plain (:func:`plain_text`), with or without
    :func:`use_style`."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with plt.rc_context({"text.parse_math": False}):
            out = draw(*args, **kwargs)
            fig = getattr(out, "figure", None) if not isinstance(out, plt.Figure) else out
            if isinstance(fig, plt.Figure):
                plain_text(fig)
        return out

    return wrapper


def _note_missing_glyphs(fig: plt.Figure) -> None:
    """Log once a session when no installed font has some characters of ``fig``'s texts (CJK,
    emoji: drawn as boxes), naming a font to install."""
    if _NOTED:
        return
    drawable = _drawable(tuple(plt.rcParams["font.sans-serif"]))
    missing = {
        c
        for text in fig.findobj(Text)
        for c in text.get_text()
        if ord(c) > 0x7F and not c.isspace() and ord(c) not in drawable
    }
    if missing:
        _NOTED.extend(sorted(missing))
        log.warning(
            "no installed font draws %s (shown as boxes in the figures); install a font that "
            "has them, e.g. Noto Sans CJK (Debian: fonts-noto-cjk), and genrelab uses it",
            " ".join(_NOTED),
        )


# --- the two palettes ---------------------------------------------------------------------------
def genre_order(genres: Iterable) -> list:
    """The distinct labels of ``genres``, sorted: the order of genres in every figure."""
    return sorted(set(genres), key=str)


def genre_palette(genres: Iterable) -> dict:
    """``{genre: colour}`` for the distinct labels in ``genres``, in sorted order.

    The colours follow the sorted labels: seaborn's colour-blind palette for up to 10 labels,
    evenly spaced hues beyond. The same set of labels always gets the same colours, so pass every
    label present in the data (not the subset one panel shows).
    """
    labels = genre_order(genres)
    colors = (
        sns.color_palette("colorblind", len(labels))
        if len(labels) <= 10
        else sns.color_palette("husl", len(labels))
    )
    return dict(zip(labels, colors))


def cluster_palette(n_clusters: int) -> list:
    """Distinct colours for clusters 0..n-1 (Tableau 10, then 20, then evenly spaced hues)."""
    if n_clusters <= 10:
        return sns.color_palette("tab10", n_clusters)
    if n_clusters <= 20:
        return sns.color_palette("tab20", n_clusters)
    return sns.color_palette("husl", n_clusters)


# --- layouts ------------------------------------------------------------------------------------
def grid(
    n: int,
    ncols: int = 4,
    panel: tuple[float, float] = (3.4, 2.5),
    *,
    extra_height: float = 0.0,
    sharey: bool = False,
):
    """A figure of ``n`` panels, ``ncols`` to a row; the unused cells of the last row hidden.

    Parameters
    ----------
    n : int
        Panels wanted.
    ncols : int
        Panels per row.
    panel : (width, height)
        Size of one panel in inches.
    extra_height : float
        Inches added to the figure's height (room for a shared legend).
    sharey : bool
        Panels share the y axis.

    Returns
    -------
    fig, list of Axes
        The figure and its first ``n`` axes, row by row.
    """
    if n < 1 or ncols < 1:
        raise ValueError(f"a grid needs at least one panel and one column: n={n}, ncols={ncols}")
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel[0] * ncols, panel[1] * nrows + extra_height),
        squeeze=False,
        sharey=sharey,
        layout="constrained",
    )
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def figure_and_axes(ax=None, figsize: tuple[float, float] = (6.4, 4.8)):
    """``(fig, ax)``: a new single-panel figure, or ``ax`` and its figure when one is given."""
    if ax is None:
        return plt.subplots(figsize=figsize)
    return ax.figure, ax


@as_written
def placeholder(text: str) -> plt.Figure:
    """A small figure that says why the real one cannot be drawn (e.g. no reference data)."""
    fig, ax = plt.subplots(figsize=(6.4, 1.6))
    ax.text(0.5, 0.5, text, ha="center", va="center")
    ax.set_axis_off()
    return fig


# --- saving -------------------------------------------------------------------------------------
def show_saved(path: Path) -> None:
    """Show a saved PNG in the notebook running this code (nothing outside a Jupyter kernel).

    Showing the saved file instead of letting the inline backend draw the figure a second time
    halves the cost of every figure, and the notebook shows exactly what the run holds.
    """
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):  # a script, or a terminal IPython
        return
    data = path.read_bytes()
    width = int.from_bytes(data[16:20], "big")  # PNG header: IHDR width
    dpi = plt.rcParams["savefig.dpi"]
    scale = plt.rcParams["figure.dpi"] / dpi if isinstance(dpi, (int, float)) else 1.0
    display(Image(data=data, format="png", width=round(width * scale)))


def save_fig(fig: plt.Figure, name: str, run: Run, *, featured: bool = False) -> None:
    """Save ``fig`` as ``<run>/figures/<name>.png``, close it, and show the saved file.

    In a notebook the figure appears where the call is, whatever the cell does after it (and the
    call returns nothing a cell would print); the file is ``run.figures_dir / f"{name}.png"``.

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
    with plt.rc_context({"text.parse_math": False}):
        plain_text(fig).savefig(path)
    _note_missing_glyphs(fig)  # after drawing: tick labels get their text when drawn
    plt.close(fig)
    if featured:
        run.mark_featured(path.name)
    show_saved(path)
