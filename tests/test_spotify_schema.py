"""The synthetic Spotify responses (tests/fixtures/spotify) against Spotify's published OpenAPI
description (tests/fixtures/spotify/openapi): every body matches the schema of its operation, in
strict mode (a field the description does not declare fails, a required field missing fails)."""

from __future__ import annotations

import copy
import hashlib

import pytest
import requests
from fixtures.spotify import openapi_check as oc
from fixtures.spotify.fakeapi import (  # noqa: F401  (pytest fixtures)
    FAKE_TOKEN,
    answer,
    fake_api,
    genrelab_env,
    load,
)

API = "https://api.spotify.com/v1"
CASSETTES = ("catalogue", "year", "library", "devmode", "paths_extended")
SPEC_SHA256 = "ddeb078a50208d94c4538bd891bec0c9e67c9f3406617a2d887f0a482a4501f4"


def spotify_interactions():
    for name in CASSETTES:
        for i, inter in enumerate(load(name)["interactions"]):
            if inter["url"].startswith(API + "/"):
                yield pytest.param(inter, id=f"{name}-{i}")


def test_the_vendored_description_is_the_published_file_with_its_license():
    assert hashlib.sha256(oc.SPEC_PATH.read_bytes()).hexdigest() == SPEC_SHA256
    assert oc.published()["info"]["version"] == "2026.5.31"
    here = oc.SPEC_PATH.parent
    assert "MIT License" in (here / "LICENSE").read_text()
    assert "sonallux/spotify-web-api" in (here / "README.md").read_text()


@pytest.mark.parametrize("inter", list(spotify_interactions()))
def test_every_fixture_body_matches_its_operation(inter):
    status = inter.get("status", 200)
    errors = oc.schema_errors(inter["method"], inter["url"], status, inter.get("body"))
    assert errors == [], "\n".join(errors)


def test_the_fixtures_cover_the_operations_the_collection_uses():
    ops = {
        oc.find_operation(i.values[0]["method"], i.values[0]["url"])[0]
        for i in spotify_interactions()
    }
    assert {
        "/search",
        "/playlists/{playlist_id}/items",
        "/me/playlists",
        "/tracks",
        "/tracks/{id}",
        "/artists",
        "/audio-features",
        "/me/tracks",
        "/me/top/tracks",
        "/me/player/currently-playing",
        "/me",
    } <= ops


# --- the check itself fails what it should ---------------------------------------------------
def _search_body() -> tuple[str, dict]:
    inter = next(
        i
        for i in load("year")["interactions"]
        if "/search" in i["url"] and "type=track" in i["url"]
    )
    return inter["url"], copy.deepcopy(inter["body"])


def test_a_field_the_api_does_not_send_fails():
    url, body = _search_body()
    body["tracks"]["items"][0]["tempo"] = 120.0
    body["tracks"]["items"][1]["album"]["label_name"] = "x"
    errors = oc.schema_errors("GET", url, 200, body)
    assert any("items[0]" in e and "'tempo'" in e for e in errors), errors
    assert any("items[1].album" in e and "'label_name'" in e for e in errors), errors


def test_a_required_field_missing_fails_and_a_wrong_type_fails():
    url, body = _search_body()
    del body["tracks"]["total"]
    body["tracks"]["items"][0]["duration_ms"] = "3:25"
    errors = oc.schema_errors("GET", url, 200, body)
    assert any("'total' is a required property" in e for e in errors), errors
    assert any("items[0].duration_ms" in e for e in errors), errors


def test_fields_2026_objects_lose_may_be_absent():
    url, body = _search_body()
    for t in body["tracks"]["items"]:
        t.pop("popularity", None)
        t.pop("available_markets", None)
        t["album"].pop("available_markets", None)
    assert oc.schema_errors("GET", url, 200, body) == []


def test_null_is_let_through_only_where_spotify_sends_it():
    url, body = _search_body()
    body["tracks"]["items"][0]["album"]["name"] = None  # never null
    errors = oc.schema_errors("GET", url, 200, body)
    assert any("album.name" in e for e in errors), errors
    url, body = _search_body()
    body["tracks"]["items"][0]["preview_url"] = None  # "Can be `null`"
    body["tracks"]["items"][1] = None  # a null entry of a search page
    assert oc.schema_errors("GET", url, 200, body) == []


def test_an_error_answer_has_the_error_shape():
    url = f"{API}/playlists/abc/items?limit=50"
    ok = {"error": {"status": 403, "message": "Forbidden"}}
    assert oc.schema_errors("GET", url, 403, ok) == []
    assert oc.schema_errors("GET", url, 404, ok | {"error": {"status": 404, "message": "x"}}) == []
    assert oc.schema_errors("GET", url, 403, {"error": "Forbidden"}) != []


def test_a_url_outside_the_description_is_named():
    with pytest.raises(oc.NoOperation, match="no path"):
        oc.find_operation("GET", f"{API}/no-such-endpoint")
    with pytest.raises(oc.NoOperation, match="no such operation"):
        oc.find_operation("PATCH", f"{API}/search")


def test_the_fake_checks_every_answer_it_serves(fake_api):
    url, body = _search_body()
    body["tracks"]["items"][0]["energy"] = 0.5
    fake_api.set("GET", url, answer(200, body))
    headers = {"Authorization": f"Bearer {FAKE_TOKEN}"}
    with pytest.raises(AssertionError, match="'energy' was unexpected"):
        requests.get(url, headers=headers, timeout=5)
    assert fake_api.schema_failures
    fake_api.schema_failures.clear()
    # a test's deliberately malformed answer says so
    fake_api.set("GET", url, answer(200, body, off_schema=True))
    assert requests.get(url, headers=headers, timeout=5).json() == body
    # a test's abbreviated answer may leave required fields out, not add unknown ones
    fake_api.set("GET", url, answer(200, {"tracks": {"items": [], "next": None}}))
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
