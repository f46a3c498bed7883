"""Choosing a genre classifier: honest splits and the seed's grid-search helper.

The seed study chose its classifier with a small helper that grid-searched several models and
summarised the fold scores. :class:`ModelSelection` keeps that interface (a dict of models and a
dict of parameter grids, ``score_summary()``), puts every model in a pipeline with a scaler
(:func:`genrelab.classify.pipelines.make_pipeline_for`), and accepts grouped cross-validation and
any
scikit-learn splitter.

Honest evaluation rests on two rules: one row per track (:func:`~genrelab.tables.dedup.dedup`) and
no artist on both sides of a split (:func:`honest_split`). The seed's row split of the raw
per-playlist table (:func:`leaky_split`) lets the same track, and the same artist, sit in train
and test; its numbers are reported beside the honest ones, labelled *leaky*.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupShuffleSplit,
    StratifiedGroupKFold,
    check_cv,
    train_test_split,
)
from sklearn.svm import SVC
from tqdm.auto import tqdm

from genrelab import execution, memo
from genrelab.classify.fits import fit_model
from genrelab.classify.pipelines import SubsampledClassifier, TrainingDataError, make_pipeline_for
from genrelab.schema import NAME_COLUMNS


# --- splits ---------------------------------------------------------------------------------------
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


#: Notebook 03's default ``selection_max_rows``: above the snapshot's 21k training tracks, so
#: the snapshot's models are chosen on all of them exactly as before.
SELECTION_MAX_ROWS = 25_000

#: At most this many rows drawn for each tree of a random forest refitted on a large table. On
#: the 1.2M-track benchmark table (895,000 training rows) the forest grown on its
#: ``max_samples=0.5`` share saved to 427 MB and every step that copies it (saving, permutation
#: importances) added gigabytes; with 100,000 rows a tree it saves to 200 MB, and its 60 trees
#: still draw each training row 6.7 times on average.
FOREST_TREE_ROWS = 100_000


def selection_rows(groups, max_rows: int | None, seed: int = 42) -> np.ndarray | None:
    """Row positions of a seeded, artist-grouped subsample of about ``max_rows`` rows (whole
    groups, drawn in a random order until ``max_rows`` are reached), in their original order;
    ``None`` when there are no more rows than that (or ``max_rows`` is 0 / ``None``): use all.

    How models are chosen on large tables: the grid search runs on this subsample, and the
    chosen model is refitted on every training row (:func:`grid_search`).
    """
    groups = np.asarray(groups)
    if not max_rows or max_rows <= 0 or len(groups) <= max_rows:
        return None
    codes, uniques = pd.factorize(groups)
    order = np.random.default_rng(seed).permutation(len(uniques))
    sizes = np.bincount(codes, minlength=len(uniques))[order]
    n_groups = int(np.searchsorted(np.cumsum(sizes), max_rows) + 1)
    keep = np.zeros(len(uniques), dtype=bool)
    keep[order[:n_groups]] = True
    return np.flatnonzero(keep[codes])


def grouped_cv(n_splits: int = 5, seed: int = 42) -> StratifiedGroupKFold:
    """Artist-grouped, label-stratified folds (pass ``groups=artist_groups(df)`` to ``fit``)."""
    return StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)


# --- the grid-search helper -----------------------------------------------------------------------
def default_models(seed: int = 42) -> dict[str, BaseEstimator]:
    """The candidate classifiers.

    The exact RBF SVC costs O(n^2) in the rows, so it trains on a random 4,000-row subsample
    (stratified by genre) of each training set:
    :class:`~genrelab.classify.pipelines.SubsampledClassifier`.
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
        # 3 against 10 (0.540, 0.537 on the snapshot): leaves of 1 (0.537) grow the deepest,
        # slowest trees and never won.
        "random_forest": {"model__min_samples_leaf": [3, 10]},
        # One setting: small trees, half the features per split, early stopping after 5 rounds
        # without progress. Learning rate 0.1 instead of 0.03 and a patience of 5 instead of 10
        # reach their best in 5x less time, at 0.547 against 0.549 mean artist-grouped 3-fold CV
        # accuracy on the snapshot's training split (0.2: 0.539); still ahead of the forest
        # (0.540) and the SVC (0.537), so the same model is chosen.
        "hist_gradient_boosting": {
            "model__learning_rate": [0.1],
            "model__max_iter": [500],
            "model__n_iter_no_change": [5],
            "model__max_leaf_nodes": [15],
            "model__max_features": [0.5],
            "model__l2_regularization": [1.0],
        },
        "svc_rbf": {"model__estimator__C": [1.0, 3.0]},
        "logistic_regression": {"model__C": [0.1, 1.0]},
    }


