"""Saved models (genrelab.persist): one loader that trusts only the types the package saves."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from fixtures.models import RUNSTRING, crafted_skops, payload
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from genrelab import classify, persist, runs, schema, tables
from genrelab.mixture.em import COVARIANCE_TYPES, GaussianMixtureEM


@pytest.fixture(scope="module")
def tracks() -> pd.DataFrame:
    return tables.snapshot_tracks().sample(400, random_state=0).reset_index(drop=True)


def saved_kinds(tracks: pd.DataFrame) -> dict[str, object]:
    """Every kind of object the package saves, fitted.

    Each default model of :func:`classify.default_models` with each setting of its default grid,
    in its pipeline for both feature sets (``full`` is the stacked text pipeline); the predictor's
    scaler + :class:`GaussianMixtureEM` for each covariance type; aubio mappings (a regressor, and
    one behind a scaler).
    """
    out: dict[str, object] = {}
    grids = classify.default_grids()
    for feature_set in schema.FEATURE_SETS:
        X = classify.model_frame(tracks, feature_set)
        for name, model in classify.default_models().items():
            for i, params in enumerate(ParameterGrid(grids[name])):
                pipe = classify.make_pipeline_for(clone(model), feature_set).set_params(**params)
                out[f"{feature_set} {name} #{i}"] = pipe.fit(X, tracks[schema.LABEL])
    X = tracks[schema.CONTINUOUS_FEATURES].to_numpy()
    for cov in COVARIANCE_TYPES:
        gmm = GaussianMixtureEM(n_components=3, covariance_type=cov, random_state=0)
        out[f"mixture {cov}"] = Pipeline([("scale", StandardScaler()), ("gmm", gmm)]).fit(X)
    Y = tracks[schema.UNIT_FEATURES].to_numpy()
    out["mapping ridge"] = Ridge().fit(X, Y)
    out["mapping scaled ridge"] = make_pipeline(StandardScaler(), Ridge()).fit(X, Y)
    return out


@pytest.fixture(scope="module")
def kinds(tracks):
    return saved_kinds(tracks)


# --- the trusted list -----------------------------------------------------------------------------
def test_the_trusted_list_is_what_the_package_saves_and_nothing_else(kinds):
    found = {}
    for name, obj in kinds.items():
        types = set(sio.get_untrusted_types(data=sio.dumps(obj)))
        assert types <= set(persist.TRUSTED_TYPES), f"{name}: {types - set(persist.TRUSTED_TYPES)}"
        found[name] = types
    assert set().union(*found.values()) == set(persist.TRUSTED_TYPES)  # no name trusted in vain
    assert all("*" not in t and not t.endswith(".") for t in persist.TRUSTED_TYPES)  # exact names


def test_every_saved_kind_round_trips_through_the_one_loader(kinds, tracks, tmp_path):
    for i, (name, obj) in enumerate(kinds.items()):
        loaded = persist.load(persist.dump(obj, tmp_path / f"{i}.skops"))
        if name.startswith(("audio", "full")):
            X = classify.model_frame(tracks, name.split()[0]).head(20)
            method = "predict_proba" if hasattr(obj, "predict_proba") else "decision_function"
        else:
            X = tracks[schema.CONTINUOUS_FEATURES].head(20).to_numpy()
            method = "predict_proba" if name.startswith("mixture") else "predict"
        np.testing.assert_allclose(
            getattr(loaded, method)(X), getattr(obj, method)(X), err_msg=name
        )


# --- a crafted file -------------------------------------------------------------------------------
def test_the_crafted_file_would_run_code_under_a_prefix_check(tmp_path):
    """What the old check allowed: every type under numpy./scipy./sklearn./genrelab. trusted."""
    marker = tmp_path / "ran"
    raw = crafted_skops(payload(marker))
    types = sio.get_untrusted_types(data=raw)
    assert types == [RUNSTRING] and all(t.startswith("numpy.") for t in types)
    sio.loads(raw, trusted=types)
    assert marker.exists()  # the file is a real attack, so the tests below can fail


def test_a_crafted_model_file_is_refused_and_no_code_runs(tmp_path):
    marker = tmp_path / "ran"
    run = tmp_path / "dropped"
    run.mkdir()
    (run / runs.MODEL_FILE).write_bytes(crafted_skops(payload(marker)))
    (run / runs.MODEL_META_FILE).write_text(json.dumps({"features": [], "classes": []}))
    with pytest.raises(persist.UntrustedTypesError) as info:
        persist.load_model(run)
    assert info.value.types == [RUNSTRING] and info.value.path == run / runs.MODEL_FILE
    assert RUNSTRING in str(info.value) and str(run / runs.MODEL_FILE) in str(info.value)
    assert "Refused" in str(info.value)
    with pytest.raises(persist.UntrustedTypesError):
        persist.load(run / runs.MODEL_FILE)
    assert not marker.exists()


@pytest.mark.parametrize(
    "name,meta_name,loader",
    [
        (runs.GMM_FILE, runs.GMM_META_FILE, persist.load_mixture),
        (runs.MAPPING_FILE, runs.MAPPING_META_FILE, persist.load_aubio_mapping),
    ],
    ids=["mixture", "mapping"],
)
def test_crafted_mixture_and_mapping_files_are_refused(tmp_path, name, meta_name, loader):
    marker = tmp_path / "ran"
    (tmp_path / name).write_bytes(crafted_skops(payload(marker)))
    (tmp_path / meta_name).write_text("{}")
    with pytest.raises(persist.UntrustedTypesError, match="runstring"):
        loader(tmp_path)
    assert not marker.exists()


class Holder:
    """A type the package never saves (its full name is this test module's)."""

    def __init__(self, value=1):
        self.value = value


def test_dump_refuses_what_load_would_refuse(tmp_path):
    path = tmp_path / "holder.skops"
    with pytest.raises(persist.UntrustedTypesError, match="TRUSTED_TYPES") as info:
        persist.dump([Holder()], path)
    assert info.value.types == [f"{Holder.__module__}.Holder"]
    assert not path.exists() and not list(tmp_path.iterdir())


def test_a_file_that_is_not_skops_says_so(tmp_path):
    (tmp_path / runs.MODEL_FILE).write_bytes(b"not a skops file")
    (tmp_path / runs.MODEL_META_FILE).write_text("{}")
    with pytest.raises(persist.ModelFileError, match="is not a skops file"):
        persist.load_model(tmp_path)


# --- the classifier, the mixture, the mapping -----------------------------------------------------
def test_saved_model_round_trip(tracks, tmp_path):
    X = classify.model_frame(tracks, "audio")
    pipe = classify.make_pipeline_for(LogisticRegression(max_iter=500), "audio").fit(
        X, tracks[schema.LABEL]
    )
    path = persist.save_model(
        pipe, tmp_path, train=tracks, params={"C": 1.0}, metrics={"accuracy": 0.5}, name="lr"
    )
    assert path == tmp_path / runs.MODEL_FILE and (tmp_path / runs.MODEL_META_FILE).exists()
    saved = persist.load_model(tmp_path)
    np.testing.assert_allclose(saved.pipeline.predict_proba(X), pipe.predict_proba(X))
    assert saved.features == schema.AUDIO_FEATURES
    assert saved.classes == sorted(tracks[schema.LABEL].unique())
    ranges = saved.meta["feature_ranges"]["tempo"]
    assert ranges["min"] <= ranges["p01"] <= ranges["median"] <= ranges["p99"] <= ranges["max"]
    assert set(saved.meta["genre_medians"]) == set(saved.classes)
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]  # written atomically


