"""Tables with few labels, conflicting labels or none, through the whole report (issue 26: majors
3 and 4, "a table without genres"). Each is a small CSV built from the embedded snapshot and run
with the quick parameters, ``source: file`` and a few synthetic clips for notebook 04's part 2."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest
import yaml

from genrelab import config, report, tables
from genrelab.predictor.widget import GenrePredictor

pytestmark = pytest.mark.slow

N_TRACKS = 300


def _sample(n: int = N_TRACKS, genres: list[str] | None = None, seed: int = 1) -> pd.DataFrame:
    t = tables.snapshot_tracks("keep_first")
    if genres:
        t = t[t["genre"].isin(genres)]
    return t.sample(n, random_state=seed).drop(columns=["genre", "release_year"])


def two_genres(path):
    """Rock against rap, the classic study of two genres."""
    _sample(genres=["rock", "rap"]).to_csv(path, index=False)
    return {}


def two_labels_per_track(path):
    """Every track in two playlists of different genres: drop_conflicting removes every row."""
    first = _sample(200, seed=2)
    genres = sorted(first["playlist_genre"].unique())
    second = first.assign(
        playlist_genre=first["playlist_genre"].map(
            lambda g: genres[(genres.index(g) + 1) % len(genres)]
        ),
        playlist_id=first["playlist_id"] + "x",
    )
    pd.concat([first, second]).to_csv(path, index=False)
    return {}


def no_genres(path):
    """A user's own export without a label column, run with ``label_column: ""``."""
    _sample(seed=3).drop(columns=["playlist_genre"]).to_csv(path, index=False)
    return {"label_column": ""}


TABLES = {"two_genres": two_genres, "two_labels": two_labels_per_track, "no_genres": no_genres}


def _run(name, root):
    params = yaml.safe_load((config.PARAMS_DIR / "quick.yaml").read_text())
    params.update(TABLES[name](root / f"{name}.csv"))
    params["01_collection"].update(source="file", data_path=str(root / f"{name}.csv"))
    params["01_collection"]["max_tracks"] = 0
    params["02_eda"]["user_min_tracks"] = 3  # a few hundred tracks: small playlists
    params["04_gmm_vs_aubio"].update(audio_source="synthetic", n_clips=4)
    path = root / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return report.run_report(path, name, progress_bar=False)


@pytest.fixture(scope="module")
def label_runs(tmp_path_factory):
    """name -> the run, or the exception the run stopped with."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("labels")
    mp.setenv("GENRELAB_RUNS_DIR", str(root / "runs"))
    mp.setenv("GENRELAB_CACHE_DIR", str(root / "cache"))
    cache: dict = {}

    def get(name):
        if name not in cache:
            try:
                cache[name] = _run(name, root)
            except report.NotebookFailed as exc:
                cache[name] = exc
        return cache[name]

    try:
        yield get
    finally:
        mp.undo()


def _text(run, stem: str) -> str:
    nb = nbformat.read(run.dir / f"{stem}.ipynb", as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") or json.dumps(out.get("data", {})))
    return "\n".join(parts)


def test_two_genres_run_every_notebook_without_top2(label_runs):
    # major 3: notebook 03 failed with "y_true is binary while y_score is 2d with 2 classes"
    run = label_runs("two_genres")
    assert not isinstance(run, Exception), run
    for nb in report.numbered_notebooks():
        executed = nbformat.read(run.dir / nb.name, as_version=4)
        assert not executed.metadata["papermill"]["exception"], nb.name
    honest = run.metrics()["classification"]["honest"]["audio"]
    assert honest["accuracy"] > 0.5 and honest.get("top2_accuracy") is None
    assert "Top-2 accuracy is left out" in _text(run, "03_classification")
    predictor = GenrePredictor(run.id, gmm_max_tracks=300)
    assert predictor.error is None and set(predictor.probabilities.index) == {"rap", "rock"}


def test_two_labels_per_track_stops_early_naming_the_policy(label_runs):
    # major 4: drop_conflicting removed every row and notebook 03 failed with sklearn's
    # "Found array with 0 sample(s)"; now 01 tables each policy and 02 stops with a sentence
    exc = label_runs("two_labels")
    assert isinstance(exc, report.NotebookFailed), exc
    message = str(exc)
    assert "02_eda.ipynb failed at cell" in message and "DedupError" in message
    assert "'drop_conflicting' removes every one of the 200 tracks" in message
    assert "choose 'majority' or 'keep_first' as dedup_policy" in message
    run_dir = config.runs_dir() / "two_labels"
    collection = nbformat.read(run_dir / "01_collection.ipynb", as_version=4)
    text = "\n".join(
        json.dumps(o.get("data", {})) + o.get("text", "")
        for c in collection.cells
        for o in c.get("outputs", [])
    )
    assert "tracks_left" in text and "'drop_conflicting' leaves no track" in text
    assert not (run_dir / "03_classification.ipynb").exists()


def test_no_genres_runs_the_unlabelled_parts_and_skips_the_rest(label_runs):
    run = label_runs("no_genres")
    assert not isinstance(run, Exception), run
    state = json.loads((run.dir / "run.json").read_text())
    assert state["complete"] and all(e["status"] == "ok" for e in state["notebooks"].values())
    assert state["notebooks"]["03_classification"]["ended_early"].startswith(tables.NO_GENRES)
    nb03 = nbformat.read(run.dir / "03_classification.ipynb", as_version=4)
    assert not nb03.metadata["papermill"]["exception"]
    assert "SystemExit" not in json.dumps([c.get("outputs", []) for c in nb03.cells])
    assert not (run.dir / "model.skops").exists()
    metrics = run.metrics()
    assert metrics["gmm"]["k_bic"] > 0 and "ari_vs_genre" not in metrics["gmm"]
    assert "classification" not in metrics or "honest" not in metrics["classification"]
    skipped = metrics["skipped"]
    for part in ("classification", "eda.genres", "gmm.genres"):
        assert skipped[part].startswith(tables.NO_GENRES), part
    for figure in ("02_feature_densities", "02_correlations", "04_bic_grid", "04_cluster_profiles"):
        assert (run.figures_dir / f"{figure}.png").exists(), figure
    assert "ended early" in (run.dir / "report.html").read_text()
    # the predictor: no genre probabilities, but the clusters and the neighbours
    predictor = GenrePredictor(run.id, gmm_max_tracks=300)
    assert predictor.error is None and predictor.probabilities.empty
    assert "Genre probabilities need a labelled run" in predictor.header.value
    assert predictor.cluster_posterior.sum() == pytest.approx(1.0)
    assert len(predictor.neighbors) == 6
