"""A deterministic corpus of labelled synthetic music clips with known tempo, key, mode and loudness.

The offline default audio source: no download, no licence question, and a ground truth
that real recordings never come with. Each clip is 30 s of music in one of four styles,
synthesized from a chord progression in its key (pads / guitars / piano), a bass line on the
chord roots, a melody drawn from the scale, and drums where the style has them:

``electronic``  four-on-the-floor kick, claps on 2 and 4, off-beat open hats, 16th closed hats,
                off-beat synth bass, sustained pad; 118-132 BPM.
``rock``        kick on 1 and 3, snare backbeat on 2 and 4, 8th hats, crash every 4 bars,
                distorted power-chord guitar and 8th-note bass; 92-160 BPM; some timing jitter.
``hiphop``      syncopated boom-bap kick, snare on 2 and 4, swung 8th hats, electric piano and
                sub bass, rap-like bursts (a glottal pulse train through moving formants, at a
                16th-note syllable rate); 78-100 BPM.
``acoustic``    no drums: strummed guitar chords on every beat (softer up-strums between), plucked
                bass, a soft sung-like melody with vibrato; 70-125 BPM; timing jitter.

Keys are drawn uniformly over the 12 tonics, modes about 60 % major; minor clips use
harmonic-minor (V major), Aeolian and Andalusian progressions. Loudness targets are drawn
per style (RMS -20 to -6 dBFS) and the ground truth is the RMS level actually written. Clip
``i`` depends only on ``(seed, i)``, so a 24-clip corpus is the first 24 files of the
120-clip one, and files that already exist with matching parameters are not regenerated.

Example
-------
>>> from genrelab.sources import synthetic
>>> truth = synthetic.generate_corpus(n_clips=8, seed=1)      # doctest: +SKIP
>>> truth[["style", "tempo", "key_name", "mode", "loudness"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from scipy.signal import butter, lfilter, sosfilt

from .. import config, schema
from .corpus import AudioCorpus

log = logging.getLogger(__name__)

#: Bump when the audio a given (seed, index) produces changes: the cache folder is keyed by it.
GENERATOR_VERSION = "synthetic-2"
STYLES = ("electronic", "rock", "hiphop", "acoustic")

#: Per-style ranges: tempo (BPM, uniform on a log scale), RMS loudness target (dBFS).
STYLE_RANGES = {
    "electronic": {"tempo": (118.0, 132.0), "loudness": (-10.0, -6.5)},
    "rock": {"tempo": (92.0, 160.0), "loudness": (-11.0, -7.0)},
    "hiphop": {"tempo": (78.0, 100.0), "loudness": (-12.0, -8.0)},
    "acoustic": {"tempo": (70.0, 125.0), "loudness": (-20.0, -13.0)},
}
MAJOR_P = 0.6

_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 10])
# progressions as scale degrees (0 = tonic); "5h" = the harmonic-minor major dominant
_MAJOR_PROGRESSIONS = ([0, 4, 5, 3], [0, 3, 4, 0], [0, 5, 3, 4], [0, 3, 0, 4])
_MINOR_PROGRESSIONS = (
    ([0, 3, "5h", 0], 0.3),
    ([0, 5, 6, 0], 0.3),
    ([0, 6, 5, "5h"], 0.25),
    ([0, 5, 2, 6], 0.15),
)

_TABLE_SIZE = 4096


def default_dir(seed: int = 42, duration: float = 30.0, samplerate: int = 22050) -> Path:
    """Cache folder of a corpus: ``<cache>/synthetic/<version>-s<seed>-d<duration>-r<rate>``."""
    tag = f"{GENERATOR_VERSION}-s{seed}-d{duration:g}-r{samplerate}"
    return config.cache_folder("synthetic") / tag


# --------------------------------------------------------------------------- ground truth
def clip_truth(index: int, seed: int = 42) -> dict:
    """The ground truth of clip ``index`` (style, tempo, key, mode, loudness target, progression).

    Cheap and deterministic: drawn from ``numpy.random.default_rng([seed, index])``.
    """
    rng = np.random.default_rng([seed, index, 0])
    style = STYLES[index % len(STYLES)]
    lo, hi = STYLE_RANGES[style]["tempo"]
    tempo = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    key = int(rng.integers(12))
    mode = int(rng.random() < MAJOR_P)  # Spotify's convention: 1 = major, 0 = minor
    if mode:
        progression = list(_MAJOR_PROGRESSIONS[rng.integers(len(_MAJOR_PROGRESSIONS))])
    else:
        weights = np.array([w for _, w in _MINOR_PROGRESSIONS])
        progression = list(
            _MINOR_PROGRESSIONS[rng.choice(len(weights), p=weights / weights.sum())][0]
        )
    lo, hi = STYLE_RANGES[style]["loudness"]
    return {
        "clip_id": f"syn{index:04d}",
        "index": index,
        "style": style,
        "tempo": round(tempo, 2),
        "key": key,
        "mode": mode,
        "key_name": f"{schema.PITCH_CLASSES[key]} {'major' if mode else 'minor'}",
        "loudness_target": round(float(rng.uniform(lo, hi)), 2),
        "progression": "-".join(str(d) for d in progression),
    }


# --------------------------------------------------------------------------- synthesis helpers
def _table(amplitudes) -> np.ndarray:
    """One period of a waveform with the given harmonic amplitudes (a wavetable)."""
    phase = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    wave = np.zeros(_TABLE_SIZE)
    for k, a in enumerate(amplitudes, start=1):
        wave += a * np.sin(2 * np.pi * k * phase)
    return (wave / np.max(np.abs(wave))).astype(np.float32)


_TABLES = {
    "saw": _table([1 / k for k in range(1, 13)]),
    "soft": _table([1.0, 0.45, 0.2, 0.1, 0.05]),
    "square": _table([1 / k if k % 2 else 0.05 / k for k in range(1, 12)]),
    "pluck": _table([1.0, 0.7, 0.5, 0.35, 0.25, 0.18, 0.12, 0.08]),
    "epiano": _table([1.0, 0.35, 0.1, 0.12, 0.03]),
    "sine": _table([1.0]),
}


def _midi_hz(midi) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, float) - 69.0) / 12.0)


def _tone(
    f0: float,
    dur: float,
    sr: int,
    table: str,
    *,
    attack=0.01,
    decay=None,
    release=0.05,
    vibrato=0.0,
    rng=None,
    cache: dict | None = None,
) -> np.ndarray:
    """A note: wavetable oscillator times an envelope (exponential decay or sustain + release).

    ``cache`` (a dict kept for one clip) reuses identical notes: a repeated chord costs nothing.
    """
    n = max(int(dur * sr), 16)
    key = (round(float(f0), 3), n, table, attack, decay, release, vibrato)
    if cache is not None and key in cache:
        return cache[key]
    t = np.arange(n, dtype=np.float32) / np.float32(sr)
    phase = np.float32(f0) * t
    if vibrato:
        phase += np.float32(vibrato * f0 / 5.5 / (2 * np.pi)) * np.sin(
            np.float32(2 * np.pi * 5.5) * t
        )
    if rng is not None:
        phase += np.float32(rng.random())
    idx = ((phase % 1.0) * _TABLE_SIZE).astype(np.int32)
    idx %= _TABLE_SIZE
    sig = _TABLES[table][idx]
    if decay is not None:
        sig *= np.exp(t * np.float32(-1.0 / decay))
    na = min(int(attack * sr), n)
    if na:
        sig[:na] *= np.linspace(0, 1, na, dtype=np.float32)
    nr = min(int(release * sr), n)
    if nr:
        sig[-nr:] *= np.linspace(1, 0, nr, dtype=np.float32)
    if cache is not None:
        cache[key] = sig
    return sig


def _add(buf: np.ndarray, sig: np.ndarray, start_s: float, sr: int, gain: float = 1.0) -> None:
    start = int(round(start_s * sr))
    if start >= len(buf) or start + len(sig) <= 0:
        return
    if start < 0:
        sig, start = sig[-start:], 0
    end = min(len(buf), start + len(sig))
    buf[start:end] += gain * sig[: end - start]


def _noise(rng, n: int) -> np.ndarray:
    return rng.standard_normal(n, dtype=np.float32)


def _drum_kit(rng, sr: int, style: str) -> dict[str, np.ndarray]:
    """Kick, snare, clap, closed / open hat and crash samples, slightly different per clip."""
    kit = {}
    # kick: a pitch sweep from ~150 Hz down to ~50 Hz with a fast decay and a click
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    f_hi, f_lo = rng.uniform(120, 170), rng.uniform(45, 60)
    freq = f_lo + (f_hi - f_lo) * np.exp(-t / 0.03)
    kick = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / rng.uniform(0.08, 0.16))
    kick[: int(0.003 * sr)] += 0.5 * _noise(rng, int(0.003 * sr))
    kit["kick"] = kick.astype(np.float32)
    # snare: a 180-220 Hz body plus band-passed noise
    n = int(0.25 * sr)
    t = np.arange(n) / sr
    body = np.sin(2 * np.pi * rng.uniform(170, 230) * t) * np.exp(-t / 0.04)
    sos = butter(2, [1200, 7000], btype="bandpass", fs=sr, output="sos")
    rattle = sosfilt(sos, _noise(rng, n)) * np.exp(-t / rng.uniform(0.05, 0.09))
    kit["snare"] = (0.6 * body + 1.2 * rattle).astype(np.float32)
    # clap: three quick noise bursts and a tail
    n = int(0.2 * sr)
    t = np.arange(n) / sr
    sos = butter(2, [900, 3500], btype="bandpass", fs=sr, output="sos")
    env = np.exp(-t / 0.05)
    for d in (0.008, 0.017):
        env[int(d * sr) :] += 0.7 * np.exp(-(t[: n - int(d * sr)]) / 0.006)
    kit["clap"] = (1.5 * sosfilt(sos, _noise(rng, n)) * env).astype(np.float32)
    # hats and crash: high-passed noise with short / long decays
    sos = butter(4, 6000, btype="highpass", fs=sr, output="sos")
    for name, dur, tau in (("hat", 0.08, 0.018), ("open_hat", 0.3, 0.09), ("crash", 1.5, 0.5)):
        n = int(dur * sr)
        t = np.arange(n) / sr
        kit[name] = (sosfilt(sos, _noise(rng, n)) * np.exp(-t / tau)).astype(np.float32)
    return kit


def _chords(key: int, mode: int, progression: list) -> list[np.ndarray]:
    """MIDI pitch classes (root first, relative to C) of each chord of the progression."""
    scale = _MAJOR if mode else _MINOR
    out = []
    for degree in progression:
        harmonic = degree == "5h"
        d = 4 if harmonic else int(degree)
        notes = np.array([scale[(d + s) % 7] + 12 * ((d + s) // 7) for s in (0, 2, 4)])
        if harmonic:
            notes[1] = scale[4] + 4  # major third of the dominant: the raised leading tone
        out.append(notes + key)
    return out


@functools.lru_cache(maxsize=4)
def _vowel_filters(sr: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One IIR filter (b, a) per vowel (a, i, e, o, u): the weighted sum of three band-passes
    on its first three formants, merged into a single transfer function."""
    vowels = (
        (730, 1090, 2440),
        (270, 2290, 3010),
        (530, 1840, 2480),
        (570, 840, 2410),
        (300, 870, 2240),
    )
    out = []
    for formants in vowels:
        parts = [butter(1, [f * 0.9, f * 1.1], btype="bandpass", fs=sr) for f in formants]
        a = np.polymul(np.polymul(parts[0][1], parts[1][1]), parts[2][1])
        b = np.zeros(len(a))
        for i, (g, (bi, _)) in enumerate(zip((1.0, 0.6, 0.3), parts)):
            others = [parts[j][1] for j in range(3) if j != i]
            term = g * np.polymul(np.polymul(bi, others[0]), others[1])
            b[len(b) - len(term) :] += term
        out.append((b, a))
    return out