@memo.cached(ignore=["n_jobs"])
def search_model(
    pipeline: BaseEstimator,
    grid: Mapping[str, list],
    X: pd.DataFrame,
    y,
    groups=None,
    cv: Any = 5,
    scoring: str = "accuracy",
    n_jobs: int | None = None,
) -> GridSearchCV:
    """One model's grid search, refitted on all of ``X`` with its best parameters, cached by
    the pipeline, the grid, the training data, the splitter (its folds and seed), the scorer
    and the code version (:func:`genrelab.memo.cached`); ``n_jobs`` and where the fits run
    (joblib's current backend, e.g. Dask's) do not change the result and are not in the key.
    """
    search = GridSearchCV(
        pipeline, grid, cv=cv, scoring=scoring, n_jobs=n_jobs, refit=True, error_score="raise"
    )
    return search.fit(X, y, groups=groups)


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
        Wraps each model with :func:`~genrelab.classify.pipelines.make_pipeline_for`.
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

    Attributes
    ----------
    searches_ : dict of str -> GridSearchCV
        Each model's search, refitted with its best parameters (``search_model``).
    keys_ : dict of str -> str
        Each search's cache key (``search_model.key``): a name for the search, and its fitted
        model, made of their inputs.
    best_name_, best_estimator_, best_params_, best_key_
        The model with the best mean CV score: its name, fitted pipeline, parameters and key.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from genrelab import data, schema, selection
    >>> df = data.snapshot_tracks().sample(600, random_state=0)
    >>> ms = selection.ModelSelection(
    ...     {"lr": LogisticRegression(max_iter=500)}, {"lr": {"model__C": [0.1, 1.0]}},
    ...     cv=selection.grouped_cv(3))
    >>> ms = ms.fit(df[schema.AUDIO_FEATURES], df["genre"], groups=selection.artist_groups(df))
    >>> list(ms.score_summary().columns[:6])
    ['model', 'min_score', 'mean_score', 'max_score', 'std_score', 'rank']
    """

    #: the size of the selection subsample the searches ran on (:func:`grid_search`); ``None``:
    #: all training rows
    selection_rows_: int | None = None

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
        """Grid-search every model; each search is read from the cache (``search_model``)
        when it was run before on the same data, and the cluster is started only if one is
        not."""
        check_folds(X, y, groups, self.cv)
        pipes = {
            name: make_pipeline_for(model, self.feature_set, self.text_columns, self.group_column)
            for name, model in self.models.items()
        }

        def args(name: str) -> tuple[Any, Any, Any, Any, Any, Any, str]:
            return (pipes[name], self.grids[name], X, y, groups, self.cv, self.scoring)

        all_cached = all(search_model.in_cache(*args(name)) for name in pipes)
        where = (
            contextlib.nullcontext(None)
            if all_cached
            else execution.joblib_cluster(self.scheduler, scatter=[X, y])
        )
        self.searches_: dict[str, GridSearchCV] = {}
        # each search named by its inputs: the key of its result in the cache
        self.keys_ = {name: search_model.key(*args(name)) for name in pipes}
        with where as client:
            for name in tqdm(pipes, desc="grid search", unit="model", disable=not progress):
                n_jobs = self.n_jobs if client is None else -1
                self.searches_[name] = search_model(*args(name), n_jobs=n_jobs)
        self.best_name_ = max(self.searches_, key=lambda n: self.searches_[n].best_score_)
        self.best_estimator_ = self.searches_[self.best_name_].best_estimator_
        self.best_params_ = self.searches_[self.best_name_].best_params_
        self.best_key_ = self.keys_[self.best_name_]
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
        """The cross-validation fold scores of a model's best parameters (default: the best
        model)."""
        search = self.searches_[name or self.best_name_]
        i = search.best_index_
        n_folds = sum(
            k.startswith("split") and k.endswith("_test_score") for k in search.cv_results_
        )
        return np.array([search.cv_results_[f"split{f}_test_score"][i] for f in range(n_folds)])


def check_folds(X: pd.DataFrame, y, groups, cv: Any) -> None:
    """Raise :class:`~genrelab.classify.pipelines.TrainingDataError` when a fold of ``cv`` would
    train on a single genre.

    A small table (few tracks or few artists a genre) can leave a cross-validation fold with one
    genre only, and every classifier then fails inside the search with a message about solvers;
    this says what is wrong with the table instead, before anything is fitted.
    """
    y = np.asarray(y)
    splitter = check_cv(cv, y, classifier=True)
    per_genre = pd.Series(np.asarray(groups) if groups is not None else np.arange(len(y)))
    artists = per_genre.groupby(y).nunique().sort_values()
    advice = (
        f"the training split has {len(y):,} tracks; artists a genre: "
        + ", ".join(f"{g} {n}" for g, n in artists.head(5).items())
        + ("…" if len(artists) > 5 else "")
        + f". Use a larger table, fewer cv_folds (now {splitter.get_n_splits()}), or drop the "
        "rarest genres"
    )
    try:
        folds = list(splitter.split(X, y, groups))
    except ValueError as err:
        raise TrainingDataError(
            f"cross-validation cannot split this table ({err}); {advice}"
        ) from None
    for k, (train, _) in enumerate(folds):
        if len(np.unique(y[train])) < 2:
            raise TrainingDataError(
                f"cross-validation fold {k + 1} would train on a single genre "
                f"({np.unique(y[train]).tolist()}): {advice}"
            )


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
    max_rows: int | None = None,
) -> ModelSelection:
    """Notebook 03's model choice: the named :func:`default_models` with their
    :func:`default_grids`, grid-searched over artist-grouped folds (:func:`grouped_cv`).

    The one entry point of the grid search; ``models`` names the candidates (default: all);
    ``scheduler`` is :class:`ModelSelection`'s (empty: local joblib; ``local:N``; an address).

    With more than ``max_rows`` training rows (notebook 03's ``selection_max_rows``), models
    and parameters are chosen as the field does on large tables: every search runs on a seeded,
    artist-grouped subsample of about ``max_rows`` rows (:func:`selection_rows`), and the chosen
    model alone is then refitted with its parameters on all of ``X`` (cached,
    :func:`genrelab.classify.fits.fit_model`); the other candidates keep their fit on the
    subsample. ``selection_rows_`` holds the subsample's size (``None``: all rows were used).
    With ``max_rows`` 0 / ``None`` or a smaller table, nothing changes.
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
    rows = selection_rows(groups if groups is not None else np.arange(len(X)), max_rows, seed)
    if rows is None:
        search = search.fit(X, y, groups=groups, progress=progress)
        search.selection_rows_ = None
        return search
    y = np.asarray(y)
    sub_groups = None if groups is None else np.asarray(groups)[rows]
    search = search.fit(X.iloc[rows], y[rows], groups=sub_groups, progress=progress)
    search.selection_rows_ = len(rows)
    _refit_best(search, X, y, n_jobs)
    return search


def refit_pipeline(search: ModelSelection, n_rows: int, n_jobs: int | None = None):
    """The chosen pipeline of a search run on the selection subsample, unfitted, as it is
    refitted on ``n_rows`` training rows.

    A boosting model that stopped early on the subsample is refitted for the number of
    iterations it ran there, without early stopping (the number of rounds is one of the
    parameters chosen on the subsample): on a million rows each round costs seconds, and
    early stopping on them ran past 5 minutes on the 1.2M-track benchmark table. A random forest
    draws at most :data:`FOREST_TREE_ROWS` rows for each tree (its size then stops growing with
    the table's) and grows its trees on ``n_jobs`` threads (each tree is seeded on its own, so
    the forest is the same)."""
    pipeline = clone(search.best_estimator_)
    chosen = search.best_estimator_[-1]
    if isinstance(chosen, HistGradientBoostingClassifier) and chosen.do_early_stopping_:
        pipeline.set_params(model__early_stopping=False, model__max_iter=int(chosen.n_iter_))
    if isinstance(chosen, RandomForestClassifier):
        drawn = chosen.max_samples  # None: every row; a float: a share of them; an int: rows
        per_tree = drawn if isinstance(drawn, int) else (drawn or 1.0) * n_rows
        if per_tree > FOREST_TREE_ROWS:
            pipeline.set_params(model__max_samples=FOREST_TREE_ROWS)
        pipeline.set_params(model__n_jobs=n_jobs)  # its trees on n_jobs threads: same trees
    return pipeline


def _refit_best(search: ModelSelection, X: pd.DataFrame, y, n_jobs: int | None = None) -> None:
    """The chosen model refitted with its parameters on all of ``X, y`` (cached), in place of
    its fit on the selection subsample (the pipeline :func:`refit_pipeline` prepares)."""
    pipeline = refit_pipeline(search, len(X), n_jobs)
    search.best_key_ = fit_model.key(pipeline, X, y)  # before the fit: a key is of inputs
    refitted = fit_model(pipeline, X, y)
    search.best_estimator_ = refitted
    search.searches_[search.best_name_].best_estimator_ = refitted
