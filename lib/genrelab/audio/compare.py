"""How close do features computed from the audio (aubio) come to the reference features?

* :func:`tempo_accuracy` - MIREX-style tempo scores: Accuracy1 (within +-4 % of the
  reference) and Accuracy2 (also at 2x, 3x, 1/2 or 1/3 of it: octave errors forgiven), each hit
  scored by ``mir_eval.tempo.detection``.
* :func:`key_accuracy` - key and mode right, and the MIREX weighted key score (fifth 0.5,
  relative 0.3, parallel 0.2) from ``mir_eval.key.weighted_score`` (:func:`mirex_key_score`,
  descending fifths allowed as MIREX has since 2017).
* :func:`mimic_r2` - cross-validated R^2 of a ridge regression from all aubio descriptors to
  each reference feature (energy, danceability, tempo, loudness... whatever the source has).
* :func:`cluster_comparison` - the same EM Gaussian mixture (:class:`genrelab.mixture.em.GaussianMixtureEM`)
  fitted on the reference features and on the aubio features; the two partitions compared
  with ARI, AMI and Hungarian-matched agreement, and each against the genre / style labels.

Example
-------
>>> from genrelab import compare
>>> compare.tempo_accuracy([120, 61, 90], [120, 120, 120])
{'tempo_acc1': 0.3333333333333333, 'tempo_acc2': 0.6666666666666666, 'n': 3}
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import mir_eval
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import PCA
from sklearn.linear_model import RidgeCV
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, r2_score
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from genrelab import config
from genrelab.audio import peers
from genrelab.audio.features import extract_features
from genrelab.mixture.em import GaussianMixtureEM
from genrelab.audio.batch import feature_columns
from genrelab.schema import COMPACT_AUBIO_FEATURES, DISCRETE_FEATURES, PITCH_CLASSES

#: The tempo multiples Accuracy2 forgives (MIREX 2006 / Gouyon et al.).
TEMPO_FACTORS = (1.0, 2.0, 3.0, 1 / 2, 1 / 3)


def join(items: pd.DataFrame, features: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """One row per extracted clip: ``item_id``, ``label``, aubio descriptors, ``ref_<feature>``.

    ``items`` (``item_id``, ``path``, ``label``) and ``features`` (from
    :func:`genrelab.audio.batch.extract_batch`) are joined on ``path``; ``reference`` on ``item_id``.
    """
    feats = features.drop(columns=[c for c in ("file",) if c in features])
    table = items.merge(feats, on="path", how="inner")
    ref = reference.rename(columns={c: f"ref_{c}" for c in reference.columns if c != "item_id"})
    return table.merge(ref, on="item_id", how="left")


# --------------------------------------------------------------------------- tempo and key
def _tempo_hit(estimated: float, reference: float, tol: float) -> bool:
    """``mir_eval.tempo.detection`` with one reference tempo: within ``tol`` of it."""
    if not (np.isfinite(estimated) and estimated >= 0):
        return False
    _, one_correct, _ = mir_eval.tempo.detection(
        np.array([reference, 0.0]), 1.0, np.array([estimated, estimated]), tol=tol
    )
    return bool(one_correct)


def tempo_hits(estimated, reference, tol: float = 0.04) -> pd.DataFrame:
    """Per clip: ``acc1`` (within ``tol`` of the reference), ``acc2`` (within ``tol`` of any of
    :data:`TEMPO_FACTORS` times it), each scored by ``mir_eval.tempo.detection``.

    Clips without a positive finite reference score ``False`` here and are left out by
    :func:`tempo_accuracy`.
    """
    est = np.asarray(estimated, float)
    ref = np.asarray(reference, float)
    if est.shape != ref.shape:
        raise ValueError(
            f"estimated and reference tempi differ in shape: {est.shape} vs {ref.shape}"
        )
    known = np.isfinite(ref) & (ref > 0)
    acc1 = np.array([k and _tempo_hit(e, r, tol) for e, r, k in zip(est, ref, known)], bool)
    acc2 = np.array(
        [
            k and any(_tempo_hit(e, f * r, tol) for f in TEMPO_FACTORS)
            for e, r, k in zip(est, ref, known)
        ],
        bool,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = est / ref
    return pd.DataFrame(
        {"estimated": est, "reference": ref, "ratio": ratio, "acc1": acc1, "acc2": acc2}
    )


def tempo_accuracy(estimated, reference, tol: float = 0.04) -> dict:
    """Accuracy1 and Accuracy2 over the clips whose reference tempo is known and positive.

    Examples
    --------
    >>> tempo_accuracy([100, 50, 33.4, 130], [100, 100, 100, 100])["tempo_acc2"]
    0.75
    """
    hits = tempo_hits(estimated, reference, tol)
    ok = np.isfinite(hits["reference"]) & (hits["reference"] > 0)
    hits = hits[ok]
    n = len(hits)
    return {
        "tempo_acc1": float(hits["acc1"].mean()) if n else float("nan"),
        "tempo_acc2": float(hits["acc2"].mean()) if n else float("nan"),
        "n": n,
    }


def mir_eval_key(key: int, mode: int) -> str:
    """A (key, mode) pair as mir_eval's key string (``"C# major"``; ``"X"`` when unknown)."""
    if key is None or mode is None or not np.isfinite(key) or key < 0 or mode not in (0, 1):
        return "X"
    return f"{PITCH_CLASSES[int(key) % 12]} {'major' if int(mode) == 1 else 'minor'}"


