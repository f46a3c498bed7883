"""Notebook 03's study as dataclasses: the split says whether it is artist-honest, and each full
feature set records the columns it read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genrelab import classify, tables


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return tables.snapshot_tracks("keep_first").sample(900, random_state=3).reset_index(drop=True)


def _study(rows, full_sets):
    split = classify.split_tracks(rows, "keep_first", seed=0)
    X = classify.model_frame(split.tracks, "audio")
    search = classify.grid_search(
        split.train_rows(X),
        split.y_train,
        split.groups_train,
        models=["logistic_regression"],
        cv_folds=2,
        seed=0,
        progress=False,
    )
    scores = classify.score_on_test(search, split, X)
    fulls = [
        classify.fit_full_model(
            split, search, "logistic_regression", {}, cv_folds=2, feature_set=fs
        )
        for fs in full_sets
    ]
    leaky = classify.leaky_comparison(rows, search.best_estimator_, seed=0)
    return split, classify.evaluate_classifiers(split, search, scores, fulls, leaky, cv_folds=2)


def test_each_full_set_records_the_columns_it_read(rows):
    without_popularity = rows.drop(columns=["track_popularity"])
    split, result = _study(without_popularity, ["full", "full_2026"])
    assert split.artist_honest and "none on both sides" in split.summary()
    metrics = result.metrics()["honest"]
    assert set(metrics) == {"audio", "full", "full_2026"}
    # without popularity in the table the two full sets read the same columns
    assert metrics["full"]["features_used"] == metrics["full_2026"]["features_used"]
    assert "track_popularity" not in metrics["full"]["features_used"]
    assert "release_year" in metrics["full_2026"]["features_used"]
    labels = result.headline_table().index
    assert any("full_2026" in label and "no popularity" in label for label in labels)


def test_without_artists_the_split_says_it_is_not_artist_honest(rows):
    split, result = _study(rows.drop(columns=["track_artist"]), [])
    assert not split.artist_honest
    assert "not artist-honest" in split.summary()
    assert result.policy["split"].startswith("grouped by track_id")
    assert set(result.metrics()["honest"]) == {"audio"}


def test_full_sets_side_by_side_are_the_sets_one_by_one(rows):
    split = classify.split_tracks(rows, "keep_first", seed=0)
    one_by_one = [
        classify.fit_full_model(split, None, "random_forest", {}, cv_folds=2, feature_set=fs)
        for fs in ("full", "full_2026")
    ]
    side_by_side = classify.fit_full_models(
        split, None, "random_forest", {}, cv_folds=2, n_jobs=2, feature_sets=("full", "full_2026")
    )
    assert [f.feature_set for f in side_by_side] == ["full", "full_2026"]
    for a, b in zip(one_by_one, side_by_side):
        np.testing.assert_array_equal(a.fold_scores, b.fold_scores)
        np.testing.assert_array_equal(a.scored.predicted, b.scored.predicted)


def test_two_genres_leave_top2_accuracy_out_with_a_note():
    # issue 26, major 3: top-2 accuracy on binary labels raised "y_true is binary while y_score
    # is 2d with 2 classes"; with two genres it is always 100%, so it is left out, with a note
    y = np.array(["rap", "rock", "rock", "rap", "rock"])
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1], [0.2, 0.8]])
    predicted = np.array(["rap", "rock", "rap", "rap", "rock"])
    m = classify.prediction_metrics(y, predicted, proba, np.array(["rap", "rock"]))
    assert np.isnan(m["top2_accuracy"]) and m["accuracy"] == 0.8 and m["log_loss"] > 0
    assert "always be 100%" in classify.top2_note(["rap", "rock"])
    three = np.array(["a", "b", "c"])
    m3 = classify.prediction_metrics(
        three, three, np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.5, 0.3, 0.2]]), three
    )
    assert m3["top2_accuracy"] == pytest.approx(2 / 3) and classify.top2_note(three) is None
