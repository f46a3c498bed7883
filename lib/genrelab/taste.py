"""A listener's taste against the public distribution of audio features.

"The user" is a table of tracks with the audio features: their liked tracks with features
(:func:`liked_with_features`, needs a Spotify login), or offline one snapshot playlist
standing in for them (:func:`user_from_snapshot`). "The public" is the snapshot (one row per
track). :func:`compare` gives per-feature numbers (means, medians, a standardised
difference, where the user's median falls in the public distribution, a two-sample
Kolmogorov-Smirnov test); :func:`plot_taste` draws user vs public per feature and
:func:`plot_two_users` two users side by side over the public.

Example
-------
>>> from genrelab import data, taste
>>> public = data.snapshot_tracks()                                   # doctest: +SKIP
>>> me = taste.user_from_snapshot(public, seed=1)                     # doctest: +SKIP
>>> taste.compare(me, public)                                         # doctest: +SKIP
>>> fig = taste.plot_taste(me, public, user_label=me.attrs["user"])   # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from scipy import stats

from . import data, schema, spotify

FEATURES = schema.CONTINUOUS_FEATURES
PUBLIC_COLOR = "0.65"
USER_COLORS = ("#0072B2", "#D55E00")  # colour-blind-safe blue / vermillion


def user_from_snapshot(
    public: pd.DataFrame | None = None,
    playlist_id: str | None = None,
    *,
    min_tracks: int = 40,
    seed: int = 42,
) -> pd.DataFrame:
    """One snapshot playlist standing in for a user's liked tracks (offline).

    Parameters
    ----------
    public : DataFrame, optional
        A tracks table with ``playlist_id`` / ``playlist_name`` (default: the validated
        snapshot, one row per (track, playlist)).
    playlist_id : str, optional
        The playlist to use; default a random one (``seed``) with at least ``min_tracks`` tracks.

    Returns
    -------
    DataFrame
        That playlist's tracks, one row each; ``attrs["user"]`` names the playlist.
    """
    df = public if public is not None else data.load_tracks(invalid="drop")
    if playlist_id is None:
        sizes = df.groupby("playlist_id")["track_id"].nunique()
        eligible = sizes.index[sizes >= min_tracks].sort_values()
        if not len(eligible):
            raise ValueError(f"no playlist has {min_tracks} tracks or more; lower min_tracks")
        playlist_id = str(np.random.default_rng(seed).choice(np.asarray(eligible)))
    user = df[df["playlist_id"] == playlist_id].drop_duplicates("track_id").reset_index(drop=True)
    if user.empty:
        raise ValueError(f"playlist {playlist_id!r} is not in the table")
    name = user["playlist_name"].iloc[0] if "playlist_name" in user else playlist_id
    user.attrs["user"] = f"playlist “{name}”"
    return user


def liked_with_features(
    limit: int | None = None, *, features_source: str = "auto", client=None
) -> pd.DataFrame:
    """The logged-in user's liked tracks with audio features (tracks without features dropped, listed).

    Needs a user login (``python -m genrelab.spotify login``); ``client`` may be a
    :func:`genrelab.spotify.user_client` for another user.
    """
    sp = client or spotify.user_client()
    liked = spotify.liked_tracks(limit, client=sp)
    with_features = spotify.add_features(liked, source=features_source, client=sp)
    out = with_features.dropna(subset=schema.AUDIO_FEATURES).reset_index(drop=True)
    out.attrs.update(with_features.attrs)
    out.attrs["user"] = "your liked tracks"
    return out


def _percentile_of(values: np.ndarray, x: float) -> float:
    return float(100 * (np.sum(values < x) + 0.5 * np.sum(values == x)) / len(values))


def compare(
    user: pd.DataFrame, public: pd.DataFrame, features: Sequence[str] = FEATURES
) -> pd.DataFrame:
    """Per-feature comparison of a user's tracks with the public distribution.

    Returns
    -------
    DataFrame
        One row per feature: ``user_n``, ``user_mean``, ``public_mean``, ``user_median``,
        ``public_median``, ``std_diff`` (difference of means in public standard deviations),
        ``user_median_percentile`` (where the user's median falls among public tracks, 0-100),
        ``ks_stat`` and ``ks_pvalue`` (two-sample Kolmogorov-Smirnov), sorted by
        ``|std_diff|`` (the most distinctive features first).
    """
    missing = [f for f in features if f not in user or f not in public]
    if missing:
        raise KeyError(f"feature columns missing: {missing}")
    rows = []
    for f in features:
        u = pd.to_numeric(user[f], errors="coerce").dropna().to_numpy(float)
        p = pd.to_numeric(public[f], errors="coerce").dropna().to_numpy(float)
        if len(u) == 0 or len(p) == 0:
            raise ValueError(
                f"no values of {f!r} in the {'user' if len(u) == 0 else 'public'} table"
            )
        ks = stats.ks_2samp(u, p)
        sd = p.std(ddof=1) if len(p) > 1 else float("nan")
        rows.append(
            {
                "feature": f,
                "user_n": len(u),
                "user_mean": u.mean(),
                "public_mean": p.mean(),
                "user_median": float(np.median(u)),
                "public_median": float(np.median(p)),
                "std_diff": (u.mean() - p.mean()) / sd if sd else float("nan"),
                "user_median_percentile": _percentile_of(p, float(np.median(u))),
                "ks_stat": float(ks.statistic),
                "ks_pvalue": float(ks.pvalue),
            }
        )
    out = pd.DataFrame(rows)
    return out.reindex(out["std_diff"].abs().sort_values(ascending=False).index).reset_index(
        drop=True
    )


def compare_users(
    a: pd.DataFrame,
    b: pd.DataFrame,
    public: pd.DataFrame | None = None,
    features: Sequence[str] = FEATURES,
    labels: tuple[str, str] = ("A", "B"),
) -> pd.DataFrame:
    """Two users side by side: each one's mean (and percentile in the public, if given), and a KS test between them."""
    rows = []
    for f in features:
        u, v = (pd.to_numeric(x[f], errors="coerce").dropna().to_numpy(float) for x in (a, b))
        row = {"feature": f, f"{labels[0]}_mean": u.mean(), f"{labels[1]}_mean": v.mean()}
        if public is not None:
            p = pd.to_numeric(public[f], errors="coerce").dropna().to_numpy(float)
            row[f"{labels[0]}_median_percentile"] = _percentile_of(p, float(np.median(u)))
            row[f"{labels[1]}_median_percentile"] = _percentile_of(p, float(np.median(v)))
        ks = stats.ks_2samp(u, v)
        row.update(ks_stat=float(ks.statistic), ks_pvalue=float(ks.pvalue))
        rows.append(row)
    return pd.DataFrame(rows)


def _grid(n: int, ncols: int):
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.6 * ncols, 2.6 * nrows + 0.6), squeeze=False, layout="constrained"
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def _bins(f: str, *tables: pd.DataFrame, n: int = 20) -> np.ndarray:
    values = np.concatenate(
        [pd.to_numeric(t[f], errors="coerce").dropna().to_numpy(float) for t in tables]
    )
    if f in schema.UNIT_FEATURES:
        return np.linspace(0, 1, n + 1)
    lo, hi = np.quantile(values, [0.005, 0.995])  # keep rare extremes from squashing the plot
    return np.linspace(lo, hi, n + 1)