#: Does the installed mir_eval take ``allow_descending_fifths`` (added after 0.8.2)?
_MIR_EVAL_FIFTHS = (
    "allow_descending_fifths" in inspect.signature(mir_eval.key.weighted_score).parameters
)


def mirex_key_score(
    est_key: int, est_mode: int, ref_key: int, ref_mode: int, *, allow_descending_fifths=True
) -> float:
    """MIREX weighted key score of one estimate: ``mir_eval.key.weighted_score``.

    1 same key, 0.5 a perfect fifth above (same mode), 0.3 relative, 0.2 parallel, else 0. With
    ``allow_descending_fifths`` (the MIREX scoring since 2017) a fifth below scores 0.5 too:
    passed to mir_eval when it takes the argument, else added here to mir_eval's score (mir_eval
    0.8.2, the current release, scores only the ascending fifth).
    """
    ref, est = mir_eval_key(ref_key, ref_mode), mir_eval_key(est_key, est_mode)
    if _MIR_EVAL_FIFTHS:
        return float(
            mir_eval.key.weighted_score(ref, est, allow_descending_fifths=allow_descending_fifths)
        )
    score = float(mir_eval.key.weighted_score(ref, est))
    if (
        allow_descending_fifths
        and score == 0.0
        and "X" not in (ref, est)
        and int(est_mode) == int(ref_mode)
        and (int(est_key) - int(ref_key)) % 12 == 5
    ):
        return 0.5
    return score


def key_relation(est_key: int, est_mode: int, ref_key: int, ref_mode: int) -> str:
    """``same``, ``fifth`` (dominant or subdominant, same mode), ``relative``, ``parallel`` or
    ``other``."""
    if est_key == ref_key and est_mode == ref_mode:
        return "same"
    if est_mode == ref_mode and (est_key - ref_key) % 12 in (5, 7):
        return "fifth"
    if est_mode != ref_mode:
        if est_key == ref_key:
            return "parallel"
        # relative: minor tonic 3 semitones below its major
        major, minor = (est_key, ref_key) if est_mode == 1 else (ref_key, est_key)
        if (major - minor) % 12 == 3:
            return "relative"
    return "other"


def key_accuracy(est_key, est_mode, ref_key, ref_mode=None) -> dict:
    """Key accuracy (tonic and mode right), tonic-only and mode-only accuracy, MIREX weighted score
    (:func:`mirex_key_score`, descending fifths allowed).

    Clips with an unknown reference key (NaN or -1) are left out. Without ``ref_mode``, only
    the tonic is compared. An estimate without a key (-1) scores 0.
    """
    ek, em = np.asarray(est_key, float), np.asarray(est_mode, float)
    rk = np.asarray(ref_key, float)
    rm = np.asarray(ref_mode, float) if ref_mode is not None else np.full_like(rk, np.nan)
    ok = np.isfinite(rk) & (rk >= 0)
    ek, em, rk, rm = ek[ok], em[ok], rk[ok], rm[ok]
    n = int(ok.sum())
    if n == 0:
        return {
            "key_acc": float("nan"),
            "tonic_acc": float("nan"),
            "mode_acc": float("nan"),
            "key_mirex": float("nan"),
            "n": 0,
        }
    tonic = ek == rk
    out = {"tonic_acc": float(tonic.mean()), "n": n}
    if np.isfinite(rm).all():
        ek = np.where(np.isfinite(ek), ek, -1).astype(int)
        em = np.where(np.isfinite(em), em, -1).astype(int)
        relations = [
            key_relation(int(a), int(b), int(c), int(d)) if a >= 0 else "other"
            for a, b, c, d in zip(ek, em, rk, rm)
        ]
        out["key_acc"] = float(np.mean([r == "same" for r in relations]))
        out["mode_acc"] = float((em == rm).mean())
        out["key_mirex"] = float(
            np.mean([mirex_key_score(a, b, int(c), int(d)) for a, b, c, d in zip(ek, em, rk, rm)])
        )
        out["relations"] = pd.Series(relations).value_counts().to_dict()
    else:
        out.update(key_acc=float(tonic.mean()), mode_acc=float("nan"), key_mirex=float("nan"))
    return out


