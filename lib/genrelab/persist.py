"""Saved models: every skops file the package writes and reads, through one trusted loader.

A run holds three kinds of fitted objects, each a skops file with a JSON side file (names in
:mod:`genrelab.runs`):

* the classifier notebook 03 saves (``model.skops`` + ``model.json``: :func:`save_model`,
  :func:`load_model`), read by the genre predictor;
* the predictor's cached Gaussian mixture (``predictor_gmm.skops`` + ``.json``:
  :func:`save_mixture`, :func:`load_mixture`);
* an optional regression from aubio descriptors to the reference features
  (``aubio_mapping.skops`` + ``.json``: :func:`save_aubio_mapping`, :func:`load_aubio_mapping`).

Why one loader
--------------
skops rebuilds an object from a description of it (a type name and its state), and some types
do things when rebuilt: a file whose only type is ``numpy.testing._private.utils.runstring``
makes ``skops.io.load`` run text from the file as Python. skops trusts its own list of safe types
(scikit-learn's estimators, builtins); :func:`load` trusts, beyond those, only the exact names in
:data:`TRUSTED_TYPES`: the types the package's own saved objects hold (tests/test_persist.py saves
every kind and checks that the list covers them and holds nothing else). A file with any other
type is refused with :class:`UntrustedTypesError`, which names the types, before anything in it
is built. :func:`dump` refuses to write what :func:`load` would refuse, so a new kind of model
fails when it is saved, not when the predictor opens it.

Example
-------
>>> from genrelab import persist                                    # doctest: +SKIP
>>> persist.save_model(pipe, run.dir, train=train, name="random_forest",
...                    params={}, metrics={"accuracy": 0.56})      # doctest: +SKIP
>>> saved = persist.load_model(run.dir)                            # doctest: +SKIP
>>> saved.pipeline.predict_proba(X)                                # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import skops.io as sio

from genrelab import runs
from genrelab.errors import GenrelabError
from genrelab.schema import AUDIO_FEATURES, LABEL

#: The types :func:`load` trusts beyond skops' own safe list, by exact name: what the package's
#: saved objects hold (every default classifier in both feature sets, the mixture, a mapping).
TRUSTED_TYPES: tuple[str, ...] = (
    "genrelab.mixture.em.GaussianMixtureEM",  # the predictor's mixture
    "genrelab.classify.pipelines.OutOfFoldProba",  # stacked text probabilities (full set)
    "genrelab.classify.pipelines.SubsampledClassifier",  # the RBF SVC fitted on a subsample
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",  # boosted trees
    "sklearn.tree._tree.Tree",  # the trees of a random forest
)


#: Caps on what a skops file (a zip) may declare, checked from its directory before anything is
#: inflated (:func:`check_archive`): a 3.6 MB file declaring a 3 GiB ``schema.json`` once took
#: 3.3 GB of memory to fail. ``schema.json`` is parsed into Python objects; the package's largest
#: (boosting, 500 rounds x 100 genres) is about 130 MiB. The total (also the largest file read)
#: bounds the arrays. :func:`dump` stores members uncompressed; a deflated member over 1 MiB may
#: expand at most :data:`MAX_COMPRESSION_RATIO` times (JSON deflates ~36:1, zeros ~1000:1).
MAX_SCHEMA_BYTES = 256 * 2**20
MAX_UNCOMPRESSED_BYTES = 2 * 2**30
MAX_COMPRESSION_RATIO = 100


class ModelFileError(GenrelabError, ValueError):
    """A saved model cannot be read: not a skops file, a side file missing or broken."""


class UntrustedTypesError(ModelFileError):
    """A skops file holds types outside :data:`TRUSTED_TYPES`; nothing in it was built.

    Attributes
    ----------
    path : Path
    types : list of str
        The offending types, by their full names.
    """

    def __init__(self, path: Path | str, types: Sequence[str], *, saving: bool = False):
        self.path, self.types = Path(path), sorted(types)
        names = ", ".join(self.types)
        if saving:
            message = (
                f"not saving {self.path}: it would hold type(s) {names}, which "
                f"genrelab.persist.load refuses. If each rebuilds itself without running code "
                f"from its saved state, add its exact name to genrelab.persist.TRUSTED_TYPES "
                f"(and an object holding it to tests/test_persist.py)."
            )
        else:
            message = (
                f"{self.path} holds type(s) that genrelab never saves: {names}. Refused "
                f"without building anything from the file (a model file can run code when "
                f"loaded). Open only model files made by this package, such as `make report`'s."
            )
        super().__init__(message)


# --- the one loader -------------------------------------------------------------------------------
def untrusted_types(raw: bytes) -> list[str]:
    """The types of a skops file (its bytes) outside :data:`TRUSTED_TYPES`, sorted."""
    return sorted(set(sio.get_untrusted_types(data=raw)) - set(TRUSTED_TYPES))


def dump(obj: Any, path: Path | str) -> Path:
    """Write ``obj`` to ``path`` as skops, atomically; refuse what :func:`load` would refuse.

    Raises
    ------
    UntrustedTypesError
        ``obj`` holds a type outside :data:`TRUSTED_TYPES` (nothing is written).
    """
    path = Path(path)
    raw = sio.dumps(obj)
    unexpected = untrusted_types(raw)
    if unexpected:
        raise UntrustedTypesError(path, unexpected, saving=True)
    _write_atomic(path, raw)
    return path


def load(path: Path | str) -> Any:
    """Load a skops file written by :func:`dump`, trusting only :data:`TRUSTED_TYPES`.

    Raises
    ------
    FileNotFoundError
        No such file.
    UntrustedTypesError
        The file holds another type; it is refused before anything in it is built.
    ModelFileError
        The file is not a skops file, declares more than the caps allow
        (:func:`check_archive`), or cannot be rebuilt.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise ModelFileError(f"{path} is not a file (a folder?); not a skops file")
    size = path.stat().st_size
    if size > MAX_UNCOMPRESSED_BYTES:
        raise ModelFileError(
            f"{path} is {_mib(size)}, over genrelab.persist.MAX_UNCOMPRESSED_BYTES "
            f"({_mib(MAX_UNCOMPRESSED_BYTES)}); not read (genrelab's model files are far smaller)"
        )
    raw = path.read_bytes()  # read once: the check and the load see the same bytes
    check_archive(path, raw)
    try:
        found = sio.get_untrusted_types(data=raw)
    except Exception as exc:  # not a zip, no schema, an unknown loader...
        raise ModelFileError(f"{path} is not a skops file ({type(exc).__name__}: {exc})") from exc
    unexpected = sorted(set(found) - set(TRUSTED_TYPES))
    if unexpected:
        raise UntrustedTypesError(path, unexpected)
    try:
        return sio.loads(raw, trusted=sorted(found))
    except Exception as exc:
        raise ModelFileError(f"cannot rebuild {path} ({type(exc).__name__}: {exc})") from exc


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def check_archive(path: Path, raw: bytes) -> None:
    """Refuse a skops file (``raw``, read from ``path``) whose zip directory declares too much.

    Only the directory is read: each member's declared sizes against :data:`MAX_SCHEMA_BYTES`
    (``schema.json``), :data:`MAX_UNCOMPRESSED_BYTES` (every member, and their total) and
    :data:`MAX_COMPRESSION_RATIO`. Python's zipfile never inflates a member beyond its declared
    size, so nothing larger is allocated later.

    Raises
    ------
    ModelFileError
        Naming the file and the member; or the file is not a zip at all.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            members = z.infolist()
    except Exception as exc:  # not a zip, a broken directory...
        raise ModelFileError(f"{path} is not a skops file ({type(exc).__name__}: {exc})") from exc

    def refuse(member: zipfile.ZipInfo, problem: str) -> ModelFileError:
        return ModelFileError(
            f"{path}: member {member.filename} declares {problem}; refused before reading it "
            f"(genrelab writes nothing like it: a zip bomb or a damaged file)"
        )

    total = 0
    for m in members:
        cap, name = (
            (MAX_SCHEMA_BYTES, "MAX_SCHEMA_BYTES")
            if m.filename == "schema.json"
            else (MAX_UNCOMPRESSED_BYTES, "MAX_UNCOMPRESSED_BYTES")
        )
        if m.file_size > cap:
            raise refuse(m, f"{_mib(m.file_size)}, over genrelab.persist.{name} ({_mib(cap)})")
        if m.file_size > 2**20 and m.file_size > MAX_COMPRESSION_RATIO * max(m.compress_size, 1):
            raise refuse(
                m,
                f"{_mib(m.file_size)} from {m.compress_size:,} bytes compressed "
                f"({m.file_size // max(m.compress_size, 1):,}:1, over "
                f"genrelab.persist.MAX_COMPRESSION_RATIO = {MAX_COMPRESSION_RATIO})",
            )
        total += m.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise refuse(
                m,
                f"enough to bring the members to {_mib(total)}, over "
                f"genrelab.persist.MAX_UNCOMPRESSED_BYTES ({_mib(MAX_UNCOMPRESSED_BYTES)})",
            )


def _write_atomic(path: Path, content: bytes) -> None:
    """Write through a unique temporary file in the same folder, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(path: Path, value: Any) -> None:
    _write_atomic(path, json.dumps(runs.jsonable(value), indent=2, allow_nan=False).encode())


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelFileError(f"{path} is missing (it is written beside {path.stem}.skops)") from exc
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path} is not readable JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise ModelFileError(f"{path} holds {type(value).__name__}, not a JSON object")
    return value


