"""genrelab.collect on synthetic responses in the API's shape only (tests/fixtures/spotify,
served by `responses`; checked against Spotify's published OpenAPI description)."""

from __future__ import annotations

import base64
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import requests
from fixtures.spotify.fakeapi import (  # noqa: F401  (pytest fixtures)
    FAKE_CLIENT_ID,
    FAKE_SECRET,
    FAKE_TOKEN,
    answer,
    dropped,
    fake_api,
    genrelab_env,
    load,
)

from genrelab import config, inputs, schema, tables
from genrelab.collect import (
    analysis,
    catalogue,
    checkpoint,
    errors,
    http,
    library,
    spotify_client,
    stages,
    taxonomy,
)
from genrelab.runs import Run

pytestmark = pytest.mark.usefixtures("genrelab_env")

TAXONOMY = config.PROJECT_ROOT / "tests" / "fixtures" / "spotify" / "taxonomy.yaml"
API = "https://api.spotify.com/v1"
FACTS = load("catalogue")["facts"]


def run_collect(**kw):
    kw = {
        "taxonomy_path": TAXONOMY,
        "max_playlists_per_subgenre": 2,
        "max_tracks_per_playlist": None,
        "progress": False,
        **kw,
    }
    return catalogue.collect_tables(**kw)


def minimum_calls(features: str = "spotify") -> int:
    """The fewest requests that can gather the recorded catalogue."""
    n_tracks = FACTS["n_tracks"]
    items_pages = sum(math.ceil(p["n_items"] / 50) for p in FACTS["playlists"].values())
    searches = 4  # one page per subgenre (each answer has next = null)
    hydrate = math.ceil(len(FACTS["incomplete_items"]) / 50)
    artists = math.ceil(FACTS["artists"] / 50)
    if features == "spotify":
        feats, without = math.ceil(n_tracks / 100), {FACTS["no_spotify_features"]}
    else:  # one 403, then ReccoBeats
        feats, without = 1 + math.ceil(n_tracks / 40), {FACTS["no_reccobeats_features"]}
    deezer = len([t for t in FACTS["track_order"] if t not in without])
    return 1 + searches + items_pages + hydrate + artists + feats + deezer  # 1: the token


def snapshot_rows(ids) -> pd.DataFrame:
    snap = tables.load_tracks(invalid="drop").drop_duplicates("track_id").set_index("track_id")
    return snap.loc[list(ids)]


# --- credentials ------------------------------------------------------------------------------
def test_missing_credentials_say_how_to_set_them_and_that_the_snapshot_works(
    genrelab_env, monkeypatch
):
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET")
    with pytest.raises(errors.SpotifyCredentialsError) as err:
        catalogue.collect(TAXONOMY, progress=False)
    msg = str(err.value)
    assert "SPOTIPY_CLIENT_SECRET" in msg and "SPOTIPY_CLIENT_ID=" in msg and ".env" in msg
    assert "source: snapshot" in msg and "offline" in msg


def test_user_library_needs_a_redirect_uri(genrelab_env, monkeypatch):
    monkeypatch.delenv("SPOTIPY_REDIRECT_URI")
    with pytest.raises(errors.SpotifyCredentialsError, match="SPOTIPY_REDIRECT_URI"):
        library.liked_tracks()


def test_refused_client_secret_gives_a_credentials_message(fake_api):
    fake_api.set(
        "POST",
        "https://accounts.spotify.com/api/token",
        answer(400, {"error": "invalid_client", "error_description": "Invalid client secret"}),
    )
    with pytest.raises(errors.SpotifyCredentialsError, match="invalid_client") as err:
        library.search("daft punk", client=spotify_client.public_client())
    assert FAKE_SECRET not in str(err.value)


