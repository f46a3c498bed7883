"""A second hostile probe (issue 26's last item): new inputs that broke, each with its test.

Tables (a column named twice, durations that wrap, blank labels), parameters (numbers as
section names, NaN, choices, a URL with a password), HTTP (answers that break off after the
retries), model files (slider ranges that are not numbers, a folder for a model) and the
predictor's mixture (fewer tracks than components). /tmp/probe-cases.md lists every case tried.
"""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pandas as pd
import pytest
import requests
from fixtures.models import make_model_run
from fixtures.spotify.fakeapi import answer, fake_api, genrelab_env, load  # noqa: F401  (pytest fixtures)

from genrelab import persist, runs, tables
from genrelab.collect import deezer, http, reccobeats
from genrelab.predictor import clusters
from genrelab.report import ParameterError, execute


# --- tables ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rows():
    return tables.read_tracks().drop(columns=["genre"]).head(30)


def test_a_column_named_twice_is_refused_naming_it(tmp_path, rows):
    path = tmp_path / "twice.csv"
    path.write_text(rows.to_csv(index=False).replace("energy", "danceability", 1))
    with pytest.raises(tables.DataValidationError, match=r"twice.csv.*\['danceability'\].*once"):
        tables.read_tracks(path)


def test_a_duration_too_large_for_an_integer_is_named_not_wrapped(tmp_path, rows):
    bad = rows.astype({"duration_ms": float})
    bad.loc[2, "duration_ms"], bad.loc[3, "tempo"] = 1e20, 1e308
    path = tmp_path / "huge.csv"
    bad.to_csv(path, index=False)
    valid, problems = tables.validate_tracks(tables.read_tracks(path), invalid="drop")
    assert (valid["duration_ms"] > 0).all() and len(valid) == len(rows) - 2
    assert set(problems["column"]) == {"duration_ms", "tempo"}


def test_a_label_of_spaces_is_a_missing_label(tmp_path, rows):
    bad = rows.copy()
    bad.loc[:2, "playlist_genre"] = "   "
    path = tmp_path / "blank.csv"
    bad.to_csv(path, index=False)
    valid, problems = tables.validate_tracks(tables.read_tracks(path), invalid="drop")
    assert "   " not in set(valid["genre"]) and len(valid) == len(rows) - 3
    assert set(problems["problem"]) == {"blank (only spaces)"}


