"""The catalogue collections: genres -> subgenres -> tracks (by the path the app can use) -> table.

:func:`collect` (seed 000)
    taxonomy (``params/taxonomy.yaml``: genre -> subgenres) -> a genre-labelled track list by
    one of three paths (:mod:`genrelab.collect.paths`), chosen automatically: the seed's
    playlists (search, then items) while the app may read them; at the first 403 on a
    playlist's items (a development-mode app, 2026) a ``genre:"<subgenre>"`` track search, or
    with a login the user's own playlists named in the taxonomy -> tracks a search or item did
    not describe fully -> artists -> audio features (Spotify; ReccoBeats after its 403 or for a
    development-mode app) -> Deezer preview URL and bpm by ISRC -> one row per (track, label)
    in the snapshot's 23 columns and dtypes plus ``isrc``, ``deezer_preview_url``,
    ``deezer_bpm``; the playlist columns are empty where there is no playlist. The path is
    named in the log and in ``attrs["collection"]["path"]``. Every resource is fetched once;
    every stage checkpoints, so an interrupted run resumes with no duplicate and no lost row.
:func:`collect_year` (seed 002)
    N tracks of one year by paginated search (``year:2020``), then the same features chain.

Example
-------
>>> from genrelab.collect import catalogue
>>> tracks = catalogue.collect(max_playlists_per_subgenre=2)  # doctest: +SKIP
>>> tracks.attrs["collection"]["path"]                        # doctest: +SKIP
'genre_search'
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from genrelab.collect.checkpoint import Checkpoint, default_checkpoint_dir
from genrelab.collect.errors import CollectionPathWarning, SpotifyCredentialsError
from genrelab.collect.paths import Gathered, by_genre_search, by_my_playlists, by_playlists
from genrelab.collect.records import (
    EXTRA_COLUMNS,
    artists_frame,
    assemble,
    has_features,
    report_missing,
)
from genrelab.collect.spotify_client import (
    SEARCH_MAX_OFFSET,
    SpotifyClient,
    public_client,
    translate_errors,
    user_client,
)
from genrelab.collect.stages import Collector, FeaturesSource
from genrelab.collect.taxonomy import TAXONOMY_YAML, load_my_playlists, load_taxonomy

log = logging.getLogger(__name__)

__all__ = [
    "EXTRA_COLUMNS",
    "PLAYLIST_TABLE_COLUMNS",
    "CollectResult",
    "CollectionPath",
    "collect",
    "collect_tables",
    "collect_year",
]

CollectionPath = Literal["auto", "playlists", "genre_search", "my_playlists"]
#: Columns of ``CollectResult.playlists``
PLAYLIST_TABLE_COLUMNS = [
    "playlist_id",
    "playlist_name",
    "owner",
    "playlist_genre",
    "playlist_subgenre",
    "query",
    "n_items",
    "n_tracks_collected",
    "status",
]
_DESCRIBED = {
    "genre_search": 'a genre:"<subgenre>" track search per subgenre',
    "my_playlists": "your own and collaborative playlists named in the taxonomy's my_playlists",
}


@dataclass
class CollectResult:
    """Everything :func:`collect_tables` gathered.

    Attributes
    ----------
    tracks : DataFrame
        One row per (track, playlist or label) with complete features: the snapshot's 23
        columns and dtypes plus :data:`~genrelab.collect.records.EXTRA_COLUMNS` (what
        :func:`collect` returns).
    playlists : DataFrame
        One row per (playlist or query, genre, subgenre) asked (:data:`PLAYLIST_TABLE_COLUMNS`):
        id, name, owner, the query, items, tracks collected, status.
    artists : DataFrame
        One row per artist: id, name, genres, popularity, followers (NA where Spotify no
        longer sends them).
    missing_features : DataFrame
        Tracks left out for lack of (complete) features: ``track_id, track_name, reason``.
    skipped_items : DataFrame
        Playlist items that are not tracks (local files, episodes, removed tracks), with reason.
    stats : dict
        The ``path`` taken and why (``path_reason``), HTTP calls per host, counts per stage, the
        features source.
    """

    tracks: pd.DataFrame
    playlists: pd.DataFrame
    artists: pd.DataFrame
    missing_features: pd.DataFrame
    skipped_items: pd.DataFrame
    stats: dict


def _stats(sp: SpotifyClient, **extra) -> dict:
    calls = dict(sp.http.calls)
    token_calls = sum(sp.auth._session.calls.values()) if hasattr(sp.auth._session, "calls") else 0
    if token_calls:
        calls["accounts.spotify.com"] = token_calls
    return {"http_calls": int(sum(calls.values())), "http_calls_by_host": calls, **extra}


def _check_features_source(features_source: str) -> None:
    if features_source not in ("auto", "spotify", "reccobeats"):
        raise ValueError(
            f"features_source must be 'auto', 'spotify' or 'reccobeats', got {features_source!r}"
        )


def _no_rows(path: str, got: Gathered, taxonomy_file: Path) -> RuntimeError:
    statuses = sorted({s["status"] for s in got.sources}) or ["nothing found"]
    if path == "genre_search":
        return RuntimeError(
            f"no track found by genre search for any subgenre of {taxonomy_file} (Spotify's "
            f'genre:"..." filter matches artists\' genres and may answer nothing): try other '
            f"subgenre names."
        )
    if path == "my_playlists":
        return RuntimeError(
            f"no track collected from the playlists named in my_playlists of {taxonomy_file} "
            f"(statuses: {statuses}): name playlists you own or collaborate on."
        )
    return RuntimeError(
        f"no tracks collected from {len(got.sources)} playlists (statuses: {statuses}): a "
        f"development-mode app may read only its user's playlists; use path='genre_search' "
        f"(or 'my_playlists' with a login)."
    )


def _finish(
    c: Collector,
    got: Gathered,
    *,
    path: str,
    reason: str,
    deezer_lookup: bool,
    with_artists: bool = True,
    **counts,
) -> CollectResult:
    """The shared tail: complete the tracks, artists, features, Deezer, then the tables."""
    records = got.records
    incomplete = [t for t, r in records.items() if not r["complete"]]
    for t, r in c.tracks(incomplete).items():
        if r is not None:
            records[t] = {**records[t], **r}
    track_ids = list(dict.fromkeys(r["track_id"] for r in got.rows))
    artist_ids = list(dict.fromkeys(a for t in track_ids for a in records[t]["artist_ids"] if a))
    artists = c.artists(artist_ids, [records[t] for t in track_ids]) if with_artists else {}
    feats, source, failed = c.features(track_ids)
    with_features = [t for t in track_ids if has_features(feats.get(t))]
    isrcs = [records[t]["isrc"] for t in with_features if records[t]["isrc"]]
    deez = c.deezer(isrcs) if deezer_lookup else {}
    tracks, missing = assemble(got.rows, records, feats, failed, source, deez)
    report_missing(missing, len(track_ids))
    playlists = pd.DataFrame(got.sources, columns=PLAYLIST_TABLE_COLUMNS)
    playlists["n_items"] = pd.array(playlists["n_items"].tolist(), dtype="Int64")
    artist_table = artists_frame(a for a in (artists.get(i) for i in artist_ids) if a)
    skipped = pd.DataFrame(got.skipped, columns=["playlist_id", "reason"])
    stats = _stats(
        c.sp,
        path=path,
        path_reason=reason,
        **counts,
        rows=len(tracks),
        tracks=len(track_ids),
        tracks_with_features=len(with_features),
        artists=len(artist_table),
        features_source=source,
        tracks_without_features=len(missing),
        missing_feature_ids=missing["track_id"].tolist(),
        skipped_items=len(skipped),
        checkpoint_dir=str(c.ckpt.dir),
    )
    tracks.attrs["collection"] = stats
    c.ckpt.clear()  # finished: a repeat is served by the HTTP cache, not by stale checkpoints
    return CollectResult(tracks, playlists, artist_table, missing, skipped, stats)


@translate_errors
def collect_tables(
    taxonomy_path: str | Path | None = None,
    max_playlists_per_subgenre: int = 5,
    max_tracks_per_playlist: int | None = 100,
    features_source: FeaturesSource = "auto",
    cache_expire_days: float | None = 30,
    checkpoint_dir: str | Path | None = None,
    *,
    path: CollectionPath = "auto",
    max_tracks_per_subgenre: int | None = None,
    deezer_lookup: bool = True,
    progress: bool = True,
    client: SpotifyClient | None = None,
) -> CollectResult:
    """The seed-000 collection with every table it gathers (see :func:`collect`)."""
    _check_features_source(features_source)
    if path not in ("auto", "playlists", "genre_search", "my_playlists"):
        raise ValueError(
            f"path must be 'auto', 'playlists', 'genre_search' or 'my_playlists', got {path!r}"
        )
    if max_playlists_per_subgenre < 1:
        raise ValueError("max_playlists_per_subgenre must be >= 1")
    taxonomy_file = Path(taxonomy_path) if taxonomy_path else TAXONOMY_YAML
    taxonomy = load_taxonomy(taxonomy_file)
    named = load_my_playlists(taxonomy_file)
    if path == "my_playlists" and not named:
        raise ValueError(
            f"{taxonomy_file}: path='my_playlists' needs a `my_playlists:` section (genre -> "
            f"subgenre -> your playlists' names or ids)"
        )
    sp = client or (user_client if path == "my_playlists" else public_client)(
        cache_expire_days=cache_expire_days
    )
    if path == "my_playlists" and sp.kind != "user":
        raise SpotifyCredentialsError(
            "path='my_playlists' reads your own playlists: it needs a login (a client from "
            "`spotify_client.user_client()`, after `python -m genrelab.collect login`)."
        )
    n_per_subgenre = max_tracks_per_subgenre or min(
        SEARCH_MAX_OFFSET, max_playlists_per_subgenre * (max_tracks_per_playlist or 100)
    )
    spec = {
        "taxonomy": taxonomy,
        "playlists": max_playlists_per_subgenre,
        "tracks": max_tracks_per_playlist or 0,
        "path": path,
        "per_subgenre": n_per_subgenre,
        "named": named,
        "user": sp.kind,
    }
    c = Collector(
        sp,
        Checkpoint(checkpoint_dir or default_checkpoint_dir("playlists", spec)),
        features_source,
        progress,
    )
    chosen: str = path
    reason, got = "asked for", None
    if path == "auto":
        fallback = "my_playlists" if (sp.kind == "user" and named) else "genre_search"
        if sp.dev_mode:
            chosen = fallback
            reason = "this app is in development mode (a refusal remembered from an earlier run)"
        else:
            got = by_playlists(
                c, taxonomy, max_playlists_per_subgenre, max_tracks_per_playlist, stop_at_403=True
            )
            chosen, reason = "playlists", "the app may read the playlists it finds"
            if got.refused == 403:
                chosen, got = fallback, None
                reason = "Spotify answered 403 on a playlist's items: a development-mode app"
                warnings.warn(
                    f"Spotify answers 403 on playlist items (a development-mode app may read "
                    f"only playlists its user owns or collaborates on): collecting by "
                    f"{_DESCRIBED[fallback]} instead (collection.path = {fallback!r}).",
                    CollectionPathWarning,
                    stacklevel=3,
                )
    if got is None:
        if chosen == "playlists":
            got = by_playlists(c, taxonomy, max_playlists_per_subgenre, max_tracks_per_playlist)
        elif chosen == "genre_search":
            got = by_genre_search(c, taxonomy, n_per_subgenre)
        else:
            got = by_my_playlists(c, named, max_tracks_per_playlist)
    log.info("collection path: %s (%s)", chosen, reason)
    if not got.rows:
        raise _no_rows(chosen, got, taxonomy_file)
    n_sources = len({s["playlist_id"] for s in got.sources if s["playlist_id"]})
    return _finish(
        c, got, path=chosen, reason=reason, deezer_lookup=deezer_lookup, playlists=n_sources
    )


def collect(
    taxonomy_path: str | Path | None = None,
    max_playlists_per_subgenre: int = 5,
    max_tracks_per_playlist: int | None = 100,
    features_source: FeaturesSource = "auto",
    cache_expire_days: float | None = 30,
    checkpoint_dir: str | Path | None = None,
    *,
    path: CollectionPath = "auto",
    max_tracks_per_subgenre: int | None = None,
    deezer_lookup: bool = True,
    progress: bool = True,
    client: SpotifyClient | None = None,
) -> pd.DataFrame:
    """Collect a fresh tracks table from Spotify, as the seed did (seed 000), by a path that works.

    Parameters
    ----------
    taxonomy_path : path, optional
        YAML ``genres: {genre: [subgenre, ...]}`` (and optionally ``my_playlists:``, see
        :mod:`genrelab.collect.taxonomy`); default ``params/taxonomy.yaml``.
    max_playlists_per_subgenre : int
        Playlists searched per subgenre (pages of 10).
    max_tracks_per_playlist : int or None
        Tracks read per playlist (pages of 50); ``None`` or 0 reads them all.
    features_source : {"auto", "spotify", "reccobeats"}
        ``"auto"`` asks Spotify and, on its 403 (or for a development-mode app), uses
        ReccoBeats with one warning.
    cache_expire_days : float or None
        Days before a cached HTTP answer is fetched again (``None``: never; ``0``: no cache).
    checkpoint_dir : path, optional
        Where each stage's progress is appended; default
        ``data/cache/collect/playlists-<hash of the parameters>``, so rerunning the same call
        resumes an interrupted one. The stage files are removed when a collection finishes
        (a repeat is then served by the HTTP cache).
    path : {"auto", "playlists", "genre_search", "my_playlists"}
        ``"auto"`` takes the seed's playlist path and, at the first 403 on a playlist's items,
        switches once (one :class:`~genrelab.collect.errors.CollectionPathWarning`) to
        ``"my_playlists"`` (with a user client and a ``my_playlists:`` section) or
        ``"genre_search"``; an app known to be in development mode goes there directly.
    max_tracks_per_subgenre : int, optional
        Tracks per subgenre of the genre search; default ``max_playlists_per_subgenre x
        max_tracks_per_playlist`` (100 for "all"), at most 1,000 (where Spotify's search ends).
    deezer_lookup : bool
        Look each ISRC up on Deezer for ``deezer_preview_url`` and ``deezer_bpm``.
    client : SpotifyClient, optional
        Default :func:`~genrelab.collect.spotify_client.public_client` (credentials from
        ``.env``); ``path="my_playlists"`` defaults to the logged-in user's client.

    Returns
    -------
    DataFrame
        One row per (track, playlist or query, genre, subgenre):
        :data:`genrelab.schema.SNAPSHOT_COLUMNS` with the snapshot's dtypes, then ``isrc``,
        ``deezer_preview_url``, ``deezer_bpm``; ``playlist_id`` and ``playlist_name`` are NA
        for the genre search. Tracks without complete features are left out, logged with their
        ids and listed in ``attrs["collection"]["missing_feature_ids"]``;
        ``attrs["collection"]`` also holds the ``path`` taken (``"playlists"``,
        ``"genre_search"`` or ``"my_playlists"``) and why, the HTTP calls made and the features
        source. :func:`collect_tables` returns the playlists, artists and skipped-items tables.

    Raises
    ------
    SpotifyCredentialsError
        Credentials missing or refused (the message says how to set them; the snapshot works
        offline).
    SpotifyAccessError
        Spotify refuses what no path can work around (403 on search: no Premium owner).
    """
    return collect_tables(
        taxonomy_path,
        max_playlists_per_subgenre,
        max_tracks_per_playlist,
        features_source,
        cache_expire_days,
        checkpoint_dir,
        path=path,
        max_tracks_per_subgenre=max_tracks_per_subgenre,
        deezer_lookup=deezer_lookup,
        progress=progress,
        client=client,
    ).tracks


@translate_errors
def collect_year(
    year: int = 2020,
    n_tracks: int = 1000,
    *,
    genres: Iterable[str] | None = None,
    features_source: FeaturesSource = "auto",
    cache_expire_days: float | None = 30,
    checkpoint_dir: str | Path | None = None,
    deezer_lookup: bool = True,
    progress: bool = True,
    client: SpotifyClient | None = None,
) -> pd.DataFrame:
    """N tracks released in ``year`` by paginated search, with features (seed 002).

    The query is ``year:<year>`` (or ``genre:"<g>" year:<year>`` for each of ``genres``,
    ``n_tracks`` each, labelled with that genre). Pages of 10; Spotify's search stops at
    offset 1000, so one query yields at most 1000 tracks. Works the same for
    development-mode apps (features then from ReccoBeats).

    Returns
    -------
    DataFrame
        The snapshot's columns and dtypes plus :data:`~genrelab.collect.records.EXTRA_COLUMNS`, one
        row per track; ``playlist_name`` holds the search query, ``playlist_id`` is NA,
        ``playlist_genre`` is the genre queried (NA without ``genres``), ``playlist_subgenre`` is
        NA; ``attrs["collection"]["path"]`` is ``"year_search"``.
    """
    _check_features_source(features_source)
    queries = (
        [(f'genre:"{g}" year:{year}', g) for g in genres] if genres else [(f"year:{year}", None)]
    )
    sp = client or public_client(cache_expire_days)
    ckpt = Checkpoint(
        checkpoint_dir or default_checkpoint_dir("year", {"queries": queries, "n": n_tracks})
    )
    c = Collector(sp, ckpt, features_source, progress)
    got = Gathered()
    for q, g in queries:
        got.add(c.search_tracks(q, n_tracks), g, None, None, q)
    result = _finish(
        c,
        got,
        path="year_search",
        reason="asked for",
        deezer_lookup=deezer_lookup,
        with_artists=False,
    )
    return result.tracks
