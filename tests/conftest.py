"""Shared fixtures. Every test writes runs and caches under its own temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture
def tmp_project_dirs(tmp_path, monkeypatch):
    """Point GENRELAB_RUNS_DIR and GENRELAB_CACHE_DIR at a temporary folder."""
    monkeypatch.setenv("GENRELAB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("GENRELAB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path
