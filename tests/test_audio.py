"""The aubio extractor: descriptors on known signals, real audio, bad input, batches, the cache."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from genrelab import audio, config
from genrelab.audio import batch as extraction

SR = audio.SAMPLERATE


def click_track(bpm: float, seconds: float = 12.0, sr: int = SR, freq: float = 880.0) -> np.ndarray:
    """Short decaying tone bursts on every beat."""
    t = np.arange(int(seconds * sr)) / sr
    phase = np.mod(t, 60.0 / bpm)
    return (0.5 * np.sin(2 * np.pi * freq * t) * np.exp(-phase / 0.03)).astype(np.float32)


def chord_loop(
    root_midi: int, minor: bool, bpm: float = 100.0, seconds: float = 12.0, sr: int = SR
) -> np.ndarray:
    """I-IV-V-I (or i-iv-V-i) of sine triads with a bass note, a chord a bar, plus a beat click."""
    beat = 60.0 / bpm
    third = 3 if minor else 4
    chords = [(0, third, 7), (5, 5 + third, 12), (7, 11, 14), (0, third, 7)]
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for b in range(int(seconds / (4 * beat)) + 1):
        start, stop = b * 4 * beat, (b + 1) * 4 * beat
        mask = (t >= start) & (t < stop)
        for interval in chords[b % 4]:
            f = 440 * 2 ** ((root_midi + interval - 69) / 12)
            y[mask] += 0.08 * np.sin(2 * np.pi * f * t[mask]) + 0.02 * np.sin(
                4 * np.pi * f * t[mask]
            )
        fb = 440 * 2 ** ((root_midi - 12 + chords[b % 4][0] - 69) / 12)
        y[mask] += 0.1 * np.sin(2 * np.pi * fb * t[mask])
    return (y + 0.5 * click_track(bpm, seconds, sr, freq=2000.0)).astype(np.float32)


def drum_loop(
    bpm: float, kicks: tuple, snares: tuple, seconds: float = 20.0, sr: int = SR
) -> np.ndarray:
    """A swept-sine kick and a noise snare (185 Hz body) on sixteenth-note steps of a 16-step bar
    (``kicks``, ``snares``), noise hi-hats on every eighth note."""
    t = np.arange(int(0.25 * sr)) / sr
    noise = np.random.default_rng(0).standard_normal(len(t))
    kick = np.sin(2 * np.pi * np.cumsum(50 + 70 * np.exp(-t / 0.03)) / sr) * np.exp(-t / 0.12)
    snare = 0.7 * (0.6 * noise + 0.4 * np.sin(2 * np.pi * 185 * t)) * np.exp(-t / 0.07)
    hat = 0.25 * np.diff(noise, prepend=0.0) * np.exp(-t / 0.015)
    y = np.zeros(int(seconds * sr) + sr)
    step = 60.0 / bpm / 4
    for i in range(int(seconds / step)):
        at = int(round(i * step * sr))
        for sound, steps in ((kick, kicks), (snare, snares), (hat, range(0, 16, 2))):
            if i % 16 in steps:
                y[at : at + len(t)] += sound
    y = y[: int(seconds * sr)]
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="module")
def fma_features() -> dict:
    return audio.extract_features(config.FMA_CLIP)


# --- descriptors on known signals --------------------------------------------------------------
@pytest.mark.parametrize("bpm", [90.0, 120.0, 150.0])
def test_tempo_of_a_click_track(bpm):
    feats = audio.extract_features(click_track(bpm), SR)
    assert feats["tempo"] == pytest.approx(bpm, rel=0.04)
    assert feats["beat_regularity"] > 0.7
    assert feats["onset_rate"] == pytest.approx(bpm / 60, rel=0.25)


def test_slow_piece_read_at_its_tempo_not_double(tmp_path):
    """A 70 BPM string-quartet finale: aubio's tracker locks on the eighth notes (140 BPM), the
    metrical-level choice of genrelab.audio.tempo reads the quarter note the score is written in."""
    from genrelab.audio.sources import score_catalogue, scores

    cat = score_catalogue.catalogue()
    piece = cat[cat["piece"] == "music21:mozart/k458/movement4"]
    assert len(piece) == 1, "the piece left music21's corpus"
    clip = scores.generate(
        piece,
        0,
        tempo_range=(70.0, 70.0),
        instrumentations=("strings",),
        duration=20.0,
        dest=tmp_path,
    )
    assert clip["status"].iloc[0] == "ok", clip["reason"].iloc[0]
    feats = audio.extract_features(clip["clip_path"].iloc[0])
    assert feats["tempo_aubio"] == pytest.approx(140.0, rel=0.04)  # the tracker's first guess
    assert feats["tempo"] == pytest.approx(70.0, rel=0.04)


@pytest.mark.parametrize("bpm", [174.0, 190.0])
def test_drum_and_bass_read_at_its_tempo_not_half(bpm):
    """Two-step drum and bass (kick on 1 and the "and" of 3, snare on 2 and 4) has its snare on
    every beat of half the tempo: aubio reads that level, and so did every term of the level
    choice but the backbeat (a snare-led beat alternating with a kick-led one)."""
    y = drum_loop(bpm, kicks=(0, 10), snares=(4, 12))
    feats = audio.extract_features(y, SR)
    assert feats["tempo_aubio"] == pytest.approx(bpm / 2, rel=0.04)
    assert feats["tempo"] == pytest.approx(bpm, rel=0.04)
    env, drums, fps = audio.onset_envelopes(y, SR)
    others = (feats["tempo_aubio"],)
    without = audio.choose_tempo(env, fps, feats["tempo_aubio"], others=others)
    assert without["tempo"] == pytest.approx(bpm / 2, rel=0.04)  # no drum envelopes: no backbeat
    with_drums = audio.choose_tempo(env, fps, feats["tempo_aubio"], others=others, drums=drums)
    assert with_drums["tempo"] == pytest.approx(bpm, rel=0.04)


@pytest.mark.parametrize("bpm", [85.0, 95.0])
def test_backbeat_at_a_slow_tempo_not_read_at_double(bpm):
    """The same pattern at a hip-hop tempo: the backbeat keeps the beat at half the snare's period
    and does not lift the eighth notes (the level the hats and the syncopated kick fill)."""
    assert audio.extract_features(drum_loop(bpm, (0, 10), (4, 12)), SR)["tempo"] == pytest.approx(
        bpm, rel=0.04
    )


def test_random_clicks_are_less_regular_than_a_metronome():
    rng = np.random.default_rng(3)
    t = np.arange(12 * SR) / SR
    onsets = np.sort(rng.uniform(0, 12, 30))
    since = t[:, None] - onsets[None, :]
    since = np.where(since >= 0, since, np.inf).min(axis=1)
    clicks = (0.5 * np.sin(2 * np.pi * 880 * t) * np.exp(-since / 0.03)).astype(np.float32)
    random_reg = audio.extract_features(clicks, SR)["beat_regularity"]
    assert random_reg < 0.5 < audio.extract_features(click_track(120), SR)["beat_regularity"]


@pytest.mark.parametrize(
    "root,minor,name", [(60, False, "C major"), (57, True, "A minor"), (66, False, "F# major")]
)
def test_key_and_mode_of_a_chord_loop(root, minor, name):
    feats = audio.extract_features(chord_loop(root, minor), SR)
    assert feats["key_name"] == name
    assert feats["key"] == root % 12 and feats["mode"] == (0 if minor else 1)
    assert feats["key_confidence"] > 0


@pytest.mark.parametrize("profile", sorted(audio.key.KEY_PROFILES))
def test_key_profiles_recognise_themselves(profile):
    major, minor = audio.key.KEY_PROFILES[profile]
    for k in range(12):
        got = audio.key_from_chroma(np.roll(major, k), profile)
        assert (got["key"], got["mode"]) == (k, 1)
        got = audio.key_from_chroma(np.roll(minor, k), profile)
        assert (got["key"], got["mode"]) == (k, 0)
    flat = audio.key_from_chroma(np.ones(12), profile)
    assert flat["key"] == -1 and flat["key_strength"] == 0
    with pytest.raises(ValueError, match="unknown key profile"):
        audio.key_from_chroma(major, "bogus")


def test_loudness_of_a_calibrated_sine():
    """BS.1770: a 997 Hz sine at -20 dBFS peak in one channel reads -23.0 LUFS."""
    t = np.arange(10 * SR) / SR
    sine = (0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    stats = audio.loudness_stats(sine, SR)
    assert stats["loudness"] == pytest.approx(-23.0, abs=0.2)
    assert stats["loudness_range"] < 0.5
    assert stats["crest_db"] == pytest.approx(3.01, abs=0.05)
    # two halves 10 dB apart: the loudness range sees it
    steps = np.concatenate([sine[: 5 * SR], sine[: 5 * SR] * 10 ** (-10 / 20)])
    assert audio.loudness_stats(steps, SR)["loudness_range"] == pytest.approx(10, abs=1.5)


def test_spectral_descriptors_order_bright_and_dark_sounds():
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal(8 * SR)).astype(np.float32)
    t = np.arange(8 * SR) / SR
    hum = (0.3 * np.sin(2 * np.pi * 110 * t)).astype(np.float32)
    n, h = audio.extract_features(noise, SR), audio.extract_features(hum, SR)
    assert n["centroid_mean"] > 3000 > 500 > h["centroid_mean"]
    assert n["flatness_mean"] > 0.5 > 0.1 > h["flatness_mean"]
    assert n["zcr_mean"] > 10 * h["zcr_mean"]
    assert h["pitch_salience"] > 0.8 and h["voiced_fraction"] > 0.8
    assert h["pitch_median"] == pytest.approx(110, rel=0.03)
    assert n["pitch_salience"] < 0.5


def test_every_result_has_the_same_finite_descriptors_and_the_version(fma_features):
    click = audio.extract_features(click_track(120), SR)
    assert set(click) == set(fma_features)
    assert fma_features["extractor_version"] == audio.EXTRACTOR_VERSION
    numeric = {k: v for k, v in fma_features.items() if isinstance(v, (int, float))}
    assert all(np.isfinite(v) for v in numeric.values()), numeric
    for i in range(audio.N_MFCC):
        assert f"mfcc_mean_{i}" in fma_features and f"mfcc_std_{i}" in fma_features


def test_real_fma_clip_tempo_matches_echo_nest(fma_features):
    """Track 2 of FMA (hip-hop): the Echo Nest says 165.9 BPM, an estimate itself.

    genrelab reads it at the metrical level below (83 BPM, a hip-hop tempo); the test accepts
    the Echo Nest's tempo or its half (Accuracy2 restricted to the octave). A listener would
    agree with 83: the onset envelope of every band (kick < 150 Hz, mid, hi-hats) repeats
    more strongly at 0.72 s (83 BPM) than at 0.36 s (166 BPM), autocorrelation 0.25 / 0.33 /
    0.54 against 0.18 / 0.16 / 0.36; aubio's own first guess (109 BPM) is neither.
    """
    echonest = pd.read_csv(config.FMA_ECHONEST_CSV).set_index("track_id").loc[2, "tempo"]
    assert echonest == pytest.approx(165.922)
    tempo = fma_features["tempo"]
    assert min(abs(tempo / echonest - 1), abs(2 * tempo / echonest - 1)) < 0.04, tempo
    assert fma_features["duration"] == pytest.approx(29.98, abs=0.05)
    assert -30 < fma_features["loudness"] < -5


# --- decoding: formats, rates, channels ---------------------------------------------------------
def test_file_and_array_give_the_same_features(tmp_path):
    y = chord_loop(62, False)
    path = tmp_path / "loop.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    a, b = audio.extract_features(path), audio.extract_features(y, SR)
    for key in ("tempo", "key", "mode", "loudness", "centroid_mean", "mfcc_mean_3"):
        assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-5)


def test_resampling_and_downmix_keep_the_descriptors(tmp_path):
    y = chord_loop(64, True)  # E minor at 22,050 Hz
    t = np.arange(len(y) * 2) / (2 * SR)
    y44 = np.interp(t, np.arange(len(y)) / SR, y).astype(np.float32)  # same music at 44,100 Hz
    stereo = np.stack([y44, y44], axis=1)
    ref, res = audio.extract_features(y, SR), audio.extract_features(stereo, 2 * SR)
    assert res["duration"] == pytest.approx(ref["duration"], abs=0.01)
    assert res["tempo"] == pytest.approx(ref["tempo"], rel=0.02)
    assert res["key_name"] == ref["key_name"] == "E minor"
    assert res["loudness"] == pytest.approx(ref["loudness"], abs=0.5)
    with pytest.raises(ValueError, match="samplerate"):
        audio.extract_features(y)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "FLOAT"])
@pytest.mark.parametrize("channels", [1, 2])
def test_wav_bit_depths_and_channels_decode(tmp_path, subtype, channels):
    rate = 44100 if channels == 2 else SR
    y = click_track(120, seconds=6.0, sr=rate)
    data = y if channels == 1 else np.stack([y, 0.5 * y], axis=1)
    path = tmp_path / f"c{channels}_{subtype}.wav"
    sf.write(path, data, rate, subtype=subtype)
    decoded, rate = audio.load_audio(path)
    assert rate == SR and decoded.dtype == np.float32 and decoded.ndim == 1
    assert len(decoded) == pytest.approx(6.0 * SR, abs=2)
    assert audio.extract_features(path)["tempo"] == pytest.approx(120, rel=0.04)


# --- bad input ------------------------------------------------------------------------------
def make_bad_files(folder) -> dict[str, str]:
    """Write one file per kind of bad input; return name -> the reason's expected start."""
    folder.mkdir(parents=True, exist_ok=True)
    y = click_track(120, seconds=6.0)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "notes.mp3").write_text("these are not the samples you are looking for\n" * 50)
    sf.write(folder / "silent.wav", np.zeros(6 * SR, np.float32), SR)
    sf.write(folder / "short.wav", y[: SR // 2], SR)
    sf.write(folder / "full.wav", y, SR, subtype="PCM_16")
    wav = (folder / "full.wav").read_bytes()
    (folder / "truncated.wav").write_bytes(wav[: len(wav) // 2])
    (folder / "header_only.wav").write_bytes(wav[:40])
    mp3 = config.FMA_CLIP.read_bytes()
    (folder / "truncated.mp3").write_bytes(mp3[: len(mp3) // 2])
    (folder / "full.wav").unlink()
    return {
        "empty.wav": "empty file",
        "notes.mp3": "not audio",
        "silent.wav": "silent",
        "short.wav": "too short",
        "truncated.wav": "truncated",
        "header_only.wav": "not audio",
        "truncated.mp3": "truncated",
    }


def test_each_bad_file_raises_a_clear_audio_error(tmp_path):
    expected = make_bad_files(tmp_path)
    for name, reason in expected.items():
        with pytest.raises(audio.AudioError) as err:
            audio.extract_features(tmp_path / name)
        assert err.value.reason.startswith(reason), (name, err.value.reason)
        assert name in str(err.value)
    with pytest.raises(audio.AudioError, match="file not found"):
        audio.extract_features(tmp_path / "missing.flac")
    with pytest.raises(audio.AudioError, match="NaN"):
        audio.extract_features(np.full(5 * SR, np.nan, np.float32), SR)


def test_a_batch_goes_on_past_bad_files(tmp_path, caplog):
    """Good WAVs (8/16/24-bit, float, mono, stereo), OGG, FLAC, the MP3 and its truncated copy, and
    every kind of bad file in one parallel batch: good ones extracted, bad ones listed with a
    reason."""
    expected_bad = make_bad_files(tmp_path / "in")
    y = click_track(100, seconds=6.0)
    good = []
    for subtype in ("PCM_U8", "PCM_16", "PCM_24", "FLOAT"):
        sf.write(tmp_path / "in" / f"mono_{subtype}.wav", y, SR, subtype=subtype)
        good.append(f"mono_{subtype}.wav")
    y48 = click_track(100, seconds=6.0, sr=48000)
    sf.write(tmp_path / "in" / "stereo.wav", np.stack([y48, -y48 * 0.3], axis=1), 48000)
    sf.write(tmp_path / "in" / "vorbis.ogg", y, SR)
    sf.write(tmp_path / "in" / "lossless.flac", y, SR, subtype="PCM_24")
    shutil.copy(config.FMA_CLIP, tmp_path / "in" / "fma.mp3")
    good += ["stereo.wav", "vorbis.ogg", "lossless.flac", "fma.mp3"]
    paths = sorted(str(p) for p in (tmp_path / "in").iterdir()) + [
        str(tmp_path / "in" / "gone.wav")
    ]
    with caplog.at_level(logging.WARNING, logger="genrelab.audio"):
        batch = extraction.extract_batch(
            paths, n_jobs=2, cache=tmp_path / "cache.parquet", progress=False, min_clips_per_job=0
        )  # really in two processes
    assert sorted(batch.features["file"]) == sorted(good)
    reasons = dict(zip(batch.failures["file"], batch.failures["reason"]))
    assert set(reasons) == set(expected_bad) | {"gone.wav"}
    for name, start in expected_bad.items():
        assert reasons[name].startswith(start), (name, reasons[name])
    assert reasons["gone.wav"].startswith("cannot read file")
    for name in reasons:
        assert any(name in rec.getMessage() for rec in caplog.records), f"no log line for {name}"
    assert (batch.features["extractor_version"] == audio.EXTRACTOR_VERSION).all()
    by_file = batch.features.set_index("file")
    assert by_file.loc["fma.mp3", "tempo"] == pytest.approx(165.9 / 2, rel=0.04)  # see above
    for name in ("stereo.wav", "vorbis.ogg", "lossless.flac", "mono_PCM_U8.wav"):
        assert by_file.loc[name, "tempo"] == pytest.approx(100, rel=0.04), name


def test_cache_makes_an_identical_rerun_extract_nothing(tmp_path, monkeypatch):
    folder = tmp_path / "clips"
    folder.mkdir()
    for bpm in (96, 128):
        sf.write(folder / f"c{bpm}.flac", click_track(bpm, seconds=6.0), SR)
    (folder / "empty.wav").write_bytes(b"")
    paths = sorted(folder.iterdir())
    cache = tmp_path / "features.parquet"
    first = extraction.extract_batch(paths, cache=cache, progress=False)
    assert (first.n_extracted, first.n_cached) == (3, 0)
    calls = []
    monkeypatch.setattr(
        extraction,
        "_extract_one",
        lambda *a: calls.append(a) or {"status": "failed", "reason": "x"},
    )
    again = extraction.extract_batch(paths, cache=cache, progress=False)
    assert calls == [] and (again.n_extracted, again.n_cached) == (0, 3)
    pd.testing.assert_frame_equal(first.features, again.features)
    pd.testing.assert_frame_equal(first.failures, again.failures)
    # the key is the content: a renamed copy is answered from the cache too
    shutil.copy(folder / "c96.flac", tmp_path / "renamed.flac")
    copy = extraction.extract_batch([tmp_path / "renamed.flac"], cache=cache, progress=False)
    tempo_96 = first.features.set_index("file").loc["c96.flac", "tempo"]
    assert copy.n_extracted == 0 and copy.features["tempo"].iloc[0] == tempo_96
    assert copy.features["file"].iloc[0] == "renamed.flac"
    # a new extractor version does not trust the old rows
    monkeypatch.setattr(audio.features, "EXTRACTOR_VERSION", "test-next")
    newer = extraction.extract_batch(paths, cache=cache, progress=False)
    assert newer.n_extracted == 3 and len(calls) == 3


def test_default_cache_lives_under_the_cache_dir(tmp_project_dirs):
    path = extraction.default_cache_path()
    assert path.is_relative_to(config.cache_dir()) and path.suffix == ".parquet"
    assert extraction.default_cache_path(min_duration=10) != path


def test_a_constant_signal_is_silence_not_music():
    # a DC offset has a high peak but no sound: it used to be analysed as 178 BPM in D minor
    with pytest.raises(audio.AudioError, match="silent"):
        audio.extract_features(np.full(22050 * 5, 0.3, dtype=np.float32), 22050)


def test_unexpected_failures_are_not_cached(tmp_path, monkeypatch):
    path = tmp_path / "clip.wav"
    sf.write(path, np.random.default_rng(0).normal(0, 0.1, 22050 * 4), 22050)
    cache = tmp_path / "features.parquet"

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(extraction, "extract_features", broken)
    first = extraction.extract_batch([path], cache=cache, progress=False)
    assert "unexpected MemoryError" in first.failures["reason"].iloc[0]
    monkeypatch.undo()
    again = extraction.extract_batch([path], cache=cache, progress=False)
    assert again.n_extracted == 1 and len(again.features) == 1, "the error was cached"
