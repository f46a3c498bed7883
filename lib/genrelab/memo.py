"""Content-addressed caching of expensive results: grid searches, fitted models, BIC grids.

A result is stored under a key made of its inputs hashed by value (data frames and arrays by
their content, estimators by their parameters; :func:`joblib.hash`), and of the code version
(:func:`code_version`, a hash of every source file of the package): an identical re-run reads
it back, a changed parameter or changed code recomputes only what depends on it, and each hit
or miss is logged with the key. :class:`joblib.Memory` stores the results, writing each one
atomically, so concurrent runs may share the cache.

The cache holds pickles written by this package on this machine (``data/cache/results``); like
any cache folder, it is trusted. Set ``GENRELAB_NO_CACHE=1`` to compute everything afresh.

Example
-------
>>> from genrelab import memo
>>> @memo.cached
... def slow_square(x):
...     return x * x
>>> slow_square(3)  # doctest: +SKIP
9
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import joblib

from . import config

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable)

PACKAGE_DIR = Path(__file__).resolve().parent


@functools.cache
def code_version() -> str:
    """A short hash of every ``.py`` file of the package (path and content), computed once."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def enabled() -> bool:
    """False when ``GENRELAB_NO_CACHE`` is set to anything but ``0`` or ``""``."""
    return config.setting("GENRELAB_NO_CACHE", "0") in ("0", "false", "False")


def memory() -> joblib.Memory:
    """The cache of this code version (older versions' folders are never read again)."""
    return joblib.Memory(config.cache_folder("results") / code_version(), verbose=0)


def cached(func: F) -> F:
    """Cache ``func``'s results by the value of its arguments and the code version.

    The arguments must be hashable by :func:`joblib.hash` (data, parameters, unfitted
    estimators); a function whose result depends on anything else (a file, the clock) must not
    be cached. The wrapped function keeps its name, signature and docstring.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not enabled():
            return func(*args, **kwargs)
        memorized = memory().cache(func)
        name = f"{func.__module__}.{func.__qualname__}"
        key = joblib.hash((args, kwargs))[:12]
        if memorized.check_call_in_cache(*args, **kwargs):
            log.info("cache hit: %s [%s]", name, key)
        else:
            log.info("cache miss: %s [%s], computing", name, key)
        return memorized(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
