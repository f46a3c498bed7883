"""Where parallel work runs: local joblib processes, or a Dask cluster through ``distributed``.

One setting chooses it, the ``scheduler`` parameter of a notebook or function, or else the
environment variable ``GENRELAB_DASK_SCHEDULER`` (read with :func:`genrelab.config.setting`):

``""`` (empty, the default)
    local joblib, as without Dask: nothing is started.
``"local:N"`` (or ``"local"``: one worker per core)
    a :class:`distributed.LocalCluster` of N single-threaded worker processes on 127.0.0.1,
    started for the ``with`` block and stopped after it.
``"tcp://host:8786"`` (or ``tls://...``)
    an existing cluster's scheduler (started by dask-jobqueue, the Kubernetes operator,
    ``dask scheduler``...). Its workers must import ``genrelab`` and read the same paths (shared
    storage).

Three ways to use a cluster, all returning the local path's results:

* :func:`cluster` yields a :class:`distributed.Client` (or ``None`` for local joblib);
* :func:`joblib_backend` runs scikit-learn's joblib work (``GridSearchCV``, ``cross_val_score``)
  on the client's workers, with the training data scattered to them once; :func:`joblib_cluster`
  is the two in one ``with`` (what :class:`genrelab.classify.selection.ModelSelection` uses);
* :func:`map_items` and :func:`map_tasks` run a function over items (or keyword sets) as Dask
  futures with a progress bar; failures come back as :class:`Outcome` data, never as a crash
  of the batch. The scheduling is Dask's: this module only submits and gathers.

``dask`` and ``distributed`` are an optional extra (``pip install -e '.[dask]'``), imported only
when a cluster is asked for.

Example
-------
>>> from genrelab import execution
>>> execution.parse_scheduler("local:2")
Scheduler(kind='local', n_workers=2, address='')
>>> with execution.cluster("") as client:      # the default: local joblib, no cluster
...     outcomes = execution.map_tasks(pow, [{"base": 2, "exp": 3}, {"base": 2, "exp": "x"}],
...                                    client, progress=False)
>>> outcomes[0].value, outcomes[1].ok, outcomes[1].error_type
(8, False, 'TypeError')
"""

from __future__ import annotations

import logging
import os
import re
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import joblib
from tqdm.auto import tqdm

from genrelab import config
from genrelab.errors import GenrelabError

if TYPE_CHECKING:  # the optional extra; imported at run time only when a cluster is used
    from distributed import Client
    from typing_extensions import TypeIs

log = logging.getLogger(__name__)

__all__ = [
    "SCHEDULER_ENV",
    "Scheduler",
    "SchedulerError",
    "Outcome",
    "TaskError",
    "parse_scheduler",
    "resolve",
    "is_client",
    "cluster",
    "joblib_backend",
    "joblib_cluster",
    "map_items",
    "map_tasks",
    "values",
]

#: The environment variable read when the ``scheduler`` parameter is empty.
SCHEDULER_ENV = "GENRELAB_DASK_SCHEDULER"

#: Seconds to wait for an existing cluster's scheduler to answer.
CONNECT_TIMEOUT = 30

_LOCAL = re.compile(r"^local(?::(\d+))?$")
_ADDRESS = re.compile(r"^(tcp|tls)://[^\s/:]+(:\d+)?/?$")


class SchedulerError(GenrelabError, ValueError):
    """A scheduler setting that is neither empty, ``local:N`` nor a scheduler address."""


class TaskError(GenrelabError, RuntimeError):
    """Raised by :meth:`Outcome.result` (and :func:`values`) for a task that failed."""


# --------------------------------------------------------------------------- the setting
@dataclass(frozen=True)
class Scheduler:
    """A parsed scheduler setting: ``kind`` is ``"joblib"``, ``"local"`` or ``"address"``."""

    kind: str
    n_workers: int = 0
    address: str = ""


