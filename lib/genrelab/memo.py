"""Content-addressed caching of expensive results: grid searches, fitted models, BIC grids.

A result is stored under a key made of its inputs hashed by value (data frames and arrays by
their content, estimators by their parameters; :func:`joblib.hash`), and of the code version
(:func:`code_version`, a hash of every source file of the package and of the versions of the
libraries the results depend on): an identical re-run reads it back, a changed parameter, changed
code or another library version recomputes only what depends on it, and each hit or miss is
logged (INFO on ``genrelab.memo``) with the key. Keys are made of inputs, never of fitted
objects (whose bytes change when they are read back): a fitted model goes into a cached call
under the key of the call that produced it (``func.key(...)``) and is itself left out of the
key. Arguments that say *where* or *how fast* something is computed (``n_jobs``, ``scheduler``,
``progress``) are left out of the key too (``ignore=``): a result computed on a Dask cluster is
read back by a local run and vice versa.
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
import platform
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar, overload

import joblib
import numpy as np
import pandas as pd
from joblib.func_inspect import filter_args

from genrelab import config

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R", covariant=True)

PACKAGE_DIR = Path(__file__).resolve().parent
#: The setting that makes importing this module call :func:`show` (set by the report runner).
SHOW_SETTING = "GENRELAB_SHOW_CACHE"
#: The libraries whose version is part of every key (they compute or hold the cached results).
LIBRARIES = ("numpy", "scipy", "pandas", "scikit-learn", "joblib")


def library_versions() -> dict[str, str]:
    """Python's and each of :data:`LIBRARIES`' version."""
    return {"python": platform.python_version()} | {n: metadata.version(n) for n in LIBRARIES}


@functools.cache
def code_version() -> str:
    """A short hash of every ``.py`` file of the package (path and content) and of
    :func:`library_versions`, computed once."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(repr(sorted(library_versions().items())).encode())
    return digest.hexdigest()[:16]


def _flag(name: str) -> bool:
    return config.setting(name, "0") not in ("0", "false", "False")


def enabled() -> bool:
    """False when ``GENRELAB_NO_CACHE`` is set to anything but ``0`` or ``""``."""
    return not _flag("GENRELAB_NO_CACHE")


def memory() -> joblib.Memory:
    """The cache of this code version (older versions' folders are never read again)."""
    return joblib.Memory(config.cache_folder("results") / code_version(), verbose=0)


class CachedFunction(Protocol[P, R]):
    """What :func:`cached` returns: the function itself (same name, signature and docstring; it
    pickles by reference like any module-level function), plus ``key`` and ``in_cache``."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def key(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The call's key (a name for its result, made of its inputs)."""
        ...

    def in_cache(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Whether this call would be read back from the cache."""
        ...


@overload
def cached(func: Callable[P, R], *, ignore: Sequence[str] = ()) -> CachedFunction[P, R]: ...
@overload
def cached(
    func: None = None, *, ignore: Sequence[str] = ()
) -> Callable[[Callable[P, R]], CachedFunction[P, R]]: ...
def cached(func: Callable[P, R] | None = None, *, ignore: Sequence[str] = ()) -> Any:
    """Cache ``func``'s results by the value of its arguments and the code version.

    Use as ``@cached`` or ``@cached(ignore=["n_jobs"])``. The arguments must be hashable by
    :func:`joblib.hash` (data, parameters, unfitted estimators); those named in ``ignore`` are
    left out of the key, so they must not change the result (parallelism, where it runs,
    progress bars) or must be named by another argument (a fitted model by the key of the call
    that fitted it). A function whose result depends on anything else (a file, the clock) must
    not be cached. The wrapped function (a :class:`CachedFunction`) keeps its name, signature and
    docstring, and gains ``in_cache(*args, **kwargs)``: whether that call would be read back, and
    ``key(*args, **kwargs)``: that call's key (a name for its result, made of its inputs).
    """
    if func is None:
        return functools.partial(cached, ignore=ignore)
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

    def key(*args, **kwargs) -> str:
        """:func:`joblib.hash` of the ``_compact`` arguments, with the code version."""
        arguments = filter_args(func, ignored, args, kwargs)
        _refuse_fitted(name, arguments)
        return joblib.hash((name, code_version(), _compact(arguments)), hash_name="md5")

    def in_cache(*args, **kwargs) -> bool:
        return enabled() and memorized().check_call_in_cache(key(*args, **kwargs), (args, kwargs))

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not enabled():
            return func(*args, **kwargs)
        cache, call_key, call = memorized(), key(*args, **kwargs), (args, kwargs)
        if cache.check_call_in_cache(call_key, call):
            log.info("cache hit: %s [%s]", name, call_key[:12])
            return cache(call_key, call)
        log.info("cache miss: %s [%s], computing", name, call_key[:12])
        start = time.perf_counter()
        result = cache(call_key, call)
        log.debug("computed %s in %.1f s", name, time.perf_counter() - start)
        return result

    wrapper.key = key  # type: ignore[attr-defined]
    wrapper.in_cache = in_cache  # type: ignore[attr-defined]
    return wrapper


def _refuse_fitted(name: str, arguments: dict) -> None:
    """Raise TypeError if an argument of the key is a fitted scikit-learn estimator (or holds one
    in a list, tuple or dict): its bytes are no name for it (read back from the cache, the same
    model hashes differently), so it belongs in ``ignore`` with the key that made it beside it."""
    if "sklearn" not in sys.modules:  # no estimator can be there
        return
    from sklearn.base import BaseEstimator
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    stack = list(arguments.items())
    while stack:
        arg, value = stack.pop()
        if type(value) in (list, tuple):
            stack.extend((arg, v) for v in value)
        elif type(value) is dict:
            stack.extend((arg, v) for v in value.values())
        elif isinstance(value, BaseEstimator):
            try:
                check_is_fitted(value)
            except NotFittedError:
                continue
            raise TypeError(
                f"{name}: argument {arg!r} is a fitted {type(value).__name__}; a cache key is "
                "made of inputs: ignore it and pass the key of the call that fitted it"
            )


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
