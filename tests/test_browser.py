"""`make app` in a real browser: Voilà serves notebook 05, headless Chromium moves a slider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from fixtures.models import make_model_run
from fixtures.servers import free_port, listening

from genrelab import config
from genrelab.predictor.model import cluster_model

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
VOILA = Path(sys.executable).with_name("voila")
NOTEBOOK = config.NOTEBOOKS_DIR / "05_predictor.ipynb"
PROBS = ".genrelab-probabilities"
PROBS_READY = (
    f"() => {{ const e = document.querySelector('{PROBS}'); "
    "return e && e.innerText.includes('%'); }"
)


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    """A runs folder with one small saved model (and its cached mixture), so the page loads fast."""
    root = tmp_path_factory.mktemp("app") / "runs"
    run = make_model_run(root)  # a small random forest, k = 4 in metrics.json
    cluster_model(run)  # what the first page view caches
    return root


@contextmanager
def voila_server(runs: Path, cache: Path, log: Path):
    """``voila`` on 127.0.0.1 and a free port (its own process group, always stopped)."""
    port = free_port()
    env = {**os.environ, "GENRELAB_RUNS_DIR": str(runs), "GENRELAB_CACHE_DIR": str(cache)}
    for name in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"):
        env.pop(name, None)
    started = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(VOILA), str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    with listening(proc, port, log, "voila", within=60, poll=0.1, grace=15):
        yield f"http://127.0.0.1:{port}/", started


def test_app_page_loads_and_a_slider_moves_the_bars(runs_root, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: `make browser` (apt-get install chromium)")
    if not VOILA.exists():
        pytest.skip(f"voila is not installed beside {sys.executable}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with (
        voila_server(runs_root, tmp_path / "cache", tmp_path / "voila.log") as (url, started),
        sync_api.sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1450})
            opened = time.perf_counter()
            page.goto(url, timeout=90_000)
            page.wait_for_function(PROBS_READY, timeout=90_000)
            ready = time.perf_counter()
            text = page.inner_text("body")
            assert "Genre predictor" in text and "test_forest" in text and "r1" in text
            assert "Traceback" not in text and "Error" not in text
            before = page.inner_text(PROBS)
            assert (
                before.startswith("Most likely:") and before.count("%") == 7
            )  # headline + 6 genres
            readout = page.locator(".genrelab-slider-speechiness .widget-readout")
            value_before = readout.inner_text()

            handle = page.locator(".genrelab-slider-speechiness .noUi-handle")
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + 120, y, steps=6)
            page.mouse.move(x + 260, y, steps=6)
            page.mouse.up()
            page.wait_for_function(
                f"(b) => document.querySelector('{PROBS}').innerText !== b",
                arg=before,
                timeout=20_000,
            )
            page.wait_for_timeout(500)  # the last drag events settle
            after = page.inner_text(PROBS)
            assert after != before and after.count("%") == 7
            assert float(readout.inner_text()) > float(value_before)
            shot = tmp_path / "predictor.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000
        finally:
            browser.close()
    timings = {
        "server_start_to_page_ready_s": round(ready - started, 2),
        "page_ready_s": round(ready - opened, 2),
    }
    (tmp_path / "timings.json").write_text(json.dumps(timings))
    print(f"\nVoilà: {timings} (screenshot {shot})")
