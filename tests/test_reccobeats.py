"""genrelab.collect.reccobeats on synthetic responses in the API's shape."""

from __future__ import annotations

import pytest
from fixtures.spotify.fakeapi import answer, fake_api, genrelab_env, load  # noqa: F401  (pytest fixtures)

from genrelab import tables
from genrelab.collect import http, reccobeats

pytestmark = pytest.mark.usefixtures("genrelab_env")

FACTS = load("catalogue")["facts"]
IDS = FACTS["track_order"]
RB = "https://api.reccobeats.com/v1/audio-features"


def test_spotify_id_from_href():
    tid = "0r7CVbZTWZgbTCYdfa2P31"
    assert reccobeats.spotify_id_from_href(f"https://open.spotify.com/track/{tid}") == tid
    assert (
        reccobeats.spotify_id_from_href(f"https://open.spotify.com/intl-de/track/{tid}?si=x") == tid
    )
    assert reccobeats.spotify_id_from_href(f"spotify:track:{tid}") == tid
    assert (
        reccobeats.spotify_id_from_href("https://open.spotify.com/album/0r7CVbZTWZgbTCYdfa2P31")
        is None
    )
    assert reccobeats.spotify_id_from_href(None) is None


def test_the_url_joins_ids_with_literal_commas():
    assert reccobeats.features_url(["a", "b"]) == f"{RB}?ids=a,b"


def test_a_batch_is_matched_back_by_href_and_unknown_ids_are_none(fake_api):
    batch = IDS[:40]
    got = reccobeats.fetch_batch(batch, http.session())
    assert list(got) == batch  # in the order asked, although the answer came reversed
    assert got[FACTS["no_reccobeats_features"]] is None
    snap = tables.load_tracks(invalid="drop").drop_duplicates("track_id").set_index("track_id")
    found = [t for t in batch if got[t] is not None]
    assert len(found) == 39
    for t in found:
        assert got[t]["tempo"] == pytest.approx(snap.loc[t, "tempo"])
        assert got[t]["key"] == snap.loc[t, "key"] and got[t]["mode"] == snap.loc[t, "mode"]
        assert len(got[t]["reccobeats_id"]) == 36


def test_items_for_other_tracks_are_ignored_and_absent_fields_left_out(fake_api):
    ids = ["0r7CVbZTWZgbTCYdfa2P31", "6f807x0ima9a1j3VPbc7VN"]
    body = {
        "content": [
            {
                "id": "a-uuid",
                "href": "https://open.spotify.com/track/0r7CVbZTWZgbTCYdfa2P31",
                "acousticness": 0.1,
                "danceability": 0.7,
                "energy": 0.8,
                "instrumentalness": 0.0,
                "liveness": 0.1,
                "loudness": -5.0,
                "speechiness": 0.05,
                "tempo": 120.0,
                "valence": 0.5,
            },  # no key / mode in this answer
            {
                "id": "b-uuid",
                "href": "https://open.spotify.com/track/SomeOtherTrack00000000",
                "energy": 0.1,
            },
        ]
    }
    fake_api.set("GET", reccobeats.features_url(ids), answer(200, body))
    got = reccobeats.fetch_batch(ids, http.session())
    assert got["6f807x0ima9a1j3VPbc7VN"] is None
    assert (
        "key" not in got["0r7CVbZTWZgbTCYdfa2P31"]
        and got["0r7CVbZTWZgbTCYdfa2P31"]["energy"] == 0.8
    )


def test_more_than_a_batch_is_refused(genrelab_env):
    with pytest.raises(ValueError, match="at most 40"):
        reccobeats.fetch_batch([f"id{i}" for i in range(41)], http.session())


def test_audio_features_batches_of_40_and_lists_the_missing(fake_api):
    frame, missing = reccobeats.audio_features(IDS, progress=False)
    assert fake_api.count("api.reccobeats.com") == 2  # 72 ids: 40 + 32
    assert missing == [FACTS["no_reccobeats_features"]]
    assert len(frame) == len(IDS) - 1 and set(frame["track_id"]) == set(IDS) - set(missing)
    assert list(frame.columns) == ["track_id", *reccobeats.FEATURES, "reccobeats_id"]


def test_429_honours_retry_after(fake_api, genrelab_env):
    url = reccobeats.features_url(IDS[:40])
    fake_api.before("GET", url, answer(429, {"error": "Too Many Requests"}, **{"Retry-After": "3"}))
    got = reccobeats.fetch_batch(IDS[:40], http.session())
    assert len([v for v in got.values() if v]) == 39
    assert 3.0 in genrelab_env["sleeps"] and fake_api.count("api.reccobeats.com") == 2


def test_a_failed_batch_is_skipped_with_its_reason_and_the_rest_goes_on(fake_api, caplog):
    fake_api.set("GET", reccobeats.features_url(IDS[:40]), answer(400, {"error": "Bad Request"}))
    frame, missing = reccobeats.audio_features(IDS, progress=False)
    assert len(frame) == 32 and set(IDS[:40]) <= set(missing)
    assert "HTTP 400" in caplog.text
