"""Notebook 03's study as small results: honest split, scores, full set, leaky split, verdict.

Each step is one function returning a dataclass, so the notebook only calls, displays and plots:

1. :func:`genrelab.classify.split.split_tracks` - one row per track and an artist-grouped
   train/test split (:class:`~genrelab.classify.split.HonestSplit`);
2. :func:`score_on_test` - every grid-searched model and the baselines, fitted on the training
   split, scored once on the held-out artists (:class:`TestScores` of
   :class:`~genrelab.classify.fits.Scored`);
3. :func:`fit_full_model` - a full feature set (audio, release year, popularity, stacked text
   probabilities; ``full_2026`` without popularity) with its grouped cross-validation folds
   (:class:`FullModel`), on the columns the table holds;
4. :func:`leaky_comparison` - the seed's row split of the raw per-playlist table
   (:class:`LeakyComparison`);
5. :func:`evaluate_classifiers` - honest (per feature set), leaky and baselines side by side
   (:class:`ClassificationEvaluation`), whose :meth:`~ClassificationEvaluation.metrics` is the
   ``classification`` section of ``metrics.json``.

Display labels (``"honest · audio (random_forest)"``) are made for tables and figures only; the
results are keyed by feature set and baseline name.

Example
-------
>>> from genrelab import classify, tables                              # doctest: +SKIP
>>> rows = tables.load_tracks(invalid="drop")                         # doctest: +SKIP
>>> split = classify.split_tracks(rows, "drop_conflicting")           # doctest: +SKIP
>>> X = classify.model_frame(split.tracks, "audio")                   # doctest: +SKIP
>>> search = classify.grid_search(split.train_rows(X), split.y_train,
...                               split.groups_train)                 # doctest: +SKIP
>>> scores = classify.score_on_test(search, split, X)                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from tqdm.auto import tqdm

from genrelab import tables
from genrelab.classify import pipelines, scoring
from genrelab.classify import selection as sel
from genrelab.classify.fits import (
    Scored,
    cached_permutation_importances,
    fit_and_cross_validate,
    fit_model,
    score,
)
from genrelab.classify.split import HonestSplit
from genrelab.schema import LABEL, NAME_COLUMNS

__all__ = [
    "TestScores",
    "score_on_test",
    "FullModel",
    "fit_full_model",
    "fit_full_models",
    "LeakyComparison",
    "leaky_comparison",
    "ClassificationEvaluation",
    "evaluate_classifiers",
    "Importances",
    "feature_importances",
    "ReadingTree",
    "reading_tree",
]


# --- every model on the test split ----------------------------------------------------------------
@dataclass(frozen=True)
class TestScores:
    """Every grid-searched model (its best parameters) and every baseline on the held-out rows."""

    models: dict[str, Scored]
    baselines: dict[str, Scored]
    best: str

    @property
    def best_scored(self) -> Scored:
        """The scores of the model the grid search chose."""
        return self.models[self.best]

    def table(self) -> pd.DataFrame:
        """One row per model, then per baseline
        (:func:`genrelab.classify.scoring.metrics_table`)."""
        everything = {**self.models, **self.baselines}
        return scoring.metrics_table({name: s.metrics for name, s in everything.items()})


def score_on_test(
    search: sel.ModelSelection, split: HonestSplit, X: pd.DataFrame, progress: bool = True
) -> TestScores:
    """Fit the baselines on the training rows of ``X`` and score them with every model of the
    fitted ``search`` on the held-out rows (a tqdm bar over the models: a minute at 1.2M
    tracks)."""
    X_train, X_test = split.train_rows(X), split.test_rows(X)
    baselines = {
        name: b.fit(X_train, split.y_train) for name, b in scoring.baselines(split.seed).items()
    }
    todo = [("models", n, s.best_estimator_) for n, s in search.searches_.items()]
    todo += [("baselines", n, b) for n, b in baselines.items()]
    scored: dict[str, dict[str, Scored]] = {"models": {}, "baselines": {}}
    for kind, name, model in tqdm(todo, desc="test scores", unit="model", disable=not progress):
        scored[kind][name] = score(model, X_test, split.y_test, name, split.groups_test, split.seed)
    return TestScores(scored["models"], scored["baselines"], best=search.best_name_)


# --- the full feature set -------------------------------------------------------------------------
@dataclass(frozen=True)
class FullModel:
    """A full feature set's pipeline, its parameters, grouped CV folds and test scores."""

    feature_set: str
    model_name: str
    pipeline: Any
    params: dict[str, Any]
    fold_scores: np.ndarray
    X: pd.DataFrame
    scored: Scored

    @property
    def features_used(self) -> list[str]:
        """The columns the model read: the feature set's columns that the table holds."""
        return list(self.X.columns)


