"""Audio features computed from the audio itself with aubio, one clip or a whole folder at a time.

:func:`extract_features` turns a file (WAV / FLAC / OGG / MP3, decoded by soundfile) or a
numpy array into one flat dict of descriptors: the audio is mixed to mono and resampled to
``SAMPLERATE`` (22,050 Hz, ``scipy.signal.resample_poly``), then aubio does the signal
analysis and numpy summarises the framewise arrays.

=====================  ==========================================================================
feature                how
=====================  ==========================================================================
tempo                  BPM at the metrical level chosen by :mod:`genrelab.audio.tempo`: aubio
``tempo``
                       (beat tracker) refined by the median inter-beat interval and aubio's own
                       estimate, times 1/3 ... 3, and the onset envelope's autocorrelation
                       peaks, whichever scores best on the autocorrelation (comb energy), the
                       beat grid's coverage and off-beat contrast and a log-normal tempo prior;
                       ``tempo_aubio`` is aubio's own guess, ``tempo_confidence`` its confidence
beat_regularity        share of inter-beat intervals within 5 % (+ one hop) of the median one
beat_strength          onset-detection strength at the beats / its mean (pulse clarity)
onset_rate             aubio ``onset`` (hfc, 46 ms hop) detections per second
loudness               integrated loudness, ITU-R BS.1770 style (K-weighting, 400 ms blocks,
                       -70 LUFS absolute and -10 LU relative gates), dB
loudness_range         EBU-style loudness range: 95th - 10th percentile of 3 s short-term
                       loudness (dB); ``crest_db`` = peak - RMS level
centroid, rolloff      aubio ``specdesc`` on one aubio ``pvoc`` pass (Hz, mean and std)
flux                   aubio ``specdesc("specflux")`` (mean and std)
flatness               geometric / arithmetic mean of the same magnitude spectra (numpy)
zcr                    zero-crossing rate per frame (mean and std)
mfcc_mean_i, _std_i    aubio ``mfcc`` (40 mel bands, 13 coefficients) on the same spectra
chroma_<pc>            12 pitch classes from the spectral peaks of an 8192-point aubio ``pvoc``
                       (2.7 Hz bins, C2-B6) at their interpolated pitch, square-root
                       compressed, frame-normalised mean (:mod:`genrelab.audio.key`)
band_<name>_db         energy share (dB) of six aubio ``filterbank`` bands (sub ... high)
key, mode, key_*       :func:`genrelab.audio.key.estimate_key`: the chroma correlated with the
                       Albrecht-Shanahan key profiles, plus the bass line's histogram, the
                       opening chord (tonic triads) and, when the piece ends in the clip, its
                       final bass note as the tonic; ``key_strength`` = best score,
                       ``key_confidence`` = best - second
pitch_salience         mean aubio ``pitch("yinfast")`` confidence; ``voiced_fraction`` = share
                       of frames with confidence > 0.8; ``pitch_median`` (Hz, voiced frames).
                       (yinfast is YIN computed by FFT, as fast as yinfft here; aubio 0.4.12's
                       yinfft confidence reads a stale peak position - 0 or negative - in its
                       short-period branch, so it cannot serve as a salience.)
duration               seconds of audio analysed
extractor_version      :data:`EXTRACTOR_VERSION`
=====================  ==========================================================================

Throughput: aubio objects work one hop at a time, so Python calls per frame are the cost
to watch. One pvoc pass feeds three specdesc objects, the MFCC and a filterbank, and its magnitudes
are
copied into one array for numpy; onsets and pitch run on the same 1024-sample hops; the
chroma pass uses 8192-sample frames without overlap; loudness and zero crossings are
vectorised numpy.
``benchmarks/bench_audio.py`` measures it (times real time per core, including decoding).

:mod:`genrelab.audio.batch` runs it over many files (parallel, cached, with a failures table).

Example
-------
>>> from genrelab import audio, config
>>> feats = audio.extract_features(config.FMA_CLIP)              # doctest: +SKIP
>>> round(feats["tempo"]), feats["key_name"]                     # doctest: +SKIP
"""

from __future__ import annotations

import logging

import aubio
import numpy as np
from scipy.signal import sosfilt

from genrelab.audio.key import (
    estimate_key,
)
from genrelab.audio.load import AudioError, load_audio
from genrelab.audio.tempo import choose_tempo, onset_envelopes
from genrelab.schema import PITCH_CLASSES

log = logging.getLogger(__name__)

