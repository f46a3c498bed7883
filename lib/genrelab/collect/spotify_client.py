"""The Spotify Web API client: credentials, the two login flows, errors turned into messages.

Credentials come only from the environment / ``.env`` (see :func:`credentials`):
``SPOTIPY_CLIENT_ID`` and ``SPOTIPY_CLIENT_SECRET`` for public data (client-credentials flow),
plus ``SPOTIPY_REDIRECT_URI`` for a user's own library (authorization-code flow, scopes
:data:`SCOPES`). Without them every function raises
:class:`~genrelab.collect.errors.SpotifyCredentialsError` saying how to set them;
``source: snapshot`` in notebook 01 works offline.

Every request goes through :func:`genrelab.collect.http.session` (the HTTP cache, retries,
rate limits); the bearer token is added only when a request really leaves, so a run served
from the cache makes no call at all. Tokens are cached in ``data/cache/spotify/``
(git-ignored, mode 600). :func:`translate_errors` turns Spotify's refusals into one-sentence
messages (:mod:`genrelab.collect.errors`).

Example
-------
>>> from genrelab.collect import spotify_client
>>> sp = spotify_client.public_client(cache_expire_days=7)          # doctest: +SKIP
>>> sp.http.calls                                                   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import spotipy
from spotipy.cache_handler import CacheFileHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOAuth

from genrelab import config
from genrelab.collect import http, refusals
from genrelab.collect.errors import SpotifyAccessError, SpotifyAPIError, SpotifyCredentialsError

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

MISSING_CREDENTIALS = """\
Spotify credentials are missing: {missing} not set.
Create an app at https://developer.spotify.com/dashboard, then put its keys in {env} (git-ignored):

    SPOTIPY_CLIENT_ID=<your client id>
    SPOTIPY_CLIENT_SECRET=<your client secret>
    SPOTIPY_REDIRECT_URI=http://127.0.0.1:8888/callback   # only for your own library

(or export them in the environment). Without credentials, `source: snapshot` in notebook 01 /
params works offline on the embedded 2020 snapshot."""

BAD_CREDENTIALS = """\
Spotify refused the credentials ({detail}). Check SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET in {env}
(copy them again from https://developer.spotify.com/dashboard) and, for a user's library, log in
again with `python -m genrelab.collect login`. `source: snapshot` works offline."""

TOKEN_SERVICE_FAILED = (
    "Spotify's token service (accounts.spotify.com) failed with HTTP {status} after the "
    "retries, so the credentials could not be checked: retry later."
)


def oauth_failure(err: SpotifyOauthError) -> SpotifyAPIError | SpotifyCredentialsError:
    """The error to raise for a failed token request: the service failing (5xx, 429: retry
    later) is not the credentials being refused (4xx: check them)."""
    response = getattr(err.__context__, "response", None)  # spotipy raises it handling HTTPError
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and (status >= 500 or status == 429):
        return SpotifyAPIError(TOKEN_SERVICE_FAILED.format(status=status))
    detail = str(getattr(err, "error", None) or err).strip()
    detail = (detail.splitlines() or ["no detail"])[0][:160]
    if status is not None:
        detail = f"HTTP {status}: {detail}"
    return SpotifyCredentialsError(
        BAD_CREDENTIALS.format(detail=detail, env=config.PROJECT_ROOT / ".env")
    )


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
    return {n: str(v) for n, v in values.items()}


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
    dev_mode : bool
        Set after a 403 on the items of a playlist the user neither owns nor collaborates on
        (only development-mode apps get it): ``collect(path="auto")`` then goes straight to a
        path such an app can use.
    refused(what), refuse(what)
        Whether Spotify refused this app ``what`` (e.g. ``"batch /artists"``), and recording it:
        a refused endpoint is not asked again.
    """

    def __init__(
        self,
        auth,
        http_session,
        kind: str,
        requests_timeout: float | None = None,
        user: str | None = None,
    ):
        # None: the session's own (connect, read) timeouts apply (genrelab.collect.http)
        super().__init__(requests_session=http_session, requests_timeout=requests_timeout)
        self.http = http_session
        self.auth = auth
        self.kind = kind
        self.app = _app_key(auth.client_id)
        #: who reads: "app" (client credentials) or "user:<name>" (what one may read, the
        #: other may not)
        self.who = "app" if user is None else f"user:{user}"

    @property
    def features_forbidden(self) -> bool:
        """Spotify answered 403 on audio-features for this app (see :func:`refused`)."""
        return refused(self.app, "audio-features")

    @features_forbidden.setter
    def features_forbidden(self, value: bool) -> None:
        remember_refusal(self.app, "audio-features", value)

    @property
    def dev_mode(self) -> bool:
        """Spotify refused this app another user's playlist items (see :func:`refused`)."""
        return refused(self.app, "development-mode")

    @dev_mode.setter
    def dev_mode(self, value: bool) -> None:
        remember_refusal(self.app, "development-mode", value)

    def refused(self, what: str) -> bool:
        """Whether Spotify refused this app ``what`` (see :func:`refused`)."""
        return refused(self.app, what)

    def refuse(self, what: str) -> None:
        """Remember that Spotify refused this app ``what``."""
        remember_refusal(self.app, what)


#: (app, what) pairs seen in this process: apps (hashed client ids) refused audio-features,
#: batch endpoints or other users' playlist items
_REFUSED: set[tuple[str, str]] = set()
#: Days a refusal is remembered on disk before Spotify is asked again (an app can be granted
#: extended quota; delete ``data/cache/spotify/refusals-*.json`` to ask at once).
REFUSAL_DAYS = 30


def _refusals_file(app: str) -> Path:
    return _token_dir() / f"refusals-{app}.json"


def refused(app: str, what: str) -> bool:
    """Whether Spotify refused ``app`` ``what`` in this process or, on disk, recently.

    Remembered so that a re-run neither asks a closed endpoint again nor probes the playlist
    path of a development-mode app: an identical re-run then makes no call at all.
    """
    if (app, what) in _REFUSED:
        return True
    try:
        when = json.loads(_refusals_file(app).read_text()).get(what)
    except (OSError, ValueError, AttributeError):
        return False
    if isinstance(when, int | float) and time.time() - when < REFUSAL_DAYS * 86400:
        _REFUSED.add((app, what))
        return True
    return False


def remember_refusal(app: str, what: str, value: bool = True) -> None:
    """Record (or forget) a refusal for this process and on disk (atomically)."""
    (_REFUSED.add if value else _REFUSED.discard)((app, what))
    path = _refusals_file(app)
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        stored = {}
    if value:
        stored[what] = time.time()
    else:
        stored.pop(what, None)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(stored))
    os.replace(tmp, path)