# --- a fitted object and its side file ------------------------------------------------------------
@dataclass
class SavedModel:
    """A fitted object of a run and its JSON side file.

    For the classifier (:func:`load_model`): a pipeline over :data:`AUDIO_FEATURES` and what a
    predictor needs to know of it (``features``, ``classes``, ``feature_ranges``,
    ``genre_medians``, ``name``, ``params``, ``metrics``, ``n_train``).
    """

    pipeline: Any
    meta: dict = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        """The columns the pipeline reads, in its order (``feature_names_in_``, else the meta's)."""
        names = _fitted_features(self.pipeline)
        return names if names is not None else list(self.meta["features"])

    @property
    def classes(self) -> list[str]:
        """The labels of ``predict_proba``'s columns: the pipeline's ``classes_``, as str."""
        classes = _fitted_classes(self.pipeline)
        return classes if classes is not None else list(self.meta["classes"])


def _fitted_features(pipeline: Any) -> list[str] | None:
    names = getattr(pipeline, "feature_names_in_", None)
    return None if names is None else [str(f) for f in names]


def _fitted_classes(pipeline: Any) -> list[str] | None:
    classes = getattr(pipeline, "classes_", None)
    return None if classes is None else [str(c) for c in classes]


def _save_pair(obj: Any, run_dir: Path | str, name: str, meta_name: str, meta: Mapping) -> Path:
    run_dir = Path(run_dir)
    path = dump(obj, run_dir / name)
    _write_json(run_dir / meta_name, dict(meta))
    return path


