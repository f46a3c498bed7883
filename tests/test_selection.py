"""The grid-search helper, honest splits, stacking without leaks, metrics and the saved model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from genrelab import classify, schema, tables


@pytest.fixture(scope="module")
def tracks() -> pd.DataFrame:
    """2,000 snapshot tracks, one row each."""
    return tables.snapshot_tracks().sample(2000, random_state=0).reset_index(drop=True)


def test_honest_split_keeps_artists_apart(tracks):
    train, test = classify.honest_split(tracks, 0.2, seed=1)
    artists = classify.artist_groups(tracks)
    assert not set(artists[train]) & set(artists[test])
    assert not set(tracks["track_id"].iloc[train]) & set(tracks["track_id"].iloc[test])
    assert 0.1 < len(test) / len(tracks) < 0.3


def test_honest_split_refuses_duplicated_tracks(tracks):
    doubled = pd.concat([tracks, tracks.iloc[:5]], ignore_index=True)
    with pytest.raises(classify.TrainingDataError, match="dedup"):
        classify.honest_split(doubled)


def test_leaky_split_really_leaks():
    rows = tables.load_tracks(invalid="drop")
    train, test = classify.leaky_split(rows, 0.2, seed=0)
    seen = rows["track_id"].iloc[test].isin(rows["track_id"].iloc[train]).mean()
    assert seen > 0.05  # the seed's split puts the same track on both sides


def test_artist_groups_give_missing_artists_their_own_group():
    df = pd.DataFrame({"track_id": ["a", "b", "c"], "track_artist": [None, None, "X"]})
    assert list(classify.artist_groups(df)) == ["track:a", "track:b", "X"]


# --- bad input -----------------------------------------------------------------------------------
def test_label_with_one_example_is_named(tracks):
    df = tracks.copy()
    df.loc[0, "genre"] = "polka"
    with pytest.raises(classify.TrainingDataError, match=r"\['polka'\].*fewer than 2 examples"):
        classify.model_frame(df, "audio")


def test_features_the_table_lacks_are_left_out(tracks):
    df = tracks.drop(columns=["loudness", "track_album_release_date", "release_year"])
    df["valence"] = np.nan
    X = classify.model_frame(df, "audio")
    assert "valence" not in X and "loudness" not in X and "energy" in X
    assert tables.features_missing(df) == ["loudness", "valence"]
    assert "release_year" not in classify.feature_columns("full", table=df)
    with pytest.raises(classify.TrainingDataError, match="none of the audio features"):
        classify.model_frame(df[["track_id", "genre"]], "audio")


def test_full_2026_is_full_without_popularity(tracks):
    full, full_2026 = (classify.feature_columns(fs, table=tracks) for fs in ("full", "full_2026"))
    assert "track_popularity" in full and "track_popularity" not in full_2026
    assert set(full) - set(full_2026) == {"track_popularity"}


def test_a_full_set_without_text_or_artist_still_fits(tracks):
    df = tracks[["track_id", "genre", *schema.AUDIO_FEATURES, "release_year"]].iloc[:600]
    X = classify.model_frame(df, "full")
    assert list(X.columns) == [*schema.AUDIO_FEATURES, "release_year"]
    model = LogisticRegression(max_iter=300)
    pipe = classify.make_pipeline_for(model, "full", columns=X.columns).fit(X, df["genre"])
    with_names = tracks.iloc[:600].drop(columns=["track_artist"])
    X = classify.model_frame(with_names, "full_2026")
    assert "track_name" in X and "track_artist" not in X
    pipe = classify.make_pipeline_for(clone(model), "full_2026", columns=X.columns)
    n_genres = with_names["genre"].nunique()
    assert pipe.fit(X, with_names["genre"]).predict_proba(X).shape == (600, n_genres)


def test_feature_set_naming_a_missing_column(tracks):
    with pytest.raises(classify.TrainingDataError, match=r"\['lyrics'\]"):
        classify.model_frame(tracks, "full", text_columns=["track_name", "lyrics"])
    with pytest.raises(ValueError, match="unknown feature set 'video'"):
        classify.feature_columns("video")


# --- the grid-search helper -----------------------------------------------------------------------
def test_model_selection_summary_and_best(tracks):
    train, _ = classify.honest_split(tracks, seed=0)
    X = classify.model_frame(tracks, "audio").iloc[train]
    y = tracks["genre"].to_numpy()[train]
    groups = classify.artist_groups(tracks)[train]
    models = {
        "tree": DecisionTreeClassifier(random_state=0),
        "lr": LogisticRegression(max_iter=500),
    }
    grids = {"tree": {"model__max_depth": [2, 6]}, "lr": {"model__C": [0.01, 1.0]}}
    ms = classify.ModelSelection(models, grids, cv=classify.grouped_cv(3, seed=0)).fit(
        X, y, groups=groups, progress=False
    )
    summary = ms.score_summary()
    assert len(summary) == 4 and set(summary["model"]) == {"tree", "lr"}
    assert (summary["min_score"] <= summary["mean_score"]).all() and (
        summary["mean_score"] <= summary["max_score"]
    ).all()
    assert summary["mean_score"].is_monotonic_decreasing
    assert ms.best_name_ == summary.loc[0, "model"]
    assert np.isclose(ms.fold_scores().mean(), summary.loc[0, "mean_score"])
    # the grouped splitter saw the groups: no artist in a training and a validation fold at once
    for tr, va in ms.searches_["lr"].cv.split(X, y, groups):
        assert not set(groups[tr]) & set(groups[va])


def test_model_selection_needs_a_grid_for_every_model():
    with pytest.raises(ValueError, match=r"no parameter grid for model\(s\) \['lr'\]"):
        classify.ModelSelection({"lr": LogisticRegression()}, {})


def test_every_default_model_fits_with_its_grid(tracks):
    X = classify.model_frame(tracks, "audio")
    y = tracks["genre"]
    models, grids = classify.default_models(), classify.default_grids()
    for name, model in models.items():
        params = {k: v[0] for k, v in grids[name].items()}
        pipe = classify.make_pipeline_for(clone(model), "audio").set_params(**params).fit(X, y)
        assert pipe.score(X, y) > 0.3, name


def test_svc_trains_on_a_subsample(tracks):
    X = classify.model_frame(tracks, "audio")
    svc = classify.SubsampledClassifier(max_samples=500, random_state=0).fit(X, tracks["genre"])
    assert svc.n_samples_fit_ == 500
    assert set(svc.predict(X)) <= set(tracks["genre"])
    assert not hasattr(svc, "predict_proba")  # an SVC without Platt scaling has no probabilities


# --- stacking without leaks ----------------------------------------------------------------------
def test_out_of_fold_text_probabilities_do_not_see_their_own_artist():
    # Each artist's tracks carry a made-up token that names the genre: a model that has seen the
    # artist reads the genre off the token; one that has not cannot.
    rng = np.random.default_rng(0)
    genres = rng.choice(["a", "b", "c"], size=600)
    artists = np.array([f"artist{i // 3}" for i in range(600)])
    genres = pd.Series(genres).groupby(artists).transform("first").to_numpy()
    names = [f"song zq{artist}x" for artist in artists]
    X = pd.DataFrame({"track_name": names, "track_album_name": "", "track_artist": artists})
    stack = classify.OutOfFoldProba(group_column="track_artist")
    oof = stack.fit_transform(X, genres)
    in_sample = stack.transform(X)
    acc_oof = (stack.classes_[oof.argmax(1)] == genres).mean()
    acc_in = (stack.classes_[in_sample.argmax(1)] == genres).mean()
    assert acc_in > 0.9 and acc_oof < 0.6, (acc_in, acc_oof)
    np.testing.assert_allclose(oof.sum(axis=1), 1.0)


class CountingVectorizer(HashingVectorizer):
    """A real (stateless) hashing vectorizer that counts the texts it is given."""

    seen = 0

    def transform(self, X):
        CountingVectorizer.seen += len(X)
        return super().transform(X)


def test_each_text_is_vectorized_once_and_rows_are_unchanged(tracks):
    X = classify.model_frame(tracks, "full")
    cols = ["track_name", "track_album_name", "track_artist"]
    text = X[cols].agg(" | ".join, axis=1).to_numpy()
    reference = HashingVectorizer(n_features=2**12).transform(text)
    stack = classify.OutOfFoldProba(vectorizer=CountingVectorizer(n_features=2**12))
    CountingVectorizer.seen = 0
    first = stack._features(X.iloc[:1500])
    again = stack._features(X.iloc[500:])  # 1,000 texts seen, 500 new
    assert CountingVectorizer.seen == len(set(text[:1500])) + len(
        set(text[1500:]) - set(text[:1500])
    )
    assert abs(first - reference[:1500]).sum() == 0 and abs(again - reference[500:]).sum() == 0
    other = classify.OutOfFoldProba(vectorizer=HashingVectorizer(n_features=2**10))
    assert other._features(X.iloc[:10]).shape == (10, 2**10)  # another vectorizer, its own rows


def test_full_pipeline_uses_out_of_fold_predictions_while_training(tracks):
    train, test = classify.honest_split(tracks, seed=0)
    X = classify.model_frame(tracks, "full")
    y = tracks["genre"].to_numpy()
    pipe = classify.make_pipeline_for(
        LogisticRegression(max_iter=1000), "full", inner_splits=3
    ).fit(X.iloc[train], y[train])
    names = pipe[0].get_feature_names_out()
    assert any(n.startswith("text__text_p_") for n in names) and "numeric__release_year" in names
    proba = pipe.predict_proba(X.iloc[test])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# --- metrics ------------------------------------------------------------------------------------
def test_classification_metrics_of_a_perfect_and_a_constant_model():
    X = pd.DataFrame({"x": [0, 1, 2, 3, 4, 5]})
    y = np.array(["a", "a", "b", "b", "c", "c"])
    perfect = DecisionTreeClassifier().fit(X, y)
    m = classify.classification_metrics(perfect, X, y)
    assert (
        m["accuracy"] == 1
        and m["macro_f1"] == 1
        and m["top2_accuracy"] == 1
        and m["log_loss"] < 1e-6
    )
    majority = classify.baselines()["majority"].fit(X, y)
    m = classify.classification_metrics(majority, X, y)
    assert np.isclose(m["accuracy"], 1 / 3) and m["recall"] == {"a": 1.0, "b": 0.0, "c": 0.0}


def test_random_guess_is_near_chance():
    X = pd.DataFrame({"x": np.zeros(6000)})
    y = np.repeat(["a", "b", "c", "d", "e", "f"], 1000)
    acc = classify.classification_metrics(classify.RandomGuess(random_state=0).fit(X, y), X, y)[
        "accuracy"
    ]
    assert abs(acc - 1 / 6) < 0.02


def test_interval95():
    mean, low, high = classify.interval95([0.5, 0.6, 0.7])
    assert (
        np.isclose(mean, 0.6) and low < 0.5 and high > 0.7 and np.isclose(mean - low, high - mean)
    )


def test_top_confusions_and_confused_tracks(tracks):
    y = tracks["genre"].to_numpy()
    pred = np.where(y == "edm", "pop", y)
    top = classify.top_confusions(y, pred)
    assert top.iloc[0][["true", "predicted"]].tolist() == ["edm", "pop"]
    assert np.isclose(top.iloc[0]["share_of_true"], 1.0)
    table = classify.confused_tracks(tracks, pred, "edm", "pop", n=5)
    assert len(table) == 5 and (table["genre"] == "edm").all()


def test_a_table_too_small_for_its_folds_is_named_before_any_fit():
    # issue 26 probe, case 23: 8 tracks of 2 genres failed inside the grid search with a
    # solver's "needs samples of at least 2 classes"; now the table is named as the problem
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((8, len(schema.AUDIO_FEATURES))), columns=schema.AUDIO_FEATURES)
    y = np.array(["rap"] * 3 + ["rock"] * 5)
    groups = np.array(["mc"] * 3 + ["b1", "b2", "b3", "b4", "b5"])  # one rap artist
    with pytest.raises(classify.TrainingDataError, match=r"single genre .*rap 1.*fewer cv_folds"):
        classify.grid_search(X, y, groups, models=["logistic_regression"], cv_folds=3)
