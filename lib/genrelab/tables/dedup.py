"""One row per track: the snapshot's tracks sit in several playlists, some under several genres.

:func:`dedup` applies an explicit policy (``drop_conflicting``, ``majority``, ``keep_first``) and
returns a :class:`DedupReport` of what it removed; :func:`duplicates_summary`,
:func:`label_conflicts` and :func:`policy_effects` (what each policy would remove) give the facts
the choice depends on. A policy that leaves no track, or a single label of several, raises
:class:`DedupError` naming the policy and what the other ones would keep.

A table without labels (``genre`` all missing, :func:`has_labels`) has nothing to resolve: every
policy keeps the first row of each track.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

from genrelab.errors import GenrelabError

log = logging.getLogger(__name__)

Policy = Literal["drop_conflicting", "majority", "keep_first"]
DEDUP_POLICIES: tuple[str, ...] = ("drop_conflicting", "majority", "keep_first")
#: The note of a section skipped because the table has no labels (:func:`has_labels`).
NO_GENRES = "skipped: the table has no genres"


class DedupError(GenrelabError, ValueError):
    """A dedup policy leaves no track, or one label of several; the message names the policy
    and what each other policy would keep."""


def has_labels(df: pd.DataFrame, label: str = "genre") -> bool:
    """Whether the table holds a label for some row (a table without genres holds none)."""
    return label in df.columns and bool(df[label].notna().any())


def one_label(df: pd.DataFrame, name: str = "all tracks", label: str = "genre") -> pd.DataFrame:
    """A table without genres with one label for every row, so figures by genre draw all the
    tracks as one group."""
    return df.assign(**{label: name})


def duplicates_summary(df: pd.DataFrame, label: str = "genre") -> dict[str, int]:
    """The facts dedup depends on: rows, unique tracks, tracks in several playlists / labels."""
    per_track = df.groupby("track_id", sort=False)
    n_labels = per_track[label].nunique()
    return {
        "rows": len(df),
        "tracks": int(df["track_id"].nunique()),
        "tracks_in_several_rows": int((per_track.size() > 1).sum()),
        "tracks_with_several_labels": int((n_labels > 1).sum()),
        "rows_of_conflicting_tracks": int(df["track_id"].isin(n_labels.index[n_labels > 1]).sum()),
    }


def label_conflicts(df: pd.DataFrame, label: str = "genre") -> pd.DataFrame:
    """Pairs of labels that one track carries at once, with how many tracks carry each pair."""
    # each track's distinct labels, sorted and joined, without a Python call per track (the
    # call per track took 31 s for 590k rows); tracks in id order, as groupby sorts them
    pairs = df[["track_id", label]].dropna().drop_duplicates()
    pairs = pairs[pairs.groupby("track_id", sort=False)[label].transform("size") > 1]
    pairs = pairs.assign(**{label: pairs[label].astype("str")}).sort_values(["track_id", label])
    sets = pairs.groupby("track_id", sort=True)[label].agg(" + ".join)
    return sets.value_counts().rename_axis("labels").reset_index(name="tracks")


@dataclass(frozen=True)
class DedupReport:
    policy: str
    rows_in: int
    rows_out: int
    tracks_in: int
    tracks_out: int
    conflicting_tracks: int

    @property
    def rows_removed(self) -> int:
        return self.rows_in - self.rows_out

    @property
    def tracks_removed(self) -> int:
        return self.tracks_in - self.tracks_out

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "rows_removed": self.rows_removed,
            "tracks_removed": self.tracks_removed,
        }

    def __str__(self) -> str:
        return (
            f"dedup[{self.policy}]: {self.rows_in:,} rows -> {self.rows_out:,} "
            f"(removed {self.rows_removed:,} rows; {self.tracks_removed:,} of {self.tracks_in:,} "
            f"tracks dropped; {self.conflicting_tracks:,} tracks had conflicting labels)"
        )


def dedup(
    df: pd.DataFrame, policy: Policy = "drop_conflicting", label: str = "genre"
) -> tuple[pd.DataFrame, DedupReport]:
    """One row per track, with an explicit policy for tracks that carry several labels.

    Parameters
    ----------
    policy : {"drop_conflicting", "majority", "keep_first"}
        * ``drop_conflicting`` drops every track whose rows carry more than one label, then
          keeps one row per remaining track.
        * ``majority`` keeps, per track, a row with its most frequent label (ties: the label
          seen first).
        * ``keep_first`` keeps the first row of every track, whatever its label.
    label : str
        The label column.

    Returns
    -------
    (DataFrame, DedupReport)
        Rows in their original order, index reset, and what was removed.
    """
    if policy not in DEDUP_POLICIES:
        raise ValueError(f"unknown dedup policy {policy!r}; choose one of {DEDUP_POLICIES}")
    out, report = _dedup(df, policy, label)
    if has_labels(df, label):
        _check(df, out, report, label)
    log.info("%s", report)
    return out, report


def _dedup(df: pd.DataFrame, policy: str, label: str) -> tuple[pd.DataFrame, DedupReport]:
    if not has_labels(df, label):  # nothing to resolve
        out = df.drop_duplicates("track_id").reset_index(drop=True)
        n_tracks = int(df["track_id"].nunique())
        return out, DedupReport(policy, len(df), len(out), n_tracks, n_tracks, 0)
    n_labels = df.groupby("track_id", sort=False)[label].transform("nunique")
    conflicting = int(df.loc[n_labels > 1, "track_id"].nunique())
    if policy == "drop_conflicting":
        out = df[n_labels == 1].drop_duplicates("track_id")
    elif policy == "keep_first":
        out = df.drop_duplicates("track_id")
    else:
        counts = df.groupby(["track_id", label], sort=False).size().rename("_n").reset_index()
        best = counts.sort_values("_n", ascending=False, kind="stable").drop_duplicates("track_id")
        out = df.merge(best[["track_id", label]], on=["track_id", label], how="inner")
        out = out.drop_duplicates("track_id")
    out = out.reset_index(drop=True)
    report = DedupReport(
        policy,
        len(df),
        len(out),
        int(df["track_id"].nunique()),
        int(out["track_id"].nunique()),
        conflicting,
    )
    return out, report


def policy_effects(df: pd.DataFrame, label: str = "genre") -> pd.DataFrame:
    """What each policy would do to the table: rows and tracks removed, tracks and labels left
    (one row per policy of ``DEDUP_POLICIES``)."""
    rows = []
    for policy in DEDUP_POLICIES:
        out, report = _dedup(df, policy, label)
        rows.append(
            {
                "policy": policy,
                "rows_removed": report.rows_removed,
                "tracks_removed": report.tracks_removed,
                "tracks_left": report.tracks_out,
                "labels_left": int(out[label].nunique()) if label in out else 0,
            }
        )
    return pd.DataFrame(rows).set_index("policy")


def _labels(n: int) -> str:
    return f"{n} label" if n == 1 else f"{n} labels"


def policy_note(effects: pd.DataFrame) -> str | None:
    """A sentence naming the policies of :func:`policy_effects` that leave no track or a single
    label (a notebook whose ``dedup_policy`` is one of them stops), or ``None``."""
    bad = effects[(effects["tracks_left"] == 0) | (effects["labels_left"] < 2)]
    if bad.empty or (effects["labels_left"] < 2).all() and effects["tracks_left"].all():
        return None  # nothing fails, or a table of one label (or none) to begin with
    what = [
        f"{p!r} leaves {'no track' if not e.tracks_left else _labels(e.labels_left)}"
        for p, e in bad.iterrows()
    ]
    good = [p for p in effects.index if p not in bad.index]
    tail = f"choose {' or '.join(map(repr, good))}" if good else "no policy keeps two labels"
    return (
        f"With this table, {'; '.join(what)}: a notebook whose dedup_policy is "
        f"{'one of them' if len(bad) > 1 else 'that one'} stops there ({tail})."
    )


def _check(df: pd.DataFrame, out: pd.DataFrame, report: DedupReport, label: str) -> None:
    """Raise :class:`DedupError` when the policy leaves no track, or one label of several."""
    labels_in, labels_out = df[label].nunique(), out[label].nunique()
    if len(out) and (labels_out >= 2 or labels_in < 2):
        return
    if not len(out):
        what = f"removes every one of the {report.tracks_in:,} tracks (each carries several labels)"
    else:
        kept = sorted(map(str, out[label].unique()))
        what = f"leaves a single label {kept} of the table's {labels_in}"
    effects = policy_effects(df, label)
    others = [
        f"{p!r} keeps {e.tracks_left:,} tracks with {_labels(e.labels_left)}"
        for p, e in effects.iterrows()
        if p != report.policy
    ]
    usable = [p for p, e in effects.iterrows() if e.tracks_left and e.labels_left >= 2]
    advice = (
        f"choose {' or '.join(repr(p) for p in usable)} as dedup_policy"
        if usable
        else "no policy keeps two labels: each track carries several, so the table cannot "
        "tell its labels apart (give each track one label, or choose another label_column)"
    )
    raise DedupError(
        f"dedup policy {report.policy!r} {what}: {advice} (the other policies: "
        f"{'; '.join(others)})."
    )
