"""What a well-formed answer of each host looks like; anything else is neither used nor cached.

A server under strain can answer HTTP 200 with an HTML error page, JSON cut off mid-body, an
empty body, or JSON of another shape. Such an answer must never reach the HTTP cache (it would
be replayed for 30 days) nor the tables. :func:`why_malformed` is the one place that decides,
per host, for answers with status 200:

=======================  ==========================================================
host                     well-formed
=======================  ==========================================================
api.spotify.com (GET)    parseable JSON whose top level is an object
api.deezer.com           a JSON object; its ``error``, if any, an object
api.reccobeats.com       a JSON object; ``/audio-features``: with a list ``content``
accounts.spotify.com     ``/api/token``: a JSON object with ``access_token`` (a string)
                         and ``expires_in`` (a number)
=======================  ==========================================================

Other hosts (audio files, ...) are not checked. :mod:`genrelab.collect.http` uses it as the
cache's ``filter_fn`` and in its transport adapter, which raises
:class:`~genrelab.collect.errors.MalformedResponseError` (one sentence naming the host, saying
"retry later") instead of returning such an answer.

:func:`spotify_error_shape` rewrites a Spotify error answer whose ``error`` is a plain string
into the documented ``{"error": {"status": ..., "message": ...}}``, so spotipy reports it as an
ordinary :class:`spotipy.SpotifyException` instead of failing with ``AttributeError``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import requests

from genrelab.collect.errors import MalformedResponseError

#: The service behind each checked host, for messages.
SERVICES = {
    "api.spotify.com": "Spotify",
    "accounts.spotify.com": "Spotify's token service",
    "api.deezer.com": "Deezer",
    "api.reccobeats.com": "ReccoBeats",
}
TOKEN_PATH = "/api/token"


def _method(response: requests.Response) -> str:
    request = getattr(response, "request", None)
    return str(getattr(request, "method", None) or "GET").upper()


def _body(response: requests.Response) -> tuple[Any, str | None]:
    """The parsed JSON body, or why there is none."""
    raw = response.content or b""
    if not raw.strip():
        return None, "an empty body"
    if raw.lstrip()[:1] == b"<":
        return None, "an HTML page instead of JSON"
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, "JSON that does not parse (cut off or garbled)"


def _shape(host: str, path: str, body: Any) -> str | None:
    """Why a parsed body has the wrong shape for ``host`` (None: it is well-formed)."""
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    if host == "api.deezer.com" and "error" in body and not isinstance(body["error"], dict):
        return f"an error {body['error']!r} outside Deezer's documented shape"
    if host == "api.reccobeats.com" and path.rstrip("/").endswith("/audio-features"):
        if not isinstance(body.get("content"), list):
            return "an object without a list 'content'"
    if host == "accounts.spotify.com":
        if not isinstance(body.get("access_token"), str) or not body["access_token"]:
            return "a token answer without 'access_token'"
        expires = body.get("expires_in")
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            return "a token answer without a numeric 'expires_in'"
    return None


def checked(response: requests.Response) -> bool:
    """Whether :func:`why_malformed` has a rule for this answer (status 200, a known host)."""
    if response.status_code != 200:
        return False
    parts = urlsplit(response.url or "")
    host = parts.hostname or ""
    if host == "accounts.spotify.com":
        return parts.path.rstrip("/") == TOKEN_PATH
    if host == "api.spotify.com":
        return _method(response) == "GET"
    return host in SERVICES


def why_malformed(response: requests.Response) -> str | None:
    """Why a 200 answer of a checked host is not well-formed; None if it is (or is not checked)."""
    if not checked(response):
        return None
    body, why = _body(response)
    if why is not None:
        return why
    parts = urlsplit(response.url or "")
    return _shape(parts.hostname or "", parts.path, body)


def well_formed(response: requests.Response) -> bool:
    """``not why_malformed(response)``: what the HTTP cache's ``filter_fn`` keeps."""
    return why_malformed(response) is None


def error_for(response: requests.Response, why: str) -> MalformedResponseError:
    """The one-sentence error for a malformed answer (host, path, what was wrong, retry later)."""
    parts = urlsplit(response.url or "")
    host = parts.hostname or "?"
    service = SERVICES.get(host, host)
    return MalformedResponseError(
        f"{service} ({host}) answered {parts.path or '/'} with HTTP {response.status_code} but "
        f"{why}; nothing of it was used or cached: retry later."
    )


def check(response: requests.Response) -> requests.Response:
    """``response`` if well-formed, else :class:`~genrelab.collect.errors.MalformedResponseError`
    (see :func:`error_for`)."""
    why = why_malformed(response)
    if why is not None:
        raise error_for(response, why)
    return response


def spotify_error_shape(response: requests.Response) -> None:
    """A Spotify error answer whose ``error`` is a plain string, rewritten in the documented shape.

    ``{"error": "invalid_request"}`` becomes ``{"error": {"status": 400, "message":
    "invalid_request"}}`` in place (spotipy reads ``error["message"]``). Others are untouched.
    """
    if response.status_code < 400 or urlsplit(response.url or "").hostname != "api.spotify.com":
        return
    body, why = _body(response)
    if why is not None:
        return  # spotipy reports a body that is not JSON as text
    if isinstance(body, dict) and isinstance(body.get("error", {}), dict):
        return
    message = body.get("error") if isinstance(body, dict) else None
    detail = body.get("error_description") if isinstance(body, dict) else None
    text = " ".join(str(x) for x in (message, detail) if x) or f"HTTP {response.status_code}"
    fixed = {"error": {"status": response.status_code, "message": text}}
    response._content = json.dumps(fixed).encode()
    response.encoding = "utf-8"
