"""Every path of the project, anchored at its root, and settings from the environment.

Settings are read from environment variables, after loading ``<root>/.env`` with
python-dotenv (variables already set in the environment win). Secrets such as
``SPOTIPY_CLIENT_SECRET`` are only ever read here, at the moment they are needed, and are
never written to a notebook, a log or a run directory.

Environment variables
---------------------
GENRELAB_ROOT
    The project root (default: the checkout that holds this package).
GENRELAB_RUNS_DIR
    Where run directories go (default: ``<root>/runs``); the tests point it at a temporary folder.
GENRELAB_CACHE_DIR
    Where downloads, HTTP caches and extracted features go (default: ``<root>/data/cache``).
GENRELAB_FMA_DIR
    An unpacked FMA archive (:mod:`genrelab.audio.sources.fma`).

Every path setting (:data:`PATH_SETTINGS`) is made absolute once, when this module is first
imported: against the directory the command ran from (:data:`START_DIR`), or against the root
for a value read from ``.env``; the absolute value is written back to the environment, so the
notebooks' kernels (which start in ``notebooks/``, and whose working directory papermill
changes) read the same folders as the command that started them.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

from genrelab.errors import GenrelabError


def _find_root() -> Path:
    if os.environ.get("GENRELAB_ROOT"):
        return Path(os.environ["GENRELAB_ROOT"]).resolve()
    here = Path(__file__).resolve().parents[2]  # lib/genrelab/config.py -> root
    if (here / "pyproject.toml").exists():
        return here
    return Path.cwd().resolve()  # installed without the checkout: work where the user is


#: The settings that name a path (made absolute at start-up, see the module docstring).
PATH_SETTINGS = ("GENRELAB_ROOT", "GENRELAB_RUNS_DIR", "GENRELAB_CACHE_DIR", "GENRELAB_FMA_DIR")
#: The directory the command ran from: relative paths a user gives are read from here.
START_DIR: Path = Path.cwd()


def absolute(path: str | Path, base: Path | None = None) -> Path:
    """``path`` with ``~`` expanded, made absolute against ``base`` (default :data:`START_DIR`);
    ``..`` is collapsed, symbolic links are left as they are."""
    path = Path(path).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else (base or START_DIR) / path))


def _absolute_settings(base: Path, names) -> None:
    for name in names:
        value = os.environ.get(name)
        if value:
            os.environ[name] = str(absolute(value, base))


_absolute_settings(START_DIR, PATH_SETTINGS)
PROJECT_ROOT: Path = _find_root()
_before_dotenv = {name for name in PATH_SETTINGS if os.environ.get(name)}
load_dotenv(PROJECT_ROOT / ".env", override=False)
_absolute_settings(PROJECT_ROOT, set(PATH_SETTINGS) - _before_dotenv)  # .env: the root's

DATA_RAW: Path = PROJECT_ROOT / "data" / "raw"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
PARAMS_DIR: Path = PROJECT_ROOT / "params"
FIGURES_DIR: Path = PROJECT_ROOT / "figures"
RESULTS_DIR: Path = PROJECT_ROOT / "results"
README: Path = PROJECT_ROOT / "README.md"

SNAPSHOT_CSV: Path = DATA_RAW / "spotify_songs.csv.gz"
FMA_ECHONEST_CSV: Path = DATA_RAW / "fma_echonest_features.csv.gz"
FMA_CLIP: Path = DATA_RAW / "fma_000002.mp3"


def runs_dir() -> Path:
    """Root folder of run directories (``GENRELAB_RUNS_DIR`` or ``<root>/runs``)."""
    return absolute(os.environ.get("GENRELAB_RUNS_DIR") or PROJECT_ROOT / "runs")


#: The cache's sub-folders, one per kind of cached thing (:func:`cache_folder`).
CACHE_FOLDERS = {
    "http": "HTTP answers of Spotify, ReccoBeats and Deezer (requests-cache SQLite)",
    "spotify": "Spotify OAuth tokens, one file per app and user",
    "collect": "checkpoints of interrupted Spotify collections",
    "features": "aubio features, one parquet table per extractor version and settings",
    "synthetic": "generated synthetic clips with their ground truth",
    "scores": "pieces rendered from their scores (FLAC + JSON truth), one folder per renderer",
    "previews": "downloaded Deezer 30 s previews",
    "results": "expensive results (grid searches, fitted models), one folder per code version",
}


class CacheFolderError(GenrelabError, PermissionError):
    """A cache folder cannot be created or written to; the message says what to do."""


def _make_folder(path: Path) -> None:
    """Create a cache folder; refuse one this process cannot write to, in one sentence."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        writable = os.access(path, os.W_OK | os.X_OK)
    except OSError as exc:  # PermissionError, a read-only file system, a file in the way
        writable, reason = False, exc.strerror or type(exc).__name__
    else:
        reason = "permission denied"
    if not writable:
        raise CacheFolderError(
            f"the cache folder {path} cannot be written to ({reason}): make it writable or "
            "point GENRELAB_CACHE_DIR at a folder you can write to (GENRELAB_NO_CACHE=1 turns "
            "off only the results cache; downloads and extracted features still go here)"
        )


def cache_dir() -> Path:
    """Root of git-ignored caches (``GENRELAB_CACHE_DIR`` or ``<root>/data/cache``), created on
    demand."""
    path = absolute(os.environ.get("GENRELAB_CACHE_DIR") or PROJECT_ROOT / "data" / "cache")
    _make_folder(path)
    return path


def cache_folder(name: str) -> Path:
    """One sub-folder of the cache (a key of :data:`CACHE_FOLDERS`), created on demand."""
    if name not in CACHE_FOLDERS:
        raise ValueError(f"unknown cache folder {name!r}; known: {sorted(CACHE_FOLDERS)}")
    path = cache_dir() / name
    _make_folder(path)
    return path


def setting(name: str, default: str | None = None) -> str | None:
    """Read one setting from the environment (``.env`` already loaded)."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default
