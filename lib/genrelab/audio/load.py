"""Decode one audio file (or array) to mono float32 at the analysis rate, or say why not.

:func:`load_audio` reads WAV/FLAC/OGG/MP3 with soundfile (libsndfile), downmixes, resamples to
``SAMPLERATE`` with ``scipy.signal.resample_poly`` and refuses what it cannot trust (empty,
truncated, NaN samples) with an :class:`AudioError` that names the file and the reason, so a
batch can skip the file and list it.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from genrelab.errors import GenrelabError

log = logging.getLogger(__name__)

SAMPLERATE = 22050


class AudioError(GenrelabError, ValueError):
    """A clip that cannot be analysed; ``reason`` says why in a few words."""

    def __init__(self, source, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


def _wav_declared_bytes(path: Path) -> tuple[int, int] | None:
    """(bytes of audio the WAV header declares, bytes the file holds after the data marker)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            pos = 12
            while pos + 8 <= size:
                f.seek(pos)
                chunk = f.read(8)
                cid, csize = chunk[:4], int.from_bytes(chunk[4:8], "little")
                if cid == b"data":
                    return csize, size - pos - 8
                pos += 8 + csize + (csize & 1)
    except OSError:
        return None
    return None


def load_audio(
    source, samplerate: int | None = None, *, target_rate: int = SAMPLERATE
) -> tuple[np.ndarray, int]:
    """Decode ``source`` to mono float32 at ``target_rate``.

    Parameters
    ----------
    source : path or numpy.ndarray
        An audio file soundfile can read (WAV, FLAC, OGG, MP3, AIFF), or samples shaped
        ``(n,)`` or ``(n, channels)`` (then ``samplerate`` is required).
    samplerate : int, optional
        Sample rate of an array ``source``.
    target_rate : int
        Rate of the returned signal (polyphase resampling when it differs).

    Returns
    -------
    (numpy.ndarray, int)
        Mono float32 samples and ``target_rate``.

    Raises
    ------
    AudioError
        Empty, missing, not audio, truncated or undecodable input (the message names it).
    """
    if isinstance(source, np.ndarray):
        if samplerate is None:
            raise ValueError("samplerate is required when source is an array")
        name = "<array>"
        data = np.asarray(source, dtype=np.float32)
        if data.ndim == 2:
            data = data @ np.full(data.shape[1], 1.0 / data.shape[1], np.float32)
        elif data.ndim != 1:
            raise AudioError(
                name, f"expected a 1-D or (n, channels) array, got shape {source.shape}"
            )
        rate = int(samplerate)
    else:
        path = Path(source)
        name = str(path)
        if not path.exists():
            raise AudioError(name, "file not found")
        size = path.stat().st_size
        if size == 0:
            raise AudioError(name, "empty file (0 bytes)")
        try:
            with sf.SoundFile(path) as f:
                declared = f.frames
                rate = f.samplerate
                data = f.read(dtype="float32", always_2d=True)
        except sf.LibsndfileError as exc:
            msg = str(exc).rsplit("': ", 1)[-1].strip()
            if "Error opening" in str(exc):
                if "not a regular file" in msg:  # libsndfile's words for "no format matched"
                    msg = "format not recognised"
                raise AudioError(
                    name, f"not audio or unsupported format (libsndfile: {msg})"
                ) from None
            raise AudioError(
                name, f"decode error, corrupt or truncated (libsndfile: {msg})"
            ) from None
        except (RuntimeError, OSError, ValueError) as exc:
            raise AudioError(name, f"decode error: {exc}") from None
        wav = _wav_declared_bytes(path)
        if wav is not None and wav[0] > wav[1] + 8 and wav[0] != 0xFFFFFFFF:
            raise AudioError(
                name,
                f"truncated: the WAV header declares {wav[0]} bytes of audio, "
                f"the file holds {wav[1]}",
            )
        if declared > 0 and len(data) < 0.98 * declared:
            raise AudioError(
                name,
                f"truncated: the header declares {declared / rate:.1f} s, "
                f"{len(data) / rate:.1f} s decoded",
            )
        ch = data.shape[1]
        data = (
            data @ np.full(ch, 1.0 / ch, np.float32) if ch > 1 else data[:, 0]
        )  # gemv: fast downmix
    if data.size and not np.isfinite(data).all():
        raise AudioError(name, "invalid samples (NaN or infinity)")
    if rate != target_rate and data.size:
        g = math.gcd(rate, target_rate)
        data = resample_poly(data, target_rate // g, rate // g).astype(np.float32, copy=False)
    return np.ascontiguousarray(data, dtype=np.float32), target_rate
