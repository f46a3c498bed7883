"""The genre predictor widget (genrelab.predictor.widget) on a small saved model, no browser."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np
import pytest
from fixtures.models import RUNSTRING, crafted_skops, make_model_run, payload, save_mapping
from fixtures.spotify.fakeapi import fake_api, genrelab_env, load  # noqa: F401  (pytest fixtures)

from genrelab import config, runs, schema, tables
from genrelab.collect import errors
from genrelab.predictor import model as pm
from genrelab.predictor.widget import GenrePredictor


@pytest.fixture(scope="module")
def snapshot():
    return tables.snapshot_tracks()


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    return make_model_run(tmp_path_factory.mktemp("predictor") / "runs")


@pytest.fixture(scope="module")
def module_widget(model_run, snapshot):
    mp = pytest.MonkeyPatch()
    mp.setenv("GENRELAB_RUNS_DIR", str(model_run.parent))
    try:
        yield GenrePredictor("latest", tracks=snapshot, gmm_max_tracks=3000)
    finally:
        mp.undo()


@pytest.fixture
def widget(module_widget):
    """The module's widget, back at the medians, without a mapping."""
    module_widget.model.mapping = None
    module_widget.reset()
    return module_widget


def slider_value(w, feature):
    return w.values()[feature]


# --- the run and the model ------------------------------------------------------------------------
def test_widget_loads_the_run_and_starts_at_the_medians(widget, model_run):
    assert widget.error is None and widget.run_dir == model_run
    ranges = widget.model.meta["feature_ranges"]
    for f in ["danceability", "energy", "tempo", "loudness"]:
        assert slider_value(widget, f) == pytest.approx(ranges[f]["median"], abs=0.51), f
    assert widget.sliders["key"].label.startswith(schema.PITCH_CLASSES[widget.sliders["key"].value])
    assert {o[0] for o in widget.sliders["mode"].options} == {"major", "minor"}
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_no_saved_model_shows_what_to_run_instead_of_raising(tmp_project_dirs):
    empty = GenrePredictor("latest")
    assert "make report" in empty.error and "notebooks/03_classification.ipynb" in empty.error
    assert "make report" in empty.ui.children[1].value  # shown in the widget
    named = GenrePredictor("no_such_run")
    assert "'no_such_run'" in named.error and "model.skops" in named.error
    broken = config.runs_dir() / "broken"
    broken.mkdir(parents=True)
    (broken / runs.MODEL_FILE).write_bytes(b"not a skops file")
    (broken / runs.MODEL_META_FILE).write_text("{}")
    bad = GenrePredictor("broken")
    assert bad.error.startswith("could not load the saved classifier: ")
    assert f"{broken / runs.MODEL_FILE} is not a skops file" in bad.error


# --- sliders -> probabilities ---------------------------------------------------------------------
def test_moving_a_slider_updates_the_probabilities(widget):
    p0 = widget.probabilities.copy()
    assert p0.sum() == pytest.approx(1.0) and list(p0.index) == widget.classes
    html0 = widget.probs_html.value
    widget.sliders["speechiness"].value = widget.sliders[
        "speechiness"
    ].max  # the observer recomputes
    p1 = widget.probabilities
    assert p1.sum() == pytest.approx(1.0) and (p1 >= 0).all()
    assert p1["rap"] > p0["rap"] + 0.1  # a lot of speech: rap
    assert widget.probs_html.value != html0 and f"{100 * p1['rap']:.0f}%" in widget.probs_html.value
    assert widget.last_update_ms > 0


def test_each_feature_that_matters_moves_the_probabilities(widget):
    changed = []
    for f in ["danceability", "energy", "speechiness", "acousticness", "tempo", "duration_ms"]:
        widget.reset()
        p0 = widget.probabilities.copy()
        s = widget.sliders[f]
        s.value = s.min
        if np.abs(widget.probabilities - p0).max() > 0.02:
            changed.append(f)
    assert len(changed) >= 4, changed


def test_duration_slider_is_in_minutes_and_the_model_reads_milliseconds(widget):
    widget.sliders["duration_ms"].value = 3.5
    assert widget.values()["duration_ms"] == pytest.approx(210_000)
    assert widget.point()[widget.features.index("duration_ms")] == pytest.approx(210_000)


