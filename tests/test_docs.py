"""The documentation site: `make docs` builds with no warning, and its pages render in Chromium.

The build (Sphinx with ``-W --keep-going``, as ``make docs``) goes to a temporary folder, so the
test never touches ``docs/_build``. Headless Chromium then opens the study's index (the results
table), a chapter (its figures are images that loaded), the API page of
:class:`genrelab.mixture.em.GaussianMixtureEM`, the parameters and performance pages, and saves a
screenshot of each into the test's folder (``GENRELAB_DOCS_SCREENSHOTS`` names another one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genrelab import config

pytestmark = pytest.mark.slow

DOCS = config.PROJECT_ROOT / "docs"
CHROMIUM = Path("/usr/bin/chromium")
IMAGES_LOADED = (
    "() => { const imgs = [...document.querySelectorAll('article img')];"
    " return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built as ``make docs`` builds it (warnings are errors), into a temporary folder."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q"]
        + ["-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"the site does not build cleanly:\n{proc.stderr[-5000:]}"
    return out / "html"


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("GENRELAB_DOCS_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_every_part_of_the_site_is_there(site):
    for page in [
        "index.html",
        "study/index.html",
        "guide/parameters.html",
        "guide/spotify.html",
        "performance.html",
        "changelog.html",
        "api/generated/mixture.html",
    ]:
        assert (site / page).exists(), page
    chapters = sorted(p.stem for p in (DOCS / "study").glob("[0-9][0-9]_*.ipynb"))
    assert chapters == sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    for stem in chapters:
        assert (site / "study" / f"{stem}.html").exists(), stem
    api = {p.stem for p in (site / "api" / "generated").glob("*.html")}
    packages = {p.parent.name for p in (config.PROJECT_ROOT / "lib/genrelab").glob("*/__init__.py")}
    assert packages <= api, f"sub-packages without an API page: {packages - api}"


def test_generated_pages_follow_their_sources(site):
    import papermill

    parameters = (site / "guide" / "parameters.html").read_text()
    for nb in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        for name in papermill.inspect_notebook(str(nb)):
            assert f">{name}<" in parameters, f"{nb.name}: {name} missing from the parameters page"
    performance = (site / "performance.html").read_text()
    for path in sorted((config.PROJECT_ROOT / "benchmarks" / "results").glob("*.json")):
        record = json.loads(path.read_text())
        # bench_scale.py records a commit per table size; the other benchmarks one per run
        runs = record["sizes"].values() if "sizes" in record else [record]
        for run in runs:
            assert (run.get("commit") or "unknown")[:10] in performance, path.name
        for row in record.get("numbers", []):  # listed or in a grid, every number is shown
            value = row["value"]
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            assert f">{shown}" in performance, (path.name, row["measure"])
    study = json.loads((DOCS / "study" / "results.json").read_text())
    assert study["run_id"] in (site / "study" / "index.html").read_text()


def test_study_and_api_pages_render_in_chromium(site, shots):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: `make browser` (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    study = json.loads((DOCS / "study" / "results.json").read_text())
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            page.goto((site / "study" / "index.html").as_uri())
            text = page.inner_text("article")
            assert study["run_id"] in text and (study["git_commit"] or "")[:10] in text
            table = page.locator("article table").first
            assert table.is_visible()
            rows = table.locator("tbody tr")
            assert rows.count() == len(study["headline"])
            assert "genre accuracy" in rows.nth(1).inner_text()
            page.screenshot(path=str(shots / "study.png"), full_page=True)

            page.goto((site / "study" / "03_classification.html").as_uri())
            page.wait_for_function(IMAGES_LOADED, timeout=30_000)
            images = page.locator("article img")
            assert images.count() >= 3
            figure = images.first
            figure.scroll_into_view_if_needed()
            assert figure.bounding_box()["width"] > 300
            figure.screenshot(path=str(shots / "figure.png"))
            page.screenshot(path=str(shots / "chapter_03.png"))

            page.goto((site / "api" / "generated" / "mixture.html").as_uri())
            anchor = page.locator("[id='genrelab.mixture.em.GaussianMixtureEM']")
            assert anchor.count() == 1
            anchor.scroll_into_view_if_needed()
            page.evaluate(
                "document.getElementById('genrelab.mixture.em.GaussianMixtureEM').scrollIntoView()"
            )
            block = page.locator("dl.py.class").filter(has=anchor)
            text = block.inner_text()
            assert "n_components" in text and "covariance_type" in text
            assert "predict_proba" in text
            page.screenshot(path=str(shots / "api_gaussian_mixture_em.png"))

            for name, url in [
                ("parameters", site / "guide" / "parameters.html"),
                ("performance", site / "performance.html"),
            ]:
                page.goto(url.as_uri())
                assert page.locator("article table").count() >= 1
                page.screenshot(path=str(shots / f"{name}.png"))
        finally:
            browser.close()
