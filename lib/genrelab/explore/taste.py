"""A listener's taste against the public distribution of audio features.

"The user" is a table of tracks with the audio features: their liked tracks with features
(:func:`genrelab.collect.library.liked_with_features`, needs a Spotify login), or offline one
snapshot playlist
standing in for them (:func:`user_from_snapshot`). "The public" is the snapshot (one row per
track). :func:`compare_with_public` gives per-feature numbers (means, medians, a standardised
difference, where the user's median falls in the public distribution, a two-sample
Kolmogorov-Smirnov test); :func:`compare_users` puts two users side by side. The figures are
:mod:`genrelab.plots.taste`'s.

Example
-------
>>> from genrelab import tables
>>> from genrelab.explore import taste
>>> public = tables.snapshot_tracks()                                   # doctest: +SKIP
>>> me = taste.user_from_snapshot(public, seed=1)                     # doctest: +SKIP
>>> taste.compare_with_public(me, public)                                         # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from genrelab import schema, tables

FEATURES = schema.CONTINUOUS_FEATURES


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
    df = public if public is not None else tables.load_tracks(invalid="drop")
    if playlist_id is None:
        sizes = df.groupby("playlist_id")["track_id"].nunique()
        eligible = sizes.index[sizes >= min_tracks].sort_values()
        if not len(eligible):
            raise ValueError(
                f"no playlist has {min_tracks} tracks or more (the largest has {sizes.max()}); "
                f"lower user_min_tracks (notebook 02), min_tracks= here, or name a playlist"
            )
        playlist_id = str(np.random.default_rng(seed).choice(np.asarray(eligible)))
    user = df[df["playlist_id"] == playlist_id].drop_duplicates("track_id").reset_index(drop=True)
    if user.empty:
        raise ValueError(f"playlist {playlist_id!r} is not in the table")
    name = user["playlist_name"].iloc[0] if "playlist_name" in user else playlist_id
    user.attrs["user"] = f"playlist “{name}”"
    return user


def percentile_of(values: np.ndarray, x: float) -> float:
    """Where ``x`` falls among ``values``, 0-100 (ties count half: the mid-rank percentile)."""
    return float(100 * (np.sum(values < x) + 0.5 * np.sum(values == x)) / len(values))


def compare_with_public(
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
                "user_median_percentile": percentile_of(p, float(np.median(u))),
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
    """Two users side by side: each one's mean (and percentile in the public, if given), and a
    KS test between them."""
    rows = []
    for f in features:
        u, v = (pd.to_numeric(x[f], errors="coerce").dropna().to_numpy(float) for x in (a, b))
        row = {"feature": f, f"{labels[0]}_mean": u.mean(), f"{labels[1]}_mean": v.mean()}
        if public is not None:
            p = pd.to_numeric(public[f], errors="coerce").dropna().to_numpy(float)
            row[f"{labels[0]}_median_percentile"] = percentile_of(p, float(np.median(u)))
            row[f"{labels[1]}_median_percentile"] = percentile_of(p, float(np.median(v)))
        ks = stats.ks_2samp(u, v)
        row.update(ks_stat=float(ks.statistic), ks_pvalue=float(ks.pvalue))
        rows.append(row)
    return pd.DataFrame(rows)
