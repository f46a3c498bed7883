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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config

METRICS_FILE = "metrics.json"
FEATURED_FILE = "featured_figures.txt"


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
        newest run made by ``make report``.
    """

    def __init__(self, run_id: str = "lab"):
        if not run_id or "/" in run_id or run_id in {".", ".."}:
            raise ValueError(f"run_id must be a plain folder name, got {run_id!r}")
        root = config.runs_dir()
        path = root / run_id
        if run_id == "latest" and path.is_symlink():
            path = path.resolve()
        self.id = path.name
        self.dir = path
        self.dir.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"Run({self.id!r}) at {self.dir}"

    # --- tables -----------------------------------------------------------------
    def table_path(self, name: str) -> Path:
        return self.dir / f"{name}.parquet"

    def write_table(self, df: pd.DataFrame, name: str) -> Path:
        """Write ``df`` as ``<run>/<name>.parquet`` and return the path."""
        path = self.table_path(name)
        df.to_parquet(path, index=False)
        return path

    def read_table(self, name: str) -> pd.DataFrame:
        """Read a table written earlier in this run, with a clear error if it is missing."""
        path = self.table_path(name)
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist: run notebooks/01_collection.ipynb with run_id={self.id!r} "
                f"first (or `make report`, which runs every notebook in order)."
            )
        return pd.read_parquet(path)

    # --- figures ----------------------------------------------------------------
    @property
    def figures_dir(self) -> Path:
        path = self.dir / "figures"
        path.mkdir(exist_ok=True)
        return path

    def mark_featured(self, figure_file: str) -> None:
        """Remember a figure as one of the run's chosen figures (copied by `make figures`)."""
        path = self.dir / FEATURED_FILE
        names = path.read_text().split() if path.exists() else []
        if figure_file not in names:
            path.write_text("\n".join([*names, figure_file]) + "\n")

    def featured_figures(self) -> list[Path]:
        path = self.dir / FEATURED_FILE
        names = path.read_text().split() if path.exists() else []
        return [self.figures_dir / n for n in names]

    # --- metrics ----------------------------------------------------------------
    @property
    def metrics_path(self) -> Path:
        return self.dir / METRICS_FILE

    def metrics(self) -> dict:
        return json.loads(self.metrics_path.read_text()) if self.metrics_path.exists() else {}

    def record(self, section: str, **values: Any) -> dict:
        """Merge ``values`` into ``metrics.json[section]`` and return that section.

        Nested dicts merge key by key, so ``record("classification", honest={"audio": {...}})``
        and a later ``record("classification", leaky={...})`` both survive.
        """
        metrics = self.metrics()
        merged = _deep_merge(metrics.setdefault(section, {}), jsonable(values))
        tmp = self.metrics_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(metrics, indent=2, sort_keys=True, allow_nan=False))
        tmp.replace(self.metrics_path)
        return merged
