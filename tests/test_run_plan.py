"""What a run is made of, read before anything runs: the parameters files hold only what differs
from the notebooks' ``parameters`` cells (the defaults), and the run order comes from each
notebook's metadata (issue 25, item 3)."""

from __future__ import annotations

import ast

import nbformat
import papermill as pm
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from genrelab import config
from genrelab.report import execute, load_params

NOTEBOOKS = execute.numbered_notebooks()
PARAMS_FILES = sorted(config.PARAMS_DIR.glob("*.yaml"))
RUN_PARAMS = [p for p in PARAMS_FILES if p.name != "taxonomy.yaml"]  # taxonomy: notebook 01's data


def _defaults() -> dict[str, dict]:
    """Every notebook's parameters with their default values, read from its parameters cell."""
    return {
        nb.stem: {
            k: ast.literal_eval(v["default"]) for k, v in pm.inspect_notebook(str(nb)).items()
        }
        for nb in NOTEBOOKS
    }


def _entries(params: dict, stems) -> list[tuple[str | None, str, object]]:
    """(section or None for the top level, key, value) of a parameters file."""
    out = []
    for key, value in params.items():
        if key in stems:
            out += [(key, name, v) for name, v in (value or {}).items()]
        else:
            out.append((None, key, value))
    return out


@pytest.mark.parametrize("path", RUN_PARAMS, ids=lambda p: p.name)
def test_every_key_of_a_params_file_is_a_parameter_and_differs_from_its_default(path):
    defaults = _defaults()
    for section, key, value in _entries(load_params(path), defaults):
        owners = [section] if section else [s for s in defaults if key in defaults[s]]
        where = f"{path.name}: {section + '.' if section else ''}{key}"
        assert owners and all(key in defaults[s] for s in owners), f"{where}: no notebook has it"
        same = [
            s for s in owners if defaults[s][key] == value and type(defaults[s][key]) is type(value)
        ]
        assert not same, f"{where} repeats the default of {same}: the parameters cell holds it"


def test_the_shipped_notebooks_declare_what_they_read_and_run_in_that_order():
    order = execute.run_order(NOTEBOOKS)
    for nb in NOTEBOOKS:
        meta = nbformat.read(nb, as_version=4).metadata
        assert isinstance(meta[execute.METADATA_KEY]["needs"], list), nb.name
    assert [nb.stem for nb in order][0] == "01_collection"
    assert order[config.NOTEBOOKS_DIR / "05_predictor.ipynb"] >= {"03_classification"}


def _notebook(tmp_path, name, needs=None):
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    if needs is not None:
        nb.metadata[execute.METADATA_KEY] = {"needs": needs}
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_the_order_follows_the_metadata_not_the_names(tmp_path):
    a = _notebook(tmp_path, "01_a.ipynb", ["03_c"])
    b = _notebook(tmp_path, "02_b.ipynb", [])
    c = _notebook(tmp_path, "03_c.ipynb", ["02_b"])
    order = execute.run_order([a, b, c])
    assert [nb.stem for nb in order] == ["02_b", "03_c", "01_a"]
    assert order[a] == {"03_c"} and order[b] == set()


def test_a_notebook_without_metadata_needs_every_notebook_before_it(tmp_path):
    a = _notebook(tmp_path, "01_a.ipynb", [])
    b = _notebook(tmp_path, "02_b.ipynb", [])
    c = _notebook(tmp_path, "03_c.ipynb")
    assert execute.run_order([c, a, b])[c] == {"01_a", "02_b"}


@pytest.mark.parametrize(
    ("needs", "message"),
    [
        (
            {"01_a": ["02_b"], "02_b": ["01_a"]},
            r"form a cycle: (01_a -> 02_b -> 01_a|02_b -> 01_a -> 02_b)",
        ),
        (
            {"01_a": [], "02_b": ["01_colection"]},
            r"02_b\.ipynb: .*names \['01_colection'\], not a notebook",
        ),
        ({"01_a": [], "02_b": "01_a"}, r"02_b\.ipynb: .*must be a list"),
    ],
)
def test_a_cycle_or_an_unknown_name_is_refused_before_anything_runs(tmp_path, needs, message):
    notebooks = [_notebook(tmp_path, f"{stem}.ipynb", n) for stem, n in needs.items()]
    with pytest.raises(ValueError, match=message):
        execute.run_order(notebooks)