def test_401_refreshes_the_token_once_then_explains(fake_api):
    url = f"{API}/search?q=daft+punk&limit=10&offset=0&type=track"
    fake_api.set(
        "GET", url, answer(401, {"error": {"status": 401, "message": "The access token expired"}})
    )
    with pytest.raises(errors.SpotifyCredentialsError, match="401"):
        library.search("daft punk")
    assert (
        fake_api.count("api.spotify.com", "/search") == 2
    )  # the first try, one after a fresh token
    assert fake_api.count("accounts.spotify.com") == 2


# --- the seed-000 pipeline --------------------------------------------------------------------
def test_collect_gives_the_snapshot_schema_with_the_fewest_calls(fake_api):
    res = run_collect()
    tracks = res.tracks
    assert list(tracks.columns) == [*schema.SNAPSHOT_COLUMNS, *catalogue.EXTRA_COLUMNS]
    snap = tables.load_tracks(invalid="drop")
    assert (
        tracks[schema.SNAPSHOT_COLUMNS].dtypes.to_dict()
        == snap[schema.SNAPSHOT_COLUMNS].dtypes.to_dict()
    )
    valid, problems = tables.validate_tracks(tracks.assign(genre=tracks["playlist_genre"]))
    assert problems.empty and len(valid) == len(tracks)
    # one row per (track, playlist, subgenre); B is found by two pop subgenres, D by two rock ones
    n_tracks = {k: p["n_tracks"] for k, p in FACTS["playlists"].items()}
    n_tracks["A"] -= 1  # the track without Spotify features sits in A
    assert (
        len(tracks)
        == n_tracks["A"] + 2 * n_tracks["B"] + n_tracks["C"] + 2 * n_tracks["D"] + n_tracks["E"]
    )
    assert not tracks.duplicated(["track_id", "playlist_id", "playlist_subgenre"]).any()
    assert set(tracks["playlist_genre"]) == {"pop", "rock"}
    shared = tracks[tracks.track_id == FACTS["shared_track"]]
    assert set(shared["playlist_genre"]) == {"pop", "rock"}
    # values come from the synthetic answers, which carry the snapshot's values
    one = tracks.drop_duplicates("track_id").set_index("track_id")
    ref = snapshot_rows(one.index)
    for col in [*schema.AUDIO_FEATURES, "track_name", "track_album_release_date"]:
        assert (one[col] == ref[col]).all(), col
    assert one["track_popularity"].isna().sum() > 0  # 2026: popularity may be absent
    assert one["isrc"].str.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}\d{7}").all()
    # the items without external_ids were fetched again (tracks endpoint) and got their ISRC
    assert one.loc[FACTS["incomplete_items"], "isrc"].notna().all()
    # tracks left without features are listed, never dropped silently
    assert res.missing_features["track_id"].tolist() == [FACTS["no_spotify_features"]]
    assert tracks.attrs["collection"]["missing_feature_ids"] == [FACTS["no_spotify_features"]]
    assert sorted(res.skipped_items["reason"]) == [
        "local file",
        "no track (removed or unavailable)",
        "not a track (episode)",
    ]
    # Deezer: preview and bpm by ISRC (bpm 0 = unknown -> NaN), unknown ISRCs -> NA
    known = ~one["isrc"].isin(FACTS["deezer_unknown"])
    assert (
        one.loc[known, "deezer_preview_url"].str.startswith("https://cdnt-preview.dzcdn.net/").all()
    )
    assert one.loc[~known, "deezer_preview_url"].isna().all() and (~known).sum() > 0
    assert one["deezer_bpm"].isna().sum() > (~known).sum()
    # other tables
    assert len(res.playlists) == 7 and set(res.playlists["status"]) == {"ok"}
    assert len(res.artists) == FACTS["artists"] and res.artists["artist_popularity"].isna().any()
    # each resource exactly once, and no more calls than the minimum
    assert len(fake_api.calls) == len(set(fake_api.calls))
    assert len(fake_api.calls) == minimum_calls("spotify") == res.stats["http_calls"]
    assert res.stats["features_source"] == "spotify"


