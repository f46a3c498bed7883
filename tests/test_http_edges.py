"""Hostile HTTP answers (issue 26): a malformed 200 is never used nor cached, a bad row is skipped.

Every case: one sentence naming the service, the row skipped and counted, the batch goes on, and
the next run (the server healthy again) asks the network again instead of replaying garbage.
"""

from __future__ import annotations

import json
import logging
import math

import pytest
import requests
import requests_cache
from fixtures.spotify.fakeapi import answer, fake_api, genrelab_env, load  # noqa: F401  (pytest fixtures)

from genrelab.collect import (
    checkpoint,
    deezer,
    errors,
    http,
    library,
    reccobeats,
    spotify_client,
    stages,
)

pytestmark = pytest.mark.usefixtures("genrelab_env")

CAT = load("catalogue")
FACTS = CAT["facts"]
LIB = load("library")["facts"]
API = "https://api.spotify.com/v1"
TOKEN_URL = "https://accounts.spotify.com/api/token"
DEEZER = {
    i["url"].rsplit(":", 1)[1]: i["body"]
    for i in CAT["interactions"]
    if "api.deezer.com" in i["url"]
}
KNOWN = [isrc for isrc, body in DEEZER.items() if "error" not in body]
IDS = FACTS["track_order"]
SEARCH = f"{API}/search?q=daft+punk&limit=10&offset=0&type=track"


def raw(body: str, content_type: str = "application/json", status: int = 200) -> dict:
    """An answer whose body is sent as it is (not serialised as JSON)."""
    return {"status": status, "headers": {"Content-Type": content_type}, "body": body}


