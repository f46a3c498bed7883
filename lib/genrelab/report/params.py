"""Read a parameters file and give each notebook the parameters it declares."""

from __future__ import annotations

from pathlib import Path

import yaml


def load_params(path: str | Path) -> dict:
    """Read a parameters YAML file (a mapping; sections named after notebooks allowed)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"parameters file {path} not found (see params/ for examples)")
    params = yaml.safe_load(path.read_text()) or {}
    if not isinstance(params, dict):
        raise ValueError(f"{path}: expected a mapping of parameter names to values")
    return params


def notebook_parameters(params: dict, notebook: Path, declared: set[str], stems: set[str]) -> dict:
    """The parameters one notebook gets: top-level keys it declares, then its own section.

    ``stems`` are the names of every notebook of the run (the section names).
    """
    top = {k: v for k, v in params.items() if k not in stems and k in declared}
    own = dict(params.get(notebook.stem) or {})
    unknown = sorted(set(own) - declared)
    if unknown:
        raise ValueError(
            f"{notebook.name} has no parameter(s) {unknown}; it declares {sorted(declared)} "
            f"(`papermill --help-notebook {notebook}` documents them)"
        )
    return {**top, **own}
