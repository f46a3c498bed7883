"""The synthesizer behind the synthetic corpus: wavetables, a drum kit, chords, a bass line, a
melody and rap-like bursts, mixed into one clip of a style at a tempo, in a key, at a loudness.

:func:`render_clip` turns one clip's ground truth
(:func:`genrelab.audio.sources.synthetic.clip_truth`)
into samples; everything random is drawn from ``numpy.random.default_rng([seed, index, 1])``,
so a clip depends only on its seed and index.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 10])
_TABLE_SIZE = 4096


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
@dataclass
class _Clip:
    """One clip being rendered: its timing, its random stream, its drum kit and four tracks.

    Every random draw goes through ``rng`` in a fixed order (bar by bar: drums, harmony,
    melody), so a clip depends only on its seed and index.
    """

    sr: int
    rng: np.random.Generator
    start: float  # the music does not start on sample 0
    beat: float
    jitter: float  # timing spread of a played (not programmed) style, seconds
    kit: dict | None
    kicks: list  # the hip-hop kick pattern of this clip
    swing: float
    tracks: dict = field(default_factory=dict)
    tones: dict = field(default_factory=dict)

    @property
    def bar(self) -> float:
        return 4 * self.beat

    def when(self, b: int, beat_pos: float) -> float:
        """Seconds of beat ``beat_pos`` of bar ``b``, with the style's timing jitter."""
        jitter = self.rng.normal(0, self.jitter) if self.jitter else 0.0
        return self.start + b * self.bar + beat_pos * self.beat + jitter

    def hit(self, drum: str, b: int, beat_pos: float, gain: float, offset: float = 0.0) -> None:
        """Play one drum of the kit at a beat of a bar."""
        if self.kit is None:
            raise ValueError("the acoustic style has no drum kit")
        _add(self.tracks["drums"], self.kit[drum], self.when(b, beat_pos) + offset, self.sr, gain)

    def note(self, track: str, midi, dur: float, table: str, at: float, gain: float, **envelope):
        """Play one note (MIDI pitch, seconds) on a track; see :func:`_tone` for the envelope."""
        tone = _tone(float(_midi_hz(midi)), dur, self.sr, table, cache=self.tones, **envelope)
        _add(self.tracks[track], tone, at, self.sr, gain)


_VOICING_OCTAVE = 48  # chords voiced from C3 up (the key moves the register)


def _electronic_bar(c: _Clip, b: int, chord: np.ndarray, t_bar: float) -> None:
    """Four on the floor, off-beat hats, claps on 2 and 4; saw pads and off-beat bass."""
    for q in range(4):
        c.hit("kick", b, q, 1.0)
        c.hit("open_hat", b, q + 0.5, 0.18)
        for s in (0.25, 0.75):
            c.hit("hat", b, q + s, 0.12)
    for q in (1, 3):
        c.hit("clap", b, q, 0.45)
    for p in chord + _VOICING_OCTAVE:
        c.note("harm", p, c.bar, "saw", t_bar, 0.10, attack=0.12, release=0.15)
    for e in range(1, 8, 2):  # off-beat bass 8ths
        at = c.when(b, e / 2)
        c.note(
            "bass", 36 + chord[0] % 12, c.beat * 0.45, "square", at, 0.35, attack=0.005, decay=0.2
        )


def _rock_bar(c: _Clip, b: int, chord: np.ndarray, t_bar: float) -> None:
    """Kick, backbeat snare, 8th hats, a crash every 4 bars; power chords, 8th bass, a triad."""
    for q in [0, 2] + ([2.5] if c.rng.random() < 0.5 else []):
        c.hit("kick", b, q, 1.0)
    for q in (1, 3):
        c.hit("snare", b, q, 0.75)
    for e in range(8):
        c.hit("hat", b, e / 2, 0.22 if e % 2 == 0 else 0.14)
    if b % 4 == 0:
        c.hit("crash", b, 0, 0.25)
    root = int(chord[0] % 12)
    low = 40 + (root - 4) % 12  # power chords from E2 up
    for e in range(8):
        for p in (low, low + 7, low + 12):
            at = c.when(b, e / 2)
            c.note("harm", p, c.beat * 0.5, "saw", at, 0.16, attack=0.004, decay=0.35, release=0.02)
        at = c.when(b, e / 2)
        c.note("bass", 36 + root, c.beat * 0.48, "soft", at, 0.35, attack=0.005, decay=0.3)
    # a clean triad on top so the chord quality (major / minor) is audible
    for p in chord + _VOICING_OCTAVE:
        c.note("harm", p + 12, c.bar, "soft", t_bar, 0.06, attack=0.02, decay=1.2)


def _hiphop_bar(c: _Clip, b: int, chord: np.ndarray, t_bar: float) -> None:
    """The clip's kick pattern, snare on 2 and 4, swung hats; e-piano stabs, sine bass."""
    for q in c.kicks:
        c.hit("kick", b, q, 1.0)
    for q in (1, 3):
        c.hit("snare", b, q, 0.8)
    for e in range(8):
        c.hit("hat", b, e / 2, 0.16 if e % 2 == 0 else 0.1, c.swing * c.beat if e % 2 else 0.0)
    for hit in (0, 2.5):
        for p in chord + _VOICING_OCTAVE:
            at = c.when(b, hit)
            c.note("harm", p, c.beat * 1.5, "epiano", at, 0.13, attack=0.005, decay=0.6)
    for q in c.kicks:
        at = c.when(b, q)
        c.note("bass", 36 + chord[0] % 12, c.beat * 0.9, "sine", at, 0.55, attack=0.005, decay=0.4)


