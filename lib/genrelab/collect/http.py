"""HTTP for every network source: one cached session with retries, rate limits and call counts.

Every request of :mod:`genrelab.collect` (Spotify, ReccoBeats, Deezer) goes through a
:func:`session`:

* a `requests-cache <https://requests-cache.readthedocs.io>`_ ``CachedSession`` on a SQLite file
  under :func:`genrelab.config.cache_dir` (git-ignored): a second identical run makes no call.
  Only ``GET`` answers with status 200 that are well-formed (:mod:`genrelab.collect.answers`:
  parseable JSON of the shape each API documents) are stored; a malformed one found in the cache
  (stored by an older version) is dropped and asked again. A user's own data (``/v1/me``) and
  audio files are never stored; ``Authorization`` headers are neither part of the key nor stored.
* a :class:`RetryAdapter` on every network call (cache hits never reach it): ``429`` waits
  ``Retry-After`` seconds, ``5xx`` answers and connections dropped mid-answer retry with
  exponential backoff (all the waits of one request together at most ``max_total_wait``
  seconds), per-host rate limits (Deezer: 50 requests per 5 s) are respected, and
  the bearer token of the Spotify Web API is added just before a request leaves (so a run
  served from the cache needs no token either). A malformed 200 raises
  :class:`~genrelab.collect.errors.MalformedResponseError` (one sentence naming the host: retry
  later).
* a host that cannot be reached at all (its name does not resolve, the connection is refused
  or does not open within ``connect_timeout`` seconds) is not retried:
  :class:`~genrelab.collect.errors.NetworkError` says so in one sentence at once, so an offline
  machine learns it in seconds, not minutes.

Example
-------
>>> from genrelab.collect import http
>>> s = http.session(expire_days=7)                          # doctest: +SKIP
>>> s.get("https://api.deezer.com/track/isrc:USUM71900764").json()["bpm"]   # doctest: +SKIP
>>> s.calls                                                   # doctest: +SKIP
Counter({'api.deezer.com': 1})
"""

from __future__ import annotations

import collections
import email.utils
import functools
import logging
import random
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
import requests_cache
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from genrelab import config
from genrelab.collect import answers
from genrelab.collect.errors import NetworkError, RateLimitError

log = logging.getLogger(__name__)

CACHE_FILE = "http_cache.sqlite"

#: URL patterns never stored in the HTTP cache: a user's own data (also: the cache key ignores
#: the token, so two users would share entries) and audio files (kept as files instead).
NEVER_CACHED = (
    "api.spotify.com/v1/me",
    "accounts.spotify.com",
    "*.dzcdn.net",
)

#: Gentle per-host request rates (requests, seconds), applied to network calls only.
DEFAULT_RATE_LIMITS = {
    "api.deezer.com": (50, 5.0),
    "api.reccobeats.com": (20, 1.0),
}

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: The longest time one request may spend waiting between its attempts (all waits together).
MAX_TOTAL_WAIT = 900.0
#: Seconds a connection may take to open (reading an answer may take ``timeout``).
CONNECT_TIMEOUT = 5.0

OFFLINE = (
    "Cannot reach {host}: {why}. Check the network connection (and any proxy setting); "
    "`source: snapshot` in notebook 01 works offline."
)