def _speech_burst(rng, dur: float, sr: int, syllable_s: float) -> np.ndarray:
    """Rap-like voice: a glottal pulse train (100-180 Hz, falling intonation) through formants
    that move every syllable, with a syllable-rate amplitude envelope and noise consonants."""
    n = int(dur * sr)
    t = np.arange(n) / sr
    f0 = (
        rng.uniform(100, 180)
        * (1.0 - 0.15 * t / max(dur, 1e-3))
        * (1 + 0.03 * np.sin(2 * np.pi * 3 * t))
    )
    phase = np.cumsum(f0) / sr
    pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float32)
    excitation = pulses + 0.03 * _noise(rng, n)
    out = np.zeros(n, np.float32)
    n_syl = max(1, int(dur / syllable_s))
    bounds = np.linspace(0, n, n_syl + 1).astype(int)
    vowels = _vowel_filters(sr)
    for a, b in zip(bounds[:-1], bounds[1:]):
        if rng.random() < 0.15:  # a rest
            continue
        num, den = vowels[rng.integers(len(vowels))]
        seg = lfilter(num, den, excitation[a:b]).astype(np.float32)
        m = b - a
        env = np.sin(np.pi * np.arange(m) / m) ** 0.7
        cons = int(0.025 * sr)
        seg[:cons] += (
            0.4 * _noise(rng, min(cons, m))[: len(seg[:cons])] * np.linspace(1, 0, min(cons, m))
        )
        out[a:b] = seg * env
    return out


