"""Live smoke tests: the three collection paths against the real Spotify, a handful of tracks each.

Opt-in (``pytest -m live`` or ``GENRELAB_LIVE=1``), skipped without ``SPOTIPY_CLIENT_ID`` /
``SPOTIPY_CLIENT_SECRET`` (environment or ``.env``) or without a route to api.spotify.com
(tests/conftest.py). No HTTP cache, no Deezer lookups, checkpoints in a temporary folder: the
three together take well under a minute. ``my_playlists`` also needs a login
(``python -m genrelab.collect login``) and a playlist of yours: the first one you own, or the
one named by ``GENRELAB_LIVE_PLAYLIST``.
"""

from __future__ import annotations

import json
import os

import pytest

from genrelab import schema
from genrelab.collect import catalogue, errors, spotify_client

pytestmark = pytest.mark.live

N = 5  # tracks per subgenre / playlist


def _collect(tmp_path, taxonomy: str, path: str, client=None):
    tax = tmp_path / "taxonomy.yaml"
    tax.write_text(taxonomy)
    return catalogue.collect_tables(
        tax,
        max_playlists_per_subgenre=1,
        max_tracks_per_playlist=N,
        cache_expire_days=0,
        checkpoint_dir=tmp_path / "checkpoints",
        path=path,
        max_tracks_per_subgenre=N,
        deezer_lookup=False,
        progress=False,
        client=client,
    )


def _check(res, path: str) -> None:
    tracks = res.tracks
    assert tracks.attrs["collection"]["path"] == path
    assert 1 <= tracks["track_id"].nunique() <= 2 * N, len(tracks)
    assert set(schema.SNAPSHOT_COLUMNS) <= set(tracks.columns)
    assert tracks["track_id"].str.fullmatch(r"[0-9A-Za-z]{22}").all()


def test_live_playlists_path(tmp_path):
    try:
        res = _collect(tmp_path, "genres:\n  pop:\n    - dance pop\n", "playlists")
    except (errors.SpotifyAccessError, RuntimeError) as exc:
        if "403" in str(exc) or "development" in str(exc):
            pytest.skip(f"this app may not read others' playlists (development mode): {exc}")
        raise
    _check(res, "playlists")


def test_live_genre_search_path(tmp_path):
    res = _collect(tmp_path, "genres:\n  rock:\n    - album rock\n", "genre_search")
    _check(res, "genre_search")


def test_live_my_playlists_path(tmp_path):
    try:
        client = spotify_client.user_client(cache_expire_days=0)
        name = os.environ.get("GENRELAB_LIVE_PLAYLIST")
        if not name:
            me = client.current_user()["id"]
            page = client.current_user_playlists(limit=50)
            owned = [p for p in page["items"] if p and p["owner"]["id"] == me]
            if not owned:
                pytest.skip("no playlist of yours to read (set GENRELAB_LIVE_PLAYLIST)")
            name = owned[0]["name"]
    except errors.SpotifyCredentialsError as exc:
        pytest.skip(f"no Spotify login: {exc}")
    taxonomy = (
        f"genres:\n  mine:\n    - mine\nmy_playlists:\n  mine:\n    mine: [{json.dumps(name)}]\n"
    )
    res = _collect(tmp_path, taxonomy, "my_playlists", client=client)
    _check(res, "my_playlists")
