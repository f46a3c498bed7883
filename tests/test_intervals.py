"""Issue 28, item 4: each headline accuracy comes with an interval of that same accuracy (a
bootstrap over the test artists), and the grouped CV estimate sits apart, labelled as CV."""

from __future__ import annotations

import numpy as np
import pytest

from genrelab import classify, report
from genrelab.report.publish import readme_block

AUDIO = {
    "accuracy": 0.552,
    "test_ci95": [0.531, 0.573],
    "cv_mean": 0.562,
    "ci95": [0.554, 0.570],
    "macro_f1": 0.54,
    "log_loss": 1.18,
    "top2_accuracy": 0.75,
}


def _predictions(n_artists=300, per_artist=5, seed=0):
    """Artists whose tracks are right or wrong together (about 60% of artists right)."""
    rng = np.random.default_rng(seed)
    right = rng.random(n_artists) < 0.6
    groups = np.repeat(np.arange(n_artists), per_artist)
    y = np.zeros(len(groups), dtype=int)
    predicted = np.where(np.repeat(right, per_artist), 0, 1)
    return y, predicted, groups


def test_the_bootstrap_interval_holds_the_accuracy_and_is_seeded():
    y, predicted, groups = _predictions()
    accuracy = (y == predicted).mean()
    low, high = classify.bootstrap_accuracy_interval(y, predicted, groups, seed=1)
    assert low < accuracy < high
    assert (low, high) == classify.bootstrap_accuracy_interval(y, predicted, groups, seed=1)


def test_grouping_by_artist_widens_the_interval_of_correlated_rows():
    y, predicted, groups = _predictions()
    grouped = np.subtract(*classify.bootstrap_accuracy_interval(y, predicted, groups)[::-1])
    rows = np.subtract(*classify.bootstrap_accuracy_interval(y, predicted)[::-1])
    # 5 tracks an artist, right or wrong together: about sqrt(5) times wider
    assert grouped > 1.8 * rows


def test_without_groups_it_is_close_to_the_binomial_interval():
    y, predicted, _ = _predictions(n_artists=2000, per_artist=1)
    p = (y == predicted).mean()
    half = 1.96 * np.sqrt(p * (1 - p) / len(y))
    low, high = classify.bootstrap_accuracy_interval(y, predicted)
    assert low == pytest.approx(p - half, abs=0.006)
    assert high == pytest.approx(p + half, abs=0.006)


def test_an_empty_test_split_has_no_interval():
    assert all(np.isnan(classify.bootstrap_accuracy_interval([], [])))


def test_scored_metrics_carry_the_test_interval():
    class Constant:
        classes_ = np.array([0, 1])

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    y, _, groups = _predictions(n_artists=50)
    y = (groups % 3 == 0).astype(int)  # a third of the artists' tracks are class 1
    scored = classify.score(Constant(), np.zeros((len(y), 1)), y, "c", groups)
    low, high = scored.metrics["test_ci95"]
    assert low < scored.metrics["accuracy"] < high


def test_headline_rows_pair_each_accuracy_with_its_own_interval_and_cv_apart():
    metrics = {"classification": {"honest": {"audio": AUDIO}}}
    rows = report.headline_rows(metrics)
    assert rows[0][0].startswith("genre accuracy, audio features, held-out artists")
    assert "bootstrap over the test artists" in rows[0][0]
    assert rows[0][1] == "0.552 [0.531, 0.573]"
    assert "grouped CV on the training split" in rows[1][0]
    assert rows[1][1] == "0.562 [0.554, 0.570]"


def test_headline_rows_of_an_older_run_show_the_accuracy_alone():
    metrics = {"classification": {"honest": {"audio": {"accuracy": 0.552}}}}
    assert [value for _, value in report.headline_rows(metrics)] == ["0.552"]


def test_readme_block_labels_the_test_interval_and_the_cv_estimate():
    results = {
        "run_id": "r",
        "git_commit": "abc",
        "headline": [],
        "classification": {"honest · audio features": AUDIO},
        "notebook_seconds": {},
    }
    block = readme_block(results)
    header = next(line for line in block.splitlines() if line.startswith("| classification"))
    assert "bootstrap over test artists" in header and "grouped CV on the training split" in header
    row = next(line for line in block.splitlines() if line.startswith("| honest · audio"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:3] == ["55.2%", "53.1%–57.3%"]
    assert cells[-1] == "56.2% [55.4%–57.0%]"