#: Part of every result and of the cache key: bump it whenever any output can change.
EXTRACTOR_VERSION = "aubio-0.4.12/genrelab-7"
HOP = 512  # tempo and onset hop (23 ms at 22,050 Hz)
WIN = 1024  # tempo / onset / spectral window
SPEC_HOP = 1024  # spectral descriptors, MFCC and pitch hop
CHROMA_WIN = 8192  # 2.7 Hz bins at 22,050 Hz, hop = window (chroma only needs statistics)
MIN_DURATION = 3.0  # seconds: shorter clips go to the failures table
SILENCE_DB = -60.0  # peak level (dBFS) under which a clip counts as silent

N_MFCC = 13


# --------------------------------------------------------------------------- helpers
def _k_weighting(fs: int) -> np.ndarray:
    """BS.1770 K-weighting (the pre-filter shelf and the RLB high-pass) as second-order sections.

    The analogue prototypes behind the standard's 48 kHz coefficients, re-discretised for
    ``fs`` (the construction libebur128 uses): at 48 kHz this gives the standard's numbers.
    """
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / fs)
    vh = 10 ** (gain / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / fs)
    a0 = 1 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, highpass])


def loudness_stats(y: np.ndarray, sr: int) -> dict:
    """Integrated loudness (BS.1770 style, LUFS), loudness range (LU) and crest factor (dB).

    K-weighted power is summed over 100 ms segments; 400 ms blocks (4 segments, 75 % overlap)
    are gated at -70 LUFS then at -10 LU below the ungated mean; the loudness range is the
    95th - 10th percentile of 3 s short-term loudness (gated at -70 LUFS and -20 LU).
    """
    z = sosfilt(_k_weighting(sr).astype(np.float32), y).astype(np.float32)
    seg = int(0.1 * sr)
    n = len(z) // seg
    if n < 4:
        seg_power = np.array([np.mean(z.astype(np.float64) ** 2)] * 4)
        n = 4
    else:
        zz = z[: n * seg].reshape(n, seg)
        seg_power = np.einsum("ij,ij->i", zz, zz).astype(np.float64) / seg
    cs = np.concatenate([[0.0], np.cumsum(seg_power)])

    def windows(k):
        k = min(k, n)
        return (cs[k:] - cs[:-k]) / k

    def lufs(p):
        with np.errstate(divide="ignore"):
            return -0.691 + 10 * np.log10(p)

    blocks = windows(4)
    lk = lufs(blocks)
    gated = blocks[lk > -70]
    if gated.size == 0:
        integrated = -70.0
    else:
        rel = lufs(gated.mean()) - 10
        gated2 = blocks[lk > max(rel, -70)]
        integrated = float(lufs(gated2.mean()))
    short = windows(30)
    ls = lufs(short)
    keep = ls > -70
    if keep.any():
        keep &= ls > lufs(short[keep].mean()) - 20
    ls = ls[keep]
    lra = float(np.percentile(ls, 95) - np.percentile(ls, 10)) if ls.size > 1 else 0.0
    y_rms = np.sqrt(np.einsum("i,i->", y, y) / max(len(y), 1))
    peak = float(np.max(np.abs(y)))
    crest = float(20 * np.log10(peak / y_rms)) if y_rms > 0 else 0.0
    return {"loudness": integrated, "loudness_range": lra, "crest_db": crest}


def _stats(prefix: str, values: np.ndarray, out: dict) -> None:
    if values.size:
        out[f"{prefix}_mean"] = float(np.mean(values))
        out[f"{prefix}_std"] = float(np.std(values))
    else:
        out[f"{prefix}_mean"] = out[f"{prefix}_std"] = float("nan")


# --------------------------------------------------------------------------- the extractor
#: Edges (Hz) of the triangular aubio filterbank bands summarised as ``band_*`` features.
BAND_EDGES = (20.0, 60.0, 250.0, 500.0, 2000.0, 4000.0, 8000.0, 11000.0)
BAND_NAMES = ("sub", "bass", "lowmid", "mid", "highmid", "high")


class _Analyzers:
    """aubio objects for one sample rate (the stateless ones are built once per process)."""

    def __init__(self, sr: int):
        self.sr = sr
        self.bands = aubio.filterbank(len(BAND_NAMES), WIN)
        self.bands.set_triangle_bands(aubio.fvec(np.array(BAND_EDGES, dtype=np.float32)), sr)
        self.centroid = aubio.specdesc("centroid", WIN)
        self.rolloff = aubio.specdesc("rolloff", WIN)
        self.mfcc = aubio.mfcc(WIN, 40, N_MFCC, sr)

    def fresh(self) -> dict:
        """The objects that keep state from frame to frame, new for each clip."""
        sr = self.sr
        return {
            "tempo": aubio.tempo("default", WIN, HOP, sr),
            "onset": aubio.onset("hfc", WIN, SPEC_HOP, sr),
            "pitch": aubio.pitch("yinfast", SPEC_HOP, SPEC_HOP, sr),
            "pvoc": aubio.pvoc(WIN, SPEC_HOP),
            "flux": aubio.specdesc("specflux", WIN),
            "chroma_pvoc": aubio.pvoc(CHROMA_WIN, CHROMA_WIN),
        }


