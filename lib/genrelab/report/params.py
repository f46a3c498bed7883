"""Read a parameters file, check it against what the notebooks declare, and split it per notebook.

A parameters file cannot silently change a study: a section that names no notebook, a key that
no notebook declares, or a value of the wrong type is refused before anything runs, with the
file, the name at fault and the closest valid name.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from genrelab.errors import GenrelabError

#: papermill's inferred type names -> the Python types a value may have (bool is not an int)
_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
}
#: set by the runner (RUN=...), never by a parameters file
RESERVED = ("run_id",)


class ParameterError(GenrelabError, ValueError):
    """A parameters file names something no notebook has, or gives a value of the wrong type."""


def load_params(path: str | Path) -> dict:
    """Read a parameters YAML file (a mapping; sections named after notebooks allowed).

    An invalid YAML file raises :class:`ParameterError` with the file and line number.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"parameters file {path} not found (see params/ for examples)")
    try:
        params = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ParameterError(f"{where}: invalid YAML ({problem})") from None
    if not isinstance(params, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values")
    return params


def _closest(name: str, valid) -> str:
    match = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _type_ok(value, type_name: str) -> bool:
    allowed = _TYPES.get(type_name)
    if allowed is None or value is None:  # an undeclared type, or null: nothing to check
        return True
    if isinstance(value, bool) and bool not in allowed:
        return False
    return isinstance(value, allowed)


def check_params(params: dict, source: str, declared: dict[str, dict[str, dict]]) -> None:
    """Refuse unknown sections, unknown keys and mistyped values, naming each.

    Parameters
    ----------
    params : dict
        The parsed parameters file.
    source : str
        Its path, for the messages.
    declared : dict
        ``{notebook stem: papermill.inspect_notebook(notebook)}``: every parameter with its
        ``inferred_type_name``.
    """
    every = {name for params_of in declared.values() for name in params_of}
    problems = []

    def check(key, value, where, known: dict[str, dict]):
        if key in RESERVED:
            problems.append(f"{where}{key!r} is set by the runner (make report RUN=...)")
        elif key not in known:
            problems.append(f"{where}unknown parameter {key!r}{_closest(key, known)}")
        elif not _type_ok(value, known[key]["inferred_type_name"]):
            kind = known[key]["inferred_type_name"]
            problems.append(
                f"{where}{key} must be {kind} (the notebook declares "
                f"`{key}: {kind} = {known[key]['default']}`), got {type(value).__name__} {value!r}"
            )

    for key, value in params.items():
        if isinstance(value, dict) and key not in every:
            if key not in declared:
                problems.append(f"unknown section {key!r}{_closest(key, declared)}")
                continue
            for name, v in value.items():
                check(name, v, f"section {key}: ", declared[key])
        else:
            owners = {stem: p for stem, p in declared.items() if key in p}
            if not owners:
                problems.append(f"unknown parameter {key!r}{_closest(key, every)}")
            for stem, params_of in owners.items():
                check(key, value, f"(for {stem}) ", params_of)
    if problems:
        raise ParameterError(f"{source}: " + "; ".join(dict.fromkeys(problems)))


def notebook_parameters(params: dict, notebook: Path, declared: set[str], stems: set[str]) -> dict:
    """The parameters one notebook gets: top-level keys it declares, then its own section.

    ``stems`` are the names of every notebook of the run (the section names).
    """
    top = {k: v for k, v in params.items() if k not in stems and k in declared}
    own = dict(params.get(notebook.stem) or {})
    unknown = sorted(set(own) - declared)
    if unknown:
        raise ParameterError(
            f"{notebook.name} has no parameter(s) {unknown}; it declares {sorted(declared)} "
            f"(`papermill --help-notebook {notebook}` documents them)"
        )
    return {**top, **own}