def _load_pair(run_dir: Path | str, name: str, meta_name: str) -> SavedModel | None:
    run_dir = Path(run_dir)
    if not (run_dir / name).exists():
        return None
    meta = _read_json(run_dir / meta_name)
    return SavedModel(load(run_dir / name), meta)


# --- the classifier (notebook 03) -----------------------------------------------------------------
#: What each feature's entry of ``model.json``'s ``feature_ranges`` holds (the sliders' range).
RANGE_KEYS = ("min", "p01", "median", "p99", "max")


def _difference(listed: Sequence[str], fitted: Sequence[str]) -> str:
    """How ``listed`` (model.json) differs from ``fitted`` (the pipeline), in a few words."""
    missing = [f for f in fitted if f not in listed]
    extra = [f for f in listed if f not in fitted]
    if missing or extra or len(listed) != len(fitted):
        parts = [f"lists {len(listed)} where the model has {len(fitted)}"]
        if missing:
            parts.append(f"lacks {missing[:5]}{' ...' if len(missing) > 5 else ''}")
        if extra:
            parts.append(f"adds {extra[:5]}{' ...' if len(extra) > 5 else ''}")
        return ", ".join(parts)
    i = next(i for i, (a, b) in enumerate(zip(listed, fitted)) if a != b)
    return f"has {listed[i]!r} at position {i} where the model has {fitted[i]!r} (another order)"


