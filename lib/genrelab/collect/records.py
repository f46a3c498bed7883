"""Spotify objects -> rows: track records, playlist items, and the snapshot's table schema.

Pure functions on parsed JSON (no HTTP): :func:`track_record` keeps the fields of a track
object, :func:`item_track` says why a playlist or library item is not a track (local file,
episode, removed), ``tracks_frame`` / ``playlists_frame`` build the library's tables,
and :func:`assemble` the collection's table in the snapshot's 23 columns and dtypes plus
:data:`EXTRA_COLUMNS`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd

from genrelab import schema

log = logging.getLogger(__name__)

#: Extra columns of a collected table (for the audio issue), after the snapshot's 23.
EXTRA_COLUMNS = schema.COLLECTION_EXTRA_COLUMNS
#: The features a track needs to enter the table (all but duration, which the track has).
FEATURE_COLUMNS = schema.ENDPOINT_FEATURES


def track_record(t: dict) -> dict:
    """The fields we keep from a Spotify track object (full or simplified)."""
    album = t.get("album") or {}
    artists = [a for a in (t.get("artists") or []) if a]
    return {
        "id": t.get("id"),
        "name": t.get("name"),
        "artist_ids": [a.get("id") for a in artists],
        "artist_names": [a.get("name") for a in artists],
        "album_id": album.get("id"),
        "album_name": album.get("name"),
        "release_date": album.get("release_date"),
        "popularity": t.get("popularity"),
        "duration_ms": t.get("duration_ms"),
        "isrc": (t.get("external_ids") or {}).get("isrc"),
        # a playlist item normally carries the full track; if not, it is fetched once more
        "complete": "external_ids" in t and "release_date" in album,
    }


ARTIST_COLUMNS = [
    "artist_id",
    "artist_name",
    "artist_genres",
    "artist_popularity",
    "artist_followers",
]


def artist_record(a: dict) -> dict:
    """The fields we keep from an artist object; what 2026's Spotify no longer sends is None.

    Development-mode apps get artists without ``genres``, ``popularity`` and ``followers``:
    those stay missing (None), not an empty string or 0.
    """
    return {
        "artist_id": a.get("id"),
        "artist_name": a.get("name"),
        "artist_genres": "; ".join(a["genres"]) if isinstance(a.get("genres"), list) else None,
        "artist_popularity": a.get("popularity"),
        "artist_followers": (a.get("followers") or {}).get("total"),
    }


def artists_from_tracks(records: Iterable[dict]) -> dict[str, dict]:
    """Artist records from the tracks' simplified artists (ids and names; nothing else)."""
    out: dict[str, dict] = {}
    for r in records:
        for aid, name in zip(r["artist_ids"], r["artist_names"]):
            if aid and aid not in out:
                out[aid] = artist_record({"id": aid, "name": name})
    return out


def artists_frame(artists: Iterable[dict]) -> pd.DataFrame:
    """One row per artist (``ARTIST_COLUMNS``); popularity and followers as ``Int64``."""
    table = pd.DataFrame(list(artists), columns=ARTIST_COLUMNS)
    for col in ["artist_popularity", "artist_followers"]:
        table[col] = pd.array(table[col].tolist(), dtype="Int64")
    table["artist_genres"] = table["artist_genres"].astype("str")
    return table


def item_track(item: dict | None) -> tuple[dict | None, str | None]:
    """The track of a playlist / library item (``item`` in 2026, ``track`` before), or why not."""
    if not item:
        return None, "empty item"
    t = item.get("item") or item.get("track")
    if not t:
        return None, "no track (removed or unavailable)"
    if item.get("is_local") or t.get("is_local") or str(t.get("uri")).startswith("spotify:local:"):
        return None, "local file"
    if t.get("type", "track") != "track" or t.get("episode") is True:
        # with additional_types=track Spotify still sends episodes, in a track-like shape
        return None, f"not a track ({t.get('type') if t.get('type') != 'track' else 'episode'})"
    if not t.get("id"):
        return None, "no Spotify id"
    return t, None


def tracks_frame(records: list[dict], extra: dict[str, list] | None = None) -> pd.DataFrame:
    cols = {
        "track_id": [r["id"] for r in records],
        "track_name": [r["name"] for r in records],
        "track_artist": [(r["artist_names"] or [None])[0] for r in records],
        "track_artists": ["; ".join(n for n in r["artist_names"] if n) for r in records],
        "track_album_id": [r["album_id"] for r in records],
        "track_album_name": [r["album_name"] for r in records],
        "track_album_release_date": [r["release_date"] for r in records],
        "track_popularity": pd.array([r["popularity"] for r in records], dtype="Int64"),
        "duration_ms": pd.array([r["duration_ms"] for r in records], dtype="Int64"),
        "isrc": [r["isrc"] for r in records],
    }
    df = pd.DataFrame(cols)
    for c in [
        "track_id",
        "track_name",
        "track_artist",
        "track_artists",
        "track_album_id",
        "track_album_name",
        "track_album_release_date",
        "isrc",
    ]:
        df[c] = df[c].astype("str")
    for k, v in (extra or {}).items():
        df[k] = v
    return df