def test_cluster_posterior_and_neighbours_follow_the_point(widget, model_run):
    post = widget.cluster_posterior
    assert len(post) == 4 and post.sum() == pytest.approx(1.0)  # k from the run's metrics.json
    assert post.index[0].startswith("cluster 1: ")
    assert (model_run / runs.GMM_FILE).exists() and (model_run / runs.GMM_META_FILE).exists()
    assert (
        len(widget.neighbors) == widget.n_neighbors
        and widget.neighbors["distance"].is_monotonic_increasing
    )
    assert widget.neighbors.iloc[0]["track_name"] in widget.neighbors_html.value


# --- presets, search ------------------------------------------------------------------------------
def test_genre_preset_sets_the_sliders_to_that_genres_medians(widget):
    medians = widget.model.meta["genre_medians"]["rock"]
    widget.genre_preset.value = "rock"
    for f in ["danceability", "energy", "acousticness", "valence", "loudness"]:
        s = widget.sliders[f]
        assert slider_value(widget, f) == pytest.approx(
            np.clip(medians[f], s.min, s.max), abs=s.step / 2 + 1e-9
        ), f
    assert widget.values()["mode"] == round(medians["mode"])
    assert "rock" in widget.status.value
    energy = widget.sliders["energy"]
    energy.value = (
        energy.value + 0.4 * energy.step
    )  # the page's slider snapping a value: still the preset
    assert widget.genre_preset.value == "rock" and "rock" in widget.status.value
    energy.value = 0.1  # a person's move leaves the preset
    assert widget.genre_preset.value == "" and "rock" not in widget.status.value


def test_search_lists_matches_and_sets_the_sliders_to_the_first(widget):
    found = widget.find("daft punk")
    assert len(found) >= 2 and found["track_artist"].str.lower().str.contains("daft punk").all()
    assert len(widget.matches.options) == len(found)
    first = found.iloc[0]
    for f in ["danceability", "energy", "valence", "speechiness"]:
        s = widget.sliders[f]
        assert slider_value(widget, f) == pytest.approx(
            np.clip(first[f], s.min, s.max), abs=s.step / 2 + 1e-9
        ), f
    assert html.escape(first["track_name"]) in widget.status.value
    second = found.iloc[1]
    widget.matches.value = widget.matches.options[1][1]  # picking another match moves the sliders
    assert slider_value(widget, "energy") == pytest.approx(second["energy"], abs=0.005 + 1e-9)
    assert widget.matches.value == widget.matches.options[1][1]
    widget.genre_preset.value = "edm"  # another control: the match is no longer selected
    assert widget.matches.value is None


def test_search_typed_in_the_box_and_a_search_without_match(widget):
    widget.search.value = "Counting Stars"
    assert widget.matches.options and widget.matches.options[0][0].startswith("Counting Stars")
    widget.search.value = "zzqx no such track"
    assert "no snapshot track or artist matches" in widget.search_message.value
    widget.search.value = ""


def test_a_tracks_nearest_neighbour_is_itself(widget):
    inside = widget.model.index.tracks
    for f in schema.CONTINUOUS_FEATURES:
        s = widget.sliders[f]
        inside = inside[(inside[f] >= s.min) & (inside[f] <= s.max)]
    for row in inside.index[:5]:
        widget.show_track(int(row))
        near = widget.neighbors.head(3).set_index("track_id")["distance"]
        tid = widget.model.index.tracks.iloc[int(row)]["track_id"]
        assert tid in near.index and near[tid] < 0.1  # off only by the sliders' steps
        # the exact values: the track itself at distance 0
        exact = widget.model.index.nearest(
            widget.model.index.tracks.iloc[int(row)][schema.CONTINUOUS_FEATURES].to_dict(), 1
        )
        assert exact.iloc[0]["track_id"] == tid and exact.iloc[0]["distance"] == pytest.approx(
            0, abs=1e-9
        )


# --- Spotify --------------------------------------------------------------------------------------
def test_spotify_box_without_credentials_says_so_in_the_widget(
    widget, tmp_project_dirs, monkeypatch
):
    monkeypatch.delenv("SPOTIPY_CLIENT_ID", raising=False)
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET", raising=False)
    before = widget.values()
    widget.spotify_box.value = "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
    widget.spotify_button.click()  # nothing raised
    msg = widget.spotify_message.value
    assert "gl-error" in msg and "SPOTIPY_CLIENT_ID" in msg and "credentials are missing" in msg
    assert widget.values() == before
    assert (
        widget.analyse_spotify("  ") is False
        and "Paste a Spotify track id" in widget.spotify_message.value
    )