def fit_full_model(
    split: HonestSplit,
    search: sel.ModelSelection | None,
    model_name: str,
    model_params: Mapping[str, Any] | None = None,
    text_columns: Sequence[str] = NAME_COLUMNS,
    cv_folds: int = 3,
    n_jobs: int | None = None,
    feature_set: str = "full",
) -> FullModel:
    """Fit ``model_name`` (a name of :func:`genrelab.classify.selection.default_models`) on a full
    feature set (``"full"`` or ``"full_2026"``) of the training split, cross-validate it over
    artist-grouped folds and score it on the held-out artists.

    ``model_params`` are the model's own parameters; empty takes the audio grid search's best
    for that model (none if it was not searched).
    """
    prepared = _prepare_full_fit(
        split, search, model_name, model_params, text_columns, cv_folds, feature_set
    )
    return _fit_prepared(split, model_name, feature_set, prepared, n_jobs)


@dataclass(frozen=True)
class _PreparedFit:
    """A full set ready to fit: its pipeline parameters, its model frame, and the pipeline with
    the training rows and folds it is fitted and cross-validated on. Prepared apart from the fit
    so :func:`fit_full_models` can ask the cache about every set before starting processes."""

    params: dict[str, Any]
    X: pd.DataFrame
    pipeline: Any
    X_train: pd.DataFrame
    y_train: Any
    cv: Any
    groups: Any

    @property
    def fit_args(self) -> tuple[Any, pd.DataFrame, Any, Any, Any]:
        """:func:`fit_and_cross_validate`'s positional arguments, in its order (its cache key)."""
        return (self.pipeline, self.X_train, self.y_train, self.cv, self.groups)


def _fit_prepared(split, model_name, feature_set, prepared: _PreparedFit, n_jobs) -> FullModel:
    """Fit, cross-validate and score a full set prepared by :func:`_prepare_full_fit`."""
    X_test, y_test = split.test_rows(prepared.X), split.y_test
    pipeline, folds, scored = _fit_and_score(
        prepared, X_test, y_test, split.groups_test, split.seed, model_name, feature_set, n_jobs
    )
    return FullModel(feature_set, model_name, pipeline, prepared.params, folds, prepared.X, scored)


def _fit_and_score(
    prepared: _PreparedFit, X_test, y_test, groups_test, seed, model_name, feature_set, n_jobs
):
    """What a worker of :func:`fit_full_models` computes: it is sent the training and test rows
    only (not the whole table), and sends back the fitted pipeline, its folds and its scores."""
    pipeline, folds = fit_and_cross_validate(*prepared.fit_args, n_jobs=n_jobs)
    name = f"{feature_set} ({model_name})"
    scored = score(pipeline, X_test, y_test, name, groups_test, seed)
    return pipeline, folds, scored


def _prepare_full_fit(
    split, search, model_name, model_params, text_columns, cv_folds, feature_set, max_rows=None
) -> _PreparedFit:
    """A full set's pipeline parameters, model frame and :func:`fit_and_cross_validate`'s
    arguments."""
    models = sel.default_models(split.seed)
    if model_name not in models:
        raise ValueError(f"unknown full model {model_name!r}; choose from {list(models)}")
    if model_params:
        params = {f"model__{name}": value for name, value in model_params.items()}
    elif search is not None and model_name in search.searches_:
        params = search.searches_[model_name].best_params_
    else:
        params = {}
    X = pipelines.model_frame(split.tracks, feature_set, text_columns)
    pipeline = pipelines.make_pipeline_for(
        models[model_name], feature_set, text_columns, split.group_column, columns=X.columns
    )
    cv = sel.grouped_cv(cv_folds, split.seed)
    pipeline.set_params(**params)
    X_train, y_train, groups = split.train_rows(X), split.y_train, split.groups_train
    rows = sel.selection_rows(groups, max_rows, split.seed)
    if rows is not None:  # a large table: fitted and cross-validated on the subsample
        X_train, y_train, groups = X_train.iloc[rows], y_train[rows], groups[rows]
    return _PreparedFit(
        params=params,
        X=X,
        pipeline=pipeline,
        X_train=X_train,
        y_train=y_train,
        cv=cv,
        groups=groups,
    )


