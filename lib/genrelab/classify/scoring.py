"""Scoring genre classifiers: baselines, metrics with intervals, confusions, importances, a tree.

Computation only: :mod:`genrelab.classify.evaluation` assembles these into notebook 03's results and
:mod:`genrelab.plots.classification` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    recall_score,
    top_k_accuracy_score,
)
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, check_random_state


# --- baselines ------------------------------------------------------------------------------------
class RandomGuess(ClassifierMixin, BaseEstimator):
    """The seed's baseline: a label drawn uniformly at random for every track."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "classes_")
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))

    def predict(self, X):
        check_is_fitted(self, "classes_")
        return check_random_state(self.random_state).choice(self.classes_, size=len(X))


def baselines(seed: int = 42) -> dict[str, BaseEstimator]:
    """Random guess (the seed's), majority class and stratified random (scikit-learn's Dummy)."""
    return {
        "random": RandomGuess(random_state=seed),
        "majority": DummyClassifier(strategy="most_frequent"),
        "stratified": DummyClassifier(strategy="stratified", random_state=seed),
    }


# --- metrics --------------------------------------------------------------------------------------
def classification_metrics(model, X: pd.DataFrame, y) -> dict[str, Any]:
    """Accuracy, macro-F1, log loss, top-2 accuracy and recall per class of a fitted model.

    Log loss and top-2 accuracy need ``predict_proba``; they are NaN for a model without it.
    Top-2 accuracy is NaN (left out) with two classes, where it is always 1
    (:func:`top2_note`).
    """
    proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
    classes = getattr(model, "classes_", np.unique(np.asarray(y)))
    return prediction_metrics(y, model.predict(X), proba, classes)


def prediction_metrics(y, predicted, proba: np.ndarray | None, classes) -> dict[str, Any]:
    """:func:`classification_metrics` from a model's predictions (and probabilities, if any)."""
    y = np.asarray(y)
    out = {
        "n": len(y),
        "accuracy": accuracy_score(y, predicted),
        "macro_f1": f1_score(y, predicted, average="macro"),
        "log_loss": np.nan,
        "top2_accuracy": np.nan,
    }
    if proba is not None:
        proba = np.clip(proba, 1e-15, 1)
        out["log_loss"] = log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=classes)
        if len(classes) > 2:  # with two classes the top 2 hold every label: always 1
            out["top2_accuracy"] = top_k_accuracy_score(y, proba, k=2, labels=classes)
    recall = recall_score(y, predicted, labels=classes, average=None, zero_division=0)
    out["recall"] = dict(zip(map(str, classes), map(float, recall)))
    return out


def top2_note(classes: Sequence) -> str | None:
    """The note a notebook shows when top-2 accuracy is left out (two classes), else ``None``."""
    if len(classes) > 2:
        return None
    return (
        f"Top-2 accuracy is left out: with {len(classes)} genres the two most probable hold "
        "every label, so it would always be 100%."
    )


