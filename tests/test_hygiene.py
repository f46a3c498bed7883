"""Committed notebooks are clean and thin; environment.yml and pyproject.toml agree."""

from __future__ import annotations

import ast
import copy
import json
import re
import shlex
import subprocess
import sys
import tomllib

import nbformat
import pytest
import yaml

from genrelab import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(p.name.startswith("01_") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_of_typed_commented_literals(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters', want exactly 1"
    lines = [
        ln for ln in cells[0].source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    names = []
    for line in lines:
        node = ast.parse(line).body[0]
        assert isinstance(node, ast.AnnAssign), (
            f"{path.name}: {line!r} is not `name: type = literal`"
        )
        ast.literal_eval(node.value)  # raises on anything but a literal
        assert re.search(r"\S\s+#\s*\S", line), f"{path.name}: {line!r} needs a trailing comment"
        names.append(node.target.id)
    assert names[0] == "run_id", f"{path.name}: run_id must be the first parameter"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_the_parameters_cell_has_long_lines(path):
    """ruff's long-line waiver for notebooks is for the parameters cell (a literal and its
    documenting comment a line); every other line keeps to the line length."""
    nb = nbformat.read(path, as_version=4)
    long = [
        (i, line[:60])
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", [])
        for line in cell.source.splitlines()
        if len(line) > 100
    ]
    assert not long, f"{path.name}: lines over 100 characters outside the parameters cell: {long}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_reads_as_a_story(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(
            "\n".join(ln for ln in cell.source.splitlines() if not ln.startswith(("%", "!")))
        )
        defs = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        ]
        assert not defs, (
            f"{path.name} cell {i}: define functions and classes in lib/, not in notebooks"
        )
        tagged = "parameters" in cell.metadata.get("tags", [])
        assert tagged or (i > 0 and nb.cells[i - 1].cell_type == "markdown"), (
            f"{path.name} cell {i}: put a markdown sentence before each code cell"
        )


def _requirement(spec: str) -> tuple[str, str]:
    name, _, bound = re.match(r"([A-Za-z0-9_.\-]+)\s*((>=)\s*[\w.]+)?", spec).groups()[:3]
    return name.lower().replace("_", "-"), re.sub(r"\s", "", spec[len(name) :])


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(
        _requirement(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"]
    )
    env = yaml.safe_load((config.PROJECT_ROOT / "environment.yml").read_text())
    listed = {}
    for dep in env["dependencies"]:
        for spec in dep["pip"] if isinstance(dep, dict) else [dep]:
            if spec.startswith("-e") or spec.split("=")[0] in {"python", "pip"}:
                continue
            listed.update([_requirement(spec)])
    assert listed == wanted, (
        "environment.yml and pyproject.toml drift apart: only in pyproject "
        f"{wanted.items() - listed.items()}, "
        f"only in environment.yml {listed.items() - wanted.items()}"
    )
    assert "python=3.11" in env["dependencies"]


def test_every_dependency_has_a_lower_bound():
    project = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    loose = [s for s in project["dependencies"] if ">=" not in s]
    assert not loose, f"give these a tested lower bound: {loose}"


def test_makefile_help_lists_every_target():
    makefile = (config.PROJECT_ROOT / "Makefile").read_text()
    targets = re.findall(r"^([a-z-]+):", makefile, flags=re.M)
    documented = re.findall(r"^([a-z-]+):.*## ", makefile, flags=re.M)
    assert {"setup", "lab", "report", "test", "clean", "help"} <= set(documented)
    assert set(targets) == set(documented), (
        f"targets without a `## help` line: {set(targets) - set(documented)}"
    )


def test_nbstripout_turns_a_notebook_saved_by_lab_back_into_the_tracked_one(tmp_path):
    """The pre-commit hook (issue 28, item 6): a notebook run and saved in JupyterLab (outputs,
    counts, widget state, timings, Lab's language_info) is committed exactly as tracked."""
    pytest.importorskip("nbstripout", reason="nbstripout (the dev extra) is not installed")
    config_file = config.PROJECT_ROOT / ".pre-commit-config.yaml"
    hooks = yaml.safe_load(config_file.read_text())["repos"][0]["hooks"]
    hook = next(h for h in hooks if h["id"] == "nbstripout")
    assert re.match(hook["files"], "notebooks/05_predictor.ipynb")
    assert not re.match(hook["files"], "docs/study/05_predictor.ipynb")  # executed on purpose
    args = shlex.split(hook["entry"])[1:]
    for tracked in NOTEBOOKS:
        nb = json.loads(tracked.read_text())
        saved = copy.deepcopy(nb)
        saved["metadata"]["language_info"] = {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
            "version": "3.11.2",
        }
        saved["metadata"]["widgets"] = {
            "application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}
        }
        for i, cell in enumerate(saved["cells"]):
            if cell["cell_type"] == "code":
                cell["execution_count"] = i + 1
                cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["x\n"]}]
                cell["metadata"]["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
                cell["metadata"]["scrolled"] = True
        path = tmp_path / tracked.name
        path.write_text(json.dumps(saved, indent=1))
        subprocess.run([sys.executable, "-m", "nbstripout", *args, str(path)], check=True)
        assert path.read_text() == tracked.read_text(), tracked.name