def test_an_identical_rerun_makes_no_call(fake_api):
    first = run_collect().tracks
    n = len(fake_api.calls)
    second = run_collect().tracks
    assert len(fake_api.calls) == n, fake_api.calls[n:]
    assert second.attrs["collection"]["http_calls"] == 0
    pd.testing.assert_frame_equal(first, second)


def test_403_on_features_switches_once_to_reccobeats(fake_api):
    fake_api.set(
        "GET",
        f"{API}/audio-features/?ids={','.join(FACTS['track_order'])}",
        answer(403, {"error": {"status": 403, "message": "Forbidden"}}),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run_collect()
    switched = [w for w in caught if issubclass(w.category, errors.FeaturesSourceWarning)]
    assert len(switched) == 1 and "ReccoBeats" in str(switched[0].message)
    assert fake_api.count("api.spotify.com", "/audio-features") == 1
    assert fake_api.count("api.reccobeats.com") == math.ceil(FACTS["n_tracks"] / 40)
    assert res.stats["features_source"] == "reccobeats"
    # matched back by href although the answers come in another order
    one = res.tracks.drop_duplicates("track_id").set_index("track_id")
    ref = snapshot_rows(one.index)
    for col in reccobeats_cols():
        np.testing.assert_allclose(one[col], ref[col], err_msg=col)
    assert res.missing_features["track_id"].tolist() == [FACTS["no_reccobeats_features"]]
    assert len(fake_api.calls) == minimum_calls("reccobeats")


def reccobeats_cols():
    return [c for c in schema.AUDIO_FEATURES if c != "duration_ms"]


def test_features_source_spotify_raises_on_403(fake_api):
    fake_api.set(
        "GET",
        f"{API}/audio-features/?ids={','.join(FACTS['track_order'])}",
        answer(403, {"error": {"status": 403, "message": "Forbidden"}}),
    )
    with pytest.raises(
        errors.FeaturesForbiddenError, match="features_source='auto' or 'reccobeats'"
    ):
        run_collect(features_source="spotify")


def test_features_source_reccobeats_never_asks_spotify(fake_api):
    res = run_collect(features_source="reccobeats", deezer_lookup=False)
    assert fake_api.count("api.spotify.com", "/audio-features") == 0
    assert fake_api.count("api.deezer.com") == 0
    assert res.stats["features_source"] == "reccobeats" and res.tracks["deezer_bpm"].isna().all()


def test_429_waits_retry_after_then_goes_on(fake_api, genrelab_env):
    url = f"{API}/search?q=electropop&limit=10&offset=0&type=playlist"
    fake_api.before(
        "GET",
        url,
        answer(
            429,
            {"error": {"status": 429, "message": "API rate limit exceeded"}},
            **{"Retry-After": "7"},
        ),
    )
    res = run_collect(deezer_lookup=False)
    assert 7.0 in genrelab_env["sleeps"]
    assert fake_api.count("api.spotify.com", "/search") == 5  # 4 searches + the one retried
    assert len(res.tracks) > 0


def test_a_retry_after_longer_than_allowed_stops_with_a_clear_error(fake_api):
    url = f"{API}/search?q=dance+pop&limit=10&offset=0&type=playlist"
    fake_api.before("GET", url, answer(429, {"error": {"status": 429}}, **{"Retry-After": "86400"}))
    with pytest.raises(http.RateLimitError, match="86400 s"):
        run_collect()


def test_5xx_and_dropped_connections_retry_with_backoff(fake_api, genrelab_env):
    pid = FACTS["playlists"]["B"]["id"]
    url = f"{API}/playlists/{pid}/items?limit=50&offset=0&additional_types=track"
    fake_api.before(
        "GET",
        url,
        answer(502, {"error": {"status": 502, "message": "Bad gateway"}}),
        dropped(),
        answer(503, None),
    )
    res = run_collect(deezer_lookup=False)
    waits = genrelab_env["sleeps"]
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]  # exponential backoff
    assert (res.tracks.playlist_id == pid).sum() == 2 * FACTS["playlists"]["B"]["n_tracks"]