def _acoustic_bar(c: _Clip, b: int, chord: np.ndarray, t_bar: float) -> None:
    """No drums: guitar strums (down on every beat, some up-strokes) and a plucked bass."""
    voicing = chord + _VOICING_OCTAVE
    strum = np.concatenate([voicing - 12, voicing])
    for e in range(8):
        down = e % 2 == 0
        if not down and c.rng.random() < 0.5:
            continue
        t0 = c.when(b, e / 2)
        notes = strum if down else strum[::-1][:4]
        gain = (0.11 if e == 0 else 0.08) if down else 0.04
        for j, p in enumerate(notes):
            c.note("harm", p, c.beat * 1.2, "pluck", t0 + j * 0.012, gain, attack=0.002, decay=0.5)
    for q in (0, 2):
        at = c.when(b, q)
        c.note("bass", 36 + chord[0] % 12, c.beat * 1.8, "pluck", at, 0.3, attack=0.003, decay=0.6)


_BARS = {
    "electronic": _electronic_bar,
    "rock": _rock_bar,
    "hiphop": _hiphop_bar,
    "acoustic": _acoustic_bar,
}


def _melody_bar(c: _Clip, b: int, chord: np.ndarray, scale: np.ndarray, style: str) -> None:
    """A melody of chord tones and scale steps (C4..G5) filling the bar."""
    pos = 0.0
    while pos < 4:
        length = float(c.rng.choice([0.5, 1.0, 1.0, 2.0]))
        pc = (
            int(c.rng.choice(chord % 12)) if c.rng.random() < 0.8 else int(c.rng.choice(scale % 12))
        )
        acoustic = style == "acoustic"
        c.note(
            "lead",
            72 + pc - 12 * (pc > 7),
            c.beat * length * 0.95,
            "soft" if acoustic else "square",
            c.when(b, pos),
            0.07,
            attack=0.02,
            decay=1.0,
            vibrato=0.006 if acoustic else 0.0,
        )
        pos += length


def _master(mix: np.ndarray, target_db: float) -> np.ndarray:
    """Loudness: scale to the RMS target, soft-limit the peaks, re-scale once."""
    for _ in range(2):
        rms = np.sqrt(np.mean(mix.astype(np.float64) ** 2))
        mix *= 10 ** (target_db / 20) / rms
        peak = np.max(np.abs(mix))
        if peak > 0.9:
            mix = (0.9 * np.tanh(mix / 0.9)).astype(np.float32)
    return np.clip(mix, -0.999, 0.999).astype(np.float32)


def render_clip(
    truth: dict, seed: int = 42, duration: float = 30.0, samplerate: int = 22050
) -> np.ndarray:
    """Synthesize the clip described by ``truth`` (see
    :func:`~genrelab.audio.sources.synthetic.clip_truth`) as mono float32."""
    sr = samplerate
    rng = np.random.default_rng([seed, truth["index"], 1])
    style, key, mode = truth["style"], truth["key"], truth["mode"]
    progression = [d if d == "5h" else int(d) for d in truth["progression"].split("-")]
    beat = 60.0 / truth["tempo"]
    n = int(duration * sr)
    chords = _chords(key, mode, progression)
    scale = (_MAJOR if mode else _MINOR) + key
    # the draws before the first bar, in their fixed order: start, kit, kick pattern, swing
    start = rng.uniform(0.0, beat)
    kit = _drum_kit(rng, sr, style) if style != "acoustic" else None
    kicks = ([0, 1.5, 2.5], [0, 0.75, 2.25, 2.5], [0, 1.75, 2.5])[rng.integers(3)]
    swing = rng.uniform(0.05, 0.12) if style == "hiphop" else 0.0
    clip = _Clip(
        sr=sr,
        rng=rng,
        start=start,
        beat=beat,
        jitter={"rock": 0.006, "acoustic": 0.012, "hiphop": 0.003}.get(style, 0.0),
        kit=kit,
        kicks=kicks,
        swing=swing,
        tracks={name: np.zeros(n, np.float32) for name in ("drums", "harm", "bass", "lead")},
    )
    n_bars = int(np.ceil((duration - start) / clip.bar)) + 1
    for b in range(n_bars):
        chord = chords[b % len(chords)]
        t_bar = start + b * clip.bar
        if t_bar > duration:
            break
        _BARS[style](clip, b, chord, t_bar)
        if style != "hiphop":
            _melody_bar(clip, b, chord, scale, style)
    tracks = clip.tracks
    if style == "hiphop":  # rap-like bursts over most bars
        for b in range(n_bars):
            if rng.random() < 0.75:
                phrase = clip.bar * rng.choice([1.0, 2.0])
                burst = _speech_burst(
                    rng, phrase * 0.95, sr, syllable_s=beat / 4 * rng.choice([1, 2])
                )
                _add(tracks["lead"], burst, start + b * clip.bar, sr, 0.5)
    mix = (
        tracks["drums"]
        + _lowpass(tracks["harm"], 5000, sr)
        + _lowpass(tracks["bass"], 900, sr)
        + tracks["lead"]
    )
    mix += 1e-4 * _noise(rng, n)  # a noise floor
    return _master(mix, truth["loudness_target"])