def key_name(key: int, mode: int) -> str:
    """``"C major"`` style name of a (key, mode) pair (Spotify's convention: mode 1 = major)."""
    return f"{PITCH_CLASSES[int(key) % 12]} {'major' if int(mode) == 1 else 'minor'}"


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
        ``corr_best`` (largest |r| of a single descriptor, all rows) and ``best_feature``,
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
def hungarian_agreement(a, b) -> tuple[float, dict]:
    """Share of items on which two partitions agree after the best one-to-one matching of clusters.

    Returns the agreement and the mapping {cluster of ``b`` -> cluster of ``a``} (Hungarian
    algorithm on the contingency table, ``scipy.optimize.linear_sum_assignment``).

    Examples
    --------
    >>> hungarian_agreement([0, 0, 1, 1, 2], [5, 5, 7, 7, 7])[0]
    0.8
    """
    table = contingency(a, b)
    rows, cols = linear_sum_assignment(-table.values)
    agreement = table.values[rows, cols].sum() / table.values.sum()
    mapping = {table.columns[c]: table.index[r] for r, c in zip(rows, cols)}
    return float(agreement), mapping


def contingency(a, b) -> pd.DataFrame:
    """Counts of items per (cluster of ``a``, cluster of ``b``)."""
    return pd.crosstab(pd.Series(np.asarray(a), name="a"), pd.Series(np.asarray(b), name="b"))


def matched_contingency(a, b) -> pd.DataFrame:
    """:func:`contingency` with ``b``'s columns in the order of the rows they are matched to.

    The matching is :func:`hungarian_agreement`'s; columns left unmatched (``b`` has more
    clusters than ``a``) come last. A good match then shows as a dark diagonal.
    """
    table = contingency(a, b)
    _, mapping = hungarian_agreement(a, b)  # cluster of b -> cluster of a
    rows = list(table.index)
    order = sorted(
        table.columns, key=lambda c: (rows.index(mapping[c]) if c in mapping else len(rows), c)
    )
    return table[order]


def partition_scores(a, b) -> dict:
    """ARI, AMI and Hungarian-matched agreement of two labelings of the same items."""
    a, b = np.asarray(a), np.asarray(b)
    return {
        "ari": float(adjusted_rand_score(a, b)),
        "ami": float(adjusted_mutual_info_score(a, b)),
        "agreement": hungarian_agreement(a, b)[0],
    }


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
    (:class:`genrelab.mixture.em.GaussianMixtureEM`, k-means initialisation, ``n_init`` restarts)."""
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
    reference_X: pd.DataFrame,
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
    """
    ref_c = em_clusters(reference_X, k, seed=seed, n_init=n_init, covariance_type=covariance_type)
    aub_c = em_clusters(aubio_X, k, seed=seed, n_init=n_init, covariance_type=covariance_type)
    out: dict = {"ref_clusters": ref_c, "aubio_clusters": aub_c, "k": k}
    for name, value in partition_scores(ref_c, aub_c).items():
        out[f"{name}_ref_vs_aubio"] = value
    if labels is not None:
        labels = np.asarray(labels)
        for which, clusters in (("ref", ref_c), ("aubio", aub_c)):
            for name, value in partition_scores(labels, clusters).items():
                out[f"{name}_{which}_vs_labels"] = value
        out["label_contingency"] = {
            which: matched_contingency(labels.astype(str), clusters)
            for which, clusters in (("ref", ref_c), ("aubio", aub_c))
        }
    out["contingency"] = matched_contingency(ref_c, aub_c)
    return out