NOT_LOGGED_IN = """\
No Spotify login cached for user {user!r} ({path}). Log in once from a terminal:

    python -m genrelab.collect login --user {user}

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
            raise oauth_failure(err) from None

    return token


def public_client(cache_expire_days: float | None = 30, **http_options) -> SpotifyClient:
    """A client for public data (client-credentials flow).

    Parameters
    ----------
    cache_expire_days : float or None
        Days before a cached answer is fetched again (``None``: never; ``0``: no HTTP cache).
    **http_options
        Passed to :func:`genrelab.collect.http.session` (``retries``, ``max_retry_after``, ...).
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

    Log in once from a terminal with ``python -m genrelab.collect login --user <name>``
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
    return SpotifyClient(auth, session, "user", user=user)


def translate_errors(fn):
    """Turn Spotify's errors into one-sentence exceptions.

    401s and refused tokens become :class:`~genrelab.collect.errors.SpotifyCredentialsError` (a
    token service that fails, 5xx, :class:`~genrelab.collect.errors.SpotifyAPIError` saying to retry
    later); the 2026 refusals of :mod:`genrelab.collect.refusals`
    :class:`~genrelab.collect.errors.SpotifyAccessError`; any other error answer
    :class:`~genrelab.collect.errors.SpotifyAPIError` naming the status and endpoint.
    """

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
            sentence = refusals.explain(err.http_status, err.msg)
            if sentence:
                raise SpotifyAccessError(sentence) from None
            path = refusals.api_path(err.msg) or "?"
            detail = (err.msg or "").splitlines()[-1].strip() or "no detail"
            raise SpotifyAPIError(
                f"Spotify answered HTTP {err.http_status} on /{path} ({detail})"
                + ("; try again later." if (err.http_status or 0) >= 500 else ".")
            ) from None
        except SpotifyOauthError as err:
            raise oauth_failure(err) from None

    return wrapper


@contextlib.contextmanager
def expected_errors():
    """Silence spotipy's ERROR log for answers we handle and report ourselves (403 -> fallback)."""
    logger = logging.getLogger("spotipy.client")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def pages(sp: SpotifyClient, page: dict, limit: int | None, key: str | None = None):
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
