"""Genre classifiers: the seed's grid-search helper, honest splits, stacking, metrics, a saved model.

The seed study chose its classifier with a small helper that grid-searched several models and
summarised the fold scores. :class:`ModelSelection` keeps that interface (a dict of models and a
dict of parameter grids, ``score_summary()``), puts every model in a pipeline with a scaler, and
accepts grouped cross-validation and any scikit-learn splitter.

Honest evaluation rests on two rules: one row per track (:func:`genrelab.data.dedup`) and no
artist on both sides of a split (:func:`honest_split`). The seed's row split of the raw
per-playlist table (:func:`leaky_split`) lets the same track, and the same artist, sit in train
and test; its numbers are reported beside the honest ones, labelled *leaky*.

Feature sets
------------
``audio``
    The 12 audio features (:data:`genrelab.schema.AUDIO_FEATURES`).
``full``
    Audio + album release year + popularity + the genre probabilities of a text model over the
    track, album and artist names (character and word n-grams, Complement Naive Bayes), stacked
    without leaking: while training, those probabilities are out-of-fold (artist-grouped folds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    recall_score,
    top_k_accuracy_score,
)
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    GroupShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_random_state

from . import execution
from .schema import AUDIO_FEATURES, FEATURE_SETS, META_FEATURES, NAME_COLUMNS


class TrainingDataError(ValueError):
    """The table cannot train a classifier; the message names the column or label at fault."""


# --- input checks and model frames --------------------------------------------------------------
def feature_columns(feature_set: str, text_columns: Sequence[str] = NAME_COLUMNS) -> list[str]:
    """Columns a feature set reads: ``"audio"`` or ``"full"`` (audio + meta + text columns)."""
    if feature_set == "audio":
        return list(AUDIO_FEATURES)
    if feature_set == "full":
        return [*AUDIO_FEATURES, *META_FEATURES, *text_columns]
    raise ValueError(f"unknown feature set {feature_set!r}; choose one of {FEATURE_SETS}")


def check_training_frame(df: pd.DataFrame, columns: Sequence[str], label: str = "genre") -> None:
    """Raise :class:`TrainingDataError` naming what is wrong, before any model is fitted."""
    missing = [c for c in [*columns, label] if c not in df.columns]
    if missing:
        raise TrainingDataError(
            f"the feature set names column(s) {missing} that the table does not have"
        )
    empty = [c for c in columns if df[c].isna().all()]
    if empty:
        raise TrainingDataError(f"feature column(s) {empty} are all NaN")
    counts = df[label].value_counts()
    rare = counts[counts < 2]
    if len(rare):
        raise TrainingDataError(
            f"label(s) {rare.index.tolist()} in column {label!r} have fewer than 2 examples; "
            f"drop them or merge them into another label"
        )
    if len(counts) < 2:
        raise TrainingDataError(f"column {label!r} holds a single label {counts.index.tolist()}")


def model_frame(
    df: pd.DataFrame, feature_set: str, text_columns: Sequence[str] = NAME_COLUMNS
) -> pd.DataFrame:
    """The columns a feature set reads, numeric ones as float (NaN where unknown), text as str."""
    columns = feature_columns(feature_set, text_columns)
    check_training_frame(df, columns)
    out = pd.DataFrame(index=df.index)
    for col in columns:
        if col in text_columns:
            out[col] = df[col].fillna("").astype("str")
        else:
            out[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return out


# --- splits ----------------------------------------------------------------------------------------
def artist_groups(df: pd.DataFrame, group_column: str = "track_artist") -> np.ndarray:
    """Group labels for grouped splits; a row without an artist is its own group."""
    return (
        df[group_column].astype("object").fillna("track:" + df["track_id"].astype("str")).to_numpy()
    )


def honest_split(
    df: pd.DataFrame, test_size: float = 0.2, group_column: str = "track_artist", seed: int = 42
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of an artist-grouped train/test split of a deduplicated table.

    Raises if a track appears more than once (dedup first), so no track, and no artist, ends up
    on both sides.
    """
    if not df["track_id"].is_unique:
        raise TrainingDataError("honest_split needs one row per track: apply data.dedup first")
    groups = artist_groups(df, group_column)
    train, test = next(
        GroupShuffleSplit(1, test_size=test_size, random_state=seed).split(df, groups=groups)
    )
    assert not set(groups[train]) & set(groups[test])
    return train, test


