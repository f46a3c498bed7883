"""A user's library, look-ups, ReccoBeats and Deezer against both fixture sets (issue 14).

``either_api`` runs each test on the extended-quota cassettes and on ``devmode.json``; what a
development-mode app cannot do ends in one sentence saying what it can do instead.
"""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.spotify.fakeapi import (  # noqa: F401  (pytest fixtures)
    answer,
    dev_api,
    either_api,
    fake_api,
    genrelab_env,
    load,
)

from genrelab import schema, tables
from genrelab.collect import analysis, deezer, errors, http, library, reccobeats, spotify_client

pytestmark = pytest.mark.usefixtures("genrelab_env")

API = "https://api.spotify.com/v1"
LIB = load("library")["facts"]
CAT = load("catalogue")["facts"]
DEV = load("devmode")["facts"]
GS = DEV["genre_search"]
MINE = DEV["my_playlists"]


def one_sentence(msg: str) -> bool:
    return "\n" not in msg and msg.endswith(".") and "Traceback" not in msg


# --- look-ups -------------------------------------------------------------------------------
def test_search_tracks_artists_albums(either_api):
    tr = library.search(LIB["search_q"], "track", limit=15)
    assert len(tr) == 15 and tr["isrc"].notna().all()  # ISRCs stay in 2026
    assert either_api.count("api.spotify.com", "/search") == 2  # limit 10, then 5
    ar = library.search(LIB["search_q"], "artist")
    assert ar["artist_name"].tolist() == ["Daft Punk", "Daft Punk Tribute"]
    if either_api.mode == "extended":
        assert ar["artist_genres"].notna().all() and tr["track_popularity"].notna().all()
    else:  # no genres / popularity for development-mode apps: NA, not "" or 0
        assert ar[["artist_genres", "artist_popularity", "artist_followers"]].isna().all().all()
        assert tr["track_popularity"].isna().all()
    assert len(library.search(LIB["search_q"], "album")) == 3


def test_a_403_on_search_says_premium_in_one_sentence(either_api):
    url = f"{API}/search?q=daft+punk&limit=10&offset=0&type=track"
    either_api.set("GET", url, answer(403, {"error": {"status": 403, "message": "Forbidden"}}))
    with pytest.raises(errors.SpotifyAccessError) as err:
        library.search("daft punk")
    msg = str(err.value)
    assert "Premium" in msg and "allow-list" in msg and one_sentence(msg)


def test_a_403_on_me_says_allow_list_in_one_sentence(either_api):
    either_api.set("GET", f"{API}/me/", answer(403, {"error": {"status": 403}}))
    with pytest.raises(errors.SpotifyAccessError) as err:
        library.profile()
    msg = str(err.value)
    assert "/me" in msg and "allow-list" in msg and "5 users" in msg and one_sentence(msg)


def test_an_unknown_track_is_one_sentence_not_a_raw_exception(either_api):
    either_api.set("GET", f"{API}/tracks/0000000000000000000000", answer(404, {"error": {}}))
    with pytest.raises(errors.SpotifyAPIError, match=r"HTTP 404 on /tracks/0{22}") as err:
        analysis.analyze_track("0000000000000000000000")
    assert one_sentence(str(err.value))


# --- browse and playlists -------------------------------------------------------------------
def test_categories_and_category_playlists(either_api):
    if either_api.mode == "extended":
        assert library.categories()["category_id"].tolist() == ["toplists", "pop", "rock", "latin"]
        assert library.category_playlists("pop")["playlist_id"].tolist() == LIB["category_pls"]
        return
    for call in (library.categories, lambda: library.category_playlists("pop")):
        with pytest.raises(errors.SpotifyAccessError) as err:
            call()
        msg = str(err.value)
        assert "browse categories" in msg and "library.search" in msg and one_sentence(msg)