def plot_taste(
    user: pd.DataFrame,
    public: pd.DataFrame,
    features: Sequence[str] = FEATURES,
    *,
    user_label: str | None = None,
    public_label: str = "public (snapshot)",
    ncols: int = 3,
) -> plt.Figure:
    """Per-feature distributions: the public as grey bars, the user as a line, medians marked.

    Densities are normalised per group, so a user with 50 tracks and a public of 26,000 share
    one scale. Each panel's title gives the user's median percentile in the public.
    """
    user_label = user_label or user.attrs.get("user", "user")
    fig, axes = _grid(len(features), ncols)
    for ax, f in zip(axes, features):
        bins = _bins(f, public, user)
        p = pd.to_numeric(public[f], errors="coerce").dropna()
        u = pd.to_numeric(user[f], errors="coerce").dropna()
        ax.hist(
            p.clip(bins[0], bins[-1]),
            bins=bins,
            density=True,
            color=PUBLIC_COLOR,
            alpha=0.6,
            label=public_label,
        )
        ax.hist(
            u.clip(bins[0], bins[-1]),
            bins=bins,
            density=True,
            histtype="step",
            linewidth=2,
            color=USER_COLORS[0],
            label=user_label,
        )
        ax.axvline(p.median(), color="0.3", linestyle=":", linewidth=1.2)
        ax.axvline(u.median(), color=USER_COLORS[0], linestyle="--", linewidth=1.2)
        ax.set_title(
            f"{f} (user median: {_percentile_of(p.to_numpy(), float(u.median())):.0f}th pct)",
            fontsize=10,
        )
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


def plot_two_users(
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
    fig, axes = _grid(len(features), ncols)
    for ax, f in zip(axes, features):
        tables = [t for t in (public, a, b) if t is not None]
        bins = _bins(f, *tables)
        if public is not None:
            p = pd.to_numeric(public[f], errors="coerce").dropna()
            ax.hist(
                p.clip(bins[0], bins[-1]),
                bins=bins,
                density=True,
                color=PUBLIC_COLOR,
                alpha=0.5,
                label="public",
            )
        for t, label, color in zip((a, b), labels, USER_COLORS):
            v = pd.to_numeric(t[f], errors="coerce").dropna()
            ax.hist(
                v.clip(bins[0], bins[-1]),
                bins=bins,
                density=True,
                histtype="step",
                linewidth=2,
                color=color,
                label=label,
            )
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
