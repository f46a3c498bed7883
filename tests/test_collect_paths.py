"""Every collection path against both fixture sets: extended quota, and a 2026 development-mode app.

``either_api`` runs each test twice: on the extended-quota cassettes and on ``devmode.json``
(tests/fixtures/spotify/build_devmode.py says what a development-mode app gets). The same call
must give the same table shape in both; what differs is the path taken and what is missing.
"""

from __future__ import annotations

import warnings
from urllib.parse import urlencode

import numpy as np
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

from genrelab import config, inputs, schema, tables
from genrelab.collect import catalogue, errors, spotify_client

pytestmark = pytest.mark.usefixtures("genrelab_env")

FIXTURES = config.PROJECT_ROOT / "tests" / "fixtures" / "spotify"
TAXONOMY = FIXTURES / "taxonomy.yaml"
MINE = FIXTURES / "taxonomy_mine.yaml"
API = "https://api.spotify.com/v1"
DEV = load("devmode")["facts"]
EXT = load("paths_extended")["facts"]
CATALOGUE = load("catalogue")["facts"]
GS = DEV["genre_search"]  # the same track ids in both sets


def collect(**kw) -> catalogue.CollectResult:
    kw = {
        "taxonomy_path": TAXONOMY,
        "max_playlists_per_subgenre": 2,
        "max_tracks_per_playlist": None,
        "progress": False,
        **kw,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = catalogue.collect_tables(**kw)
    res.warnings = [w for w in caught if issubclass(w.category, errors.SpotifyFallbackWarning)]
    return res


def snapshot_rows(ids) -> pd.DataFrame:
    snap = tables.load_tracks(invalid="drop").drop_duplicates("track_id").set_index("track_id")
    return snap.loc[list(ids)]


def assert_the_snapshot_schema(tracks: pd.DataFrame) -> None:
    assert list(tracks.columns) == [*schema.SNAPSHOT_COLUMNS, *catalogue.EXTRA_COLUMNS]
    snap = tables.load_tracks(invalid="drop")
    got = tracks[schema.SNAPSHOT_COLUMNS].dtypes.to_dict()
    assert got == snap[schema.SNAPSHOT_COLUMNS].dtypes.to_dict()
    valid, problems = tables.validate_tracks(tracks.assign(genre=tracks["playlist_genre"]))
    assert problems.empty and len(valid) == len(tracks)
    # what notebook 01 writes from it
    table = valid.assign(release_year=1)
    assert len(tables.playlists_table(table)) >= 1 and len(tables.artists_table(table)) >= 1
    assert tables.dedup(table, "drop_conflicting")[1].tracks_out >= 1


def dev_minimum_calls() -> dict:
    """The calls of the first development-mode run: what it needs, and the probes it cannot skip."""
    pages = {"dance pop": 3, "electropop": 2, "hard rock": 1, "album rock": 2}
    with_features = len(GS["track_order"]) - 2  # one unknown to ReccoBeats, one without key/mode
    needed = 1 + sum(pages.values()) + 1 + 2 + with_features  # token, pages, one track, RB, Deezer
    # a playlist search and two playlists' items (404 editorial, then the 403), and one 403 each
    # on /tracks?ids=, /artists?ids= and /audio-features: how the app learns what it may do
    probes = 1 + 2 + 3
    return {"needed": needed, "probes": probes}


# --- the automatic choice ------------------------------------------------------------------
def test_collect_takes_the_path_the_app_can_use(either_api):
    res = collect()
    tracks, stats = res.tracks, res.stats
    assert_the_snapshot_schema(tracks)
    assert set(tracks["playlist_genre"]) == {"pop", "rock"}
    assert len(either_api.calls) == len(set(either_api.calls)) == stats["http_calls"]
    if either_api.mode == "extended":
        assert stats["path"] == "playlists" and not res.warnings
        assert tracks["playlist_id"].notna().all() and stats["features_source"] == "spotify"
        return
    # development mode: the first 403 on a playlist's items switches to the genre search
    assert stats["path"] == "genre_search" and "403" in stats["path_reason"]
    switched = [w for w in res.warnings if w.category is errors.CollectionPathWarning]
    assert len(switched) == 1 and "collection.path = 'genre_search'" in str(switched[0].message)
    assert either_api.count("api.spotify.com", "/items") == 2  # the editorial 404, then the 403
    # labelled by what was queried; no playlist, so no playlist columns
    assert tracks["playlist_id"].isna().all() and tracks["playlist_name"].isna().all()
    by_sub = tracks.groupby("playlist_subgenre", sort=False)["track_id"].apply(list).to_dict()
    assert list(by_sub) == ["dance pop", "electropop", "album rock"]
    for sub, ids in by_sub.items():
        assert ids == [t for t in GS["subgenres"][sub] if t in set(ids)]
    assert set(GS["shared_within_pop"]) <= set(by_sub["electropop"]) & set(by_sub["dance pop"])
    cross = tracks[tracks.track_id == GS["cross_genre"]]
    assert set(cross["playlist_genre"]) == {"pop", "rock"}
    # a subgenre the genre filter answers nothing for is listed, not hidden
    hard = res.playlists.set_index("playlist_subgenre").loc["hard rock"]
    assert hard["status"] == "no track found" and hard["query"] == 'genre:"hard rock"'
    # what 2026 no longer sends stays missing (NA), never "" or 0
    one = tracks.drop_duplicates("track_id").set_index("track_id")
    assert one["track_popularity"].isna().all()
    cols = ["artist_genres", "artist_popularity", "artist_followers"]
    assert res.artists[cols].isna().all().all() and res.artists["artist_name"].notna().all()
    # features from ReccoBeats, matched by href; duplicates: the first item; gaps listed
    assert stats["features_source"] == "reccobeats"
    ref = snapshot_rows(one.index)
    for col in [c for c in schema.ENDPOINT_FEATURES]:
        np.testing.assert_allclose(one[col], ref[col], err_msg=col)
    reasons = res.missing_features.set_index("track_id")["reason"].to_dict()
    assert reasons == {
        GS["no_features"]: "no audio features from reccobeats",
        GS["no_key_mode"]: "reccobeats features incomplete: no key, mode",
    }
    # the search result without external_ids got its ISRC from /tracks/{id}, one by one
    assert isinstance(one.loc[GS["no_external_ids"], "isrc"], str)
    assert either_api.count("api.spotify.com", f"/tracks/{GS['no_external_ids']}") == 1
    # previews from Deezer: none for the unreadable track and the unknown ISRC
    no_preview = one[one["deezer_preview_url"].isna()]["isrc"]
    assert set(no_preview) == {GS["deezer_unreadable"], GS["deezer_unknown"]}
    calls = dev_minimum_calls()
    assert stats["http_calls"] == calls["needed"] + calls["probes"]


def test_an_identical_rerun_makes_no_call_in_a_new_process_too(either_api, monkeypatch):
    first = collect().tracks
    n = len(either_api.calls)
    monkeypatch.setattr(spotify_client, "_REFUSED", set())  # a new process: only the disk knows
    second = collect().tracks
    assert len(either_api.calls) == n, either_api.calls[n:]
    assert second.attrs["collection"]["http_calls"] == 0
    assert second.attrs["collection"]["path"] == first.attrs["collection"]["path"]
    pd.testing.assert_frame_equal(first, second)


def test_the_path_is_in_the_table_metadata_and_survives_parquet(either_api):
    from genrelab.runs import Run

    raw = inputs.read_source(
        "spotify",
        "",
        label_column="playlist_genre",
        taxonomy_path=str(TAXONOMY),
        max_playlists_per_subgenre=2,
        max_tracks_per_playlist=0,
    )
    tracks, problems = tables.validate_tracks(raw, invalid="raise")
    path = pd.read_parquet(Run("nb01").write_table(tracks, "tracks")).attrs["collection"]["path"]
    assert path == {"extended": "playlists", "devmode": "genre_search"}[either_api.mode]


def serve_any_ids(api) -> None:
    """Answer batch requests for any set of ids from the recorded objects (other id sets)."""
    api.by_ids(f"{API}/artists", "artists", api.recorded_objects("/artists", "artists"))
    api.by_ids(
        f"{API}/audio-features",
        "audio_features",
        api.recorded_objects("/audio-features", "audio_features"),
    )
    items = {}
    for answers in api.routes.values():
        body = answers[-1].get("body") if isinstance(answers[-1], dict) else None
        if isinstance(body, dict) and isinstance(body.get("content"), list):
            items.update({i["href"].rsplit("/", 1)[1]: i for i in body["content"]})
    api.by_ids("https://api.reccobeats.com/v1/audio-features", "content", items)


# --- each path asked for explicitly --------------------------------------------------------
def test_genre_search(either_api):
    serve_any_ids(either_api)
    res = collect(path="genre_search", max_tracks_per_subgenre=15)
    assert res.stats["path"] == "genre_search" and res.stats["path_reason"] == "asked for"
    assert_the_snapshot_schema(res.tracks)
    assert either_api.count("api.spotify.com", "/items") == 0
    counts = res.tracks.groupby("playlist_subgenre").track_id.nunique()
    found = res.playlists.set_index("playlist_subgenre")["n_tracks_collected"]
    assert counts.max() <= 15 and found["dance pop"] == 15 and found["electropop"] == 12
    # pages of 10 (the 2026 limit): 15 tracks of dance pop take two pages
    searches = [c for c in either_api.calls if c[2].endswith("/search")]
    assert all(dict(c[3])["limit"] == "10" for c in searches) and len(searches) == 2 + 2 + 1 + 2
    expected = {"extended": "spotify", "devmode": "reccobeats"}[either_api.mode]
    assert res.stats["features_source"] == expected
    if either_api.mode == "extended":
        assert res.tracks["track_popularity"].notna().all()
        assert res.artists["artist_genres"].notna().all()


def test_my_playlists_named_in_the_taxonomy(either_api):
    sp = spotify_client.user_client()
    res = collect(taxonomy_path=MINE, path="my_playlists", client=sp)
    assert res.stats["path"] == "my_playlists"
    assert_the_snapshot_schema(res.tracks)
    mine = DEV["my_playlists"]
    status = res.playlists.set_index("playlist_name")["status"].to_dict()
    assert status["Dance pop mix"] == "ok" and status["Rock together"] == "ok"  # name, any case
    assert status["No such playlist"] == "not among your playlists"
    by_pl = res.tracks.groupby("playlist_id", sort=False)["track_id"].apply(list).to_dict()
    assert by_pl[mine["own"]] == mine["own_ids"] and by_pl[mine["collab"]] == mine["collab_ids"]
    labels = res.tracks.drop_duplicates("playlist_id").set_index("playlist_id")
    assert labels.loc[mine["own"], ["playlist_genre", "playlist_subgenre"]].tolist() == [
        "pop",
        "dance pop",
    ]
    assert labels.loc[mine["collab"], "playlist_subgenre"] == "album rock"
    # local file, episode, null entry, removed track: skipped with their reasons
    skipped = res.skipped_items[res.skipped_items.playlist_id == mine["own"]]
    assert sorted(skipped["reason"]) == sorted(mine["own_skipped"])
    if either_api.mode == "extended":  # a followed playlist is readable with extended quota
        assert status["Followed hits"] == "ok" and by_pl[mine["followed"]] == mine["followed_ids"]
    else:
        assert status["Followed hits"].startswith("skipped") and "403" in status["Followed hits"]
        assert mine["followed"] not in by_pl


def test_auto_with_a_login_and_my_playlists_switches_to_them_in_dev_mode(either_api):
    res = collect(taxonomy_path=MINE, client=spotify_client.user_client())
    expected = {"extended": "playlists", "devmode": "my_playlists"}[either_api.mode]
    assert res.stats["path"] == expected
    assert_the_snapshot_schema(res.tracks)


def test_the_playlist_path_asked_for_in_dev_mode_says_what_to_do(dev_api):
    with pytest.raises(RuntimeError, match="genre_search") as err:
        collect(path="playlists")
    assert "statuses" in str(err.value)


def test_my_playlists_needs_a_login_and_a_section(dev_api):
    with pytest.raises(errors.SpotifyCredentialsError, match="login"):
        collect(taxonomy_path=MINE, path="my_playlists", client=spotify_client.public_client())
    with pytest.raises(ValueError, match=r"taxonomy\.yaml.*my_playlists"):
        collect(path="my_playlists")


# --- seed 002, features for any table ------------------------------------------------------
def test_collect_year(either_api):
    with pytest.warns(errors.FeaturesSourceWarning):
        df = catalogue.collect_year(2020, 25, progress=False, deezer_lookup=False)
    assert df["track_id"].tolist() == load("year")["facts"]["track_ids"]
    assert df.attrs["collection"]["path"] == "year_search"
    assert list(df.columns) == [*schema.SNAPSHOT_COLUMNS, *catalogue.EXTRA_COLUMNS]
    popularity = df["track_popularity"].notna()
    assert popularity.all() if either_api.mode == "extended" else not popularity.any()


# --- 2026 behaviours ------------------------------------------------------------------------
def test_a_401_mid_collection_refreshes_the_token_once_then_goes_on(either_api):
    q = 'genre:"electropop"' if either_api.mode == "devmode" else "electropop"
    kind = "track" if either_api.mode == "devmode" else "playlist"
    url = f"{API}/search?" + urlencode({"q": q, "limit": 10, "offset": 0, "type": kind})
    expired = answer(401, {"error": {"status": 401, "message": "The access token expired"}})
    either_api.before("GET", url, expired, answer(503, None))  # then a 5xx: retried, no refresh
    res = collect(deezer_lookup=False)
    assert len(res.tracks) > 0
    assert either_api.count("accounts.spotify.com") == 2  # the first token and one refresh
    assert either_api.count("api.spotify.com", "/search") >= 3


def test_429_with_retry_after_on_other_endpoints(either_api, genrelab_env):
    if either_api.mode == "devmode":
        url = f"https://api.reccobeats.com/v1/audio-features?ids={','.join(GS['track_order'][:40])}"
    else:
        pid = CATALOGUE["playlists"]["B"]["id"]
        url = f"{API}/playlists/{pid}/items?limit=50&offset=0&additional_types=track"
    either_api.before("GET", url, answer(429, {"error": "slow down"}, **{"Retry-After": "4"}))
    res = collect(deezer_lookup=False)
    assert 4.0 in genrelab_env["sleeps"] and len(res.tracks) > 0


def test_a_my_playlists_rerun_asks_only_for_the_users_playlist_list(either_api, monkeypatch):
    sp = spotify_client.user_client()
    collect(taxonomy_path=MINE, path="my_playlists", client=sp)
    n = len(either_api.calls)
    monkeypatch.setattr(spotify_client, "_REFUSED", set())
    again = collect(taxonomy_path=MINE, path="my_playlists", client=spotify_client.user_client())
    # /me/... is never cached (the cache key ignores whose token it is); the followed
    # playlist's 403 is remembered for this user, so it is not asked again
    assert either_api.calls[n:] == [
        ("GET", "api.spotify.com", "/v1/me/playlists", (("limit", "50"), ("offset", "0")))
    ]
    assert again.stats["http_calls"] == 1


def test_my_playlists_section_errors_name_the_file(tmp_path):
    from genrelab.collect import taxonomy

    bad = tmp_path / "tax.yaml"
    bad.write_text("genres:\n  pop: [dance pop]\nmy_playlists:\n  pop: [Mix]\n")
    with pytest.raises(ValueError, match=r"tax\.yaml.*pop"):
        taxonomy.load_my_playlists(bad)
    bad.write_text(
        "genres:\n  pop: [dance pop]\nmy_playlists:\n  pop:\n    a: [Mix]\n    b: [mix]\n"
    )
    with pytest.raises(ValueError, match=r"tax\.yaml.*named twice"):
        taxonomy.load_my_playlists(bad)
    assert taxonomy.load_my_playlists(MINE)["Rock together"] == ("rock", "album rock")
