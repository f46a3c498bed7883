"""Other tools' tables through the whole report (issue 13): each is built from the embedded
snapshot in that tool's format (columns renamed and dropped, genres renamed), then run with the
quick parameters and ``source: file``. Every notebook must run, the sections that need a missing
part are skipped with a note, and the numbers are recorded."""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml

from genrelab import config, persist, report, schema, tables
from genrelab.predictor import html

pytestmark = pytest.mark.slow

#: Other genre names, so nothing can lean on the snapshot's six.
RENAMED = {
    "edm": "deep-house",
    "latin": "salsa",
    "pop": "power-pop",
    "r&b": "soul",
    "rap": "hip-hop",
    "rock": "metal",
}
N_TRACKS = 1500


def _snapshot_sample():
    tracks = tables.snapshot_tracks("keep_first")
    return tracks.sample(N_TRACKS, random_state=7).reset_index(drop=True)


def kaggle_tracks(path):
    """The Kaggle "Spotify Tracks Dataset": no playlists, no release dates, other genres."""
    t = _snapshot_sample()
    out = t.rename(
        columns={
            "track_artist": "artists",
            "track_album_name": "album_name",
            "track_popularity": "popularity",
        }
    )[["track_id", "artists", "album_name", "track_name", "popularity", *schema.AUDIO_FEATURES]]
    out.insert(6, "explicit", False)
    out["time_signature"] = 4
    out["track_genre"] = t["genre"].map(RENAMED)
    out.to_csv(path, index=False)
    return {"source": "file", "data_path": str(path), "column_preset": "kaggle_tracks"}


def exportify(path):
    """An Exportify playlist export: capitalised columns, track URIs, a user's genre column."""
    t = _snapshot_sample()
    inverse = {ours: theirs for theirs, ours in tables.COLUMN_MAPS["exportify"].items()}
    out = t.rename(columns=inverse)[[c for c in inverse.values() if c in t.rename(columns=inverse)]]
    out["Track URI"] = "spotify:track:" + t["track_id"]
    out["Genres"] = t["genre"].map(RENAMED)
    out.to_csv(path, index=False)
    return {
        "source": "file",
        "data_path": str(path),
        "column_preset": "exportify",
        "label_column": "genres",
    }


def minimal_echonest(path):
    """Only an id, a label and the eight Echo Nest-style features (no loudness, key, mode,
    duration; no artist, names, dates, popularity or playlists)."""
    t = _snapshot_sample()
    out = t[["track_id", *schema.ECHONEST_FEATURES]].assign(style=t["genre"].map(RENAMED))
    out.to_csv(path, index=False)
    return {"source": "file", "data_path": str(path), "label_column": "style"}


TABLES = {"kaggle": kaggle_tracks, "exportify": exportify, "minimal": minimal_echonest}


@pytest.fixture(scope="module", params=sorted(TABLES))
def foreign_run(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(request.param)
    params = yaml.safe_load((config.PARAMS_DIR / "quick.yaml").read_text())
    collection = TABLES[request.param](root / f"{request.param}.csv")
    label = collection.pop("label_column", None)
    if label:
        params["label_column"] = label
    params["01_collection"].update(collection, max_tracks=0)
    params_path = root / "params.yaml"
    params_path.write_text(yaml.safe_dump(params))
    mp = pytest.MonkeyPatch()
    mp.setenv("GENRELAB_RUNS_DIR", str(root / "runs"))
    mp.setenv("GENRELAB_CACHE_DIR", str(root / "cache"))
    try:
        yield request.param, report.run_report(params_path, request.param, progress_bar=False)
    finally:
        mp.undo()


def _text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") or json.dumps(out.get("data", {})))
    return "\n".join(parts)


def test_every_notebook_runs_and_the_numbers_are_recorded(foreign_run):
    name, run = foreign_run
    metrics = run.metrics()
    assert metrics["collection"]["tracks"] == N_TRACKS
    honest = metrics["classification"]["honest"]["audio"]["accuracy"]
    majority = metrics["classification"]["baseline"]["majority"]["accuracy"]
    print(f"{name}: honest audio accuracy {honest:.1%}, majority baseline {majority:.1%}")
    assert honest > majority, (name, honest, majority)
    assert 0 < metrics["gmm"]["k_bic"]
    html = (run.dir / "report.html").read_text()
    for nb in report.numbered_notebooks():
        executed = nbformat.read(run.dir / nb.name, as_version=4)
        assert not executed.metadata["papermill"]["exception"], (name, nb.name)
    assert "Headline numbers" in html


EXPECTED_SKIPS = {
    "kaggle": ["skipped: the table has no playlists", "skipped: the table has no release dates"],
    "exportify": ["skipped: the table has no playlists"],
    "minimal": [
        "skipped: the table has no playlists",
        "skipped: the table has no artists",
        "not artist-honest",
    ],
}


def test_the_sections_that_need_a_missing_part_say_they_are_skipped(foreign_run):
    name, run = foreign_run
    text = "\n".join(
        _text(nbformat.read(run.dir / nb.name, as_version=4)) for nb in report.numbered_notebooks()
    )
    for note in EXPECTED_SKIPS[name]:
        assert note in text, (name, note)
    html = (run.dir / "report.html").read_text()
    assert "skipped: the table has no playlists" in html


def test_the_full_feature_set_records_the_columns_it_used(foreign_run):
    name, run = foreign_run
    used = run.metrics()["classification"]["honest"]["full"]["features_used"]
    if name == "minimal":
        assert "track_popularity" not in used and "release_year" not in used
        assert "loudness" not in used and "danceability" in used
    if name == "kaggle":
        assert "track_popularity" in used and "release_year" not in used


def test_the_predictor_says_which_model_it_shows(foreign_run):
    name, run = foreign_run
    meta = persist.load_model(run.dir).meta
    header = html.header_html(meta, run.id)
    assert "on the audio features" in header and meta["feature_set"] == "audio"
    # the minimal table has no loudness: the model, and the page, go without it
    assert ("loudness" in meta["features"]) == ("loudness" in header) == (name != "minimal")