def fit_full_models(
    split: HonestSplit,
    search: sel.ModelSelection | None,
    model_name: str,
    model_params: Mapping[str, Any] | None = None,
    text_columns: Sequence[str] = NAME_COLUMNS,
    cv_folds: int = 3,
    n_jobs: int | None = None,
    feature_sets: Sequence[str] = ("full", "full_2026"),
    max_rows: int | None = None,
    progress: bool = True,
) -> list[FullModel]:
    """:func:`fit_full_model` for each of ``feature_sets``, up to ``n_jobs`` sets at once (one
    process each, its fits one after the other: a set's fit and folds then keep a core busy
    all along instead of leaving one idle in its last round of folds). The same models.

    With more training rows than ``max_rows`` (notebook 03's ``selection_max_rows``), each set
    is fitted and cross-validated on the seeded, artist-grouped selection subsample
    (:func:`genrelab.classify.selection.selection_rows`; its stacked text model holds a sparse
    row of n-grams per track: 1.8 GB for a million) and scored on all the test rows."""
    args = (split, search, model_name, model_params, text_columns, cv_folds)
    prepared = {
        feature_set: _prepare_full_fit(*args, feature_set, max_rows) for feature_set in feature_sets
    }
    cached = all(fit_and_cross_validate.in_cache(*p.fit_args) for p in prepared.values())
    bar = {"desc": "full feature sets", "unit": "set", "disable": not progress}
    if len(feature_sets) > 1 and (n_jobs or 1) > 1 and not cached:  # no processes to read back
        parallel = Parallel(n_jobs=min(n_jobs or 1, len(feature_sets)), return_as="generator")
        done = parallel(
            delayed(_fit_and_score)(
                replace(p, X=p.X.iloc[:0]),
                split.test_rows(p.X),
                split.y_test,
                split.groups_test,
                split.seed,
                model_name,
                fs,
                1,
            )
            for fs, p in prepared.items()
        )
        results = tqdm(done, total=len(prepared), **bar)
        return [
            FullModel(fs, model_name, pipeline, p.params, folds, p.X, scored)
            for (fs, p), (pipeline, folds, scored) in zip(prepared.items(), results, strict=True)
        ]
    steps = tqdm(prepared.items(), total=len(prepared), **bar)
    return [_fit_prepared(split, model_name, fs, p, n_jobs) for fs, p in steps]


# --- the seed's leaky split -----------------------------------------------------------------------
@dataclass(frozen=True)
class LeakyComparison:
    """A pipeline refitted on the seed's row split of the raw table, and how the split leaks."""

    pipeline: Any
    scored: Scored
    seen_share: float  # share of test rows whose track is also among the training rows
    sampled_tracks: int | None = None  # a large table: the tracks sampled for it (else all)

    def policy(self) -> dict[str, Any]:
        split = "stratified row split of the raw per-playlist table"
        if self.sampled_tracks is not None:  # only said when it happened (the snapshot: never)
            split += f" of a seeded sample of {self.sampled_tracks:,} tracks"
        return {"leaky_split": split, "leaky_seen_share": self.seen_share}


