"""Kernels started ahead of their notebooks, with the notebook's imports already done.

A report's notebook spends its first seconds starting a kernel and importing scikit-learn,
matplotlib, skops and the package (``python -X importtime``: several seconds a notebook). The
runner starts the kernel of a notebook that will run next while the current ones work, and
imports there the modules the notebook's code cells import (read from the cells with ``ast``;
nothing else runs, and nothing is bound in the user's namespace). The notebook then runs in that
kernel exactly as it would in a fresh one: its cells import again (a dictionary look-up) and
its execution counts start at 1.

Kernels started ahead run at a lower priority (:data:`NICENESS`): their imports use the cores
the running notebooks leave idle instead of slowing them, and a notebook keeps that priority
(a process may not raise its own priority again), as do all the run's notebooks after the first.
"""

from __future__ import annotations

import ast
import json
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from jupyter_client import KernelManager

log = logging.getLogger("genrelab.report")

#: What nbclient expects of a kernel manager's clients (it awaits their replies).
ASYNC_CLIENT = "jupyter_client.asynchronous.AsyncKernelClient"
#: Seconds a kernel may take to start and import.
START_TIMEOUT = 120
#: The ``nice`` increment of a kernel started ahead (Unix; elsewhere kernels keep the default).
NICENESS = 10


class RunnerKernelManager(KernelManager):
    """A kernel manager that remembers the clients it hands out: nbclient leaves its client's
    channels running on a kernel it did not start, and a client garbage-collected with running
    channels warns at a random later moment; :func:`shutdown` stops them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.clients: list = []

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        self.clients.append(kc)
        return kc


def imported_modules(notebook: Path) -> list[str]:
    """The modules a notebook's code cells import, in order of first appearance.

    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a submodule); magics and cells that
    do not parse are skipped.
    """
    cells = json.loads(Path(notebook).read_text())["cells"]
    names: list[str] = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return list(dict.fromkeys(names))


def warm_up_code(modules: list[str]) -> str:
    """Code that imports ``modules`` (those that are not modules, or fail, are passed over)
    inside a throwaway namespace, so the user's namespace stays as a fresh kernel's."""
    body = (
        "import importlib\n"
        f"for name in {modules!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        pass\n"
    )
    return f"exec({body!r}, {{}})"


def start_kernel(
    notebook: Path, kernel_name: str = "python3", *, ahead: bool = True
) -> RunnerKernelManager:
    """A kernel in the notebook's folder with the notebook's imports done; its manager.

    ``ahead``: the kernel is started before its notebook can run, at a lower priority."""
    km = RunnerKernelManager(kernel_name=kernel_name, client_class=ASYNC_CLIENT)
    km.start_kernel(cwd=str(Path(notebook).parent))
    if ahead and km.provisioner is not None and km.provisioner.pid:
        _lower_priority(km.provisioner.pid)
    kc = km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=START_TIMEOUT)
        code = warm_up_code(imported_modules(notebook))
        kc.execute_interactive(code, silent=True, store_history=False, timeout=START_TIMEOUT)
    except Exception:
        kc.stop_channels()
        shutdown(km)
        raise
    kc.stop_channels()
    return km


def _lower_priority(pid: int) -> None:
    """Nice the kernel by :data:`NICENESS`, and its scheduling group where Linux has one: a
    kernel starts in a session of its own, and with autogroups (``sched_autogroup_enabled``)
    the scheduler shares the cores between sessions before it looks at a process's nice."""
    if not hasattr(os, "setpriority"):
        return
    os.setpriority(os.PRIO_PROCESS, pid, NICENESS)
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(NICENESS))
    except OSError:  # no autogroups (other systems, or disabled)
        pass


def shutdown(km: RunnerKernelManager) -> None:
    """Stop a kernel, its clients' channels, and free its files and ports (a kernel that died
    already is fine)."""
    for kc in km.clients:
        if kc.channels_running:
            kc.stop_channels()
    try:
        if km.has_kernel:
            km.shutdown_kernel(now=False)
    except RuntimeError as err:  # "No kernel is running!"
        log.debug("kernel shut down already: %s", err)
    km.cleanup_resources()


class KernelPool:
    """Warm kernels by notebook: :meth:`prepare` starts one in the background, :meth:`take`
    hands it over and :func:`ready` waits for its imports; what was not taken is stopped on exit.

    A kernel that fails to start is not an error here: :func:`ready` returns ``None`` and the
    notebook starts its own kernel as usual (where a real failure is reported).
    """

    def __init__(self, kernel_name: str = "python3", workers: int = 2):
        self.kernel_name = kernel_name
        self._starting: dict[str, Future] = {}
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kernel")

    def __contains__(self, notebook: Path) -> bool:
        return Path(notebook).stem in self._starting

    @property
    def waiting(self) -> int:
        """Kernels started ahead and not taken yet."""
        return len(self._starting)

    def prepare(self, notebook: Path, *, ahead: bool = True) -> None:
        """Start the notebook's kernel in the background (once); ``ahead=False`` for a notebook
        that runs now (its kernel keeps the normal priority)."""
        if notebook not in self:
            future = self._threads.submit(start_kernel, notebook, self.kernel_name, ahead=ahead)
            self._starting[Path(notebook).stem] = future

    def take(self, notebook: Path) -> Future | None:
        """The notebook's kernel being started (see :func:`ready`), or ``None``."""
        return self._starting.pop(Path(notebook).stem, None)

    def close(self) -> None:
        """Stop every kernel not taken."""
        for future in self._starting.values():
            future.cancel()
        self._threads.shutdown(wait=True)
        for future in self._starting.values():
            if not future.cancelled() and future.exception() is None:
                shutdown(future.result())
        self._starting.clear()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ready(future: Future | None, notebook: Path) -> RunnerKernelManager | None:
    """Wait for a kernel from :meth:`KernelPool.take`; ``None`` if there is none or it failed."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception as err:  # noqa: BLE001 - the notebook starts its own kernel instead
        log.warning("%s: its kernel from the pool failed (%s); papermill starts one", notebook, err)
        return None
