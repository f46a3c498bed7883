"""Spotify collection that works in 2026: the seeds' pipelines, a user's library, one track's analysis.

Credentials come only from the environment / ``.env`` (see :func:`credentials`):
``SPOTIPY_CLIENT_ID`` and ``SPOTIPY_CLIENT_SECRET`` for public data (client-credentials flow),
plus ``SPOTIPY_REDIRECT_URI`` for a user's own library (authorization-code flow, scopes
:data:`SCOPES`). Without them every function raises :class:`SpotifyCredentialsError` saying
how to set them; ``source: snapshot`` in notebook 01 works offline.

Every request goes through :func:`genrelab.http.session`: a SQLite HTTP cache under
``data/cache/http/`` (git-ignored; expiry in days is a parameter), retries (429 honours
``Retry-After``; 5xx and dropped connections back off), per-host rate limits, and the bearer
token added only when a request really leaves (a run served from the cache makes no call at
all). Tokens are cached in ``data/cache/spotify/`` (git-ignored, mode 600).

Pipelines
---------
:func:`collect` (seed 000)
    taxonomy (``params/taxonomy.yaml``: genre -> subgenres) -> playlist search per subgenre (10
    per page, the 2026 limit) -> ``playlist_items`` with pagination -> tracks (only the ones a
    playlist item did not describe fully; 50 per call) -> artists (50 per call) -> audio
    features (Spotify, 100 per call; on a 403 one warning and ReccoBeats, 40 per call, matched
    back by href) -> Deezer preview URL and bpm by ISRC -> one row per (track, playlist) with
    the snapshot's 23 columns and dtypes plus ``isrc``, ``deezer_preview_url``, ``deezer_bpm``.
    Every resource is fetched once; every stage checkpoints, so an interrupted run resumes
    with no duplicate and no lost row.
:func:`collect_year` (seed 002)
    N tracks of one year by paginated search (``year:2020``), then the same features chain.

User library (DataFrames)
-------------------------
:func:`search`, :func:`profile`, :func:`currently_playing`, :func:`top_tracks`,
:func:`liked_tracks`, :func:`categories`, :func:`category_playlists`, :func:`playlist_tracks`,
:func:`album_tracks`, :func:`add_features`, and :func:`analyze_track` (features + a
classifier's genre probabilities, cached).

Example
-------
>>> from genrelab import spotify
>>> tracks = spotify.collect(max_playlists_per_subgenre=2, max_tracks_per_playlist=50)  # doctest: +SKIP
>>> tracks.attrs["collection"]["http_calls"]                                            # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import logging
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import spotipy
import yaml
from spotipy.cache_handler import CacheFileHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOAuth
from tqdm.auto import tqdm

from . import config, http, schema
from .sources import deezer, reccobeats

log = logging.getLogger(__name__)

#: Scopes of the authorization-code flow (the seed web app's): top tracks, liked tracks,
#: currently playing, private playlists.
SCOPES = (
    "user-top-read",
    "user-library-read",
    "user-read-currently-playing",
    "playlist-read-private",
)
#: The 2026 search limit for development-mode apps (items per page).
SEARCH_LIMIT = 10
#: Spotify's search stops at offset + limit = 1000.
SEARCH_MAX_OFFSET = 1000
PLAYLIST_ITEMS_LIMIT = 50
TRACKS_BATCH = 50
ARTISTS_BATCH = 50
SPOTIFY_FEATURES_BATCH = 100
TAXONOMY_YAML = config.PARAMS_DIR / "taxonomy.yaml"
#: Extra columns of a collected table (for the audio issue), after the snapshot's 23.
EXTRA_COLUMNS = schema.COLLECTION_EXTRA_COLUMNS
FeaturesSource = Literal["auto", "spotify", "reccobeats"]

MISSING_CREDENTIALS = """\
Spotify credentials are missing: {missing} not set.
Create an app at https://developer.spotify.com/dashboard, then put its keys in {env} (git-ignored):

    SPOTIPY_CLIENT_ID=<your client id>
    SPOTIPY_CLIENT_SECRET=<your client secret>
    SPOTIPY_REDIRECT_URI=http://127.0.0.1:8888/callback   # only for your own library (liked/top tracks)