def test_load_model_without_a_model_or_its_side_file(tmp_path, kinds):
    with pytest.raises(FileNotFoundError, match="03_classification"):
        persist.load_model(tmp_path)
    persist.dump(kinds["audio logistic_regression #0"], tmp_path / runs.MODEL_FILE)
    with pytest.raises(persist.ModelFileError, match="model.json is missing"):
        persist.load_model(tmp_path)
    (tmp_path / runs.MODEL_META_FILE).write_text("{not json")
    with pytest.raises(persist.ModelFileError, match="not readable JSON"):
        persist.load_model(tmp_path)


def test_mixture_and_mapping_are_none_until_saved(tmp_path, kinds):
    assert persist.load_mixture(tmp_path) is None and persist.load_aubio_mapping(tmp_path) is None
    persist.save_mixture(kinds["mixture full"], tmp_path, {"k": 3, "n": np.int64(5)})
    assert persist.load_mixture(tmp_path).meta == {"k": 3, "n": 5}
    persist.save_aubio_mapping(
        kinds["mapping ridge"], tmp_path, inputs=["a"], targets=["b"], metrics={"r2": 0.5}
    )
    mapping = persist.load_aubio_mapping(tmp_path)
    assert mapping.meta == {"inputs": ["a"], "targets": ["b"], "metrics": {"r2": 0.5}}
    assert isinstance(mapping.pipeline, Ridge)


# --- model.json against the fitted pipeline (issue 26, major 2) -----------------------------------
def _swap_first_two(values: list) -> list:
    return [values[1], values[0], *values[2:]]


