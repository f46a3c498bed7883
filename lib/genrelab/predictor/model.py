"""The genre predictor's model side: everything it computes for a point, without a view.

:class:`PredictorModel` gathers what the widget (:mod:`genrelab.predictor.widget`) shows for one
point in the space of :data:`genrelab.schema.AUDIO_FEATURES`:

* the genre probabilities of the classifier notebook 03 saved in the run
  (:func:`genrelab.persist.load_model`), through :class:`~genrelab.predictor.proba.ProbaFunction`;
* the posterior over the clusters of a Gaussian mixture fitted by EM on the nine standardized
  continuous features (:func:`~genrelab.predictor.clusters.cluster_model`; k and the covariance type
  notebook 04 chose by BIC, read from ``metrics.json``), cached in the run;
* the nearest tracks and a search by name or artist (:class:`TrackIndex`);
* for an audio file: aubio descriptors (:func:`genrelab.audio.features.extract_features`) and,
  when the run holds one, a mapping from them to the reference features (:class:`AubioMapping`).

Every skops file is read through :mod:`genrelab.persist`, which refuses any type the package
does not save. This module does not import ipywidgets (tests/test_predictor_model.py checks it).

Which run
---------
:func:`find_model_run` takes a run id. ``"latest"`` (or ``""``) means ``runs/latest`` (the newest
successful ``make report``) when it holds a classifier; otherwise the run whose ``model.skops`` is
newest, so a classifier saved from JupyterLab (run id ``"lab"``) is found too. That fallback can
pick a folder someone dropped into ``runs/``; it is loaded like any other, through the trusted
loader, so a crafted file is refused with a message naming its types, and
``PredictorModel.fallback`` is true so the page says which run it picked.

Speed: the probabilities of one point come from :class:`genrelab.predictor.proba.ProbaFunction`
(a direct path for forests); ``benchmarks/bench_predictor.py`` measures it.

Example
-------
>>> from genrelab.predictor.model import PredictorModel     # doctest: +SKIP
>>> model = PredictorModel("latest")                         # doctest: +SKIP
>>> model.predict(model.point({"speechiness": 0.4})).probabilities.idxmax()  # doctest: +SKIP
'rap'
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from genrelab import audio, config, persist, runs, schema, tables
from genrelab.errors import GenrelabError
from genrelab.predictor.clusters import cluster_model
from genrelab.predictor.proba import ProbaFunction

log = logging.getLogger(__name__)

#: Aubio descriptors that already are reference features (the rest needs a mapping).
DIRECT_FROM_AUBIO = {"tempo": "tempo", "loudness": "loudness", "key": "key", "mode": "mode"}

NO_MODEL = """\
No saved classifier under {root}: the predictor needs the model notebook 03 saves
(model.skops). Run `make report` (or `make quick` for a fast one), or
notebooks/03_classification.ipynb, then open this page again."""


class PredictorSetupError(GenrelabError, RuntimeError):
    """The predictor cannot start (no saved model...); the message says what to run."""


# --- the run --------------------------------------------------------------------------------------
def find_model_run(run_id: str = runs.LATEST) -> Path:
    """The run directory holding the classifier: ``run_id``, or the newest run with a model.

    Parameters
    ----------
    run_id : str
        A run under :func:`genrelab.config.runs_dir`. ``"latest"`` or ``""``: ``runs/latest`` if
        it holds a model, else the run whose ``model.skops`` is newest (loaded, like any model,
        through :func:`genrelab.persist.load`).

    Raises
    ------
    PredictorSetupError
        The run (or every run) lacks ``model.skops``, or the run id is not a folder name; the
        message says what to run.
    """
    root = config.runs_dir()
    if run_id not in ("", runs.LATEST):
        try:
            runs.check_run_id(run_id)
        except ValueError as exc:
            raise PredictorSetupError(str(exc)) from None
        path = root / run_id
        if (path / runs.MODEL_FILE).exists():
            return path
        raise PredictorSetupError(
            f"run {run_id!r} ({path}) has no saved classifier ({runs.MODEL_FILE}): run "
            f"notebooks/03_classification.ipynb with run_id={run_id!r}, or `make report`; "
            f'run_id="latest" picks the newest run that has one.'
        )
    latest = root / runs.LATEST
    if (latest / runs.MODEL_FILE).exists():
        try:  # the predictor writes its mixture into the run: never into a folder elsewhere
            return runs.resolve_latest(root)
        except ValueError as exc:
            raise PredictorSetupError(str(exc)) from None
    found = [p.parent for p in root.glob(f"*/{runs.MODEL_FILE}") if p.parent.name != runs.LATEST]
    if not found:
        raise PredictorSetupError(NO_MODEL.format(root=root))
    return max(found, key=lambda p: (p / runs.MODEL_FILE).stat().st_mtime)


def unlabelled_run(run_id: str = runs.LATEST) -> Path | None:
    """The run ``run_id`` (``"latest"`` / ``""``: ``runs/latest``) when its table had no genres
    (notebook 03 recorded :data:`~genrelab.tables.dedup.NO_GENRES` and saved no classifier), else
    None."""
    root = config.runs_dir()
    name = run_id or runs.LATEST
    try:
        runs.check_run_id(name)
    except ValueError:
        return None
    path = root / name
    metrics = path / runs.METRICS_FILE
    if (path / runs.MODEL_FILE).exists() or not metrics.exists():
        return None
    try:
        note = runs.lookup(json.loads(metrics.read_text()), "skipped", {}).get("classification")
    except (OSError, ValueError, AttributeError):
        return None
    return path.resolve() if str(note or "").startswith(tables.NO_GENRES) else None


#: What the page says instead of genre probabilities for a run without genres.
NO_GENRES_MODEL = (
    "No genre probabilities: run {run}'s table has no genres, so notebook 03 trained no "
    "classifier. Genre probabilities need a labelled run (a table with a label_column); the "
    "cluster posterior and the nearest tracks below still work."
)


# --- the tracks -----------------------------------------------------------------------------------
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
        self.features = list(features)
        self.tracks = tracks.dropna(subset=self.features).reset_index(drop=True)
        X = self.tracks[self.features].to_numpy(dtype=np.float64)
        self._mean, self._std = X.mean(axis=0), X.std(axis=0)
        self._std[self._std == 0] = 1.0
        self._nn = NearestNeighbors().fit((X - self._mean) / self._std)
        name = self.tracks["track_name"].astype("str").fillna("")
        artist = self.tracks["track_artist"].astype("str").fillna("")
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
        """The ``n`` tracks closest to ``point`` (a dict or an array in ``features`` order)."""
        x = (
            np.array([point[f] for f in self.features])
            if isinstance(point, Mapping)
            else np.asarray(point, dtype=np.float64)
        )
        dist, idx = self._nn.kneighbors(((x - self._mean) / self._std)[None], n_neighbors=n)
        out = self.tracks.iloc[idx[0]].copy()
        out["distance"] = dist[0]
        return out


def _unlabelled_meta(run_dir: Path) -> dict:
    """The sliders of a run without a classifier: its tracks' continuous features and ranges."""
    tracks = pd.read_parquet(run_dir / f"{runs.TRACKS_TABLE}.parquet")
    features = tables.features_present(tracks, schema.CONTINUOUS_FEATURES)
    return {
        "features": features,
        "feature_ranges": persist.feature_ranges(tracks.dropna(subset=features), features),
        "classes": [],
        "genre_medians": {},
    }


