"""Read a parameters file, check it against what the notebooks declare, and split it per notebook.

A parameters file cannot silently change a study: a section that names no notebook, a key that
no notebook declares, a key given twice, an empty (null) value for a parameter not declared
optional, a value of the wrong type, out of its range (:data:`RULES`) or too large
(:data:`MAX_VALUE_CHARS`) is refused before anything runs, with the file, the section, the name
at fault and the closest valid name. A file that holds no parameters at all (empty, or only
comments) runs the default study, as ``params/default.yaml`` (``{}``) does, and a warning says
so. Path parameters (:data:`PATH_PARAMETERS`) are read from the directory the command ran from.
"""

from __future__ import annotations

import difflib
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from genrelab import config
from genrelab.errors import GenrelabError

log = logging.getLogger(__name__)

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
#: A parameters file is a few hundred bytes; a larger one is not a parameters file.
MAX_FILE_BYTES = 256 * 1024
#: The longest value, written out (YAML anchors and aliases expand in a notebook's cell).
MAX_VALUE_CHARS = 64 * 1024
#: Parameters that name a file or folder: a relative one is read from the directory the
#: command ran from (:data:`genrelab.config.START_DIR`), not from notebooks/.
PATH_PARAMETERS = ("data_path", "taxonomy_path", "audio_path", "audio_reference_csv")


@dataclass(frozen=True)
class Rule:
    """The values a parameter takes beyond its type: a range, and a list's element type."""

    low: float | None = None
    high: float | None = None
    open_range: bool = False  # low < value < high (else low <= value <= high)
    items: str | None = None  # a list's element type, a key of _TYPES
    choices: tuple[str, ...] = ()  # the values a text parameter (or a list's items) may take
    non_empty: bool = False  # a list that must name at least one value

    def problem(self, value) -> str | None:
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and self.non_empty and not value:
            return "must name at least one value, got an empty list"
        if isinstance(value, list) and self.items is not None:
            bad = [v for v in value if v is None or not _type_ok(v, self.items)]
            if bad:
                return f"must be a list of {self.items} values, got {bad[0]!r} in it"
        for v in values:
            if self.choices and isinstance(v, str) and v not in self.choices:
                return f"must be one of {list(self.choices)}, got {v!r}{_closest(v, self.choices)}"
            if isinstance(v, float) and not math.isfinite(v):
                return f"must be a finite number, got {v!r}"
            if not isinstance(v, int | float) or isinstance(v, bool):
                continue
            low_bad = self.low is not None and (v <= self.low if self.open_range else v < self.low)
            high_bad = self.high is not None and (
                v >= self.high if self.open_range else v > self.high
            )
            if low_bad or high_bad:
                return f"must be {self.describe()}, got {v!r}"
        return None

    def describe(self) -> str:
        less = "<" if self.open_range else "<="
        low = "" if self.low is None else f"{self.low:g} {less} "
        high = "" if self.high is None else f" {less} {self.high:g}"
        return f"{low}value{high}"


#: Each parameter's range and element type, by name (the notebooks' parameters cells give the
#: type and the default; a parameter of several notebooks has one meaning in each).
RULES: dict[str, Rule] = {
    "seed": Rule(0, 2**32 - 1),  # numpy's seeds
    "max_tracks": Rule(0),
    "max_playlists_per_subgenre": Rule(1, 1000),
    "max_tracks_per_playlist": Rule(0),
    "cache_expire_days": Rule(0, 3650),
    "user_min_tracks": Rule(1),
    "test_size": Rule(0, 1, open_range=True),
    "cv_folds": Rule(2, 100),
    "selection_max_rows": Rule(0),
    "tree_depth": Rule(1, 100),
    "n_jobs": Rule(-1, 1024),
    "max_rows": Rule(0),
    "seed_k": Rule(1, 100),
    "bic_k": Rule(1, 1000, items="int", non_empty=True),
    "bic_n_init": Rule(1, 1000),
    "bic_max_rows": Rule(0),
    "n_init": Rule(1, 1000),
    "max_iter": Rule(1, 100_000),
    "tol": Rule(0, None, open_range=True),
    "max_points": Rule(0),
    "n_clips": Rule(0),
    "clip_seconds": Rule(0, 3600, open_range=True),
    "k_audio": Rule(0, 100),
    "gmm_max_tracks": Rule(1),
    "n_neighbors": Rule(1, 1000),
    "features": Rule(items="str"),
    "models": Rule(
        items="str",
        non_empty=True,
        choices=("random_forest", "hist_gradient_boosting", "svc_rbf", "logistic_regression"),
    ),
    "full_feature_sets": Rule(items="str", choices=("audio", "full", "full_2026")),
    "text_columns": Rule(items="str"),
    "seed_features": Rule(items="str"),
    "test_song": Rule(items="float"),
    "bic_covariance_types": Rule(
        items="str", non_empty=True, choices=("full", "tied", "diag", "spherical")
    ),
    "audio_peers": Rule(items="str"),
    # text parameters that name one of a few choices (the notebooks' comments list them)
    "source": Rule(choices=("snapshot", "file", "spotify")),
    "invalid_rows": Rule(choices=("raise", "drop")),
    "features_source": Rule(choices=("auto", "spotify", "reccobeats")),
    "dedup_policy": Rule(choices=("drop_conflicting", "majority", "keep_first")),
    "user_source": Rule(choices=("snapshot", "spotify")),
    "audio_source": Rule(choices=("scores", "synthetic", "fma", "folder", "deezer")),
    "audio_features": Rule(choices=("compact", "all")),
}


