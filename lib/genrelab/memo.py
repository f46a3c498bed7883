"""Content-addressed caching of expensive results: grid searches, fitted models, BIC grids.

A result is stored under a key made of its inputs hashed by value (data frames and arrays by
their content, estimators by their parameters; :func:`joblib.hash`), and of the code version
(:func:`code_version`, a hash of every source file of the package): an identical re-run reads
it back, a changed parameter or changed code recomputes only what depends on it, and each hit
or miss is logged (INFO on ``genrelab.memo``) with the key. Arguments that say *where* or *how
fast* something is computed (``n_jobs``, ``scheduler``, ``progress``) are left out of the key
(``ignore=``): a result computed on a Dask cluster is read back by a local run and vice versa.
:class:`joblib.Memory` stores the results, writing each one atomically, so concurrent runs may
share the cache.

The cache holds pickles written by this package on this machine (``data/cache/results``); like
any cache folder, it is trusted. Set ``GENRELAB_NO_CACHE=1`` to compute everything afresh.

Log records reach the console only through a handler: :func:`show` attaches one (stderr) to
``genrelab.memo``, and importing this module does it when ``GENRELAB_SHOW_CACHE=1`` is set, as
the report runner does for its notebook kernels, so cache hits appear in the executed notebooks.

Example
-------
>>> from genrelab import memo
>>> @memo.cached(ignore=["n_jobs"])
... def slow_square(x, n_jobs=1):
...     return x * x
>>> slow_square(3)  # doctest: +SKIP
9
>>> slow_square.in_cache(3, n_jobs=4)  # doctest: +SKIP
True
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import joblib
import numpy as np
import pandas as pd
from joblib.func_inspect import filter_args
from joblib.hashing import NumpyHasher
from numpy.lib import recfunctions

from genrelab import config

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable)

PACKAGE_DIR = Path(__file__).resolve().parent
#: The setting that makes importing this module call :func:`show` (set by the report runner).
SHOW_SETTING = "GENRELAB_SHOW_CACHE"


@functools.cache
def code_version() -> str:
    """A short hash of every ``.py`` file of the package (path and content), computed once."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _flag(name: str) -> bool:
    return config.setting(name, "0") not in ("0", "false", "False")


def enabled() -> bool:
    """False when ``GENRELAB_NO_CACHE`` is set to anything but ``0`` or ``""``."""
    return not _flag("GENRELAB_NO_CACHE")


def memory() -> joblib.Memory:
    """The cache of this code version (older versions' folders are never read again)."""
    return joblib.Memory(config.cache_folder("results") / code_version(), verbose=0)


def cached(func: F | None = None, *, ignore: Sequence[str] = ()) -> F:
    """Cache ``func``'s results by the value of its arguments and the code version.

    Use as ``@cached`` or ``@cached(ignore=["n_jobs"])``. The arguments must be hashable by
    :func:`joblib.hash` (data, parameters, unfitted estimators); those named in ``ignore`` are
    left out of the key, so they must not change the result (parallelism, where it runs,
    progress bars). A function whose result depends on anything else (a file, the clock) must
    not be cached. The wrapped function keeps its name, signature and docstring, and gains
    ``in_cache(*args, **kwargs)``: whether that call would be read back.
    """
    if func is None:
        return functools.partial(cached, ignore=ignore)  # type: ignore[return-value]
    ignored = list(ignore)
    name = f"{func.__module__}.{func.__qualname__}"

    def compute(key: str, call: tuple):
        """``func`` on ``call`` (its arguments), stored by ``key`` (what Memory hashes)."""
        args, kwargs = call
        return func(*args, **kwargs)

    # stored in func's own folder of the cache, as if Memory cached func itself
    compute.__module__, compute.__name__, compute.__qualname__ = (
        func.__module__,
        func.__name__,
        func.__qualname__,
    )

    def memorized():
        return memory().cache(compute, ignore=["call"])

    def key(args, kwargs) -> str:
        """The call's key, hashed once a call: :func:`_hash` of the :func:`_compact` arguments."""
        return _hash(_compact(filter_args(func, ignored, args, kwargs)))

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not enabled():
            return func(*args, **kwargs)
        cache, call_key, call = memorized(), key(args, kwargs), (args, kwargs)
        if cache.check_call_in_cache(call_key, call):
            log.info("cache hit: %s [%s]", name, call_key[:12])
            return cache(call_key, call)
        log.info("cache miss: %s [%s], computing", name, call_key[:12])
        start = time.perf_counter()
        result = cache(call_key, call)
        log.debug("computed %s in %.1f s", name, time.perf_counter() - start)
        return result

    def in_cache(*args, **kwargs) -> bool:
        return enabled() and memorized().check_call_in_cache(key(args, kwargs), (args, kwargs))

    wrapper.in_cache = in_cache  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