META_CHANGES = {
    "classes reversed": ("classes", lambda v: v[::-1]),
    "classes one fewer": ("classes", lambda v: v[:-1]),
    "classes one renamed": ("classes", lambda v: ["jazz", *v[1:]]),
    "classes missing": ("classes", None),
    "features swapped": ("features", _swap_first_two),
    "features one fewer": ("features", lambda v: v[:-1]),
    "features one extra": ("features", lambda v: [*v, "liveness_2"]),
    "features not a list": ("features", lambda v: ",".join(v)),
    "features missing": ("features", None),
    "feature_ranges lacking one": ("feature_ranges", lambda v: {k: v[k] for k in list(v)[1:]}),
}


@pytest.mark.parametrize("field,change", list(META_CHANGES.values()), ids=list(META_CHANGES))
def test_a_model_json_that_disagrees_with_the_pipeline_is_refused(tracks, tmp_path, field, change):
    X = classify.model_frame(tracks, "audio")
    pipe = classify.make_pipeline_for(LogisticRegression(max_iter=500), "audio").fit(
        X, tracks[schema.LABEL]
    )
    persist.save_model(pipe, tmp_path, train=tracks, params={}, metrics={}, name="lr")
    meta_path = tmp_path / runs.MODEL_META_FILE
    meta = json.loads(meta_path.read_text())
    if change is None:
        del meta[field]
    else:
        meta[field] = change(meta[field])
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(persist.ModelFileError) as info:
        persist.load_model(tmp_path)
    message = str(info.value)
    assert str(meta_path) in message and repr(field) in message, message


def test_labels_and_feature_order_come_from_the_pipeline(tracks, tmp_path):
    X = classify.model_frame(tracks, "audio")[schema.AUDIO_FEATURES[::-1]]  # another order
    pipe = classify.make_pipeline_for(LogisticRegression(max_iter=500), "audio").fit(
        X, tracks[schema.LABEL]
    )
    persist.save_model(
        pipe, tmp_path, train=tracks, params={}, metrics={}, name="lr", features=X.columns
    )
    saved = persist.load_model(tmp_path)
    assert saved.features == list(pipe.feature_names_in_) == schema.AUDIO_FEATURES[::-1]
    assert saved.classes == [str(c) for c in pipe.classes_]
    with pytest.raises(persist.ModelFileError, match="'features'"):  # save refuses a wrong order
        persist.save_model(pipe, tmp_path, train=tracks, params={}, metrics={}, name="lr")


# --- a zip that inflates beyond reason (issue 26, minor) ------------------------------------------
def _declare_size(raw: bytes, member: str, size: int) -> bytes:
    """``raw`` (a zip) with ``member``'s declared sizes set to ``size`` in the central directory."""
    out = bytearray(raw)
    start = 0
    while (start := out.find(b"PK\x01\x02", start)) >= 0:
        name_len = int.from_bytes(out[start + 28 : start + 30], "little")
        if out[start + 46 : start + 46 + name_len].decode() == member:
            out[start + 20 : start + 24] = size.to_bytes(4, "little")  # compressed
            out[start + 24 : start + 28] = size.to_bytes(4, "little")  # uncompressed
            return bytes(out)
        start += 4
    raise AssertionError(f"no {member} in the zip")


@pytest.mark.parametrize("member", ["schema.json", "array"], ids=["schema", "an array"])
def test_a_declared_size_over_the_cap_is_refused_before_reading(tmp_path, member):
    raw = sio.dumps(np.arange(3.0))
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        name = member if member == "schema.json" else next(n for n in z.namelist() if ".npy" in n)
    path = tmp_path / runs.MODEL_FILE
    path.write_bytes(_declare_size(raw, name, 3 * 2**30))  # 3 GiB, as in the issue
    with pytest.raises(persist.ModelFileError, match="declares") as info:
        persist.load(path)
    assert str(path) in str(info.value) and name in str(info.value)


def test_a_zip_bomb_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / runs.MODEL_FILE
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("schema.json", "w") as f:
        chunk = b" " * 2**20
        for _ in range(48):  # 48 MiB of spaces in ~50 kB
            f.write(chunk)
    tracemalloc.start()
    try:
        with pytest.raises(persist.ModelFileError) as info:
            persist.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MiB allocated"
    assert str(path) in str(info.value) and "schema.json" in str(info.value)


def test_a_file_larger_than_the_cap_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(persist, "MAX_UNCOMPRESSED_BYTES", 2**20)
    path = tmp_path / runs.MODEL_FILE
    with path.open("wb") as f:
        f.truncate(2 * 2**20)
    with pytest.raises(persist.ModelFileError, match="MAX_UNCOMPRESSED_BYTES") as info:
        persist.load(path)
    assert str(path) in str(info.value)
