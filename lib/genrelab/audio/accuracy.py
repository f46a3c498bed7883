"""Tempo and key measured from the audio against a reference, scored as the field scores them.

* :func:`tempo_accuracy` - MIREX-style tempo scores: Accuracy1 (within +-4 % of the
  reference) and Accuracy2 (also at 2x, 3x, 1/2 or 1/3 of it: octave errors forgiven), each hit
  scored by ``mir_eval.tempo.detection``.
* :func:`key_accuracy` - key and mode right, and the MIREX weighted key score (fifth 0.5,
  relative 0.3, parallel 0.2) from ``mir_eval.key.weighted_score`` (:func:`mirex_key_score`,
  descending fifths allowed as MIREX has since 2017).
* :func:`group_scores` - tempo Acc1 / Acc2 and the MIREX key score of several extractors per
  group of clips (composer, style, soundfont...) and pooled: where each one wins and loses;
  :func:`group_table` lays it out one row per group.

Example
-------
>>> from genrelab.audio import accuracy
>>> accuracy.tempo_accuracy([120, 61, 90], [120, 120, 120])
{'tempo_acc1': 0.3333333333333333, 'tempo_acc2': 0.6666666666666666, 'n': 3}
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import mir_eval
import numpy as np
import pandas as pd

from genrelab.schema import key_name

#: The tempo multiples Accuracy2 forgives (MIREX 2006 / Gouyon et al.).
TEMPO_FACTORS = (1.0, 2.0, 3.0, 1 / 2, 1 / 3)


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
    return key_name(key, mode)


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


# --------------------------------------------------------------------------- per group
#: The score columns of :func:`group_scores`, in order.
GROUP_SCORES = ("tempo_acc1", "tempo_acc2", "key_mirex")


def group_scores(
    reference: pd.DataFrame,
    estimates: Mapping[str, pd.DataFrame],
    by: str,
    *,
    on: str | None = None,
    pooled: str = "pooled",
) -> pd.DataFrame:
    """Tempo Accuracy1 / Accuracy2 (:func:`tempo_accuracy`) and the MIREX weighted key score
    (:func:`key_accuracy`) of each extractor, per group of clips and pooled.

    Parameters
    ----------
    reference : DataFrame
        One row per clip: the group column ``by`` (composer, style, soundfont...) and the
        reference ``ref_tempo``, ``ref_key``, ``ref_mode`` (a missing column leaves its scores NaN).
    estimates : mapping
        ``{extractor: DataFrame}`` of estimated ``tempo``, ``key``, ``mode``, row-aligned with
        ``reference`` (or matched on the column ``on``, e.g. ``"path"``). An extractor without a
        single tempo (a key-only baseline) has NaN tempo scores, not 0.
    by : str
        The column of ``reference`` that names each clip's group.
    pooled : str
        The group name of the row over every clip.

    Returns
    -------
    DataFrame
        Tidy: one row per extractor and group (groups sorted, ``pooled`` last) with ``extractor``,
        ``group``, ``clips``, ``n_tempo`` and ``n_key`` (clips with a reference tempo / key),
        ``tempo_acc1``, ``tempo_acc2``, ``key_mirex``.
    """
    nan = float("nan")
    reference = reference.reset_index(drop=True)
    parts = [(str(g), p.index) for g, p in reference.groupby(by, sort=True, dropna=False)]
    parts.append((pooled, reference.index))
    rows = []
    for name, est in estimates.items():
        if on is not None:
            est = est.set_index(on).reindex(reference[on])
        est = est.reset_index(drop=True)
        tempo = est["tempo"].astype(float) if "tempo" in est else pd.Series(nan, reference.index)
        has_tempo = bool(tempo.notna().any()) and "ref_tempo" in reference
        for group, idx in parts:
            ref = reference.loc[idx]
            row = {"extractor": name, "group": group, "clips": len(idx)}
            t = tempo_accuracy(tempo[idx], ref["ref_tempo"]) if has_tempo else {}
            row["n_tempo"] = t.get("n", 0)
            row.update(tempo_acc1=t.get("tempo_acc1", nan), tempo_acc2=t.get("tempo_acc2", nan))
            k = {}
            if "ref_key" in reference and {"key", "mode"} <= set(est.columns):
                k = key_accuracy(
                    est.loc[idx, "key"], est.loc[idx, "mode"], ref["ref_key"], ref.get("ref_mode")
                )
            row.update(n_key=k.get("n", 0), key_mirex=k.get("key_mirex", nan))
            rows.append(row)
    columns = ["extractor", "group", "clips", "n_tempo", "n_key", *GROUP_SCORES]
    return pd.DataFrame(rows, columns=columns)


def group_table(scores: pd.DataFrame) -> pd.DataFrame:
    """:func:`group_scores` one row per group: ``clips``, ``n_tempo``, ``n_key`` (columns
    ``("", count)``), then each extractor's scores (columns ``(extractor, score)``; a score no
    group has, such as a key-only extractor's tempo, left out); the groups in their order there."""
    order = list(dict.fromkeys(scores["group"]))
    counts = scores.drop_duplicates("group").set_index("group")[["clips", "n_tempo", "n_key"]]
    counts["n_tempo"] = scores.groupby("group")["n_tempo"].max()  # 0 for a key-only extractor
    wide = scores.pivot(index="group", columns="extractor", values=list(GROUP_SCORES))
    wide = wide.swaplevel(axis=1)[list(dict.fromkeys(scores["extractor"]))]
    wide = wide.dropna(axis=1, how="all")  # e.g. the tempo of a key-only extractor
    counts.columns = pd.MultiIndex.from_product([[""], counts.columns])
    return pd.concat([counts, wide], axis=1).loc[order]
