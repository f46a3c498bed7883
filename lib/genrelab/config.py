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
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv


def _find_root() -> Path:
    if os.environ.get("GENRELAB_ROOT"):
        return Path(os.environ["GENRELAB_ROOT"]).resolve()
    here = Path(__file__).resolve().parents[2]  # lib/genrelab/config.py -> root
    if (here / "pyproject.toml").exists():
        return here
    return Path.cwd().resolve()  # installed without the checkout: work where the user is


PROJECT_ROOT: Path = _find_root()
load_dotenv(PROJECT_ROOT / ".env", override=False)

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
    return Path(os.environ.get("GENRELAB_RUNS_DIR") or PROJECT_ROOT / "runs")


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


def cache_dir() -> Path:
    """Root of git-ignored caches (``GENRELAB_CACHE_DIR`` or ``<root>/data/cache``), created on
    demand."""
    path = Path(os.environ.get("GENRELAB_CACHE_DIR") or PROJECT_ROOT / "data" / "cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_folder(name: str) -> Path:
    """One sub-folder of the cache (a key of :data:`CACHE_FOLDERS`), created on demand."""
    if name not in CACHE_FOLDERS:
        raise ValueError(f"unknown cache folder {name!r}; known: {sorted(CACHE_FOLDERS)}")
    path = cache_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def setting(name: str, default: str | None = None) -> str | None:
    """Read one setting from the environment (``.env`` already loaded)."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default
