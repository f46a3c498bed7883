"""Shared fixtures. Every test writes runs and caches under its own temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture
def tmp_project_dirs(tmp_path, monkeypatch):
    """Point GENRELAB_RUNS_DIR and GENRELAB_CACHE_DIR at a temporary folder."""
    monkeypatch.setenv("GENRELAB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("GENRELAB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture(autouse=True)
def no_results_cache(monkeypatch):
    """Compute every result afresh (``GENRELAB_NO_CACHE=1``), so a test comparing two paths
    (local and Dask) never reads one back from the other; the cache's tests switch it on."""
    monkeypatch.setenv("GENRELAB_NO_CACHE", "1")
