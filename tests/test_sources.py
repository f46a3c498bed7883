"""Audio sources: the synthetic generator, an FMA tree, any folder, Deezer previews (synthetic
HTTP answers in the API's shape)."""

from __future__ import annotations

import json
import logging
import os
import shutil

import numpy as np
import pandas as pd
import pytest
import requests
import responses
import soundfile as sf

from genrelab import audio, config, inputs
from genrelab.audio.sources import fma, folder, synthetic
from genrelab.audio.sources import synthesizer as synthesis


# --- synthetic ----------------------------------------------------------------------------------
def test_ground_truth_is_deterministic_and_in_realistic_ranges():
    truths = pd.DataFrame([synthetic.clip_truth(i, seed=5) for i in range(240)])
    assert truths.equals(pd.DataFrame([synthetic.clip_truth(i, seed=5) for i in range(240)]))
    assert not truths.equals(pd.DataFrame([synthetic.clip_truth(i, seed=6) for i in range(240)]))
    assert list(truths["style"][:8]) == list(synthetic.STYLES) * 2
    for style, group in truths.groupby("style"):
        lo, hi = synthetic.STYLE_RANGES[style]["tempo"]
        assert group["tempo"].between(lo, hi).all()
        lo, hi = synthetic.STYLE_RANGES[style]["loudness"]
        assert group["loudness_target"].between(lo, hi).all()
    assert set(truths["key"]) == set(range(12))
    assert 0.45 < truths["mode"].mean() < 0.75  # about 60 % major
    assert truths["clip_id"].is_unique


def test_chords_stay_in_the_key():
    major = synthesis._chords(key=2, mode=1, progression=[0, 4, 5, 3])  # D: I V vi IV
    assert [sorted(c % 12) for c in major] == [[2, 6, 9], [1, 4, 9], [2, 6, 11], [2, 7, 11]]
    minor = synthesis._chords(key=9, mode=0, progression=[0, 3, "5h", 0])  # A minor: i iv V i
    assert sorted(minor[2] % 12) == [4, 8, 11]  # E major: the raised leading tone G#
    assert sorted(minor[0] % 12) == [0, 4, 9]


def test_generate_corpus_writes_once_and_reuses(tmp_project_dirs):
    dest = tmp_project_dirs / "syn"
    truth = synthetic.generate_corpus(n_clips=4, seed=3, duration=6.0, dest=dest)
    assert list(truth["style"]) == list(synthetic.STYLES)
    assert (dest / "truth.csv").exists()
    for row in truth.itertuples():
        info = sf.info(row.path)
        assert (
            info.samplerate == 22050 and info.channels == 1 and info.duration == pytest.approx(6.0)
        )
        assert abs(row.loudness - row.loudness_target) < 2.5  # the limiter takes a little off
        y, _ = sf.read(row.path)
        assert 20 * np.log10(np.sqrt(np.mean(y**2))) == pytest.approx(row.loudness, abs=0.01)
    mtimes = {p: os.stat(p).st_mtime_ns for p in truth["path"]}
    again = synthetic.generate_corpus(n_clips=6, seed=3, duration=6.0, dest=dest)
    assert all(os.stat(p).st_mtime_ns == t for p, t in mtimes.items())  # first 4 reused
    pd.testing.assert_frame_equal(again.iloc[:4], truth)
    # a sidecar with other parameters makes the clip be rendered again
    sidecar = dest / (truth["file"][0].replace(".flac", ".json"))
    stale = json.loads(sidecar.read_text()) | {"generator": "synthetic-0"}
    sidecar.write_text(json.dumps(stale))
    synthetic.generate_corpus(n_clips=1, seed=3, duration=6.0, dest=dest)
    assert os.stat(truth["path"][0]).st_mtime_ns != mtimes[truth["path"][0]]


def test_rendering_is_deterministic_and_styles_sound_different():
    truths = [synthetic.clip_truth(i, seed=11) for i in range(4)]
    clips = [synthetic.render_clip(t, seed=11, duration=6.0) for t in truths]
    np.testing.assert_array_equal(clips[0], synthetic.render_clip(truths[0], seed=11, duration=6.0))
    feats = {t["style"]: audio.extract_features(c, 22050) for t, c in zip(truths, clips)}
    # the acoustic clip has no drums: least noisy spectrum, fewest onsets than electronic
    assert feats["acoustic"]["flatness_mean"] < min(
        feats[s]["flatness_mean"] for s in ("electronic", "rock")
    )
    # the rap-like voice makes the zero-crossing rate jump from frame to frame
    assert feats["hiphop"]["zcr_std"] > feats["electronic"]["zcr_std"]
    for t in truths:
        assert np.max(np.abs(clips[truths.index(t)])) < 1.0


