"""Musical key and mode of a clip from the long-window spectra the extractor already has.

:func:`estimate_key` is what :func:`genrelab.audio.features.extract_features` reports as ``key``,
``mode`` and ``chroma_*``. It reads the magnitude spectra of the 8192-point, non-overlapping
aubio ``pvoc`` pass (2.7 Hz bins, one frame per 0.37 s at 22,050 Hz) and combines four cues,
each one a piece of common-practice harmony rather than a fitted curve:

1. **Pitch-resolved notes** (:func:`note_salience`). Every spectral peak (a local maximum
   above twice the local mean: drums and noise add little) is placed at its interpolated
   frequency (a parabola through the log magnitudes of the peak bin and its neighbours, so the
   2.7 Hz bins still resolve the semitones of the bass) and counted once, square-root
   compressed, on its nearest equal-tempered note, less when it lies between two notes.
   (The chroma before ``genrelab-6k`` spread each semitone's weight over its FFT bins, which
   counted a high note's peak many times less than a low one's: the tonal profile of the music
   was seen through a 1/f tilt.)
2. **Tonal profile** (:func:`profile_scores`). The notes C2-B6 folded to 12 pitch classes,
   each frame scaled to max 1 and averaged, correlated with the 24 rotations of the
   Albrecht & Shanahan (2013) profiles: how long each scale degree sounds in a key. The
   profile is the choice that decides between classical and popular harmony (measured with
   ``benchmarks/bench_key_cues.py``): the chord-based Bellman-Budge profiles, whose minor
   expects the leading tone of harmonic minor, lift the tune half to 0.883 on the worst of
   three soundfonts (0.857 with these) but read the Aeolian minor of the synthetic pop clips
   (subtonic, no leading tone) as its relative major (0.922 against 0.982). The extractor
   serves genre research, so it keeps the profiles that hold on both; the others stay in
   :data:`KEY_PROFILES` for :func:`key_from_chroma`.
3. **Bass** (:func:`bass_histogram`). The tonic is the bass's home: the pitch class of each
   frame's lowest clear note (E1 up, at least ``BASS_SHARE`` of the frame's strongest
   note), counted over the clip and correlated with the same profiles, weight
   ``BASS_WEIGHT``. It settles music that visits the dominant key (a sonata exposition
   heading to V: the upper voices move there, the bass keeps returning to the tonic).
4. **Opening and closing** (:func:`opening_chord`, :func:`final_bass`). Music usually opens
   on its tonic chord: the first sounding ``OPENING_FRAMES`` frames are correlated with the
   24 major and minor triads, weight ``OPENING_WEIGHT``. And music ends on its tonic in
   the bass (the convention MIREX used to key its MIDI collection): when the piece ends inside
   the clip (the sound falls ``SILENCE_DROP_DB`` below its loudest frame at least
   ``END_GAP_FRAMES`` frames before the clip ends), the lowest clear note of its last
   sounding frame names the tonic, and the other three cues only choose the mode.

The key is the best of the 24 summed scores; ``key_strength`` is that score and
``key_confidence`` its lead over the runner-up. The two weights were chosen on the tune half
of the scores corpus rendered through TimGM6mb (see ``benchmarks/bench_peers.py``): any value
from 0.2 to 0.3 for both gives the same tune-half score there; the synthetic corpus was checked
not to drop.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from genrelab.schema import key_name

#: Krumhansl & Kessler (1982) probe-tone profiles, C major and C minor.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
#: Albrecht & Shanahan (2013) profiles: pitch-class durations in 490 common-practice pieces.
AS_MAJOR = np.array(
    [0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.08, 0.008, 0.081]
)
AS_MINOR = np.array(
    [0.22, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052]
)
#: Bellman (2005) / Budge (1943) profiles: pitch-class weights of the chords in common-practice
#: music, as Humdrum's ``keycor`` and ``music21.analysis.discrete.BellmanBudge`` give them.
BB_MAJOR = np.array([16.8, 0.86, 12.95, 1.41, 13.49, 11.93, 1.25, 20.28, 1.8, 8.04, 0.62, 10.57])
BB_MINOR = np.array([18.16, 0.69, 12.99, 13.34, 1.07, 11.15, 1.38, 21.07, 7.49, 1.53, 0.92, 10.21])
#: Temperley (2007) profiles from the Kostka-Payne harmony textbook's excerpts.
TKP_MAJOR = np.array(
    [0.748, 0.06, 0.488, 0.082, 0.67, 0.46, 0.096, 0.715, 0.104, 0.366, 0.057, 0.4]
)
TKP_MINOR = np.array(
    [0.712, 0.084, 0.474, 0.618, 0.049, 0.46, 0.105, 0.747, 0.404, 0.067, 0.133, 0.33]
)
#: key profile name -> (major, minor), C first
KEY_PROFILES = {
    "albrecht": (AS_MAJOR, AS_MINOR),
    "bellman": (BB_MAJOR, BB_MINOR),
    "temperley": (TKP_MAJOR, TKP_MINOR),
    "krumhansl": (KK_MAJOR, KK_MINOR),
}
KEY_PROFILE = "albrecht"  # the extractor's profiles

# The notes analysed (MIDI numbers): the chroma spans C2-B6 as before; the bass is looked for
# from E1 (41 Hz, the lowest string of a double bass / bass guitar) up.
CHROMA_LOW, CHROMA_HIGH = 36, 95  # C2 .. B6
BASS_LOW = 28  # E1
PEAK_RATIO = 2.0  # a spectral peak must exceed twice the mean of ...
PEAK_AVERAGE_BINS = 41  # ... the 41 bins around it (110 Hz at 2.7 Hz a bin)
PITCH_TOLERANCE = 0.2  # semitones: Gaussian weight of a peak's distance to its note
BASS_SHARE = 0.25  # the bass: the lowest note with >= 1/4 of the frame's strongest
BASS_WEIGHT = 0.25  # weight of the bass histogram's correlation
OPENING_FRAMES = 2  # the opening chord: the first 2 sounding frames (0.74 s at 22,050 Hz)
OPENING_WEIGHT = 0.25  # weight of the opening chord's correlation with the tonic triads
SILENCE_DROP_DB = 40.0  # a frame sounds if its level is within 40 dB of the loudest frame
END_GAP_FRAMES = 2  # the piece ended in the clip: >= 2 silent frames (0.74 s) close the clip

_NO_KEY = {"key": -1, "mode": -1, "key_name": "", "key_strength": 0.0, "key_confidence": 0.0}


def _zscore_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, float)
    return (m - m.mean(-1, keepdims=True)) / m.std(-1, keepdims=True)


def _key_templates(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """(24, 12) z-scored templates: the 12 major keys (C first), then the 12 minor keys."""
    return _zscore_rows(np.array([np.roll(p, k) for p in (major, minor) for k in range(12)]))


#: the 24 tonic triads (C major ... B major, C minor ... B minor) as 0/1 pitch-class templates
TRIADS = np.array(
    [np.roll(np.isin(np.arange(12), t), k) for t in ((0, 4, 7), (0, 3, 7)) for k in range(12)],
    float,
)


def profile_scores(chroma: np.ndarray, profile: str = KEY_PROFILE) -> np.ndarray:
    """Pearson correlation of a 12-bin chroma with the 24 keys of ``profile`` (majors first).

    All zeros when the chroma is flat (no key information).
    """
    if profile not in KEY_PROFILES:
        raise ValueError(f"unknown key profile {profile!r}; choose one of {sorted(KEY_PROFILES)}")
    chroma = np.asarray(chroma, float)
    if np.ptp(chroma) == 0:
        return np.zeros(24)
    return _key_templates(*KEY_PROFILES[profile]) @ _zscore_rows(chroma) / 12


def triad_scores(chroma: np.ndarray) -> np.ndarray:
    """Pearson correlation of a 12-bin chroma with the 24 tonic triads (all zeros if flat)."""
    chroma = np.asarray(chroma, float)
    if np.ptp(chroma) == 0:
        return np.zeros(24)
    return _zscore_rows(TRIADS) @ _zscore_rows(chroma) / 12


def key_result(scores: np.ndarray) -> dict:
    """The best of 24 key scores (majors first; ``-inf`` = excluded) as the extractor's dict.

    ``key`` (0 = C), ``mode`` (1 = major, 0 = minor, Spotify's convention), ``key_name``,
    ``key_strength`` (the best score) and ``key_confidence`` (its lead over the runner-up).
    """
    order = np.argsort(scores)[::-1]
    best, second = int(order[0]), int(order[1])
    key, mode = best % 12, int(best < 12)
    return {
        "key": key,
        "mode": mode,
        "key_name": key_name(key, mode),
        "key_strength": float(scores[best]),
        "key_confidence": float(scores[best] - scores[second]),
    }


def key_from_chroma(chroma: np.ndarray, profile: str = KEY_PROFILE) -> dict:
    """Key and mode from a 12-bin chroma alone: the best of the 24 rotated key profiles.

    ``profile`` names a pair of :data:`KEY_PROFILES`: ``albrecht`` (Albrecht & Shanahan 2013,
    the extractor's), ``bellman`` (Bellman-Budge), ``temperley`` (Temperley 2007) or
    ``krumhansl`` (Krumhansl & Kessler 1982, the librosa peer's). Returns
    the dict of :func:`key_result`; a flat or invalid chroma gives ``key = mode = -1``.
    """
    chroma = np.asarray(chroma, float)
    if profile not in KEY_PROFILES:
        raise ValueError(f"unknown key profile {profile!r}; choose one of {sorted(KEY_PROFILES)}")
    if chroma.shape != (12,) or not np.isfinite(chroma).all() or np.ptp(chroma) == 0:
        return dict(_NO_KEY)
    return key_result(profile_scores(chroma, profile))


def note_salience(
    mags: np.ndarray, sr: int, low: int = BASS_LOW, high: int = CHROMA_HIGH
) -> np.ndarray:
    """(frames, high - low + 1) salience of the notes ``low`` .. ``high`` (MIDI) per frame.

    ``mags`` are stacked magnitude spectra ``(frames, n_fft/2 + 1)``. Each spectral peak (a
    local maximum above ``PEAK_RATIO`` times the mean of the ``PEAK_AVERAGE_BINS``
    bins around it) is located between bins by a parabola through the log magnitudes of the
    peak and its two neighbours, and adds the square root of its magnitude to its nearest
    note, times a Gaussian of its distance from that note (sd ``PITCH_TOLERANCE``
    semitones). Vectorised over all peaks of all frames.
    """
    n_frames, n_bins = mags.shape
    n_fft = (n_bins - 1) * 2
    hz_per_bin = sr / n_fft
    f_low, f_high = (440.0 * 2 ** ((m - 69) / 12) for m in (low - 0.5, high + 0.5))
    lo = max(int(f_low / hz_per_bin) - 1, 1)
    hi = min(int(f_high / hz_per_bin) + 2, n_bins - 1)
    x = mags[:, lo - 1 : hi + 1].astype(np.float64)  # one neighbour bin on each side
    core = x[:, 1:-1]
    peaks = (core > x[:, :-2]) & (core >= x[:, 2:])
    local = uniform_filter1d(x, PEAK_AVERAGE_BINS, axis=1, mode="nearest")[:, 1:-1]
    peaks &= core > PEAK_RATIO * local
    frame, b = np.nonzero(peaks)
    left, mid, right = (np.log(x[frame, b + j] + 1e-12) for j in range(3))
    curvature = left - 2 * mid + right  # < 0 at a peak; 0 only on a flat top
    safe = np.where(curvature < 0, curvature, -1.0)
    offset = np.clip(np.where(curvature < 0, 0.5 * (left - right) / safe, 0.0), -0.5, 0.5)
    midi = 69 + 12 * np.log2((lo + b + offset) * hz_per_bin / 440.0)
    note = np.round(midi).astype(int)
    weight = np.sqrt(x[frame, b + 1]) * np.exp(-0.5 * ((midi - note) / PITCH_TOLERANCE) ** 2)
    keep = (note >= low) & (note <= high)
    n_notes = high - low + 1
    flat = frame[keep] * n_notes + note[keep] - low
    return np.bincount(flat, weights=weight[keep], minlength=n_frames * n_notes).reshape(
        n_frames, n_notes
    )


def fold_to_chroma(notes: np.ndarray, low: int) -> np.ndarray:
    """(frames, 12) pitch-class sums (C first) of a note salience whose first column is ``low``."""
    n_frames, n_notes = notes.shape
    pad = (-(low + n_notes)) % 12
    start = low % 12
    wide = np.concatenate([np.zeros((n_frames, start)), notes, np.zeros((n_frames, pad))], axis=1)
    return wide.reshape(n_frames, -1, 12).sum(axis=1)


def mean_chroma(chroma_frames: np.ndarray) -> np.ndarray:
    """Mean of the frames' chroma, each frame scaled to max 1 (silent frames left out)."""
    top = chroma_frames.max(axis=1)
    sounding = top > 0
    if not sounding.any():
        return np.zeros(12)
    return (chroma_frames[sounding] / top[sounding, None]).mean(axis=0)


def lowest_notes(notes: np.ndarray) -> np.ndarray:
    """Column of each frame's lowest note with >= ``BASS_SHARE`` of its strongest (-1: none)."""
    top = notes.max(axis=1, keepdims=True)
    clear = (notes >= BASS_SHARE * top) & (top > 0)
    return np.where(clear.any(axis=1), np.argmax(clear, axis=1), -1)


def bass_histogram(notes: np.ndarray, low: int) -> np.ndarray:
    """How many frames have each pitch class (C first) as their lowest clear note."""
    lowest = lowest_notes(notes)
    lowest = lowest[lowest >= 0]
    return np.bincount((low + lowest) % 12, minlength=12).astype(float)


def sounding_frames(mags: np.ndarray) -> np.ndarray:
    """Indices of the frames within ``SILENCE_DROP_DB`` of the loudest (spectral energy)."""
    energy = np.einsum("fb,fb->f", mags, mags, dtype=np.float64)
    if energy.max() <= 0:
        return np.array([], int)
    return np.nonzero(energy > energy.max() * 10 ** (-SILENCE_DROP_DB / 10))[0]


def opening_chord(chroma_frames: np.ndarray, sounding: np.ndarray) -> np.ndarray:
    """Mean chroma of the first ``OPENING_FRAMES`` sounding frames (zeros if none)."""
    if not sounding.size:
        return np.zeros(12)
    first = sounding[0]
    return mean_chroma(chroma_frames[first : first + OPENING_FRAMES])


def final_bass(notes: np.ndarray, low: int, sounding: np.ndarray) -> int | None:
    """Pitch class of the last sounding frame's lowest clear note if the piece ended in the clip.

    The piece ended when the last sounding frame is followed by at least
    ``END_GAP_FRAMES`` silent ones; otherwise (the clip cuts the music off) ``None``.
    """
    if not sounding.size or sounding[-1] >= len(notes) - END_GAP_FRAMES:
        return None
    lowest = lowest_notes(notes[sounding[-1] : sounding[-1] + 1])[0]
    return None if lowest < 0 else int((low + lowest) % 12)


def estimate_key(mags: np.ndarray, sr: int) -> dict:
    """Key, mode and mean chroma of a clip from its long-window magnitude spectra.

    ``mags``: ``(frames, n_fft/2 + 1)`` magnitudes (the extractor's 8192-point frames). Returns
    the dict of :func:`key_result` plus ``chroma`` (12 values, C first: the mean frame-scaled
    chroma of C2-B6). The method is the module docstring's.
    """
    notes = note_salience(mags, sr, BASS_LOW, CHROMA_HIGH)
    chroma_frames = fold_to_chroma(notes[:, CHROMA_LOW - BASS_LOW :], CHROMA_LOW)
    chroma = mean_chroma(chroma_frames)
    if np.ptp(chroma) == 0:
        return {**_NO_KEY, "chroma": chroma}
    sounding = sounding_frames(mags)
    scores = profile_scores(chroma)
    scores += BASS_WEIGHT * profile_scores(bass_histogram(notes, BASS_LOW))
    scores += OPENING_WEIGHT * triad_scores(opening_chord(chroma_frames, sounding))
    tonic = final_bass(notes, BASS_LOW, sounding)
    if tonic is not None:  # the piece ended in the clip: its final bass note is the tonic
        scores[[k for k in range(24) if k % 12 != tonic]] = -np.inf
    return {**key_result(scores), "chroma": chroma}
