"""`make lab` in a real browser (issue 28, item 6): JupyterLab opens notebook 05 from a copy of
the notebooks folder, runs all cells once the kernel is idle, and the genre probabilities show,
with no "official Jupyter news" pop-up over them (the project's ``.jupyter/`` settings)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
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
JUPYTER = Path(sys.executable).with_name("jupyter")
#: The project's JupyterLab settings, which `make lab` puts on JUPYTER_CONFIG_PATH.
LAB_CONFIG = config.PROJECT_ROOT / ".jupyter"
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"
PROBS = ".genrelab-probabilities"
PROBS_READY = (
    f"() => {{ const e = document.querySelector('{PROBS}'); "
    "return e && e.innerText.includes('%'); }"
)
KERNEL_IDLE = (
    "() => { const s = document.querySelector('#jp-main-statusbar'); "
    "return s && /\\|\\s*Idle/.test(s.innerText); }"
)


def lab_command(notebook_dir: Path, port: int, token: str, state: Path) -> list[str]:
    """`make lab`'s command (``--allow-root`` as root) on a free port with a token; Lab's
    workspaces and user settings in ``state``, so the test leaves nothing in the home folder."""
    command = [
        str(JUPYTER),
        "lab",
        f"--notebook-dir={notebook_dir}",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
        f"--LabApp.user_settings_dir={state / 'user-settings'}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


@contextmanager
def lab_server(notebook_dir: Path, runs: Path, tmp: Path):
    """JupyterLab on 127.0.0.1 (its own process group, always stopped); yields its base URL and
    token."""
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "GENRELAB_RUNS_DIR": str(runs),
        "GENRELAB_CACHE_DIR": str(tmp / "cache"),
        "JUPYTER_CONFIG_PATH": str(LAB_CONFIG),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
    }
    for name in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"):
        env.pop(name, None)
    log = tmp / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            lab_command(notebook_dir, port, token, tmp / "lab-state"),
            env=env,
            cwd=notebook_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    with listening(proc, port, log, "jupyter lab", within=90, poll=0.2, grace=20):
        yield f"http://127.0.0.1:{port}", token


def test_make_lab_passes_allow_root_as_root_and_the_project_settings():
    out = subprocess.run(
        ["make", "-n", "lab", "STAMP=Makefile"],  # the stamp up to date: only the lab command
        cwd=config.PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "JUPYTER_CONFIG_PATH=" in out and "/.jupyter" in out
    assert ("--allow-root" in out) == (os.geteuid() == 0)
    page_config = json.loads((LAB_CONFIG / "labconfig" / "page_config.json").read_text())
    assert page_config["disabledExtensions"][ANNOUNCEMENTS] is True


def test_lab_runs_notebook_05_and_shows_the_probabilities(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: `make browser` (apt-get install chromium)")
    if not JUPYTER.exists() or not JUPYTER.with_name("jupyter-lab").exists():
        pytest.skip(f"jupyterlab is not installed beside {sys.executable}")
    sync_api = pytest.importorskip("playwright.sync_api")
    runs = tmp_path / "runs"
    cluster_model(make_model_run(runs))  # a small saved model and the mixture the page caches
    notebooks = tmp_path / "notebooks"  # a copy: Lab never writes into the tracked notebooks
    shutil.copytree(config.NOTEBOOKS_DIR, notebooks)
    with (
        lab_server(notebooks, runs, tmp_path) as (url, token),
        sync_api.sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1500})
            page.goto(f"{url}/lab/tree/05_predictor.ipynb?token={token}", timeout=120_000)
            page_config = json.loads(page.locator("#jupyter-config-data").inner_text())
            assert ANNOUNCEMENTS in page_config["disabledExtensions"], page_config[
                "disabledExtensions"
            ]
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.wait_for_function(KERNEL_IDLE, timeout=120_000)
            started = time.perf_counter()
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            page.wait_for_function(PROBS_READY, timeout=180_000)
            ready = time.perf_counter() - started
            page.wait_for_timeout(3000)  # a news toast would have shown by now
            body = page.inner_text("body")
            probabilities = page.inner_text(PROBS)
            assert probabilities.startswith("Most likely:") and probabilities.count("%") == 7
            assert "test_forest" in body
            assert "Traceback" not in body and "Error" not in page.inner_text(".jp-Notebook")
            assert "official Jupyter news" not in body
            assert not page.locator(".Toastify__toast").count(), page.locator(
                ".Toastify__toast"
            ).all_inner_texts()
            shot = tmp_path / "lab_predictor.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 50_000
        finally:
            browser.close()
    print(f"\nJupyterLab: probabilities {ready:.1f} s after Run All (screenshot {shot})")
