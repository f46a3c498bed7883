"""Every figure of the study, by topic, in one style.

Modules
-------
style           use_style, palettes, the panel grid, placeholders, save_fig, labels as written
eda             notebooks 01-02: subgenre counts, feature densities, tempo, correlations, medians
classification  notebook 03: accuracy comparison, confusion matrices, importances, decision tree
mixtures        notebook 04 part 1: clusters in 2-D, BIC curves, cluster x genre, PCA, profiles
audio           notebook 04 part 2: aubio tempo, mimicry R^2, reference vs aubio clusters
taste           notebook 02: a listener against the public, two listeners side by side

Every drawing function returns a new matplotlib figure for :func:`save_fig`; none computes a
result the notebooks record (the numbers come from the model modules). Call :func:`use_style`
once at the top of a notebook. Labels are drawn as written (no mathtext; a font fallback for
CJK and emoji where one is installed).

Examples
--------
>>> from genrelab import plots
>>> plots.use_style()
>>> fig = plots.placeholder("nothing to draw")
>>> fig.axes[0].texts[0].get_text()
'nothing to draw'
"""

from __future__ import annotations

from genrelab.plots import audio, classification, eda, mixtures, style, taste
from genrelab.plots.style import (
    as_written,
    cluster_palette,
    figure_and_axes,
    genre_order,
    genre_palette,
    grid,
    placeholder,
    plain_text,
    save_fig,
    show_saved,
    use_style,
)

__all__ = [
    "audio",
    "classification",
    "eda",
    "mixtures",
    "style",
    "taste",
    "show_saved",
    "as_written",
    "cluster_palette",
    "figure_and_axes",
    "genre_order",
    "genre_palette",
    "grid",
    "placeholder",
    "plain_text",
    "save_fig",
    "use_style",
]
