"""The package's shape in numbers, for a checkout: what a newcomer has to find their way in.

    python benchmarks/bench_structure.py                 # this checkout
    python benchmarks/bench_structure.py /path/to/other  # another checkout (e.g. a git worktree)

Prints modules, packages (folders), the largest module, the longest function, the public
functions and classes defined in more than one module, and the notebooks' code lines. Read from
the source with :mod:`ast`; nothing is imported.
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

from record import recording


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def measure(root: Path) -> dict:
    """The shape of the checkout at ``root`` (its ``lib/genrelab`` and ``notebooks``)."""
    package = root / "lib" / "genrelab"
    modules = sorted(package.rglob("*.py"))
    sizes = {str(p.relative_to(package)): len(p.read_text().splitlines()) for p in modules}
    longest = ("", 0)
    public: dict[str, set[str]] = {}
    for path in modules:
        tree = ast.parse(path.read_text())
        for fn in _functions(tree):
            n = fn.end_lineno - fn.lineno + 1
            if n > longest[1]:
                longest = (f"{path.relative_to(package)}:{fn.name}", n)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                public.setdefault(node.name, set()).add(str(path.relative_to(package)))
    twice = {name: sorted(where) for name, where in public.items() if len(where) > 1}
    notebook_lines = notebook_statements = 0
    for nb in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                notebook_lines += sum(1 for line in source.splitlines() if line.strip())
                # statements do not depend on how the code is wrapped (ruff formats notebooks)
                code = "\n".join(ln for ln in source.splitlines() if not ln.startswith(("%", "!")))
                notebook_statements += sum(
                    isinstance(node, ast.stmt) for node in ast.walk(ast.parse(code))
                )
    largest = max(sizes.items(), key=lambda kv: kv[1])
    return {
        "modules": sum(1 for p in modules if p.name != "__init__.py"),
        "packages": sum(1 for p in modules if p.name == "__init__.py"),
        "largest_module": f"{largest[0]} ({largest[1]} lines)",
        "longest_function": f"{longest[0]} ({longest[1]} lines)",
        "public_names_defined_twice": len(twice),
        "notebook_code_lines": notebook_lines,
        "notebook_statements": notebook_statements,
        "twice": twice,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=Path(__file__).resolve().parents[1], type=Path)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    shape = measure(args.root)
    if args.root.resolve() == Path(__file__).resolve().parents[1]:  # this checkout: record it
        with recording("bench_structure", "The package's shape") as rec:
            for key, value in shape.items():
                if key != "twice":
                    rec.add(key.replace("_", " "), value)
            for name, where in shape["twice"].items():
                rec.note(f"{name} is defined in {', '.join(where)}")
    if args.json:
        print(json.dumps(shape, indent=2))
        return
    for key, value in shape.items():
        if key != "twice":
            print(f"{key:28} {value}")
    for name, where in shape["twice"].items():
        print(f"  {name}: {', '.join(where)}")


if __name__ == "__main__":
    main()
