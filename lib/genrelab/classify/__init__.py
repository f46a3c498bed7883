"""Genre classifiers: feature sets, honest splits, the grid-search helper, scores, notebook 03's
evaluation.

Modules, in the order their imports flow:

pipelines   what a classifier sees: feature sets, model frames, the stacked text feature
split       the honest split: one row per track, test artists unseen in training
selection   choosing a classifier: grouped CV, the grid-search helper (ModelSelection)
scoring     baselines, metrics with intervals, confusions, importances, the reading tree
fits        one model scored on a test split; the expensive fits, cached by their inputs
evaluation  notebook 03's study as dataclasses, recorded in metrics.json

The public names of the modules below are importable from the package itself.
"""

from __future__ import annotations

from genrelab.classify.evaluation import (
    ClassificationEvaluation,
    FullModel,
    Importances,
    LeakyComparison,
    ReadingTree,
    TestScores,
    evaluate_classifiers,
    feature_importances,
    fit_full_model,
    fit_full_models,
    leaky_comparison,
    reading_tree,
    score_on_test,
)
from genrelab.classify.fits import (
    Scored,
    cached_permutation_importances,
    fit_and_cross_validate,
    fit_model,
    score,
)
from genrelab.classify.pipelines import (
    OutOfFoldProba,
    SubsampledClassifier,
    TrainingDataError,
    check_training_frame,
    feature_columns,
    make_pipeline_for,
    model_frame,
    text_model,
    text_vectorizer,
)
from genrelab.classify.scoring import (
    RandomGuess,
    accuracy_lines,
    baselines,
    bootstrap_accuracy_interval,
    classification_metrics,
    confused_tracks,
    confusion_counts,
    cv_accuracy,
    export_tree_dot,
    fit_decision_tree,
    headline_table,
    impurity_importances,
    interval95,
    metrics_table,
    permutation_importances,
    prediction_metrics,
    top2_note,
    top_confusions,
    with_interval,
    with_test_interval,
)
from genrelab.classify.selection import (
    ModelSelection,
    artist_groups,
    default_grids,
    default_models,
    grid_search,
    grouped_cv,
    honest_split,
    leaky_split,
    search_model,
)
from genrelab.classify.split import (
    HonestSplit,
    split_tracks,
)

__all__ = [
    "ClassificationEvaluation",
    "FullModel",
    "HonestSplit",
    "Importances",
    "LeakyComparison",
    "ModelSelection",
    "OutOfFoldProba",
    "RandomGuess",
    "ReadingTree",
    "Scored",
    "SubsampledClassifier",
    "TestScores",
    "TrainingDataError",
    "accuracy_lines",
    "artist_groups",
    "baselines",
    "bootstrap_accuracy_interval",
    "cached_permutation_importances",
    "check_training_frame",
    "classification_metrics",
    "confused_tracks",
    "confusion_counts",
    "cv_accuracy",
    "default_grids",
    "default_models",
    "evaluate_classifiers",
    "export_tree_dot",
    "feature_columns",
    "feature_importances",
    "fit_and_cross_validate",
    "fit_decision_tree",
    "fit_full_model",
    "fit_full_models",
    "fit_model",
    "grid_search",
    "grouped_cv",
    "headline_table",
    "honest_split",
    "impurity_importances",
    "interval95",
    "leaky_comparison",
    "leaky_split",
    "make_pipeline_for",
    "metrics_table",
    "model_frame",
    "permutation_importances",
    "prediction_metrics",
    "reading_tree",
    "score",
    "score_on_test",
    "search_model",
    "split_tracks",
    "text_model",
    "text_vectorizer",
    "top2_note",
    "top_confusions",
    "with_interval",
    "with_test_interval",
]
