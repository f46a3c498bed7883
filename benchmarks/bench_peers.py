"""Accuracy and speed of genrelab (aubio), Essentia, librosa and madmom on the same clips.

For each clip of a corpus with a ground truth (``scores``: pieces rendered from their scores,
the default; or ``synthetic``) every extractor decodes the file and analyses it in this one
process, one clip after the other:

* **genrelab (aubio)** - :func:`genrelab.audio.features.extract_features`, the whole feature set;
* **Essentia** - RhythmExtractor2013 (multifeature) + KeyExtractor (bgate): rhythm and key only;
* **librosa** - ``beat.beat_track`` + a chroma-CQT key: beat and key only.

It prints one table: tempo Accuracy1 (within 4 %) and Accuracy2 (octave errors forgiven), the
MIREX weighted key score (descending fifths allowed), all scored by mir_eval, and the speed as
seconds of audio per CPU second of the process (``process_time``: x real time per core, decoding
included) and as a ratio to Essentia's. For the scores corpus, the tempo accuracies are also
given by metre (simple metres, whose beat is a quarter or a half note, and compound ones, whose
beat is a dotted note), Acc1 against the notated beat (``beat_tempo``: the dotted quarter in 6/8,
the half note in 2/2) beside the quarter note, and the keys the scores leave undecided are
counted. The table is printed for the whole corpus and for its two halves: **tune** (even
position in the corpus, the half genrelab's tempo and key choices were tuned on) and
**held-out** (odd). Without the ``[peers]`` extra the peers' rows say how to install them.

``--validation`` renders and scores the reserved Bach chorales instead
(:func:`genrelab.audio.sources.scores.validation_catalogue`): the one independent validation of a
final method, run once and reported apart; nothing may be tuned after it.

Usage::

    .venv/bin/python benchmarks/bench_peers.py                      # the whole scores corpus
    .venv/bin/python benchmarks/bench_peers.py --source synthetic --clips 120
    .venv/bin/python benchmarks/bench_peers.py --clips 40 --out /tmp/clips.csv
    .venv/bin/python benchmarks/bench_peers.py --validation         # once, when final
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import soundfile as sf
from threadpoolctl import threadpool_limits

from genrelab import audio
from genrelab.audio import accuracy, peers
from genrelab.audio.sources import scores, synthetic

PEER_LABELS = {
    "essentia": "Essentia 2013 + bgate",
    "librosa": "librosa beat_track",
    "madmom": "madmom RNN comb + CNN key",
}


def _aubio(paths) -> pd.DataFrame:
    rows = []
    for path in paths:
        start = time.process_time()
        try:
            f = audio.extract_features(path)
            row = {"path": path, "tempo": f["tempo"], "key": f["key"], "mode": f["mode"]}
        except audio.AudioError as exc:
            row = {"path": path, "tempo": np.nan, "key": -1, "mode": -1, "reason": exc.reason}
        row["cpu_s"] = time.process_time() - start
        rows.append(row)
    return pd.DataFrame(rows)


def _scores(truth: pd.DataFrame, est: pd.DataFrame) -> dict:
    t = truth.merge(est, on="path", suffixes=("_ref", ""))
    tempo = accuracy.tempo_accuracy(t["tempo"], t["tempo_ref"])
    key = accuracy.key_accuracy(t["key"], t["mode"], t["key_ref"], t["mode_ref"])
    out = {
        "clips": len(t),
        "tempo Acc1": tempo["tempo_acc1"],
        "tempo Acc2": tempo["tempo_acc2"],
        "key MIREX": key["key_mirex"],
        "key exact": key["key_acc"],
        "x real time per core": t["seconds"].sum() / t["cpu_s"].sum(),
    }
    if "beat_tempo" in t:
        out["Acc1 notated beat"] = accuracy.tempo_accuracy(t["tempo"], t["beat_tempo"])[
            "tempo_acc1"
        ]
    if "simple" in t:
        for metre, part in t.groupby("simple"):
            acc = accuracy.tempo_accuracy(part["tempo"], part["tempo_ref"])
            tag = "simple" if metre else "compound"
            out[f"Acc1 {tag} ({len(part)})"] = acc["tempo_acc1"]
            out[f"Acc2 {tag} ({len(part)})"] = acc["tempo_acc2"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=("scores", "synthetic"), default="scores")
    parser.add_argument("--clips", type=int, default=0, help="clips (0 = the whole corpus)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--n-jobs", type=int, default=1, help="processes rendering the corpus")
    parser.add_argument("--peers", default=",".join(peers.PEERS), help="comma separated")
    parser.add_argument("--out", default="", help="write the per-clip table to this CSV")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="the reserved Bach chorales: the one independent validation (run once, when final)",
    )
    args = parser.parse_args()

    start = time.perf_counter()
    if args.validation:
        print("VALIDATION on the reserved Bach chorales: run once; nothing is tuned after it")
    if args.source == "scores" or args.validation:
        corpus = scores.corpus(
            args.clips or None,
            args.seed,
            n_jobs=args.n_jobs,
            progress=True,
            validation=args.validation,
        )
        det = corpus.details.set_index("item_id")
        simple = corpus.items["item_id"].map(det["beat_quarters"]).isin([1.0, 2.0])
        beat_tempo = corpus.items["item_id"].map(det["beat_tempo"])
    else:
        corpus = synthetic.corpus(args.clips or 120, args.seed, n_jobs=args.n_jobs)
        simple = beat_tempo = None
    build_s = time.perf_counter() - start
    ref = corpus.reference.set_index("item_id")
    truth = pd.DataFrame(
        {
            "path": corpus.items["path"],
            "tempo": corpus.items["item_id"].map(ref["tempo"]).values,
            "key": corpus.items["item_id"].map(ref["key"]).values,
            "mode": corpus.items["item_id"].map(ref["mode"]).values,
        }
    )
    truth["seconds"] = [sf.info(p).duration for p in truth["path"]]
    truth["half"] = np.where(np.arange(len(truth)) % 2 == 0, "tune", "held-out")
    if simple is not None:
        truth["simple"] = simple.values
        truth["beat_tempo"] = beat_tempo.values
    paths = list(truth["path"])
    print(
        f"{corpus!r}: {len(paths)} clips ({len(corpus.failures)} failed) built in {build_s:.1f} s"
    )
    if args.source == "scores" or args.validation:
        print(f"keys decided by the score: {int(truth['key'].notna().sum())} of {len(truth)}")
        print(scores.key_summary(corpus.details).to_string())

    rows, tables = {}, {}
    with threadpool_limits(1):
        tables["genrelab (aubio)"] = _aubio(paths)
        for name in [p for p in args.peers.split(",") if p]:
            label = PEER_LABELS[name]
            try:
                tables[label] = peers.extract_peers(paths, name)
            except peers.PeerMissing as exc:
                rows[label] = {"note": str(exc)}
    essentia = "Essentia 2013 + bgate"
    parts = {"whole": truth}
    if not args.validation:
        parts.update({h: truth[truth["half"] == h] for h in ("tune", "held-out")})
    for part, subset in parts.items():
        rows_part = {label: row for label, row in rows.items() if "note" in row}
        for label, table in tables.items():
            rows_part[label] = _scores(subset, table)
        report = pd.DataFrame(rows_part).T
        if essentia in tables and "x real time per core" in report:
            speed = report["x real time per core"]
            report.insert(6, "speed / Essentia", speed / speed[essentia])
        print(f"\n== {part} ({len(subset)} clips)")
        with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 250):
            print(report.to_string())
    if args.out:
        merged = truth.copy()
        for label, table in tables.items():
            short = label.split()[0].strip("()").lower()
            merged = merged.merge(
                table[["path", "tempo", "key", "mode"]].rename(
                    columns={c: f"{short}_{c}" for c in ("tempo", "key", "mode")}
                ),
                on="path",
            )
        merged.to_csv(args.out, index=False)
        print(f"per-clip table: {args.out}")


if __name__ == "__main__":
    main()
