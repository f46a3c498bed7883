"""The genre predictor: an ipywidget over a run's saved classifier (notebook 05, ``make app``).

:class:`GenrePredictor` is the whole interface; notebooks/05_predictor.ipynb only constructs it
and displays it, and ``make app`` serves that notebook with Voilà as a web page.

What it shows for one point in the space of :data:`genrelab.schema.AUDIO_FEATURES`:

* the genre probabilities of the classifier notebook 03 saved (``model.skops``, loaded with
  :func:`genrelab.selection.load_model`), recomputed on every slider move;
* the posterior over the clusters of a Gaussian mixture fitted by EM
  (:class:`genrelab.em.GaussianMixtureEM`) on the nine standardized continuous features, with the
  number of components notebook 04 chose by BIC (``metrics.json``: ``gmm.k_bic``); fitted once on
  at most ``gmm_max_tracks`` tracks and cached in the run (``predictor_gmm.skops``);
* the nearest snapshot tracks (Euclidean distance on the nine standardized continuous features).

Ways to set the point: the sliders (ranges from the training data, starting at its medians), a
genre preset (that genre's medians), a search over the snapshot's track names and artists, a
Spotify track id / URL (:func:`genrelab.spotify.analyze_track`: needs credentials and network;
without them the widget says why), and an audio file (aubio features from
:func:`genrelab.audio.extract_features`; genre probabilities only when the run holds a model
mapping aubio descriptors to the reference features, saved with :func:`save_aubio_mapping`).

Speed: a slider move runs the classifier on one row, where scikit-learn's per-call overhead
outweighs the arithmetic (a forest dispatches every tree through joblib; gradient boosting calls
one predictor per tree and class). :class:`ProbaFunction` evaluates a scaler + random forest and a
scaler + numeric gradient boosting directly (the same numbers: it checks them against the
pipeline when the widget starts, and the tests do too); other pipelines run as they are, with
OpenMP on one thread (on a busy machine OpenMP threads wait for each other far longer than they
compute). ``benchmarks/bench_predictor.py`` measures slider-to-probabilities time.

Example
-------
>>> from genrelab.predictor import GenrePredictor        # doctest: +SKIP
>>> predictor = GenrePredictor("latest")                  # doctest: +SKIP
>>> predictor                                             # doctest: +SKIP  (displays the widget)
>>> predictor.set_values({"speechiness": 0.4})            # doctest: +SKIP
>>> predictor.probabilities.idxmax()                      # doctest: +SKIP
'rap'
"""

from __future__ import annotations

import html
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config, data, schema
from .selection import MODEL_FILE, SavedModel, load_model

log = logging.getLogger(__name__)

#: The cached Gaussian mixture of a run (scaler + :class:`~genrelab.em.GaussianMixtureEM`).
GMM_FILE = "predictor_gmm.skops"
GMM_META_FILE = "predictor_gmm.json"
#: An optional regression from aubio descriptors to the reference features (:func:`save_aubio_mapping`).
MAPPING_FILE = "aubio_mapping.skops"
MAPPING_META_FILE = "aubio_mapping.json"

#: Slider groups, in display order.
FEATURE_GROUPS = (
    ("Mood and movement", ("danceability", "energy", "valence")),
    ("Sound", ("acousticness", "instrumentalness", "speechiness", "liveness", "loudness")),
    ("Rhythm, key and length", ("tempo", "key", "mode", "duration_ms")),
)
FEATURE_LABELS = {
    "loudness": "loudness (dB)",
    "tempo": "tempo (BPM)",
    "duration_ms": "duration (min)",
}
#: One line per feature (Spotify's definitions, shortened): slider tooltips.
FEATURE_HELP = {
    "danceability": "how suitable for dancing: tempo, rhythm stability, beat strength (0-1)",
    "energy": "perceived intensity and activity: fast, loud, noisy (0-1)",
    "valence": "musical positiveness: high sounds happy or euphoric, low sad or angry (0-1)",
    "acousticness": "confidence that the track is acoustic (0-1)",
    "instrumentalness": "likelihood that the track has no vocals (0-1)",
    "speechiness": "presence of spoken words: above 0.33 rap or spoken word (0-1)",
    "liveness": "presence of an audience: above 0.8 likely live (0-1)",
    "loudness": "average loudness in decibels (typically -60 to 0 dB)",
    "tempo": "estimated tempo in beats per minute",
    "key": "the key the track is in (pitch class, 0 = C)",
    "mode": "major or minor",
    "duration_ms": "length of the track (minutes here; the model reads milliseconds)",
}
#: Aubio descriptors that already are reference features (the rest needs a mapping).
DIRECT_FROM_AUBIO = {"tempo": "tempo", "loudness": "loudness", "key": "key", "mode": "mode"}
#: Aubio descriptors shown after an upload: (key, label, format).
AUBIO_SHOWN = (
    ("tempo", "tempo (BPM)", "{:.1f}"),
    ("key_name", "key", "{}"),
    ("loudness", "loudness (LUFS)", "{:.1f}"),
    ("duration", "duration (s)", "{:.1f}"),
    ("onset_rate", "onsets per second", "{:.2f}"),
    ("beat_regularity", "beat regularity", "{:.2f}"),
    ("centroid_mean", "spectral centroid (Hz)", "{:.0f}"),
    ("pitch_salience", "pitch salience", "{:.2f}"),
    ("voiced_fraction", "voiced fraction", "{:.2f}"),
)

NO_MODEL = """\
No saved classifier under {root}: the predictor needs the model notebook 03 saves
(model.skops). Run `make report` (or `make quick` for a fast one), or notebooks/03_classification.ipynb,
then open this page again."""
NO_MAPPING = (
    "no aubio->Spotify mapping in this run, so no genre probabilities for an audio file (they need a "
    "model mapping aubio descriptors to the reference features: predictor.save_aubio_mapping)."
)


