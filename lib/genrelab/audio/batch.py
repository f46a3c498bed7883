"""Many clips at once: parallel aubio extraction, a content-addressed cache, a failures table.

:func:`extract_batch` runs :func:`genrelab.audio.features.extract_features` over a list of files in
parallel (joblib), shows a tqdm bar, caches results in a parquet table keyed by each file's
content hash and the extractor settings (an identical re-run extracts nothing), and returns
the bad files in a failures table (empty, truncated, not audio, silent, too short) instead of
stopping.

With ``scheduler`` (``"local:N"``, ``"tcp://host:8786"``, a ``distributed.Client``, or the
``GENRELAB_DASK_SCHEDULER`` setting: see :mod:`genrelab.execution`) the files are hashed and
analysed as Dask futures on the cluster's workers, which read them from the same paths (shared
storage); results and failures are gathered here, into the same tables and the same cache.

Example
-------
>>> from genrelab import extraction
>>> batch = extraction.extract_batch(paths, n_jobs=2)            # doctest: +SKIP
>>> batch.features.shape, batch.failures                         # doctest: +SKIP
>>> batch = extraction.extract_batch(paths, scheduler="local:2")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from filelock import FileLock
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from genrelab import config, execution
from genrelab.audio import features
from genrelab.audio.features import MIN_DURATION, extract_features
from genrelab.audio.load import SAMPLERATE, AudioError

if TYPE_CHECKING:  # the optional Dask extra
    from distributed import Client

log = logging.getLogger(__name__)


#: Numeric feature columns (no ids, key names or version), in a stable order.
def descriptor_columns(df: pd.DataFrame) -> list[str]:
    """The numeric descriptor columns of a features table (drops ids, names, version, key/mode)."""
    skip = {
        "path",
        "file",
        "content_hash",
        "extractor_version",
        "key_name",
        "status",
        "reason",
        "key",
        "mode",
        "n_beats",
        "tempo_aubio",
    }
    return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]


# --------------------------------------------------------------------------- batches and cache
@dataclass
class BatchResult:
    """What :func:`extract_batch` returns.

    Attributes
    ----------
    features : pandas.DataFrame
        One row per good input: ``path``, ``file``, ``content_hash`` then every descriptor.
    failures : pandas.DataFrame
        One row per bad input: ``path``, ``file``, ``reason``.
    n_extracted, n_cached : int
        Inputs analysed in this call / answered from the cache.
    """

    features: pd.DataFrame
    failures: pd.DataFrame
    n_extracted: int
    n_cached: int


def content_hash(path: str | Path) -> str:
    """BLAKE2b (128-bit) hex digest of a file's bytes: the cache key with the extractor version."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _hash_or_reason(path: str) -> tuple[str | None, str]:
    """(content hash, "") or (None, why the file cannot be read): never raises for a bad path."""
    try:
        return content_hash(path), ""
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror or exc}"


#: Files hashed per Dask task: hashing is cheap, the scheduler's cost per task is not.
HASHES_PER_TASK = 64


def _settings(min_duration: float) -> dict:
    return {
        "extractor_version": features.EXTRACTOR_VERSION,  # read at call time: tests patch it
        "samplerate": SAMPLERATE,
        "min_duration": min_duration,
    }


def _settings_key(min_duration: float) -> str:
    return hashlib.sha1(json.dumps(_settings(min_duration), sort_keys=True).encode()).hexdigest()[
        :12
    ]


def default_cache_path(min_duration: float = MIN_DURATION) -> Path:
    """``<cache>/features/aubio-<settings hash>.parquet``: one file per extractor version and
    settings."""
    return config.cache_folder("features") / f"aubio-{_settings_key(min_duration)}.parquet"


def _extract_one(path: str, min_duration: float) -> dict:
    """Worker: never raises; a bad file comes back as ``status="failed"`` with a reason."""
    try:
        feats = extract_features(path, min_duration=min_duration)
        return {"status": "ok", "reason": "", **feats}
    except AudioError as exc:
        return {"status": "failed", "reason": exc.reason}
    except Exception as exc:  # noqa: BLE001 - the batch must go on; the reason is kept
        return {"status": "error", "reason": f"unexpected {type(exc).__name__}: {exc}"}


#: Below this many clips to analyse per process, a batch runs in the calling process: starting
#: a worker (importing numpy, scipy, aubio: 1-3 s) costs about as much as analysing ten to
#: twenty clips.
MIN_CLIPS_PER_JOB = 20