class ParameterError(GenrelabError, ValueError):
    """A parameters file names something no notebook has, or gives a value of the wrong type."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key given twice in one mapping (YAML says keys are
    unique; PyYAML would keep the last one silently). Merge keys (``<<: *x``) still override."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:  # an unhashable key: the base class says so
                    continue
                if first is not key_node.start_mark:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"key {key!r} is given twice (first on line {first.line + 1})",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


def _size(value, limit: int) -> int:
    """About how many characters ``value`` takes written out, counting up to ``limit`` only
    (anchors and aliases can nest a small file into an enormous value)."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, dict):
            total += 2
            for k, v in item.items():
                stack += [k, v]
        elif isinstance(item, list):
            total += 2
            stack += item
        else:
            total += len(str(item)) + 2
    return total


def load_params(path: str | Path) -> dict:
    """Read a parameters YAML file (a mapping; sections named after notebooks allowed).

    A file that is not there, a folder, a file over :data:`MAX_FILE_BYTES`, one that is not
    UTF-8, invalid YAML (with its line), a key given twice or a value over
    :data:`MAX_VALUE_CHARS` raises :class:`ParameterError` (``FileNotFoundError`` for the
    first) naming the file. An empty file (or only comments) is the default study, as ``{}``,
    with a warning.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"parameters file {path} not found (see params/ for examples)")
    if not path.is_file():
        raise ParameterError(
            f"{path} is a folder, not a parameters file: give a YAML file such as "
            f"{config.PARAMS_DIR / 'quick.yaml'}"
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParameterError(
            f"{path} is {size:,} bytes; a parameters file is at most {MAX_FILE_BYTES:,} "
            "(is it the right file?)"
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ParameterError(
            f"{path}:{line}: not UTF-8 text (byte {data[err.start]:#04x}); save the file as UTF-8"
        ) from None
    try:
        params = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ParameterError(f"{where}: invalid YAML ({problem})") from None
    if params is None:
        log.warning(
            "%s holds no parameters (empty, or only comments): the default study runs, with "
            "every notebook's parameters cell as it is (as params/default.yaml, `{}`)",
            path,
        )
        return {}
    if not isinstance(params, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values")
    for key, value in params.items():
        entries = value.items() if isinstance(value, dict) else [(None, value)]
        for name, v in entries:
            if _size(v, MAX_VALUE_CHARS) > MAX_VALUE_CHARS:
                where = f"section {key}: {name}" if name is not None else str(key)
                raise ParameterError(
                    f"{path}: {where} is larger than {MAX_VALUE_CHARS:,} characters written "
                    "out (YAML aliases expand in the notebook); give a smaller value"
                )
    return params


def resolve_paths(params: dict, source: str) -> dict:
    """``params`` with each non-empty :data:`PATH_PARAMETERS` value made absolute against the
    directory the command ran from; a path that does not exist is refused, naming the path
    tried."""
    problems = []

    def resolve(key, value, where):
        if key not in PATH_PARAMETERS or not isinstance(value, str) or not value:
            return value
        if "://" in value:  # a URL, perhaps with a password in it: never echoed
            scheme, _, rest = value.partition("://")
            shown = f"{scheme}://{rest.rsplit('@', 1)[-1]}"
            problems.append(f"{where}{key}: {shown!r} is a URL; give a local file or folder")
            return value
        path = config.absolute(value)
        if not path.exists():
            problems.append(f"{where}{key}: {path} does not exist (from {value!r})")
        return str(path)

    out = {}
    for key, value in params.items():
        if isinstance(value, dict) and key not in PATH_PARAMETERS:
            out[key] = {k: resolve(k, v, f"section {key}: ") for k, v in value.items()}
        else:
            out[key] = resolve(key, value, "")
    if problems:
        raise ParameterError(
            f"{source}: " + "; ".join(problems) + f" (relative paths are read from the "
            f"directory the command ran from, {config.START_DIR})"
        )
    return out


def _closest(name, valid) -> str:
    match = difflib.get_close_matches(str(name), sorted(map(str, valid)), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _optional(declared: dict) -> bool:
    """A parameter may be null if the notebook declares it ``Optional[...]`` or ``= None``."""
    return declared["inferred_type_name"].startswith("Optional[") or declared["default"] == "None"


def _type_name(declared: dict) -> str:
    name = declared["inferred_type_name"]
    return name[len("Optional[") : -1] if name.startswith("Optional[") else name


def _type_ok(value, type_name: str) -> bool:
    allowed = _TYPES.get(type_name)
    if allowed is None:  # an undeclared type: nothing to check
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
        elif value is None and not _optional(known[key]):
            kind = known[key]["inferred_type_name"]
            problems.append(
                f"{where}{key} is empty (null), and the notebook declares "
                f"`{key}: {kind} = {known[key]['default']}`: give a value, or remove the line "
                "to keep the default"
            )
        elif value is not None and not _type_ok(value, _type_name(known[key])):
            kind = known[key]["inferred_type_name"]
            problems.append(
                f"{where}{key} must be {kind} (the notebook declares "
                f"`{key}: {kind} = {known[key]['default']}`), got {type(value).__name__} {value!r}"
            )
        elif value is not None and key in RULES and (problem := RULES[key].problem(value)):
            problems.append(f"{where}{key} {problem}")

    for key, value in params.items():
        if not isinstance(key, str):  # `01:` is the number 1 in YAML, not a section name
            problems.append(
                f"{key!r} is not a parameter or section name (YAML reads it as a number: "
                f"write the section's full name; sections are {sorted(declared)})"
            )
            continue
        if isinstance(value, dict) and key not in every:
            if key not in declared:
                problems.append(f"unknown section {key!r}{_closest(key, declared)}")
                continue
            for name, v in value.items():
                if not isinstance(name, str):
                    problems.append(f"section {key}: {name!r} is not a parameter name")
                    continue
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
