"""The stages every collection path shares: search, playlist items, batches, features, Deezer.

A :class:`Collector` holds a client and a :class:`~genrelab.collect.checkpoint.Checkpoint`;
each stage fetches every resource once, checkpoints it and falls back where 2026's Spotify
closes an endpoint: a batch endpoint's 403 -> one by one, audio-features' 403 -> ReccoBeats
(one warning), playlist items' 403 -> the playlist skipped with its reason.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Literal

from spotipy.exceptions import SpotifyException
from tqdm.auto import tqdm

from genrelab.collect import deezer, reccobeats, refusals
from genrelab.collect.checkpoint import Checkpoint
from genrelab.collect.errors import (
    FeaturesForbiddenError,
    FeaturesSourceWarning,
    SpotifyFallbackWarning,
)
from genrelab.collect.records import (
    artist_record,
    artists_from_tracks,
    item_track,
    spotify_features,
    track_record,
)
from genrelab.collect.spotify_client import (
    ARTISTS_BATCH,
    PLAYLIST_ITEMS_LIMIT,
    SEARCH_LIMIT,
    SEARCH_MAX_OFFSET,
    SPOTIFY_FEATURES_BATCH,
    TRACKS_BATCH,
    SpotifyClient,
    expected_errors,
    pages,
)

log = logging.getLogger(__name__)

FeaturesSource = Literal["auto", "spotify", "reccobeats"]
PLAYLIST_403 = (
    "Spotify answers 403 for this playlist's items: since March 2026 development-mode apps may "
    "only read playlists their user owns or collaborates on"
)


def _batches(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# --- the stages ---------------------------------------------------------------------------
@dataclass
class Collector:
    """The stages of a collection on one client, checkpointed in ``ckpt``.

    ``skipped`` collects the reasons of items left out, ``deezer_skipped`` the ISRCs whose
    Deezer answer was an error or malformed (not checkpointed: a rerun asks again);
    ``features_source`` is ``"auto"`` (Spotify, then ReccoBeats after its 403), ``"spotify"`` or
    ``"reccobeats"``.
    """

    sp: SpotifyClient
    ckpt: Checkpoint
    features_source: FeaturesSource = "auto"
    progress: bool = True
    skipped: list[dict] = field(default_factory=list)
    deezer_skipped: dict[str, str] = field(default_factory=dict)

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
                found[p["id"]] = playlist_summary(p)
                if len(found) == n:
                    break
            if not page.get("next"):
                break
            offset += SEARCH_LIMIT
        return list(found.values())

    def search_tracks(self, query: str, n: int) -> list[dict]:
        """Up to ``n`` distinct track records for ``query``, in Spotify's order.

        Pages of 10 (the 2026 limit) below offset 1,000 (where Spotify's search stops), each
        checkpointed; null items and tracks without an id are skipped.
        """
        pages = self.ckpt.load("search-tracks")
        got: dict[str, dict] = {}
        offset = 0
        with self.bar(None, f"search {query}", "track", total=n) as bar:
            while len(got) < n and offset < SEARCH_MAX_OFFSET:
                key = f"{query}|{offset}"
                if key not in pages:
                    page = self.sp.search(q=query, type="track", limit=SEARCH_LIMIT, offset=offset)
                    page = page["tracks"]
                    found = [track_record(t) for t in page.get("items") or [] if t and t.get("id")]
                    self.ckpt.save(
                        "search-tracks", {key: {"tracks": found, "next": bool(page.get("next"))}}
                    )
                before = len(got)
                for r in pages[key]["tracks"]:
                    if r["id"] not in got and len(got) < n:
                        got[r["id"]] = r
                bar.update(len(got) - before)
                if not pages[key]["next"]:
                    break
                offset += SEARCH_LIMIT
        return list(got.values())

    def my_playlists(self) -> list[dict]:
        """The logged-in user's playlists (own, collaborative and followed; ``/me/playlists``)."""
        done = self.ckpt.load("my-playlists")
        if "all" not in done:
            first = self.sp.current_user_playlists(limit=PLAYLIST_ITEMS_LIMIT)
            mine = [playlist_summary(p) for p in pages(self.sp, first, None) if p and p.get("id")]
            self.ckpt.save("my-playlists", {"all": mine})
        return done["all"]

    # playlist contents --------------------------------------------------------------------
    def playlist_items(
        self, playlist_id: str, max_tracks: int | None, owner: str | None = None
    ) -> dict:
        """All track records of one playlist (``next`` pages), or the reason it was skipped.

        A 403 (a development-mode app reading a playlist its user neither owns nor
        collaborates on) is remembered (``SpotifyClient.dev_mode``); a 404 on one of Spotify's
        editorial playlists says so. ``http_status`` holds the refusal's status.
        """
        limit = PLAYLIST_ITEMS_LIMIT if not max_tracks else min(PLAYLIST_ITEMS_LIMIT, max_tracks)
        refusal = f"playlist items {self.sp.who} {playlist_id}"
        if self.sp.refused(refusal):  # asked before and refused: not asked again
            return {
                "tracks": [],
                "skipped": [],
                "status": f"skipped: {PLAYLIST_403} (remembered)",
                "http_status": 403,
            }
        try:
            with expected_errors():
                page = self.sp.playlist_items(playlist_id, limit=limit, additional_types=("track",))
        except SpotifyException as err:
            if err.http_status not in (403, 404):
                raise
            if err.http_status == 403:
                self.sp.dev_mode = True
                self.sp.refuse(refusal)
                reason = PLAYLIST_403
            elif refusals.is_editorial(playlist_id, owner):
                reason = (
                    "Spotify answers 404: its own editorial playlists are closed to new apps "
                    "since 2024-11-27"
                )
            else:
                reason = "playlist not found (404)"
            log.warning("playlist %s skipped: %s", playlist_id, reason)
            return {
                "tracks": [],
                "skipped": [],
                "status": f"skipped: {reason}",
                "http_status": err.http_status,
            }
        tracks, skipped = [], []
        while True:
            for item in page.get("items") or []:
                t, why = item_track(item)
                if t is None:
                    skipped.append(why)
                    continue
                tracks.append({**track_record(t), "added_at": item.get("added_at")})
                if max_tracks and len(tracks) >= max_tracks:
                    break
            if (max_tracks and len(tracks) >= max_tracks) or not page.get("next"):
                break
            page = self.sp.next(page)
        return {"tracks": tracks, "skipped": skipped, "status": "ok", "http_status": 200}

    # batched look-ups with a one-by-one fallback -----------------------------------------
    def _batch_refused(self, key: str, what: str) -> None:
        self.sp.refuse(f"batch /{key}")
        warnings.warn(
            f"Spotify answers 403 on the batch endpoint /{key} (closed for development-mode "
            f"apps since February 2026): {what}.",
            SpotifyFallbackWarning,
            stacklevel=4,
        )

    def tracks(self, ids: list[str]) -> dict[str, dict | None]:
        """Full track records (ISRC, release date) of ``ids``: 50 per call, else one by one."""
        done = self.ckpt.load("tracks")
        todo = [i for i in dict.fromkeys(ids) if i not in done]
        one_by_one = self.sp.refused("batch /tracks")  # refused before: not asked again
        for batch in self.bar(_batches(todo, TRACKS_BATCH), "tracks", "batch"):
            if not one_by_one:
                try:
                    with expected_errors():
                        objs = self.sp.tracks(batch)["tracks"]
                    self.ckpt.save(
                        "tracks", {i: track_record(o) if o else None for i, o in zip(batch, objs)}
                    )
                    continue
                except SpotifyException as err:
                    if err.http_status != 403:
                        raise
                    one_by_one = True
                    self._batch_refused("tracks", "fetching tracks one by one instead")
            for i in batch:
                try:
                    with expected_errors():
                        o = self.sp.track(i)
                except SpotifyException as err:
                    if err.http_status not in (400, 403, 404):
                        raise
                    log.warning("track %s: HTTP %s, skipped", i, err.http_status)
                    o = None
                self.ckpt.save("tracks", {i: track_record(o) if o else None})
        return {i: done.get(i) for i in ids}

    def artists(self, ids: list[str], records: list[dict]) -> dict[str, dict | None]:
        """Artist records of ``ids``: 50 per call; once the batch is refused, from ``records``.

        Apps refused the batch endpoint (development mode, 2026) also get artist objects
        without genres, popularity and followers, so one call per artist would add nothing to
        the ids and names the tracks already carry: none is made.
        """
        done = self.ckpt.load("artists")
        todo = [i for i in dict.fromkeys(ids) if i not in done]
        if todo and not self.sp.refused("batch /artists"):
            for batch in self.bar(_batches(todo, ARTISTS_BATCH), "artists", "batch"):
                try:
                    with expected_errors():
                        objs = self.sp.artists(batch)["artists"]
                except SpotifyException as err:
                    if err.http_status != 403:
                        raise
                    self._batch_refused(
                        "artists",
                        "artist ids and names come from the tracks (such apps get no artist "
                        "genres, popularity or followers)",
                    )
                    break
                self.ckpt.save(
                    "artists", {i: artist_record(o) if o else None for i, o in zip(batch, objs)}
                )
        if any(i not in done for i in ids):
            named = artists_from_tracks(records)
            self.ckpt.save("artists", {i: named.get(i) for i in ids if i not in done})
        return {i: done.get(i) for i in ids}

    # features ----------------------------------------------------------------------------
    def features(self, ids: list[str]) -> tuple[dict[str, dict | None], str, dict[str, str]]:
        """Features per id (None: not found), the source used, and reasons for failed batches."""
        ids = list(dict.fromkeys(ids))
        meta = self.ckpt.load("features_meta")
        source = self.features_source
        if source == "auto":
            forbidden = meta.get("spotify_forbidden") or self.sp.features_forbidden
            source = "reccobeats" if forbidden else "spotify"
        failed: dict[str, str] = {}
        if source == "spotify":
            done = self.ckpt.load("features-spotify")
            todo = [i for i in ids if i not in done]
            for batch in self.bar(
                _batches(todo, SPOTIFY_FEATURES_BATCH), "spotify features", "batch"
            ):
                try:
                    with warnings.catch_warnings(), expected_errors():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        got = self.sp.audio_features(batch) or []
                except SpotifyException as err:
                    if err.http_status != 403:
                        raise
                    self.sp.features_forbidden = True
                    if self.features_source == "spotify":
                        raise FeaturesForbiddenError(refusals.FEATURES_403) from None
                    warnings.warn(
                        "Spotify answers 403 on /audio-features (closed for new and "
                        "development-mode apps since 2024-11-27): switching to ReccoBeats "
                        "(api.reccobeats.com) for the audio features of this collection. Its "
                        "values are close to Spotify's but not identical; tracks it does not "
                        "know are listed, not dropped silently.",
                        FeaturesSourceWarning,
                        stacklevel=3,
                    )
                    self.ckpt.save("features_meta", {"spotify_forbidden": True})
                    source = "reccobeats"
                    break
                by_id = {f["id"]: f for f in got if f}
                self.ckpt.save(
                    "features-spotify", {i: spotify_features(by_id.get(i)) for i in batch}
                )
            if source == "spotify":
                return {i: done.get(i) for i in ids}, "spotify", failed
        done = self.ckpt.load("features-reccobeats")
        todo = [i for i in ids if i not in done]
        for batch in self.bar(
            _batches(todo, reccobeats.BATCH_SIZE), "reccobeats features", "batch"
        ):
            try:
                got = reccobeats.fetch_batch(batch, self.sp.http, skipped=failed)
            except reccobeats.ReccoBeatsError as err:
                log.warning("%s: the batch is skipped (not checkpointed, a rerun asks again)", err)
                failed.update({i: str(err) for i in batch})
                continue
            self.ckpt.save("features-reccobeats", got)
        return {i: done.get(i) for i in ids}, "reccobeats", failed

    # deezer ------------------------------------------------------------------------------
    def deezer(self, isrcs: list[str]) -> dict[str, dict | None]:
        """Deezer's preview URL and bpm per ISRC (None: Deezer does not know it)."""
        done = self.ckpt.load("deezer")
        todo = [i for i in dict.fromkeys(isrcs) if i and i not in done]
        for isrc in self.bar(todo, "deezer", "isrc"):
            try:
                found = deezer.track_by_isrc(isrc, self.sp.http)
            except deezer.DeezerError as err:
                log.warning("%s: skipped (not checkpointed)", err)
                self.deezer_skipped[isrc] = str(err)
                continue
            self.ckpt.save(
                "deezer",
                {
                    isrc: None
                    if found is None
                    else {k: found[k] for k in ("deezer_preview_url", "deezer_bpm")}
                },
            )
        if self.deezer_skipped:
            log.warning(
                "Deezer: %d of %d ISRCs skipped, the collection goes on without their preview "
                "and bpm (a rerun asks again)",
                len(self.deezer_skipped),
                len(todo),
            )
        return done


def playlist_summary(p: dict) -> dict:
    """The fields we keep from a simplified playlist object."""
    return {
        "playlist_id": p["id"],
        "playlist_name": p.get("name"),
        "owner": (p.get("owner") or {}).get("id"),
        "collaborative": bool(p.get("collaborative")),
        "n_items": (p.get("items") or p.get("tracks") or {}).get("total"),
    }
