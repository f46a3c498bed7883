"""Genre probabilities of a saved classifier for one point at a time, fast.

A slider move runs the classifier on one row, where scikit-learn's per-call overhead outweighs
the arithmetic (a forest dispatches every tree through joblib; gradient boosting calls one
predictor per tree and class). :class:`ProbaFunction` evaluates a scaler + random forest and a
scaler + numeric gradient boosting directly (the same numbers: it checks them against the
pipeline when it starts, and the tests do too); other pipelines run as they are, with OpenMP on
one thread (on a busy machine OpenMP threads wait for each other far longer than they compute).
``benchmarks/bench_predictor.py`` measures slider-to-probabilities time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

log = logging.getLogger(__name__)


class _BoostedTrees:
    """All trees of a fitted numeric-only ``HistGradientBoostingClassifier``, walked together.

    scikit-learn evaluates one tree predictor after the other (iterations x classes calls, each
    with its own overhead); for one point, stepping every tree one level down at once with numpy
    is about ten times faster. Same comparisons (``x <= threshold`` goes left, NaN follows
    ``missing_go_to_left``), same leaf values and link function; only the summation order differs.
    """

    def __init__(self, model):
        nodes, roots, klass = [], [], []
        offset = 0
        for iteration in model._predictors:
            for k, tree in enumerate(iteration):
                n = tree.nodes
                if n["is_categorical"].any():
                    raise ValueError("categorical splits")
                nodes.append(n)
                roots.append(offset)
                klass.append(k)
                offset += len(n)
        flat = np.concatenate(nodes)
        shift = np.repeat(roots, [len(n) for n in nodes])
        self.feature = flat["feature_idx"].astype(np.intp)
        self.threshold = flat["num_threshold"].astype(np.float64)
        self.missing_left = flat["missing_go_to_left"].astype(bool)
        self.leaf = flat["is_leaf"].astype(bool)
        self.left = np.where(self.leaf, 0, flat["left"].astype(np.intp) + shift)
        self.right = np.where(self.leaf, 0, flat["right"].astype(np.intp) + shift)
        self.value = flat["value"].astype(np.float64)
        self.roots = np.asarray(roots, dtype=np.intp)
        self.klass = np.asarray(klass, dtype=np.intp)
        self.depth = int(flat["depth"].max())
        self.n_k = model.n_trees_per_iteration_
        self.baseline = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(1, -1)
        self.loss = model._loss

    def predict_proba(self, Z: np.ndarray) -> np.ndarray:
        rows = np.arange(len(Z))[:, None]
        idx = np.broadcast_to(self.roots, (len(Z), len(self.roots))).copy()
        for _ in range(self.depth):
            x = Z[rows, self.feature[idx]]
            go_left = np.where(np.isnan(x), self.missing_left[idx], x <= self.threshold[idx])
            idx = np.where(self.leaf[idx], idx, np.where(go_left, self.left[idx], self.right[idx]))
        raw = np.empty((len(Z), self.n_k))
        for i in range(len(Z)):
            raw[i] = np.bincount(self.klass, weights=self.value[idx[i]], minlength=self.n_k)
        raw += self.baseline
        return np.asarray(self.loss.predict_proba(np.asfortranarray(raw) if self.n_k > 1 else raw))


class ProbaFunction:
    """``predict_proba`` of a saved pipeline on a float array (one row per point, model's columns).

    For one point, scikit-learn's per-call overhead outweighs the arithmetic, so two pipeline
    shapes get a direct path: ``StandardScaler`` + random forest / extra trees (each tree's
    ``predict_proba`` summed without joblib, as scikit-learn does), and ``StandardScaler`` +
    numeric ``HistGradientBoostingClassifier`` (:class:`_BoostedTrees`). A direct path is used only
    if it agrees with the pipeline to 1e-9 on ``probe`` points; otherwise, and for any other
    pipeline, the pipeline runs on a DataFrame with OpenMP limited to one thread (on a busy
    machine OpenMP threads wait for each other far longer than they compute).

    Parameters
    ----------
    pipeline : fitted classifier pipeline with ``predict_proba`` and ``classes_``
    features : list of str
        Column names, in the order of the array's columns.
    probe : array, optional
        Points to check a direct path against the pipeline on (default: zeros and the scaler's
        mean).

    Attributes
    ----------
    kind : {"forest", "boosting", "pipeline"}
        The path in use.
    """

    def __init__(self, pipeline, features: Sequence[str], probe: np.ndarray | None = None):
        self.pipeline = pipeline
        self.features = list(features)
        self.classes = [str(c) for c in pipeline.classes_]
        self.kind = "pipeline"
        self._threads = ThreadpoolController()
        steps = [s for _, s in pipeline.steps] if isinstance(pipeline, Pipeline) else []
        if len(steps) != 2 or type(steps[0]) is not StandardScaler:
            return
        scaler, model = steps
        self._mean = scaler.mean_ if scaler.with_mean else None
        self._scale = scaler.scale_ if scaler.with_std else None
        try:
            if (
                isinstance(model, (RandomForestClassifier, ExtraTreesClassifier))
                and model.n_outputs_ == 1
            ):
                self._forest, self.kind = model, "forest"
            elif type(model) is HistGradientBoostingClassifier and model._preprocessor is None:
                self._boosted, self.kind = _BoostedTrees(model), "boosting"
            else:
                return
            if probe is None:
                probe = np.vstack([np.zeros(len(self.features)), scaler.mean_])
            probe = np.asarray(probe, dtype=np.float64).reshape(-1, len(self.features))
            expected = self._pipeline_proba(probe)
            if not np.allclose(self(probe), expected, rtol=0, atol=1e-9):
                raise ValueError("direct path disagrees with the pipeline")
        except Exception as exc:  # private scikit-learn internals moved: the plain path is right
            log.warning("predictor: %s path not used (%s); calling the pipeline", self.kind, exc)
            self.kind = "pipeline"

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        Z = X - self._mean if self._mean is not None else X.copy()
        if self._scale is not None:
            Z /= self._scale
        return Z

    def _pipeline_proba(self, X: np.ndarray) -> np.ndarray:
        with self._threads.limit(limits=1, user_api="openmp"):
            return np.asarray(self.pipeline.predict_proba(pd.DataFrame(X, columns=self.features)))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape ``(n_points, n_classes)``."""
        X = np.asarray(X, dtype=np.float64).reshape(-1, len(self.features))
        if self.kind == "forest":
            Z = np.ascontiguousarray(self._scaled(X), dtype=np.float32)
            total = np.zeros((len(Z), len(self.classes)))
            for tree in self._forest.estimators_:
                total += tree.predict_proba(Z, check_input=False)
            return total / len(self._forest.estimators_)
        if self.kind == "boosting":
            return self._boosted.predict_proba(self._scaled(X))
        return self._pipeline_proba(X)