def test_crash_then_resume_gives_the_same_table_without_duplicate_calls(
    fake_api, genrelab_env, monkeypatch
):
    # the reference: an uninterrupted run in its own cache folder
    reference = run_collect(deezer_lookup=False).tracks
    monkeypatch.setenv("GENRELAB_CACHE_DIR", str(genrelab_env["tmp"] / "cache2"))
    fake_api.calls.clear()
    pid = FACTS["playlists"]["E"]["id"]
    url = f"{API}/playlists/{pid}/items?limit=50&offset=0&additional_types=track"
    recorded = fake_api.routes[
        (
            "GET",
            "api.spotify.com",
            f"/v1/playlists/{pid}/items",
            (("additional_types", "track"), ("limit", "50"), ("offset", "0")),
        )
    ][0]
    fake_api.set("GET", url, dropped())  # the network goes down at the last playlist
    with pytest.raises(requests.ConnectionError):
        run_collect(deezer_lookup=False, cache_expire_days=0)  # no HTTP cache: checkpoints alone
    failed = [c for c in fake_api.calls if c[2].endswith(f"{pid}/items")]
    assert len(failed) == 6  # first try + 5 retries
    done_before = [c for c in fake_api.calls if not c[2].endswith(f"{pid}/items")]
    fake_api.set("GET", url, recorded)  # back online
    fake_api.calls.clear()
    resumed = run_collect(deezer_lookup=False, cache_expire_days=0).tracks
    pd.testing.assert_frame_equal(resumed, reference)
    # nothing fetched before the crash is fetched again
    assert not set(done_before) & set(fake_api.calls)
    assert len(done_before) + len(fake_api.calls) == minimum_calls("spotify") - len(
        [t for t in FACTS["track_order"] if t != FACTS["no_spotify_features"]]
    )  # no Deezer here
    # a finished collection leaves no stale checkpoint behind
    assert not list((genrelab_env["tmp"] / "cache2" / "collect").glob("*/*.jsonl"))


def test_a_torn_checkpoint_line_is_ignored(tmp_path):
    ck = checkpoint.Checkpoint(tmp_path)
    ck.save("playlists", {"a": {"tracks": []}})
    with open(tmp_path / "playlists.jsonl", "a") as fh:
        fh.write('{"k": "b", "v": {"tra')  # crash while writing
    assert list(checkpoint.Checkpoint(tmp_path).load("playlists")) == ["a"]


def test_no_secret_in_any_file_the_run_writes(fake_api, genrelab_env):
    res = run_collect()
    run = Run("secret_scan")
    run.write_table(res.tracks, "tracks")
    run.write_table(res.playlists, "playlists")
    run.record("collection", **{k: v for k, v in res.stats.items() if k != "missing_feature_ids"})
    with pytest.warns(errors.FeaturesSourceWarning):  # also a 403 and ReccoBeats in the HTTP cache
        analysis.analyze_track(load("library")["facts"]["analysis_id"])
    basic = base64.b64encode(f"{FAKE_CLIENT_ID}:{FAKE_SECRET}".encode())
    files = [p for p in genrelab_env["tmp"].rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files) and any(p.suffix == ".parquet" for p in files)
    for path in files:
        blob = path.read_bytes()
        assert FAKE_SECRET.encode() not in blob and basic not in blob, path
        if not path.name.startswith(
            "token-"
        ):  # the token cache (mode 600) is the only home of tokens
            assert FAKE_TOKEN.encode() not in blob, path


