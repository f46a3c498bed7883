"""One model on one test split, and the expensive fits, cached.

:func:`score` predicts test rows once and scores them (:class:`Scored`, with a bootstrap
interval over the test artists); :func:`fit_model`, :func:`fit_and_cross_validate` and
:func:`cached_permutation_importances` are the fits notebook 03 repeats on an identical re-run,
cached by their inputs (:func:`genrelab.memo.cached`). Model selection
(:mod:`genrelab.classify.selection`) and the evaluation (:mod:`genrelab.classify.evaluation`)
build on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genrelab import memo
from genrelab.classify import scoring

__all__ = [
    "Scored",
    "score",
    "PREDICT_CHUNK",
    "fit_model",
    "fit_and_cross_validate",
    "cached_permutation_importances",
]


# --- one model on one test split ------------------------------------------------------------------
@dataclass(frozen=True)
class Scored:
    """A fitted model's predictions on test rows (computed once) and their scores."""

    name: str
    y_true: np.ndarray
    predicted: np.ndarray
    proba: np.ndarray | None
    classes: list
    metrics: dict[str, Any]

    def confusion(self) -> pd.DataFrame:
        """Tracks per (true, predicted) class
        (:func:`genrelab.classify.scoring.confusion_counts`)."""
        return scoring.confusion_counts(self.y_true, self.predicted, self.classes)

    def top_confusions(self, n: int = 5) -> pd.DataFrame:
        """The most frequent mistakes (:func:`genrelab.classify.scoring.top_confusions`)."""
        return scoring.top_confusions(self.y_true, self.predicted, n)

    def confused_tracks(self, tracks: pd.DataFrame, n: int = 10) -> pd.DataFrame:
        """The tracks behind the most frequent mistake, most confident first (``tracks``: the
        scored rows); empty when the model made no mistake."""
        top = self.top_confusions(1)
        if top.empty:
            return tracks.iloc[:0]
        true, predicted = top.iloc[0]["true"], top.iloc[0]["predicted"]
        return scoring.confused_tracks(
            tracks, self.predicted, true, predicted, n=n, proba=self.proba, classes=self.classes
        )


#: Rows predicted at once by :func:`score`: a full set's stacked text model holds a sparse
#: row of n-grams per predicted track, so a million test tracks are predicted in slices.
PREDICT_CHUNK = 100_000


def _in_chunks(predict, X):
    """``predict(X)``, slice by slice of :data:`PREDICT_CHUNK` rows (the same numbers: every
    row is predicted on its own)."""
    if len(X) <= PREDICT_CHUNK:
        return predict(X)
    parts = [predict(X.iloc[i : i + PREDICT_CHUNK]) for i in range(0, len(X), PREDICT_CHUNK)]
    return np.concatenate(parts)


def score(model, X: pd.DataFrame, y, name: str = "", groups=None, seed: int = 42) -> Scored:
    """Predict ``X`` once (and its probabilities, if any) and score it, with ``test_ci95``
    bootstrapped over ``groups`` (:func:`genrelab.classify.scoring.with_test_interval`)."""
    y = np.asarray(y)
    predicted = _in_chunks(model.predict, X)
    proba = _in_chunks(model.predict_proba, X) if hasattr(model, "predict_proba") else None
    classes = list(getattr(model, "classes_", np.unique(y)))
    metrics = scoring.prediction_metrics(y, predicted, proba, classes)
    metrics = scoring.with_test_interval(metrics, y, predicted, groups, seed)
    return Scored(name, y, predicted, proba, classes, metrics)


# --- the expensive fits, cached -------------------------------------------------------------------
@memo.cached
def fit_model(estimator, X: pd.DataFrame, y):
    """``estimator`` fitted on ``X, y``; cached by the estimator's parameters, the data and the
    code version (:func:`genrelab.memo.cached`)."""
    return estimator.fit(X, y)


@memo.cached(ignore=["n_jobs"])
def fit_and_cross_validate(
    pipeline, X: pd.DataFrame, y, cv, groups=None, n_jobs: int | None = None
) -> tuple[Any, np.ndarray]:
    """``pipeline`` fitted on ``X, y`` and the accuracies of its clones refitted on each fold of
    ``cv`` (:func:`genrelab.classify.scoring.cv_accuracy`); cached like :func:`fit_model`,
    ``n_jobs``
    left out of the key."""
    pipeline.fit(X, y)
    return pipeline, scoring.cv_accuracy(pipeline, X, y, cv, groups, n_jobs)


@memo.cached(ignore=["model", "n_jobs"])
def cached_permutation_importances(
    model, model_key: str, X: pd.DataFrame, y, n_repeats: int, seed: int, n_jobs=None
):
    """:func:`genrelab.classify.scoring.permutation_importances` of the fitted ``model``, cached by
    ``model_key`` (what the model was fitted from: the cache key of the call that fitted it,
    ``ModelSelection.best_key_``), the rows scored, the repeats
    and the seed; the model itself is not in the key (the report's slowest cell on an identical
    re-run before it was cached)."""
    return scoring.permutation_importances(
        model, X, y, n_repeats=n_repeats, seed=seed, n_jobs=n_jobs
    )