class PredictorSetupError(RuntimeError):
    """The predictor cannot start (no saved model...); the message says what to run."""


# --------------------------------------------------------------------------- the run and its model
def find_model_run(run_id: str = "latest") -> Path:
    """The run directory holding the classifier: ``run_id``, or the newest run with a model.

    Parameters
    ----------
    run_id : str
        A run under :func:`genrelab.config.runs_dir`. ``"latest"`` or ``""``: ``runs/latest`` if it
        holds a model, else the run whose ``model.skops`` is newest.

    Raises
    ------
    PredictorSetupError
        The run (or every run) lacks ``model.skops``; the message says what to run.
    """
    root = config.runs_dir()
    if run_id not in ("", "latest"):
        if "/" in run_id or run_id in (".", ".."):
            raise PredictorSetupError(f"run_id must be a plain folder name, got {run_id!r}")
        path = root / run_id
        if (path / MODEL_FILE).exists():
            return path
        raise PredictorSetupError(
            f"run {run_id!r} ({path}) has no saved classifier ({MODEL_FILE}): run "
            f"notebooks/03_classification.ipynb with run_id={run_id!r}, or `make report`; "
            f'run_id="latest" picks the newest run that has one.'
        )
    latest = root / "latest"
    if (latest / MODEL_FILE).exists():
        return latest.resolve()
    found = [p.parent for p in root.glob(f"*/{MODEL_FILE}") if p.parent.name != "latest"]
    if not found:
        raise PredictorSetupError(NO_MODEL.format(root=root))
    return max(found, key=lambda p: (p / MODEL_FILE).stat().st_mtime)