def test_synthetic_corpus_through_the_registry(tmp_project_dirs):
    corpus = inputs.load_source("synthetic", n_clips=4, seed=2)
    assert corpus.name == "synthetic" and len(corpus) == 4 and corpus.label_name == "style"
    assert list(corpus.reference.columns) == ["item_id", "tempo", "key", "mode", "loudness"]
    assert corpus.items["path"].map(lambda p: p.startswith(str(config.cache_dir()))).all()
    with pytest.raises(ValueError, match="unknown audio source 'spotify'"):
        inputs.load_source("spotify")


# --- fma -----------------------------------------------------------------------------------
@pytest.fixture
def fma_tree(tmp_path):
    """A one-track FMA tree (the committed clip as 000/000002.mp3) plus files to ignore."""
    root = tmp_path / "fma_small"
    target = fma.fma_path(root, 2)
    target.parent.mkdir(parents=True)
    os.symlink(config.FMA_CLIP, target)
    (root / "000" / "README.txt").write_text("not a track")
    (root / "001").mkdir()
    shutil.copy(config.FMA_CLIP, root / "001" / "000002.mp3")  # wrong folder for its id
    no_ref = fma.fma_path(root, 999999)
    no_ref.parent.mkdir()
    shutil.copy(config.FMA_CLIP, no_ref)  # not in the Echo Nest table
    return root


def test_fma_layout_and_echo_nest_reference(fma_tree):
    assert fma.fma_path("/x", 2) == fma.fma_path("/x", "000002")
    assert str(fma.fma_path("/x", 123456)).endswith("123/123456.mp3")
    assert list(fma.scan(fma_tree)["track_id"]) == [2, 999999]
    corpus = fma.corpus(fma_tree)
    assert list(corpus.items["item_id"]) == ["000002"]
    ref = corpus.reference.set_index("item_id").loc["000002"]
    assert ref["tempo"] == pytest.approx(165.922) and 0 <= ref["energy"] <= 1
    assert set(fma.ECHONEST_FEATURES) <= set(corpus.reference.columns)
    assert len(fma.corpus(fma_tree, require_reference=False).items) == 2


def test_fma_genres_from_either_csv(fma_tree, tmp_path):
    simple = tmp_path / "genres.csv"
    pd.DataFrame({"track_id": [2, 3], "genre": ["Hip-Hop", "Pop"]}).to_csv(simple, index=False)
    assert list(fma.corpus(fma_tree, tracks_csv=simple).items["label"]) == ["Hip-Hop"]
    tracks = tmp_path / "tracks.csv"  # FMA's own layout: two header rows
    tracks.write_text(
        ",album,track,track\n,title,genre_top,title\ntrack_id,,,\n2,AWOL,Hip-Hop,Food\n"
    )
    assert fma.read_genres(tracks).to_dict() == {2: "Hip-Hop"}