def test_a_playlist_closed_to_the_app_is_skipped_with_its_reason(fake_api):
    pid = FACTS["playlists"]["C"]["id"]
    fake_api.set(
        "GET",
        f"{API}/playlists/{pid}/items?limit=50&offset=0&additional_types=track",
        answer(403, {"error": {"status": 403, "message": "Forbidden"}}),
    )
    fake_api.by_ids(
        f"{API}/audio-features",
        "audio_features",
        fake_api.recorded_objects("/audio-features", "audio_features"),
    )
    fake_api.by_ids(f"{API}/artists", "artists", fake_api.recorded_objects("/artists", "artists"))
    res = run_collect(deezer_lookup=False, path="playlists")  # "auto" would switch paths
    status = res.playlists.set_index("playlist_id").loc[pid, "status"]
    assert status.startswith("skipped") and "development-mode" in status
    assert pid not in set(res.tracks.playlist_id) and res.tracks.playlist_id.nunique() == 4
    assert fake_api.count("api.spotify.com", f"{pid}/items") == 1


def test_closed_artists_batch_gives_names_from_the_tracks_without_a_call_per_artist(fake_api):
    # 2026: an app refused /artists?ids= gets artists without genres, popularity or followers,
    # so one call per artist would only repeat the ids and names the tracks carry
    for rec in [i for i in load("catalogue")["interactions"] if "/v1/artists/?ids=" in i["url"]]:
        fake_api.set(
            "GET", rec["url"], answer(403, {"error": {"status": 403, "message": "Forbidden"}})
        )
    with pytest.warns(errors.SpotifyFallbackWarning, match="come from the tracks"):
        res = run_collect(deezer_lookup=False)
    assert len(res.artists) == FACTS["artists"]
    assert res.artists["artist_name"].notna().all()
    assert (
        res.artists[["artist_genres", "artist_popularity", "artist_followers"]].isna().all().all()
    )
    assert fake_api.count("api.spotify.com", "/v1/artists") == 1  # the one 403, nothing else
    # remembered: a second collection does not ask the closed batch endpoint again
    fake_api.calls.clear()
    run_collect(deezer_lookup=False, cache_expire_days=0)
    assert fake_api.count("api.spotify.com", "/v1/artists") == 0


def test_closed_tracks_batch_falls_back_to_one_by_one(fake_api):
    ids = FACTS["incomplete_items"]
    full = fake_api.recorded_objects("/tracks", "tracks")
    fake_api.set(
        "GET",
        f"{API}/tracks/?ids={','.join(ids)}",
        answer(403, {"error": {"status": 403, "message": "Forbidden"}}),
    )
    for tid in ids:
        fake_api.set("GET", f"{API}/tracks/{tid}", answer(200, full[tid]))
    with pytest.warns(errors.SpotifyFallbackWarning, match="one by one"):
        res = run_collect(deezer_lookup=False)
    one = res.tracks.drop_duplicates("track_id").set_index("track_id")
    assert one.loc[ids, "isrc"].notna().all()
    assert fake_api.count("api.spotify.com", "/v1/tracks") == 1 + len(ids)


def test_max_tracks_per_playlist_asks_for_no_more(fake_api):
    for p in FACTS["playlists"].values():
        rec = next(
            i
            for i in load("catalogue")["interactions"]
            if f"{p['id']}/items?limit=50&offset=0" in i["url"]
        )
        body = dict(rec["body"], items=rec["body"]["items"][:18], limit=18, next=None)
        fake_api.set(
            "GET",
            f"{API}/playlists/{p['id']}/items?limit=18&offset=0&additional_types=track",
            answer(200, body),
        )
    fake_api.by_ids(
        f"{API}/audio-features",
        "audio_features",
        fake_api.recorded_objects("/audio-features", "audio_features"),
    )
    fake_api.by_ids(f"{API}/artists", "artists", fake_api.recorded_objects("/artists", "artists"))
    res = run_collect(max_tracks_per_playlist=18, deezer_lookup=False)
    counts = res.tracks.groupby("playlist_id").track_id.nunique()
    a = FACTS["playlists"]["A"]["id"]
    assert counts.max() <= 18 and counts[a] == 16  # 18 items: a removed track, one without features
    assert fake_api.count("api.spotify.com", f"{a}/items") == 1


