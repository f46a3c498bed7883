"""The catalogue collections: genres -> subgenres -> playlists -> tracks, artists, features.

:func:`collect` (seed 000)
    taxonomy (``params/taxonomy.yaml``: genre -> subgenres) -> playlist search per subgenre (10
    per page, the 2026 limit) -> playlist items with pagination -> tracks (only the ones a
    playlist item did not describe fully; 50 per call) -> artists (50 per call) -> audio
    features (Spotify, 100 per call; on a 403 one warning and ReccoBeats, 40 per call, matched
    back by href) -> Deezer preview URL and bpm by ISRC -> one row per (track, playlist) with
    the snapshot's 23 columns and dtypes plus ``isrc``, ``deezer_preview_url``, ``deezer_bpm``.
    Every resource is fetched once; every stage checkpoints, so an interrupted run resumes
    with no duplicate and no lost row.
:func:`collect_year` (seed 002)
    N tracks of one year by paginated search (``year:2020``), then the same features chain.

Example
-------
>>> from genrelab.collect import catalogue
>>> tracks = catalogue.collect(max_playlists_per_subgenre=2)  # doctest: +SKIP
>>> tracks.attrs["collection"]["http_calls"]                  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .checkpoint import Checkpoint, default_checkpoint_dir
from .records import EXTRA_COLUMNS, FEATURE_COLUMNS, assemble, report_missing, track_record
from .spotify_client import (
    SEARCH_LIMIT,
    SEARCH_MAX_OFFSET,
    SpotifyClient,
    public_client,
    translate_errors,
)
from .stages import Collector, FeaturesSource
from .taxonomy import load_taxonomy

log = logging.getLogger(__name__)

__all__ = ["EXTRA_COLUMNS", "CollectResult", "collect", "collect_tables", "collect_year"]


@dataclass
class CollectResult:
    """Everything :func:`collect_tables` gathered.

    Attributes
    ----------
    tracks : DataFrame
        One row per (track, playlist) with complete features: the snapshot's 23 columns and
        dtypes plus :data:`EXTRA_COLUMNS` (what :func:`collect` returns).
    playlists : DataFrame
        One row per (playlist, genre, subgenre) found: id, name, owner, items, status.
    artists : DataFrame
        One row per artist: id, name, genres, popularity, followers (NA where Spotify no
        longer sends them).
    missing_features : DataFrame
        Tracks left out for lack of (complete) features: ``track_id, track_name, reason``.
    skipped_items : DataFrame
        Playlist items that are not tracks (local files, episodes, removed tracks), with reason.
    stats : dict
        HTTP calls per host, counts per stage, the features source.
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