def parse_scheduler(value: str | None, source: str = "scheduler") -> Scheduler:
    """Read one setting value (``""``, ``"local:N"``, ``"tcp://host:8786"``) into a
    :class:`Scheduler`; ``source`` names where it came from in the error message."""
    text = (value or "").strip()
    if not text:
        return Scheduler("joblib")
    if m := _LOCAL.match(text):
        n = int(m.group(1)) if m.group(1) else (os.cpu_count() or 1)
        if n < 1:
            raise SchedulerError(f"{source}={value!r}: a local cluster needs N >= 1 workers")
        return Scheduler("local", n_workers=n)
    if _ADDRESS.match(text):
        return Scheduler("address", address=text.rstrip("/"))
    raise SchedulerError(
        f"{source}={value!r}: expected '' (local joblib), 'local:N' (a LocalCluster of N "
        "workers) or a scheduler address such as 'tcp://host:8786'"
    )


def resolve(scheduler: str | None = None) -> Scheduler:
    """The setting in force: the ``scheduler`` argument if not empty, else
    ``GENRELAB_DASK_SCHEDULER``, else local joblib."""
    if scheduler:
        return parse_scheduler(scheduler, "scheduler")
    return parse_scheduler(config.setting(SCHEDULER_ENV, ""), SCHEDULER_ENV)


def is_client(obj: Any) -> TypeIs[Client]:
    """Whether ``obj`` is a :class:`distributed.Client` (without importing distributed)."""
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


