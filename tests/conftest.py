"""Shared fixtures. Every test writes runs and caches under its own temporary folder."""

from __future__ import annotations

import os
import socket

import pytest


@pytest.fixture
def tmp_project_dirs(tmp_path, monkeypatch):
    """Point GENRELAB_RUNS_DIR and GENRELAB_CACHE_DIR at a temporary folder."""
    monkeypatch.setenv("GENRELAB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("GENRELAB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture(autouse=True)
def no_results_cache(monkeypatch):
    """Compute every result afresh (``GENRELAB_NO_CACHE=1``), so a test comparing two paths
    (local and Dask) never reads one back from the other; the cache's tests switch it on."""
    monkeypatch.setenv("GENRELAB_NO_CACHE", "1")


def _live_wanted(config) -> bool:
    return "live" in (config.getoption("markexpr") or "").replace("not live", "") or (
        os.environ.get("GENRELAB_LIVE") == "1"
    )


def _live_unavailable() -> str | None:
    """Why the live tests cannot run here (no credentials, no network), or None."""
    from genrelab.collect import errors, spotify_client

    try:
        spotify_client.credentials()
    except errors.SpotifyCredentialsError:
        return "no SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET (environment or .env)"
    try:
        socket.create_connection(("api.spotify.com", 443), timeout=3).close()
    except OSError as exc:
        return f"api.spotify.com unreachable ({type(exc).__name__})"
    return None


def pytest_collection_modifyitems(config, items):
    """Tests marked ``live`` talk to the real Spotify: they run only when asked for
    (``pytest -m live`` or ``GENRELAB_LIVE=1``) and when credentials and network are there."""
    live = [item for item in items if item.get_closest_marker("live")]
    if not live:
        return
    reason = None if _live_wanted(config) else "live test: run with `pytest -m live`"
    reason = reason or _live_unavailable()
    if reason:
        for item in live:
            item.add_marker(pytest.mark.skip(reason=reason))