@translate_errors
def collect_tables(
    taxonomy_path: str | Path | None = None,
    max_playlists_per_subgenre: int = 5,
    max_tracks_per_playlist: int | None = 100,
    features_source: FeaturesSource = "auto",
    cache_expire_days: float | None = 30,
    checkpoint_dir: str | Path | None = None,
    *,
    deezer_lookup: bool = True,
    progress: bool = True,
    client: SpotifyClient | None = None,
) -> CollectResult:
    """The seed-000 collection with every table it gathers (see :func:`collect`)."""
    if features_source not in ("auto", "spotify", "reccobeats"):
        raise ValueError(
            f"features_source must be 'auto', 'spotify' or 'reccobeats', got {features_source!r}"
        )
    if max_playlists_per_subgenre < 1:
        raise ValueError("max_playlists_per_subgenre must be >= 1")
    taxonomy = load_taxonomy(taxonomy_path)
    sp = client or public_client(cache_expire_days)
    spec = {
        "taxonomy": taxonomy,
        "playlists": max_playlists_per_subgenre,
        "tracks": max_tracks_per_playlist or 0,
    }
    ckpt = Checkpoint(checkpoint_dir or default_checkpoint_dir("playlists", spec))
    c = Collector(sp, ckpt, features_source, progress)

    # 1. playlists per subgenre
    searches = ckpt.load("search")
    pairs = [(g, s) for g, subs in taxonomy.items() for s in subs]
    for g, s in c.bar(pairs, "search", "subgenre"):
        key = f"{g}|{s}"
        if key not in searches:
            ckpt.save("search", {key: c.search_playlists(s, max_playlists_per_subgenre)})
    assignments = [(g, s, p) for g, s in pairs for p in searches[f"{g}|{s}"]]
    unique_playlists = list(dict.fromkeys(p["playlist_id"] for _, _, p in assignments))

    # 2. playlist contents, once per playlist (checkpoint per playlist)
    contents = ckpt.load("playlists")
    for pid in c.bar(unique_playlists, "playlists", "playlist"):
        if pid not in contents:
            ckpt.save("playlists", {pid: c.playlist_items(pid, max_tracks_per_playlist)})

    # 3. tracks a playlist item did not describe fully
    records: dict[str, dict] = {}
    for pid in unique_playlists:
        for r in contents[pid]["tracks"]:
            if r["id"] not in records or (r["complete"] and not records[r["id"]]["complete"]):
                records[r["id"]] = r
    incomplete = [t for t, r in records.items() if not r["complete"]]
    for t, r in c.tracks(incomplete).items():
        if r is not None:
            records[t] = r

    # rows: one per (track, playlist, genre, subgenre), in taxonomy / search / playlist order
    rows, seen = [], set()
    for g, s, p in assignments:
        for r in contents[p["playlist_id"]]["tracks"]:
            key = (r["id"], p["playlist_id"], g, s)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "track_id": r["id"],
                    "track_name": r["name"],
                    "playlist_id": p["playlist_id"],
                    "playlist_name": p["playlist_name"],
                    "playlist_genre": g,
                    "playlist_subgenre": s,
                }
            )
    if not rows:
        statuses = {contents[p]["status"] for p in unique_playlists}
        raise RuntimeError(
            f"no tracks collected from {len(unique_playlists)} playlists "
            f"(statuses: {sorted(statuses) or 'no playlist found'})."
        )
    track_ids = list(dict.fromkeys(r["track_id"] for r in rows))

    # 4. artists
    artist_ids = list(dict.fromkeys(a for t in track_ids for a in records[t]["artist_ids"] if a))
    artists = c.artists(artist_ids)

    # 5. features
    feats, source, failed = c.features(track_ids)

    # 6. tables
    with_features = [
        t
        for t in track_ids
        if feats.get(t) and all(feats[t].get(k) is not None for k in FEATURE_COLUMNS)
    ]
    deez = (
        c.deezer([records[t]["isrc"] for t in with_features if records[t]["isrc"]])
        if deezer_lookup
        else {}
    )
    tracks, missing = assemble(rows, records, feats, failed, source, deez)
    report_missing(missing, len(track_ids))
    playlists = pd.DataFrame(
        [
            {
                "playlist_id": p["playlist_id"],
                "playlist_name": p["playlist_name"],
                "owner": p["owner"],
                "playlist_genre": g,
                "playlist_subgenre": s,
                "n_items": p["n_items"],
                "n_tracks_collected": len(contents[p["playlist_id"]]["tracks"]),
                "status": contents[p["playlist_id"]]["status"],
            }
            for g, s, p in assignments
        ]
    )
    playlists["n_items"] = pd.array(playlists["n_items"].tolist(), dtype="Int64")
    artist_table = pd.DataFrame(
        [a for a in (artists.get(i) for i in artist_ids) if a],
        columns=[
            "artist_id",
            "artist_name",
            "artist_genres",
            "artist_popularity",
            "artist_followers",
        ],
    )
    for col in ["artist_popularity", "artist_followers"]:
        artist_table[col] = pd.array(artist_table[col].tolist(), dtype="Int64")
    skipped = pd.DataFrame(
        [
            {"playlist_id": pid, "reason": why}
            for pid in unique_playlists
            for why in contents[pid]["skipped"]
        ],
        columns=["playlist_id", "reason"],
    )
    stats = _stats(
        sp,
        playlists=len(unique_playlists),
        rows=len(tracks),
        tracks=len(track_ids),
        tracks_with_features=len(with_features),
        artists=len(artist_table),
        features_source=source,
        tracks_without_features=len(missing),
        missing_feature_ids=missing["track_id"].tolist(),
        skipped_items=len(skipped),
        checkpoint_dir=str(ckpt.dir),
    )
    tracks.attrs["collection"] = stats
    ckpt.clear()  # finished: a repeat is served by the HTTP cache, not by stale checkpoints
    return CollectResult(tracks, playlists, artist_table, missing, skipped, stats)