@contextmanager
def cluster(
    scheduler: str | Client | None = None, *, processes: bool = True
) -> Iterator[Client | None]:
    """Open the setting's cluster for a ``with`` block; yield its client, or ``None`` (joblib).

    Parameters
    ----------
    scheduler : str, distributed.Client or None
        See the module docstring; empty reads ``GENRELAB_DASK_SCHEDULER``. A client passed in
        is yielded as is and left open (the caller owns it).
    processes : bool
        For ``local:N``: worker processes (the default; aubio and numpy work in parallel) or
        threads of this process.

    Yields
    ------
    distributed.Client or None
    """
    if is_client(scheduler):
        yield scheduler
        return
    spec = resolve(scheduler)
    if spec.kind == "joblib":
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # the optional extra is missing
        raise SchedulerError(
            f"scheduler {scheduler or spec.address or 'local'!r} needs Dask: "
            "pip install -e '.[dask]' (dask and distributed)"
        ) from exc
    if spec.kind == "local":
        with (
            LocalCluster(
                n_workers=spec.n_workers,
                threads_per_worker=1,
                processes=processes,
                host="127.0.0.1",
                dashboard_address=":0",  # any free port: several clusters may share a machine
                silence_logs=logging.WARNING,
            ) as local,
            Client(local, set_as_default=False) as client,
        ):
            log.info(
                "started a LocalCluster of %d workers at %s (dashboard %s)",
                spec.n_workers,
                local.scheduler_address,
                client.dashboard_link,
            )
            yield client
        return
    try:
        client = Client(spec.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except OSError as exc:
        raise SchedulerError(
            f"no Dask scheduler answers at {spec.address} within {CONNECT_TIMEOUT} s ({exc})"
        ) from exc
    with client:
        log.info(
            "connected to the Dask scheduler at %s (%d workers; dashboard %s)",
            spec.address,
            _n_workers(client),
            client.dashboard_link,
        )
        yield client


def _n_workers(client: Client) -> int:
    return len(client.scheduler_info().get("workers", {}))


@contextmanager
def joblib_backend(
    client: Client | None, *, scatter: Sequence[Any] | None = None
) -> Iterator[None]:
    """Run the joblib work inside the block (scikit-learn's searches and cross-validation) on
    ``client``'s workers; with ``None``, leave joblib as it is (local processes).

    ``scatter`` lists the training data (pass the very objects given to ``fit``, e.g.
    ``[X, y]``): they are sent to every worker once, before the first task, instead of with
    each batch of fits. Inside the block ``n_jobs=-1`` (one task slot per worker thread).

    Examples
    --------
    >>> with execution.cluster("local:2") as client:                 # doctest: +SKIP
    ...     with execution.joblib_backend(client, scatter=[X, y]):
    ...         search.fit(X, y, groups=groups)
    """
    if client is None:
        yield
        return
    items = [obj for obj in (scatter or []) if obj is not None]
    with joblib.parallel_config(backend="dask", n_jobs=-1, client=client, scatter=items or None):
        log.info("joblib runs on %d Dask workers", _n_workers(client))
        yield


@contextmanager
def joblib_cluster(
    scheduler: str | Client | None = None, *, scatter: Sequence[Any] | None = None
) -> Iterator[Client | None]:
    """:func:`cluster` and :func:`joblib_backend` in one ``with``: the joblib work inside the
    block runs on the setting's cluster (``scatter`` sent to its workers once); yields the
    client, or ``None`` when the setting is empty (joblib left as it is: local processes, or an
    enclosing :func:`joblib_backend`).

    With a client, pass ``n_jobs=-1`` (or ``None``) to the scikit-learn calls inside: an explicit
    ``n_jobs=2`` would keep only two fits in flight on the whole cluster.

    Examples
    --------
    >>> with execution.joblib_cluster("local:2", scatter=[X, y]) as client:  # doctest: +SKIP
    ...     GridSearchCV(model, grid, n_jobs=-1 if client else 2).fit(X, y)
    """
    with cluster(scheduler) as client, joblib_backend(client, scatter=scatter):
        yield client


# --------------------------------------------------------------------------- futures
@dataclass
class Outcome:
    """One item's result, or why it failed: failures are data.

    Attributes
    ----------
    value : object
        The function's return value (``None`` when it failed).
    error_type, error : str
        The exception's class name and message (empty when it succeeded).
    traceback : str
        Where it failed (formatted on the worker).
    """

    value: Any = None
    error_type: str = ""
    error: str = ""
    traceback: str = ""

    @property
    def ok(self) -> bool:
        return not self.error_type

    def result(self, label: str = "task") -> Any:
        """The value, or :class:`TaskError` naming ``label``, the exception and its message."""
        if not self.ok:
            raise TaskError(f"{label} failed: {self.error_type}: {self.error}\n{self.traceback}")
        return self.value


def _failed(exc: BaseException, tb: str = "") -> Outcome:
    return Outcome(error_type=type(exc).__name__, error=str(exc), traceback=tb)


def _call(fn: Callable, item: Any, star: bool) -> Outcome:
    try:
        return Outcome(value=fn(**item) if star else fn(item))
    except Exception as exc:  # noqa: BLE001 - the failure is returned as data
        return _failed(exc, traceback.format_exc())


def _run_chunk(fn: Callable, items: list, star: bool, shared: Mapping[str, Any]) -> list[Outcome]:
    """Worker side: every item's :class:`Outcome` (one failing item does not fail the chunk)."""
    call = partial(fn, **shared) if shared else fn
    return [_call(call, item, star) for item in items]


def _task_name(fn: Callable) -> str:
    while isinstance(fn, partial):
        fn = fn.func
    return getattr(fn, "__name__", type(fn).__name__).strip("<>")


def _chunks(n: int, size: int) -> list[range]:
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def _map(
    fn: Callable,
    items: Sequence,
    client: Client | None,
    *,
    star: bool,
    shared: Mapping[str, Any] | None,
    chunksize: int,
    desc: str,
    unit: str,
    progress: bool,
    retries: int,
) -> list[Outcome]:
    items = list(items)
    shared = dict(shared or {})
    bar = tqdm(total=len(items), desc=desc, unit=unit, disable=not progress)
    with bar:
        if client is None:  # in this process, one item after the other
            done: list[Outcome] = []
            for item in items:
                done.extend(_run_chunk(fn, [item], star, shared))
                bar.update()
            return done
        from distributed import as_completed

        if shared:  # sent to every worker once, not with each task
            shared = dict(
                zip(shared, client.scatter(list(shared.values()), broadcast=True, hash=False))
            )
        name = _task_name(fn)  # the dashboard groups tasks by this prefix
        futures = {
            client.submit(
                _run_chunk,
                fn,
                [items[i] for i in rows],
                star,
                shared,
                key=f"{name}-{uuid.uuid4().hex}",
                retries=retries,
            ): rows
            for rows in _chunks(len(items), max(1, chunksize))
        }
        out: list[Outcome | None] = [None] * len(items)
        for future in as_completed(futures, loop=client.loop):
            rows = futures[future]
            try:
                results = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker, an unpicklable result...
                tb = "".join(traceback.format_tb(future.traceback())) if future.traceback() else ""
                results = [_failed(exc, tb)] * len(rows)
            for i, res in zip(rows, results):
                out[i] = res
            bar.update(len(rows))
            future.release()
        return cast(list[Outcome], out)  # every row was filled by its chunk


def map_items(
    fn: Callable[[Any], Any],
    items: Iterable,
    client: Client | None = None,
    *,
    shared: Mapping[str, Any] | None = None,
    chunksize: int = 1,
    desc: str = "tasks",
    unit: str = "item",
    progress: bool = True,
    retries: int = 0,
) -> list[Outcome]:
    """``fn(item, **shared)`` for every item, as Dask futures on ``client`` (in this process when
    ``None``), with a tqdm bar; one :class:`Outcome` per item, in the items' order.

    Parameters
    ----------
    fn : callable
        A module-level function the workers can import (e.g. ``genrelab.audio.batch``'s).
    items : iterable
        Small arguments (paths, ids): each is sent with its task.
    client : distributed.Client or None
    shared : mapping, optional
        Keyword arguments common to every call (e.g. the data matrix): scattered to every worker
        once and passed by reference.
    chunksize : int
        Items per task: raise it for cheap items (thousands of file hashes) so that the
        scheduler's per-task cost (about a millisecond) does not dominate.
    desc, unit, progress : str, str, bool
        The progress bar.
    retries : int
        Dask retries of a task whose worker died.

    Returns
    -------
    list of Outcome
        A failing item (any exception) is an Outcome with ``error_type`` set; a lost task fails
        every item of its chunk the same way. The batch never raises for them.
    """
    return _map(
        fn,
        list(items),
        client,
        star=False,
        shared=shared,
        chunksize=chunksize,
        desc=desc,
        unit=unit,
        progress=progress,
        retries=retries,
    )


def map_tasks(
    fn: Callable[..., Any],
    list_of_kwargs: Iterable[Mapping[str, Any]],
    client: Client | None = None,
    *,
    shared: Mapping[str, Any] | None = None,
    desc: str = "tasks",
    unit: str = "task",
    progress: bool = True,
    retries: int = 0,
) -> list[Outcome]:
    """``fn(**kwargs, **shared)`` for every keyword set, as Dask futures: see :func:`map_items`.

    Examples
    --------
    The BIC grid: one task per (k, covariance type), the data scattered once.

    >>> tasks = [dict(n_components=k, covariance_type=c) for c in cts for k in ks]  # doctest: +SKIP
    >>> outcomes = execution.map_tasks(fit_one, tasks, client, shared={"X": X})  # doctest: +SKIP
    >>> rows = execution.values(outcomes, labels=tasks)  # doctest: +SKIP
    """
    return _map(
        fn,
        [dict(kw) for kw in list_of_kwargs],
        client,
        star=True,
        shared=shared,
        chunksize=1,
        desc=desc,
        unit=unit,
        progress=progress,
        retries=retries,
    )


def values(outcomes: Sequence[Outcome], labels: Sequence[Any] | None = None) -> list[Any]:
    """Every outcome's value; :class:`TaskError` for the first failure, naming its label (the
    item or keyword set) when ``labels`` is given."""
    return [
        o.result(f"task {labels[i]!r}" if labels is not None else f"task {i}")
        for i, o in enumerate(outcomes)
    ]
