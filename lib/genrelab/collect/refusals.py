"""Spotify's 2026 refusals as one sentence each: what the app cannot do, and what it can instead.

Since 2024-11-27 new and development-mode apps lose audio features, editorial playlists and
browse categories; since February 2026 development-mode apps need a Premium owner and an
allow-list of at most 5 users, may read only the items of playlists their user owns or
collaborates on, and lose the batch endpoints. :func:`explain` turns Spotify's answer
(status and URL) into the sentence a notebook shows, or ``None`` when it is not one of these.
"""

from __future__ import annotations

import re

LOGIN = "`python -m genrelab.collect login`"

SEARCH_403 = (
    "Spotify answers 403 on /search: a development-mode app works only while its owner has "
    "Spotify Premium (and, with a login, while the user is on the app's allow-list under User "
    "Management in the dashboard); `source: snapshot` in notebook 01 works offline."
)
ME_403 = (
    "Spotify answers 403 on /{path}: the logged-in user is not on this development-mode app's "
    "allow-list (at most 5 users, added under User Management in the Spotify dashboard) or the "
    "app's owner has no Premium; public data (`catalogue.collect()`) needs no login."
)
BROWSE_GONE = (
    "Spotify has closed browse categories and their playlists to this app (gone for new and "
    "development-mode apps): search playlists with `library.search(query, 'playlist')` or "
    "collect by genre with `catalogue.collect()` instead."
)
PLAYLIST_404 = (
    "Spotify answers 404 for playlist {id}: its own editorial playlists are closed to new apps "
    "since 2024-11-27 (or the playlist does not exist); use a playlist a user made, or your own "
    f"after {LOGIN}."
)
PLAYLIST_ITEMS_403 = (
    "Spotify answers 403 for the items of playlist {id}: a development-mode app may read only "
    f"playlists the logged-in user owns or collaborates on; log in ({LOGIN}) and read your own, "
    "or collect by genre search with `catalogue.collect(path='genre_search')`."
)
BATCH_403 = (
    "Spotify answers 403 on the batch endpoint /{path}: it is closed to development-mode apps "
    "since February 2026; ask for one item at a time (`/{path}/<id>`) instead."
)
FEATURES_403 = (
    "Spotify answers 403 on /audio-features: the endpoint is closed for apps created (or in "
    "development mode) after 2024-11-27; use features_source='auto' or 'reccobeats'."
)

#: (statuses, path pattern after /v1/, sentence); the first match wins
RULES: list[tuple[tuple[int, ...], re.Pattern, str]] = [
    ((403,), re.compile(r"search$"), SEARCH_403),
    ((403,), re.compile(r"me(/.*)?$"), ME_403),
    ((403, 404), re.compile(r"browse/.*"), BROWSE_GONE),
    ((403,), re.compile(r"audio-features.*"), FEATURES_403),
    ((403,), re.compile(r"playlists/(?P<id>[^/]+)/(items|tracks)$"), PLAYLIST_ITEMS_403),
    ((404,), re.compile(r"playlists/(?P<id>[^/]+)(/items|/tracks)?$"), PLAYLIST_404),
    ((403,), re.compile(r"(tracks|artists|albums)$"), BATCH_403),
]

_URL = re.compile(r"https://api\.spotify\.com/v1/(?P<path>[^?\s:]*)")
#: Spotify's editorial playlists have ids starting with this (and the owner ``spotify``)
EDITORIAL_PREFIX = "37i9dQZF1"


def api_path(message: str) -> str:
    """The path after ``/v1/`` of the URL in a spotipy error message (``""`` if none)."""
    match = _URL.search(message or "")
    return match.group("path").strip("/") if match else ""


def explain(status: int | None, message: str) -> str | None:
    """The one sentence for Spotify's ``status`` on the URL in ``message``, or ``None``."""
    path = api_path(message)
    for statuses, pattern, sentence in RULES:
        match = pattern.fullmatch(path)
        if status in statuses and match:
            return sentence.format(path=path, **match.groupdict())
    return None


def is_editorial(playlist_id: str, owner: str | None = None) -> bool:
    """Whether a playlist is one of Spotify's own (editorial) playlists."""
    return owner == "spotify" or str(playlist_id).startswith(EDITORIAL_PREFIX)