def _trusted_load(path: Path):
    """Load a skops file, trusting only scikit-learn, NumPy, SciPy and genrelab types."""
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    unexpected = [
        t for t in untrusted if not t.startswith(("sklearn.", "numpy.", "scipy.", "genrelab."))
    ]
    if unexpected:
        raise ValueError(
            f"{path} holds types that are not scikit-learn's: {unexpected}; refusing to load"
        )
    return sio.load(path, trusted=untrusted)


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
        Points to check a direct path against the pipeline on (default: zeros and the scaler's mean).

    Attributes
    ----------
    kind : {"forest", "boosting", "pipeline"}
        The path in use.
    """

    def __init__(self, pipeline, features: Sequence[str], probe: np.ndarray | None = None):
        from sklearn.ensemble import (
            ExtraTreesClassifier,
            HistGradientBoostingClassifier,
            RandomForestClassifier,
        )
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler
        from threadpoolctl import ThreadpoolController

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
        except (
            Exception
        ) as exc:  # private scikit-learn internals moved: the plain path is always right
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


# --------------------------------------------------------------------------- the snapshot tracks
def snapshot_index_tracks() -> pd.DataFrame:
    """The embedded snapshot, one row per track (what the search and the neighbours use)."""
    return data.snapshot_tracks()


class TrackIndex:
    """Search by name or artist, and nearest neighbours in the standardized continuous features.

    Parameters
    ----------
    tracks : DataFrame
        ``track_name``, ``track_artist``, ``genre`` and the feature columns, one row per track.
    features : list of str
        The neighbour space (standardized with the tracks' mean and standard deviation).
    """

    def __init__(self, tracks: pd.DataFrame, features: Sequence[str] = schema.CONTINUOUS_FEATURES):
        from sklearn.neighbors import NearestNeighbors

        self.features = list(features)
        self.tracks = tracks.dropna(subset=self.features).reset_index(drop=True)
        X = self.tracks[self.features].to_numpy(dtype=np.float64)
        self._mean, self._std = X.mean(axis=0), X.std(axis=0)
        self._std[self._std == 0] = 1.0
        self._nn = NearestNeighbors().fit((X - self._mean) / self._std)
        name = self.tracks["track_name"].fillna("").astype("str")
        artist = self.tracks["track_artist"].fillna("").astype("str")
        self._name = name.str.lower().to_numpy(dtype=object)
        self._text = (name + " \u2014 " + artist).str.lower().to_numpy(dtype=object)
        pop = (
            self.tracks["track_popularity"]
            if "track_popularity" in self.tracks
            else pd.Series(0, index=self.tracks.index)
        )
        self._popularity = pd.to_numeric(pop, errors="coerce").fillna(0).to_numpy()

    def search(self, query: str, limit: int = 8) -> pd.DataFrame:
        """Tracks whose name or artist contains ``query`` (case-insensitive), best first.

        Exact name matches come first, then names starting with the query, then the rest; ties
        by popularity.
        """
        q = " ".join(str(query).lower().split())
        if not q:
            return self.tracks.iloc[:0]
        hit = np.fromiter((q in t for t in self._text), bool, len(self._text))
        rows = np.flatnonzero(hit)
        if not len(rows):
            return self.tracks.iloc[:0]
        names = self._name[rows]
        rank = np.where(names == q, 0, np.where([n.startswith(q) for n in names], 1, 2))
        order = np.lexsort((-self._popularity[rows], rank))
        return self.tracks.iloc[rows[order[:limit]]]

    def nearest(self, point: Mapping[str, float] | np.ndarray, n: int = 5) -> pd.DataFrame:
        """The ``n`` tracks closest to ``point`` (a dict or an array in :attr:`features` order)."""
        x = (
            np.array([point[f] for f in self.features])
            if isinstance(point, Mapping)
            else np.asarray(point, dtype=np.float64)
        )
        dist, idx = self._nn.kneighbors(((x - self._mean) / self._std)[None], n_neighbors=n)
        out = self.tracks.iloc[idx[0]].copy()
        out["distance"] = dist[0]
        return out


# --------------------------------------------------------------------------- the Gaussian mixture
@dataclass
class ClusterModel:
    """A Gaussian mixture on the standardized continuous features, with each cluster's genres.

    Attributes
    ----------
    pipeline : Pipeline
        ``StandardScaler`` + fitted :class:`~genrelab.em.GaussianMixtureEM`.
    meta : dict
        ``k``, ``covariance_type``, ``features``, ``n_tracks``, ``source``, ``seed``, ``genre_share``
        (per cluster: share of its tracks in each genre, hard assignment).
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
            out.append(f"cluster {i + 1}: " + ", ".join(f"{g} {v:.0%}" for g, v in best if v > 0))
        return out


def _cluster_settings(
    run_dir: Path, k: int | None, covariance_type: str | None, max_tracks: int, seed: int
) -> dict:
    gmm = {}
    metrics_path = Path(run_dir) / "metrics.json"
    if metrics_path.exists():
        gmm = json.loads(metrics_path.read_text()).get("gmm", {}) or {}
    return {
        "k": int(k or gmm.get("k_bic") or 6),
        "covariance_type": covariance_type or gmm.get("covariance_type_bic") or "full",
        "features": list(schema.CONTINUOUS_FEATURES),
        "max_tracks": int(max_tracks),
        "seed": int(seed),
    }


def cluster_model(
    run_dir: Path,
    *,
    k: int | None = None,
    covariance_type: str | None = None,
    max_tracks: int = 5000,
    seed: int = 42,
    tracks: pd.DataFrame | None = None,
) -> ClusterModel:
    """The run's Gaussian mixture for the predictor: loaded from its cache, or fitted and cached.

    Parameters
    ----------
    run_dir : path
        The run; its ``metrics.json`` gives ``gmm.k_bic`` and ``gmm.covariance_type_bic`` (notebook 04).
    k, covariance_type : optional
        Override the run's choice (defaults: k 6, full covariances, when notebook 04 did not run).
    max_tracks : int
        Fit on a random subset of at most this many tracks (a fit takes well under a second).
    seed : int
        Random state of the subset and of the EM initialisation.
    tracks : DataFrame, optional
        Tracks to fit on; default the run's ``tracks`` table (one row per track) or the snapshot.

    Returns
    -------
    ClusterModel
        Cached in ``<run>/predictor_gmm.skops`` + ``.json`` (refitted when the settings change;
        a read-only run keeps it in memory).
    """
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from .em import GaussianMixtureEM

    run_dir = Path(run_dir)
    settings = _cluster_settings(run_dir, k, covariance_type, max_tracks, seed)
    path, meta_path = run_dir / GMM_FILE, run_dir / GMM_META_FILE
    if tracks is None and path.exists() and meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
            if all(meta.get(key) == value for key, value in settings.items()):
                return ClusterModel(_trusted_load(path), meta)
        except Exception as exc:  # a broken cache is refitted, not fatal
            log.warning("%s: cannot reuse the cached mixture (%s); refitting", path, exc)
    source = "given tracks"
    if tracks is None:
        table = run_dir / "tracks.parquet"
        if table.exists():
            tracks, source = (
                pd.read_parquet(table).drop_duplicates("track_id"),
                f"run {run_dir.name}",
            )
        else:
            tracks, source = snapshot_index_tracks(), "snapshot"
    feats = settings["features"]
    tracks = tracks.dropna(subset=feats)
    if len(tracks) > settings["max_tracks"]:
        tracks = tracks.sample(settings["max_tracks"], random_state=settings["seed"])
    X = tracks[feats].to_numpy(dtype=np.float64)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "gmm",
                GaussianMixtureEM(
                    n_components=settings["k"],
                    covariance_type=settings["covariance_type"],
                    n_init=1,
                    max_iter=300,
                    random_state=settings["seed"],
                ),
            ),
        ]
    ).fit(X)
    hard = pipe.predict(X)
    genres = tracks["genre"].astype("str").to_numpy() if "genre" in tracks else np.full(len(X), "?")
    table = pd.crosstab(
        pd.Series(hard, name="cluster"), pd.Series(genres, name="genre"), normalize="index"
    )
    table = table.reindex(range(settings["k"]), fill_value=0.0)
    meta = {
        **settings,
        "n_tracks": len(X),
        "source": source,
        "genre_share": [{str(g): float(v) for g, v in row.items()} for _, row in table.iterrows()],
    }
    try:
        import skops.io as sio

        sio.dump(pipe, path)
        meta_path.write_text(json.dumps(meta, indent=2))
    except OSError as exc:
        log.warning("cannot cache the mixture in %s (%s); it lives in memory only", run_dir, exc)
    return ClusterModel(pipe, meta)


# --------------------------------------------------------------------------- aubio -> reference features
@dataclass
class AubioMapping:
    """A regression from aubio descriptors to reference (Spotify-style) features.

    ``model.predict`` takes an array with the columns ``meta["inputs"]`` and returns one column
    per ``meta["targets"]``; features in :data:`DIRECT_FROM_AUBIO` (tempo, loudness, key, mode)
    and ``duration_ms`` are read from the descriptors when the mapping does not predict them.
    """

    model: Any
    meta: dict

    def reference_features(self, aubio_features: Mapping[str, Any]) -> dict[str, float]:
        """The 12 :data:`genrelab.schema.AUDIO_FEATURES` of a clip from its aubio descriptors.

        Raises
        ------
        ValueError
            A descriptor the mapping needs is missing, or a feature is neither predicted nor direct.
        """
        inputs, targets = list(self.meta["inputs"]), list(self.meta["targets"])
        missing = [c for c in inputs if c not in aubio_features or aubio_features[c] is None]
        if missing:
            raise ValueError(
                f"the aubio->Spotify mapping needs descriptor(s) {missing} the extractor did not give"
            )
        x = np.array([[float(aubio_features[c]) for c in inputs]])
        y = np.asarray(self.model.predict(x), dtype=np.float64).reshape(1, -1)[0]
        out = dict(zip(targets, map(float, y)))
        for feature, source in DIRECT_FROM_AUBIO.items():
            if feature not in out and source in aubio_features:
                out[feature] = float(aubio_features[source])
        if "duration_ms" not in out and "duration" in aubio_features:
            out["duration_ms"] = float(aubio_features["duration"]) * 1000.0
        lacking = [f for f in schema.AUDIO_FEATURES if f not in out]
        if lacking:
            raise ValueError(f"the aubio->Spotify mapping gives no {', '.join(lacking)}")
        return {f: out[f] for f in schema.AUDIO_FEATURES}