def records_from_items(
    items: Iterable[dict], skipped: list[str] | None = None
) -> tuple[list[dict], list[dict]]:
    """Track records of playlist / library items, each one's ``added_at``.

    Items that are not tracks (null, removed, local files, episodes) are skipped; their reasons
    are appended to ``skipped``, if given.
    """
    records, extras = [], []
    for it in items:
        t, why = item_track(it)
        if t is None:
            if skipped is not None:
                skipped.append(why or "not a track")
            continue
        records.append(track_record(t))
        extras.append({k: it.get(k) for k in ("added_at",) if k in it})
    return records, extras


def playlists_frame(items: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "playlist_id": [p["id"] for p in items],
            "playlist_name": [p.get("name") for p in items],
            "owner": [(p.get("owner") or {}).get("id") for p in items],
            "n_items": pd.array(
                [(p.get("items") or p.get("tracks") or {}).get("total") for p in items],
                dtype="Int64",
            ),
            "description": [p.get("description") for p in items],
        }
    )


def spotify_features(f: dict | None) -> dict | None:
    """The audio features of one ``/audio-features`` object (None: Spotify has none)."""
    if not f:
        return None
    return {k: f.get(k) for k in schema.AUDIO_FEATURES if f.get(k) is not None}


def has_features(f: dict | None) -> bool:
    """Whether a track's features are complete enough for the table."""
    return f is not None and all(f.get(k) is not None for k in FEATURE_COLUMNS)


def assemble(
    rows: list[dict],
    records: dict[str, dict],
    feats: dict[str, dict | None],
    failed: dict[str, str],
    source: str,
    deez: dict[str, dict | None],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows (track x playlist) -> the snapshot's schema; tracks without complete features listed."""
    missing: dict[str, str] = {}
    keep: list[tuple[dict, dict]] = []
    for row in rows:
        tid = row["track_id"]
        f = feats.get(tid)
        if f is None:
            missing.setdefault(tid, failed.get(tid) or f"no audio features from {source}")
            continue
        absent = [c for c in FEATURE_COLUMNS if f.get(c) is None]
        if absent:
            missing.setdefault(tid, f"{source} features incomplete: no {', '.join(absent)}")
            continue
        keep.append((row, f))
    out = []
    for row, f in keep:
        r = records[row["track_id"]]
        dz = deez.get(r["isrc"]) if r["isrc"] else None
        out.append(
            {
                "track_id": r["id"],
                "track_name": r["name"],
                "track_artist": (r["artist_names"] or [None])[0],
                "track_popularity": r["popularity"],
                "track_album_id": r["album_id"],
                "track_album_name": r["album_name"],
                "track_album_release_date": r["release_date"],
                "playlist_name": row["playlist_name"],
                "playlist_id": row["playlist_id"],
                "playlist_genre": row["playlist_genre"],
                "playlist_subgenre": row["playlist_subgenre"],
                **{c: f[c] for c in FEATURE_COLUMNS},
                "duration_ms": f.get("duration_ms") or r["duration_ms"],
                "isrc": r["isrc"],
                "deezer_preview_url": (dz or {}).get("deezer_preview_url"),
                "deezer_bpm": (dz or {}).get("deezer_bpm"),
            }
        )
    df = pd.DataFrame(out, columns=[*schema.SNAPSHOT_COLUMNS, *EXTRA_COLUMNS])
    for c in [*schema.TEXT_COLUMNS, "isrc", "deezer_preview_url"]:
        df[c] = df[c].astype("str")
    df["track_popularity"] = pd.array(df["track_popularity"].tolist(), dtype="Int64")
    for c in schema.AUDIO_FEATURES:
        df[c] = df[c].astype("int64" if c in schema.INTEGER_COLUMNS else "float64")
    df["deezer_bpm"] = pd.to_numeric(df["deezer_bpm"], errors="coerce").astype("float64")
    names = {r["track_id"]: r.get("track_name") for r in rows}
    miss = pd.DataFrame(
        {
            "track_id": list(missing),
            "track_name": [names.get(t) for t in missing],
            "reason": list(missing.values()),
        },
        columns=["track_id", "track_name", "reason"],
    )
    return df, miss


def report_missing(miss: pd.DataFrame, n_tracks: int) -> None:
    if len(miss):
        ids = miss["track_id"].tolist()
        log.warning(
            "%d of %d tracks have no complete audio features and are left out of the table "
            "(CollectResult.missing_features / "
            "tracks.attrs['collection']['missing_feature_ids']): %s",
            len(ids),
            n_tracks,
            ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else ""),
        )