def _store(cache_path: Path, new: pd.DataFrame) -> None:
    """Add ``new`` rows to the cache file, safe when several processes share it.

    Under a file lock, the current file is read again and merged (another process may have
    added rows since this one read it), then replaced atomically: no writer loses another's
    rows and no reader sees half a file.
    """
    if new.empty:
        return
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{cache_path}.lock"):
        stored = pd.DataFrame()
        if cache_path.exists():
            try:
                stored = pd.read_parquet(cache_path)
            except Exception as exc:  # noqa: BLE001 - a broken cache is rebuilt, not fatal
                log.warning("rebuilding unreadable feature cache %s (%s)", cache_path, exc)
        table = pd.concat([stored, new], ignore_index=True) if not stored.empty else new
        if "settings_key" in table:
            table = table.drop_duplicates(["content_hash", "settings_key"], keep="last")
        tmp = cache_path.with_name(f".{cache_path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        table.to_parquet(tmp, index=False)
        os.replace(tmp, cache_path)


def extract_batch(
    paths: Iterable[str | Path],
    *,
    n_jobs: int = 1,
    cache: bool | str | Path = True,
    progress: bool = True,
    min_duration: float = MIN_DURATION,
    min_clips_per_job: int = MIN_CLIPS_PER_JOB,
    scheduler: str | Client | None = None,
) -> BatchResult:
    """Extract many files in parallel, with a content-hash cache and a failures table.

    Parameters
    ----------
    paths : iterable of path
        Audio files. A file that cannot be read, decoded or analysed becomes a failures row
        (and a logged warning); the batch goes on.
    n_jobs : int
        joblib processes (``-1`` = all cores); fewer when there are less than
        ``min_clips_per_job`` clips to analyse per process.
    cache : bool or path
        ``True``: :func:`default_cache_path`; a path: that parquet file; ``False``: no cache.
        Rows are keyed by the file's content hash, and the file name encodes the extractor
        version and settings, so renamed or copied files are not analysed twice and a new
        extractor version starts a new cache.
    progress : bool
        Show a tqdm progress bar.
    min_duration : float
        Shorter clips are failures ("too short").
    scheduler : str, distributed.Client or None
        Where the work runs (:mod:`genrelab.execution`): empty reads ``GENRELAB_DASK_SCHEDULER``
        and, when that is empty too, runs as above with ``n_jobs`` joblib processes;
        ``"local:N"`` or ``"tcp://host:8786"`` hashes and analyses the files as Dask futures
        (``n_jobs`` is then ignored). The cache is read and written here, in the client.

    Returns
    -------
    BatchResult
    """

    names = [str(p) for p in paths]
    with ExitStack() as stack:
        # an existing cluster's workers hash the files (they read them anyway); a LocalCluster
        # on this machine starts only when there is something to extract
        spec = None if execution.is_client(scheduler) else execution.resolve(scheduler)
        client = None
        if spec is None or spec.kind == "address":
            client = stack.enter_context(execution.cluster(scheduler))

        def start() -> Client | None:
            if spec is not None and spec.kind == "local":
                return stack.enter_context(execution.cluster(scheduler))
            return client

        return _extract(
            names, client, start, n_jobs, cache, progress, min_duration, min_clips_per_job
        )


def _absolute(paths: list[str]) -> list[str]:
    """The paths a worker opens: absolute (its working directory is not this process's); on an
    existing cluster, shared storage mounted at the same place."""
    return [os.path.abspath(p) for p in paths]


def _hashes(paths: list[str], client) -> list[tuple[str | None, str]]:
    """Every path's (hash, reason): here, or on the cluster's workers (they read the files)."""
    if client is None:
        return [_hash_or_reason(p) for p in paths]
    outcomes = execution.map_items(
        _hash_or_reason, _absolute(paths), client, chunksize=HASHES_PER_TASK, progress=False
    )
    return [o.value if o.ok else (None, f"unexpected {o.error_type}: {o.error}") for o in outcomes]


def _analyse_pending(todo: list[str], client, n_jobs, progress, min_duration, min_clips_per_job):
    """:func:`_extract_one` for every path, in order: joblib processes here, or Dask futures."""
    desc = "aubio features"
    if client is not None:
        outcomes = execution.map_items(
            partial(_extract_one, min_duration=min_duration),
            _absolute(todo),
            client,
            desc=desc,
            unit="clip",
            progress=progress,
        )
        # a task lost with its worker is an unexpected error: reported, not cached
        return [
            o.value
            if o.ok
            else {"status": "error", "reason": f"unexpected {o.error_type}: {o.error}"}
            for o in outcomes
        ]
    jobs = (delayed(_extract_one)(p, min_duration) for p in todo)
    n_jobs = (os.cpu_count() or 1) if n_jobs < 1 else n_jobs
    n_jobs = (
        max(1, min(n_jobs, len(todo) // max(min_clips_per_job, 1))) if min_clips_per_job else n_jobs
    )
    if n_jobs == 1:
        results = (_extract_one(p, min_duration) for p in todo)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    return list(tqdm(results, total=len(todo), desc=desc, disable=not progress, unit="clip"))


def _extract(
    paths: list[str],
    client: Any,
    start: Callable[[], Any],
    n_jobs: int,
    cache: bool | str | Path,
    progress: bool,
    min_duration: float,
    min_clips_per_job: int,
) -> BatchResult:
    """The batch: hashes (with ``client``), cache lookup, extraction (with ``start()``'s client),
    cache update and the two tables."""
    hashes: list[str | None] = []
    failures = []
    for p, (h, reason) in zip(paths, _hashes(paths, client)):
        hashes.append(h)
        if h is None:
            failures.append({"path": p, "file": Path(p).name, "reason": reason})
            log.warning("skipped %s: %s", p, reason)

    cache_path = (
        None
        if cache is False
        else (default_cache_path(min_duration) if cache is True else Path(cache))
    )
    cached = pd.DataFrame()
    if cache_path is not None and cache_path.exists():
        try:
            cached = pd.read_parquet(cache_path)
        except Exception as exc:  # noqa: BLE001 - a broken cache is rebuilt, not fatal
            log.warning("ignoring unreadable feature cache %s (%s)", cache_path, exc)
    settings_key = _settings_key(min_duration)
    if not cached.empty:  # rows made by another extractor version / settings do not count
        cached = cached[
            cached.get("settings_key", pd.Series("", index=cached.index)) == settings_key
        ]
        cached = cached.reset_index(drop=True)
    known = {} if cached.empty else {h: i for i, h in enumerate(cached["content_hash"])}

    todo: dict[str, str] = {}  # hash -> one path with that content
    for p, h in zip(paths, hashes):
        if h is not None and h not in known and h not in todo:
            todo[h] = p
    new_rows = []
    if todo:
        results = _analyse_pending(
            list(todo.values()), start(), n_jobs, progress, min_duration, min_clips_per_job
        )
        for h, res in zip(todo, results):
            new_rows.append({"content_hash": h, "settings_key": settings_key, **res})
    new = pd.DataFrame.from_records(new_rows)
    table = pd.concat([cached, new], ignore_index=True) if not cached.empty else new
    if cache_path is not None and not new.empty:
        # only results that depend on the file's content are kept: an unexpected error (a bug,
        # a full disk...) is tried again next time
        _store(cache_path, new[new["status"] != "error"])

    by_hash = table.set_index("content_hash") if not table.empty else pd.DataFrame()
    good = []
    for p, h in zip(paths, hashes):
        if h is None:
            continue
        row = by_hash.loc[h]
        if isinstance(row, pd.DataFrame):  # duplicated hash in an old cache
            row = row.iloc[-1]
        if row["status"] == "ok":
            good.append(
                {
                    "path": p,
                    "file": Path(p).name,
                    "content_hash": h,
                    **row.drop(["status", "reason", "settings_key"]).to_dict(),
                }
            )
        else:
            failures.append({"path": p, "file": Path(p).name, "reason": row["reason"]})
            log.warning("skipped %s: %s", p, row["reason"])
    features = pd.DataFrame.from_records(good)
    if not features.empty:
        features = features.dropna(axis=1, how="all")
    fail_df = pd.DataFrame.from_records(failures, columns=["path", "file", "reason"])
    n_cached = sum(h is not None and h in known for h in hashes)
    return BatchResult(
        features=features, failures=fail_df, n_extracted=len(todo), n_cached=n_cached
    )


# --------------------------------------------------------------------------- the clips
def failures_table(corpus_failures: pd.DataFrame, batch_failures: pd.DataFrame) -> pd.DataFrame:
    """Every clip skipped on the way, one table of ``file`` and ``reason``: the ones the corpus
    could not deliver (keyed by ``item_id``), then the ones the extraction could not analyse
    (:func:`genrelab.audio.batch.extract_batch`)."""
    return pd.concat(
        [
            corpus_failures.rename(columns={"item_id": "file"})[["file", "reason"]],
            batch_failures[["file", "reason"]],
        ],
        ignore_index=True,
    )


def clips_per_label(items: pd.DataFrame) -> pd.DataFrame:
    """One row: how many clips carry each label (a missing label counted as such)."""
    return items.groupby("label", dropna=False).size().rename("clips").to_frame().T