def leaky_split(
    df: pd.DataFrame, test_size: float = 0.2, seed: int = 42, label: str = "genre"
) -> tuple[np.ndarray, np.ndarray]:
    """The seed's stratified row split of the raw per-playlist table (tracks and artists leak)."""
    idx = np.arange(len(df))
    return train_test_split(idx, test_size=test_size, random_state=seed, stratify=df[label])


def grouped_cv(n_splits: int = 5, seed: int = 42) -> StratifiedGroupKFold:
    """Artist-grouped, label-stratified folds (pass ``groups=artist_groups(df)`` to ``fit``)."""
    return StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)


# --- the stacked text feature ------------------------------------------------------------------------
def text_vectorizer():
    """Stateless character (2-4, word-bounded) and word (1-2) n-gram counts (feature hashing).

    Stateless, so the out-of-fold stacking computes it once per fit instead of once per fold.
    """
    return make_union(
        HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            n_features=2**18,
            alternate_sign=False,
            norm=None,
        ),
        HashingVectorizer(
            analyzer="word", ngram_range=(1, 2), n_features=2**18, alternate_sign=False, norm=None
        ),
    )


def text_model() -> Pipeline:
    """TF-IDF weighting of the hashed n-grams into Complement Naive Bayes."""
    return make_pipeline(TfidfTransformer(sublinear_tf=True), ComplementNB(alpha=0.3))


class OutOfFoldProba(TransformerMixin, BaseEstimator):
    """Class probabilities of a text model, out-of-fold while training (stacking without leaks).

    ``fit_transform`` (what a pipeline calls while training) returns, for each training row, the
    probabilities of a model that did not see that row's group (artist); ``transform`` (used on
    new rows) returns those of the model fitted on all training rows. The same design as
    scikit-learn's ``TargetEncoder``.

    Parameters
    ----------
    estimator : classifier with predict_proba, default :func:`text_model`
        Fitted on the vectorized text.
    vectorizer : stateless transformer, default :func:`text_vectorizer`
        Turns the joined text into features; it must not learn from data (no ``fit`` state).
    text_columns : list of str
        Columns joined with " | " into one string per row.
    group_column : str or None
        Column of group labels for the inner folds (``None``: stratified folds).
    n_splits : int
        Inner folds.
    """

    def __init__(
        self,
        estimator=None,
        vectorizer=None,
        text_columns: Sequence[str] = NAME_COLUMNS,
        group_column: str | None = "track_artist",
        n_splits: int = 5,
    ):
        self.estimator = estimator
        self.vectorizer = vectorizer
        self.text_columns = text_columns
        self.group_column = group_column
        self.n_splits = n_splits

    def _features(self, X: pd.DataFrame):
        text = (
            X[list(self.text_columns)].fillna("").astype("str").agg(" | ".join, axis=1).to_numpy()
        )
        vectorizer = self.vectorizer if self.vectorizer is not None else text_vectorizer()
        return vectorizer.transform(text)

    def _fit(self, features, y) -> OutOfFoldProba:
        self.estimator_ = clone(self.estimator if self.estimator is not None else text_model()).fit(
            features, y
        )
        self.classes_ = self.estimator_.classes_
        return self

    def fit(self, X: pd.DataFrame, y) -> OutOfFoldProba:
        self.n_features_in_ = X.shape[1]
        return self._fit(self._features(X), np.asarray(y))

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(self._features(X))

    def fit_transform(self, X: pd.DataFrame, y=None, **fit_params) -> np.ndarray:
        y = np.asarray(y)
        features = self._features(X)
        self.n_features_in_ = X.shape[1]
        self._fit(features, y)
        if self.group_column:
            folds = GroupKFold(self.n_splits).split(features, y, X[self.group_column].to_numpy())
        else:
            folds = StratifiedKFold(self.n_splits).split(features, y)
        oof = np.zeros((len(y), len(self.classes_)))
        for train, held_out in folds:
            model = clone(self.estimator_).fit(features[train], y[train])
            cols = np.searchsorted(self.classes_, model.classes_)
            oof[np.ix_(held_out, cols)] = model.predict_proba(features[held_out])
        return oof

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"text_p_{c}" for c in self.classes_], dtype=object)


