"""ReccoBeats: free, keyless Spotify-style audio features for Spotify track ids.

Since 2024-11-27 Spotify answers 403 on ``/audio-features`` for new and development-mode
apps; ReccoBeats serves the same features (acousticness, danceability, energy,
instrumentalness, liveness, loudness, speechiness, tempo, valence, and key/mode in most
answers) for Spotify ids:

``GET https://api.reccobeats.com/v1/audio-features?ids=<id>,<id>,...`` returns
``{"content": [...]}``. Each item has ReccoBeats' own ``id`` and an ``href`` pointing at the
Spotify track; results are matched back by that href. Unknown ids are dropped by the server
without a word, so :func:`audio_features` returns the ids it did not find. An answer may hold
several items for one Spotify track (several ReccoBeats entries): the first complete one is
kept, so each track has one row.

Example
-------
>>> from genrelab.collect import reccobeats
>>> features, missing = reccobeats.audio_features(["0r7CVbZTWZgbTCYdfa2P31"])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import pandas as pd
import requests
from tqdm.auto import tqdm

from genrelab import schema
from genrelab.collect import answers, http
from genrelab.collect.errors import MalformedResponseError, NetworkError, ReccoBeatsError

log = logging.getLogger(__name__)

API = "https://api.reccobeats.com/v1"
#: ids per request (the API takes about 40 at a time)
BATCH_SIZE = 40
#: feature fields of a ReccoBeats answer, in the snapshot's order
FEATURES = schema.ENDPOINT_FEATURES

_SPOTIFY_ID = re.compile(
    r"(?:open\.spotify\.com/(?:intl-\w+/)?track/|spotify:track:)([0-9A-Za-z]{22})"
)


def spotify_id_from_href(href: str | None) -> str | None:
    """The Spotify track id in a ReccoBeats ``href`` (``https://open.spotify.com/track/<id>``)."""
    match = _SPOTIFY_ID.search(href or "")
    return match.group(1) if match else None


def features_url(ids: Iterable[str]) -> str:
    """The request URL for a batch (ids joined by literal commas, as the API documents)."""
    return f"{API}/audio-features?ids={','.join(ids)}"


def _features(item: dict) -> tuple[dict[str, float], list[str]]:
    """The numeric features of one item, and the fields whose value is not a number."""
    feats, bad = {}, []
    for f in FEATURES:
        value = item.get(f)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            bad.append(f"{f} {value!r}"[:60])
            continue
        feats[f] = float(value)
    return feats, bad


def fetch_batch(
    ids: list[str],
    session: requests.Session | None = None,
    *,
    skipped: dict[str, str] | None = None,
) -> dict[str, dict | None]:
    """Features of up to :data:`BATCH_SIZE` Spotify ids: ``{spotify_id: {feature: value} or None}``.

    ``None`` marks an id ReccoBeats does not know. Features absent from an answer (some
    answers have no key/mode) are left out of that track's dict. An item with a value that is
    not a number (a list for ``energy``) is skipped with a warning; its id is ``None`` and its
    reason goes to ``skipped`` (if given). Raises :class:`ReccoBeatsError` for a non-200 or
    malformed answer (after the session's retries; it is not cached, a rerun asks again).
    """
    if not ids:
        return {}
    if len(ids) > BATCH_SIZE:
        raise ValueError(f"at most {BATCH_SIZE} ids per ReccoBeats request, got {len(ids)}")
    session = session or http.session()
    try:
        response = answers.check(
            session.get(features_url(ids), headers={"Accept": "application/json"})
        )
    except MalformedResponseError as err:
        raise ReccoBeatsError(f"{err} ({len(ids)} ids)") from None
    except NetworkError:
        raise  # the host cannot be reached at all: the collection stops, in one sentence
    except requests.RequestException as err:  # dropped mid-answer, timed out, undecodable body
        raise ReccoBeatsError(
            f"ReccoBeats audio-features: {type(err).__name__} after the retries for a batch of "
            f"{len(ids)} ids (the answer broke off or could not be decoded): retry later"
        ) from None
    if response.status_code != 200:
        raise ReccoBeatsError(
            f"ReccoBeats audio-features answered HTTP {response.status_code} "
            f"for a batch of {len(ids)} ids: {response.text[:200]}"
        )
    try:
        content = response.json().get("content") or []
    except (ValueError, AttributeError) as err:
        raise ReccoBeatsError(f"ReccoBeats audio-features: not JSON ({err})") from err
    if not isinstance(content, list):
        raise ReccoBeatsError("ReccoBeats audio-features: 'content' is not a list: retry later")
    wanted = set(ids)
    out: dict[str, dict | None] = {i: None for i in ids}
    repeated, not_objects, bad_items = 0, 0, {}
    for item in content:
        if not isinstance(item, dict):
            not_objects += 1
            continue
        sid = spotify_id_from_href(item.get("href"))
        if sid not in wanted:
            log.info(
                "ReccoBeats item %s has href %r, not one of the ids asked for: ignored",
                item.get("id"),
                item.get("href"),
            )
            continue
        feats, bad = _features(item)
        if bad:
            bad_items[sid] = f"ReccoBeats item {item.get('id')}: {', '.join(bad)} not a number"
            continue
        earlier = out[sid]
        if earlier is not None:
            repeated += 1
            if len(earlier) - 1 >= len(FEATURES) or len(feats) <= len(earlier) - 1:
                continue  # the first complete item wins
        out[sid] = {**feats, "reccobeats_id": item.get("id")}
    if repeated:
        log.info(
            "ReccoBeats sent %d extra item(s) for tracks already answered: first kept", repeated
        )
    bad_items = {sid: why for sid, why in bad_items.items() if out[sid] is None}
    if not_objects or bad_items:
        log.warning(
            "ReccoBeats audio-features: %d item(s) skipped (values that are not numbers%s); "
            "the batch goes on: %s",
            len(bad_items) + not_objects,
            f", {not_objects} not an object" if not_objects else "",
            "; ".join(list(bad_items.values())[:5]),
        )
    if skipped is not None:
        skipped.update(bad_items)
    return out


def audio_features(
    track_ids: Iterable[str],
    *,
    session: requests.Session | None = None,
    batch_size: int = BATCH_SIZE,
    progress: bool = True,
) -> tuple[pd.DataFrame, list[str]]:
    """Features for many Spotify ids, in batches.

    Returns
    -------
    features : DataFrame
        One row per found id: ``track_id``, the features ReccoBeats gave, ``reccobeats_id``.
    missing : list of str
        Ids ReccoBeats did not return (unknown to it, or in a batch that failed; the
        failure is logged with its reason and the other batches go on). Items skipped for
        values that are not numbers are among them, with their reasons in
        ``features.attrs["skipped"]``.
    """
    ids = list(dict.fromkeys(track_ids))
    session = session or http.session()
    found: dict[str, dict] = {}
    missing: list[str] = []
    skipped: dict[str, str] = {}
    batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
    for batch in tqdm(batches, desc="reccobeats features", unit="batch", disable=not progress):
        try:
            result = fetch_batch(batch, session, skipped=skipped)
        except ReccoBeatsError as err:
            log.warning("%s; these %d ids stay without features", err, len(batch))
            missing.extend(batch)
            continue
        for sid, feats in result.items():
            if feats is None:
                missing.append(sid)
            else:
                found[sid] = feats
    frame = pd.DataFrame(
        [{"track_id": k, **v} for k, v in found.items()],
        columns=["track_id", *FEATURES, "reccobeats_id"],
    )
    if missing:
        log.warning(
            "ReccoBeats has no features for %d of %d tracks: %s",
            len(missing),
            len(ids),
            ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else ""),
        )
    frame.attrs["skipped"] = skipped
    return frame, missing