(or export them in the environment). Without credentials, `source: snapshot` in notebook 01 /
params works offline on the embedded 2020 snapshot."""

BAD_CREDENTIALS = """\
Spotify refused the credentials ({detail}). Check SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET in {env}
(copy them again from https://developer.spotify.com/dashboard) and, for a user's library, log in
again with `python -m genrelab.spotify login`. `source: snapshot` works offline."""


class SpotifyCredentialsError(RuntimeError):
    """Credentials are missing or refused; the message says how to set them."""


class FeaturesForbiddenError(RuntimeError):
    """Spotify answered 403 on audio-features and ``features_source="spotify"`` was asked for."""


class SpotifyFallbackWarning(UserWarning):
    """An endpoint is closed for this app (403) and a fallback is used instead."""


class FeaturesSourceWarning(SpotifyFallbackWarning):
    """Spotify's audio-features endpoint is closed for this app: ReccoBeats is used instead."""


# --- credentials and clients ----------------------------------------------------------------
def credentials(*, user: bool = False) -> dict[str, str]:
    """The Spotify app's credentials from the environment / ``.env`` (never from anywhere else).

    Raises
    ------
    SpotifyCredentialsError
        If one is missing; the message says how to set it and that the snapshot works offline.
    """
    names = ["SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"] + (
        ["SPOTIPY_REDIRECT_URI"] if user else []
    )
    values = {n: config.setting(n) for n in names}
    missing = [n for n, v in values.items() if not v]
    if missing:
        raise SpotifyCredentialsError(
            MISSING_CREDENTIALS.format(
                missing=" and ".join(missing), env=config.PROJECT_ROOT / ".env"
            )
        )
    return values


def _token_dir() -> Path:
    return config.cache_folder("spotify")


def _app_key(client_id: str) -> str:
    return hashlib.sha256(client_id.encode()).hexdigest()[:10]


class SpotifyClient(spotipy.Spotify):
    """:class:`spotipy.Spotify` on genrelab's cached, retrying session.

    Attributes
    ----------
    http : requests_cache.CachedSession
        The session; ``http.calls`` counts network requests per host.
    auth : SpotifyClientCredentials or SpotifyOAuth
    kind : {"public", "user"}
    features_forbidden : bool
        Set after Spotify answered 403 on audio-features, so it is not asked again.
    """

    def __init__(self, auth, http_session, kind: str, requests_timeout: float = 20):
        super().__init__(requests_session=http_session, requests_timeout=requests_timeout)
        self.http = http_session
        self.auth = auth
        self.kind = kind
        self.app = _app_key(auth.client_id)

    @property
    def features_forbidden(self) -> bool:
        """Spotify answered 403 on audio-features for this app (remembered for the process)."""
        return self.app in _FEATURES_FORBIDDEN

    @features_forbidden.setter
    def features_forbidden(self, value: bool) -> None:
        (_FEATURES_FORBIDDEN.add if value else _FEATURES_FORBIDDEN.discard)(self.app)


#: apps (hashed client ids) that got a 403 on audio-features in this process
_FEATURES_FORBIDDEN: set[str] = set()


NOT_LOGGED_IN = """\
No Spotify login cached for user {user!r} ({path}). Log in once from a terminal:

    python -m genrelab.spotify login --user {user}

(it opens the browser, or prints a URL with --no-browser), then run the notebook again. Public data
(collect, search) needs no login; `source: snapshot` works offline."""


def _token_provider(
    auth, interactive: bool = True, user: str | None = None
) -> Callable[[bool], str]:
    def token(force_refresh: bool = False) -> str:
        try:
            if isinstance(auth, SpotifyOAuth):
                cached = auth.cache_handler.get_cached_token()
                if force_refresh and cached and cached.get("refresh_token"):
                    return auth.refresh_access_token(cached["refresh_token"])["access_token"]
                if not interactive and not auth.validate_token(cached):
                    # never wait for a browser inside a notebook run: say how to log in
                    raise SpotifyCredentialsError(
                        NOT_LOGGED_IN.format(user=user, path=auth.cache_handler.cache_path)
                    )
                return auth.get_access_token(as_dict=False)
            return auth.get_access_token(as_dict=False, check_cache=not force_refresh)
        except SpotifyOauthError as err:
            raise SpotifyCredentialsError(
                BAD_CREDENTIALS.format(
                    detail=getattr(err, "error", None) or err, env=config.PROJECT_ROOT / ".env"
                )
            ) from None

    return token


def public_client(cache_expire_days: float | None = 30, **http_options) -> SpotifyClient:
    """A client for public data (client-credentials flow).

    Parameters
    ----------
    cache_expire_days : float or None
        Days before a cached answer is fetched again (``None``: never; ``0``: no HTTP cache).
    **http_options
        Passed to :func:`genrelab.http.session` (``retries``, ``max_retry_after``, ...).
    """
    creds = credentials()
    auth = SpotifyClientCredentials(
        client_id=creds["SPOTIPY_CLIENT_ID"],
        client_secret=creds["SPOTIPY_CLIENT_SECRET"],
        cache_handler=CacheFileHandler(
            cache_path=str(_token_dir() / f"token-app-{_app_key(creds['SPOTIPY_CLIENT_ID'])}.json")
        ),
        requests_session=http.plain_session(),
    )
    session = http.session(cache_expire_days, token=_token_provider(auth), **http_options)
    return SpotifyClient(auth, session, "public")


def user_client(
    user: str = "me",
    *,
    scopes: Iterable[str] = SCOPES,
    cache_expire_days: float | None = 30,
    interactive: bool = False,
    open_browser: bool = True,
    **http_options,
) -> SpotifyClient:
    """A client for one user's library (authorization-code flow with :data:`SCOPES`).

    Log in once from a terminal with ``python -m genrelab.spotify login --user <name>``
    (``interactive=True``: opens the browser, or prints a URL to paste back); the token is
    cached in ``data/cache/spotify/token-user-<name>.json`` (mode 600) and refreshed
    automatically afterwards. Without a cached login and with ``interactive=False`` (the
    default, for notebooks) a clear error says how to log in instead of waiting for a browser.
    ``user`` only names the token file, so two people can be compared side by side.
    """
    if not user or any(c in user for c in "/\\") or user.startswith("."):
        raise ValueError(f"user must be a plain name, got {user!r}")
    creds = credentials(user=True)
    auth = SpotifyOAuth(
        client_id=creds["SPOTIPY_CLIENT_ID"],
        client_secret=creds["SPOTIPY_CLIENT_SECRET"],
        redirect_uri=creds["SPOTIPY_REDIRECT_URI"],
        scope=" ".join(scopes),
        open_browser=open_browser,
        cache_handler=CacheFileHandler(cache_path=str(_token_dir() / f"token-user-{user}.json")),
        requests_session=http.plain_session(),
    )
    session = http.session(
        cache_expire_days, token=_token_provider(auth, interactive, user), **http_options
    )
    return SpotifyClient(auth, session, "user")


def _translate_errors(fn):
    """Turn 401s and refused tokens into :class:`SpotifyCredentialsError`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SpotifyException as err:
            if err.http_status == 401:
                raise SpotifyCredentialsError(
                    BAD_CREDENTIALS.format(
                        detail=f"HTTP 401: {err.msg.splitlines()[-1].strip()}",
                        env=config.PROJECT_ROOT / ".env",
                    )
                ) from None
            raise
        except SpotifyOauthError as err:
            raise SpotifyCredentialsError(
                BAD_CREDENTIALS.format(
                    detail=getattr(err, "error", None) or err, env=config.PROJECT_ROOT / ".env"
                )
            ) from None

    return wrapper


# --- taxonomy -----------------------------------------------------------------------------
def load_taxonomy(path: str | Path | None = None) -> dict[str, list[str]]:
    """Read ``genre -> [subgenres]`` from a YAML file (default ``params/taxonomy.yaml``).

    The file holds a ``genres:`` mapping of genre names to lists of subgenre names; each
    subgenre is the playlist search query.
    """
    path = Path(path) if path else TAXONOMY_YAML
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such taxonomy file")
    raw = yaml.safe_load(path.read_text()) or {}
    genres = raw.get("genres") if isinstance(raw, dict) else None
    if not isinstance(genres, dict) or not genres:
        raise ValueError(
            f"{path}: expected a non-empty `genres:` mapping of genre -> list of subgenres"
        )
    out: dict[str, list[str]] = {}
    for genre, subs in genres.items():
        if (
            not isinstance(subs, list)
            or not subs
            or not all(isinstance(s, str) and s.strip() for s in subs)
        ):
            raise ValueError(
                f"{path}: genre {genre!r} must list one or more subgenre names, got {subs!r}"
            )
        out[str(genre)] = [s.strip() for s in subs]
    return out


# --- parsing Spotify objects --------------------------------------------------------------
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


def _item_track(item: dict | None) -> tuple[dict | None, str | None]:
    """The track of a playlist / library item (``item`` in 2026 answers, ``track`` before), or why not."""
    if not item:
        return None, "empty item"
    t = item.get("item") or item.get("track")
    if not t:
        return None, "no track (removed or unavailable)"
    if item.get("is_local") or t.get("is_local"):
        return None, "local file"
    if t.get("type", "track") != "track":
        return None, f"not a track ({t.get('type')})"
    if not t.get("id"):
        return None, "no Spotify id"
    return t, None


def _tracks_frame(records: list[dict], extra: dict[str, list] | None = None) -> pd.DataFrame:
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


# --- checkpoints --------------------------------------------------------------------------
class Checkpoint:
    """Append-only JSON-lines files, one per stage, in ``directory``.

    Every finished unit (a search, a playlist with all its pages, a batch) is appended as
    ``{"k": key, "v": value}`` and flushed, so an interrupted run (exception, Ctrl-C, killed
    kernel) loses at most the unit in flight. A torn last line is ignored.
    """

    def __init__(self, directory: str | Path | None):
        self.dir = Path(directory) if directory is not None else None
        self._memory: dict[str, dict] = {}
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)

    def load(self, stage: str) -> dict[str, Any]:
        if stage in self._memory:
            return self._memory[stage]
        done: dict[str, Any] = {}
        path = self.dir / f"{stage}.jsonl" if self.dir else None
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("%s: ignoring a torn line (interrupted write)", path)
                    continue
                done[rec["k"]] = rec["v"]
        self._memory[stage] = done
        return done

    def clear(self) -> None:
        """Remove the stage files (after a finished collection: checkpoints only serve resuming)."""
        self._memory.clear()
        if self.dir is None:
            return
        for path in self.dir.glob("*.jsonl"):
            path.unlink()
        try:
            self.dir.rmdir()
        except OSError:
            pass  # other files live there: leave the folder

    def save(self, stage: str, values: dict[str, Any]) -> None:
        done = self.load(stage)
        done.update(values)
        if self.dir is None:
            return
        with open(self.dir / f"{stage}.jsonl", "a") as fh:
            for k, v in values.items():
                fh.write(json.dumps({"k": k, "v": v}) + "\n")


@contextlib.contextmanager
def _expected_errors():
    """Silence spotipy's own ERROR log for answers we handle and report ourselves (403 -> fallback)."""
    logger = logging.getLogger("spotipy.client")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _batches(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# --- the stages ---------------------------------------------------------------------------
@dataclass
class _Collector:
    sp: SpotifyClient
    ckpt: Checkpoint
    features_source: FeaturesSource = "auto"
    progress: bool = True
    skipped: list[dict] = field(default_factory=list)

    def bar(self, iterable, desc, unit, total=None):
        return tqdm(iterable, desc=desc, unit=unit, total=total, disable=not self.progress)

    # search ------------------------------------------------------------------------------
    def search_playlists(self, query: str, n: int) -> list[dict]:
        """Up to ``n`` distinct playlists for ``query`` (pages of 10; null items skipped)."""
        found: dict[str, dict] = {}
        offset = 0
        while len(found) < n and offset < SEARCH_MAX_OFFSET:
            page = self.sp.search(q=query, type="playlist", limit=SEARCH_LIMIT, offset=offset)[
                "playlists"
            ]
            for p in page.get("items") or []:
                if not p or not p.get("id") or p["id"] in found:
                    continue
                total = (p.get("items") or p.get("tracks") or {}).get("total")
                found[p["id"]] = {
                    "playlist_id": p["id"],
                    "playlist_name": p.get("name"),
                    "owner": (p.get("owner") or {}).get("id"),
                    "n_items": total,
                }
                if len(found) == n:
                    break
            if not page.get("next"):
                break
            offset += SEARCH_LIMIT
        return list(found.values())

    # playlist contents --------------------------------------------------------------------
    def playlist_items(self, playlist_id: str, max_tracks: int | None) -> dict:
        """All track records of one playlist (``next`` pages), or the reason it was skipped."""
        limit = PLAYLIST_ITEMS_LIMIT if not max_tracks else min(PLAYLIST_ITEMS_LIMIT, max_tracks)
        try:
            with _expected_errors():
                page = self.sp.playlist_items(playlist_id, limit=limit, additional_types=("track",))
        except SpotifyException as err:
            if err.http_status in (403, 404):
                reason = (
                    "Spotify answers 403 for this playlist's items: since March 2026 "
                    "development-mode apps may only read playlists their user owns or "
                    "collaborates on"
                    if err.http_status == 403
                    else "playlist not found (404)"
                )
                log.warning("playlist %s skipped: %s", playlist_id, reason)
                return {"tracks": [], "skipped": [], "status": f"skipped: {reason}"}
            raise
        tracks, skipped = [], []
        while True:
            for item in page.get("items") or []:
                t, why = _item_track(item)
                if t is None:
                    skipped.append(why)
                    continue
                tracks.append(track_record(t))
                if max_tracks and len(tracks) >= max_tracks:
                    break
            if (max_tracks and len(tracks) >= max_tracks) or not page.get("next"):
                break
            page = self.sp.next(page)
        return {"tracks": tracks, "skipped": skipped, "status": "ok"}

    # batched look-ups with a one-by-one fallback -----------------------------------------
    def _batched(
        self,
        stage: str,
        ids: list[str],
        size: int,
        many: Callable,
        one: Callable,
        key: str,
        parse: Callable,
    ) -> dict[str, Any]:
        done = self.ckpt.load(stage)
        todo = [i for i in dict.fromkeys(ids) if i not in done]
        one_by_one = False
        for batch in self.bar(_batches(todo, size), stage, "batch"):
            if not one_by_one:
                try:
                    with _expected_errors():
                        objs = many(batch)[key]
                    self.ckpt.save(
                        stage, {i: (parse(o) if o else None) for i, o in zip(batch, objs)}
                    )
                    continue
                except SpotifyException as err:
                    if err.http_status != 403:
                        raise
                    one_by_one = True
                    warnings.warn(
                        f"Spotify answers 403 on the batch endpoint /{key} (closed for "
                        f"development-mode apps since February 2026): fetching {key} one "
                        f"by one instead.",
                        SpotifyFallbackWarning,
                        stacklevel=3,
                    )
            for i in batch:
                try:
                    o = one(i)
                except SpotifyException as err:
                    if err.http_status not in (400, 403, 404):
                        raise
                    log.warning("%s %s: HTTP %s, skipped", key, i, err.http_status)
                    o = None
                self.ckpt.save(stage, {i: parse(o) if o else None})
        return {i: done.get(i) for i in ids}

    def tracks(self, ids: list[str]) -> dict[str, dict | None]:
        return self._batched(
            "tracks", ids, TRACKS_BATCH, self.sp.tracks, self.sp.track, "tracks", track_record
        )

    def artists(self, ids: list[str]) -> dict[str, dict | None]:
        def parse(a):
            return {
                "artist_id": a.get("id"),
                "artist_name": a.get("name"),
                "artist_genres": "; ".join(a.get("genres") or []),
                "artist_popularity": a.get("popularity"),
                "artist_followers": (a.get("followers") or {}).get("total"),
            }

        return self._batched(
            "artists", ids, ARTISTS_BATCH, self.sp.artists, self.sp.artist, "artists", parse
        )

    # features ----------------------------------------------------------------------------
    def features(self, ids: list[str]) -> tuple[dict[str, dict | None], str, dict[str, str]]:
        """Features per id (None: not found), the source used, and reasons for failed batches."""
        ids = list(dict.fromkeys(ids))
        meta = self.ckpt.load("features_meta")
        source = self.features_source
        if source == "auto":
            source = (
                "reccobeats"
                if (meta.get("spotify_forbidden") or self.sp.features_forbidden)
                else "spotify"
            )
        failed: dict[str, str] = {}
        if source == "spotify":
            done = self.ckpt.load("features-spotify")
            todo = [i for i in ids if i not in done]
            for batch in self.bar(
                _batches(todo, SPOTIFY_FEATURES_BATCH), "spotify features", "batch"
            ):
                try:
                    with warnings.catch_warnings(), _expected_errors():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        got = self.sp.audio_features(batch) or []
                except SpotifyException as err:
                    if err.http_status != 403:
                        raise
                    self.sp.features_forbidden = True
                    if self.features_source == "spotify":
                        raise FeaturesForbiddenError(
                            "Spotify answers 403 on /audio-features: the endpoint is closed for apps "
                            "created (or in development mode) after 2024-11-27. Use "
                            "features_source='auto' or 'reccobeats'."
                        ) from None
                    warnings.warn(
                        "Spotify answers 403 on /audio-features (closed for new and development-mode "
                        "apps since 2024-11-27): switching to ReccoBeats (api.reccobeats.com) for the "
                        "audio features of this collection. Its values are close to Spotify's but not "
                        "identical; tracks it does not know are listed, not dropped silently.",
                        FeaturesSourceWarning,
                        stacklevel=3,
                    )
                    self.ckpt.save("features_meta", {"spotify_forbidden": True})
                    source = "reccobeats"
                    break
                by_id = {f["id"]: f for f in got if f}
                self.ckpt.save(
                    "features-spotify", {i: _spotify_features(by_id.get(i)) for i in batch}
                )
            if source == "spotify":
                return {i: done.get(i) for i in ids}, "spotify", failed
        done = self.ckpt.load("features-reccobeats")
        todo = [i for i in ids if i not in done]
        for batch in self.bar(
            _batches(todo, reccobeats.BATCH_SIZE), "reccobeats features", "batch"
        ):
            try:
                got = reccobeats.fetch_batch(batch, self.sp.http)
            except reccobeats.ReccoBeatsError as err:
                log.warning("%s: the batch is skipped (not checkpointed, a rerun asks again)", err)
                failed.update({i: str(err) for i in batch})
                continue
            self.ckpt.save("features-reccobeats", got)
        return {i: done.get(i) for i in ids}, "reccobeats", failed

    # deezer ------------------------------------------------------------------------------
    def deezer(self, isrcs: list[str]) -> dict[str, dict | None]:
        done = self.ckpt.load("deezer")
        todo = [i for i in dict.fromkeys(isrcs) if i and i not in done]
        for isrc in self.bar(todo, "deezer", "isrc"):
            try:
                found = deezer.track_by_isrc(isrc, self.sp.http)
            except deezer.DeezerError as err:
                log.warning("%s: skipped (not checkpointed)", err)
                continue
            self.ckpt.save(
                "deezer",
                {
                    isrc: None
                    if found is None
                    else {k: found[k] for k in ("deezer_preview_url", "deezer_bpm")}
                },
            )
        return done


def _spotify_features(f: dict | None) -> dict | None:
    if not f:
        return None
    return {k: f.get(k) for k in schema.AUDIO_FEATURES if f.get(k) is not None}


FEATURE_COLUMNS = schema.ENDPOINT_FEATURES


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


def default_checkpoint_dir(kind: str, spec: dict) -> Path:
    """``<cache>/collect/<kind>-<hash of the collection's parameters>``: same call, same folder."""
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return config.cache_folder("collect") / f"{kind}-{key}"


def _assemble(
    rows: list[dict],
    records: dict[str, dict],
    feats: dict[str, dict | None],
    failed: dict[str, str],
    source: str,
    deez: dict[str, dict | None],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows (track x playlist) -> the snapshot's schema; tracks without complete features listed."""
    missing, keep = {}, []
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
        keep.append(row)
    out = []
    for row in keep:
        r = records[row["track_id"]]
        f = feats[row["track_id"]]
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


def _report_missing(miss: pd.DataFrame, n_tracks: int) -> None:
    if len(miss):
        ids = miss["track_id"].tolist()
        log.warning(
            "%d of %d tracks have no complete audio features and are left out of the table "
            "(CollectResult.missing_features / tracks.attrs['collection']['missing_feature_ids']): %s",
            len(ids),
            n_tracks,
            ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else ""),
        )


def _stats(sp: SpotifyClient, **extra) -> dict:
    calls = dict(sp.http.calls)
    token_calls = sum(sp.auth._session.calls.values()) if hasattr(sp.auth._session, "calls") else 0
    if token_calls:
        calls["accounts.spotify.com"] = token_calls
    return {"http_calls": int(sum(calls.values())), "http_calls_by_host": calls, **extra}


@_translate_errors
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
    c = _Collector(sp, ckpt, features_source, progress)

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
    tracks, missing = _assemble(rows, records, feats, failed, source, deez)
    _report_missing(missing, len(track_ids))
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


@_translate_errors
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
    c = _Collector(sp, ckpt, features_source, progress)
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
    tracks, missing = _assemble(rows, records, feats, failed, source, deez)
    _report_missing(missing, len(track_ids))
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


# --- features for any table ---------------------------------------------------------------
@_translate_errors
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
    c = _Collector(sp, Checkpoint(None), source, progress)
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
    missing = [
        t for t in ids if not feats.get(t) or any(feats[t].get(k) is None for k in FEATURE_COLUMNS)
    ]
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


# --- user library and public look-ups as DataFrames ---------------------------------------
def _pages(sp: SpotifyClient, page: dict, limit: int | None, key: str | None = None):
    """Items of a paged answer, following ``next`` until ``limit`` items."""
    n = 0
    while page:
        if key and key in page:
            page = page[key]
        for item in page.get("items") or []:
            yield item
            n += 1
            if limit and n >= limit:
                return
        if not page.get("next"):
            return
        page = sp.next(page)


def _records_from_items(items: Iterable[dict]) -> tuple[list[dict], list[dict]]:
    records, extras = [], []
    for it in items:
        t, _ = _item_track(it)
        if t is not None:
            records.append(track_record(t))
            extras.append({k: it.get(k) for k in ("added_at",) if k in it})
    return records, extras


@_translate_errors
def search(
    query: str,
    type: Literal["track", "artist", "album", "playlist"] = "track",
    limit: int = 10,
    *,
    client: SpotifyClient | None = None,
) -> pd.DataFrame:
    """Search Spotify; one row per result (pages of 10, the 2026 limit)."""
    if type not in ("track", "artist", "album", "playlist"):
        raise ValueError(f"type must be track, artist, album or playlist, got {type!r}")
    sp = client or public_client()
    items: list[dict] = []
    offset = 0
    while len(items) < limit and offset < SEARCH_MAX_OFFSET:
        page = sp.search(
            q=query, type=type, limit=min(SEARCH_LIMIT, limit - len(items)), offset=offset
        )[type + "s"]
        items.extend(i for i in page.get("items") or [] if i)
        if not page.get("next"):
            break
        offset += SEARCH_LIMIT
    items = items[:limit]
    if type == "track":
        return _tracks_frame([track_record(t) for t in items])
    if type == "artist":
        return pd.DataFrame(
            {
                "artist_id": [a["id"] for a in items],
                "artist_name": [a.get("name") for a in items],
                "artist_genres": ["; ".join(a.get("genres") or []) for a in items],
                "artist_popularity": pd.array([a.get("popularity") for a in items], dtype="Int64"),
                "artist_followers": pd.array(
                    [(a.get("followers") or {}).get("total") for a in items], dtype="Int64"
                ),
            }
        )
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
    return _playlists_frame(items)


def _playlists_frame(items: list[dict]) -> pd.DataFrame:
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


@_translate_errors
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


@_translate_errors
def currently_playing(*, client: SpotifyClient | None = None) -> pd.DataFrame:
    """What the user is playing now: one row (track columns + ``is_playing``, ``progress_ms``), or none."""
    sp = client or user_client()
    now = sp.current_user_playing_track()
    if not now or not now.get("item") or now["item"].get("type", "track") != "track":
        return _tracks_frame([]).assign(
            is_playing=pd.Series(dtype="bool"), progress_ms=pd.Series(dtype="Int64")
        )
    df = _tracks_frame([track_record(now["item"])])
    df["is_playing"] = bool(now.get("is_playing"))
    df["progress_ms"] = pd.array([now.get("progress_ms")], dtype="Int64")
    return df


@_translate_errors
def top_tracks(
    time_range: Literal["short_term", "medium_term", "long_term"] = "medium_term",
    limit: int = 50,
    *,
    client: SpotifyClient | None = None,
) -> pd.DataFrame:
    """The user's top tracks, best first (``rank`` from 1)."""
    sp = client or user_client()
    first = sp.current_user_top_tracks(limit=min(50, limit), time_range=time_range)
    records = [track_record(t) for t in _pages(sp, first, limit) if t and t.get("id")]
    return _tracks_frame(records, {"rank": list(range(1, len(records) + 1))})


@_translate_errors
def liked_tracks(limit: int | None = None, *, client: SpotifyClient | None = None) -> pd.DataFrame:
    """The user's liked ("saved") tracks, newest first, with ``added_at`` (pages of 50)."""
    sp = client or user_client()
    first = sp.current_user_saved_tracks(limit=50 if not limit else min(50, limit))
    records, extras = _records_from_items(_pages(sp, first, limit))
    return _tracks_frame(records, {"added_at": [e.get("added_at") for e in extras]})


@_translate_errors
def categories(
    limit: int = 50, country: str | None = None, *, client: SpotifyClient | None = None
) -> pd.DataFrame:
    """Browse categories: ``category_id, name`` (Spotify closed this for new apps in 2026)."""
    sp = client or public_client()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        first = sp.categories(country=country, limit=min(50, limit))
    items = list(_pages(sp, first, limit, key="categories"))
    return pd.DataFrame(
        {"category_id": [c["id"] for c in items], "name": [c.get("name") for c in items]}
    )


@_translate_errors
def category_playlists(
    category_id: str, limit: int = 50, *, client: SpotifyClient | None = None
) -> pd.DataFrame:
    """Playlists of one browse category (null items skipped)."""
    sp = client or public_client()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        first = sp.category_playlists(category_id, limit=min(50, limit))
    items = [p for p in _pages(sp, first, limit, key="playlists") if p]
    return _playlists_frame(items)


@_translate_errors
def playlist_tracks(
    playlist_id: str, limit: int | None = None, *, client: SpotifyClient | None = None
) -> pd.DataFrame:
    """A playlist's tracks in order, with ``added_at`` (local files and episodes skipped)."""
    sp = client or public_client()
    first = sp.playlist_items(playlist_id, limit=PLAYLIST_ITEMS_LIMIT, additional_types=("track",))
    records, extras = _records_from_items(_pages(sp, first, limit))
    return _tracks_frame(records, {"added_at": [e.get("added_at") for e in extras]})


@_translate_errors
def album_tracks(album_id: str, *, client: SpotifyClient | None = None) -> pd.DataFrame:
    """An album's tracks: ``track_id, track_name, track_artist, disc_number, track_number, duration_ms``."""
    sp = client or public_client()
    items = [t for t in _pages(sp, sp.album_tracks(album_id, limit=50), None) if t]
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


# --- one track's analysis -----------------------------------------------------------------
@dataclass
class TrackAnalysis:
    """One track: its metadata, audio features and (given a model) genre probabilities."""

    track: pd.Series
    features: pd.Series
    features_source: str
    probabilities: pd.Series | None = None

    @property
    def predicted_genre(self) -> str | None:
        return None if self.probabilities is None else str(self.probabilities.idxmax())

    def to_frame(self) -> pd.DataFrame:
        """One row: metadata, features, and ``p_<genre>`` columns."""
        parts = [self.track, self.features]
        if self.probabilities is not None:
            parts.append(self.probabilities.add_prefix("p_"))
        return pd.concat(parts).to_frame().T


_ANALYSIS_MEMO: dict[tuple, tuple[pd.Series, pd.Series, str]] = {}


@_translate_errors
def analyze_track(
    track_id: str,
    model: Any = None,
    *,
    features_source: FeaturesSource = "auto",
    client: SpotifyClient | None = None,
) -> TrackAnalysis:
    """Metadata + audio features of one track, and the genre probabilities of ``model``.

    Parameters
    ----------
    track_id : str
        A Spotify id, URI or open.spotify.com URL.
    model : object, optional
        Anything with ``predict_proba`` and ``classes_`` taking a DataFrame with the columns
        :data:`genrelab.schema.AUDIO_FEATURES` (the classifier notebook 03 saves).

    The look-up is memoised per process and the answers sit in the HTTP cache, so a second
    analysis of the same track makes no call.
    """
    sp = client or public_client()
    tid = sp._get_id("track", track_id)
    memo_key = (sp.app, str(config.cache_dir()), tid, features_source)
    if memo_key not in _ANALYSIS_MEMO:
        rec = track_record(sp.track(tid))
        c = _Collector(sp, Checkpoint(None), features_source, progress=False)
        feats, used, failed = c.features([tid])
        f = dict(feats.get(tid) or {})
        f.setdefault("duration_ms", rec["duration_ms"])
        features = pd.Series(
            {k: f.get(k, np.nan) for k in schema.AUDIO_FEATURES}, dtype="float64", name=tid
        )
        track = pd.Series(
            {
                "track_id": tid,
                "track_name": rec["name"],
                "track_artist": (rec["artist_names"] or [None])[0],
                "track_album_name": rec["album_name"],
                "track_album_release_date": rec["release_date"],
                "isrc": rec["isrc"],
            },
            name=tid,
        )
        _ANALYSIS_MEMO[memo_key] = (track, features, used)
    track, features, used = _ANALYSIS_MEMO[memo_key]
    probs = None
    if model is not None:
        absent = features.index[features.isna()].tolist()
        if absent:
            raise ValueError(
                f"track {tid}: no {', '.join(absent)} from {used}; the model needs all of "
                f"{schema.AUDIO_FEATURES}"
            )
        X = features.to_frame().T.reset_index(drop=True)
        p = np.asarray(model.predict_proba(X))[0]
        probs = pd.Series(
            p, index=[str(c) for c in model.classes_], name="probability"
        ).sort_values(ascending=False)
    return TrackAnalysis(track.copy(), features.copy(), used, probs)


# --- command line: log in once so notebooks can use the cached user token ----------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m genrelab.spotify", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    login = sub.add_parser("login", help="authorize the app for your library (caches the token)")
    login.add_argument("--user", default="me", help="name of the token file (compare two users)")
    login.add_argument(
        "--no-browser", action="store_true", help="print the URL instead of opening a browser"
    )
    args = parser.parse_args(argv)
    if args.command == "login":
        sp = user_client(args.user, interactive=True, open_browser=not args.no_browser)
        print(profile(client=sp).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