def test_taxonomy_errors_name_the_file(tmp_path):
    bad = tmp_path / "tax.yaml"
    bad.write_text("genres:\n  pop: dance pop\n")
    with pytest.raises(ValueError, match=r"tax\.yaml.*pop"):
        taxonomy.load_taxonomy(bad)
    tax = taxonomy.load_taxonomy()
    assert list(tax) == ["pop", "hip hop", "rock", "edm", "latin", "metal"]
    assert all(3 <= len(s) <= 5 for s in tax.values())


def test_search_pages_of_ten_until_enough_playlists(fake_api):
    def pl(i):
        return {"id": f"pl{i:020d}", "name": f"P{i}", "owner": {"id": "x"}, "items": {"total": 5}}

    base = f"{API}/search?q=trap&limit=10&type=playlist"
    fake_api.set(
        "GET",
        base + "&offset=0",
        answer(
            200,
            {
                "playlists": {
                    "items": [pl(i) for i in range(9)] + [None],
                    "next": "https://next",
                    "limit": 10,
                }
            },
        ),
    )
    fake_api.set(
        "GET",
        base + "&offset=10",
        answer(
            200,
            {
                "playlists": {
                    "items": [pl(i) for i in range(8, 18)],
                    "next": "https://next",
                    "limit": 10,
                }
            },
        ),
    )
    c = stages.Collector(
        spotify_client.public_client(), checkpoint.Checkpoint(None), progress=False
    )
    found = c.search_playlists("trap", 12)
    assert [p["playlist_id"] for p in found] == [f"pl{i:020d}" for i in range(12)]
    assert fake_api.count("api.spotify.com", "/search") == 2


# --- seed 002 -----------------------------------------------------------------------------------
def test_collect_year_pages_the_search_and_gets_features(fake_api):
    facts = load("year")["facts"]
    with pytest.warns(errors.FeaturesSourceWarning):
        df = catalogue.collect_year(2020, 25, progress=False, deezer_lookup=False)
    assert df["track_id"].tolist() == facts["track_ids"]
    assert list(df.columns) == [*schema.SNAPSHOT_COLUMNS, *catalogue.EXTRA_COLUMNS]
    assert (df["playlist_name"] == "year:2020").all() and df["playlist_id"].isna().all()
    assert (df["track_album_release_date"].str[:4] == "2020").all()
    assert fake_api.count("api.spotify.com", "/search") == 3  # pages of 10: 10 + 10 + 5
    assert df.attrs["collection"]["features_source"] == "reccobeats"


# --- user library and look-ups ------------------------------------------------------------------
LIB = load("library")["facts"]


def test_search_tracks_artists_albums(fake_api):
    tr = library.search(LIB["search_q"], "track", limit=15)
    assert len(tr) == 15 and tr["track_id"].is_unique and tr["isrc"].notna().all()
    assert fake_api.count("api.spotify.com", "/search") == 2  # limit 10, then 5
    ar = library.search(LIB["search_q"], "artist")
    assert ar["artist_name"].tolist() == ["Daft Punk", "Daft Punk Tribute"]
    al = library.search(LIB["search_q"], "album")
    assert len(al) == 3 and al["release_date"].notna().all()
    with pytest.raises(ValueError):
        library.search("x", "show")


