"""Figures of a listener's taste (notebook 02): a user against the public, two users side by side.

The numbers come from :mod:`genrelab.explore.taste`. The public is drawn as grey bars, users as
lines
in colour-blind-safe blue and vermillion; densities are normalised per group, so a user with 50
tracks and a public of 26,000 share one scale.

Example
-------
>>> import pandas as pd
>>> from genrelab.plots import taste
>>> public = pd.DataFrame({"energy": [0.1, 0.5, 0.9, 0.7]})
>>> fig = taste.user_vs_public(public.head(2), public, features=["energy"], ncols=1)
>>> fig.axes[0].get_title()
'energy (user median: 25th pct)'
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from genrelab import schema
from genrelab.explore.taste import FEATURES, percentile_of
from genrelab.plots.style import as_written, grid

__all__ = ["user_vs_public", "two_users", "PUBLIC_COLOR", "USER_COLORS"]

PUBLIC_COLOR = "0.65"
USER_COLORS = ("#0072B2", "#D55E00")  # colour-blind-safe blue / vermillion
#: One panel's size (inches) and the room below the panels for the shared legend.
_PANEL, _LEGEND_HEIGHT = (3.6, 2.6), 0.6


def _values(table: pd.DataFrame, feature: str) -> pd.Series:
    return pd.to_numeric(table[feature], errors="coerce").dropna()


def _bins(feature: str, *tables: pd.DataFrame, n: int = 20) -> np.ndarray:
    """Shared bin edges: [0, 1] for unit features, else the 0.5-99.5 % range of all values."""
    if feature in schema.UNIT_FEATURES:
        return np.linspace(0, 1, n + 1)
    values = np.concatenate([_values(t, feature).to_numpy(float) for t in tables])
    lo, hi = np.quantile(values, [0.005, 0.995])  # keep rare extremes from squashing the plot
    return np.linspace(lo, hi, n + 1)


def _hist(ax, values: pd.Series, bins: np.ndarray, **style) -> None:
    ax.hist(values.clip(bins[0], bins[-1]), bins=bins, density=True, **style)


@as_written
def user_vs_public(
    user: pd.DataFrame,
    public: pd.DataFrame,
    features: Sequence[str] = FEATURES,
    *,
    user_label: str | None = None,
    public_label: str = "public (snapshot)",
    ncols: int = 3,
) -> plt.Figure:
    """Per-feature distributions: the public as grey bars, the user as a line, medians marked.

    Each panel's title gives the user's median percentile in the public
    (:func:`genrelab.explore.taste.percentile_of`).
    """
    user_label = user_label or user.attrs.get("user", "user")
    fig, axes = grid(len(features), ncols, _PANEL, extra_height=_LEGEND_HEIGHT)
    for ax, f in zip(axes, features):
        bins = _bins(f, public, user)
        p, u = _values(public, f), _values(user, f)
        _hist(ax, p, bins, color=PUBLIC_COLOR, alpha=0.6, label=public_label)
        _hist(ax, u, bins, histtype="step", linewidth=2, color=USER_COLORS[0], label=user_label)
        ax.axvline(p.median(), color="0.3", linestyle=":", linewidth=1.2)
        ax.axvline(u.median(), color=USER_COLORS[0], linestyle="--", linewidth=1.2)
        pct = percentile_of(p.to_numpy(), float(u.median()))
        ax.set_title(f"{f} (user median: {pct:.0f}th pct)", fontsize=10)
        ax.set_yticks([])
    handles, names = axes[0].get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3", linestyle=":"),
        Line2D([], [], color=USER_COLORS[0], linestyle="--"),
    ]
    names += ["public median", "user median"]
    fig.legend(handles, names, loc="outside lower center", ncols=4)
    fig.suptitle(
        f"Taste: {user_label} ({len(user)} tracks) vs {public_label} ({len(public):,} tracks)"
    )
    fig.supylabel("density")
    return fig


@as_written
def two_users(
    a: pd.DataFrame,
    b: pd.DataFrame,
    public: pd.DataFrame | None = None,
    features: Sequence[str] = FEATURES,
    *,
    labels: tuple[str, str] | None = None,
    ncols: int = 3,
) -> plt.Figure:
    """Two users' per-feature distributions side by side (lines), over the public (grey bars)."""
    labels = labels or (a.attrs.get("user", "user A"), b.attrs.get("user", "user B"))
    fig, axes = grid(len(features), ncols, _PANEL, extra_height=_LEGEND_HEIGHT)
    for ax, f in zip(axes, features):
        bins = _bins(f, *[t for t in (public, a, b) if t is not None])
        if public is not None:
            _hist(ax, _values(public, f), bins, color=PUBLIC_COLOR, alpha=0.5, label="public")
        for t, label, color in zip((a, b), labels, USER_COLORS):
            v = _values(t, f)
            _hist(ax, v, bins, histtype="step", linewidth=2, color=color, label=label)
            ax.axvline(v.median(), color=color, linestyle="--", linewidth=1.2)
        ax.set_title(f, fontsize=10)
        ax.set_yticks([])
    handles, names = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], color="0.3", linestyle="--"))
    names.append("medians (dashed)")
    fig.legend(handles, names, loc="outside lower center", ncols=4)
    fig.suptitle(f"{labels[0]} ({len(a)} tracks) vs {labels[1]} ({len(b)} tracks)")
    fig.supylabel("density")
    return fig