def save_aubio_mapping(
    model,
    run_dir: Path,
    *,
    inputs: Sequence[str],
    targets: Sequence[str],
    metrics: Mapping[str, Any] | None = None,
) -> Path:
    """Save a fitted regressor from aubio descriptors (``inputs``) to reference features (``targets``).

    The predictor widget of that run then shows genre probabilities for an uploaded audio file.
    """
    import skops.io as sio

    run_dir = Path(run_dir)
    sio.dump(model, run_dir / MAPPING_FILE)
    meta = {"inputs": list(inputs), "targets": list(targets), "metrics": dict(metrics or {})}
    (run_dir / MAPPING_META_FILE).write_text(json.dumps(meta, indent=2, default=float))
    return run_dir / MAPPING_FILE


def load_aubio_mapping(run_dir: Path) -> AubioMapping | None:
    """The run's aubio -> reference mapping, or ``None`` when it has none."""
    run_dir = Path(run_dir)
    if not (run_dir / MAPPING_FILE).exists() or not (run_dir / MAPPING_META_FILE).exists():
        return None
    return AubioMapping(
        _trusted_load(run_dir / MAPPING_FILE), json.loads((run_dir / MAPPING_META_FILE).read_text())
    )


# --------------------------------------------------------------------------- HTML pieces
_CSS = """<style>
.gl-app {font-family: var(--jp-ui-font-family, system-ui, sans-serif); color: #222;}
.gl-app h2 {margin: 0 0 4px 0; font-size: 1.6em;}
.gl-help {color: #444; max-width: 980px; line-height: 1.4; margin: 0 0 6px 0;}
.gl-model {color: #666; font-size: 0.92em;}
.gl-h {font-weight: 600; font-size: 1.08em; margin: 10px 0 2px 0; color: #222;}
.gl-note {color: #666; font-size: 0.88em; line-height: 1.3;}
.gl-row {display: flex; align-items: center; gap: 8px; margin: 3px 0; font-size: 0.95em;}
.gl-label {width: 190px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.gl-sw {display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px; vertical-align: -1px;}
.gl-track {flex: 1; background: #eee; height: 16px; border-radius: 3px; overflow: hidden;}
.gl-fill {display: block; height: 100%; border-radius: 3px;}
.gl-val {width: 44px; text-align: right; font-variant-numeric: tabular-nums;}
.gl-top {font-weight: 700;}
.gl-wide .gl-label {width: 250px;}
.gl-headline {font-size: 1.15em; margin: 4px 0 6px 0;}
.gl-table {border-collapse: collapse; font-size: 0.92em; width: 100%;}
.gl-table th, .gl-table td {text-align: left; padding: 2px 8px 2px 0; border-bottom: 1px solid #eee;}
.gl-table td.num {text-align: right; font-variant-numeric: tabular-nums;}
.gl-msg {padding: 6px 8px; border-radius: 4px; white-space: pre-wrap; font-size: 0.9em; margin: 4px 0;
         line-height: 1.4;}
.gl-error {background: #fdecea; border-left: 4px solid #c0392b;}
.gl-info {background: #eef4fb; border-left: 4px solid #2c6fbb;}
.gl-ok {background: #edf7ee; border-left: 4px solid #2e7d32;}
</style>"""
_CLUSTER_COLOR = "#7f8c8d"


def _esc(value: Any) -> str:
    return html.escape(str(value))


def message_html(text: str, kind: str = "info") -> str:
    """A boxed message (``kind``: info, ok or error) with the text escaped."""
    return f'<div class="gl-msg gl-{kind}">{_esc(text)}</div>'


def _genre_colors(genres: Sequence[str]) -> dict[str, str]:
    from matplotlib.colors import to_hex

    from .plots import genre_palette

    return {g: to_hex(c) for g, c in genre_palette(list(genres)).items()}


def bars_html(
    values: Mapping[str, float], colors: Mapping[str, str], *, css_class: str = ""
) -> str:
    """Horizontal bars, one per label, in the given order; the largest is bold."""
    top = max(values, key=values.get) if values else None
    rows = []
    for label, v in values.items():
        color = colors.get(label, _CLUSTER_COLOR)
        cls = "gl-row gl-top" if label == top else "gl-row"
        rows.append(
            f'<div class="{cls}"><span class="gl-label"><span class="gl-sw" style="background:{color}"></span>'
            f'{_esc(label)}</span><span class="gl-track"><span class="gl-fill" '
            f'style="width:{100 * v:.1f}%;background:{color}"></span></span>'
            f'<span class="gl-val">{100 * v:.0f}%</span></div>'
        )
    return f'<div class="{css_class}">' + "".join(rows) + "</div>"


def _snap(value: float, low: float, high: float, step: float) -> float:
    """``value`` on the slider's grid ``low + k * step`` (rounded like the page's slider), in range."""
    decimals = max(0, -int(np.floor(np.log10(step))) + 1)
    return float(min(high, max(low, round(low + round((value - low) / step) * step, decimals))))