def _lowpass(sig: np.ndarray, cutoff: float, sr: int) -> np.ndarray:
    return sosfilt(butter(2, cutoff, fs=sr, output="sos"), sig).astype(np.float32)


# --------------------------------------------------------------------------- rendering
def render_clip(
    truth: dict, seed: int = 42, duration: float = 30.0, samplerate: int = 22050
) -> np.ndarray:
    """Synthesize the clip described by ``truth`` (see :func:`clip_truth`) as mono float32."""
    sr = samplerate
    rng = np.random.default_rng([seed, truth["index"], 1])
    style, key, mode = truth["style"], truth["key"], truth["mode"]
    progression = [d if d == "5h" else int(d) for d in truth["progression"].split("-")]
    beat = 60.0 / truth["tempo"]
    bar = 4 * beat
    n = int(duration * sr)
    chords = _chords(key, mode, progression)
    scale = (_MAJOR if mode else _MINOR) + key
    jitter = {"rock": 0.006, "acoustic": 0.012, "hiphop": 0.003}.get(style, 0.0)
    start = rng.uniform(0.0, beat)  # the music does not start on sample 0
    n_bars = int(np.ceil((duration - start) / bar)) + 1

    def when(b: int, beat_pos: float) -> float:
        return start + b * bar + beat_pos * beat + (rng.normal(0, jitter) if jitter else 0.0)

    tones: dict = {}
    drums = np.zeros(n, np.float32)
    harm = np.zeros(n, np.float32)
    bass = np.zeros(n, np.float32)
    lead = np.zeros(n, np.float32)
    kit = _drum_kit(rng, sr, style) if style != "acoustic" else None
    octave = 48  # chords voiced from C3 up (the key moves the register)
    hip_kicks = ([0, 1.5, 2.5], [0, 0.75, 2.25, 2.5], [0, 1.75, 2.5])[rng.integers(3)]
    swing = rng.uniform(0.05, 0.12) if style == "hiphop" else 0.0

    for b in range(n_bars):
        chord = chords[b % len(chords)]
        root = int(chord[0] % 12)
        t_bar = start + b * bar
        if t_bar > duration:
            break
        # ---- drums
        if style == "electronic":
            for q in range(4):
                _add(drums, kit["kick"], when(b, q), sr, 1.0)
                _add(drums, kit["open_hat"], when(b, q + 0.5), sr, 0.18)
                for s in (0.25, 0.75):
                    _add(drums, kit["hat"], when(b, q + s), sr, 0.12)
            for q in (1, 3):
                _add(drums, kit["clap"], when(b, q), sr, 0.45)
        elif style == "rock":
            kicks = [0, 2] + ([2.5] if rng.random() < 0.5 else [])
            for q in kicks:
                _add(drums, kit["kick"], when(b, q), sr, 1.0)
            for q in (1, 3):
                _add(drums, kit["snare"], when(b, q), sr, 0.75)
            for e in range(8):
                _add(drums, kit["hat"], when(b, e / 2), sr, 0.22 if e % 2 == 0 else 0.14)
            if b % 4 == 0:
                _add(drums, kit["crash"], when(b, 0), sr, 0.25)
        elif style == "hiphop":
            for q in hip_kicks:
                _add(drums, kit["kick"], when(b, q), sr, 1.0)
            for q in (1, 3):
                _add(drums, kit["snare"], when(b, q), sr, 0.8)
            for e in range(8):
                off = swing * beat if e % 2 else 0.0
                _add(drums, kit["hat"], when(b, e / 2) + off, sr, 0.16 if e % 2 == 0 else 0.1)
        # ---- harmony
        voicing = chord + octave
        if style == "electronic":
            for p in voicing:
                _add(
                    harm,
                    _tone(_midi_hz(p), bar, sr, "saw", attack=0.12, release=0.15, cache=tones),
                    t_bar,
                    sr,
                    0.10,
                )
            for e in range(8):  # off-beat bass 8ths
                if e % 2:
                    f = _midi_hz(36 + root)
                    _add(
                        bass,
                        _tone(f, beat * 0.45, sr, "square", attack=0.005, decay=0.2, cache=tones),
                        when(b, e / 2),
                        sr,
                        0.35,
                    )
        elif style == "rock":
            low = 40 + (root - 4) % 12  # power chords from E2 up
            power = np.array([low, low + 7, low + 12])
            for e in range(8):
                for p in power:
                    _add(
                        harm,
                        _tone(
                            _midi_hz(p),
                            beat * 0.5,
                            sr,
                            "saw",
                            attack=0.004,
                            decay=0.35,
                            release=0.02,
                            cache=tones,
                        ),
                        when(b, e / 2),
                        sr,
                        0.16,
                    )
                _add(
                    bass,
                    _tone(
                        _midi_hz(36 + root),
                        beat * 0.48,
                        sr,
                        "soft",
                        attack=0.005,
                        decay=0.3,
                        cache=tones,
                    ),
                    when(b, e / 2),
                    sr,
                    0.35,
                )
            # a clean triad on top so the chord quality (major / minor) is audible
            for p in voicing:
                _add(
                    harm,
                    _tone(_midi_hz(p + 12), bar, sr, "soft", attack=0.02, decay=1.2, cache=tones),
                    t_bar,
                    sr,
                    0.06,
                )
        elif style == "hiphop":
            for hit in (0, 2.5):
                for p in voicing:
                    _add(
                        harm,
                        _tone(
                            _midi_hz(p),
                            beat * 1.5,
                            sr,
                            "epiano",
                            attack=0.005,
                            decay=0.6,
                            cache=tones,
                        ),
                        when(b, hit),
                        sr,
                        0.13,
                    )
            for q in hip_kicks:
                _add(
                    bass,
                    _tone(
                        _midi_hz(36 + root),
                        beat * 0.9,
                        sr,
                        "sine",
                        attack=0.005,
                        decay=0.4,
                        cache=tones,
                    ),
                    when(b, q),
                    sr,
                    0.55,
                )
        else:  # acoustic: strums, plucked bass
            strum = np.concatenate([voicing - 12, voicing])
            for e in range(8):
                down = e % 2 == 0
                if not down and rng.random() < 0.5:
                    continue
                t0 = when(b, e / 2)
                notes = strum if down else strum[::-1][:4]
                gain = (0.11 if e == 0 else 0.08) if down else 0.04
                for j, p in enumerate(notes):
                    _add(
                        harm,
                        _tone(
                            _midi_hz(p),
                            beat * 1.2,
                            sr,
                            "pluck",
                            attack=0.002,
                            decay=0.5,
                            cache=tones,
                        ),
                        t0 + j * 0.012,
                        sr,
                        gain,
                    )
            for q in (0, 2):
                _add(
                    bass,
                    _tone(
                        _midi_hz(36 + root),
                        beat * 1.8,
                        sr,
                        "pluck",
                        attack=0.003,
                        decay=0.6,
                        cache=tones,
                    ),
                    when(b, q),
                    sr,
                    0.3,
                )
        # ---- melody: chord tones and scale steps, ending bars on chord tones
        if style != "hiphop":
            pos = 0.0
            while pos < 4:
                length = float(rng.choice([0.5, 1.0, 1.0, 2.0]))
                pc = (
                    int(rng.choice(chord % 12))
                    if rng.random() < 0.8
                    else int(rng.choice(scale % 12))
                )
                p = 72 + pc - 12 * (pc > 7)  # C4..G5
                table = "soft" if style == "acoustic" else "square"
                _add(
                    lead,
                    _tone(
                        _midi_hz(p),
                        beat * length * 0.95,
                        sr,
                        table,
                        attack=0.02,
                        decay=1.0,
                        vibrato=0.006 if style == "acoustic" else 0.0,
                        cache=tones,
                    ),
                    when(b, pos),
                    sr,
                    0.07,
                )
                pos += length
    if style == "hiphop":  # rap-like bursts over most bars
        for b in range(n_bars):
            if rng.random() < 0.75:
                phrase = bar * rng.choice([1.0, 2.0])
                burst = _speech_burst(
                    rng, phrase * 0.95, sr, syllable_s=beat / 4 * rng.choice([1, 2])
                )
                _add(lead, burst, start + b * bar, sr, 0.5)

    mix = drums + _lowpass(harm, 5000, sr) + _lowpass(bass, 900, sr) + lead
    mix += 1e-4 * _noise(rng, n)  # a noise floor
    # loudness: scale to the RMS target, soft-limit the peaks, re-scale once
    target = truth["loudness_target"]
    for _ in range(2):
        rms = np.sqrt(np.mean(mix.astype(np.float64) ** 2))
        mix *= 10 ** (target / 20) / rms
        peak = np.max(np.abs(mix))
        if peak > 0.9:
            mix = (0.9 * np.tanh(mix / 0.9)).astype(np.float32)
    return np.clip(mix, -0.999, 0.999).astype(np.float32)