# --- aubio descriptors -> reference features ------------------------------------------------------
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
                f"the aubio->Spotify mapping needs descriptor(s) {missing} "
                f"the extractor did not give"
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


def read_aubio_mapping(run_dir: Path) -> AubioMapping | None:
    """The run's aubio -> reference mapping, or ``None``
    (:func:`~genrelab.persist.load_aubio_mapping`)."""
    saved = persist.load_aubio_mapping(run_dir)
    return None if saved is None else AubioMapping(saved.pipeline, saved.meta)


# --- one point ------------------------------------------------------------------------------------
@dataclass
class Prediction:
    """What the predictor shows for one point."""

    probabilities: pd.Series  # genre -> probability, in the classifier's class order
    cluster_posterior: pd.Series  # "cluster i: genres" -> responsibility
    neighbors: pd.DataFrame  # the nearest tracks, with a ``distance`` column


@dataclass
class AudioAnalysis:
    """An audio file seen by the predictor: its aubio descriptors and, with a mapping, a point.

    ``error`` says why the file could not be analysed (then ``features`` is None);
    ``mapping_error`` why its descriptors could not be mapped to the reference features.
    """

    name: str
    features: dict | None = None
    reference: dict[str, float] | None = None
    error: str | None = None
    mapping_error: str | None = None


