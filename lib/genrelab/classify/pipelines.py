"""What a classifier sees: the feature sets, the model frame and the pipelines around a model.

Feature sets
------------
``audio``
    The 12 audio features (:data:`genrelab.schema.AUDIO_FEATURES`).
``full``
    Audio + album release year + popularity + the genre probabilities of a text model over the
    track, album and artist names (character and word n-grams, Complement Naive Bayes), stacked
    without leaking: while training, those probabilities are out-of-fold (artist-grouped folds).

:func:`make_pipeline_for` puts any model behind the columns of a feature set, a scaler and, for
``full``, the stacked text feature (:class:`OutOfFoldProba`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.model_selection import (
    GroupKFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from genrelab.errors import GenrelabError
from genrelab.schema import AUDIO_FEATURES, FEATURE_SETS, NAME_COLUMNS


class TrainingDataError(GenrelabError, ValueError):
    """The table cannot train a classifier; the message names the column or label at fault."""


# --- input checks and model frames ----------------------------------------------------------------
def feature_columns(
    feature_set: str,
    text_columns: Sequence[str] = NAME_COLUMNS,
    table: pd.DataFrame | None = None,
) -> list[str]:
    """Columns a feature set reads (:data:`genrelab.schema.FEATURE_SETS`): ``"audio"``, or
    ``"full"`` / ``"full_2026"`` (audio + their numeric columns + the text columns).

    With a ``table``, only the columns that hold a value in it: a table with eight audio
    features and no names trains on those eight (the notebook says which are missing).
    """
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {list(FEATURE_SETS)}")
    columns = [*AUDIO_FEATURES]
    if feature_set != "audio":
        columns += [*FEATURE_SETS[feature_set], *text_columns]
    if table is None:
        return columns
    # the optional parts (names, year, popularity) may be absent; a column the caller named
    # beyond them must exist (a typo in ``text_columns`` is an error, not a silent drop)
    unknown = [c for c in text_columns if c not in table.columns and c not in NAME_COLUMNS]
    if feature_set != "audio" and unknown:
        raise TrainingDataError(f"the feature set names column(s) {unknown} that the table lacks")
    present = [c for c in columns if c in table.columns and table[c].notna().any()]
    if not any(c in AUDIO_FEATURES for c in present):
        raise TrainingDataError(f"the table has none of the audio features {AUDIO_FEATURES}")
    return present


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
    counts = counts[counts > 0]  # a categorical label lists the labels of other rows at 0
    rare = counts[counts < 2]
    if len(rare):
        names = rare.index.tolist()
        shown = f"{names[:10]}{f' and {len(names) - 10:,} more' if len(names) > 10 else ''}"
        raise TrainingDataError(
            f"label(s) {shown} in column {label!r} have fewer than 2 examples ({len(names):,} "
            f"of {len(counts):,} labels); drop them or merge them into another label"
            + (" (is the label column an id?)" if len(names) > len(df) / 2 else "")
        )
    if len(counts) < 2:
        raise TrainingDataError(f"column {label!r} holds a single label {counts.index.tolist()}")


def model_frame(
    df: pd.DataFrame, feature_set: str, text_columns: Sequence[str] = NAME_COLUMNS
) -> pd.DataFrame:
    """The columns of a feature set that ``df`` holds (:func:`feature_columns`), numeric ones as
    float (NaN where unknown), text as str."""
    columns = feature_columns(feature_set, text_columns, df)
    check_training_frame(df, columns)
    out = pd.DataFrame(index=df.index)
    for col in columns:
        if col in text_columns:
            out[col] = df[col].astype("str").fillna("")
        else:
            out[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return out


# --- the stacked text feature ---------------------------------------------------------------------
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


class _TextRows:
    """Each distinct text vectorized once per process and vectorizer: the rows of a stateless
    vectorizer are the same whichever rows are vectorized with them, and the out-of-fold
    stacking, the cross-validation folds and both full feature sets ask for the same names
    again and again (4 s a time for the snapshot's 28k names). Up to :attr:`max_rows` rows are
    kept; past them the cache starts afresh."""

    max_rows = 200_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: str | None = None
        self._index: dict[str, int] = {}
        self._matrix: Any = None  # scipy.sparse CSR rows of the texts in _index

    def transform(self, vectorizer, text: np.ndarray):
        key = joblib.hash(clone(vectorizer))  # its parameters (transform caches a stop-word id)
        with self._lock:
            if key != self._key or len(self._index) > self.max_rows:
                self._key, self._index, self._matrix = key, {}, None
            new = [t for t in dict.fromkeys(text) if t not in self._index]
            if new:
                block = sp.csr_matrix(vectorizer.transform(new))
                self._index.update(zip(new, range(len(self._index), len(self._index) + len(new))))
                blocks = [block] if self._matrix is None else [self._matrix, block]
                self._matrix = sp.vstack(blocks, format="csr")
            rows = np.fromiter((self._index[t] for t in text), dtype=np.int64, count=len(text))
            return self._matrix[rows]


_TEXT_ROWS = _TextRows()


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
        parts = X[list(self.text_columns)].astype("str").fillna("")
        first, *rest = parts.columns
        text = parts[first].str.cat([parts[c] for c in rest], sep=" | ").to_numpy()
        vectorizer = self.vectorizer if self.vectorizer is not None else text_vectorizer()
        return _TEXT_ROWS.transform(vectorizer, text)

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
    columns: Sequence[str] | None = None,
) -> Pipeline:
    """``model`` behind a scaler (audio) or behind scaler + stacked text probabilities (the full
    sets).

    ``columns`` are the model frame's columns (:func:`model_frame`); by default every column of
    the feature set. Text columns absent from them are left out, and with none left the full
    sets are numeric only.
    """
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {list(FEATURE_SETS)}")
    if feature_set == "audio":
        return Pipeline([("scale", StandardScaler()), ("model", model)])
    columns = list(columns) if columns is not None else feature_columns(feature_set, text_columns)
    text_columns = [c for c in text_columns if c in columns]
    numeric = [c for c in columns if c not in text_columns]
    if not text_columns:
        return Pipeline([("scale", StandardScaler()), ("model", model)])
    # the inner folds group by artist when the frame has one (a table without: plain folds)
    group = group_column if group_column in columns else None
    stack = OutOfFoldProba(
        text_columns=list(text_columns), group_column=group, n_splits=inner_splits
    )
    stacked = [*text_columns] if group in (None, *text_columns) else [*text_columns, group]
    prep = ColumnTransformer([("numeric", StandardScaler(), numeric), ("text", stack, stacked)])
    return Pipeline([("features", prep), ("model", model)])