def leaky_comparison(
    rows: pd.DataFrame,
    pipeline,
    test_size: float = 0.2,
    seed: int = 42,
    max_rows: int | None = None,
) -> LeakyComparison:
    """A clone of ``pipeline`` fitted and scored on the seed's stratified row split of the raw
    per-playlist ``rows`` (no dedup: the same track, and artist, on both sides); its interval,
    too, is bootstrapped over the test rows' artists.

    ``max_rows`` (notebook 03's ``selection_max_rows``) bounds the illustration on large
    tables: with more than ``max_rows / (1 - test_size)`` tracks, a seeded sample of that many
    tracks with all their rows is split (:func:`~genrelab.tables.read.sample_tracks`), so the
    leaky training split holds about ``max_rows`` tracks and a track's copies still leak."""
    sampled = None
    if max_rows and max_rows > 0:
        n_tracks = int(np.ceil(max_rows / (1 - test_size)))
        if rows["track_id"].nunique() > n_tracks:
            rows, sampled = tables.sample_tracks(rows, n_tracks, seed=seed), n_tracks
    X = pipelines.model_frame(rows, "audio")
    y = rows[LABEL].to_numpy()
    train, test = sel.leaky_split(rows, test_size, seed)
    leaky = fit_model(clone(pipeline), X.iloc[train], y[train])
    ids = rows["track_id"]
    seen = float(ids.iloc[test].isin(ids.iloc[train]).mean())
    groups = sel.artist_groups(rows)[test] if "track_artist" in rows else None
    scored = score(leaky, X.iloc[test], y[test], "leaky audio", groups, seed)
    return LeakyComparison(leaky, scored, seen, sampled)


# --- honest against leaky against chance ---------------------------------------------------------
@dataclass(frozen=True)
class ClassificationEvaluation:
    """Honest results per feature set, the leaky one, the baselines, and the policy behind them.

    Every result carries ``accuracy`` on its test split with ``test_ci95``, the 95 % interval
    of that accuracy bootstrapped over the test artists
    (:func:`genrelab.classify.scoring.with_test_interval`). ``honest["audio"]`` and each full
    set's (``honest["full"]``, ``honest["full_2026"]``) also carry a second estimate, grouped
    cross-validation on the training split: ``cv_mean`` and ``ci95``, the 95 % t-interval of
    its folds (:func:`genrelab.classify.scoring.with_interval`), shown apart and labelled as CV.
    """

    best_model: str
    full_model: str
    full_params: dict[str, Any]
    features_used: dict[str, list[str]]  # per full feature set, the columns it read
    honest: dict[str, dict[str, Any]]
    leaky: dict[str, dict[str, Any]]
    baseline: dict[str, dict[str, Any]]
    policy: dict[str, Any] = field(default_factory=dict)

    def labels(self) -> dict[tuple[str, str], str]:
        """Display labels for ``(kind, name)``: ``("honest", "audio")`` -> ``"honest · audio
        (random_forest)"``."""
        names = {
            "audio": f"audio ({self.best_model})",
            "full": f"full ({self.full_model} + text)",
            "full_2026": f"full_2026 ({self.full_model} + text, no popularity)",
        }
        out = {("honest", fs): f"honest · {names.get(fs, fs)}" for fs in self.honest}
        out.update({("leaky", fs): f"leaky · {fs} (seed's row split)" for fs in self.leaky})
        out.update({("baseline", name): f"baseline · {name}" for name in self.baseline})
        return out

    def headline_table(self) -> pd.DataFrame:
        """One row per result (honest, leaky, baselines) for display and the accuracy figure."""
        kinds = {"honest": self.honest, "leaky": self.leaky, "baseline": self.baseline}
        results, kind_of = {}, {}
        for (kind, name), label in self.labels().items():
            results[label], kind_of[label] = kinds[kind][name], kind
        return scoring.headline_table(results, kind_of)

    def summary_markdown(self) -> str:
        """Each accuracy with the interval of that same test accuracy, and the grouped CV
        estimate on a line of its own (:func:`genrelab.classify.scoring.accuracy_lines`)."""
        labels = self.labels()
        results = {labels[("honest", n)]: r for n, r in self.honest.items()}
        results.update({labels[("leaky", n)]: r for n, r in self.leaky.items()})
        return scoring.accuracy_lines(results)

    def improvement_over(self, baseline: str, feature_set: str = "audio") -> float:
        """Honest accuracy of a feature set minus a baseline's."""
        return self.honest[feature_set]["accuracy"] - self.baseline[baseline]["accuracy"]

    def metrics(self) -> dict[str, Any]:
        """The ``classification`` section of ``metrics.json``."""
        return {
            "policy": self.policy,
            "best_model": self.best_model,
            "honest": {
                "audio": self.honest["audio"],
                **{
                    fs: {**self.honest[fs], "params": self.full_params, "features_used": used}
                    for fs, used in self.features_used.items()
                },
            },
            "leaky": self.leaky,
            "baseline": self.baseline,
            "improvement_over_majority": self.improvement_over("majority"),
            "improvement_over_random": self.improvement_over("random"),
        }


