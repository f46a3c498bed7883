"""genrelab.collect.deezer on synthetic responses in the API's shape (the audio body is the
committed FMA clip)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from fixtures.spotify.fakeapi import answer, dropped, fake_api, genrelab_env, load  # noqa: F401  (pytest fixtures)

from genrelab import config
from genrelab.collect import deezer, http

pytestmark = pytest.mark.usefixtures("genrelab_env")

CAT = load("catalogue")
FACTS = CAT["facts"]
DEEZER = {
    i["url"].rsplit(":", 1)[1]: i["body"]
    for i in CAT["interactions"]
    if "api.deezer.com" in i["url"]
}
KNOWN = [isrc for isrc, body in DEEZER.items() if "error" not in body]
CLIP = "data/raw/fma_000002.mp3"


def mp3(status=200, content_type="audio/mpeg", body_file=CLIP) -> dict:
    return {"status": status, "headers": {"Content-Type": content_type}, "body_file": body_file}


def test_track_by_isrc_keeps_preview_bpm_gain_duration_rank(fake_api):
    isrc = KNOWN[1]
    got = deezer.track_by_isrc(isrc, http.session())
    body = DEEZER[isrc]
    assert got["deezer_preview_url"] == body["preview"] and got["deezer_rank"] == body["rank"]
    assert got["deezer_gain"] == body["gain"] and got["deezer_duration"] == body["duration"]
    assert got["deezer_bpm"] == body["bpm"] and got["isrc"] == isrc


def test_bpm_zero_means_unknown():
    assert math.isnan(deezer.parse_track({"bpm": 0, "preview": ""})["deezer_bpm"])
    assert deezer.parse_track({"bpm": 0, "preview": ""})["deezer_preview_url"] is None


def test_an_unknown_isrc_is_none_and_other_errors_raise(fake_api):
    assert deezer.track_by_isrc(FACTS["deezer_unknown"][0], http.session()) is None
    fake_api.set(
        "GET",
        deezer.track_url("XX0000000000"),
        answer(
            200,
            {"error": {"type": "ParameterException", "message": "Wrong parameter", "code": 500}},
        ),
    )
    with pytest.raises(deezer.DeezerError, match="Wrong parameter"):
        deezer.track_by_isrc("XX0000000000", http.session())


def test_quota_errors_are_retried_after_5_s_and_never_cached(fake_api, genrelab_env):
    isrc = KNOWN[2]
    quota = answer(
        200, {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
    )
    fake_api.before("GET", deezer.track_url(isrc), quota)
    s = http.session()
    assert deezer.track_by_isrc(isrc, s)["deezer_id"] == DEEZER[isrc]["id"]
    assert genrelab_env["sleeps"] == [5.0] and fake_api.count("api.deezer.com") == 2
    assert (
        deezer.track_by_isrc(isrc, s) is not None and fake_api.count("api.deezer.com") == 2
    )  # now cached


def test_requests_keep_to_50_per_5_seconds(fake_api, genrelab_env):
    df = deezer.lookup_isrcs(list(DEEZER)[:60], progress=False)
    assert fake_api.count("api.deezer.com") == 60
    assert len(df) == 60 - sum(i in FACTS["deezer_unknown"] for i in list(DEEZER)[:60])
    assert list(df.columns) == deezer.COLUMNS
    waits = [w for w in genrelab_env["sleeps"] if w > 0]
    assert len(waits) >= 1 and all(
        w <= 5.0 for w in waits
    )  # the 51st request waited for the window


def tracks_table(n=3) -> pd.DataFrame:
    isrcs = KNOWN[:n]
    return pd.DataFrame(
        {
            "track_id": [f"trk{i:019d}" for i in range(n)],
            "isrc": isrcs,
            "deezer_preview_url": [DEEZER[i]["preview"] for i in isrcs],
        }
    )


def test_download_previews_checks_decodes_and_resumes(fake_api, genrelab_env):
    tracks = tracks_table(3)
    for url in tracks["deezer_preview_url"]:
        fake_api.set("GET", url, mp3())
    dest = genrelab_env["tmp"] / "previews"
    files, failures = deezer.download_previews(tracks, dest, progress=False)
    assert failures.empty and files["status"].tolist() == ["downloaded"] * 3
    assert files["samplerate"].eq(44100).all() and files["duration_s"].between(29, 31).all()
    assert sorted(p.name for p in dest.iterdir()) == [
        f"{t}.mp3" for t in tracks["track_id"]
    ]  # no temp files
    n = len(fake_api.calls)
    again = deezer.download_previews(tracks, dest, progress=False)
    assert again.files["status"].tolist() == ["existing"] * 3 and len(fake_api.calls) == n


def test_bad_downloads_are_skipped_with_a_reason(fake_api, genrelab_env, tmp_path):
    tracks = tracks_table(5)
    urls = tracks["deezer_preview_url"].tolist()
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"\xff\xfb" + bytes(range(256)) * 200)
    fake_api.set("GET", urls[0], mp3())
    fake_api.set("GET", urls[1], mp3(content_type="text/html"))
    fake_api.set(
        "GET",
        urls[2],
        {"status": 200, "headers": {"Content-Type": "audio/mpeg"}, "body": b"\xff\xfb" * 100},
    )
    fake_api.set(
        "GET",
        urls[3],
        {"status": 200, "headers": {"Content-Type": "audio/mpeg"}, "body": garbage.read_bytes()},
    )
    fake_api.set("GET", urls[4], dropped(), mp3())  # a dropped connection, then the file
    tracks = pd.concat(
        [
            tracks,
            pd.DataFrame({"track_id": ["trkNoUrl"], "isrc": [None], "deezer_preview_url": [None]}),
        ],
        ignore_index=True,
    )
    dest = genrelab_env["tmp"] / "previews"
    files, failures = deezer.download_previews(tracks, dest, progress=False)
    assert files["track_id"].tolist() == [tracks.track_id[0], tracks.track_id[4]]
    reasons = failures.set_index("track_id")["reason"]
    assert "content type 'text/html'" in reasons[tracks.track_id[1]]
    assert "min_bytes" in reasons[tracks.track_id[2]]
    assert "not decodable" in reasons[tracks.track_id[3]]
    assert reasons["trkNoUrl"] == "no preview URL and no ISRC"
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{t}.mp3" for t in files["track_id"])


def test_a_stale_preview_url_is_refreshed_by_isrc(fake_api, genrelab_env):
    tracks = tracks_table(1)
    isrc, old = tracks.loc[0, "isrc"], tracks.loc[0, "deezer_preview_url"]
    fresh = old.replace("exp=1795000000", "exp=1895000000")
    fake_api.set(
        "GET", old, {"status": 403, "headers": {"Content-Type": "text/plain"}, "body": "expired"}
    )
    fake_api.set("GET", deezer.track_url(isrc), answer(200, dict(DEEZER[isrc], preview=fresh)))
    fake_api.set("GET", fresh, mp3())
    files, failures = deezer.download_previews(tracks, genrelab_env["tmp"] / "p", progress=False)
    assert failures.empty and files["status"].tolist() == ["downloaded"]
    assert fake_api.count("api.deezer.com") == 1


def test_a_missing_url_is_looked_up_by_isrc(fake_api, genrelab_env):
    tracks = tracks_table(1).assign(deezer_preview_url=None)
    fake_api.set("GET", DEEZER[tracks.loc[0, "isrc"]]["preview"], mp3())
    files, failures = deezer.download_previews(tracks, genrelab_env["tmp"] / "p", progress=False)
    assert len(files) == 1 and failures.empty


def test_default_folder_is_under_the_cache():
    assert deezer.previews_dir() == config.cache_dir() / "previews"
