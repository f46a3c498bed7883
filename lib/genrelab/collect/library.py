"""A user's library and public look-ups as DataFrames: top, liked, playlists, search, features.

:func:`search`, :func:`profile`, :func:`currently_playing`, :func:`top_tracks`,
:func:`liked_tracks`, :func:`categories`, :func:`category_playlists`, :func:`playlist_tracks`,
:func:`album_tracks`, and :func:`add_features` (the audio features of any table with a
``track_id``). The user's functions need a login (``python -m genrelab.collect login``); the
others use the public client.

Example
-------
>>> from genrelab.collect import library
>>> library.liked_tracks(limit=100)                                    # doctest: +SKIP
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from typing import Literal

import pandas as pd

from genrelab import schema
from genrelab.collect.checkpoint import Checkpoint
from genrelab.collect.errors import MalformedResponseError
from genrelab.collect.records import (
    artist_record,
    artists_frame,
    has_features,
    playlists_frame,
    records_from_items,
    track_record,
    tracks_frame,
)
from genrelab.collect.spotify_client import (
    PLAYLIST_ITEMS_LIMIT,
    SEARCH_LIMIT,
    SEARCH_MAX_OFFSET,
    SpotifyClient,
    pages,
    public_client,
    translate_errors,
    user_client,
)
from genrelab.collect.stages import Collector, FeaturesSource

log = logging.getLogger(__name__)


@translate_errors
def add_features(
    tracks: pd.DataFrame,
    *,
    source: FeaturesSource = "auto",
    client: SpotifyClient | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """``tracks`` (with ``track_id``) plus the 12 audio features; tracks without features keep NaN.

    The ids without features are logged and listed in ``attrs["missing_feature_ids"]``;
    ``attrs["features_source"]`` says where the features came from. No checkpoint (the HTTP
    cache makes a repeat free).
    """
    sp = client or public_client()
    c = Collector(sp, Checkpoint(None), source, progress)
    ids = [t for t in dict.fromkeys(tracks["track_id"].tolist()) if isinstance(t, str)]
    feats, used, failed = c.features(ids)
    out = tracks.copy()
    for col in schema.AUDIO_FEATURES:
        values = [(feats.get(t) or {}).get(col) for t in out["track_id"]]
        if col == "duration_ms" and "duration_ms" in out:
            values = [
                v if v is not None else d for v, d in zip(values, out["duration_ms"].tolist())
            ]
        out[col] = pd.to_numeric(
            pd.Series(values, index=out.index, dtype="object"), errors="coerce"
        ).astype("float64")
    missing = [t for t in ids if not has_features(feats.get(t))]
    if missing:
        log.warning(
            "%d of %d tracks have no complete audio features from %s: %s",
            len(missing),
            len(ids),
            used,
            ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else ""),
        )
    out.attrs["missing_feature_ids"] = missing
    out.attrs["features_source"] = used
    return out


@translate_errors
def search(
    query: str,
    type: Literal["track", "artist", "album", "playlist"] = "track",
    limit: int = 10,
    *,
    client: SpotifyClient | None = None,
) -> pd.DataFrame:
    """Search Spotify; one row per result (pages of 10, the 2026 limit).

    Null items (removed or unavailable results) and items without an id are skipped and counted
    (``attrs["skipped_items"]``, logged). An answer without the ``<type>s`` page raises
    :class:`~genrelab.collect.errors.MalformedResponseError` (retry later).
    """
    if type not in ("track", "artist", "album", "playlist"):
        raise ValueError(f"type must be track, artist, album or playlist, got {type!r}")
    sp = client or public_client()
    items: list[dict] = []
    offset, skipped = 0, 0
    while len(items) < limit and offset < SEARCH_MAX_OFFSET:
        found = sp.search(
            q=query, type=type, limit=min(SEARCH_LIMIT, limit - len(items)), offset=offset
        )
        page = found.get(type + "s") if isinstance(found, dict) else None
        if not isinstance(page, dict):
            raise MalformedResponseError(
                f"Spotify (api.spotify.com) answered the {type} search for {query!r} without "
                f"its {type}s page; nothing of it was used: retry later."
            )
        raw = page.get("items") or []
        kept = [i for i in raw if isinstance(i, dict) and i.get("id")]
        skipped += len(raw) - len(kept)
        items.extend(kept)
        if not page.get("next"):
            break
        offset += SEARCH_LIMIT
    items = items[:limit]
    if skipped:
        log.warning(
            "Spotify search %r: %d null item(s) or item(s) without an id skipped", query, skipped
        )
    table = _search_table(type, items)
    table.attrs["skipped_items"] = skipped
    return table


def _search_table(type: str, items: list[dict]) -> pd.DataFrame:
    if type == "track":
        return tracks_frame([track_record(t) for t in items])
    if type == "artist":
        return artists_frame(artist_record(a) for a in items)
    if type == "album":
        return pd.DataFrame(
            {
                "album_id": [a["id"] for a in items],
                "album_name": [a.get("name") for a in items],
                "album_artist": [((a.get("artists") or [{}])[0]).get("name") for a in items],
                "album_type": [a.get("album_type") for a in items],
                "release_date": [a.get("release_date") for a in items],
                "total_tracks": pd.array([a.get("total_tracks") for a in items], dtype="Int64"),
            }
        )
    return playlists_frame(items)


@translate_errors
def profile(*, client: SpotifyClient | None = None) -> pd.DataFrame:
    """The logged-in user's profile, one row (fields Spotify stopped sending in 2026 are NA)."""
    sp = client or user_client()
    me = sp.me()
    return pd.DataFrame(
        [
            {
                "user_id": me.get("id"),
                "display_name": me.get("display_name"),
                "country": me.get("country"),
                "product": me.get("product"),
                "followers": (me.get("followers") or {}).get("total"),
            }
        ]
    ).astype({"followers": "Int64"})


