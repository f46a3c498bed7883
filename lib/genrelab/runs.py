"""A run directory, ``runs/<run_id>/``: what the notebooks write and read.

Every notebook takes a ``run_id`` parameter and opens ``Run(run_id)``. Notebook 01 writes
the tidy tables there; later notebooks read them, add figures with
:func:`genrelab.plots.save_fig` and numbers with :meth:`Run.record`, so ``metrics.json``
is one JSON object with one key per notebook section. Interactive work in JupyterLab uses
the run id ``"lab"``; ``make report`` uses a timestamp.

Example
-------
>>> run = Run("lab")                                     # doctest: +SKIP
>>> run.record("gmm", k_bic=6, ari_vs_genre=0.08)          # doctest: +SKIP
>>> run.read_table("tracks").shape                         # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock

from genrelab import config
from genrelab.schema import Section

# --- every file name inside a run directory -------------------------------------------------------
METRICS_FILE = "metrics.json"  # every notebook's numbers (Run.record)
FEATURED_FILE = "featured_figures.txt"  # the chosen figures `make figures` publishes
FIGURES_DIR = "figures"  # <run>/figures/NN_name.png
TRACKS_TABLE = "tracks"  # tables are <run>/<name>.parquet (Run.write_table / read_table)
PLAYLISTS_TABLE = "playlists"
ARTISTS_TABLE = "artists"
AUBIO_FEATURES_TABLE = "aubio_features"
MODEL_FILE = "model.skops"  # the classifier notebook 03 saves (genrelab.persist)
MODEL_META_FILE = "model.json"  # its features, classes, slider ranges, metrics
GMM_FILE = "predictor_gmm.skops"  # the predictor's cached Gaussian mixture
GMM_META_FILE = "predictor_gmm.json"
MAPPING_FILE = "aubio_mapping.skops"  # an optional aubio -> reference features regression
MAPPING_META_FILE = "aubio_mapping.json"
DECISION_TREE_DOT = "03_decision_tree.dot"
PARAMS_FILE = "params.yaml"  # written by the report runner
ENVIRONMENT_FILE = "environment.json"
LOG_FILE = "report.log"
REPORT_HTML = "report.html"
HTML_DIR = "html"
#: The name of the link to the newest successful run; never a run id of its own.
LATEST = "latest"
#: Longest run id (a folder name; file systems allow 255 bytes, the report adds suffixes).
MAX_RUN_ID = 120


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is a plain folder name, else raise ``ValueError`` saying why.

    A plain folder name has no ``/``, is not ``.`` or ``..``, holds no control character (a
    newline or a tab would break the log lines and file listings that name the run) and is at
    most :data:`MAX_RUN_ID` bytes long.
    """
    if not isinstance(run_id, str) or not run_id or "/" in run_id or run_id in {".", ".."}:
        raise ValueError(f"run_id must be a plain folder name, got {run_id!r}")
    control = [c for c in run_id if unicodedata.category(c) == "Cc"]
    if control:
        raise ValueError(
            f"run_id must be a plain folder name without control characters, got {run_id!r} "
            f"(it holds {''.join(dict.fromkeys(control))!r})"
        )
    if len(run_id.encode()) > MAX_RUN_ID:
        raise ValueError(
            f"run_id is {len(run_id.encode())} bytes long; at most {MAX_RUN_ID} are allowed"
        )
    return run_id


def resolve_latest(root: Path) -> Path:
    """The run folder ``<root>/latest`` links to, refused if it lies outside ``root``.

    The runner points the link at a folder of ``root``; a link edited or planted to point
    elsewhere would make every reader (and the predictor, which writes its mixture into the
    run) work on a folder that is not a run.

    Raises
    ------
    ValueError
        The link points outside ``root`` (or at ``root`` itself).
    """
    link = root / LATEST
    target = link.resolve()
    if target.parent != root.resolve():
        raise ValueError(
            f"{link} points to {target}, which is not a run folder of {root}: "
            f"remove the link (the next complete run sets it again)"
        )
    return target