class PredictorModel:
    """A run's classifier, mixture, track index and aubio mapping, ready for one point at a time.

    Parameters
    ----------
    run_id : str
        Run holding ``model.skops`` (notebook 03); ``"latest"`` / ``""``: see
        :func:`find_model_run`.
    tracks : DataFrame, optional
        Tracks for the search and the neighbours (default: the embedded snapshot).
    gmm_max_tracks : int
        Tracks the Gaussian mixture is fitted on, at most (the fit is cached in the run).
    seed : int
        Random state of the mixture.

    Raises
    ------
    PredictorSetupError
        No run with a saved classifier.
    genrelab.persist.ModelFileError
        The classifier is unreadable or holds a type the package never saves
        (:class:`genrelab.persist.UntrustedTypesError`); nothing in it was built. Or its
        ``model.json`` disagrees with it (classes, features, slider ranges).

    Attributes
    ----------
    run_dir : Path
    fallback : bool
        ``run_id`` was ``"latest"`` but ``runs/latest`` holds no classifier: ``run_dir`` is
        the run with the newest one.
    saved : genrelab.persist.SavedModel
        The classifier and its ``model.json``.
    features, classes : list of str
        The columns the classifier reads and the labels of its probabilities, from the fitted
        pipeline (``feature_names_in_``, ``classes_``); :func:`genrelab.persist.load_model`
        refuses a ``model.json`` that disagrees with them.
    proba : ProbaFunction
    index : TrackIndex
    clusters : ClusterModel
    mapping : AubioMapping or None
    mapping_error : str or None
        Why the run's mapping could not be loaded (the audio probabilities are then off).
    """

    def __init__(
        self,
        run_id: str = runs.LATEST,
        *,
        tracks: pd.DataFrame | None = None,
        gmm_max_tracks: int = 5000,
        seed: int = 42,
    ):
        unlabelled = unlabelled_run(run_id)  # a run without genres: clusters and neighbours only
        self.run_dir = unlabelled or find_model_run(run_id)
        latest = config.runs_dir() / runs.LATEST
        self.fallback = (
            not unlabelled
            and run_id in ("", runs.LATEST)
            and not (latest / runs.MODEL_FILE).exists()
        )
        self.saved: persist.SavedModel | None = None
        self.proba: ProbaFunction | None = None
        if unlabelled:
            self._meta = _unlabelled_meta(self.run_dir)
            self.features, self.classes = list(self._meta["features"]), []
        else:
            self.saved = persist.load_model(self.run_dir)
            self._meta = self.saved.meta
            self.features = self.saved.features
            self.classes = self.saved.classes  # the pipeline's classes_: the labels of predict
            ranges = self.meta["feature_ranges"]
            probe = np.array(
                [[ranges[f][q] for f in self.features] for q in ("p01", "median", "p99")]
            )
            self.proba = ProbaFunction(self.saved.pipeline, self.features, probe=probe)
        # neighbours and the mixture read the continuous features the classifier has (a table
        # may lack some)
        continuous = [f for f in schema.CONTINUOUS_FEATURES if f in self.features]
        self.index = TrackIndex(
            tracks if tracks is not None else tables.snapshot_tracks(), features=continuous
        )
        self.clusters = cluster_model(
            self.run_dir, max_tracks=gmm_max_tracks, seed=seed, features=continuous
        )
        self._cont = [self.features.index(f) for f in self.clusters.features]
        self.mapping: AubioMapping | None = None
        self.mapping_error: str | None = None
        try:
            self.mapping = read_aubio_mapping(self.run_dir)
        except Exception as exc:  # an unreadable mapping only turns off the audio probabilities
            self.mapping_error = f"the run's aubio->Spotify mapping is not used: {exc}"
            log.warning("%s", self.mapping_error)

    @property
    def meta(self) -> dict:
        """The classifier's ``model.json`` (a run without genres: its features and ranges)."""
        return self._meta

    @property
    def labelled(self) -> bool:
        """Whether the run has a classifier (genre probabilities); see :func:`unlabelled_run`."""
        return self.proba is not None

    def medians(self) -> dict[str, float]:
        """The training tracks' median of each feature."""
        return {f: r["median"] for f, r in self.meta["feature_ranges"].items()}

    def genre_medians(self, genre: str) -> dict[str, float]:
        """The medians of one genre's training tracks."""
        return dict(self.meta["genre_medians"][genre])

    def point(self, values: Mapping[str, float] | None = None) -> np.ndarray:
        """A point in ``features`` order: ``values`` where given, else the medians."""
        merged = {**self.medians(), **dict(values or {})}
        return np.array([float(merged[f]) for f in self.features])

    def continuous(self, x: np.ndarray) -> np.ndarray:
        """The mixture's (and the neighbours') coordinates of a point."""
        return np.asarray(x, dtype=np.float64)[..., self._cont]

    def predict(self, x: np.ndarray, n_neighbors: int = 6) -> Prediction:
        """Genre probabilities, cluster posterior and nearest tracks of one point."""
        x = np.asarray(x, dtype=np.float64).reshape(len(self.features))
        p = self.proba(x[None])[0] if self.proba is not None else []
        post = self.clusters.posterior(self.continuous(x)[None])[0]
        return Prediction(
            probabilities=pd.Series(p, index=self.classes, name="probability", dtype="float64"),
            cluster_posterior=pd.Series(post, index=self.clusters.labels(), name="posterior"),
            neighbors=self.index.nearest(self.continuous(x), n_neighbors),
        )

    def analyse_audio(self, name: str, content: bytes) -> AudioAnalysis:
        """Aubio descriptors of an audio file's bytes and, with a mapping, its reference features.

        Never raises for a bad file: ``AudioAnalysis.error`` says what went wrong.
        """
        result = AudioAnalysis(name)
        suffix = Path(name).suffix.lower() or ".bin"
        fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="genrelab-upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            result.features = audio.extract_features(tmp)
        except audio.AudioError as exc:
            result.error = exc.reason.rstrip(".")
        except Exception as exc:  # anything else the decoder or aubio throws
            log.info("upload %s failed: %s", name, exc)
            result.error = str(exc)
        finally:
            Path(tmp).unlink(missing_ok=True)
        if result.features is not None and self.mapping is not None:
            try:
                result.reference = self.mapping.reference_features(result.features)
            except Exception as exc:
                result.mapping_error = str(exc)
        return result
