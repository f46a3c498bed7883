"""The kernel manager the runner starts the notebooks' kernels with: IPC instead of TCP.

On TCP, ipykernel warns at the start of every kernel that it runs without encryption (a line
per notebook of ``make report``). Over IPC (Unix domain sockets) the messages never leave the
machine, the warning does not apply, and nothing else changes for the notebook. nbclient takes
the manager through its documented ``kernel_manager_class`` option, which papermill passes on
(``execute_notebook`` hands the keyword arguments it does not know to its engine, nbclient's).
"""

from __future__ import annotations

import os
import tempfile
import uuid

from jupyter_client import AsyncKernelManager


class IPCKernelManager(AsyncKernelManager):
    """nbclient's default manager, with ``transport="ipc"`` where the system has Unix sockets.

    An IPC kernel's ``ip`` is the path prefix of its sockets. jupyter_client's default,
    ``kernel-ipc``, is relative: the kernel (started in the notebook's folder) and its client
    (in the runner's) would look for the sockets in different folders, and kernels started at
    the same time in one folder would share the name. So each kernel gets an absolute prefix of
    its own; jupyter_client removes the socket files when it cleans up after the kernel.
    """

    def __init__(self, **kwargs):
        if os.name == "posix":
            kwargs.setdefault("transport", "ipc")
            prefix = f"genrelab-kernel-{uuid.uuid4().hex}"
            kwargs.setdefault("ip", os.path.join(tempfile.gettempdir(), prefix))
        super().__init__(**kwargs)