_ANALYZERS: dict[int, _Analyzers] = {}


def extract_features(
    source, samplerate: int | None = None, *, min_duration: float = MIN_DURATION
) -> dict:
    """All descriptors of one clip (see the module docstring for the list).

    Parameters
    ----------
    source : path or numpy.ndarray
        Audio file or samples (``(n,)`` or ``(n, channels)``; then pass ``samplerate``).
    samplerate : int, optional
        Sample rate of an array ``source``.
    min_duration : float
        Clips shorter than this many seconds raise :class:`~genrelab.audio.load.AudioError` ("too
        short").

    Returns
    -------
    dict
        Flat dict of floats / ints / strings, including ``extractor_version``.

    Raises
    ------
    AudioError
        Unreadable, empty, truncated, silent or too short input.

    Examples
    --------
    >>> import numpy as np
    >>> sr = 22050
    >>> t = np.arange(10 * sr) / sr
    >>> clicks = (np.sin(2 * np.pi * 440 * t) * (np.mod(t, 0.5) < 0.05)).astype("float32")
    >>> f = extract_features(clicks, sr)
    >>> round(f["tempo"])
    120
    """
    y, sr = load_audio(source, samplerate)
    name = "<array>" if isinstance(source, np.ndarray) else str(source)
    duration = len(y) / sr
    if duration < min_duration:
        raise AudioError(name, f"too short ({duration:.2f} s < {min_duration:g} s)")
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak <= 10 ** (SILENCE_DB / 20):
        level = f"{20 * np.log10(peak):.0f} dBFS" if peak > 0 else "-inf dBFS"
        raise AudioError(name, f"silent (peak {level})")
    # a constant (DC) offset is no sound either: what varies must rise above the silence level
    swing = float(np.max(np.abs(y - np.mean(y))))
    if swing <= 10 ** (SILENCE_DB / 20):
        raise AudioError(name, f"silent (a constant signal at {np.mean(y):+.3f})")
    return _analyse(y, sr)