def _params_tag(seed: int, duration: float, samplerate: int) -> dict:
    return {
        "generator": GENERATOR_VERSION,
        "seed": seed,
        "duration": duration,
        "samplerate": samplerate,
    }


def _clip_paths(index: int, seed: int, dest: Path) -> tuple[dict, Path, Path]:
    truth = clip_truth(index, seed)
    path = dest / f"{truth['clip_id']}_{truth['style']}.flac"
    return truth, path, path.with_suffix(".json")


def _existing_record(
    index: int, seed: int, duration: float, samplerate: int, dest: Path
) -> dict | None:
    """The stored record of clip ``index`` if its file and sidecar exist with matching parameters."""
    truth, path, sidecar = _clip_paths(index, seed, dest)
    if not (path.exists() and sidecar.exists()):
        return None
    try:
        stored = json.loads(sidecar.read_text())
    except ValueError:
        return None
    expected = {**_params_tag(seed, duration, samplerate), **truth}
    return stored if {k: stored.get(k) for k in expected} == expected else None


def _write_clip(index: int, seed: int, duration: float, samplerate: int, dest: Path) -> dict:
    truth, path, sidecar = _clip_paths(index, seed, dest)
    audio = render_clip(truth, seed, duration, samplerate)
    tmp = path.with_suffix(".tmp.flac")
    sf.write(tmp, audio, samplerate, subtype="PCM_16", format="FLAC")
    tmp.replace(path)
    written = sf.read(path, dtype="float64")[0]
    record = {
        **_params_tag(seed, duration, samplerate),
        **truth,
        "file": path.name,
        "loudness": round(float(20 * np.log10(np.sqrt(np.mean(written**2)))), 2),
        "duration_s": len(written) / samplerate,
    }
    sidecar.write_text(json.dumps(record, indent=1, sort_keys=True))
    return record


