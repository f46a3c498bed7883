"""Genre probabilities of a saved classifier for one point at a time.

A slider move runs the classifier on one row, where scikit-learn's per-call overhead outweighs
the arithmetic (a forest dispatches every tree through joblib). :class:`ProbaFunction` sums the
trees of a scaler + random forest itself, through scikit-learn's public API (the same numbers:
it checks them against the pipeline when it starts, and the tests do too); other pipelines,
gradient boosting included, run as they are, with OpenMP on one thread (on a busy machine OpenMP
threads wait for each other far longer than they compute). ``benchmarks/bench_predictor.py``
measures slider-to-probabilities time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

log = logging.getLogger(__name__)


class ProbaFunction:
    """``predict_proba`` of a saved pipeline on a float array (one row per point, model's columns).

    For one point, scikit-learn's per-call overhead outweighs the arithmetic, so one pipeline
    shape gets a direct path: ``StandardScaler`` + random forest / extra trees (each tree's
    public ``predict_proba`` summed without joblib, as scikit-learn does). It is used only if it
    agrees with the pipeline to 1e-9 on ``probe`` points; otherwise, and for any other pipeline,
    the pipeline runs on a DataFrame with OpenMP limited to one thread (on a busy machine OpenMP
    threads wait for each other far longer than they compute).

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
    kind : {"forest", "pipeline"}
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
        if not (
            isinstance(model, (RandomForestClassifier, ExtraTreesClassifier))
            and model.n_outputs_ == 1
        ):
            return
        self._forest, self.kind = model, "forest"
        try:
            if probe is None:
                probe = np.vstack([np.zeros(len(self.features)), scaler.mean_])
            probe = np.asarray(probe, dtype=np.float64).reshape(-1, len(self.features))
            expected = self._pipeline_proba(probe)
            if not np.allclose(self(probe), expected, rtol=0, atol=1e-9):
                raise ValueError("direct path disagrees with the pipeline")
        except Exception as exc:  # scikit-learn changed under us: the plain path is right
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
        return self._pipeline_proba(X)
