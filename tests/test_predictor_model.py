"""The genre predictor's model side (genrelab.predictor.model, .proba), without ipywidgets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from fixtures.models import RUNSTRING, crafted_skops, make_model_run, payload, save_mapping
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from genrelab import classify, config, persist, runs, schema, tables
from genrelab.predictor import model as pm
from genrelab.predictor.proba import ProbaFunction


@pytest.fixture(scope="module")
def snapshot():
    return tables.snapshot_tracks()


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    return make_model_run(tmp_path_factory.mktemp("predictor-model") / "runs")


@pytest.fixture(scope="module")
def model(model_run, snapshot):
    mp = pytest.MonkeyPatch()
    mp.setenv("GENRELAB_RUNS_DIR", str(model_run.parent))
    try:
        yield pm.PredictorModel("latest", tracks=snapshot, gmm_max_tracks=3000)
    finally:
        mp.undo()


def test_the_model_side_does_not_import_ipywidgets():
    code = (
        "import sys, genrelab.predictor.model, genrelab.predictor.proba, genrelab.persist\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'IPython')))"
    )
    env = {**os.environ, "PYTHONPATH": str(config.PROJECT_ROOT / "lib")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --- the run --------------------------------------------------------------------------------------
def test_find_model_run_prefers_runs_latest_then_the_newest_model(tmp_project_dirs):
    root = config.runs_dir()
    for name in ["old", "new", "nomodel"]:
        (root / name).mkdir(parents=True)
    (root / "old" / runs.MODEL_FILE).write_bytes(b"x")
    (root / "new" / runs.MODEL_FILE).write_bytes(b"x")
    past = time.time() - 100
    os.utime(root / "old" / runs.MODEL_FILE, (past, past))
    assert pm.find_model_run("latest") == root / "new"
    assert pm.find_model_run("") == root / "new"
    (root / runs.LATEST).symlink_to("old")
    assert pm.find_model_run("latest") == (root / "old").resolve()
    assert pm.find_model_run("new") == root / "new"
    with pytest.raises(pm.PredictorSetupError, match="nomodel"):
        pm.find_model_run("nomodel")
    with pytest.raises(pm.PredictorSetupError, match="plain folder name"):
        pm.find_model_run("../new")


def test_latest_pointing_outside_runs_is_refused_not_written_into(tmp_project_dirs, tmp_path):
    # issue 26, runs minor: the predictor followed runs/latest anywhere and wrote its mixture there
    root = config.runs_dir()
    root.mkdir(parents=True, exist_ok=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / runs.MODEL_FILE).write_bytes(b"x")
    (root / runs.LATEST).symlink_to(elsewhere)
    with pytest.raises(pm.PredictorSetupError, match="not a run folder"):
        pm.find_model_run("latest")
    assert sorted(p.name for p in elsewhere.iterdir()) == [runs.MODEL_FILE]


def test_without_any_model_the_message_says_what_to_run(tmp_project_dirs):
    with pytest.raises(pm.PredictorSetupError, match="make report") as info:
        pm.PredictorModel("latest")
    assert "notebooks/03_classification.ipynb" in str(info.value)


def test_the_model_loads_the_run_and_says_when_latest_fell_back(model, model_run, tmp_path):
    assert model.run_dir == model_run and model.fallback  # no runs/latest: the newest run
    assert model.features == schema.AUDIO_FEATURES and model.saved.meta["name"] == "test_forest"
    result = model.predict(model.point())
    assert list(result.probabilities.index) == model.classes
    assert result.probabilities.sum() == pytest.approx(1.0)
    rap = model.predict(model.point({"speechiness": 0.45})).probabilities["rap"]
    assert rap > result.probabilities["rap"] + 0.1


def test_probabilities_are_labelled_by_the_pipeline(model):
    pipe = model.saved.pipeline
    x = model.point({"speechiness": 0.3})
    frame = pd.DataFrame([x], columns=list(pipe.feature_names_in_))
    expected = pd.Series(pipe.predict_proba(frame)[0], index=[str(c) for c in pipe.classes_])
    result = model.predict(x).probabilities
    assert list(result.index) == list(expected.index) == model.classes
    np.testing.assert_allclose(result.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "field,change",
    [
        ("classes", lambda v: v[::-1]),
        ("features", lambda v: [v[1], v[0], *v[2:]]),
        ("features", lambda v: v[:-1]),
        ("features", lambda v: [*v, "liveness_2"]),
    ],
    ids=["classes reversed", "features swapped", "features one fewer", "features one extra"],
)
def test_a_model_json_that_disagrees_with_the_model_is_refused_at_start(
    model_run, tmp_project_dirs, field, change
):
    run = config.runs_dir() / "edited"
    shutil.copytree(model_run, run)
    meta = json.loads((run / runs.MODEL_META_FILE).read_text())
    meta[field] = change(meta[field])
    (run / runs.MODEL_META_FILE).write_text(json.dumps(meta))
    with pytest.raises(persist.ModelFileError) as info:
        pm.PredictorModel("edited", gmm_max_tracks=600)
    assert runs.MODEL_META_FILE in str(info.value) and repr(field) in str(info.value)


def test_runs_latest_is_not_a_fallback(tmp_project_dirs):
    run = make_model_run(config.runs_dir(), "r2", n_tracks=600)
    (config.runs_dir() / runs.LATEST).symlink_to("r2")
    model = pm.PredictorModel("latest", gmm_max_tracks=600)
    assert model.run_dir == run.resolve() and not model.fallback


# --- a crafted file in a dropped folder -----------------------------------------------------------
def test_a_dropped_folder_with_a_crafted_model_is_refused_and_runs_nothing(tmp_project_dirs):
    marker = tmp_project_dirs / "ran"
    dropped = config.runs_dir() / "dropped"
    dropped.mkdir(parents=True)
    (dropped / runs.MODEL_FILE).write_bytes(crafted_skops(payload(marker)))
    (dropped / runs.MODEL_META_FILE).write_text("{}")
    assert pm.find_model_run("latest") == dropped  # the fallback finds it ...
    with pytest.raises(persist.UntrustedTypesError, match=RUNSTRING):
        pm.PredictorModel("latest")  # ... and the loader refuses it
    assert not marker.exists()


def test_a_crafted_mixture_cache_is_refitted_and_runs_nothing(tmp_project_dirs, caplog):
    run = make_model_run(config.runs_dir(), "r3", n_tracks=600)
    marker = tmp_project_dirs / "ran"
    (run / runs.GMM_FILE).write_bytes(crafted_skops(payload(marker)))
    (run / runs.GMM_META_FILE).write_text("{}")
    clusters = pm.cluster_model(run, max_tracks=600)
    assert clusters.posterior(np.zeros((1, 9))).shape == (1, 4)
    assert not marker.exists() and "runstring" in caplog.text
    assert persist.load_mixture(run).meta["k"] == 4  # overwritten by the refitted mixture


def test_a_crafted_mapping_is_not_used_and_says_why(tmp_project_dirs):
    run = make_model_run(config.runs_dir(), "r4", n_tracks=600)
    marker = tmp_project_dirs / "ran"
    (run / runs.MAPPING_FILE).write_bytes(crafted_skops(payload(marker)))
    (run / runs.MAPPING_META_FILE).write_text("{}")
    model = pm.PredictorModel("r4", gmm_max_tracks=600)
    assert model.mapping is None and RUNSTRING in model.mapping_error
    assert not marker.exists()


# --- genre probabilities --------------------------------------------------------------------------
def test_forest_fast_path_gives_the_pipelines_probabilities(model, snapshot):
    # the one direct path (public API only); a scikit-learn change that breaks it makes
    # ProbaFunction fall back to the pipeline, and this test fail
    assert model.proba.kind == "forest"
    X = snapshot[schema.AUDIO_FEATURES].sample(50, random_state=1)
    expected = model.saved.pipeline.predict_proba(X)
    np.testing.assert_allclose(model.proba(X.to_numpy()), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("genres", [None, ["rock", "rap"]], ids=["6 genres", "2 genres"])
def test_boosting_runs_through_the_public_predict_proba(snapshot, genres):
    # no private path for HistGradientBoosting (issue 25): its public predict_proba answers
    train = snapshot if genres is None else snapshot[snapshot["genre"].isin(genres)]
    train = train.sample(1500, random_state=3)
    pipe = classify.make_pipeline_for(
        HistGradientBoostingClassifier(max_iter=25, random_state=0), "audio"
    )
    with threadpool_limits(1):
        pipe.fit(train[schema.AUDIO_FEATURES], train["genre"])
    f = ProbaFunction(pipe, schema.AUDIO_FEATURES)
    assert f.kind == "pipeline"
    X = snapshot[schema.AUDIO_FEATURES].sample(80, random_state=4).to_numpy()
    X[::4, 3] = np.nan  # missing values follow each split's learned side
    with threadpool_limits(1):
        expected = pipe.predict_proba(pd.DataFrame(X, columns=schema.AUDIO_FEATURES))
    np.testing.assert_array_equal(f(X), expected)


def test_a_direct_path_that_disagrees_is_not_used(model, monkeypatch):
    monkeypatch.setattr(ProbaFunction, "__call__", lambda self, X: np.full((len(X), 6), 1 / 6))
    f = ProbaFunction(model.saved.pipeline, model.features)
    assert f.kind == "pipeline"


def test_other_pipelines_run_as_they_are(snapshot):
    train = snapshot.sample(600, random_state=2)
    pipe = classify.make_pipeline_for(LogisticRegression(max_iter=500), "audio").fit(
        train[schema.AUDIO_FEATURES], train["genre"]
    )
    f = ProbaFunction(pipe, schema.AUDIO_FEATURES)
    assert f.kind == "pipeline"
    X = snapshot[schema.AUDIO_FEATURES].head(5)
    np.testing.assert_allclose(f(X.to_numpy()), pipe.predict_proba(X), atol=1e-12)


# --- the mixture ----------------------------------------------------------------------------------
def test_the_mixture_takes_k_from_metrics_json(model, model_run):
    post = model.predict(model.point()).cluster_posterior
    assert len(post) == 4 and post.sum() == pytest.approx(1.0)  # gmm.k_bic of the run
    assert post.index[0].startswith("cluster 1: ")
    assert (model_run / runs.GMM_FILE).exists() and (model_run / runs.GMM_META_FILE).exists()


def test_cluster_model_is_cached_and_refitted_when_k_changes(model, model_run):
    cached = pm.cluster_model(model_run, max_tracks=3000)
    again = pm.cluster_model(model_run, max_tracks=3000)
    x = np.zeros((1, 9)) + 0.5
    np.testing.assert_allclose(cached.posterior(x), again.posterior(x))
    assert again.meta["source"] == "snapshot" and again.meta["n_tracks"] == 3000
    three = pm.cluster_model(model_run, k=3, max_tracks=3000)
    assert three.posterior(x).shape == (1, 3)
    assert json.loads((model_run / runs.GMM_META_FILE).read_text())["k"] == 3
    pm.cluster_model(model_run, max_tracks=3000)  # leave the cache as the model had it


# --- tracks ---------------------------------------------------------------------------------------
def test_track_index_search_ranks_exact_names_first():
    tracks = pd.DataFrame(
        {
            "track_name": ["Intro to Love", "Love", "Lovely"],
            "track_artist": ["A", "B", "C"],
            "track_popularity": [90, 10, 50],
            "genre": ["pop"] * 3,
            **{f: [0.1, 0.2, 0.3] for f in schema.CONTINUOUS_FEATURES},
        }
    )
    index = pm.TrackIndex(tracks)
    assert index.search("LOVE")["track_name"].tolist() == ["Love", "Lovely", "Intro to Love"]
    assert index.search("").empty and index.search("nothing").empty
    near = index.nearest({f: 0.29 for f in schema.CONTINUOUS_FEATURES}, n=2)
    assert near["track_name"].tolist() == ["Lovely", "Love"]


def test_a_tracks_nearest_neighbour_is_itself(model):
    tracks = model.index.tracks
    for row in [0, 10, 100]:
        t = tracks.iloc[row]
        near = model.predict(model.point(t[schema.AUDIO_FEATURES].to_dict()), 1).neighbors
        assert near.iloc[0]["track_id"] == t["track_id"]
        assert near.iloc[0]["distance"] == pytest.approx(0, abs=1e-9)


# --- audio files ----------------------------------------------------------------------------------
def test_a_bad_audio_file_is_an_error_not_an_exception(model):
    result = model.analyse_audio("song.mp3", b"this is not audio at all" * 50)
    assert result.features is None and result.error
    assert model.analyse_audio("empty.wav", b"").error


def test_audio_with_a_mapping_gives_the_reference_features(model, tmp_path):
    save_mapping(tmp_path)
    mapping = pm.read_aubio_mapping(tmp_path)
    assert pm.read_aubio_mapping(tmp_path / "nothing") is None
    model.mapping = None
    plain = model.analyse_audio("clip.mp3", config.FMA_CLIP.read_bytes())
    assert plain.features["tempo"] > 0 and plain.reference is None and plain.error is None
    model.mapping = mapping
    try:
        mapped = model.analyse_audio("clip.mp3", config.FMA_CLIP.read_bytes())
    finally:
        model.mapping = None
    ref = mapped.reference
    assert set(ref) == set(schema.AUDIO_FEATURES)
    assert ref["tempo"] == pytest.approx(mapped.features["tempo"])
    assert ref["duration_ms"] == pytest.approx(mapped.features["duration"] * 1000)
    with pytest.raises(ValueError, match="needs descriptor"):
        mapping.reference_features({"tempo": 120.0})