def test_spotify_track_with_credentials_moves_the_sliders(widget, fake_api):
    tid = load("library")["facts"]["analysis_id"]
    with pytest.warns(
        errors.FeaturesSourceWarning
    ):  # the fixtures: 403 on audio-features, then ReccoBeats
        assert widget.analyse_spotify(tid) is True
    ref = (
        tables.load_tracks(invalid="drop")
        .drop_duplicates("track_id")
        .set_index("track_id")
        .loc[tid]
    )
    for f in ["danceability", "energy", "valence", "tempo"]:
        s = widget.sliders[f]
        assert slider_value(widget, f) == pytest.approx(
            np.clip(ref[f], s.min, s.max), abs=s.step / 2 + 1e-9
        ), f
    assert "reccobeats" in widget.spotify_message.value and "gl-ok" in widget.spotify_message.value


# --- audio upload ---------------------------------------------------------------------------------
def test_bad_upload_shows_an_error_in_the_widget(widget):
    before = widget.values()
    assert widget.analyse_upload("song.mp3", b"this is not audio at all" * 50) is None
    assert (
        "gl-error" in widget.upload_message.value
        and "Could not analyse song.mp3" in widget.upload_message.value
    )
    widget.upload.value = (
        {
            "name": "empty.wav",
            "type": "audio/wav",
            "size": 0,
            "content": memoryview(b""),
            "last_modified": datetime.now(UTC),
        },
    )  # through the FileUpload widget
    assert (
        "Could not analyse empty.wav" in widget.upload_message.value
        and "empty" in widget.upload_message.value
    )
    assert widget.values() == before


def test_good_upload_shows_aubio_features_and_says_there_is_no_mapping(widget):
    feats = widget.analyse_upload("fma_000002.mp3", config.FMA_CLIP.read_bytes())
    assert feats is not None and feats["tempo"] > 0
    msg = widget.upload_message.value
    assert "tempo (BPM)" in msg and f"{feats['tempo']:.1f}" in msg
    assert "no aubio-&gt;Spotify mapping in this run" in msg


def test_upload_with_a_mapping_gives_genre_probabilities(widget, model_run, tmp_path):
    save_mapping(tmp_path)
    widget.model.mapping = pm.read_aubio_mapping(tmp_path)
    p0 = widget.probabilities.copy()
    feats = widget.analyse_upload("clip.mp3", config.FMA_CLIP.read_bytes())
    ref = widget.model.mapping.reference_features(feats)
    assert ref["tempo"] == pytest.approx(feats["tempo"]) and ref["duration_ms"] == pytest.approx(
        feats["duration"] * 1000
    )
    s = widget.sliders["energy"]
    assert slider_value(widget, "energy") == pytest.approx(
        np.clip(ref["energy"], s.min, s.max), abs=s.step / 2 + 1e-9
    )
    assert "Mapped to the model" in widget.upload_message.value
    assert widget.probabilities.sum() == pytest.approx(1.0) and not widget.probabilities.equals(p0)


# --- what the page shows for a refused file -------------------------------------------------------
def test_a_crafted_model_file_is_a_message_in_the_page_and_runs_nothing(tmp_project_dirs):
    marker = tmp_project_dirs / "ran"
    dropped = config.runs_dir() / "dropped"
    dropped.mkdir(parents=True)
    (dropped / runs.MODEL_FILE).write_bytes(crafted_skops(payload(marker)))
    (dropped / runs.MODEL_META_FILE).write_text("{}")
    page = GenrePredictor("latest")  # the newest run with a model.skops: the dropped folder
    assert page.model is None and RUNSTRING in page.error and "Refused" in page.error
    shown = page.ui.children[1].value
    assert "gl-error" in shown and RUNSTRING in shown and "Traceback" not in shown
    assert not marker.exists()


def test_the_page_says_when_latest_fell_back_to_another_run(widget):
    assert widget.model.fallback
    assert "runs/latest has no saved classifier" in widget.header.value


def test_a_crafted_mapping_is_shown_in_the_upload_panel(tmp_project_dirs, snapshot):
    run = make_model_run(config.runs_dir(), "r5", n_tracks=600)
    marker = tmp_project_dirs / "ran"
    (run / runs.MAPPING_FILE).write_bytes(crafted_skops(payload(marker)))
    (run / runs.MAPPING_META_FILE).write_text("{}")
    page = GenrePredictor("r5", tracks=snapshot.head(500), gmm_max_tracks=600)
    assert page.error is None and page.model.mapping is None
    assert "gl-error" in page.upload_message.value and RUNSTRING in page.upload_message.value
    assert page.probabilities.sum() == pytest.approx(1.0)  # the rest of the page works
    assert not marker.exists()
