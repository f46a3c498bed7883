"""The key estimate: pitch-resolved notes, the bass, the opening chord and the final bass note."""

from __future__ import annotations

import aubio
import numpy as np
import pytest

from genrelab import audio
from genrelab.audio import key

SR = audio.SAMPLERATE


def hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def spectra(y: np.ndarray) -> np.ndarray:
    """The extractor's chroma spectra: 8192-point aubio pvoc frames without overlap."""
    pv = aubio.pvoc(audio.CHROMA_WIN, audio.CHROMA_WIN)
    n = len(y) // audio.CHROMA_WIN
    frames = y[: n * audio.CHROMA_WIN].reshape(n, audio.CHROMA_WIN).astype(np.float32)
    return np.stack([pv(f).norm.copy() for f in frames])


def chords(progression, seconds_each: float = 1.0, silence: float = 0.0) -> np.ndarray:
    """Sine chords (MIDI notes, the first one the bass) one after the other, then silence."""
    n = int(seconds_each * SR)
    t = np.arange(n) / SR
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # no clicks between chords
    parts = [fade * sum(0.1 * np.sin(2 * np.pi * hz(m) * t) for m in ch) for ch in progression]
    parts.append(np.zeros(int(silence * SR)))
    return np.concatenate(parts).astype(np.float32)


@pytest.mark.parametrize("midi", range(28, 41))
def test_bass_notes_are_resolved_to_their_semitone(midi):
    """E1..E2: semitones 2.4-4.9 Hz apart on 2.7 Hz bins, placed by the interpolated peak."""
    t = np.arange(4 * SR) / SR
    notes = key.note_salience(spectra(np.sin(2 * np.pi * hz(midi) * t)), SR)
    assert np.argmax(notes.sum(axis=0)) == midi - key.BASS_LOW


def test_a_piece_that_ends_in_the_clip_takes_its_final_bass_note_as_tonic():
    """G and D major chords and a last C major chord: G major, unless the piece then ends."""
    g, d, c = (43, 59, 62, 67), (38, 57, 62, 66), (36, 55, 64, 67)
    music = [g, d, g, d, g, d, g, d, c]
    cut_off = key.estimate_key(spectra(chords(music)), SR)  # the clip stops mid-piece
    assert cut_off["key_name"] == "G major"
    ended = key.estimate_key(spectra(chords(music, silence=2.0)), SR)
    assert ended["key_name"] == "C major"
    assert ended["key_confidence"] > 0


def test_the_bass_and_the_opening_chord_are_read_from_the_frames():
    notes = np.zeros((4, 24))  # columns: E1 (28) up
    notes[0, [8, 12, 15]] = [1.0, 0.5, 0.5]  # C2 E2 G2: bass C
    notes[1, [3, 20]] = [0.1, 1.0]  # a faint A1 under a C3: the bass is the C
    notes[2, [10, 14]] = [1.0, 1.0]  # D2 F#2: bass D
    assert list(key.lowest_notes(notes)) == [8, 20, 10, -1]
    assert np.flatnonzero(key.bass_histogram(notes, key.BASS_LOW)).tolist() == [0, 2]
    chroma = key.fold_to_chroma(notes, key.BASS_LOW)
    assert np.argmax(key.triad_scores(key.opening_chord(chroma, np.array([0, 1, 2])))) == 0
    silent_end = np.array([0, 1])  # frames 2 and 3 silent: the piece ended after frame 1
    assert key.final_bass(notes, key.BASS_LOW, silent_end) == 0
    assert key.final_bass(notes, key.BASS_LOW, np.array([0, 1, 2, 3])) is None


def test_triads_and_profiles_score_their_own_key():
    for k in range(24):
        assert np.argmax(key.triad_scores(key.TRIADS[k])) == k
    assert not key.triad_scores(np.ones(12)).any() and not key.profile_scores(np.ones(12)).any()


@pytest.mark.parametrize("profile", sorted(key.KEY_PROFILES))
def test_every_profile_names_the_key_of_its_cadences(profile):
    # I-IV-V-I in major and i-iv-V-i in harmonic minor, in all 12 keys: a mistyped weight in a
    # profile table shows up as a wrong tonic or mode somewhere.
    for tonic, mode, triads in [
        (0, 1, [(0, 4, 7), (5, 9, 0), (7, 11, 2)]),
        (9, 0, [(9, 0, 4), (2, 5, 9), (4, 8, 11)]),
    ]:
        for shift in range(12):
            chroma = np.zeros(12)
            for triad in [*triads, triads[0]]:
                chroma[[(pitch + shift) % 12 for pitch in triad]] += 1
            found = key.key_from_chroma(chroma, profile)
            assert (found["key"], found["mode"]) == ((tonic + shift) % 12, mode), profile