HTML = raw("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
#: the four kinds of malformed 200 of issue 26
MALFORMED = {
    "html": HTML,
    "cut_off_json": raw('{"id": 3135556, "title": "Harder, Better, Fas'),
    "empty": raw(""),
    "wrong_shape": raw("[]"),
}


def recorded(url_part: str) -> dict:
    return next(i for i in CAT["interactions"] if url_part in i["url"])


# --- Major 1: a bad 200 is neither used nor cached ----------------------------------------------
@pytest.mark.parametrize("kind", list(MALFORMED))
def test_deezer_malformed_200_skips_the_row_is_not_cached_and_the_next_run_asks_again(
    fake_api, kind
):
    bad, good = KNOWN[0], KNOWN[1]
    fake_api.set(
        "GET", deezer.track_url(bad), MALFORMED[kind], answer(200, DEEZER[bad])
    )  # garbage once, then healthy
    s = http.session()
    first = deezer.lookup_isrcs([bad, good], session=s, progress=False)
    assert first["isrc"].tolist() == [good]  # the batch went on
    reason = first.attrs["skipped"][bad]
    assert "api.deezer.com" in reason and "retry later" in reason
    again = http.session()  # the next run, same cache file
    second = deezer.lookup_isrcs([bad, good], session=again, progress=False)
    assert second["isrc"].tolist() == [bad, good] and not second.attrs["skipped"]
    assert again.calls["api.deezer.com"] == 1  # asked the network again; the good one cached


def test_collector_deezer_skips_and_counts_a_malformed_answer(fake_api, caplog):
    bad, good = KNOWN[0], KNOWN[1]
    fake_api.set("GET", deezer.track_url(bad), HTML)
    c = stages.Collector(
        spotify_client.public_client(), checkpoint.Checkpoint(None), progress=False
    )
    done = c.deezer([bad, good])
    assert bad not in done and done[good]["deezer_bpm"] == DEEZER[good]["bpm"]
    assert list(c.deezer_skipped) == [bad] and "retry later" in c.deezer_skipped[bad]
    assert "1 of 2 ISRCs skipped" in caplog.text


@pytest.mark.parametrize("kind", [*MALFORMED, "no_content"])
def test_reccobeats_malformed_200_skips_the_batch_and_the_next_run_asks_again(fake_api, kind):
    batch = IDS[:40]
    url = reccobeats.features_url(batch)
    body = raw(json.dumps({"items": []})) if kind == "no_content" else MALFORMED[kind]
    fake_api.before("GET", url, body)
    s = http.session()
    frame, missing = reccobeats.audio_features(IDS, session=s, progress=False)
    assert set(batch) <= set(missing) and len(frame) == len(IDS) - 40  # the other batch went on
    again = http.session()
    frame, missing = reccobeats.audio_features(IDS, session=again, progress=False)
    assert missing == [FACTS["no_reccobeats_features"]]
    assert again.calls["api.reccobeats.com"] == 1  # the failed batch asked again, not replayed


def test_collector_reccobeats_malformed_batch_is_failed_and_the_rerun_asks_again(fake_api):
    batch = IDS[:40]
    fake_api.before("GET", reccobeats.features_url(batch), HTML)

    def collector():
        return stages.Collector(
            spotify_client.public_client(),
            checkpoint.Checkpoint(None),
            features_source="reccobeats",
            progress=False,
        )

    feats, source, failed = collector().features(IDS)
    assert source == "reccobeats" and set(failed) == set(batch)
    assert "retry later" in failed[batch[0]] and feats[IDS[-1]] is not None
    again = collector()
    feats, _, failed = again.features(IDS)
    assert not failed and feats[batch[1]] is not None
    assert again.sp.http.calls["api.reccobeats.com"] == 1  # the failed batch, from the network


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_spotify_search_malformed_200_says_retry_later_and_is_not_cached(fake_api, kind):
    fake_api.before("GET", SEARCH, MALFORMED[kind])
    with pytest.raises(errors.MalformedResponseError, match="api.spotify.com.*retry later"):
        library.search("daft punk", client=spotify_client.public_client())
    client = spotify_client.public_client()  # the next run
    assert len(library.search("daft punk", client=client)) == 10
    assert client.http.calls["api.spotify.com"] == 1


def test_spotify_search_without_its_page_says_retry_later(fake_api):
    fake_api.set("GET", SEARCH, answer(200, {"artists": {"items": [], "next": None}}))
    with pytest.raises(errors.MalformedResponseError, match="without its tracks page"):
        library.search("daft punk")


def test_token_endpoint_malformed_200_is_a_clear_error_and_asked_again(fake_api):
    fake_api.before("POST", TOKEN_URL, HTML)
    with pytest.raises(errors.MalformedResponseError, match="accounts.spotify.com.*retry later"):
        library.search("daft punk")
    assert len(library.search("daft punk")) == 10  # the next run gets a token


def test_a_malformed_answer_cached_by_an_older_version_is_dropped_and_asked_again(fake_api):
    isrc = KNOWN[0]
    fake_api.set(
        "GET", deezer.track_url(isrc), MALFORMED["cut_off_json"], answer(200, DEEZER[isrc])
    )
    old = requests_cache.CachedSession(str(http.cache_path()), backend="sqlite")  # no filter_fn
    old.get(deezer.track_url(isrc))
    assert old.get(deezer.track_url(isrc)).from_cache  # the garbage is in the cache
    s = http.session()
    assert deezer.track_by_isrc(isrc, s)["deezer_id"] == DEEZER[isrc]["id"]
    assert s.calls["api.deezer.com"] == 1  # dropped from the cache and asked again
    later = http.session()
    assert deezer.track_by_isrc(isrc, later)["deezer_id"] == DEEZER[isrc]["id"]
    assert not later.calls  # the good answer replaced it in the cache


def test_well_formed_rules_per_host():
    from genrelab.collect import answers

    def resp(url, body, method="GET", status=200):
        r = requests.Response()
        r.status_code, r.url, r._content = status, url, body.encode()
        r.request = requests.Request(method, url).prepare()
        return r

    dz = "https://api.deezer.com/track/isrc:X"
    assert answers.well_formed(resp(dz, '{"id": 1}'))
    assert not answers.well_formed(resp(dz, '{"error": "quota"}'))
    assert answers.well_formed(resp(dz, '{"error": {"code": 800, "message": "no data"}}'))
    assert not answers.well_formed(resp(reccobeats.features_url(["a"]), '{"content": null}'))
    assert answers.well_formed(resp(reccobeats.features_url(["a"]), '{"content": []}'))
    assert not answers.well_formed(resp(TOKEN_URL, '{"token_type": "Bearer"}', "POST"))
    assert answers.well_formed(
        resp(TOKEN_URL, '{"access_token": "x", "token_type": "Bearer", "expires_in": 3600}', "POST")
    )
    assert answers.well_formed(resp("https://cdnt-preview.dzcdn.net/a.mp3", ""))  # not checked
    assert answers.well_formed(resp(f"{API}/search", "<html>", status=500))  # only 200s


# --- Minors: HTTP ---------------------------------------------------------------------------
def test_reccobeats_retry_after_599_is_capped_by_max_total_wait(fake_api, genrelab_env):
    url = reccobeats.features_url(IDS[:40])
    fake_api.set("GET", url, answer(429, {"error": "Too Many Requests"}, **{"Retry-After": "599"}))
    with pytest.raises(errors.RateLimitError, match="api.reccobeats.com.*max_total_wait=900 s"):
        reccobeats.fetch_batch(IDS[:40], http.session())
    assert sum(genrelab_env["sleeps"]) <= http.MAX_TOTAL_WAIT  # not 5 x 599 s
    assert genrelab_env["sleeps"] == [599.0]


def test_reccobeats_item_with_a_list_for_energy_is_skipped_and_counted(fake_api, caplog):
    ids = IDS[:2]
    items = [dict(i) for i in recorded("api.reccobeats.com")["body"]["content"][:2]]
    items[0]["href"], items[1]["href"] = (f"https://open.spotify.com/track/{t}" for t in ids)
    items[0]["energy"] = [0.7, 0.8]
    fake_api.set("GET", reccobeats.features_url(ids), answer(200, {"content": items}))
    frame, missing = reccobeats.audio_features(ids, progress=False)
    assert frame["track_id"].tolist() == [ids[1]] and missing == [ids[0]]
    assert "energy [0.7, 0.8] not a number" in frame.attrs["skipped"][ids[0]]
    assert "1 item(s) skipped" in caplog.text


@pytest.mark.parametrize(
    "body", [{"error": "quota"}, [DEEZER[KNOWN[0]]]], ids=["string_error", "list_body"]
)
def test_deezer_string_error_or_list_body_skips_the_row(fake_api, body):
    bad, good = KNOWN[0], KNOWN[1]
    fake_api.set("GET", deezer.track_url(bad), answer(200, body))
    with pytest.raises(deezer.DeezerError, match="Deezer"):
        deezer.track_by_isrc(bad, http.session())
    table = deezer.lookup_isrcs([bad, good], progress=False)
    assert table["isrc"].tolist() == [good] and list(table.attrs["skipped"]) == [bad]


def test_deezer_bpm_that_is_not_a_number_is_left_empty_with_a_reason(fake_api, caplog):
    isrc = KNOWN[0]
    fake_api.set("GET", deezer.track_url(isrc), answer(200, dict(DEEZER[isrc], bpm="fast")))
    with caplog.at_level(logging.WARNING):
        row = deezer.track_by_isrc(isrc, http.session())
    assert math.isnan(row["deezer_bpm"]) and row["deezer_id"] == DEEZER[isrc]["id"]
    assert "bpm 'fast' not a number" in caplog.text


def test_token_service_500_is_not_called_refused_credentials(fake_api, genrelab_env):
    fake_api.set(
        "POST",
        TOKEN_URL,
        raw("<html><body>Internal Server Error</body></html>", "text/html", status=500),
    )
    with pytest.raises(errors.SpotifyAPIError) as err:
        library.search("daft punk")
    msg = str(err.value)
    assert not isinstance(err.value, errors.SpotifyCredentialsError)
    assert "token service" in msg and "HTTP 500" in msg and "retry later" in msg
    assert "refused" not in msg and "<html>" not in msg


def test_token_answer_without_access_token_is_a_clear_error(fake_api):
    fake_api.set("POST", TOKEN_URL, answer(200, {"token_type": "Bearer"}))
    with pytest.raises(errors.MalformedResponseError, match="without 'access_token'"):
        library.search("daft punk")


def test_spotify_400_with_a_plain_string_error_is_a_spotify_api_error(fake_api):
    fake_api.set(
        "GET",
        SEARCH,
        answer(400, {"error": "invalid_request", "error_description": "Invalid limit"}),
    )
    with pytest.raises(errors.SpotifyAPIError, match="HTTP 400 on /search.*invalid_request"):
        library.search("daft punk")


def test_search_null_items_are_skipped_and_counted(fake_api, caplog):
    page = next(i for i in load("library")["interactions"] if i["url"] == SEARCH)["body"]
    tracks = dict(page["tracks"], items=[None, *page["tracks"]["items"][:3], {"id": None}])
    fake_api.set("GET", SEARCH, answer(200, {"tracks": dict(tracks, next=None)}, off_schema=True))
    table = library.search("daft punk", limit=10)
    assert len(table) == 3 and table["track_id"].notna().all()
    assert table.attrs["skipped_items"] == 2 and "2 null item(s)" in caplog.text


def test_playlist_null_items_are_skipped_and_counted(fake_api):
    pid = "37i9dQZF1DXcBWIGoYBM5M"
    url = f"{API}/playlists/{pid}/items?limit=50&offset=0&additional_types=track"
    page = next(i for i in load("library")["interactions"] if "/me/tracks" in i["url"])["body"]
    items = [None, *page["items"][:2], {"added_at": "2026-01-01T00:00:00Z", "item": None}]
    fake_api.set("GET", url, answer(200, dict(page, items=items, next=None, total=4)))
    table = library.playlist_tracks(pid)
    assert len(table) == 2 and table["track_id"].notna().all()
    assert table.attrs["skipped_items"] == 2
