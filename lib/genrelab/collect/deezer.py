"""Deezer's public API (no key): a track by ISRC, and its 30-second MP3 preview.

``GET https://api.deezer.com/track/isrc:<ISRC>`` (the ISRC comes from Spotify's
``external_ids.isrc``) returns a track with ``preview`` (a 30 s MP3 URL), ``bpm``, ``gain``,
``duration`` and ``rank``. An unknown ISRC is answered with HTTP 200 and
``{"error": {"code": 800, "message": "no data"}}``; the quota error (code 4, about 50
requests per 5 seconds) is retried by :mod:`genrelab.collect.http`, which also keeps the pace.

Preview URLs are signed and expire after a while: :func:`download_previews` looks the ISRC
up again (bypassing the cache) when a stored URL answers 403/404/410.

Example
-------
>>> from genrelab.collect import deezer
>>> deezer.track_by_isrc("USUM71900764")["deezer_bpm"]       # doctest: +SKIP
>>> files, failures = deezer.download_previews(tracks)       # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import requests
import soundfile as sf
from tqdm.auto import tqdm

from genrelab import config
from genrelab.collect import answers, http
from genrelab.collect.errors import DeezerError, MalformedResponseError, NetworkError

log = logging.getLogger(__name__)

API = "https://api.deezer.com"
#: columns of :func:`lookup_isrcs`
COLUMNS = [
    "isrc",
    "deezer_id",
    "deezer_title",
    "deezer_artist",
    "deezer_preview_url",
    "deezer_bpm",
    "deezer_gain",
    "deezer_duration",
    "deezer_rank",
]


def track_url(isrc: str) -> str:
    return f"{API}/track/isrc:{isrc}"


def _number(body: dict, key: str, bad: list[str]) -> float:
    """``body[key]`` as a float; NaN if absent, and NaN noted in ``bad`` if not a number."""
    value = body.get(key)
    if value is None:
        return float("nan")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        bad.append(f"{key} {value!r}")
        return float("nan")
    try:
        return float(value)
    except ValueError:
        bad.append(f"{key} {value!r}")
        return float("nan")


def parse_track(body: dict, bad: list[str] | None = None) -> dict:
    """The fields we keep from a Deezer track object (``bpm`` 0 means unknown: NaN).

    A track with ``readable: false`` (not playable in Deezer's catalogue) or an empty
    ``preview`` has no preview URL (None). A ``bpm`` or ``gain`` that is not a number (``"fast"``)
    is left empty (NaN) and named in ``bad``, if given.
    """
    bad = [] if bad is None else bad
    bpm = _number(body, "bpm", bad)
    if not 0 <= bpm <= 1000:  # NaN passes: a negative or infinite tempo is no tempo
        bad.append(f"bpm {body.get('bpm')!r}")
        bpm = float("nan")
    preview = body.get("preview") if body.get("readable", True) is not False else None
    artist = body.get("artist")
    return {
        "deezer_id": body.get("id"),
        "deezer_title": body.get("title"),
        "deezer_artist": artist.get("name") if isinstance(artist, dict) else None,
        "deezer_preview_url": preview if isinstance(preview, str) and preview else None,
        "deezer_bpm": bpm if bpm else float("nan"),
        "deezer_gain": _number(body, "gain", bad),
        "deezer_duration": body.get("duration"),
        "deezer_rank": body.get("rank"),
    }


def track_by_isrc(
    isrc: str, session: requests.Session | None = None, *, force_refresh: bool = False
) -> dict | None:
    """Deezer's track for one ISRC as a flat dict (see :data:`COLUMNS`), or ``None`` if unknown.

    Raises :class:`DeezerError` for other errors (after the session's retries), including an
    answer that is not a well-formed JSON object (:mod:`genrelab.collect.answers`; it is not
    cached, so a rerun asks again). A field that is not a number is left empty with a warning.
    """
    session = session or http.session()
    kwargs: dict[str, Any] = (
        {"force_refresh": True} if force_refresh and hasattr(session, "cache") else {}
    )
    try:
        response = answers.check(session.get(track_url(isrc), **kwargs))
    except MalformedResponseError as err:
        raise DeezerError(str(err)) from None
    except NetworkError:
        raise  # the host cannot be reached at all: the collection stops, in one sentence
    except requests.RequestException as err:  # dropped mid-answer, timed out, undecodable body
        raise DeezerError(
            f"Deezer {track_url(isrc)}: {type(err).__name__} after the retries (the answer "
            "broke off or could not be decoded): retry later"
        ) from None
    if response.status_code != 200:
        raise DeezerError(f"Deezer {track_url(isrc)}: HTTP {response.status_code}")
    body = response.json()
    if not isinstance(body, dict):  # a session that does not check answers
        raise DeezerError(f"Deezer {track_url(isrc)}: a JSON {type(body).__name__}, not a track")
    error = body.get("error")
    if error:
        if not isinstance(error, dict):
            raise DeezerError(f"Deezer {track_url(isrc)}: error {error!r}")
        if error.get("code") == 800:  # "no data"
            return None
        raise DeezerError(
            f"Deezer {track_url(isrc)}: {error.get('type')} {error.get('message')} "
            f"(code {error.get('code')})"
        )
    bad: list[str] = []
    row = {"isrc": isrc, **parse_track(body, bad)}
    if bad:
        log.warning("Deezer %s: %s not a number; left empty", track_url(isrc), ", ".join(bad))
    return row


def lookup_isrcs(
    isrcs: Iterable[str], *, session: requests.Session | None = None, progress: bool = True
) -> pd.DataFrame:
    """One row per ISRC found on Deezer (:data:`COLUMNS`); unknown ISRCs and errors are logged.

    An ISRC whose answer is an error or malformed is skipped, the others go on; the skipped
    ones are counted in the log and listed with their reasons in ``attrs["skipped"]``.
    """
    session = session or http.session()
    rows, unknown = [], []
    skipped: dict[str, str] = {}
    unique = [i for i in dict.fromkeys(isrcs) if isinstance(i, str) and i]
    for isrc in tqdm(unique, desc="deezer", unit="isrc", disable=not progress):
        try:
            row = track_by_isrc(isrc, session)
        except DeezerError as err:
            log.warning("%s: skipped", err)
            skipped[isrc] = str(err)
            continue
        if row is None:
            unknown.append(isrc)
        else:
            rows.append(row)
    if unknown:
        log.info("Deezer does not know %d of %d ISRCs", len(unknown), len(unique))
    if skipped:
        log.warning(
            "Deezer: %d of %d ISRCs skipped (see attrs['skipped']; a rerun asks again)",
            len(skipped),
            len(unique),
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.attrs["skipped"] = skipped
    return table


# --- previews -------------------------------------------------------------------------------
class Downloads(NamedTuple):
    """What :func:`download_previews` returns."""

    #: one row per usable file: ``track_id, path, status ("downloaded" | "existing"), bytes,
    #: samplerate, channels, duration_s``
    files: pd.DataFrame
    #: one row per skipped track: ``track_id, url, reason``
    failures: pd.DataFrame


FILE_COLUMNS = ["track_id", "path", "status", "bytes", "samplerate", "channels", "duration_s"]
FAILURE_COLUMNS = ["track_id", "url", "reason"]


def previews_dir() -> Path:
    """Default folder of downloaded previews: ``<cache>/previews`` (git-ignored)."""
    return config.cache_folder("previews")


def _decode_check(path: Path, min_seconds: float) -> dict:
    """Decode the whole file with soundfile; raise ValueError if it is not usable audio."""
    try:
        audio, samplerate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as err:  # libsndfile raises LibsndfileError / RuntimeError on bad data
        raise ValueError(f"not decodable audio ({type(err).__name__}: {err})") from None
    duration = len(audio) / samplerate if samplerate else 0.0
    if duration < min_seconds:
        raise ValueError(f"only {duration:.1f} s of audio (< {min_seconds} s)")
    if not np.isfinite(audio).all():
        raise ValueError("decoded samples are not finite")
    return {
        "samplerate": int(samplerate),
        "channels": int(audio.shape[1]),
        "duration_s": round(duration, 3),
    }


def _safe_name(track_id: str) -> str:
    if not track_id or any(c in track_id for c in "/\\") or track_id.startswith("."):
        raise ValueError(f"track id {track_id!r} cannot be a file name")
    return f"{track_id}.mp3"


def download_previews(
    tracks: pd.DataFrame,
    dest_dir: str | Path | None = None,
    *,
    id_column: str = "track_id",
    url_column: str = "deezer_preview_url",
    isrc_column: str = "isrc",
    session: requests.Session | None = None,
    api_session: requests.Session | None = None,
    retries: int = 3,
    min_bytes: int = 20_000,
    max_bytes: int = 5_000_000,
    min_seconds: float = 5.0,
    progress: bool = True,
) -> Downloads:
    """Download 30-second MP3 previews into ``dest_dir/<track_id>.mp3``, checked and resumable.

    Each file is checked before it is kept: HTTP status 200, an ``audio/*`` content type, a
    size between ``min_bytes`` and ``max_bytes``, and a full decode with soundfile (at least
    ``min_seconds`` of finite samples). It is written to a temporary name and renamed only
    then, so an interrupted run never leaves a half file under the final name. A file already
    there that decodes is kept without a download ("existing"). Transient HTTP errors are
    retried by the session; a stale signed URL (403/404/410) is refreshed once by looking the
    ISRC up again. Bad items are skipped and listed with a reason; the batch goes on.

    Parameters
    ----------
    tracks : DataFrame
        With ``id_column`` and ``url_column`` and/or ``isrc_column`` (a missing URL is looked
        up by ISRC). Duplicate ids are downloaded once.
    dest_dir : path, optional
        Default :func:`previews_dir` (``<cache>/previews``).
    session, api_session : requests.Session, optional
        For the audio files (default: uncached, with retries) and for Deezer's API (default:
        the cached session).
    retries : int
        Retries of a failed download (5xx, 429 with Retry-After, dropped connection) when
        ``session`` is not given.

    Returns
    -------
    Downloads
        ``(files, failures)`` tables (see :class:`Downloads`).
    """
    if id_column not in tracks:
        raise KeyError(f"tracks has no {id_column!r} column; columns are {list(tracks.columns)}")
    if url_column not in tracks and isrc_column not in tracks:
        raise KeyError(f"tracks needs a {url_column!r} or an {isrc_column!r} column")
    dest = Path(dest_dir) if dest_dir is not None else previews_dir()
    dest.mkdir(parents=True, exist_ok=True)
    session = session or http.plain_session(retries=retries)
    api = api_session or http.session()
    files, failures = [], []
    rows = tracks.drop_duplicates(id_column)
    for row in tqdm(
        list(rows.itertuples(index=False)), desc="previews", unit="file", disable=not progress
    ):
        rec = row._asdict()
        track_id = str(rec[id_column])
        url = rec.get(url_column)
        url = url if isinstance(url, str) and url else None
        isrc = rec.get(isrc_column)
        isrc = isrc if isinstance(isrc, str) and isrc else None
        try:
            target = dest / _safe_name(track_id)
        except ValueError as err:
            failures.append({"track_id": track_id, "url": url, "reason": str(err)})
            continue
        if target.exists():
            try:
                info = _decode_check(target, min_seconds)
                files.append(
                    {
                        "track_id": track_id,
                        "path": str(target),
                        "status": "existing",
                        "bytes": target.stat().st_size,
                        **info,
                    }
                )
                continue
            except ValueError as err:
                log.warning("%s exists but is unusable (%s): downloading it again", target, err)
        result = _download_one(
            track_id, url, isrc, target, session, api, min_bytes, max_bytes, min_seconds
        )
        (files if "path" in result else failures).append(result)
    if failures:
        log.warning(
            "%d of %d previews skipped; see the failures table (first: %s: %s)",
            len(failures),
            len(rows),
            failures[0]["track_id"],
            failures[0]["reason"],
        )
    return Downloads(
        pd.DataFrame(files, columns=FILE_COLUMNS), pd.DataFrame(failures, columns=FAILURE_COLUMNS)
    )


def _download_one(
    track_id, url, isrc, target, session, api, min_bytes, max_bytes, min_seconds
) -> dict:
    refreshed = False

    def refresh():
        found = track_by_isrc(isrc, api, force_refresh=True)
        return found["deezer_preview_url"] if found else None

    try:
        if url is None:
            if isrc is None:
                return {"track_id": track_id, "url": None, "reason": "no preview URL and no ISRC"}
            url, refreshed = refresh(), True
            if url is None:
                return {
                    "track_id": track_id,
                    "url": None,
                    "reason": f"Deezer has no preview for ISRC {isrc}",
                }
        while True:
            try:
                # not streamed: the session reads the whole body, so a connection dropped
                # mid-file is retried there like any other transient error
                response = session.get(url)
            except requests.RequestException as err:
                return {
                    "track_id": track_id,
                    "url": url,
                    "reason": f"download failed: {type(err).__name__}: {err}",
                }
            if response.status_code in (403, 404, 410) and isrc and not refreshed:
                url, refreshed = refresh(), True
                if url is None:
                    return {
                        "track_id": track_id,
                        "url": None,
                        "reason": f"Deezer has no preview for ISRC {isrc}",
                    }
                continue
            break
    except DeezerError as err:
        return {"track_id": track_id, "url": url, "reason": str(err)}
    if response.status_code != 200:
        return {"track_id": track_id, "url": url, "reason": f"HTTP {response.status_code}"}
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not ctype.startswith("audio/"):
        return {
            "track_id": track_id,
            "url": url,
            "reason": f"content type {ctype or 'missing'!r}, not audio",
        }
    body = response.content
    size = len(body)
    if size > max_bytes:
        return {"track_id": track_id, "url": url, "reason": f"{size} bytes > max_bytes={max_bytes}"}
    if size < min_bytes:
        return {"track_id": track_id, "url": url, "reason": f"{size} bytes < min_bytes={min_bytes}"}
    tmp = target.with_name(f".{target.stem}.part.mp3")
    try:
        tmp.write_bytes(body)
        info = _decode_check(tmp, min_seconds)
    except ValueError as err:
        tmp.unlink(missing_ok=True)
        return {"track_id": track_id, "url": url, "reason": str(err)}
    os.replace(tmp, target)
    return {
        "track_id": track_id,
        "path": str(target),
        "status": "downloaded",
        "bytes": size,
        **info,
    }