def test_profile_currently_playing_top_and_liked(fake_api):
    me = library.profile()
    assert me.loc[0, "user_id"] == "testuser" and pd.isna(me.loc[0, "country"])  # 2026: no country
    now = library.currently_playing()
    assert now.loc[0, "track_id"] == LIB["now_playing"] and bool(now.loc[0, "is_playing"])
    top = library.top_tracks()
    assert top["track_id"].tolist() == LIB["top_ids"] and top["rank"].tolist() == list(range(1, 13))
    liked = library.liked_tracks()
    assert liked["track_id"].tolist() == LIB["liked_ids"] and liked["added_at"].notna().all()
    assert fake_api.count("api.spotify.com", "/me/tracks") == 2  # two pages of 50
    # a user's own data is never stored in the HTTP cache: asking again asks Spotify again
    library.liked_tracks()
    assert fake_api.count("api.spotify.com", "/me/tracks") == 4


def test_nothing_playing_is_an_empty_table(fake_api):
    fake_api.set(
        "GET",
        f"{API}/me/player/currently-playing?additional_types=track",
        {"status": 204, "body": ""},
    )
    assert library.currently_playing().empty


def test_categories_category_playlists_playlist_and_album_tracks(fake_api):
    cats = library.categories()
    assert cats["category_id"].tolist() == ["toplists", "pop", "rock", "latin"]
    pls = library.category_playlists("pop")
    assert pls["playlist_id"].tolist() == LIB["category_pls"]  # the null item is skipped
    pid = FACTS["playlists"]["A"]["id"]
    tracks = library.playlist_tracks(pid)
    assert (
        len(tracks) == FACTS["playlists"]["A"]["n_tracks"] + 1
    )  # the duplicate item stays (it is in the playlist)
    album = library.album_tracks(LIB["album_id"])
    assert len(album) == LIB["album_n"] and album["track_number"].tolist() == list(
        range(1, LIB["album_n"] + 1)
    )


class TinyModel:
    """Anything with predict_proba and classes_ (as the saved classifier pipeline)."""

    classes_ = np.array(["edm", "pop", "rock"])

    def __init__(self):
        self.seen = []

    def predict_proba(self, X):
        self.seen.append(list(X.columns))
        e = float(X["energy"].iloc[0])
        return np.array([[0.2, 0.8 - 0.5 * e, 0.5 * e]])


def test_analyze_track_gives_features_and_probabilities_and_caches(fake_api):
    model = TinyModel()
    with pytest.warns(errors.FeaturesSourceWarning):
        a = analysis.analyze_track(LIB["analysis_id"], model)
    assert a.features_source == "reccobeats"
    assert model.seen == [schema.AUDIO_FEATURES]
    ref = snapshot_rows([LIB["analysis_id"]]).iloc[0]
    assert a.features["energy"] == pytest.approx(ref["energy"])
    assert a.features["duration_ms"] == ref["duration_ms"]  # from the track object
    assert a.probabilities.sum() == pytest.approx(1.0) and a.predicted_genre in model.classes_
    assert a.to_frame().shape[0] == 1
    n = len(fake_api.calls)
    again = analysis.analyze_track(f"spotify:track:{LIB['analysis_id']}", model)
    assert len(fake_api.calls) == n  # second look-up: no call
    pd.testing.assert_series_equal(again.probabilities, a.probabilities)


def test_add_features_lists_what_is_missing(fake_api):
    liked = library.liked_tracks()
    extra = pd.DataFrame({"track_id": ["0000000000000000000000"]})
    fake_api.set(
        "GET",
        f"{API}/audio-features/?ids=" + ",".join(LIB["liked_ids"] + ["0000000000000000000000"]),
        *[answer(200, {"audio_features": load_liked_features() + [None]})],
    )
    out = library.add_features(pd.concat([liked, extra], ignore_index=True))
    assert out.attrs["missing_feature_ids"] == ["0000000000000000000000"]
    assert (
        out[schema.AUDIO_FEATURES].iloc[:-1].notna().all().all()
        and out[schema.AUDIO_FEATURES].iloc[-1].isna().all()
    )


def load_liked_features() -> list[dict]:
    rec = next(
        i
        for i in load("library")["interactions"]
        if "audio-features/?ids=" in i["url"] and i["status"] == 200
    )
    return rec["body"]["audio_features"]