class SubsampledClassifier(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on at most ``max_samples`` training rows, drawn at random per class.

    For models whose cost grows with the square of the rows, such as an exact RBF SVC: on 21k
    rows it would take minutes per fit; on 4,000 rows it takes about a second.
    """

    def __init__(self, estimator=None, max_samples: int = 4000, random_state=None):
        self.estimator = estimator
        self.max_samples = max_samples
        self.random_state = random_state

    def fit(self, X, y):
        y = np.asarray(y)
        rows = np.arange(len(y))
        if len(y) > self.max_samples:
            rows, _ = train_test_split(
                rows, train_size=self.max_samples, stratify=y, random_state=self.random_state
            )
        X_sub = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
        self.estimator_ = clone(self.estimator if self.estimator is not None else SVC()).fit(
            X_sub, y[rows]
        )
        self.classes_ = self.estimator_.classes_
        self.n_samples_fit_ = len(rows)
        return self

    def predict(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    def decision_function(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(X)

    @available_if(
        lambda self: hasattr(
            self.estimator if self.estimator is not None else SVC(), "predict_proba"
        )
    )
    def predict_proba(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)


def make_pipeline_for(
    model: BaseEstimator,
    feature_set: str = "audio",
    text_columns: Sequence[str] = NAME_COLUMNS,
    group_column: str = "track_artist",
    inner_splits: int = 3,
) -> Pipeline:
    """``model`` behind a scaler (audio) or behind scaler + stacked text probabilities (full)."""
    if feature_set == "audio":
        return Pipeline([("scale", StandardScaler()), ("model", model)])
    if feature_set != "full":
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {FEATURE_SETS}")
    numeric = [*AUDIO_FEATURES, *META_FEATURES]
    stack = OutOfFoldProba(
        text_columns=list(text_columns), group_column=group_column, n_splits=inner_splits
    )
    prep = ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            (
                "text",
                stack,
                [*text_columns] if group_column in text_columns else [*text_columns, group_column],
            ),
        ]
    )
    return Pipeline([("features", prep), ("model", model)])


# --- the grid-search helper ---------------------------------------------------------------------------
def default_models(seed: int = 42) -> dict[str, BaseEstimator]:
    """The candidate classifiers.

    The exact RBF SVC costs O(n^2) in the rows, so it trains on a random 4,000-row subsample
    (stratified by genre) of each training set: :class:`SubsampledClassifier`.
    """
    return {
        "random_forest": RandomForestClassifier(
            n_estimators=60, max_samples=0.5, n_jobs=1, random_state=seed
        ),
        "hist_gradient_boosting": HistGradientBoostingClassifier(
            early_stopping=True, random_state=seed
        ),
        "svc_rbf": SubsampledClassifier(SVC(kernel="rbf"), max_samples=4000, random_state=seed),
        "logistic_regression": LogisticRegression(max_iter=2000),
    }


def default_grids() -> dict[str, dict[str, list]]:
    """Small grids that fit the report's time budget (keys are pipeline parameter names)."""
    return {
        "random_forest": {"model__min_samples_leaf": [1, 3]},
        # One setting, the best of four by artist-grouped 3-fold CV on the training split
        # (CV accuracy 0.560-0.566): slow learning, small trees, half the features per split.
        "hist_gradient_boosting": {
            "model__learning_rate": [0.03],
            "model__max_iter": [500],
            "model__max_leaf_nodes": [15],
            "model__max_features": [0.5],
            "model__l2_regularization": [1.0],
        },
        "svc_rbf": {"model__estimator__C": [1.0, 3.0]},
        "logistic_regression": {"model__C": [0.1, 1.0]},
    }


class ModelSelection:
    """Grid-search several models, each in a pipeline with a scaler; summarise every fold score.

    The seed's ``EstimatorSelectionHelper`` extended with grouped cross-validation (``groups=``)
    and any scikit-learn splitter (``cv=``).

    Parameters
    ----------
    models : dict of str -> estimator
        Unfitted classifiers.
    grids : dict of str -> dict
        Parameter grids for each model, named as pipeline parameters (``"model__C"``).
    feature_set : {"audio", "full"}
        Wraps each model with :func:`make_pipeline_for`.
    cv : int or splitter
        Passed to GridSearchCV; with ``groups`` in :meth:`fit`, use a grouped splitter.
    scoring : str
        Scorer used to pick each model's parameters.
    n_jobs : int or None
        Parallel fits inside each grid search.
    scheduler : str, distributed.Client or None
        Where the fits run (:func:`genrelab.execution.joblib_cluster`): empty reads
        ``GENRELAB_DASK_SCHEDULER``, and when that is empty too joblib runs ``n_jobs`` local
        processes; ``"local:N"`` or ``"tcp://host:8786"``: joblib's Dask backend on that
        cluster (the training data scattered once, every worker busy: ``n_jobs`` ignored).

    Example
    -------
    >>> from genrelab import data, selection
    >>> df = data.snapshot_tracks().sample(600, random_state=0)
    >>> ms = selection.ModelSelection(
    ...     {"lr": selection.LogisticRegression(max_iter=500)}, {"lr": {"model__C": [0.1, 1.0]}},
    ...     cv=selection.grouped_cv(3))
    >>> ms = ms.fit(df[selection.AUDIO_FEATURES], df["genre"], groups=selection.artist_groups(df))
    >>> list(ms.score_summary().columns[:6])
    ['model', 'min_score', 'mean_score', 'max_score', 'std_score', 'rank']
    """

    def __init__(
        self,
        models: Mapping[str, BaseEstimator],
        grids: Mapping[str, Mapping[str, list]],
        *,
        feature_set: str = "audio",
        cv: Any = 5,
        scoring: str = "accuracy",
        n_jobs: int | None = None,
        text_columns: Sequence[str] = NAME_COLUMNS,
        group_column: str = "track_artist",
        scheduler: Any = None,
    ):
        unknown = set(models) - set(grids)
        if unknown:
            raise ValueError(f"no parameter grid for model(s) {sorted(unknown)}")
        self.models = dict(models)
        self.grids = {name: grids[name] for name in models}
        self.feature_set = feature_set
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.text_columns = text_columns
        self.group_column = group_column
        self.scheduler = scheduler

    def fit(self, X: pd.DataFrame, y, groups=None, progress: bool = True) -> ModelSelection:
        from tqdm.auto import tqdm

        self.searches_: dict[str, GridSearchCV] = {}
        with execution.joblib_cluster(self.scheduler, scatter=[X, y]) as client:
            for name in tqdm(self.models, desc="grid search", disable=not progress):
                pipe = make_pipeline_for(
                    self.models[name], self.feature_set, self.text_columns, self.group_column
                )
                search = GridSearchCV(
                    pipe,
                    self.grids[name],
                    cv=self.cv,
                    scoring=self.scoring,
                    n_jobs=self.n_jobs if client is None else -1,
                    refit=True,
                    error_score="raise",
                )
                self.searches_[name] = search.fit(X, y, groups=groups)
        self.best_name_ = max(self.searches_, key=lambda n: self.searches_[n].best_score_)
        self.best_estimator_ = self.searches_[self.best_name_].best_estimator_
        self.best_params_ = self.searches_[self.best_name_].best_params_
        return self

    def score_summary(self, sort_by: str = "mean_score") -> pd.DataFrame:
        """One row per (model, parameter set): min/mean/max/std of the fold scores, rank, params."""
        if not hasattr(self, "searches_"):
            raise RuntimeError("call fit() before score_summary()")
        rows = []
        for name, search in self.searches_.items():
            res = search.cv_results_
            n_folds = sum(k.startswith("split") and k.endswith("_test_score") for k in res)
            folds = np.column_stack([res[f"split{i}_test_score"] for i in range(n_folds)])
            for i, params in enumerate(res["params"]):
                rows.append(
                    {
                        "model": name,
                        "min_score": folds[i].min(),
                        "mean_score": folds[i].mean(),
                        "max_score": folds[i].max(),
                        "std_score": folds[i].std(),
                        "params": ", ".join(
                            f"{k.replace('model__', '')}={v}" for k, v in params.items()
                        ),
                    }
                )
        table = pd.DataFrame(rows).sort_values(sort_by, ascending=False, ignore_index=True)
        table.insert(5, "rank", np.arange(1, len(table) + 1))
        return table

    def fold_scores(self, name: str | None = None) -> np.ndarray:
        """The cross-validation fold scores of a model's best parameters (default: the best model)."""
        search = self.searches_[name or self.best_name_]
        i = search.best_index_
        n_folds = sum(
            k.startswith("split") and k.endswith("_test_score") for k in search.cv_results_
        )
        return np.array([search.cv_results_[f"split{f}_test_score"][i] for f in range(n_folds)])


def grid_search(
    X: pd.DataFrame,
    y,
    groups=None,
    *,
    models: Sequence[str] | None = None,
    cv_folds: int = 3,
    seed: int = 42,
    n_jobs: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> ModelSelection:
    """Notebook 03's model choice: the named :func:`default_models` with their
    :func:`default_grids`, grid-searched over artist-grouped folds (:func:`grouped_cv`).

    The one entry point of the grid search; ``models`` names the candidates (default: all);
    ``scheduler`` is :class:`ModelSelection`'s (empty: local joblib; ``local:N``; an address).
    """
    available = default_models(seed)
    names = list(available) if models is None else list(models)
    unknown = [name for name in names if name not in available]
    if unknown or not names:
        raise ValueError(
            f"unknown model(s) {unknown} (or none named); choose from {list(available)}"
        )
    candidates = {name: model for name, model in available.items() if name in names}
    search = ModelSelection(
        candidates,
        default_grids(),
        cv=grouped_cv(cv_folds, seed),
        n_jobs=n_jobs,
        scheduler=scheduler,
    )
    return search.fit(X, y, groups=groups, progress=progress)


# --- baselines ----------------------------------------------------------------------------------------
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


# --- metrics -------------------------------------------------------------------------------------------
def classification_metrics(model, X: pd.DataFrame, y) -> dict[str, Any]:
    """Accuracy, macro-F1, log loss, top-2 accuracy and recall per class of a fitted model.

    Log loss and top-2 accuracy need ``predict_proba``; they are NaN for a model without it.
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
        out["top2_accuracy"] = top_k_accuracy_score(y, proba, k=2, labels=classes)
    recall = recall_score(y, predicted, labels=classes, average=None, zero_division=0)
    out["recall"] = dict(zip(map(str, classes), map(float, recall)))
    return out


def interval95(scores: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95% t-interval of fold scores: ``(mean, low, high)``."""
    scores = np.asarray(scores, dtype=float)
    mean = scores.mean()
    if len(scores) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.975, len(scores) - 1) * scores.std(ddof=1) / np.sqrt(len(scores))
    return mean, mean - half, mean + half


def cv_accuracy(
    pipeline, X: pd.DataFrame, y, cv, groups=None, n_jobs: int | None = None
) -> np.ndarray:
    """Accuracy of a clone of ``pipeline`` refitted on each fold of ``cv``."""
    from sklearn.model_selection import cross_val_score

    return cross_val_score(
        clone(pipeline), X, np.asarray(y), groups=groups, cv=cv, scoring="accuracy", n_jobs=n_jobs
    )


def with_interval(
    metrics: Mapping[str, Any], fold_scores: Sequence[float] | None
) -> dict[str, Any]:
    """``metrics`` plus ``cv_mean`` and ``ci95`` (95% t-interval) of the fold accuracies."""
    out = dict(metrics)
    if fold_scores is not None and len(fold_scores):
        mean, low, high = interval95(fold_scores)
        out.update(cv_folds=[float(s) for s in fold_scores], cv_mean=mean, ci95=[low, high])
    return out


def headline_table(
    results: Mapping[str, Mapping[str, Any]], kinds: Mapping[str, str]
) -> pd.DataFrame:
    """One row per labelled result (``kind`` honest / leaky / baseline) for the comparison plot."""
    table = metrics_table(results)
    table["kind"] = [kinds[name] for name in table.index]
    table["ci_low"] = [results[n].get("ci95", [np.nan, np.nan])[0] for n in table.index]
    table["ci_high"] = [results[n].get("ci95", [np.nan, np.nan])[1] for n in table.index]
    return table[
        ["kind", "accuracy", "ci_low", "ci_high", "macro_f1", "log_loss", "top2_accuracy", "n"]
    ]


def metrics_table(results: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """A tidy table of :func:`classification_metrics` results (recall columns per class)."""
    rows = []
    for name, m in results.items():
        rows.append(
            {
                "model": name,
                **{k: v for k, v in m.items() if k != "recall"},
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
