"""No network, bad credentials: a call fails at once with one clear sentence (issue 11, item 4).

Connections are refused by `responses` with the exceptions requests raises on a machine without
network (urllib3's NameResolutionError / NewConnectionError inside a ConnectionError), and
every attempt is counted. ``time.sleep`` is recorded, not slept (``genrelab_env``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import requests
from fixtures.spotify.fakeapi import (  # noqa: F401  (pytest fixtures)
    answer,
    dropped,
    fake_api,
    genrelab_env,
)
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from genrelab import config
from genrelab.collect import catalogue, errors, http, library, spotify_client

pytestmark = pytest.mark.usefixtures("genrelab_env")

TOKEN_URL = "https://accounts.spotify.com/api/token"
SEARCH_URL = "https://api.spotify.com/v1/search?q=daft+punk&limit=10&offset=0&type=track"


def no_dns(host: str) -> requests.ConnectionError:
    """What requests raises when ``host`` does not resolve (no network)."""
    reason = NameResolutionError(host, None, socket.gaierror(-3, "Temporary failure"))
    return requests.ConnectionError(MaxRetryError(None, "/", reason))


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    return requests.ConnectionError(MaxRetryError(None, "/", reason))


def one_sentence(msg: str) -> bool:
    return msg.count(". ") <= 1 and "\n" not in msg and "Traceback" not in msg


def test_no_dns_on_the_token_request_fails_at_once_with_one_sentence(fake_api, genrelab_env):
    fake_api.set("POST", TOKEN_URL, no_dns("accounts.spotify.com"))
    with pytest.raises(errors.NetworkError) as err:
        library.search("daft punk")
    msg = str(err.value)
    assert "accounts.spotify.com" in msg and "could not be resolved" in msg and one_sentence(msg)
    assert "snapshot" in msg
    assert fake_api.count("accounts.spotify.com") == 1  # was 36: 6 API attempts x 6 token ones
    assert fake_api.count("api.spotify.com") == 0
    assert genrelab_env["sleeps"] == []  # no backoff waited


def test_a_refused_connection_to_the_api_is_not_retried(fake_api, genrelab_env):
    fake_api.set("GET", SEARCH_URL, refused())
    with pytest.raises(errors.NetworkError, match="api.spotify.com: the connection failed"):
        library.search("daft punk")
    assert fake_api.count("api.spotify.com", "/search") == 1
    assert genrelab_env["sleeps"] == []


def test_no_network_stops_a_collection_at_its_first_request(fake_api, genrelab_env):
    fake_api.set("POST", TOKEN_URL, no_dns("accounts.spotify.com"))
    taxonomy = config.PROJECT_ROOT / "tests" / "fixtures" / "spotify" / "taxonomy.yaml"
    with pytest.raises(errors.NetworkError):
        catalogue.collect(taxonomy, progress=False)
    assert len(fake_api.calls) == 1 and genrelab_env["sleeps"] == []


def test_network_error_is_a_connection_error():
    # callers that catch requests.ConnectionError (the preview downloads) keep working
    assert issubclass(errors.NetworkError, requests.ConnectionError)


def test_what_is_unreachable_and_what_dropped():
    assert "resolved" in http.unreachable(no_dns("x"))
    assert "connection failed" in http.unreachable(refused())
    assert "in time" in http.unreachable(requests.ConnectTimeout("connect timeout"))
    assert http.unreachable(dropped()) is None  # opened, then dropped: retried
    assert http.unreachable(requests.ReadTimeout("read timeout")) is None


def test_a_dropped_connection_and_5xx_still_retry(fake_api, genrelab_env):
    fake_api.before("GET", SEARCH_URL, dropped(), answer(503, None))
    assert len(library.search("daft punk")) == 10
    assert fake_api.count("api.spotify.com", "/search") == 3 and len(genrelab_env["sleeps"]) == 2


def test_refused_credentials_ask_the_token_endpoint_once(fake_api, genrelab_env):
    fake_api.set(
        "POST",
        TOKEN_URL,
        answer(400, {"error": "invalid_client", "error_description": "Invalid client secret"}),
    )
    with pytest.raises(errors.SpotifyCredentialsError, match="invalid_client"):
        library.search("daft punk")
    assert fake_api.count("accounts.spotify.com") == 1 and genrelab_env["sleeps"] == []


def test_connections_get_a_short_connect_timeout(fake_api):
    sp = spotify_client.public_client()
    seen = []
    original = requests.adapters.HTTPAdapter.send

    def send(self, request, **kwargs):
        seen.append((request.url.split("?")[0], kwargs["timeout"]))
        return original(self, request, **kwargs)

    requests.adapters.HTTPAdapter.send = send
    try:
        library.search("daft punk", client=sp)
    finally:
        requests.adapters.HTTPAdapter.send = original
    assert seen and all(t == (http.CONNECT_TIMEOUT, 20.0) for _, t in seen), seen
    assert {u.split("/")[2] for u, _ in seen} == {"accounts.spotify.com", "api.spotify.com"}


def run_cli(*args: str, tmp) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(config.PROJECT_ROOT / "lib"),
        "GENRELAB_CACHE_DIR": str(tmp / "cache"),
        # set but empty: a developer's .env cannot fill them in (dotenv does not override)
        "SPOTIPY_CLIENT_ID": "",
        "SPOTIPY_CLIENT_SECRET": "",
        "SPOTIPY_REDIRECT_URI": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "genrelab.collect", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_login_without_credentials_prints_the_message_and_exits_non_zero(tmp_path):
    done = run_cli("login", "--no-browser", tmp=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert "Spotify credentials are missing" in done.stderr and "SPOTIPY_CLIENT_ID" in done.stderr


def test_login_with_a_bad_user_name_is_a_message(tmp_path):
    done = run_cli("login", "--user", "../other", tmp=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "plain name" in done.stderr
