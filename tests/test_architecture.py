"""The package's structure: layers by folder, no cycles, small modules, one name for one thing.

Read from the source with :mod:`ast` (nothing is imported), so a failure names the file and line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import genrelab

PACKAGE = Path(genrelab.__file__).parent
MAX_LINES = 500  # after ruff format (issue 25)

#: The layers by folder, bottom to top: a module may import its own layer (acyclically) and the
#: ones below, never one above. Matched by the longest prefix of the module's dotted name.
LAYERS = [
    ("genrelab.config", "genrelab.schema", "genrelab.errors"),
    ("genrelab.runs", "genrelab.memo", "genrelab.execution", "genrelab.persist"),
    ("genrelab.tables",),  # offline from here to audio: nothing below imports collect/
    ("genrelab.explore", "genrelab.classify", "genrelab.mixture"),
    ("genrelab.audio",),
    ("genrelab.collect",),  # the network side: Spotify, ReccoBeats, Deezer, their HTTP
    ("genrelab.inputs",),  # where offline and network sources meet
    ("genrelab.plots",),
    ("genrelab.predictor", "genrelab.report"),
]
#: What the offline side may never load, directly or through another module.
NETWORK_MODULES = ("spotipy", "requests_cache", "genrelab.collect")


def _module_name(path: Path) -> str:
    parts = ["genrelab", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level:
        base = base[: len(base) - (level - 1)]
        return ".".join([*base, *([target] if target else [])])
    return target or ""


def _imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported genrelab module, line, inside a function?) for every import of the package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node.level, node.module)
            # `from pkg import module` imports the module; `from module import name` the module
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            if target.startswith("genrelab") and target != name:
                found.append((target, node.lineno, id(node) in nested))
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    best, layer = -1, None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, layer = len(prefix), i
    if module == "genrelab":
        return 0
    assert layer is not None, f"{module} belongs to no layer: add it to LAYERS in {__file__}"
    return layer


def test_no_import_cycle():
    edges = {m: {t for t, _, _ in imports if t in MODULES} for m, imports in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(module, trail):
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target) :], target] if target in trail else [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if not state.get(target):
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(edges):
        if not state.get(module):
            visit(module, [module])


def test_imports_flow_down_the_layers():
    upward = [
        f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} imports {t}"
        for m, imports in GRAPH.items()
        for t, line, _ in imports
        if t in MODULES and m != "genrelab" and _layer(t) > _layer(m)
    ]
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)


def test_no_package_import_hides_inside_a_function():
    hidden = [
        f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} imports {t} inside a function"
        for m, imports in GRAPH.items()
        for t, line, inside in imports
        if inside
    ]
    assert not hidden, "\n".join(hidden)


def test_no_module_is_too_long():
    long = {
        str(p.relative_to(PACKAGE.parent)): n
        for p in MODULES.values()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_every_package_indexes_its_modules():
    """The index is the folder tree: each package's docstring names each of its modules."""
    missing = []
    for name, path in MODULES.items():
        if path.name == "__init__.py" or name.endswith("__main__"):
            continue
        package, _, leaf = name.rpartition(".")
        doc = ast.get_docstring(ast.parse(MODULES[package].read_text())) or ""
        if leaf not in doc:
            missing.append(name)
    assert not missing, f"modules their package's docstring does not name: {missing}"


def test_no_public_function_or_class_is_defined_twice():
    """One public name means one thing: no two modules define the same public function/class."""
    where: dict[str, set[str]] = {}  # a set: a function's typing overloads are one name
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                where.setdefault(node.name, set()).add(name)
    twice = {n: sorted(ms) for n, ms in where.items() if len(ms) > 1 and n not in SAME_ROLE}
    assert not twice, f"public names defined in several modules: {twice}"


#: Names that several modules define on purpose, each the same role by a protocol:
#: ``corpus`` / ``scan`` / ``default_dir`` are each audio source's builder, file scan and cache
#: folder (the SOURCES table maps names to them); ``main`` is each command line's entry point.
SAME_ROLE = {"corpus", "scan", "default_dir", "main"}


@pytest.mark.parametrize(
    "module",
    [
        "genrelab.tables",
        "genrelab.mixture",
        "genrelab.audio",
        "genrelab.classify",
        "genrelab.explore",
    ],
)
def test_the_offline_side_imports_nothing_of_the_network(module):
    """A fresh interpreter imports the module; spotipy, requests-cache and collect/ stay out."""
    code = (
        f"import sys, {module}\n"
        f"print([m for m in sys.modules if m.startswith({NETWORK_MODULES!r})])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"{module} loads {out.stdout.strip()}"


def test_every_error_of_the_package_derives_from_one_base():
    """``except GenrelabError`` catches every error the package defines (warnings aside)."""
    import importlib
    import inspect
    import pkgutil

    from genrelab.errors import GenrelabError

    outside = []
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="genrelab."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and obj.__module__ == info.name
                and issubclass(obj, BaseException)
                and not issubclass(obj, Warning)
                and not issubclass(obj, GenrelabError)
            ):
                outside.append(f"{info.name}.{name}")
    assert not outside, f"errors that do not derive from genrelab.errors.GenrelabError: {outside}"