def generate_corpus(
    n_clips: int = 120,
    seed: int = 42,
    *,
    dest: str | Path | None = None,
    duration: float = 30.0,
    samplerate: int = 22050,
    n_jobs: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Write (or reuse) ``n_clips`` labelled clips and return their ground-truth table.

    Parameters
    ----------
    n_clips : int
        Number of clips; styles cycle, so any multiple of 4 is balanced.
    seed : int
        Corpus seed: clip ``i`` is fully determined by ``(seed, i)``.
    dest : path, optional
        Folder for the FLAC files and their JSON sidecars (default :func:`default_dir`).
    duration, samplerate : float, int
        Clip length in seconds and sample rate of the written files.
    n_jobs : int
        Processes used to render missing clips (joblib).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per clip: ``clip_id``, ``path``, ``file``, ``style``, ``tempo`` (BPM), ``key``
        (0 = C), ``mode`` (1 = major), ``key_name``, ``loudness`` (RMS dBFS of the written file),
        ``loudness_target``, ``progression``, ``index``, ``seed``, ``generator``.
    """
    if n_clips < 1:
        raise ValueError(f"n_clips must be >= 1, got {n_clips}")
    dest = Path(dest) if dest is not None else default_dir(seed, duration, samplerate)
    dest.mkdir(parents=True, exist_ok=True)
    records = {i: _existing_record(i, seed, duration, samplerate, dest) for i in range(n_clips)}
    missing = [i for i, r in records.items() if r is None]  # existing clips are not regenerated
    if missing:
        from tqdm.auto import tqdm

        log.info("synthesizing %d of %d clips into %s", len(missing), n_clips, dest)
        # starting a worker costs about as much as rendering 20 clips: small batches stay here
        n_jobs = max(1, min(n_jobs if n_jobs > 0 else (os.cpu_count() or 1), len(missing) // 20))
        if n_jobs == 1:
            made = (_write_clip(i, seed, duration, samplerate, dest) for i in missing)
        else:
            from joblib import Parallel, delayed

            made = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_write_clip)(i, seed, duration, samplerate, dest) for i in missing
            )
        for i, rec in zip(
            missing, tqdm(made, total=len(missing), desc="synthetic clips", disable=not progress)
        ):
            records[i] = rec
    records = [records[i] for i in range(n_clips)]
    truth = pd.DataFrame.from_records(records)
    truth["path"] = [str(dest / f) for f in truth["file"]]
    cols = [
        "clip_id",
        "path",
        "file",
        "style",
        "tempo",
        "key",
        "mode",
        "key_name",
        "loudness",
        "loudness_target",
        "progression",
        "index",
        "seed",
        "generator",
    ]
    truth = truth[cols]
    truth.to_csv(dest / "truth.csv", index=False)
    return truth


def corpus(
    n_clips: int = 120,
    seed: int = 42,
    *,
    n_jobs: int = 1,
    dest: str | Path | None = None,
    duration: float = 30.0,
    progress: bool = False,
) -> AudioCorpus:
    """The generated clips (:func:`generate_corpus`) and their ground truth."""
    truth = generate_corpus(
        n_clips=n_clips, seed=seed, n_jobs=n_jobs, dest=dest, duration=duration, progress=progress
    )
    items = pd.DataFrame(
        {"item_id": truth["clip_id"], "path": truth["path"], "label": truth["style"]}
    )
    reference = truth[["clip_id", "tempo", "key", "mode", "loudness"]].rename(
        columns={"clip_id": "item_id"}
    )
    return AudioCorpus("synthetic", items, reference, label_name="style")