# --- parameters -----------------------------------------------------------------------------------
def _plan(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return execute.plan_run(path, "probe", execute.numbered_notebooks())


def test_a_number_as_section_name_is_a_sentence_not_a_traceback(tmp_path):
    with pytest.raises(ParameterError, match="1 is not a parameter or section name"):
        _plan(tmp_path, "01:\n  max_tracks: 3\n")


@pytest.mark.parametrize("text", ["04_gmm_vs_aubio:\n  tol: .nan\n", "seed: .inf\n"])
def test_nan_and_infinity_are_refused(tmp_path, text):
    with pytest.raises(ParameterError, match="finite|must be"):
        _plan(tmp_path, text)


@pytest.mark.parametrize(
    "text, key",
    [
        ("01_collection:\n  invalid_rows: ignore\n", "invalid_rows"),
        ("01_collection:\n  source: snapshöt\n", "source"),
        ("02_eda:\n  dedup_policy: everything\n", "dedup_policy"),
    ],
)
def test_a_choice_outside_its_list_is_refused_before_anything_runs(tmp_path, text, key):
    with pytest.raises(ParameterError, match=f"{key} must be one of"):
        _plan(tmp_path, text)


def test_a_url_with_a_password_as_data_path_is_refused_without_echoing_it(tmp_path):
    text = "01_collection:\n  data_path: https://me:hunter2@example.com/t.csv\n"
    with pytest.raises(ParameterError, match="is a URL") as err:
        _plan(tmp_path, text)
    assert "hunter2" not in str(err.value)


# --- HTTP -----------------------------------------------------------------------------------------
CAT = load("catalogue")
DEEZER = {
    i["url"].rsplit(":", 1)[1]: i["body"]
    for i in CAT["interactions"]
    if "api.deezer.com" in i["url"]
}
KNOWN = [isrc for isrc, body in DEEZER.items() if "error" not in body]
BROKEN = {
    "dropped_mid_body": requests.exceptions.ChunkedEncodingError("IncompleteRead (simulated)"),
    "read_timeout": requests.exceptions.ReadTimeout("read timed out (simulated)"),
}


@pytest.mark.usefixtures("genrelab_env")
@pytest.mark.parametrize("kind", [*BROKEN, "gzip_garbage"])
def test_deezer_answer_that_keeps_breaking_skips_the_row_and_the_batch_goes_on(fake_api, kind):
    bad, good = KNOWN[0], KNOWN[1]
    broken = BROKEN.get(kind) or {
        "status": 200,
        "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        "body": b"\x1f\x8b\x08not gzip",
    }
    fake_api.set("GET", deezer.track_url(bad), broken)
    table = deezer.lookup_isrcs([bad, good], session=http.session(), progress=False)
    assert table["isrc"].tolist() == [good]
    assert "retry later" in table.attrs["skipped"][bad]


@pytest.mark.usefixtures("genrelab_env")
def test_reccobeats_batch_that_keeps_breaking_is_missing_and_the_others_go_on(fake_api):
    ids = CAT["facts"]["track_order"]
    fake_api.set("GET", reccobeats.features_url(ids[:40]), BROKEN["dropped_mid_body"])
    frame, missing = reccobeats.audio_features(ids, session=http.session(), progress=False)
    assert set(ids[:40]) <= set(missing) and len(frame) == len(ids) - 40


@pytest.mark.usefixtures("genrelab_env")
def test_deezer_negative_or_infinite_bpm_is_left_empty(fake_api, caplog):
    isrc = KNOWN[0]
    fake_api.set("GET", deezer.track_url(isrc), answer(200, dict(DEEZER[isrc], bpm=-120)))
    with caplog.at_level(logging.WARNING):
        row = deezer.track_by_isrc(isrc, http.session())
    assert np.isnan(row["deezer_bpm"]) and "bpm -120" in caplog.text


# --- model files and the predictor's mixture ------------------------------------------------------
@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    return make_model_run(tmp_path_factory.mktemp("runs"), n_tracks=600)


def _copy(model_run, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(model_run, run)
    return run


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "inverted"])
def test_slider_ranges_that_are_not_ordered_numbers_are_refused_at_load(model_run, tmp_path, value):
    run = _copy(model_run, tmp_path)
    meta = json.loads((run / runs.MODEL_META_FILE).read_text())
    entry = meta["feature_ranges"]["tempo"]
    if value == "inverted":
        entry["min"], entry["max"] = entry["max"], entry["min"]
    else:
        entry["median"] = value
    (run / runs.MODEL_META_FILE).write_text(json.dumps(meta))
    with pytest.raises(persist.ModelFileError, match="model.json.*feature_ranges.*'tempo'"):
        persist.load_model(run)


def test_a_folder_in_place_of_the_model_is_a_model_file_error(model_run, tmp_path):
    run = _copy(model_run, tmp_path)
    (run / runs.MODEL_FILE).unlink()
    (run / runs.MODEL_FILE).mkdir()
    with pytest.raises(persist.ModelFileError, match="not a file"):
        persist.load_model(run)


@pytest.mark.parametrize("k", [-1, "four", 10**6])
def test_the_predictor_mixture_survives_a_k_it_cannot_fit(model_run, tmp_path, k, caplog):
    run = _copy(model_run, tmp_path)
    (run / runs.METRICS_FILE).write_text(json.dumps({"gmm": {"k_bic": k}}))
    tracks = tables.snapshot_tracks().head(50)
    with caplog.at_level(logging.WARNING):
        model = clusters.cluster_model(run, max_tracks=20, tracks=tracks)
    assert model.posterior(tracks[model.features].to_numpy()[:1]).shape[0] == 1
    assert "k = " in caplog.text


def test_gmm_max_tracks_below_k_fits_fewer_clusters(model_run, tmp_path):
    run = _copy(model_run, tmp_path)
    model = clusters.cluster_model(run, max_tracks=3, tracks=tables.snapshot_tracks().head(40))
    assert len(model.labels()) <= 3


def test_a_label_column_of_ids_names_a_few_labels_not_all():
    from genrelab import classify

    df = pd.DataFrame({"genre": [f"id{i}" for i in range(500)], "x": np.arange(500.0)})
    with pytest.raises(classify.TrainingDataError, match="490 more.*an id") as err:
        classify.pipelines.check_training_frame(df, ["x"])
    assert len(str(err.value)) < 600
