"""genrelab.explore.taste: user vs public per feature, two users side by side, offline stand-in
user."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fixtures.spotify.fakeapi import fake_api, genrelab_env, load  # noqa: F401  (pytest fixtures)

from genrelab import schema, tables
from genrelab.collect import library
from genrelab.explore import taste

pytestmark = pytest.mark.usefixtures("genrelab_env")


@pytest.fixture(scope="module")
def snapshot():
    return tables.load_tracks(invalid="drop")


@pytest.fixture(scope="module")
def public(snapshot):
    return tables.dedup(snapshot)[0]


def test_a_snapshot_playlist_stands_in_for_the_user(snapshot):
    me = taste.user_from_snapshot(snapshot, seed=1)
    assert me["playlist_id"].nunique() == 1 and me["track_id"].is_unique and len(me) >= 40
    assert me.attrs["user"].startswith("playlist")
    same = taste.user_from_snapshot(snapshot, seed=1)
    assert same["track_id"].tolist() == me["track_id"].tolist()  # reproducible
    pid = snapshot["playlist_id"].iloc[0]
    assert (taste.user_from_snapshot(snapshot, pid)["playlist_id"] == pid).all()
    with pytest.raises(ValueError, match="not in the table"):
        taste.user_from_snapshot(snapshot, "nope")


def test_compare_finds_what_sets_a_user_apart(public):
    loud = public[public["energy"] > public["energy"].quantile(0.9)].head(200)
    table = taste.compare_with_public(loud, public)
    assert set(table["feature"]) == set(taste.FEATURES)
    row = table.set_index("feature").loc["energy"]
    assert row["std_diff"] > 1 and row["user_median_percentile"] > 90 and row["ks_pvalue"] < 1e-6
    assert table["std_diff"].abs().is_monotonic_decreasing
    same = taste.compare_with_public(public.sample(3000, random_state=0), public)
    same = same.set_index("feature")
    assert (same["std_diff"].abs() < 0.1).all() and same["user_median_percentile"].between(
        40, 60
    ).all()


def test_compare_names_missing_columns(public):
    with pytest.raises(KeyError, match="tempo"):
        taste.compare_with_public(public.drop(columns="tempo"), public)


def test_two_users_side_by_side(public):
    a = public[public["genre"] == "rock"].head(100)
    b = public[public["genre"] == "rap"].head(100)
    table = taste.compare_users(a, b, public, labels=("rock", "rap")).set_index("feature")
    assert table.loc["speechiness", "rap_mean"] > table.loc["speechiness", "rock_mean"]
    assert table.loc["speechiness", "ks_pvalue"] < 1e-6
    assert {"rock_median_percentile", "rap_median_percentile"} <= set(table.columns)


def test_liked_tracks_with_features_from_synthetic_answers(fake_api):
    liked = library.liked_with_features()
    facts = load("library")["facts"]
    assert liked["track_id"].tolist() == facts["liked_ids"]
    assert (
        liked[schema.AUDIO_FEATURES].notna().all().all()
        and liked.attrs["features_source"] == "spotify"
    )
    table = taste.compare_with_public(liked, liked)
    np.testing.assert_allclose(table["std_diff"], 0, atol=1e-12)
    assert isinstance(table, pd.DataFrame)


def test_too_few_tracks_for_a_stand_in_playlist_names_user_min_tracks(snapshot):
    """Issue 26: a table too small for ``user_min_tracks`` names the notebook's parameter."""
    small = snapshot.head(600)
    with pytest.raises(ValueError, match=r"lower user_min_tracks \(notebook 02\)") as err:
        taste.user_from_snapshot(small, min_tracks=400)
    assert "the largest has" in str(err.value)