def track_beats(y: np.ndarray, sr: int, tempo=None) -> tuple[np.ndarray, float, float]:
    """aubio's beat tracker over ``y`` (hop ``HOP``): beat times, tempo and regularity.

    Parameters
    ----------
    y, sr
        Mono samples and their rate.
    tempo : aubio.tempo, optional
        A fresh tracker (one is made when omitted); aubio's own estimate and confidence can be
        read from it afterwards (``get_bpm``, ``get_confidence``).

    Returns
    -------
    (numpy.ndarray, float, float)
        The beat times (s); the tempo (BPM) of the median inter-beat interval after the
        tracker's warm-up (aubio's own estimate with fewer than 4 intervals, 0.0 when neither
        is finite and positive); the beat regularity (share of intervals within 5 % + one hop
        of the median one, 0.0 with fewer than 4).
    """
    tempo = aubio.tempo("default", WIN, HOP, sr) if tempo is None else tempo
    n1 = len(y) // HOP
    beats = np.asarray([tempo.get_last_s() for f in y[: n1 * HOP].reshape(n1, HOP) if tempo(f)[0]])
    ibi = np.diff(beats)
    ibi = ibi[(ibi > 0.2) & (ibi < 2.0)]  # 30-300 BPM
    if ibi.size >= 4:
        steady = ibi[ibi.size // 4 :]  # skip the tracker's warm-up
        period = float(np.median(steady))
        bpm = 60.0 / period
        tolerance = 0.05 * period + HOP / sr  # beat times are quantised to the hop
        regularity = float(np.mean(np.abs(steady - period) <= tolerance))
    else:
        bpm = float(tempo.get_bpm())
        regularity = 0.0
    return beats, (bpm if np.isfinite(bpm) and bpm > 0 else 0.0), regularity


def _analyse(y: np.ndarray, sr: int) -> dict:
    if sr not in _ANALYZERS:
        _ANALYZERS[sr] = _Analyzers(sr)
    an = _ANALYZERS[sr]
    obj = an.fresh()
    out: dict = {"duration": len(y) / sr}

    # --- pass 1 (hop 512): beat tracking
    tempo = obj["tempo"]
    beats, tracker, out["beat_regularity"] = track_beats(y, sr, tempo)
    bpm_aubio = float(tempo.get_bpm())
    env, drums, fps = onset_envelopes(y, sr)
    # the metrical level (tempo.py)
    level = choose_tempo(env, fps, tracker, others=(bpm_aubio,), drums=drums)
    out["tempo"] = level["tempo"]
    out["tempo_aubio"] = bpm_aubio
    out["tempo_confidence"] = float(tempo.get_confidence())
    out["n_beats"] = int(beats.size)

    # --- pass 2 (hop 1024): onsets, one pvoc feeding specdesc + mfcc + filterbank, pitch
    n2 = len(y) // SPEC_HOP
    frames = y[: n2 * SPEC_HOP].reshape(n2, SPEC_HOP)
    onset, pv, flx, pitch = obj["onset"], obj["pvoc"], obj["flux"], obj["pitch"]
    cen, rol, mf, bands = an.centroid, an.rolloff, an.mfcc, an.bands
    rows = np.empty((n2, 6), np.float32)  # onset, odf, centroid, rolloff, flux, pitch confidence
    pitches = np.empty(n2, np.float32)
    mfccs = np.empty((n2, N_MFCC), np.float32)
    band_e = np.empty((n2, len(BAND_NAMES)), np.float32)
    mags = np.empty((n2, WIN // 2 + 1), np.float32)
    for i, f in enumerate(frames):
        rows[i, 0] = onset(f)[0]
        rows[i, 1] = onset.get_descriptor()
        spec = pv(f)
        rows[i, 2] = cen(spec)[0]
        rows[i, 3] = rol(spec)[0]
        rows[i, 4] = flx(spec)[0]
        mfccs[i] = mf(spec)
        band_e[i] = bands(spec)
        mags[i] = spec.norm
        pitches[i] = pitch(f)[0]
        rows[i, 5] = pitch.get_confidence()
    out["onset_rate"] = float(np.count_nonzero(rows[:, 0]) / out["duration"])
    odf = rows[:, 1]
    if beats.size and odf.mean() > 0:
        idx = np.clip(np.round(beats * sr / SPEC_HOP).astype(int), 1, n2 - 2)
        at_beats = np.maximum.reduce([odf[idx - 1], odf[idx], odf[idx + 1]])
        out["beat_strength"] = float(at_beats.mean() / odf.mean())
    else:
        out["beat_strength"] = 0.0
    energy = np.einsum("ij,ij->i", frames, frames) / SPEC_HOP
    active = energy > 10 ** (SILENCE_DB / 10)  # summaries over frames with sound in them
    if not active.any():
        active[:] = True
    bin_hz = sr / WIN
    _stats("centroid", rows[active, 2] * bin_hz, out)  # aubio returns bins: to Hz
    _stats("rolloff", rows[active, 3] * bin_hz, out)
    _stats("flux", rows[active, 4], out)
    m = mags[active] + np.float32(1e-10)
    _stats("flatness", np.exp(np.mean(np.log(m), axis=1)) / np.mean(m, axis=1), out)
    zc = (
        np.count_nonzero(np.signbit(frames[:, 1:]) != np.signbit(frames[:, :-1]), axis=1) / SPEC_HOP
    )
    _stats("zcr", zc[active], out)
    mean, std = mfccs[active].mean(axis=0), mfccs[active].std(axis=0)
    for i in range(N_MFCC):
        out[f"mfcc_mean_{i}"] = float(mean[i])
    for i in range(N_MFCC):
        out[f"mfcc_std_{i}"] = float(std[i])
    band_db = 10 * np.log10(band_e[active].mean(axis=0) + 1e-12)
    band_db -= 10 * np.log10(np.sum(10 ** (band_db / 10)))
    for name, v in zip(BAND_NAMES, band_db):
        out[f"band_{name}_db"] = float(v)
    conf = rows[:, 5]
    out["pitch_salience"] = float(conf[active].mean())
    voiced = (conf > 0.8) & active & (pitches > 0)
    out["voiced_fraction"] = float(voiced.mean())
    out["pitch_median"] = float(np.median(pitches[voiced])) if voiced.any() else 0.0

    # --- pass 3: chroma from a long-window pvoc (2.7 Hz bins, no overlap) -> key and mode
    n3 = len(y) // CHROMA_WIN
    cpv = obj["chroma_pvoc"]
    cmags = np.empty((n3, CHROMA_WIN // 2 + 1), np.float32)
    for i, f in enumerate(y[: n3 * CHROMA_WIN].reshape(n3, CHROMA_WIN)):
        cmags[i] = cpv(f).norm
    key = estimate_key(cmags, sr)  # chroma, bass, opening and closing chords (genrelab.audio.key)
    for pc, v in zip(PITCH_CLASSES, key.pop("chroma")):
        out[f"chroma_{pc}"] = float(v)
    out.update(key)

    out.update(loudness_stats(y, sr))
    out["extractor_version"] = EXTRACTOR_VERSION
    return out