def check_model_meta(
    pipeline: Any, meta: Mapping[str, Any], meta_path: Path, *, saving: bool = False
) -> None:
    """Refuse a ``model.json`` that disagrees with the fitted classifier beside it.

    The probabilities are labelled with the pipeline's ``classes_`` and a point's columns follow
    its ``feature_names_in_``; ``model.json`` repeats both for the predictor's page, and its slider
    ranges cover every feature. A copy that differs (edited, or from another run) would relabel
    every prediction or fail every one, so it is refused rather than trusted. :func:`save_model`
    runs the same check (``saving=True``) before it writes anything.

    Raises
    ------
    ModelFileError
        Naming ``meta_path`` and the field: ``classes`` or ``features`` missing or not the
        pipeline's (same names, same order), ``feature_ranges`` lacking a feature or a number.
    """
    model_path = meta_path.parent / runs.MODEL_FILE

    def refuse(field_name: str, problem: str) -> ModelFileError:
        if saving:
            return ModelFileError(
                f"not saving {meta_path}: field {field_name!r} {problem} (the `features` "
                f"given to save_model must be the columns the pipeline was fitted on, in order)"
            )
        return ModelFileError(
            f"{meta_path}: field {field_name!r} {problem}. It does not describe the classifier "
            f"in {model_path}; save the model again (notebook 03) instead of editing "
            f"{meta_path.name}."
        )

    if _fitted_classes(pipeline) is None:
        raise ModelFileError(f"{model_path} holds no classifier (its model has no classes_)")
    for field_name, fitted in (
        ("classes", _fitted_classes(pipeline)),
        ("features", _fitted_features(pipeline)),
    ):
        listed = meta.get(field_name)
        if listed is None:
            raise refuse(field_name, "is missing")
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise refuse(field_name, f"is {repr(listed)[:80]}, not a list of names")
        if fitted is None:  # fitted on an array: only the count is known
            fitted_n = getattr(pipeline, "n_features_in_", len(listed))
            if len(listed) != fitted_n:
                raise refuse(field_name, f"lists {len(listed)} where the model reads {fitted_n}")
        elif listed != fitted:
            raise refuse(field_name, _difference(listed, fitted))
    ranges = meta.get("feature_ranges")
    if not isinstance(ranges, dict):
        raise refuse("feature_ranges", "is missing or not an object")
    for f in meta["features"]:
        entry = ranges.get(f)
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), (int, float)) and not isinstance(entry.get(k), bool)
            for k in RANGE_KEYS
        ):
            raise refuse("feature_ranges", f"lacks {f!r} (or one of {', '.join(RANGE_KEYS)})")
        values = [float(entry[k]) for k in RANGE_KEYS]
        if not all(math.isfinite(v) for v in values) or values != sorted(values):
            raise refuse(
                "feature_ranges",
                f"holds {f!r}: {dict(zip(RANGE_KEYS, values))}, not finite numbers in the "
                f"order {' <= '.join(RANGE_KEYS)}",
            )


def feature_ranges(
    df: pd.DataFrame, features: Sequence[str] = AUDIO_FEATURES
) -> dict[str, dict[str, float]]:
    """Min, 1st/99th percentile, median and max of each feature: slider ranges for a predictor."""
    q = df[list(features)].quantile([0.0, 0.01, 0.5, 0.99, 1.0])
    return {
        f: dict(zip(["min", "p01", "median", "p99", "max"], map(float, q[f]))) for f in features
    }