def test_without_a_cached_login_notebooks_get_told_how_to_log_in(fake_api, genrelab_env):
    (genrelab_env["tmp"] / "cache" / "spotify" / "token-user-me.json").unlink()
    with pytest.raises(errors.SpotifyCredentialsError, match="python -m genrelab.collect login"):
        library.liked_tracks()
    assert fake_api.count("api.spotify.com") == 0


def test_notebook_01_spotify_branch_gives_valid_tables(fake_api):
    """What notebook 01 does with source="spotify" (read_source -> validate -> tables)."""
    raw = inputs.read_source(
        "spotify",
        "",
        label_column="playlist_genre",
        column_map=None,
        taxonomy_path=str(TAXONOMY),
        max_playlists_per_subgenre=2,
        max_tracks_per_playlist=0,
        features_source="auto",
        cache_expire_days=30.0,
    )
    tracks, problems = tables.validate_tracks(raw, invalid="raise")
    assert problems.empty and tracks["genre"].isin(["pop", "rock"]).all()
    assert tracks["release_year"].notna().all()
    assert len(tables.playlists_table(tracks)) == 5 and len(tables.artists_table(tracks)) > 0
    path = Run("nb01").write_table(tracks, "tracks")
    again = pd.read_parquet(path)
    assert again.attrs["collection"]["http_calls"] == minimum_calls("spotify")


def test_reccobeats_answers_without_key_and_mode_are_listed_as_incomplete(fake_api):
    items = {}
    for rec in load("catalogue")["interactions"]:
        if "api.reccobeats.com" in rec["url"]:
            items.update({i["href"].rsplit("/", 1)[1]: i for i in rec["body"]["content"]})
    partial = FACTS["track_order"][20]
    items[partial] = {k: v for k, v in items[partial].items() if k not in ("key", "mode")}
    fake_api.routes = {k: v for k, v in fake_api.routes.items() if k[1] != "api.reccobeats.com"}
    fake_api.by_ids("https://api.reccobeats.com/v1/audio-features", "content", items)
    res = run_collect(features_source="reccobeats", deezer_lookup=False)
    reasons = res.missing_features.set_index("track_id")["reason"]
    assert reasons[partial] == "reccobeats features incomplete: no key, mode"
    assert partial not in set(res.tracks.track_id) and len(reasons) == 2


def test_collect_year_by_genre_labels_each_query(fake_api):
    pages = [i for i in load("year")["interactions"] if "/v1/search" in i["url"]]
    for genre in ("pop", "rock"):
        q = f'genre:"{genre}" year:2020'
        fake_api.set(
            "GET",
            f"{API}/search?"
            + requests.compat.urlencode({"q": q, "limit": 10, "offset": 0, "type": "track"}),
            answer(200, pages[0]["body"]),
        )
    ids = load("year")["facts"]["track_ids"][:8]
    fake_api.set(
        "GET", f"{API}/audio-features/?ids={','.join(ids)}", answer(403, {"error": {"status": 403}})
    )
    rb = [i for i in load("year")["interactions"] if "reccobeats" in i["url"]][0]["body"]["content"]
    fake_api.by_ids(
        "https://api.reccobeats.com/v1/audio-features",
        "content",
        {i["href"].rsplit("/", 1)[1]: i for i in rb},
    )
    with pytest.warns(errors.FeaturesSourceWarning):
        df = catalogue.collect_year(
            2020, 8, genres=["pop", "rock"], progress=False, deezer_lookup=False
        )
    assert df.groupby("playlist_genre")["track_id"].apply(list).to_dict() == {
        "pop": ids,
        "rock": ids,
    }
    assert df.attrs["collection"]["features_source"] == "reccobeats"
    assert df.attrs["collection"]["tracks_without_features"] == 0
    assert (
        fake_api.count("api.spotify.com", "/search") == 2
        and fake_api.count("api.reccobeats.com") == 1
    )