def lookup(metrics: dict, key: str, default: Any = None) -> Any:
    """The value at a dotted key (``"gmm.k_bic"``, see :class:`genrelab.schema.Metric`)."""
    value: Any = metrics
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def jsonable(value: Any) -> Any:
    """Turn numpy / pandas scalars and containers into plain JSON values (NaN -> null)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, pd.Series):
        return jsonable(value.to_dict())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _deep_merge(into: dict, new: dict) -> dict:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value
    return into


class Run:
    """One run directory (created on first use).

    Parameters
    ----------
    run_id : str
        Folder name under :func:`genrelab.config.runs_dir`. ``"latest"`` resolves to the
        newest run ``make report`` completed.
    create : bool
        Create the folder if it does not exist (``False``: raise ``FileNotFoundError``).
    """

    def __init__(self, run_id: str = "lab", *, create: bool = True):
        check_run_id(run_id)
        root = config.runs_dir()
        path = root / run_id
        if run_id == LATEST and path.is_symlink():
            path = resolve_latest(root)
        if not create and not path.is_dir():
            hint = " (no run has completed yet)" if run_id == LATEST else ""
            raise FileNotFoundError(f"no run {run_id!r} under {root}{hint}")
        self.id = path.name
        self.dir = path
        #: whether this object made the folder: :meth:`read_table` removes it again, if still
        #: empty, when what it asks for is missing (notebook 02 opened before 01 leaves no
        #: empty ``runs/lab/`` behind its error)
        self.created = not path.is_dir()
        self.dir.mkdir(parents=True, exist_ok=True)

    def discard_if_empty(self) -> bool:
        """Remove the run folder if this object created it and nothing has been written into it
        since; returns whether it was removed. A later write creates it again."""
        if not self.created:
            return False
        try:
            self.dir.rmdir()  # only an empty folder
        except OSError:
            return False
        return True

    def __repr__(self) -> str:
        return f"Run({self.id!r}) at {self.dir}"

    # --- tables -----------------------------------------------------------------
    def table_path(self, name: str) -> Path:
        return self.dir / f"{name}.parquet"

    def write_table(self, df: pd.DataFrame, name: str) -> Path:
        """Write ``df`` as ``<run>/<name>.parquet`` and return the path."""
        path = self.table_path(name)
        self.dir.mkdir(parents=True, exist_ok=True)
        df.to_parquet(path, index=False)
        return path

    def read_table(self, name: str) -> pd.DataFrame:
        """Read a table written earlier in this run, with a clear error if it is missing."""
        path = self.table_path(name)
        if not path.exists():
            self.discard_if_empty()
            raise FileNotFoundError(
                f"{path} does not exist: run notebooks/01_collection.ipynb with run_id={self.id!r} "
                f"first (or `make report`, which runs every notebook in order)."
            )
        return pd.read_parquet(path)

    # --- figures ----------------------------------------------------------------
    @property
    def figures_dir(self) -> Path:
        path = self.dir / FIGURES_DIR
        path.mkdir(parents=True, exist_ok=True)
        return path

    def mark_featured(self, figure_file: str) -> None:
        """Remember a figure as one of the run's chosen figures (copied by `make figures`)."""
        path = self.dir / FEATURED_FILE
        self.dir.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{path}.lock"):  # notebooks of one run may run at the same time
            names = path.read_text().split() if path.exists() else []
            if figure_file not in names:
                path.write_text("\n".join([*names, figure_file]) + "\n")

    def featured_figures(self) -> list[Path]:
        path = self.dir / FEATURED_FILE
        names = path.read_text().split() if path.exists() else []
        return [self.figures_dir / n for n in sorted(names)]

    # --- metrics ----------------------------------------------------------------
    @property
    def metrics_path(self) -> Path:
        return self.dir / METRICS_FILE

    def metrics(self) -> dict:
        return json.loads(self.metrics_path.read_text()) if self.metrics_path.exists() else {}

    def metric(self, key: str, default: Any = None) -> Any:
        """One number of ``metrics.json`` by dotted key (:class:`genrelab.schema.Metric`)."""
        return lookup(self.metrics(), key, default)

    def path(self, name: str) -> Path:
        """``<run>/<name>``, for one of this module's file names (``runs.MODEL_FILE``...)."""
        return self.dir / name

    def skip(self, part: str, note: str) -> str:
        """Record that a part of a notebook did not run and why (``metrics.json["skipped"]``,
        listed on report.html); returns the note for the notebook to show."""
        self.record(Section.SKIPPED, **{part: note})
        return note

    def record(self, section: str, **values: Any) -> None:
        """Merge ``values`` into ``metrics.json[section]`` (:meth:`metrics` reads them back).

        Nested dicts merge key by key, so ``record("classification", honest={"audio": {...}})``
        and a later ``record("classification", leaky={...})`` both survive.
        """
        # read-modify-write under a file lock: notebooks of one run may record at the same time
        self.dir.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{self.metrics_path}.lock"):
            metrics = self.metrics()
            _deep_merge(metrics.setdefault(section, {}), jsonable(values))
            tmp = self.metrics_path.with_name(f".{METRICS_FILE}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(metrics, indent=2, sort_keys=True, allow_nan=False))
            os.replace(tmp, self.metrics_path)
