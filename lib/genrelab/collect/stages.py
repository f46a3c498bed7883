"""The stages every collection path shares: search, playlist items, batches, features, Deezer.

A :class:`Collector` holds a client and a :class:`~genrelab.collect.checkpoint.Checkpoint`;
each stage fetches every resource once, checkpoints it and falls back where 2026's Spotify
closes an endpoint: a batch endpoint's 403 -> one by one, audio-features' 403 -> ReccoBeats
(one warning), playlist items' 403 -> the playlist skipped with its reason.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from spotipy.exceptions import SpotifyException
from tqdm.auto import tqdm

from . import deezer, reccobeats
from .checkpoint import Checkpoint
from .errors import FeaturesForbiddenError, FeaturesSourceWarning, SpotifyFallbackWarning
from .records import item_track, spotify_features, track_record
from .spotify_client import (
    ARTISTS_BATCH,
    PLAYLIST_ITEMS_LIMIT,
    SEARCH_LIMIT,
    SEARCH_MAX_OFFSET,
    SPOTIFY_FEATURES_BATCH,
    TRACKS_BATCH,
    SpotifyClient,
    expected_errors,
)

log = logging.getLogger(__name__)

FeaturesSource = Literal["auto", "spotify", "reccobeats"]


def _batches(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# --- the stages ---------------------------------------------------------------------------
@dataclass
class Collector:
    """The stages of a collection on one client, checkpointed in ``ckpt``.

    ``skipped`` collects the reasons of items left out; ``features_source`` is ``"auto"``
    (Spotify, then ReccoBeats after its 403), ``"spotify"`` or ``"reccobeats"``.
    """

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
            with expected_errors():
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
                t, why = item_track(item)
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
                    with expected_errors():
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
                    with warnings.catch_warnings(), expected_errors():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        got = self.sp.audio_features(batch) or []
                except SpotifyException as err:
                    if err.http_status != 403:
                        raise
                    self.sp.features_forbidden = True
                    if self.features_source == "spotify":
                        raise FeaturesForbiddenError(
                            "Spotify answers 403 on /audio-features: the endpoint is closed "
                            "for apps created (or in development mode) after 2024-11-27. Use "
                            "features_source='auto' or 'reccobeats'."
                        ) from None
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