def evaluate_classifiers(
    split: HonestSplit,
    search: sel.ModelSelection,
    scores: TestScores,
    full: FullModel | Sequence[FullModel],
    leaky: LeakyComparison,
    cv_folds: int,
) -> ClassificationEvaluation:
    """Put the honest results (audio: the chosen model; each full feature set), the leaky one
    and the baselines side by side, with the policy that produced them."""
    fulls = [full] if isinstance(full, FullModel) else list(full)
    return ClassificationEvaluation(
        best_model=search.best_name_,
        full_model=fulls[0].model_name if fulls else "",
        full_params=fulls[0].params if fulls else {},
        features_used={f.feature_set: f.features_used for f in fulls},
        honest={
            "audio": scoring.with_interval(scores.best_scored.metrics, search.fold_scores()),
            **{
                f.feature_set: scoring.with_interval(f.scored.metrics, f.fold_scores) for f in fulls
            },
        },
        leaky={"audio": leaky.scored.metrics},
        baseline={name: s.metrics for name, s in scores.baselines.items()},
        policy={**split.policy(cv_folds), **_selection_policy(search, cv_folds), **leaky.policy()},
    )


def _selection_policy(search: sel.ModelSelection, cv_folds: int) -> dict[str, Any]:
    """How a large table's models were chosen (nothing when on all training rows, as on the
    snapshot): the selection subsample, and that the chosen model was refitted on all rows."""
    n = getattr(search, "selection_rows_", None)
    if n is None:
        return {}
    return {
        "selection": (
            f"grid search, {cv_folds} folds and the full sets on a seeded artist-grouped "
            f"subsample of {n:,} training tracks; the chosen audio model refitted on all"
        ),
        "selection_rows": n,
    }


# --- reading the models ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Importances:
    """Impurity importances of the random forest (NaN when it was not searched) and permutation
    importances of the chosen model on held-out rows."""

    impurity: pd.Series
    permutation: pd.DataFrame


def feature_importances(
    search: sel.ModelSelection,
    split: HonestSplit,
    X: pd.DataFrame,
    *,
    n_repeats: int = 3,
    n_jobs: int | None = None,
) -> Importances:
    """Both kinds of importance of the audio features ``X`` (aligned with ``split.tracks``)."""
    permutation = cached_permutation_importances(
        search.best_estimator_,
        search.best_key_,
        split.test_rows(X),
        split.y_test,
        n_repeats=n_repeats,
        seed=split.seed,
        n_jobs=n_jobs,
    )
    if "random_forest" in search.searches_:
        forest = search.searches_["random_forest"].best_estimator_
        impurity = scoring.impurity_importances(forest, X.columns)
    else:
        impurity = permutation["mean"] * np.nan
    return Importances(impurity, permutation)


@dataclass(frozen=True)
class ReadingTree:
    """A shallow decision tree on the raw features and its accuracy on held-out artists."""

    tree: Any
    depth: int
    accuracy: float

    def metrics(self) -> dict[str, Any]:
        return {"depth": self.depth, "accuracy": self.accuracy}


def reading_tree(split: HonestSplit, X: pd.DataFrame, depth: int = 3) -> ReadingTree:
    """Fit :func:`genrelab.classify.scoring.fit_decision_tree` on the training rows of ``X``."""
    tree = scoring.fit_decision_tree(split.train_rows(X), split.y_train, depth, split.seed)
    accuracy = (tree.predict(split.test_rows(X)) == split.y_test).mean()
    return ReadingTree(tree, depth, float(accuracy))