def aubio_matrix(table: pd.DataFrame, which: str = "compact") -> pd.DataFrame:
    """The aubio descriptor columns of a joined table: ``compact``
    (:data:`~genrelab.schema.COMPACT_AUBIO_FEATURES`) or ``all``."""
    if which == "compact":
        cols = [c for c in COMPACT_AUBIO_FEATURES if c in table]
    elif which == "all":
        cols = [c for c in feature_columns(table) if not c.startswith("ref_")]
    else:
        raise ValueError(f"which must be 'compact' or 'all', got {which!r}")
    return table[cols].astype(float)


def reference_matrix(
    table: pd.DataFrame, exclude=tuple(f"ref_{f}" for f in DISCRETE_FEATURES)
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


# --------------------------------------------------------------------------- the clips
def failures_table(corpus_failures: pd.DataFrame, batch_failures: pd.DataFrame) -> pd.DataFrame:
    """Every clip skipped on the way, one table of ``file`` and ``reason``: the ones the corpus
    could not deliver (keyed by ``item_id``), then the ones the extraction could not analyse
    (:func:`genrelab.audio.batch.extract_batch`)."""
    return pd.concat(
        [
            corpus_failures.rename(columns={"item_id": "file"})[["file", "reason"]],
            batch_failures[["file", "reason"]],
        ],
        ignore_index=True,
    )


def clips_per_label(items: pd.DataFrame) -> pd.DataFrame:
    """One row: how many clips carry each label (a missing label counted as such)."""
    return items.groupby("label", dropna=False).size().rename("clips").to_frame().T


# --------------------------------------------------------------------------- everything at once
#: The partition scores :func:`evaluate` reports (ARI, AMI, matched agreement), in this order.
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
class Evaluation:
    """What :func:`evaluate` found; ``metrics`` is flat, for ``run.record("aubio", **metrics)``.

    ``clusters`` is :func:`cluster_comparison`'s result (``None`` when the reference has no
    continuous feature or there are too few clips).
    """

    tempo: dict
    key: dict
    mimic: pd.DataFrame
    clusters: dict | None
    metrics: dict

    def key_relations(self) -> pd.DataFrame:
        """One row: clips per relation of the estimated key to the reference (same, fifth...)."""
        return pd.Series(self.key.get("relations", {}), name="clips", dtype=int).to_frame().T

    def cluster_scores(self) -> pd.DataFrame:
        """One row: the partition scores of :data:`CLUSTER_SCORES` (NaN where not computed)."""
        scores = {name: self.metrics[name] for name in CLUSTER_SCORES}
        return pd.Series(scores, name="score", dtype=float).to_frame().T


def evaluate(
    table: pd.DataFrame,
    *,
    k: int = 0,
    seed: int = 42,
    n_init: int = 5,
    aubio_features: str = "compact",
    cv: int = 5,
    not_references: tuple[str, ...] = (),
) -> Evaluation:
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
    if ref.shape[1] >= 1 and ok.sum() >= 3 * k:
        clusters = cluster_comparison(
            ref[ok],
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
    return Evaluation(tempo=tempo, key=key, mimic=mimic, clusters=clusters, metrics=metrics)


# --------------------------------------------------------------------------- peer extractors
def peer_comparison(table: pd.DataFrame, names=peers.PEERS, *, progress: bool = False):
    """genrelab (aubio) and each peer of ``names`` (:mod:`genrelab.audio.peers`) on the same clips.

    ``table`` is a joined table (:func:`join`: ``path``, aubio's ``tempo`` / ``key`` / ``mode``,
    ``ref_tempo``, ``ref_key``, ``ref_mode``). Returns ``(rows, metrics)``: one row per extractor
    with ``tempo_acc1``, ``tempo_acc2``, ``key_mirex``, ``key_acc``, ``x_real_time`` (seconds of
    audio per CPU second, peers only: aubio's run in the extraction batch) and ``note`` (how to
    install a missing peer); ``metrics`` is ``{peer: {metric: value}}`` for ``run.record``.
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
    metrics = {}
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
    out = pd.DataFrame(rows).T
    numbers = [c for c in out.columns if c != "note"]
    out[numbers] = out[numbers].astype(float)
    return out, metrics


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