def unreachable(err: BaseException) -> str | None:
    """Why no connection could be made at all (name resolution, refused, connect timeout).

    ``None`` for a connection that opened and then dropped (that one is retried).
    """
    seen = set()
    todo: list[BaseException | None] = [err]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, urllib3.exceptions.NameResolutionError | socket.gaierror):
            return "its name could not be resolved (no network, or no DNS)"
        if isinstance(e, requests.exceptions.ProxyError | urllib3.exceptions.ProxyError):
            return "the proxy could not be reached"
        if (
            isinstance(e, requests.ConnectTimeout)
            or type(e) is urllib3.exceptions.ConnectTimeoutError
        ):
            return "the connection did not open in time"
        if isinstance(e, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
            return "the connection failed (refused or no route to the host)"
        todo.extend([e.__cause__, e.__context__, getattr(e, "reason", None)])
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
    return None


class RateLimit:
    """At most ``max_calls`` requests in any window of ``period`` seconds (sliding window)."""

    def __init__(self, max_calls: int, period: float):
        self.max_calls, self.period = int(max_calls), float(period)
        self._times: collections.deque[float] = collections.deque()

    def wait(self) -> float:
        """Sleep until one more request fits in the window; return the seconds slept."""
        now = time.monotonic()
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
        slept = 0.0
        if len(self._times) >= self.max_calls:
            slept = self.period - (now - self._times[0])
            if slept > 0:
                time.sleep(slept)
            self._times.popleft()
        self._times.append(time.monotonic())
        return max(slept, 0.0)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _deezer_transient(response: requests.Response) -> bool:
    """Deezer's 200 with ``{"error": {"code": 4}}`` (quota) or 700 (busy): retry, never cache."""
    if urlsplit(response.url or "").hostname != "api.deezer.com":
        return False
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("code") in (4, 700)


class RetryAdapter(HTTPAdapter):
    """A transport adapter that retries, waits, rate-limits, counts, and adds a bearer token.

    Parameters
    ----------
    retries : int
        Retries after the first attempt for 429, 5xx, Deezer's quota answers and connections
        dropped mid-answer / read timeouts. A host that cannot be reached at all raises
        :class:`~genrelab.collect.errors.NetworkError` at once (see :func:`unreachable`).
    backoff_factor : float
        The n-th retry of a 5xx or dropped connection waits ``backoff_factor * 2**n`` seconds
        (plus up to 10 % jitter), at most ``backoff_max``.
    max_retry_after : float
        The longest ``Retry-After`` we accept; a longer one raises
        :class:`~genrelab.collect.errors.RateLimitError` (Spotify can ask for hours after heavy use:
        rerun later, the checkpoints resume).
    max_total_wait : float
        The longest time one request may wait in all (``Retry-After``, backoff and quota waits
        together, default :data:`MAX_TOTAL_WAIT`): a wait that would pass it raises
        :class:`~genrelab.collect.errors.RateLimitError` instead (a server answering
        ``Retry-After: 599`` five times would otherwise hold one request for 50 minutes).
    rate_limits : dict
        ``{host: (max_calls, period_seconds)}``.
    token : callable, optional
        ``token(force_refresh: bool) -> str``; its value is sent as ``Authorization: Bearer``.
        On a 401 the token is refreshed once and the request repeated.
    calls : Counter, optional
        Incremented per host for every request that goes to the network.
    """

    def __init__(
        self,
        *,
        retries: int = 5,
        backoff_factor: float = 0.5,
        backoff_max: float = 60.0,
        max_retry_after: float = 600.0,
        max_total_wait: float = MAX_TOTAL_WAIT,
        rate_limits: dict | None = None,
        token: Callable[[bool], str] | None = None,
        calls: collections.Counter | None = None,
        **kwargs,
    ):
        super().__init__(max_retries=0, **kwargs)
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.max_total_wait = max_total_wait
        self.rate_limits = {h: RateLimit(*v) for h, v in (rate_limits or {}).items()}
        self.token = token
        self.calls = calls if calls is not None else collections.Counter()

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_factor * 2**attempt)
        return delay * (1 + 0.1 * random.random())

    def _send_once(self, request: requests.PreparedRequest, force_token: bool, **kwargs):
        host = urlsplit(request.url).hostname or ""
        if host in self.rate_limits:
            self.rate_limits[host].wait()
        self.calls[host] += 1
        outgoing = request
        if self.token is not None:
            outgoing = request.copy()
            outgoing.headers["Authorization"] = f"Bearer {self.token(force_token)}"
        response = super().send(outgoing, **kwargs)
        response.request = request  # what is stored in the cache never holds the token
        if not kwargs.get("stream"):
            _ = response.content  # read the body here, so a connection dropped mid-body is retried
            answers.spotify_error_shape(response)
        return response

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        kwargs = dict(stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        attempt, refreshed, force, waited = 0, False, False, 0.0
        while True:
            fresh, force = force, False  # a fresh token only for the attempt after a 401
            try:
                response = self._send_once(request, force_token=fresh, **kwargs)
            except NetworkError:
                raise  # from the token request: already said in one sentence
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as err:
                why = unreachable(err)
                if why is not None:
                    host = urlsplit(request.url).hostname or request.url
                    raise NetworkError(OFFLINE.format(host=host, why=why)) from None
                if attempt >= self.retries:
                    raise
                wait = self._backoff(attempt)
                log.warning(
                    "%s %s: %s; retry %d/%d in %.1f s",
                    request.method,
                    request.url,
                    type(err).__name__,
                    attempt + 1,
                    self.retries,
                    wait,
                )
                time.sleep(wait)
                attempt += 1
                continue
            status = response.status_code
            if status == 401 and self.token is not None and not refreshed:
                refreshed = force = True  # the token may have expired a moment ago: refresh once
                continue
            transient = status == 200 and _deezer_transient(response)
            if status not in RETRY_STATUS and not transient:
                return response if stream else answers.check(response)
            if attempt >= self.retries:
                if status == 429:
                    raise RateLimitError(
                        f"{request.url}: still 429 Too Many Requests after {self.retries} retries; "
                        f"wait a while and rerun (collections resume from their checkpoints)."
                    )
                return response
            if status == 429 or "Retry-After" in response.headers:
                wait = parse_retry_after(response.headers.get("Retry-After"))
                wait = self._backoff(attempt) if wait is None else wait
                if wait > self.max_retry_after:
                    raise RateLimitError(
                        f"{request.url}: the server asks to wait {wait:.0f} s (Retry-After), "
                        f"more than max_retry_after={self.max_retry_after:.0f} s. Rerun later: "
                        f"collections "
                        f"resume from their checkpoints."
                    )
            elif transient:
                wait = 5.0
            else:
                wait = self._backoff(attempt)
            if waited + wait > self.max_total_wait:
                host = urlsplit(request.url).hostname or request.url
                raise RateLimitError(
                    f"{host} still answers HTTP {status} after {waited:.0f} s of waiting for "
                    f"{request.url} and asks for {wait:.0f} s more, past max_total_wait="
                    f"{self.max_total_wait:.0f} s: rerun later (collections resume from their "
                    f"checkpoints)."
                )
            waited += wait
            log.warning(
                "%s %s: HTTP %d; retry %d/%d in %.1f s",
                request.method,
                request.url,
                status,
                attempt + 1,
                self.retries,
                wait,
            )
            time.sleep(wait)
            attempt += 1


class _Counted:
    """What both sessions add to requests': a per-host count of network calls (``calls``, shared
    with their :class:`RetryAdapter`) and a timeout for requests sent without one (spotipy's token
    requests pass ``timeout=None``)."""

    def __init__(self, *args, default_timeout: tuple[float, float], **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: collections.Counter[str] = collections.Counter()
        self.default_timeout = default_timeout

    def request(self, method, url, *args, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


class CachedSession(_Counted, requests_cache.CachedSession):
    """requests-cache's session with ``calls``, a default timeout and ``cache_path``.

    A malformed answer found in the cache (stored before answers were checked) is deleted by the
    cache's ``filter_fn`` and asked again at once, so it is never replayed.
    """

    cache_path: Path

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if getattr(response, "from_cache", False) and not answers.well_formed(response):
            log.info("%s: a malformed answer was in the HTTP cache; asking again", request.url)
            response = super().send(request, **kwargs)  # filter_fn deleted the entry
        return response


class PlainSession(_Counted, requests.Session):
    """requests' session with ``calls`` and a default timeout (nothing is cached)."""


def expire_after(expire_days: float | None):
    """``None`` never expires, ``0`` disables the cache, otherwise a number of days."""
    if expire_days is None:
        return requests_cache.NEVER_EXPIRE
    if expire_days < 0:
        raise ValueError(f"cache expiry must be >= 0 days or None, got {expire_days}")
    if expire_days == 0:
        return requests_cache.DO_NOT_CACHE
    return timedelta(days=expire_days)


def cache_path() -> Path:
    """The SQLite file of the HTTP cache (under :func:`genrelab.config.cache_dir`)."""
    return config.cache_folder("http") / CACHE_FILE


def session(
    expire_days: float | None = 30,
    *,
    token: Callable[[bool], str] | None = None,
    token_hosts: tuple[str, ...] = ("api.spotify.com",),
    retries: int = 5,
    backoff_factor: float = 0.5,
    max_retry_after: float = 600.0,
    rate_limits: dict | None = None,
    timeout: float = 20.0,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> CachedSession:
    """A cached session with :class:`RetryAdapter` mounted for every URL.

    Parameters
    ----------
    expire_days : float or None
        Days before a stored answer is fetched again (``None``: never, ``0``: no cache at all).
    token : callable, optional
        Bearer-token provider for ``token_hosts`` (see :class:`RetryAdapter`).
    rate_limits : dict, optional
        ``{host: (max_calls, seconds)}``; default :data:`DEFAULT_RATE_LIMITS`.
    timeout : float
        Seconds an answer may take once connected (then the request is retried).
    connect_timeout : float
        Seconds a connection may take to open (then :class:`~genrelab.collect.errors.NetworkError`,
        no retry).

    The session has ``calls`` (a Counter of network requests per host) and ``cache_path``.
    """
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    after = expire_after(expire_days)
    s = CachedSession(
        str(path),
        backend="sqlite",
        wal=True,  # write-ahead log: fast commits, safe for concurrent readers
        expire_after=after,
        urls_expire_after={p: requests_cache.DO_NOT_CACHE for p in NEVER_CACHED},
        allowable_codes=(200,),
        allowable_methods=("GET",),
        filter_fn=lambda r: not _deezer_transient(r) and answers.well_formed(r),
        disabled=after == requests_cache.DO_NOT_CACHE,
        default_timeout=(connect_timeout, timeout),
    )
    s.cache_path = path
    retrying = functools.partial(
        RetryAdapter,
        retries=retries,
        backoff_factor=backoff_factor,
        max_retry_after=max_retry_after,
        rate_limits=DEFAULT_RATE_LIMITS if rate_limits is None else rate_limits,
        calls=s.calls,
    )
    plain = retrying()
    s.mount("https://", plain)
    s.mount("http://", plain)
    if token is not None:
        authed = retrying(token=token)  # the same retries, with the token
        for host in token_hosts:
            s.mount(f"https://{host}/", authed)
    return s


def plain_session(
    *,
    retries: int = 5,
    backoff_factor: float = 0.5,
    timeout: float = 20.0,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> PlainSession:
    """An uncached session with the same retries (for token requests and file downloads)."""
    s = PlainSession(default_timeout=(connect_timeout, timeout))
    adapter = RetryAdapter(retries=retries, backoff_factor=backoff_factor, calls=s.calls)
    s.mount("https://", adapter)
    s.mount("http://", adapter)
    return s