def test_fma_errors_name_the_problem(tmp_path, monkeypatch):
    monkeypatch.delenv("GENRELAB_FMA_DIR", raising=False)
    with pytest.raises(ValueError, match="GENRELAB_FMA_DIR"):
        fma.corpus()
    with pytest.raises(FileNotFoundError, match="nowhere"):
        fma.corpus(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no FMA-layout audio files"):
        fma.corpus(tmp_path / "empty")


def test_fma_source_from_the_setting(fma_tree, monkeypatch):
    monkeypatch.setenv("GENRELAB_FMA_DIR", str(fma_tree))
    corpus = inputs.load_source("fma")
    assert corpus.name == "fma" and len(corpus) == 1


# --- folder ------------------------------------------------------------------------------------
@pytest.fixture
def music_folder(tmp_path):
    root = tmp_path / "music"
    t = np.arange(4 * 22050) / 22050
    for rel in ("rock/a.wav", "rock/b.flac", "jazz/c.ogg", "d.wav"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050)
    (root / "notes.txt").write_text("ignored")
    return root


def test_folder_scan_and_labels_from_folders(music_folder):
    corpus = folder.corpus(music_folder, label_from_folder=True)
    assert list(corpus.items["item_id"]) == ["d.wav", "jazz/c.ogg", "rock/a.wav", "rock/b.flac"]
    assert list(corpus.items["label"].fillna("-")) == ["-", "jazz", "rock", "rock"]
    assert corpus.reference.columns.tolist() == ["item_id"]
    assert len(folder.corpus(music_folder, n_clips=2, seed=1)) == 2


def test_folder_reference_csv_keyed_by_path_name_or_stem(music_folder, tmp_path, caplog):
    csv = tmp_path / "ref.csv"
    pd.DataFrame(
        {
            "file": ["rock/a.wav", "b.flac", "c", "zzz.wav"],
            "tempo": [120.0, 90.0, 100.0, 1.0],
            "energy": [0.9, 0.5, 0.2, 0.0],
            "genre": ["rock", "rock", "jazz", "x"],
        }
    ).to_csv(csv, index=False)
    with caplog.at_level(logging.WARNING):
        corpus = folder.corpus(music_folder, reference_csv=csv, label_column="genre")
    ref = corpus.reference.set_index("item_id")
    assert ref.loc["rock/a.wav", "tempo"] == 120 and ref.loc["rock/b.flac", "tempo"] == 90
    assert ref.loc["jazz/c.ogg", "energy"] == 0.2 and "d.wav" not in ref.index
    assert list(ref.columns) == ["tempo", "energy"]
    assert corpus.items.set_index("item_id").loc["jazz/c.ogg", "label"] == "jazz"
    assert "1 of 4 audio files have no row" in caplog.text
    with pytest.raises(ValueError, match="no key column 'name'"):
        folder.corpus(music_folder, reference_csv=csv, key_column="name")
    with pytest.raises(ValueError, match="path="):
        inputs.load_source("folder")


# --- deezer (recorded HTTP, no network) ---------------------------------------------------------
@responses.activate
def test_deezer_source_downloads_previews_and_keeps_spotify_features(tmp_project_dirs):
    mp3 = config.FMA_CLIP.read_bytes()
    responses.add(
        responses.GET,
        "https://cdn.example/preview/1.mp3",
        body=mp3,
        content_type="audio/mpeg",
        status=200,
    )
    responses.add(
        responses.GET,
        "https://cdn.example/preview/2.mp3",
        body="<html>gone</html>",
        content_type="text/html",
        status=200,
    )
    tracks = pd.DataFrame(
        {
            "track_id": ["t1", "t2", "t1"],
            "deezer_preview_url": [
                "https://cdn.example/preview/1.mp3",
                "https://cdn.example/preview/2.mp3",
                "https://cdn.example/preview/1.mp3",
            ],
            "genre": ["rap", "pop", "rap"],
            "tempo": [166.0, 120.0, 166.0],
            "energy": [0.6, 0.7, 0.6],
            "key": [1, 5, 1],
            "mode": [1, 0, 1],
            "track_name": ["a", "b", "a"],
        }
    )
    corpus = inputs.load_source(
        "deezer",
        tracks=tracks,
        n_clips=0,
        session=requests.Session(),
        api_session=requests.Session(),
        progress=False,
    )
    assert list(corpus.items["item_id"]) == ["t1"] and list(corpus.items["label"]) == ["rap"]
    assert os.path.exists(corpus.items["path"][0])
    assert corpus.reference.set_index("item_id").loc["t1", "tempo"] == 166.0
    assert set(corpus.reference.columns) == {"item_id", "energy", "tempo", "key", "mode"}
    assert (
        list(corpus.failures["item_id"]) == ["t2"] and "not audio" in corpus.failures["reason"][0]
    )
    with pytest.raises(ValueError, match="isrc"):
        inputs.load_source("deezer", tracks=tracks.drop(columns="deezer_preview_url"))
    with pytest.raises(ValueError, match="collected tracks"):
        inputs.load_source("deezer")


def test_from_params_dispatches_on_the_notebook_parameters(
    music_folder, fma_tree, tmp_path, tmp_project_dirs
):
    syn = inputs.audio_corpus("synthetic", n_clips=4, seed=1)
    assert syn.name == "synthetic" and len(syn) == 4
    assert len(inputs.audio_corpus("fma", audio_path=str(fma_tree), n_clips=0)) == 1
    by_folder = inputs.audio_corpus("folder", audio_path=str(music_folder))
    assert by_folder.label_name == "folder" and "rock" in set(by_folder.items["label"])
    csv = tmp_path / "ref.csv"
    pd.DataFrame({"file": ["a.wav"], "genre": ["punk"], "tempo": [180.0]}).to_csv(csv, index=False)
    with_csv = inputs.audio_corpus("folder", audio_path=str(music_folder), reference_csv=str(csv))
    assert with_csv.label_name == "genre"
    assert with_csv.items.set_index("item_id").loc["rock/a.wav", "label"] == "punk"
    with pytest.raises(ValueError, match="collected tracks"):
        inputs.audio_corpus("deezer")
    with pytest.raises(ValueError, match="unknown audio source"):
        inputs.audio_corpus("radio")


# --- scores: real compositions rendered from their scores -----------------------------------------
from music21 import key as m21key  # noqa: E402
from music21 import meter, stream  # noqa: E402
from music21 import note as m21note  # noqa: E402
from music21 import tie as m21tie  # noqa: E402

from genrelab.audio.sources import score_catalogue, score_reading, scores  # noqa: E402
from genrelab.audio.sources import soundfont as render  # noqa: E402


def test_the_default_catalogue_is_large_varied_and_has_no_bach():
    cat = score_catalogue.catalogue()
    assert len(cat) >= 100
    assert cat["composer"].nunique() >= 8 and cat["form"].nunique() >= 6
    assert cat["piece"].is_unique
    assert not cat["path"].str.lower().str.contains("bach").any()
    assert not cat["piece"].str.lower().str.contains("bach").any()
    with pytest.raises(ValueError, match="reserved"):
        scores.generate(pd.DataFrame({"piece": ["x"], "path": ["/c/bach/bwv1.mxl"]}))


def test_the_validation_catalogue_is_bach_chorales_only():
    val = score_catalogue.validation_catalogue()
    assert len(val) == score_catalogue.VALIDATION_PIECES and val["piece"].is_unique
    assert val["piece"].str.startswith("music21:bach/bwv").all()
    assert not set(val["piece"]) & set(score_catalogue.catalogue()["piece"])


def _score(sharps: int, bass_line: list[str], *, change_to: int | None = None, metre="4/4"):
    """A two-part score: a melody over ``bass_line`` (one whole note each)."""
    top, bass = stream.Part(), stream.Part()
    for part in (top, bass):
        part.append([m21key.KeySignature(sharps), meter.TimeSignature(metre)])
    for i, name in enumerate(bass_line):
        if change_to is not None and i == len(bass_line) - 1:
            bass.append(m21key.KeySignature(change_to))
        bass.append(m21note.Note(f"{name}3", quarterLength=4))
        top.append(m21note.Note(f"{name}5", quarterLength=4))
    return stream.Score([top, bass])


@pytest.mark.parametrize(
    "sharps,bass,change,expected",
    [
        (1, ["G", "D", "G"], None, (7, 1, "")),  # G major: ends on G
        (1, ["E", "B", "E"], None, (4, 0, "")),  # E minor: ends on E
        (-3, ["C", "G", "C"], None, (0, 0, "")),  # C minor
        (1, ["A", "E", "D"], None, (-1, -1, "neither")),  # a Mixolydian-like ending
        (0, ["C", "G", "C"], 2, (-1, -1, "changes")),
    ],
)
def test_key_and_mode_from_the_signature_and_the_final_bass(sharps, bass, change, expected):
    truth = score_reading.score_truth(_score(sharps, bass, change_to=change))
    key, mode, reason = expected
    assert (truth.key, truth.mode) == (key, mode)
    assert (reason in truth.key_reason) if reason else truth.key_reason == ""
    assert truth.metre == "4/4" and truth.beat_quarters == 1.0


def test_compound_metre_beat_and_tied_notes_merged():
    part = stream.Part()
    part.append([meter.TimeSignature("6/8"), m21key.KeySignature(0)])
    first, second = m21note.Note("C4", quarterLength=1.5), m21note.Note("C4", quarterLength=1.5)
    first.tie, second.tie = m21tie.Tie("start"), m21tie.Tie("stop")
    part.append([first, second, m21note.Note("E4", quarterLength=3)])
    score = stream.Score([part])
    notes = score_reading.score_notes(score)
    assert list(notes.onset) == [0.0, 3.0] and list(notes.duration) == [3.0, 3.0]
    assert list(notes.pitch) == [60, 64]
    truth = score_reading.score_truth(score)
    assert truth.metre == "6/8" and truth.beat_quarters == 1.5


def test_instrumentations_and_tempo_draws():
    assert render.programs_for("strings", 4) == [40, 40, 41, 42]
    assert render.programs_for("piano", 3) == [0, 0, 0]
    with pytest.raises(ValueError, match="unknown instrumentation"):
        render.programs_for("kazoo", 2)
    draws = [scores.draw_rendering(f"piece{i}", 42) for i in range(200)]
    tempi = np.array([t for t, _ in draws])
    assert tempi.min() >= scores.TEMPO_RANGE[0] and tempi.max() <= scores.TEMPO_RANGE[1]
    assert {i for _, i in draws} == set(scores.DEFAULT_INSTRUMENTATIONS)
    assert draws == [scores.draw_rendering(f"piece{i}", 42) for i in range(200)]
    assert draws != [scores.draw_rendering(f"piece{i}", 43) for i in range(200)]


def test_a_folder_of_scores_is_rendered_once_and_cached(tmp_path):
    folder_ = tmp_path / "scores" / "tester"
    folder_.mkdir(parents=True)
    _score(1, ["G", "C", "D", "G"] * 2).write("musicxml", fp=folder_ / "tune.musicxml")
    (tmp_path / "scores" / "bach").mkdir()
    _score(0, ["C", "G", "C"]).write(
        "musicxml", fp=tmp_path / "scores" / "bach" / "choral.musicxml"
    )
    cat = score_catalogue.folder_catalogue(tmp_path / "scores")
    assert list(cat["composer"]) == ["tester"]  # the Bach folder is left out
    dest = tmp_path / "clips"
    corpus = scores.corpus(path=tmp_path / "scores", dest=dest, duration=6.0, seed=1)
    assert len(corpus) == 1 and corpus.failures.empty
    ref = corpus.reference.iloc[0]
    tempo, instrumentation = scores.draw_rendering(cat["piece"].iloc[0], 1)
    assert ref["tempo"] == tempo and (ref["key"], ref["mode"]) == (7, 1)
    # its level is measured from the rendering: a reference column, but not the score's truth
    assert "loudness" in corpus.reference and corpus.measured == ("loudness",)
    # what the score itself says of the texture: notes a second of the clip, and its voices
    assert ref["voices"] == corpus.details["n_parts"].iloc[0]
    assert ref["note_rate"] == pytest.approx(corpus.details["n_notes"].iloc[0] / 6.0)
    assert corpus.details["instrumentation"].iloc[0] == instrumentation
    y, sr = sf.read(corpus.items["path"].iloc[0])
    assert sr == 22050 and len(y) == 6 * 22050 and np.abs(y).max() > 0.3
    assert not list(dest.glob(".*tmp*")), "a temporary file was left behind"
    mtime = os.path.getmtime(corpus.items["path"].iloc[0])
    again = scores.corpus(path=tmp_path / "scores", dest=dest, duration=6.0, seed=1)
    assert os.path.getmtime(again.items["path"].iloc[0]) == mtime  # reused, not rendered again
    other = scores.corpus(path=tmp_path / "scores", dest=dest, duration=6.0, seed=2)
    assert other.items["path"].iloc[0] != corpus.items["path"].iloc[0]  # another tempo: new file
    assert inputs.load_source("scores", path=tmp_path / "scores", dest=dest, duration=6.0, seed=1)


def test_an_unreadable_score_is_a_failure_with_its_reason(tmp_path):
    (tmp_path / "broken.musicxml").write_text("<score-partwise><oops")
    corpus = scores.corpus(path=tmp_path, dest=tmp_path / "clips", duration=4.0)
    assert len(corpus) == 0
    assert "music21 cannot read it" in corpus.failures["reason"].iloc[0]


def test_folder_scan_logs_and_counts_the_links_of_a_symlink_loop(music_folder, caplog):
    """Issue 26: the links of a loop (and links to nothing or to a folder) were dropped without
    a word; they are logged with path and reason and listed among the corpus's failures."""
    os.symlink("loop_b.wav", music_folder / "loop_a.wav")
    os.symlink("loop_a.wav", music_folder / "loop_b.wav")
    os.symlink("self.wav", music_folder / "rock" / "self.wav")
    os.symlink("gone.wav", music_folder / "dangling.wav")
    os.symlink("..", music_folder / "jazz" / "up")
    with caplog.at_level(logging.WARNING):
        corpus = folder.corpus(music_folder, label_from_folder=True)
    assert list(corpus.items["item_id"]) == ["d.wav", "jazz/c.ogg", "rock/a.wav", "rock/b.flac"]
    reasons = corpus.failures.set_index("item_id")["reason"]
    assert sorted(reasons.index) == [
        "dangling.wav",
        "jazz/up",
        "loop_a.wav",
        "loop_b.wav",
        "rock/self.wav",
    ]
    assert "loop of symbolic links" in reasons["loop_a.wav"]
    assert "loop of symbolic links" in reasons["rock/self.wav"]
    assert "to nothing" in reasons["dangling.wav"] and "to a folder" in reasons["jazz/up"]
    assert f"skipped {music_folder / 'loop_b.wav'}: a loop of symbolic links" in caplog.text
    no_batch_failures = pd.DataFrame(columns=["file", "reason"])
    assert len(audio.failures_table(corpus.failures, no_batch_failures)) == 5  # "5 skipped"


def test_the_soundfont_is_in_the_cache_key_and_the_clip_metadata(tmp_path):
    """Two fonts render two clips of one piece (never one reused for the other), each clip's
    details name its font, and the reserved fonts render only for the validation."""
    extra = render.installed_soundfonts()
    if len(extra) < 2:
        pytest.skip("needs a second development soundfont: make soundfonts")
    folder_ = tmp_path / "scores" / "tester"
    folder_.mkdir(parents=True)
    _score(1, ["G", "C", "D", "G"]).write("musicxml", fp=folder_ / "tune.musicxml")
    dest = tmp_path / "clips"  # one folder for both: the sidecar's font keeps them apart
    a = scores.corpus(path=tmp_path / "scores", dest=dest, duration=4.0, soundfont=extra[0])
    b = scores.corpus(path=tmp_path / "scores", dest=dest, duration=4.0, soundfont=extra[1])
    assert list(a.details["soundfont"]) == [extra[0]] and list(b.details["soundfont"]) == [extra[1]]
    y_b = sf.read(b.items["path"].iloc[0])[0]
    again = scores.corpus(path=tmp_path / "scores", dest=dest, duration=4.0, soundfont=extra[0])
    assert list(again.details["soundfont"]) == [extra[0]]
    assert not np.array_equal(sf.read(again.items["path"].iloc[0])[0], y_b)
    # the default folders differ by font
    assert scores.default_dir(4.0, soundfont=render.soundfont_file(extra[1])) != scores.default_dir(
        4.0
    )


def test_the_reserved_soundfonts_are_refused_while_developing(tmp_path):
    assert render.is_reserved_soundfont("FluidR3") and render.is_reserved_soundfont(
        "MuseScoreGeneral"
    )
    assert render.is_reserved_soundfont(tmp_path / "FluidR3_GM.sf2")
    assert not any(render.is_reserved_soundfont(n) for n in render.DEVELOPMENT_SOUNDFONTS)
    assert not render.is_reserved_soundfont(None)
    pieces = pd.DataFrame({"piece": ["x"], "path": [str(tmp_path / "x.musicxml")]})
    with pytest.raises(ValueError, match="reserved"):
        scores.generate(pieces, soundfont="FluidR3", dest=tmp_path)
    with pytest.raises(ValueError, match="unknown soundfont"):
        render.soundfont_file("Kazoo")
    missing = render.DEBIAN_SF2 / "sf_GMbank.sf2"
    if not missing.exists():
        with pytest.raises(render.SoundfontMissing, match="apt-get install csound-soundfont"):
            render.soundfont_file("GMbank")