def save_model(
    pipeline,
    run_dir: Path | str,
    *,
    train: pd.DataFrame,
    name: str,
    params: dict,
    metrics: dict,
    features: Sequence[str] = AUDIO_FEATURES,
    feature_set: str = "audio",
) -> Path:
    """Write the classifier as ``model.skops`` and ``model.json`` (features, ranges, classes...).

    Parameters
    ----------
    pipeline : fitted classifier over ``features``
    run_dir : path
        The run folder (``Run.dir``).
    train : DataFrame
        The training tracks: slider ranges and per-genre medians (column ``genre``).
    name, params, metrics
        The model's name, its chosen parameters and its held-out metrics, kept in ``model.json``.
    features, feature_set
        The columns the model reads (default: every audio feature) and the name of their set;
        the predictor shows both.

    Raises
    ------
    ModelFileError
        ``features`` are not the columns the pipeline was fitted on, in its order
        (:func:`check_model_meta`); nothing is written.
    """
    features = list(features)
    meta = {
        "name": name,
        "feature_set": feature_set,
        "features": features,
        "classes": [str(c) for c in pipeline.classes_],
        "feature_ranges": feature_ranges(train, features),
        "params": params,
        "metrics": metrics,
        "genre_medians": train.groupby(LABEL)[features].median().to_dict(orient="index"),
        "n_train": len(train),
    }
    check_model_meta(pipeline, meta, Path(run_dir) / runs.MODEL_META_FILE, saving=True)
    return _save_pair(pipeline, run_dir, runs.MODEL_FILE, runs.MODEL_META_FILE, meta)


def load_model(run_dir: Path | str) -> SavedModel:
    """The classifier saved by :func:`save_model` in ``run_dir`` (through :func:`load`).

    Raises
    ------
    FileNotFoundError
        The run has no ``model.skops``; the message says which notebook writes it.
    UntrustedTypesError, ModelFileError
        See :func:`load`; also a missing or broken ``model.json``, or one that disagrees with
        the classifier (:func:`check_model_meta`).
    """
    saved = _load_pair(run_dir, runs.MODEL_FILE, runs.MODEL_META_FILE)
    if saved is None:
        raise FileNotFoundError(
            f"{Path(run_dir) / runs.MODEL_FILE} not found: run "
            f"notebooks/03_classification.ipynb for this run first"
        )
    check_model_meta(saved.pipeline, saved.meta, Path(run_dir) / runs.MODEL_META_FILE)
    return saved


# --- the predictor's mixture ----------------------------------------------------------------------
def save_mixture(pipeline, run_dir: Path | str, meta: Mapping[str, Any]) -> Path:
    """Cache the predictor's mixture (scaler + mixture) and its settings in the run."""
    return _save_pair(pipeline, run_dir, runs.GMM_FILE, runs.GMM_META_FILE, meta)


def load_mixture(run_dir: Path | str) -> SavedModel | None:
    """The run's cached mixture (``pipeline`` and ``meta``), or ``None`` when none is cached."""
    return _load_pair(run_dir, runs.GMM_FILE, runs.GMM_META_FILE)


# --- aubio descriptors -> reference features ------------------------------------------------------
def save_aubio_mapping(
    model,
    run_dir: Path | str,
    *,
    inputs: Sequence[str],
    targets: Sequence[str],
    metrics: Mapping[str, Any] | None = None,
) -> Path:
    """Save a fitted regressor from aubio descriptors (``inputs``) to reference features.

    ``model.predict`` takes the ``inputs`` columns and returns one column per ``targets``. The
    predictor of that run then gives genre probabilities for an uploaded audio file.
    """
    meta = {"inputs": list(inputs), "targets": list(targets), "metrics": dict(metrics or {})}
    return _save_pair(model, run_dir, runs.MAPPING_FILE, runs.MAPPING_META_FILE, meta)


def load_aubio_mapping(run_dir: Path | str) -> SavedModel | None:
    """The run's aubio mapping (``pipeline`` = the regressor, ``meta``), or ``None``."""
    return _load_pair(run_dir, runs.MAPPING_FILE, runs.MAPPING_META_FILE)
