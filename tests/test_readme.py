"""The README tells the truth: its results block is the published results file, ``figures/``
holds exactly the published figures, every figure a notebook saves is mapped to its notebook,
and every path it names exists."""

from __future__ import annotations

import json
import re

import pytest

from genrelab import config
from genrelab.report.publish import RESULTS_FILE, readme_block

README = config.README.read_text()
RESULTS = config.RESULTS_DIR / RESULTS_FILE
NOTEBOOKS = sorted(config.PROJECT_ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))


def _saved_figures() -> dict[str, str]:
    """Figure name -> the notebook whose code saves it."""
    saved = {}
    for nb in NOTEBOOKS:
        code = "\n".join(
            "".join(c["source"])
            for c in json.loads(nb.read_text())["cells"]
            if c["cell_type"] == "code"
        )
        for name in re.findall(r"save_fig\(\s*\w+,\s*\"(\w+)\"", code):
            saved[name] = nb.stem
    return saved


def test_the_results_block_is_written_from_the_results_file():
    assert RESULTS.exists(), "no published reference run: make report RUN=reference && make figures"
    results = json.loads(RESULTS.read_text())
    block = readme_block(results)
    assert block in README, "the README's results block differs from results/results.json"


def test_figures_holds_exactly_the_published_figures():
    results = json.loads(RESULTS.read_text())
    on_disk = sorted(p.name for p in config.FIGURES_DIR.glob("*.png"))
    assert on_disk == sorted(results["figures"])


def test_every_saved_figure_is_mapped_to_its_notebook():
    saved = _saved_figures()
    assert saved, "no notebook saves a figure?"
    rows = [line for line in README.splitlines() if line.startswith("| ") and ".png" in line]
    for name, notebook in saved.items():
        row = next((r for r in rows if re.search(rf"\b{name}\.png", r)), None)
        assert row is not None, f"{name}.png ({notebook}) is not in the README's outputs table"
        assert notebook in row, f"{name}.png is mapped to another notebook than {notebook}"
    mentioned = set(re.findall(r"\b(0\d_\w+)\.png", "\n".join(rows)))
    assert mentioned <= set(saved), (
        f"the README names figures no notebook saves: {mentioned - set(saved)}"
    )


#: Paths the README names that the package writes (caches), which a clean clone does not hold.
NAMED_PATHS = sorted(
    path
    for path in set(
        re.findall(r"`((?:lib|notebooks|params|benchmarks|tests|data)/[\w./-]+)`", README)
    )
    if not path.startswith("data/cache")
)


@pytest.mark.parametrize("path", NAMED_PATHS)
def test_every_path_the_readme_names_exists(path):
    assert (config.PROJECT_ROOT / path).exists(), path