def collect(
    taxonomy_path: str | Path | None = None,
    max_playlists_per_subgenre: int = 5,
    max_tracks_per_playlist: int | None = 100,
    features_source: FeaturesSource = "auto",
    cache_expire_days: float | None = 30,
    checkpoint_dir: str | Path | None = None,
    *,
    deezer_lookup: bool = True,
    progress: bool = True,
    client: SpotifyClient | None = None,
) -> pd.DataFrame:
    """Collect a fresh tracks table from Spotify, as the seed did (seed 000).

    Parameters
    ----------
    taxonomy_path : path, optional
        YAML ``genres: {genre: [subgenre, ...]}``; default ``params/taxonomy.yaml``.
    max_playlists_per_subgenre : int
        Playlists searched per subgenre (pages of 10).
    max_tracks_per_playlist : int or None
        Tracks read per playlist (pages of 50); ``None`` or 0 reads them all.
    features_source : {"auto", "spotify", "reccobeats"}
        ``"auto"`` asks Spotify and, on its 403, switches once to ReccoBeats with one warning.
    cache_expire_days : float or None
        Days before a cached HTTP answer is fetched again (``None``: never; ``0``: no cache).
    checkpoint_dir : path, optional
        Where each stage's progress is appended; default
        ``data/cache/collect/playlists-<hash of the parameters>``, so rerunning the same call
        resumes an interrupted one. The stage files are removed when a collection finishes
        (a repeat is then served by the HTTP cache).
    deezer_lookup : bool
        Look each ISRC up on Deezer for ``deezer_preview_url`` and ``deezer_bpm``.
    client : SpotifyClient, optional
        Default :func:`public_client` (credentials from ``.env``).

    Returns
    -------
    DataFrame
        One row per (track, playlist, genre, subgenre): :data:`genrelab.schema.SNAPSHOT_COLUMNS`
        with the snapshot's dtypes, then ``isrc``, ``deezer_preview_url``, ``deezer_bpm``.
        Tracks without complete features are left out, logged with their ids and listed in
        ``attrs["collection"]["missing_feature_ids"]``; ``attrs["collection"]`` also holds the
        HTTP calls made and the features source. :func:`collect_tables` returns the
        playlists, artists and skipped-items tables too.

    Raises
    ------
    SpotifyCredentialsError
        Credentials missing or refused (the message says how to set them; the snapshot works
        offline).
    """
    return collect_tables(
        taxonomy_path,
        max_playlists_per_subgenre,
        max_tracks_per_playlist,
        features_source,
        cache_expire_days,
        checkpoint_dir,
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
    offset 1000, so one query yields at most 1000 tracks.

    Returns
    -------
    DataFrame
        The snapshot's columns and dtypes plus :data:`EXTRA_COLUMNS`, one row per track;
        ``playlist_name`` holds the search query, ``playlist_id`` is NA, ``playlist_genre``
        is the genre queried (NA without ``genres``), ``playlist_subgenre`` is NA.
    """
    if features_source not in ("auto", "spotify", "reccobeats"):
        raise ValueError(
            f"features_source must be 'auto', 'spotify' or 'reccobeats', got {features_source!r}"
        )
    queries = (
        [(f'genre:"{g}" year:{year}', g) for g in genres] if genres else [(f"year:{year}", None)]
    )
    sp = client or public_client(cache_expire_days)
    ckpt = Checkpoint(
        checkpoint_dir or default_checkpoint_dir("year", {"queries": queries, "n": n_tracks})
    )
    c = Collector(sp, ckpt, features_source, progress)
    pages = ckpt.load("search-tracks")
    records: dict[str, dict] = {}
    rows = []
    for q, g in queries:
        got: dict[str, dict] = {}
        offset = 0
        with c.bar(None, f"search {q}", "track", total=n_tracks) as bar:
            while len(got) < n_tracks and offset < SEARCH_MAX_OFFSET:
                key = f"{q}|{offset}"
                if key not in pages:
                    page = sp.search(q=q, type="track", limit=SEARCH_LIMIT, offset=offset)["tracks"]
                    ckpt.save(
                        "search-tracks",
                        {
                            key: {
                                "tracks": [
                                    track_record(t)
                                    for t in page.get("items") or []
                                    if t and t.get("id")
                                ],
                                "next": bool(page.get("next")),
                            }
                        },
                    )
                before = len(got)
                for r in pages[key]["tracks"]:
                    if r["id"] not in got and len(got) < n_tracks:
                        got[r["id"]] = r
                bar.update(len(got) - before)
                if not pages[key]["next"]:
                    break
                offset += SEARCH_LIMIT
        for tid, r in got.items():
            records.setdefault(tid, r)
            rows.append(
                {
                    "track_id": tid,
                    "track_name": r["name"],
                    "playlist_id": None,
                    "playlist_name": q,
                    "playlist_genre": g,
                    "playlist_subgenre": None,
                }
            )
    incomplete = [t for t, r in records.items() if not r["complete"]]
    for t, r in c.tracks(incomplete).items():
        if r is not None:
            records[t] = r
    track_ids = list(records)
    feats, source, failed = c.features(track_ids)
    with_features = [
        t
        for t in track_ids
        if feats.get(t) and all(feats[t].get(k) is not None for k in FEATURE_COLUMNS)
    ]
    deez = (
        c.deezer([records[t]["isrc"] for t in with_features if records[t]["isrc"]])
        if deezer_lookup
        else {}
    )
    tracks, missing = assemble(rows, records, feats, failed, source, deez)
    report_missing(missing, len(track_ids))
    tracks.attrs["collection"] = _stats(
        sp,
        tracks=len(track_ids),
        rows=len(tracks),
        features_source=source,
        tracks_without_features=len(missing),
        missing_feature_ids=missing["track_id"].tolist(),
        checkpoint_dir=str(ckpt.dir),
    )
    ckpt.clear()
    return tracks
