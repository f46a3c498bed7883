"""Figures of the audio study (notebook 04 part 2): aubio against the reference features.

The numbers come from :mod:`genrelab.audio.compare`; a figure whose data the source lacks (no
reference tempo, nothing to predict, too few clips to cluster) is a placeholder saying so.

Example
-------
>>> import pandas as pd
>>> from genrelab.plots import audio
>>> table = pd.DataFrame({"tempo": [120.0, 61.0], "ref_tempo": [121.0, 120.0], "label": ["a", "b"]})
>>> audio.tempo_scatter(table).axes[0].get_xscale()
'log'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

from genrelab.plots.style import as_written, grid, placeholder

__all__ = ["tempo_scatter", "mimic_bars", "cluster_heatmaps"]


@as_written
def tempo_scatter(
    table: pd.DataFrame,
    *,
    estimated: str = "tempo",
    reference: str = "ref_tempo",
    hue: str = "label",
    tol: float = 0.04,
) -> plt.Figure:
    """Aubio tempo against the reference tempo (log axes) with the 1x band and the 2x, 1/2x,
    3x, 1/3x lines Accuracy2 forgives; points coloured by ``hue``."""
    if reference not in table or table[reference].notna().sum() == 0:
        return placeholder("no reference tempo in this source")
    if hue not in table:
        table = table.assign(**{hue: pd.NA})
    data = table[[estimated, reference, hue]].dropna(subset=[estimated, reference])
    data = data[(data[estimated] > 0) & (data[reference] > 0)]
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    lo = 0.8 * min(data[reference].min(), data[estimated].min(), 60)
    hi = 1.25 * max(data[reference].max(), data[estimated].max(), 200)
    line = np.geomspace(lo, hi, 50)
    ax.fill_between(
        line, line * (1 - tol), line * (1 + tol), color="0.85", label=f"±{tol:.0%} (Accuracy1)"
    )
    for factor, style, name in (
        (2, "--", "2x"),
        (1 / 2, "--", "½x"),
        (3, ":", "3x"),
        (1 / 3, ":", "⅓x"),
    ):
        ax.plot(line, line * factor, style, color="0.5", lw=1)
        x = min(hi / 1.08, hi / factor / 1.08)  # label the line near the upper-right edge
        ax.annotate(name, (x, x * factor), color="0.35", fontsize=9, ha="right", va="bottom")
    has_hue = data[hue].notna().any()
    sns.scatterplot(
        data=data,
        x=reference,
        y=estimated,
        hue=hue if has_hue else None,
        style=hue if has_hue else None,
        ax=ax,
        s=34,
        edgecolor="none",
        alpha=0.85,
    )
    ax.set(
        xscale="log",
        yscale="log",
        xlim=(lo, hi),
        ylim=(lo, hi),
        xlabel="reference tempo (BPM)",
        ylabel="genrelab tempo (BPM)",
        title="Tempo: genrelab vs the reference",
    )
    ticks = [t for t in (40, 50, 60, 80, 100, 120, 150, 200, 250, 300) if lo <= t <= hi]
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(FixedLocator(ticks))
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_locator(NullLocator())
        axis.set_minor_formatter(NullFormatter())
    # outside the axes: inside, it would cover the 1/2x and 1/3x lines and their points
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    return fig


@as_written
def mimic_bars(r2: pd.DataFrame) -> plt.Figure:
    """Cross-validated R^2 per reference feature (:func:`genrelab.audio.compare.mimic_r2`).

    Ridge on every descriptor (bar, ± one sd over folds) and a straight line on the best single
    descriptor (dot). R^2 below -0.5 is drawn at -0.5.
    """
    if r2.empty:
        return placeholder("no reference feature to predict in this source")
    r2 = r2.sort_values("r2").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.6, 0.55 * len(r2) + 2.0))
    floor = -0.5
    ridge = r2["r2"].clip(lower=floor)
    colors = ["#4c72b0" if v >= 0 else "#c44e52" for v in r2["r2"]]
    ax.barh(
        r2.index,
        ridge,
        color=colors,
        height=0.6,
        label="ridge on all descriptors (± sd over folds)",
    )
    lower = np.minimum(r2["r2_std"], ridge - floor)
    upper = np.minimum(r2["r2_std"], 1.0 - ridge).clip(lower=0)
    ax.errorbar(ridge, r2.index, xerr=[lower, upper], fmt="none", ecolor="0.25", capsize=3)
    ax.scatter(
        r2["r2_single"].clip(lower=floor),
        r2.index,
        color="#dd8452",
        zorder=3,
        s=40,
        label="straight line on the best single descriptor",
    )
    for y, row in r2.iterrows():
        ax.annotate(
            f"{row['r2']:.2f} / {row['r2_single']:.2f}\n({row['best_feature']})",
            (1.06, y),
            va="center",
            fontsize=8,
        )
    ax.axvline(0, color="0.3", lw=0.8)
    ax.axvline(1, color="0.6", lw=0.8, ls=":")
    ax.set_yticks(r2.index, r2["target"])
    ax.set(
        xlim=(floor - 0.05, 1.45),
        xlabel="cross-validated R² (values below -0.5 drawn at -0.5)",
        ylabel="reference feature",
        title="How well aubio's descriptors predict each reference feature",
    )
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.3 - 0.1 / max(len(r2), 1)), ncol=1, fontsize=8
    )
    return fig


@as_written
def cluster_heatmaps(result: dict | None, *, label_name: str = "label") -> plt.Figure:
    """Heatmaps of the EM partitions (:func:`genrelab.audio.compare.cluster_comparison`'s result).

    Reference clusters x aubio clusters (Hungarian-ordered) and, when the result holds label
    tables, the labels x each partition's clusters; counts annotated. Without reference clusters
    (no reference features), the labels x the aubio clusters alone.
    """
    if result is None:
        return placeholder("no continuous reference features (or too few clips) to cluster")
    panels = []
    if result.get("contingency") is not None:
        panels.append(
            (
                "reference clusters",
                "aubio clusters",
                result["contingency"],
                f"ARI {result['ari_ref_vs_aubio']:.2f} · AMI {result['ami_ref_vs_aubio']:.2f} · "
                f"agreement {result['agreement_ref_vs_aubio']:.0%}",
            )
        )
    for which, key in (("reference", "ref"), ("aubio", "aubio")):
        table = result.get("label_contingency", {}).get(key)
        if table is not None:
            scores = (
                f"ARI {result[f'ari_{key}_vs_labels']:.2f} · "
                f"AMI {result[f'ami_{key}_vs_labels']:.2f}"
            )
            panels.append((label_name, f"{which} clusters", table, scores))
    fig, axes = grid(len(panels), ncols=len(panels), panel=(4.6, 4.2))
    for ax, (ylabel, xlabel, table, subtitle) in zip(axes, panels):
        sns.heatmap(table, annot=True, fmt="d", cmap="rocket_r", cbar=False, ax=ax)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=subtitle)
        ax.tick_params(axis="y", rotation=0)
    # without reference features (a folder without its CSV), the aubio clusters vs the labels
    title = (
        f"EM with k={result['k']}: reference features vs aubio features"
        if result.get("contingency") is not None
        else f"EM with k={result['k']} on the aubio features vs the labels ({label_name})"
    )
    fig.suptitle(title, fontweight="bold")
    return fig
