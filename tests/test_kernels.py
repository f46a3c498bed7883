"""The runner's kernels talk over IPC (report.kernels), so ``make report`` prints no "Kernel is
running over TCP without encryption" warning per notebook. Fails loudly if papermill or nbclient
stop passing ``kernel_manager_class`` on, or jupyter_client stops taking ``transport``/``ip``."""

from __future__ import annotations

import glob
import json

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from genrelab.report import execute

PROBE = (
    "import json\n"
    "from ipykernel.connect import get_connection_info\n"
    "info = get_connection_info(unpack=True)\n"
    "print(json.dumps({'transport': info['transport'], 'ip': info['ip']}))"
)


def test_the_runner_starts_kernels_over_ipc_without_the_tcp_warning(tmp_path, capfd):
    nb = new_notebook(cells=[new_code_cell(PROBE)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "01_probe.ipynb"
    nbformat.write(nb, path)
    result = execute._execute(path, tmp_path / "out.ipynb", {}, progress_bar=False)
    assert result.ok, result.error
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    info = json.loads(out.cells[0].outputs[0]["text"])
    assert info["transport"] == "ipc"
    # an absolute socket prefix of its own, whose files are gone with the kernel
    assert info["ip"].startswith("/") and not glob.glob(info["ip"] + "*")
    # the kernel writes to the runner's stderr, which capfd holds
    assert "without encryption" not in capfd.readouterr().err