def interval95(scores: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t-interval of fold scores: ``(mean, low, high)``."""
    values = np.asarray(scores, dtype=float)
    mean = values.mean()
    if len(scores) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, mean - half, mean + half


#: Resamples of :func:`bootstrap_accuracy_interval` (a few milliseconds for a few thousand groups)
BOOTSTRAP_RESAMPLES = 2000


def bootstrap_accuracy_interval(
    y_true,
    predicted,
    groups=None,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 42,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of a test split's accuracy, bootstrapped over ``groups`` (clusters).

    The test rows of an artist-grouped split are not independent: tracks of one artist are
    right or wrong together. So whole groups (artists) are resampled with replacement and the
    accuracy of each resample is the share of correct rows among the rows it holds (a cluster
    bootstrap); with ``groups=None`` every row is its own group (a plain bootstrap, close to a
    binomial interval). Seeded, so the same predictions give the same interval.

    Returns ``(low, high)``; NaNs for an empty test split.
    """
    correct = np.asarray(y_true) == np.asarray(predicted)
    if not len(correct):
        return np.nan, np.nan
    ids = np.arange(len(correct)) if groups is None else pd.factorize(np.asarray(groups))[0]
    hits = np.bincount(ids, weights=correct)
    sizes = np.bincount(ids).astype(float)
    rng = np.random.default_rng(seed)
    accuracies = np.empty(n_resamples)
    chunk = max(1, 2_000_000 // len(sizes))  # at most ~16 MB of indices at once
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        draw = rng.integers(0, len(sizes), size=(stop - start, len(sizes)))
        accuracies[start:stop] = hits[draw].sum(axis=1) / sizes[draw].sum(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(accuracies, [tail, 100 - tail])
    return float(low), float(high)


def with_test_interval(
    metrics: Mapping[str, Any], y_true, predicted, groups=None, seed: int = 42
) -> dict[str, Any]:
    """``metrics`` plus ``test_ci95``: the 95% interval of their test accuracy, bootstrapped over
    ``groups`` (:func:`bootstrap_accuracy_interval`), the interval of the same quantity as
    ``accuracy``."""
    low, high = bootstrap_accuracy_interval(y_true, predicted, groups, seed=seed)
    return {**metrics, "test_ci95": [low, high]}


def accuracy_lines(results: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown, one item per labelled result: its test accuracy with ``test_ci95``, the interval
    of that same accuracy, and, where there is one, the grouped CV estimate (``cv_mean``,
    ``ci95``) on a line of its own, labelled as such."""

    def interval(result, key) -> str | None:
        low, high = result.get(key, [np.nan, np.nan])
        return f"{low:.1%}–{high:.1%}" if np.isfinite(low) and np.isfinite(high) else None

    lines = []
    for label, result in results.items():
        line = f"- **{label}**: {result['accuracy']:.1%} on the test split"
        if ci := interval(result, "test_ci95"):
            line += f", 95% interval {ci} (bootstrap over the test artists)"
        lines.append(line)
        if "cv_mean" in result:
            cv = f"  - grouped CV on the training split, another estimate: {result['cv_mean']:.1%}"
            if ci := interval(result, "ci95"):
                cv += f", 95% interval over its folds {ci}"
            lines.append(cv)
    return "\n".join(lines)


def cv_accuracy(
    pipeline, X: pd.DataFrame, y, cv, groups=None, n_jobs: int | None = None
) -> np.ndarray:
    """Accuracy of a clone of ``pipeline`` refitted on each fold of ``cv``."""
    return cross_val_score(
        clone(pipeline), X, np.asarray(y), groups=groups, cv=cv, scoring="accuracy", n_jobs=n_jobs
    )


def with_interval(
    metrics: Mapping[str, Any], fold_scores: Sequence[float] | np.ndarray | None
) -> dict[str, Any]:
    """``metrics`` plus ``cv_folds``, ``cv_mean`` and ``ci95`` (95% t-interval) of the fold
    accuracies.

    These are a second estimate, of another quantity: the accuracy of cross-validation over
    grouped folds of the *training* split, not of the test split's ``accuracy`` (whose interval
    is ``test_ci95``, :func:`with_test_interval`). Show them apart, labelled as CV.
    """
    out = dict(metrics)
    if fold_scores is not None and len(fold_scores):
        mean, low, high = interval95(fold_scores)
        out.update(cv_folds=[float(s) for s in fold_scores], cv_mean=mean, ci95=[low, high])
    return out


def headline_table(
    results: Mapping[str, Mapping[str, Any]], kinds: Mapping[str, str]
) -> pd.DataFrame:
    """One row per labelled result (``kind`` honest / leaky / baseline) for the comparison plot.

    ``ci_low`` / ``ci_high`` bound the test accuracy (``test_ci95``, bootstrapped over the test
    artists); ``cv_mean``, ``cv_low`` and ``cv_high`` are the grouped cross-validation estimate
    on the training split (``ci95``), another quantity, NaN where there is none.
    """
    table = metrics_table(results)
    table["kind"] = [kinds[name] for name in table.index]
    nan2 = [np.nan, np.nan]
    table["ci_low"] = [results[n].get("test_ci95", nan2)[0] for n in table.index]
    table["ci_high"] = [results[n].get("test_ci95", nan2)[1] for n in table.index]
    table["cv_mean"] = [results[n].get("cv_mean", np.nan) for n in table.index]
    table["cv_low"] = [results[n].get("ci95", nan2)[0] for n in table.index]
    table["cv_high"] = [results[n].get("ci95", nan2)[1] for n in table.index]
    return table[
        [
            "kind",
            "accuracy",
            "ci_low",
            "ci_high",
            "cv_mean",
            "cv_low",
            "cv_high",
            "macro_f1",
            "log_loss",
            "top2_accuracy",
            "n",
        ]
    ]


def metrics_table(results: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """A tidy table of :func:`classification_metrics` results (recall columns per class)."""
    rows = []
    for name, m in results.items():
        low, high = m.get("test_ci95", [np.nan, np.nan])
        rows.append(
            {
                "model": name,
                **{k: v for k, v in m.items() if k not in ("recall", "test_ci95")},
                **({"test_ci_low": low, "test_ci_high": high} if "test_ci95" in m else {}),
                **{f"recall_{c}": r for c, r in m.get("recall", {}).items()},
            }
        )
    return pd.DataFrame(rows).set_index("model")


def confused_tracks(
    df: pd.DataFrame,
    y_pred,
    true: str,
    predicted: str,
    n: int = 10,
    proba: np.ndarray | None = None,
    classes=None,
) -> pd.DataFrame:
    """Tracks of genre ``true`` predicted as ``predicted``, most confident mistakes first."""
    mask = (df["genre"].to_numpy() == true) & (np.asarray(y_pred) == predicted)
    cols = ["track_name", "track_artist", "playlist_name", "playlist_subgenre", "genre"]
    out = df.loc[mask, [c for c in cols if c in df]].copy()
    out["predicted"] = predicted
    if proba is not None:
        out[f"p_{predicted}"] = proba[mask, list(classes).index(predicted)]
        out = out.sort_values(f"p_{predicted}", ascending=False)
    return out.head(n)


def confusion_counts(y_true, y_pred, classes: Sequence) -> pd.DataFrame:
    """Tracks per (true class, predicted class), rows and columns in the order of ``classes``."""
    counts = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=list(classes))
    names = [str(c) for c in classes]
    return pd.DataFrame(
        counts,
        index=pd.Index(names, name="true"),
        columns=pd.Index(names, name="predicted"),
    )


def top_confusions(y_true, y_pred, n: int = 5) -> pd.DataFrame:
    """The most frequent (true, predicted) mistakes with their count and share of the true genre."""
    pairs = pd.DataFrame({"true": np.asarray(y_true), "predicted": np.asarray(y_pred)})
    totals = pairs["true"].value_counts()
    wrong = pairs[pairs["true"] != pairs["predicted"]].value_counts().rename("tracks").reset_index()
    wrong["share_of_true"] = wrong["tracks"] / wrong["true"].map(totals)
    return wrong.head(n)


def impurity_importances(pipeline, feature_names: Sequence[str]) -> pd.Series:
    """Mean decrease in impurity of a fitted tree ensemble at the end of a pipeline."""
    model = pipeline[-1] if isinstance(pipeline, Pipeline) else pipeline
    return pd.Series(model.feature_importances_, index=list(feature_names)).sort_values(
        ascending=False
    )


def permutation_importances(
    model,
    X: pd.DataFrame,
    y,
    n_repeats: int = 5,
    seed: int = 42,
    n_jobs: int | None = None,
    max_samples: int = 2000,
) -> pd.DataFrame:
    """Drop in accuracy when each column of ``X`` is shuffled (mean and std over repeats).

    At most ``max_samples`` rows are scored (a random subset), which keeps it affordable.
    """
    from sklearn.inspection import permutation_importance

    res = permutation_importance(
        model,
        X,
        np.asarray(y),
        n_repeats=n_repeats,
        random_state=seed,
        scoring="accuracy",
        n_jobs=n_jobs,
        max_samples=min(max_samples, len(X)),
    )
    return pd.DataFrame(
        {"mean": res.importances_mean, "std": res.importances_std}, index=X.columns
    ).sort_values("mean", ascending=False)


def fit_decision_tree(X: pd.DataFrame, y, max_depth: int = 3, seed: int = 42):
    """A shallow decision tree on raw (unscaled) features, so its thresholds read in real units."""
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=20, random_state=seed).fit(
        X, np.asarray(y)
    )


def export_tree_dot(tree, path: Path, feature_names: Sequence[str]) -> Path:
    """Graphviz source of a fitted tree (render with ``dot -Tpng tree.dot -o tree.png``)."""
    from sklearn.tree import export_graphviz

    export_graphviz(
        tree,
        out_file=str(path),
        feature_names=list(feature_names),
        class_names=[str(c) for c in tree.classes_],
        filled=True,
        rounded=True,
        proportion=True,
    )
    return Path(path)