class _Hasher(NumpyHasher):
    """joblib's hasher, blind to how an array sits in memory: the padding bytes of structured
    arrays (a fitted tree's nodes: whatever memory held) and the strides of empty arrays or of
    axes of length 1 (HistGradientBoosting's empty category bitsets: (0, 0) when fitted, (32, 4)
    read back). Either made the same fitted model hash differently once read back from the
    cache: a miss on every re-run for a key holding a model (with :func:`_hash`'s sharing)."""

    def save(self, obj):
        if isinstance(obj, np.ndarray) and not isinstance(obj, np.memmap):
            if obj.size == 0:  # nothing but its shape and type (numpy gives any strides)
                obj = ("empty array", obj.shape, obj.dtype.descr)
            else:
                if obj.dtype.fields is not None:
                    obj = recfunctions.repack_fields(obj)  # a packed copy, no padding
                if obj.strides != _c_strides(obj):
                    obj = np.array(obj, order="C")  # a copy with the canonical strides
        super().save(obj)


def _c_strides(array: np.ndarray) -> tuple[int, ...]:
    """The strides of a fresh C-ordered array of that shape and dtype."""
    strides, step = [], array.itemsize
    for length in reversed(array.shape):
        strides.append(step)
        step *= max(length, 1)
    return tuple(reversed(strides))


def _hash(value) -> str:
    """The md5 of ``value`` by :class:`_Hasher`, with pickle's memo off: an object met twice is
    hashed twice, so sharing does not count (a fitted model shares arrays that a copy read back
    from the cache holds twice). An object that holds itself falls back to the memo."""
    hasher = _Hasher(hash_name="md5")
    hasher.fast = True
    try:
        return hasher.hash(value)
    except RecursionError:
        return _Hasher(hash_name="md5").hash(value)


def _compact(value):
    """What the key hashes for ``value``: a pandas object or an array of Python objects by the
    vectorised digests of :func:`pandas.util.hash_pandas_object` (with its columns, dtypes and
    index) instead of ``joblib.hash`` pickling every string of it (5 s for the training names of
    the snapshot, 0.05 s so); dicts, lists and tuples element by element; anything else as it is.
    """
    try:
        if isinstance(value, pd.DataFrame):
            dtypes = [str(t) for t in value.dtypes]
            digest = pd.util.hash_pandas_object(value, index=True).to_numpy()
            return ("DataFrame", list(value.columns), dtypes, digest)
        if isinstance(value, pd.Series):
            digest = pd.util.hash_pandas_object(value, index=True).to_numpy()
            return ("Series", value.name, str(value.dtype), digest)
        if isinstance(value, np.ndarray) and value.dtype == object:
            return ("ndarray", value.shape, pd.util.hash_array(value.ravel()))
    except TypeError:  # unhashable cells (lists, dicts): joblib pickles them
        return value
    if type(value) in (dict, list, tuple):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        compact = {k: _compact(v) for k, v in items}
        return compact if isinstance(value, dict) else (type(value).__name__, *compact.values())
    return value


class _ShowHandler(logging.StreamHandler):
    """The handler :func:`show` attaches (a class of its own, so it is attached once)."""


def show(level: int = logging.INFO) -> logging.Handler:
    """Print the cache's hits and misses (``genrelab.memo`` at ``level``) to stderr, which a
    notebook shows under the cell; calling it again changes the level only."""
    handler = next((h for h in log.handlers if isinstance(h, _ShowHandler)), None)
    if handler is None:
        handler = _ShowHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        log.addHandler(handler)
    handler.setLevel(level)
    log.setLevel(min(level, log.level or level))
    return handler


if _flag(SHOW_SETTING):
    show()
