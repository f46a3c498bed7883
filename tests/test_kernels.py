"""Kernels started ahead of their notebooks (report.kernels): the notebook runs in them as in a
fresh kernel, with its imports done, and a kernel that cannot start falls back to a new one."""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future

import nbformat
import papermill as pm
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from genrelab.report import kernels

# which of the notebook's imports are loaded before its first cell, and what the namespace holds
PROBE = (
    "import sys\n"
    "loaded = ['email.mime.text' in sys.modules, 'xml.dom.minidom' in sys.modules]\n"
    "names = sorted(k for k in globals() if not k.startswith('_'))\n"
    "print(loaded, names)"
)


def _notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_imported_modules_reads_the_cells_and_skips_magics(tmp_path):
    nb = _notebook(
        tmp_path / "n.ipynb",
        "%matplotlib inline\nimport os.path, json as j\nfrom email.mime import text",
        "def f():\n    import xml.dom.minidom\n",
        "from . import relative\nthis is not python",
    )
    assert kernels.imported_modules(nb) == [
        "os.path",
        "json",
        "email.mime",
        "email.mime.text",
        "xml.dom.minidom",
    ]


def test_a_notebook_runs_in_its_warm_kernel_as_in_a_fresh_one(tmp_path):
    # the probe cell runs before the imports, so only the warm-up can have loaded them
    nb = _notebook(tmp_path / "n.ipynb", PROBE, "from email.mime import text", "import json")
    km = kernels.start_kernel(nb)
    try:
        warm = pm.execute_notebook(
            nb, tmp_path / "warm.ipynb", km=km, kernel_name="python3", progress_bar=False
        )
        assert km.is_alive(), "the runner, not papermill, stops a kernel it was handed"
    finally:
        kernels.shutdown(km)
    assert not km.is_alive()
    # papermill's client of the kernel is stopped too (else it warns whenever it is collected)
    assert km.clients and not any(kc.channels_running for kc in km.clients)
    fresh = pm.execute_notebook(nb, tmp_path / "fresh.ipynb", progress_bar=False)
    warm_text = warm.cells[0].outputs[0]["text"]
    assert warm_text.startswith("[True, False]"), warm_text  # email imported ahead, xml never
    # the same namespace and the same execution counts as in a fresh kernel
    assert warm_text.split("] ", 1)[1] == fresh.cells[0].outputs[0]["text"].split("] ", 1)[1]
    assert [c.execution_count for c in warm.cells] == [c.execution_count for c in fresh.cells]


def test_the_pool_hands_over_a_kernel_once_and_stops_the_rest(tmp_path):
    first = _notebook(tmp_path / "01_a.ipynb", "import json")
    second = _notebook(tmp_path / "02_b.ipynb", "import json")
    pool = kernels.KernelPool()
    with pool:
        pool.prepare(first)
        pool.prepare(second)
        pool.prepare(first)  # once only
        assert pool.waiting == 2 and first in pool
        taken = kernels.ready(pool.take(first), first)
        assert pool.take(first) is None and pool.waiting == 1
        left = pool._starting["02_b"]
    try:
        assert taken.is_alive(), "a kernel taken is the taker's to stop"
        assert not left.result().is_alive(), "a kernel not taken is stopped with the pool"
    finally:
        kernels.shutdown(taken)


def test_a_kernel_that_failed_to_start_means_a_fresh_one(tmp_path, caplog):
    failed: Future = Future()
    failed.set_exception(RuntimeError("no such kernel"))
    with caplog.at_level(logging.WARNING, logger="genrelab.report"):
        assert kernels.ready(failed, tmp_path / "03_x.ipynb") is None
    assert "03_x.ipynb" in caplog.text and "no such kernel" in caplog.text
    assert kernels.ready(None, tmp_path / "03_x.ipynb") is None


@pytest.mark.parametrize("ahead", [True, False])
def test_a_kernel_started_ahead_yields_the_cores_to_the_running_notebooks(tmp_path, ahead):
    probe = (
        "import os, pathlib\n"
        "group = pathlib.Path('/proc/self/autogroup')\n"
        "print(os.nice(0), group.read_text().split()[-1] if group.exists() else 'none')"
    )
    nb = _notebook(tmp_path / "n.ipynb", probe)
    km = kernels.start_kernel(nb, ahead=ahead)
    try:
        out = pm.execute_notebook(nb, tmp_path / "o.ipynb", km=km, progress_bar=False)
    finally:
        kernels.shutdown(km)
    nice, group = out.cells[0].outputs[0]["text"].split()
    # a notebook that runs now (the first) keeps the runner's priority
    assert int(nice) == os.nice(0) + (kernels.NICENESS if ahead else 0)
    # where Linux groups by session, the kernel's own session is niced as well
    assert group in ("none", str(kernels.NICENESS if ahead else 0))