def test_playlist_tracks_of_a_public_playlist(either_api):
    pid = CAT["playlists"]["A"]["id"]
    if either_api.mode == "extended":
        assert len(library.playlist_tracks(pid)) == CAT["playlists"]["A"]["n_tracks"] + 1
        return
    with pytest.raises(errors.SpotifyAccessError) as err:
        library.playlist_tracks(pid)
    msg = str(err.value)
    assert "403" in msg and "owns or collaborates on" in msg and "login" in msg
    assert "genre_search" in msg and one_sentence(msg)
    with pytest.raises(errors.SpotifyAccessError, match="editorial") as err:
        library.playlist_tracks(DEV["editorial"])
    assert one_sentence(str(err.value))


def test_own_playlist_with_local_files_episodes_null_entries_and_no_date(either_api):
    if either_api.mode == "extended":  # the extended cassettes hold the same answers
        either_api.load("paths_extended")
    sp = spotify_client.user_client()
    tracks = library.playlist_tracks(MINE["own"], client=sp)
    assert tracks["track_id"].tolist() == MINE["own_ids"]  # local, episode, nulls: left out
    no_date = tracks.set_index("track_id").loc[MINE["no_date"], "added_at"]
    assert pd.isna(no_date) and tracks["added_at"].notna().sum() == len(tracks) - 1
    collab = library.playlist_tracks(MINE["collab"], client=sp)  # the 2026 `item` key
    assert collab["track_id"].tolist() == MINE["collab_ids"]


def test_album_tracks_profile_top_liked_and_now_playing(either_api):
    album = library.album_tracks(LIB["album_id"])
    assert album["track_number"].tolist() == list(range(1, LIB["album_n"] + 1))
    me = library.profile()
    assert me.loc[0, "user_id"] == "testuser"
    if either_api.mode == "devmode":
        assert pd.isna(me.loc[0, "followers"])
    assert library.top_tracks()["track_id"].tolist() == LIB["top_ids"]
    assert library.liked_tracks()["track_id"].tolist() == LIB["liked_ids"]
    assert library.currently_playing().loc[0, "track_id"] == LIB["now_playing"]


# --- features -------------------------------------------------------------------------------
def test_add_features_to_the_liked_tracks(either_api):
    liked = library.liked_tracks()
    if either_api.mode == "extended":
        out = library.add_features(liked)
        assert out.attrs["features_source"] == "spotify"
    else:
        with pytest.warns(errors.FeaturesSourceWarning, match="ReccoBeats"):
            out = library.add_features(liked)
        assert out.attrs["features_source"] == "reccobeats"
        assert either_api.count("api.reccobeats.com") == 2  # 60 ids: 40 + 20
    assert out[schema.AUDIO_FEATURES].notna().all().all() and out.attrs["missing_feature_ids"] == []


def test_analyze_track(either_api):
    with pytest.warns(errors.FeaturesSourceWarning):  # both sets answer 403 for this track
        a = analysis.analyze_track(LIB["analysis_id"])
    assert a.features_source == "reccobeats" and a.features.notna().all()


def test_reccobeats_more_than_40_ids_and_two_items_for_one_track(dev_api):
    ids = GS["track_order"]
    frame, missing = reccobeats.audio_features(ids, progress=False)
    assert dev_api.count("api.reccobeats.com") == 2  # 47 ids: 40 + 7
    assert missing == [GS["no_features"]]
    assert frame["track_id"].is_unique and len(frame) == len(ids) - 1
    snap = tables.load_tracks(invalid="drop").drop_duplicates("track_id").set_index("track_id")
    dup = GS["duplicate_reccobeats"]  # its first item is the snapshot's, the second another
    got = frame.set_index("track_id").loc[dup]
    assert got["energy"] == pytest.approx(snap.loc[dup, "energy"])
    assert got["reccobeats_id"] != "00000000-0000-4000-8000-000000000001"
    assert frame.set_index("track_id").loc[GS["no_key_mode"], ["key", "mode"]].isna().all()


def test_a_deezer_track_not_readable_has_no_preview(dev_api, genrelab_env):
    got = deezer.track_by_isrc(GS["deezer_unreadable"], http.session())
    assert got is not None and got["deezer_preview_url"] is None
    table = pd.DataFrame({"track_id": ["x" * 22], "isrc": [GS["deezer_unreadable"]]})
    files, failures = deezer.download_previews(table, genrelab_env["tmp"] / "p", progress=False)
    assert files.empty and "no preview" in failures.loc[0, "reason"]