@translate_errors
def currently_playing(*, client: SpotifyClient | None = None) -> pd.DataFrame:
    """What the user plays now: one row (tracks + ``is_playing``, ``progress_ms``), or none."""
    sp = client or user_client()
    now = sp.current_user_playing_track()
    if not now or not now.get("item") or now["item"].get("type", "track") != "track":
        return tracks_frame([]).assign(
            is_playing=pd.Series(dtype="bool"), progress_ms=pd.Series(dtype="Int64")
        )
    df = tracks_frame([track_record(now["item"])])
    df["is_playing"] = bool(now.get("is_playing"))
    df["progress_ms"] = pd.array([now.get("progress_ms")], dtype="Int64")
    return df


@translate_errors
def top_tracks(
    time_range: Literal["short_term", "medium_term", "long_term"] = "medium_term",
    limit: int = 50,
    *,
    client: SpotifyClient | None = None,
) -> pd.DataFrame:
    """The user's top tracks, best first (``rank`` from 1)."""
    sp = client or user_client()
    first = sp.current_user_top_tracks(limit=min(50, limit), time_range=time_range)
    records = [track_record(t) for t in pages(sp, first, limit) if t and t.get("id")]
    return tracks_frame(records, {"rank": list(range(1, len(records) + 1))})


@translate_errors
def liked_tracks(limit: int | None = None, *, client: SpotifyClient | None = None) -> pd.DataFrame:
    """The user's liked ("saved") tracks, newest first, with ``added_at`` (pages of 50)."""
    sp = client or user_client()
    first = sp.current_user_saved_tracks(limit=50 if not limit else min(50, limit))
    skipped: list[str] = []
    records, extras = records_from_items(pages(sp, first, limit), skipped)
    table = tracks_frame(records, {"added_at": [e.get("added_at") for e in extras]})
    return _counted(table, skipped, "liked tracks")


@translate_errors
def categories(
    limit: int = 50, country: str | None = None, *, client: SpotifyClient | None = None
) -> pd.DataFrame:
    """Browse categories: ``category_id, name`` (Spotify closed this for new apps in 2026)."""
    sp = client or public_client()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        first = sp.categories(country=country, limit=min(50, limit))
    items = list(pages(sp, first, limit, key="categories"))
    return pd.DataFrame(
        {"category_id": [c["id"] for c in items], "name": [c.get("name") for c in items]}
    )


@translate_errors
def category_playlists(
    category_id: str, limit: int = 50, *, client: SpotifyClient | None = None
) -> pd.DataFrame:
    """Playlists of one browse category (null items skipped)."""
    sp = client or public_client()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        first = sp.category_playlists(category_id, limit=min(50, limit))
    items = [p for p in pages(sp, first, limit, key="playlists") if p]
    return playlists_frame(items)


@translate_errors
def playlist_tracks(
    playlist_id: str, limit: int | None = None, *, client: SpotifyClient | None = None
) -> pd.DataFrame:
    """A playlist's tracks in order, with ``added_at``.

    Null items, local files and episodes are skipped and counted (``attrs["skipped_items"]``).
    """
    sp = client or public_client()
    first = sp.playlist_items(playlist_id, limit=PLAYLIST_ITEMS_LIMIT, additional_types=("track",))
    skipped: list[str] = []
    records, extras = records_from_items(pages(sp, first, limit), skipped)
    table = tracks_frame(records, {"added_at": [e.get("added_at") for e in extras]})
    return _counted(table, skipped, f"playlist {playlist_id}")


def _counted(table: pd.DataFrame, skipped: list[str], what: str) -> pd.DataFrame:
    """``table`` with ``attrs["skipped_items"]`` (the count), logged with the reasons."""
    if skipped:
        reasons = ", ".join(f"{n} {why}" for why, n in Counter(skipped).most_common())
        log.info("%s: %d item(s) that are not tracks skipped (%s)", what, len(skipped), reasons)
    table.attrs["skipped_items"] = len(skipped)
    return table


@translate_errors
def album_tracks(album_id: str, *, client: SpotifyClient | None = None) -> pd.DataFrame:
    """An album's tracks.

    Columns: ``track_id, track_name, track_artist, disc_number, track_number, duration_ms``.
    """
    sp = client or public_client()
    items = [t for t in pages(sp, sp.album_tracks(album_id, limit=50), None) if t]
    return pd.DataFrame(
        {
            "track_id": [t["id"] for t in items],
            "track_name": [t.get("name") for t in items],
            "track_artist": [((t.get("artists") or [{}])[0]).get("name") for t in items],
            "disc_number": pd.array([t.get("disc_number") for t in items], dtype="Int64"),
            "track_number": pd.array([t.get("track_number") for t in items], dtype="Int64"),
            "duration_ms": pd.array([t.get("duration_ms") for t in items], dtype="Int64"),
        }
    )


def liked_with_features(
    limit: int | None = None, *, features_source: str = "auto", client=None
) -> pd.DataFrame:
    """The logged-in user's liked tracks with audio features (tracks without features dropped,
    listed).

    Needs a user login (``python -m genrelab.collect login``); ``client`` may be a
    :func:`genrelab.collect.spotify_client.user_client` for another user.
    """
    sp = client or user_client()
    liked = liked_tracks(limit, client=sp)
    with_features = add_features(liked, source=features_source, client=sp)
    out = with_features.dropna(subset=schema.AUDIO_FEATURES).reset_index(drop=True)
    out.attrs.update(with_features.attrs)
    out.attrs["user"] = "your liked tracks"
    return out
