"""How close do features computed from the audio (aubio) come to the reference features?

* tempo and key against the reference: :mod:`genrelab.audio.accuracy`;
* :func:`mimic_r2` - cross-validated R^2 of a ridge regression from all aubio descriptors to
  each reference feature (energy, danceability, tempo, loudness... whatever the source has).
* :func:`cluster_comparison` - the same EM Gaussian mixture
  (:class:`genrelab.mixture.em.GaussianMixtureEM`) fitted on the reference features and on the
  aubio features; the two partitions compared with ARI, AMI and Hungarian-matched agreement, and
  each against the genre / style labels.

Example
-------
>>> from genrelab.audio import compare
>>> result = compare.compare_with_reference(corpus, features, k=4)   # doctest: +SKIP
>>> result.cluster_scores()                                           # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from genrelab import config
from genrelab.audio import peers
from genrelab.audio.accuracy import key_accuracy, tempo_accuracy
from genrelab.audio.batch import descriptor_columns
from genrelab.audio.features import extract_features
from genrelab.mixture.em import GaussianMixtureEM
from genrelab.mixture.partition import matched_contingency, partition_scores
from genrelab.schema import COMPACT_AUBIO_FEATURES, DISCRETE_FEATURES


def join(items: pd.DataFrame, features: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """One row per extracted clip: ``item_id``, ``label``, aubio descriptors, ``ref_<feature>``.

    ``items`` (``item_id``, ``path``, ``label``) and ``features`` (from
    :func:`genrelab.audio.batch.extract_batch`) are joined on ``path``; ``reference`` on
    ``item_id``.
    """
    feats = features.drop(columns=[c for c in ("file",) if c in features])
    table = items.merge(feats, on="path", how="inner")
    ref = reference.rename(columns={c: f"ref_{c}" for c in reference.columns if c != "item_id"})
    return table.merge(ref, on="item_id", how="left")


# --------------------------------------------------------------------------- mimicry
def mimic_r2(
    X: pd.DataFrame,
    reference: pd.DataFrame,
    targets: list[str] | None = None,
    *,
    cv: int = 5,
    seed: int = 42,
) -> pd.DataFrame:
    """Cross-validated R^2 of a ridge regression from the aubio descriptors to each reference
    feature.

    Parameters
    ----------
    X : DataFrame
        Aubio descriptors (numeric), one row per clip.
    reference : DataFrame
        Reference features, aligned with ``X`` row by row.
    targets : list of str, optional
        Columns of ``reference`` to predict (default: every numeric column except key/mode).
    cv : int
        Folds (shuffled, seeded ``KFold``); rows with a missing target are dropped per target.

    Returns
    -------
    DataFrame
        ``target``, ``r2`` (ridge, R^2 of the pooled out-of-fold predictions), ``r2_std``
        (spread over folds, each scored against the whole target variance), ``r2_single``
        (the same for a straight line on the descriptor most correlated with the target in
        each training fold), ``n``,
        ``corr_best`` (largest ``|r|`` of a single descriptor, all rows) and ``best_feature``,
        sorted by ``r2``.
    """
    X = X.reset_index(drop=True).astype(float)
    reference = reference.reset_index(drop=True)
    if targets is None:
        targets = [
            c
            for c in reference.columns
            if pd.api.types.is_numeric_dtype(reference[c]) and c not in DISCRETE_FEATURES
        ]
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 6, 33)))
    rows = []
    for target in targets:
        y = reference[target].astype(float)
        ok = y.notna() & X.notna().all(axis=1)
        n = int(ok.sum())
        if n < 2 * cv or y[ok].nunique() < 2:
            continue
        folds = KFold(n_splits=cv, shuffle=True, random_state=seed)
        Xo, yo = X[ok].values, y[ok].values
        # R^2 of the pooled out-of-fold predictions: a mean of per-fold R^2 explodes on folds
        # of 2-3 clips whose target barely varies (12 clips gave -600)
        splits = list(folds.split(Xo))  # the same folds for both fits and the spread
        pred = cross_val_predict(model, Xo, yo, cv=splits)
        line = np.empty_like(yo)
        for tr, te in splits:
            line[te] = _single_feature_fit(Xo[tr], yo[tr], Xo[te])
        corr = X[ok].corrwith(y[ok]).abs()
        rows.append(
            {
                "target": target,
                "r2": float(r2_score(yo, pred)),
                # per-fold R^2 against the whole target variance: the spread stays finite
                "r2_std": float(
                    np.std([1 - np.mean((yo[te] - pred[te]) ** 2) / yo.var() for _, te in splits])
                ),
                "r2_single": float(r2_score(yo, line)),
                "n": n,
                "corr_best": float(corr.max()),
                "best_feature": str(corr.idxmax()),
            }
        )
    columns = ["target", "r2", "r2_std", "r2_single", "n", "corr_best", "best_feature"]
    return pd.DataFrame(rows, columns=columns).sort_values("r2", ascending=False, ignore_index=True)


def _single_feature_fit(X_train, y_train, X_test) -> np.ndarray:
    """Predictions of a straight line on the one training-fold descriptor most correlated with y."""
    Xc = X_train - X_train.mean(axis=0)
    yc = y_train - y_train.mean()
    sd = np.sqrt((Xc**2).sum(axis=0) * (yc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.abs(Xc.T @ yc) / sd
    j = int(np.nanargmax(np.nan_to_num(corr, nan=-1.0)))
    slope, intercept = np.polyfit(X_train[:, j], y_train, 1)
    return slope * X_test[:, j] + intercept


# --------------------------------------------------------------------------- clustering
def em_clusters(
    X: pd.DataFrame,
    k: int,
    *,
    seed: int = 42,
    n_init: int = 5,
    max_dims: int | None = None,
    covariance_type: str = "full",
) -> np.ndarray:
    """Standardise ``X``, reduce it by PCA to at most ``max_dims`` (default ``n/15``, >= 2)
    dimensions when it has more, and return the labels of a ``k``-component EM mixture
    (:class:`genrelab.mixture.em.GaussianMixtureEM`, k-means initialisation, ``n_init``
    restarts)."""
    Z = StandardScaler().fit_transform(np.asarray(X, float))
    dims = max_dims if max_dims is not None else max(2, len(Z) // 15)
    if Z.shape[1] > dims:
        Z = PCA(n_components=dims, random_state=seed).fit_transform(Z)
    # a full k-means start (scikit-learn's default): one-hot k-means++ seeds often stop in a
    # poorer optimum on small samples
    gm = GaussianMixtureEM(
        n_components=k,
        covariance_type=covariance_type,
        n_init=n_init,
        init_params="kmeans",
        random_state=seed,
    )
    return gm.fit(Z).predict(Z)


def cluster_comparison(
    reference_X: pd.DataFrame | None,
    aubio_X: pd.DataFrame,
    labels=None,
    *,
    k: int = 4,
    seed: int = 42,
    n_init: int = 5,
    covariance_type: str = "full",
) -> dict:
    """EM on the reference features and on the aubio features; the partitions compared.

    Returns a dict with ``ref_clusters``, ``aubio_clusters`` (arrays), ``ari_ref_vs_aubio``,
    ``ami_ref_vs_aubio``, ``agreement_ref_vs_aubio`` and, when ``labels`` are given,
    ``ari_ref_vs_labels``, ``ari_aubio_vs_labels`` (and the AMI / agreement likewise), plus
    ``contingency`` (reference clusters x aubio clusters, Hungarian-ordered columns) and, with
    labels, ``label_contingency`` (``{"ref": labels x reference clusters, "aubio": ...}``).
    Without reference features (``reference_X`` None, e.g. a folder of audio without its CSV)
    only the aubio clusters are fitted: ``ref_clusters`` and ``contingency`` are None and the
    ``*_ref_*`` scores absent.
    """

    def fit(X: pd.DataFrame) -> np.ndarray:
        return em_clusters(X, k, seed=seed, n_init=n_init, covariance_type=covariance_type)

    fits = {} if reference_X is None else {"ref": fit(reference_X)}
    fits["aubio"] = fit(aubio_X)
    ref_c, aub_c = fits.get("ref"), fits["aubio"]
    out: dict = {"ref_clusters": ref_c, "aubio_clusters": aub_c, "k": k}
    if ref_c is not None:
        for name, value in partition_scores(ref_c, aub_c).items():
            out[f"{name}_ref_vs_aubio"] = value
    if labels is not None:
        labels = np.asarray(labels)
        for which, clusters in fits.items():
            for name, value in partition_scores(labels, clusters).items():
                out[f"{name}_{which}_vs_labels"] = value
        out["label_contingency"] = {
            which: matched_contingency(labels.astype(str), clusters)
            for which, clusters in fits.items()
        }
    out["contingency"] = None if ref_c is None else matched_contingency(ref_c, aub_c)
    return out


def aubio_matrix(table: pd.DataFrame, which: str = "compact") -> pd.DataFrame:
    """The aubio descriptor columns of a joined table: ``compact``
    (:data:`~genrelab.schema.COMPACT_AUBIO_FEATURES`) or ``all``."""
    if which == "compact":
        cols = [c for c in COMPACT_AUBIO_FEATURES if c in table]
    elif which == "all":
        cols = [c for c in descriptor_columns(table) if not c.startswith("ref_")]
    else:
        raise ValueError(f"which must be 'compact' or 'all', got {which!r}")
    return table[cols].astype(float)


#: The reference columns left out of :func:`reference_matrix`: key and mode are not Gaussian.
DISCRETE_REFERENCES = tuple(f"ref_{name}" for name in DISCRETE_FEATURES)


def reference_matrix(
    table: pd.DataFrame, exclude: tuple[str, ...] = DISCRETE_REFERENCES
) -> pd.DataFrame:
    """The numeric ``ref_*`` columns of a joined table (key and mode left out: they are not
    Gaussian)."""
    cols = [
        c
        for c in table.columns
        if c.startswith("ref_")
        and c not in exclude
        and pd.api.types.is_numeric_dtype(table[c])
        and table[c].notna().any()
    ]
    return table[cols].astype(float)


# --------------------------------------------------------------------------- everything at once
#: The partition scores :func:`compare_with_reference` reports (ARI, AMI, matched agreement), in
#: this order.
CLUSTER_SCORES = (
    "ari_ref_vs_aubio",
    "ami_ref_vs_aubio",
    "agreement_ref_vs_aubio",
    "ari_ref_vs_labels",
    "ami_ref_vs_labels",
    "ari_aubio_vs_labels",
    "ami_aubio_vs_labels",
)


@dataclass
class ReferenceComparison:
    """What :func:`compare_with_reference` found; ``metrics`` is flat, for ``run.record("aubio",
    **metrics)``.

    ``clusters`` is :func:`cluster_comparison`'s result (``None`` when the reference has no
    continuous feature or there are too few clips).
    """

    tempo: dict
    key: dict
    mimic: pd.DataFrame
    clusters: dict | None
    metrics: dict
    #: aubio's own first tempo guess (``tempo_aubio``) scored like ``tempo``; None without it
    first_guess: dict | None = None
    #: False when the clips have no reference feature at all (a folder without its CSV)
    has_reference: bool = True

    def reference_note(self) -> str | None:
        """A sentence saying what was skipped for want of reference features; None when the
        source has them."""
        if self.has_reference:
            return None
        clustered = (
            "the aubio clusters are compared with the labels"
            if self.clusters is not None
            else "the aubio clusters are not drawn either: no labels for every clip (or too "
            "few clips) to compare them with"
        )
        return (
            "no reference features for these clips (e.g. a folder of audio without "
            "`audio_reference_csv`): the tempo, key, mimic and reference-cluster comparisons "
            f"are skipped; {clustered}."
        )

    def tempo_sentence(self) -> str:
        """Accuracy1 / Accuracy2 of the tempo (and of aubio's first guess), or why not."""
        t = self.tempo
        if not t["n"]:
            return "no reference tempo for these clips: the tempo is not scored"
        text = (
            f"tempo Accuracy1 {t['tempo_acc1']:.1%}, Accuracy2 {t['tempo_acc2']:.1%} "
            f"on {t['n']} clips"
        )
        if (g := self.first_guess) is not None:
            text += (
                f"\naubio's first guess: Accuracy1 {g['tempo_acc1']:.1%}, "
                f"Accuracy2 {g['tempo_acc2']:.1%}"
            )
        return text

    def key_sentence(self) -> str:
        """Key, tonic and mode accuracy and the MIREX score, or why not."""
        k = self.key
        if not k["n"]:
            return "no reference key for these clips: the key and mode are not scored"
        return (
            f"key and mode right: {k['key_acc']:.1%} · tonic right: {k['tonic_acc']:.1%} · "
            f"mode right: {k['mode_acc']:.1%} · MIREX score {k['key_mirex']:.3f} "
            f"({k['n']} clips)"
        )

    def key_relations(self) -> pd.DataFrame:
        """One row: clips per relation of the estimated key to the reference (same, fifth...)."""
        return pd.Series(self.key.get("relations", {}), name="clips", dtype=int).to_frame().T

    def cluster_scores(self) -> pd.DataFrame:
        """One row: the partition scores of :data:`CLUSTER_SCORES` (NaN where not computed)."""
        scores = {name: self.metrics[name] for name in CLUSTER_SCORES}
        return pd.Series(scores, name="score", dtype=float).to_frame().T


def compare_with_reference(
    table: pd.DataFrame,
    *,
    k: int = 0,
    seed: int = 42,
    n_init: int = 5,
    aubio_features: str = "compact",
    cv: int = 5,
    not_references: tuple[str, ...] = (),
) -> ReferenceComparison:
    """Every comparison of a joined table (:func:`join`), skipping what the reference lacks.

    Tempo scores need ``ref_tempo``; key scores ``ref_key`` (and ``ref_mode``); the mimic
    regression every numeric ``ref_*`` column but key / mode; the EM comparison at least one
    continuous reference feature. ``k`` = 0 fits one component per label (4 without labels).
    Missing parts are NaN in ``metrics``. ``not_references`` names reference columns that were
    measured from the audio itself (e.g. the scores corpus's ``loudness``, the RMS of the
    rendering): they are left out of the mimic targets, whose R^2 would otherwise be circular,
    and out of the reference clusters, which would otherwise share a descriptor with aubio's.
    """
    nan = float("nan")
    tempo = (
        tempo_accuracy(table["tempo"], table["ref_tempo"])
        if "ref_tempo" in table
        else {"tempo_acc1": nan, "tempo_acc2": nan, "n": 0}
    )
    key = (
        key_accuracy(table["key"], table["mode"], table["ref_key"], table.get("ref_mode"))
        if "ref_key" in table
        else {"key_acc": nan, "tonic_acc": nan, "mode_acc": nan, "key_mirex": nan, "n": 0}
    )
    ref = reference_matrix(table).drop(
        columns=[f"ref_{name}" for name in not_references], errors="ignore"
    )
    aub = aubio_matrix(table, aubio_features)
    mimic = mimic_r2(
        aubio_matrix(table, "all"),
        ref.rename(columns=lambda c: c.removeprefix("ref_")),
        cv=cv,
        seed=seed,
    )
    labels = table["label"] if "label" in table and table["label"].notna().all() else None
    k = k or (int(labels.nunique()) if labels is not None else 4)
    ok = ref.notna().all(axis=1) & aub.notna().all(axis=1)
    clusters = None
    # without reference features the aubio clusters still meet the labels, when there are some
    if (ref.shape[1] >= 1 or labels is not None) and ok.sum() >= 3 * k:
        clusters = cluster_comparison(
            ref[ok] if ref.shape[1] >= 1 else None,
            aub[ok],
            None if labels is None else labels[ok].astype(str),
            k=k,
            seed=seed,
            n_init=n_init,
        )
    metrics = {
        "tempo_acc1": tempo["tempo_acc1"],
        "tempo_acc2": tempo["tempo_acc2"],
        "n_tempo": tempo["n"],
        "key_acc": key["key_acc"],
        "key_tonic_acc": key["tonic_acc"],
        "key_mode_acc": key["mode_acc"],
        "key_mirex": key["key_mirex"],
        "n_key": key["n"],
        "mimic_r2": dict(zip(mimic["target"], mimic["r2"])),
        "mimic_r2_single": dict(zip(mimic["target"], mimic["r2_single"])),
        "k_audio": k,
        "aubio_features": aubio_features,
    }
    metrics.update({n: (clusters or {}).get(n, nan) for n in CLUSTER_SCORES})
    first_guess = (
        tempo_accuracy(table["tempo_aubio"], table["ref_tempo"])
        if {"tempo_aubio", "ref_tempo"} <= set(table.columns)
        else None
    )
    has_reference = any(c.startswith("ref_") and table[c].notna().any() for c in table.columns)
    return ReferenceComparison(
        tempo=tempo,
        key=key,
        mimic=mimic,
        clusters=clusters,
        metrics=metrics,
        first_guess=first_guess,
        has_reference=has_reference,
    )


# --------------------------------------------------------------------------- peer extractors
def peer_comparison(
    table: pd.DataFrame, names=peers.PEERS, *, progress: bool = False
) -> tuple[pd.DataFrame, dict, dict[str, pd.DataFrame]]:
    """genrelab (aubio) and each peer of ``names`` (:mod:`genrelab.audio.peers`) on the same clips.

    ``table`` is a joined table (:func:`join`: ``path``, aubio's ``tempo`` / ``key`` / ``mode``,
    ``ref_tempo``, ``ref_key``, ``ref_mode``). Returns ``(rows, metrics)``: one row per extractor
    with ``tempo_acc1``, ``tempo_acc2``, ``key_mirex``, ``key_acc``, ``x_real_time`` (seconds of
    audio per CPU second, peers only: aubio's run in the extraction batch) and ``note`` (how to
    install a missing peer); ``metrics`` is ``{peer: {metric: value}}`` for ``run.record``;
    ``estimates`` is ``{extractor: its tempo, key and mode per clip}``, row-aligned with ``table``
    (for :func:`~genrelab.audio.accuracy.group_scores`). Returns ``(rows, metrics, estimates)``.
    """
    nan = float("nan")

    def scores(est: pd.DataFrame) -> dict:
        t = tempo_accuracy(est["tempo"], table["ref_tempo"]) if "ref_tempo" in table else {}
        k = (
            key_accuracy(est["key"], est["mode"], table["ref_key"], table.get("ref_mode"))
            if "ref_key" in table
            else {}
        )
        return {
            "tempo_acc1": t.get("tempo_acc1", nan),
            "tempo_acc2": t.get("tempo_acc2", nan),
            "key_mirex": k.get("key_mirex", nan),
            "key_acc": k.get("key_acc", nan),
        }

    own_note = "x real time: benchmarks/bench_peers.py (the whole feature set)"
    rows = {"genrelab (aubio)": {**scores(table), "x_real_time": nan, "note": own_note}}
    metrics, estimates = {}, {"genrelab (aubio)": table[["tempo", "key", "mode"]]}
    for name in names:
        try:
            est = peers.extract_peers(table["path"], name, progress=progress)
        except peers.PeerMissing as exc:
            rows[name] = {"note": str(exc)}
            continue
        for column, missing in (("tempo", nan), ("key", -1), ("mode", -1)):
            if column not in est:  # every clip failed
                est[column] = missing
        est = est.set_index("path").reindex(table["path"]).reset_index()
        audio_s = float(table["duration"].sum()) if "duration" in table else nan
        row = {**scores(est), "x_real_time": audio_s / float(est["cpu_s"].sum()), "note": ""}
        rows[name], metrics[name] = row, {k: v for k, v in row.items() if k != "note"}
        estimates[name] = est[["tempo", "key", "mode"]]
    out = pd.DataFrame(rows).T
    numbers = [c for c in out.columns if c != "note"]
    out[numbers] = out[numbers].astype(float)
    return out, metrics, estimates


# --------------------------------------------------------------------------- a real clip
def fma_clip_tempo() -> dict:
    """aubio's tempo of the committed FMA clip beside the Echo Nest's (track 2: 165.9 BPM)."""
    feats = extract_features(config.FMA_CLIP)
    echonest = pd.read_csv(config.FMA_ECHONEST_CSV).set_index("track_id").loc[2, "tempo"]
    return {
        "fma_clip_tempo_aubio": feats["tempo"],
        "fma_clip_tempo_echonest": float(echonest),
        "fma_clip_tempo_ratio": feats["tempo"] / float(echonest),
    }
