"""The predictor's Gaussian mixture: fitted on a run's tracks, cached in the run, each cluster's
genres.

:func:`cluster_model` loads the run's cached mixture or fits one (notebook 04's choice of k and
covariance type) and caches it; :class:`ClusterModel` gives a point's cluster posterior and
each cluster's commonest genres (:func:`genrelab.mixture.partition.label_shares`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from genrelab import persist, runs, schema, tables
from genrelab.mixture.em import COVARIANCE_TYPES, GaussianMixtureEM
from genrelab.mixture.partition import label_shares

log = logging.getLogger(__name__)


@dataclass
class ClusterModel:
    """A Gaussian mixture on the standardized continuous features, with each cluster's genres.

    Attributes
    ----------
    pipeline : Pipeline
        ``StandardScaler`` + fitted :class:`~genrelab.mixture.em.GaussianMixtureEM`.
    meta : dict
        ``k``, ``covariance_type``, ``features``, ``n_tracks``, ``source``, ``seed``,
        ``genre_share`` (per cluster: share of its tracks in each genre, hard assignment).
    """

    pipeline: Any
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        scaler, self._gmm = self.pipeline[0], self.pipeline[-1]
        self._mean, self._scale = scaler.mean_, scaler.scale_

    @property
    def features(self) -> list[str]:
        return list(self.meta["features"])

    def posterior(self, X: np.ndarray) -> np.ndarray:
        """Cluster responsibilities of points given in :attr:`features` order, ``(n, k)``."""
        X = np.asarray(X, dtype=np.float64).reshape(-1, len(self.features))
        return self._gmm.predict_proba((X - self._mean) / self._scale)

    def labels(self, top: int = 2) -> list[str]:
        """``"cluster 1: rock 38%, pop 21%"``: each cluster and its commonest genres."""
        out = []
        for i, share in enumerate(self.meta["genre_share"]):
            best = sorted(share.items(), key=lambda kv: -kv[1])[:top]
            genres = ", ".join(f"{g} {v:.0%}" for g, v in best if v > 0)
            out.append(f"cluster {i + 1}: {genres}" if genres else f"cluster {i + 1}")
        return out


def cluster_settings(
    run_dir: Path,
    k: int | None,
    covariance_type: str | None,
    max_tracks: int,
    seed: int,
    features: Sequence[str] | None = None,
) -> dict:
    """The mixture's settings: the arguments, else notebook 04's choice in ``metrics.json``;
    ``features`` default to the continuous features."""
    metrics: dict = {}
    path = Path(run_dir) / runs.METRICS_FILE
    if path.exists():
        try:
            metrics = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            log.warning("%s is unreadable (%s): the mixture uses its default settings", path, exc)
    chosen = k or runs.lookup(metrics, schema.Metric.GMM_K_BIC) or 6
    if isinstance(chosen, bool) or not isinstance(chosen, int) or chosen < 1:
        log.warning("%s: gmm k %r is not a number of components: k = 6 instead", path, chosen)
        chosen = 6
    covariance = (
        covariance_type or runs.lookup(metrics, schema.Metric.GMM_COVARIANCE_TYPE_BIC) or "full"
    )
    if covariance not in COVARIANCE_TYPES:
        log.warning("%s: covariance type %r is unknown: full instead", path, covariance)
        covariance = "full"
    return {
        "k": chosen,
        "covariance_type": covariance,
        "features": list(features or schema.CONTINUOUS_FEATURES),
        "max_tracks": int(max_tracks),
        "seed": int(seed),
    }


def _cached_mixture(run_dir: Path, settings: Mapping[str, Any]) -> ClusterModel | None:
    try:
        cached = persist.load_mixture(run_dir)
    except Exception as exc:  # a broken or refused cache is refitted (and overwritten), not fatal
        log.warning("%s: cannot reuse the cached mixture (%s); refitting", run_dir, exc)
        return None
    if cached is None or any(cached.meta.get(key) != value for key, value in settings.items()):
        return None
    return ClusterModel(cached.pipeline, cached.meta)


def cluster_model(
    run_dir: Path,
    *,
    k: int | None = None,
    covariance_type: str | None = None,
    max_tracks: int = 5000,
    seed: int = 42,
    tracks: pd.DataFrame | None = None,
    features: Sequence[str] | None = None,
) -> ClusterModel:
    """The run's Gaussian mixture for the predictor: loaded from its cache, or fitted and cached.

    Parameters
    ----------
    run_dir : path
        The run; its ``metrics.json`` gives ``gmm.k_bic`` and ``gmm.covariance_type_bic``.
    k, covariance_type : optional
        Override the run's choice (defaults: k 6, full covariances, when notebook 04 did not run).
    max_tracks : int
        Fit on a random subset of at most this many tracks (a fit takes well under a second).
    seed : int
        Random state of the subset and of the EM initialisation.
    tracks : DataFrame, optional
        Tracks to fit on; default the run's ``tracks`` table (one row per track) or the snapshot.
    features : list of str, optional
        The features of the mixture; default the continuous features.

    Returns
    -------
    ClusterModel
        Cached in ``<run>/predictor_gmm.skops`` + ``.json`` (:func:`genrelab.persist.save_mixture`;
        refitted when the settings change; a read-only run keeps it in memory).
    """
    run_dir = Path(run_dir)
    settings = cluster_settings(run_dir, k, covariance_type, max_tracks, seed, features)
    if tracks is None:
        cached = _cached_mixture(run_dir, settings)
        if cached is not None:
            return cached
    source = "given tracks"
    if tracks is None:
        table = run_dir / f"{runs.TRACKS_TABLE}.parquet"
        if table.exists():
            tracks = pd.read_parquet(table).drop_duplicates("track_id")
            source = f"run {run_dir.name}"
        else:
            tracks, source = tables.snapshot_tracks(), "snapshot"
    feats = settings["features"]
    tracks = tracks.dropna(subset=feats)
    if len(tracks) > settings["max_tracks"]:
        tracks = tracks.sample(settings["max_tracks"], random_state=settings["seed"])
    X = tracks[feats].to_numpy(dtype=np.float64)
    if len(X) < settings["k"]:  # gmm_max_tracks (or the table) smaller than k: fewer clusters
        log.warning(
            "the predictor's mixture has %d track(s) for k = %d components: k = %d instead "
            "(raise gmm_max_tracks for the run's own k)",
            len(X),
            settings["k"],
            max(len(X), 1),
        )
    gmm = GaussianMixtureEM(
        n_components=max(1, min(settings["k"], len(X))),
        covariance_type=settings["covariance_type"],
        n_init=1,
        max_iter=300,
        random_state=settings["seed"],
    )
    pipe = Pipeline([("scale", StandardScaler()), ("gmm", gmm)]).fit(X)
    hard = pipe.predict(X)
    label = schema.LABEL
    genres = tracks[label].astype("str").to_numpy() if label in tracks else np.full(len(X), "?")
    table = label_shares(hard, genres, gmm.n_components)
    shares = [{str(g): float(v) for g, v in row.items()} for _, row in table.iterrows()]
    if not tables.has_labels(tracks):  # a table without genres: the clusters are numbered only
        shares = [{} for _ in shares]
    meta = {**settings, "n_tracks": len(X), "source": source, "genre_share": shares}
    try:
        persist.save_mixture(pipe, run_dir, meta)
    except OSError as exc:
        log.warning("cannot cache the mixture in %s (%s); it lives in memory only", run_dir, exc)
    return ClusterModel(pipe, meta)