# --------------------------------------------------------------------------- the widget
class GenrePredictor:
    """The genre predictor widget: sliders in, genre probabilities, clusters and neighbours out.

    Construct it in a notebook and display it (``predictor`` as the cell's last line); all the
    logic lives here. When no saved classifier can be found, the widget shows what to run
    instead of raising (:attr:`error` holds the message).

    Parameters
    ----------
    run_id : str
        Run holding ``model.skops`` (notebook 03); ``"latest"`` / ``""``: the newest such run.
    tracks : DataFrame, optional
        Tracks for the search and the neighbours (default: the embedded snapshot).
    gmm_max_tracks : int
        Tracks the Gaussian mixture is fitted on, at most (the fit is cached in the run).
    n_neighbors : int
        Nearest tracks shown.
    seed : int
        Random state of the mixture.

    Attributes
    ----------
    sliders : dict of str -> ipywidgets widget
        One per feature (``key``: note names, ``mode``: major/minor, ``duration_ms``: minutes).
    probabilities : pandas.Series
        Genre probabilities of the current point (model's class order).
    cluster_posterior : pandas.Series
        Responsibilities of the mixture's clusters for the current point's continuous features.
    neighbors : DataFrame
        The nearest tracks, with a ``distance`` column.
    last_update_ms : float
        Time of the last recomputation (model + mixture + neighbours + HTML).
    """

    def __init__(
        self,
        run_id: str = "latest",
        *,
        tracks: pd.DataFrame | None = None,
        gmm_max_tracks: int = 5000,
        n_neighbors: int = 6,
        seed: int = 42,
    ):
        import ipywidgets as w

        self._w = w
        self.error: str | None = None
        self.n_neighbors = int(n_neighbors)
        self.probabilities = pd.Series(dtype="float64")
        self.cluster_posterior = pd.Series(dtype="float64")
        self.neighbors = pd.DataFrame()
        self.last_update_ms = float("nan")
        self.upload_features: dict | None = None
        self._holding = False
        self._holding_choice = False
        self._note: str | None = None
        self.header = w.HTML(_CSS + '<div class="gl-app"><h2>Genre predictor</h2></div>')
        try:
            self.run_dir = find_model_run(run_id)
            self.model: SavedModel = load_model(self.run_dir)
        except Exception as exc:  # shown in the page (Voilà hides tracebacks), not raised
            where = getattr(self, "run_dir", None)
            self.error = (
                str(exc)
                if isinstance(exc, PredictorSetupError)
                else f"could not load the saved classifier of {where}: {exc}"
            )
            log.warning("genre predictor: %s", self.error)
            self.ui = w.VBox([self.header, w.HTML(message_html(self.error, "error"))])
            return
        self.features = self.model.features
        self.classes = self.model.classes
        ranges = self.model.meta["feature_ranges"]
        probe = np.array([[ranges[f][q] for f in self.features] for q in ("p01", "median", "p99")])
        self._proba = ProbaFunction(self.model.pipeline, self.features, probe=probe)
        self.index = TrackIndex(tracks if tracks is not None else snapshot_index_tracks())
        self.clusters = cluster_model(self.run_dir, max_tracks=gmm_max_tracks, seed=seed)
        self.mapping = self._load_mapping()
        self._cont = [self.features.index(f) for f in self.clusters.features]
        self._colors = _genre_colors(
            sorted(set(self.classes) | set(self.index.tracks["genre"].astype("str")))
        )
        self._build()
        self.update()

    # --- construction --------------------------------------------------------------------------
    def _load_mapping(self) -> AubioMapping | None:
        try:
            return load_aubio_mapping(self.run_dir)
        except Exception as exc:  # an unreadable mapping only disables the audio probabilities
            log.warning("cannot load the aubio mapping of %s: %s", self.run_dir, exc)
            return None

    def _slider(self, feature: str):
        w = self._w
        r = self.model.meta["feature_ranges"][feature]
        style = {"description_width": "150px"}
        layout = w.Layout(width="96%")
        tip = FEATURE_HELP.get(feature, feature)
        label = FEATURE_LABELS.get(feature, feature)
        if feature == "key":
            return w.SelectionSlider(
                options=[(f"{n} ({i})", i) for i, n in enumerate(schema.PITCH_CLASSES)],
                value=int(round(r["median"])) % 12,
                description=label,
                tooltip=tip,
                style=style,
                layout=layout,
            )
        if feature == "mode":
            return w.ToggleButtons(
                options=[("major", 1), ("minor", 0)],
                value=int(round(r["median"])),
                tooltip=tip,
                style={"button_width": "80px"},
            )
        lo, hi = (r["min"], r["max"]) if feature in schema.UNIT_FEATURES else (r["p01"], r["p99"])
        if feature == "duration_ms":
            lo, hi, med = lo / 60000, hi / 60000, r["median"] / 60000
            return w.FloatSlider(
                value=med,
                min=np.floor(lo * 4) / 4,
                max=np.ceil(hi * 4) / 4,
                step=0.05,
                readout_format=".2f",
                description=label,
                tooltip=tip,
                style=style,
                layout=layout,
            )
        step, fmt = {"loudness": (0.1, ".1f"), "tempo": (1.0, ".0f")}.get(feature, (0.01, ".2f"))
        lo, hi = np.floor(lo / step) * step, np.ceil(hi / step) * step
        if feature in schema.UNIT_FEATURES:
            lo, hi = max(0.0, lo), min(1.0, hi)
        return w.FloatSlider(
            value=float(np.clip(r["median"], lo, hi)),
            min=float(lo),
            max=float(hi),
            step=step,
            readout_format=fmt,
            description=label,
            tooltip=tip,
            style=style,
            layout=layout,
        )

    def _build(self) -> None:
        w = self._w
        meta = self.model.meta
        m = meta.get("metrics", {}) or {}
        acc = (
            f", held-out accuracy {m['accuracy']:.0%}"
            if isinstance(m.get("accuracy"), (int, float))
            else ""
        )
        self.header.value = _CSS + (
            '<div class="gl-app"><h2>Genre predictor</h2>'
            '<p class="gl-help">Which genre would a classifier give a song with these audio features? '
            "Move the sliders, or start from a genre's typical values, a track of the snapshot, a Spotify "
            "track or an audio file. On the right: the genre probabilities, the Gaussian-mixture cluster "
            "the point falls in, and the snapshot tracks with the most similar features. Hover a slider's "
            "name for what the feature means.</p>"
            f'<div class="gl-model">Model: <b>{_esc(meta.get("name", "?"))}</b> from run '
            f"<code>{_esc(self.run_dir.name)}</code> ({len(self.classes)} genres, "
            f"{meta.get('n_train', '?')} training tracks{acc}).</div></div>"
        )

        self.sliders = {f: self._slider(f) for f in self.features}
        rows = {}
        for f, s in self.sliders.items():
            s.observe(self._on_slider, names="value")
            s.add_class(f"genrelab-slider-{f}")
            rows[f] = s
            if (
                f == "mode"
            ):  # ToggleButtons put their description above: a label of the sliders' width instead
                rows[f] = w.HBox(
                    [
                        w.HTML(
                            f'<div title="{_esc(FEATURE_HELP["mode"])}" style="width:150px;text-align:right;'
                            f'padding-right:8px">mode</div>'
                        ),
                        s,
                    ],
                    layout=w.Layout(align_items="center"),
                )

        self.genre_preset = w.Dropdown(
            options=[("choose a genre\u2026", "")]
            + [(g, g) for g in self.classes if g in meta.get("genre_medians", {})],
            value="",
            description="Genre preset",
            style={"description_width": "90px"},
            layout=w.Layout(width="260px"),
        )
        self.genre_preset.observe(self._on_preset, names="value")
        self.search = w.Text(
            value="",
            placeholder="track or artist, then Enter",
            description="Find a track",
            continuous_update=False,
            style={"description_width": "90px"},
            layout=w.Layout(width="340px"),
        )
        self.search.observe(self._on_search, names="value")
        self.matches = w.Select(options=[], rows=4, layout=w.Layout(width="96%", display="none"))
        self.matches.observe(self._on_match, names="value")
        self.search_message = w.HTML("")
        self.status = w.HTML("")
        self.reset_button = w.Button(
            description="Reset to medians", icon="undo", layout=w.Layout(width="160px")
        )
        self.reset_button.on_click(lambda _: self.reset())
        start = w.VBox(
            [
                w.HTML('<div class="gl-h">Start from</div>'),
                w.HBox(
                    [self.genre_preset, self.search, self.reset_button],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.search_message,
                self.matches,
                self.status,
            ]
        )
        groups = []
        for title, feats in FEATURE_GROUPS:
            present = [rows[f] for f in feats if f in rows]
            if present:
                groups.append(w.HTML(f'<div class="gl-h">{_esc(title)}</div>'))
                groups.extend(present)
        left = w.VBox(
            [start, *groups], layout=w.Layout(width="50%", min_width="420px", padding="0 16px 0 0")
        )

        self.probs_html = w.HTML("")
        self.probs_html.add_class("genrelab-probabilities")
        self.cluster_html = w.HTML("")
        self.cluster_html.add_class("genrelab-clusters")
        self.neighbors_html = w.HTML("")
        c = self.clusters.meta
        right = w.VBox(
            [
                w.HTML('<div class="gl-h">Genre probabilities</div>'),
                self.probs_html,
                w.HTML(
                    '<div class="gl-h">Gaussian-mixture cluster</div>'
                    f'<div class="gl-note">{c["k"]} clusters ({_esc(c["covariance_type"])} covariances) fitted by '
                    f"EM on the nine standardized continuous features of {c['n_tracks']:,} tracks ({_esc(c['source'])}); "
                    "each named by its commonest genres. The bars: probability that the point belongs to each"
                    + (", the most likely first." if c["k"] > 6 else ".")
                    + "</div>"
                ),
                self.cluster_html,
                w.HTML(
                    '<div class="gl-h">Nearest snapshot tracks</div>'
                    '<div class="gl-note">Distance over the nine continuous features, standardized '
                    "(key, mode and duration left out).</div>"
                ),
                self.neighbors_html,
            ],
            layout=w.Layout(width="48%", min_width="380px"),
        )

        self.spotify_box = w.Text(
            value="",
            placeholder="e.g. 4uLU6hMCjMI75M1A2tKUQC or an open.spotify.com link",
            layout=w.Layout(width="70%"),
        )
        self.spotify_button = w.Button(
            description="Fetch features", icon="download", layout=w.Layout(width="150px")
        )
        self.spotify_button.on_click(lambda _: self.analyse_spotify(self.spotify_box.value))
        self.spotify_message = w.HTML(
            message_html(
                "Needs network and Spotify credentials (SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET in .env); "
                "features come from Spotify or ReccoBeats.",
                "info",
            )
        )
        spotify = w.VBox(
            [
                w.HTML('<div class="gl-h">A Spotify track</div>'),
                w.HBox([self.spotify_box, self.spotify_button]),
                self.spotify_message,
            ],
            layout=w.Layout(width="50%", min_width="380px", padding="0 16px 0 0"),
        )

        self.upload = w.FileUpload(
            accept=",".join((".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")),
            multiple=False,
            description="Upload audio",
        )
        self.upload.observe(self._on_upload, names="value")
        self.upload_message = w.HTML(
            message_html(
                "WAV, FLAC, OGG or MP3, at least 3 s: tempo, key, loudness and timbre are computed with aubio. "
                + (
                    "This run maps them to the model's features, so the genre probabilities follow."
                    if self.mapping is not None
                    else NO_MAPPING[0].upper() + NO_MAPPING[1:]
                ),
                "info",
            )
        )
        upload = w.VBox(
            [w.HTML('<div class="gl-h">An audio file</div>'), self.upload, self.upload_message],
            layout=w.Layout(width="48%", min_width="380px"),
        )

        row = w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")
        self.ui = w.VBox(
            [
                self.header,
                w.HBox([left, right], layout=row),
                w.HTML("<hr>"),
                w.HBox([spotify, upload], layout=row),
            ],
            layout=w.Layout(padding="8px 12px", max_width="1280px"),
        )

    # --- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)

    # --- the point -------------------------------------------------------------------------------
    def values(self) -> dict[str, float]:
        """The current point, in the model's units (``duration_ms`` in milliseconds)."""
        out = {}
        for f, s in self.sliders.items():
            v = s.value
            out[f] = float(v) * 60000.0 if f == "duration_ms" else float(v)
        return out

    def point(self) -> np.ndarray:
        """The current point as an array in the model's feature order."""
        v = self.values()
        return np.array([v[f] for f in self.features])

    def set_values(
        self, values: Mapping[str, float], *, note: str | None = None, source: str | None = None
    ) -> list[str]:
        """Move sliders to ``values`` (model units; unknown keys and NaN ignored) and update once.

        Values snap to the slider's step (as the page's slider would; the page and the kernel then
        agree on the point) and stop at the ends of its range; the names of the features that lay
        outside are returned. ``note`` is shown under the widget; ``source`` (``"preset"`` or
        ``"match"``) is the control that moved the sliders: the other one is cleared.
        """
        self._clear_choices(keep=source)
        clipped = []
        self._holding = True
        try:
            for f, v in values.items():
                if f not in self.sliders or v is None or not np.isfinite(float(v)):
                    continue
                s = self.sliders[f]
                v = float(v)
                if f == "key":
                    s.value = int(round(v)) % 12
                elif f == "mode":
                    s.value = 1 if v >= 0.5 else 0
                else:
                    if f == "duration_ms":
                        v /= 60000.0
                    if v < s.min or v > s.max:
                        clipped.append(f)
                    s.value = _snap(float(np.clip(v, s.min, s.max)), s.min, s.max, s.step)
        finally:
            self._holding = False
        self._note = note
        self.update()
        return clipped

    def reset(self) -> None:
        """All sliders back to the training data's medians."""
        medians = {f: r["median"] for f, r in self.model.meta["feature_ranges"].items()}
        self.set_values(medians, note="sliders at the medians of the training tracks")

    def update(self) -> None:
        """Recompute the probabilities, the cluster posterior and the neighbours of the current point."""
        t0 = time.perf_counter()
        x = self.point()
        p = self._proba(x[None])[0]
        self.probabilities = pd.Series(p, index=self.classes, name="probability")
        post = self.clusters.posterior(x[self._cont][None])[0]
        self.cluster_posterior = pd.Series(post, index=self.clusters.labels(), name="posterior")
        self.neighbors = self.index.nearest(x[self._cont], self.n_neighbors)
        top = self.probabilities.idxmax()
        self.probs_html.value = (
            f'<div class="gl-headline">Most likely: <b style="color:{self._colors.get(top, "#222")}">{_esc(top)}</b> '
            f"({self.probabilities[top]:.0%})</div>"
            + bars_html(self.probabilities.to_dict(), self._colors)
        )
        self.cluster_html.value = self._clusters_html(self.cluster_posterior)
        self.neighbors_html.value = self._neighbors_table(self.neighbors)
        self.last_update_ms = 1000 * (time.perf_counter() - t0)
        parts = [self._note] if self._note else []
        parts.append(f"updated in {self.last_update_ms:.0f} ms")
        self.status.value = '<div class="gl-note">' + _esc(" \u00b7 ".join(parts)) + "</div>"

    def _clusters_html(self, posterior: pd.Series, shown: int = 5) -> str:
        """All clusters when there are few; else the most likely ones and the rest's total."""
        if len(posterior) <= shown + 1:
            return bars_html(posterior.to_dict(), {}, css_class="gl-wide")
        top = posterior.sort_values(ascending=False)
        rest = len(top) - shown
        return (
            bars_html(top.head(shown).to_dict(), {}, css_class="gl-wide")
            + f'<div class="gl-note">the other {rest} clusters: {top.iloc[shown:].sum():.0%} together</div>'
        )

    def _neighbors_table(self, df: pd.DataFrame) -> str:
        rows = []
        for r in df.itertuples():
            g = str(getattr(r, "genre", ""))
            rows.append(
                f"<tr><td>{_esc(r.track_name)}</td><td>{_esc(r.track_artist)}</td>"
                f'<td><span class="gl-sw" style="background:{self._colors.get(g, _CLUSTER_COLOR)}"></span>'
                f'{_esc(g)}</td><td class="num">{r.distance:.2f}</td></tr>'
            )
        return (
            '<table class="gl-table"><tr><th>track</th><th>artist</th><th>genre</th>'
            '<th class="num">distance</th></tr>' + "".join(rows) + "</table>"
        )

    # --- events ----------------------------------------------------------------------------------
    def _clear_choices(self, keep: str | None = None) -> None:
        """Show no genre preset / no selected match once the sliders no longer sit there."""
        self._holding_choice = True
        try:
            if keep != "preset" and self.genre_preset.value != "":
                self.genre_preset.value = ""
            if keep != "match" and self.matches.value is not None:
                self.matches.value = None
        finally:
            self._holding_choice = False

    def _on_slider(self, change) -> None:
        if self._holding:
            return
        old, new, step = change["old"], change["new"], getattr(change["owner"], "step", None)
        # the page's slider snaps a value set from here to its step and sends it back: not a user's move
        snapped = (
            step is not None
            and isinstance(old, float)
            and isinstance(new, float)
            and abs(new - old) <= 0.5 * step + 1e-9
        )
        if not snapped:
            self._clear_choices()
            self._note = None
        self.update()

    def _on_preset(self, change) -> None:
        genre = change["new"]
        if not genre or self._holding_choice:
            return
        self.set_values(
            self.model.meta["genre_medians"][genre],
            note=f"sliders at the medians of the {genre} tracks",
            source="preset",
        )

    def _on_search(self, change) -> None:
        self.find(change["new"])

    def find(self, query: str) -> pd.DataFrame:
        """Search the tracks, list the matches and move the sliders to the first one."""
        query = str(query).strip()
        if not query:
            self.matches.layout.display = "none"
            self.search_message.value = ""
            return self.index.tracks.iloc[:0]
        found = self.index.search(query)
        if found.empty:
            self.matches.layout.display = "none"
            self.search_message.value = message_html(
                f"no snapshot track or artist matches {query!r}", "info"
            )
            return found
        options = [
            (f"{r.track_name} \u2014 {r.track_artist} ({r.genre})", int(i))
            for i, r in zip(found.index, found.itertuples())
        ]
        self.search_message.value = ""
        self._holding_choice = True
        try:
            self.matches.options = options
            self.matches.value = None
        finally:
            self._holding_choice = False
        self.matches.layout.display = ""
        self.matches.value = options[0][1]  # moves the sliders
        return found

    def _on_match(self, change) -> None:
        if change["new"] is None or self._holding_choice:
            return
        self.show_track(int(change["new"]))

    def show_track(self, row: int) -> None:
        """Move the sliders to one track of :attr:`index` (its row number)."""
        t = self.index.tracks.iloc[row]
        clipped = self.set_values(
            {f: t[f] for f in self.features if f in t},
            source="match",
            note=f"sliders at \u201c{t['track_name']}\u201d by {t['track_artist']} "
            f"(snapshot genre: {t['genre']})",
        )
        self.search_message.value = (
            message_html(
                f"{', '.join(clipped)} of this track lie outside the slider range and are shown at its end",
                "info",
            )
            if clipped
            else ""
        )

    # --- Spotify ---------------------------------------------------------------------------------
    def analyse_spotify(self, text: str) -> bool:
        """Fetch a Spotify track's features and move the sliders there; messages, never raises."""
        text = str(text).strip()
        if not text:
            self.spotify_message.value = message_html(
                "Paste a Spotify track id, URI or open.spotify.com link first.", "info"
            )
            return False
        self.spotify_message.value = message_html(f"fetching {text} \u2026", "info")
        try:
            from . import spotify

            result = spotify.analyze_track(text)
        except Exception as exc:  # credentials, network, unknown id: shown, not raised
            log.info("spotify look-up of %r failed: %s", text, exc)
            self.spotify_message.value = message_html(f"Could not fetch {text}:\n{exc}", "error")
            return False
        feats = result.features.dropna().to_dict()
        t = result.track
        clipped = self.set_values(
            feats, note=f"sliders at \u201c{t.get('track_name')}\u201d by {t.get('track_artist')}"
        )
        absent = [f for f in self.features if f not in feats]
        lines = [
            f"{t.get('track_name')} by {t.get('track_artist')}: features from {result.features_source}."
        ]
        if absent:
            lines.append(f"Not available: {', '.join(absent)} (those sliders kept their values).")
        if clipped:
            lines.append(f"Outside the slider range (shown at its end): {', '.join(clipped)}.")
        self.spotify_message.value = message_html("\n".join(lines), "ok")
        return True

    # --- audio upload ----------------------------------------------------------------------------
    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[-1]
        self.analyse_upload(item.get("name", "upload"), bytes(item["content"]))

    def analyse_upload(self, name: str, content: bytes) -> dict | None:
        """Extract aubio features from an uploaded file and show them (and, with a mapping, the genres).

        Returns the aubio descriptors, or ``None`` when the file cannot be analysed (the widget
        says why).
        """
        from . import audio

        suffix = Path(name).suffix.lower() or ".bin"
        fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="genrelab-upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            feats = audio.extract_features(tmp)
        except audio.AudioError as exc:
            self.upload_message.value = message_html(
                f"Could not analyse {name}: {exc.reason.rstrip('.')}.", "error"
            )
            self.upload_features = None
            return None
        except Exception as exc:  # anything else the decoder or aubio throws
            log.info("upload %s failed: %s", name, exc)
            self.upload_message.value = message_html(f"Could not analyse {name}: {exc}", "error")
            self.upload_features = None
            return None
        finally:
            Path(tmp).unlink(missing_ok=True)
        self.upload_features = feats
        rows = "".join(
            f'<tr><td>{_esc(label)}</td><td class="num">{_esc(fmt.format(feats[k]))}</td></tr>'
            for k, label, fmt in AUBIO_SHOWN
            if k in feats and feats[k] is not None
        )
        table = f'<table class="gl-table" style="width:auto">{rows}</table>'
        if self.mapping is None:
            tail = message_html(NO_MAPPING, "info")
        else:
            try:
                ref = self.mapping.reference_features(feats)
            except Exception as exc:
                tail = message_html(f"The aubio->Spotify mapping failed: {exc}", "error")
            else:
                self.set_values(ref, note=f"sliders at the features mapped from {name}")
                top = self.probabilities.sort_values(ascending=False).head(3)
                tail = message_html(
                    "Mapped to the model's features (sliders moved): "
                    + ", ".join(f"{g} {p:.0%}" for g, p in top.items()),
                    "ok",
                )
        self.upload_message.value = message_html(f"{name}: aubio features", "ok") + table + tail
        return feats
