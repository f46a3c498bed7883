"""Accuracy and speed of genrelab (aubio), Essentia, librosa and madmom on the same clips.

For each clip of a corpus with a ground truth (``scores``: pieces rendered from their scores,
the default; or ``synthetic``) every extractor decodes the file and analyses it in this one
process, one clip after the other:

* **genrelab (aubio)** - :func:`genrelab.audio.features.extract_features`, the whole feature set;
* **old chroma (baseline)** - :func:`old_chroma_key`: the key genrelab computed before
  ``genrelab-6k`` (commit cd3c21a): a peak chroma of the 8192-point spectra correlated with the
  Albrecht-Shanahan profiles, nothing else; key only, kept here so the comparison stays visible;
* **Essentia** - RhythmExtractor2013 (multifeature) + KeyExtractor (bgate): rhythm and key only;
* **librosa** - ``beat.beat_track`` + a chroma-CQT key: beat and key only;
* **madmom** - ``RNNBeatProcessor`` + ``TempoEstimationProcessor`` (comb) + ``CNNKeyRecognition``:
  beat activations, tempo and key only.

It prints tables of tempo Accuracy1 (within 4 %) and Accuracy2 (octave errors forgiven), the
MIREX weighted key score (descending fifths allowed), all scored by mir_eval, and the speed as
seconds of audio per CPU second of the process (``process_time``: x real time per core, decoding
included) and as a ratio to Essentia's. For the scores corpus, the tempo accuracies are also
given by metre (simple metres, whose beat is a quarter or a half note, and compound ones, whose
beat is a dotted note), Acc1 against the notated beat (``beat_tempo``: the dotted quarter in 6/8,
the half note in 2/2) beside the quarter note, and the keys the scores leave undecided are
counted. The table is printed for the whole corpus and for its two halves: **tune** (even
position in the corpus, the half genrelab's tempo and key choices were tuned on) and
**held-out** (odd). Without the ``[peers]`` extra the peers' rows say how to install them.

**Timbres**: ``--soundfonts TimGM6mb,GMbank,OPL3`` renders the same pieces through each General
MIDI soundfont (:data:`genrelab.audio.sources.soundfont.SOUNDFONTS`; ``make soundfonts`` installs
the Debian ones) and prints every table per soundfont and pooled, then one summary (Acc1, Acc2, key
per font and pooled). Last, the same three scores of every extractor **per label** (composer for
the scores corpus, style for the synthetic one; the soundfonts pooled; ``clips``, ``n_tempo`` and
``n_key`` count the clips and those with a reference tempo / key), also recorded: where each
extractor wins and loses, not only the pooled figure. ``--half tune`` draws the ``--clips`` pieces
from the tune half only (the even positions of the whole corpus rendered through TimGM6mb, the
order the halves were defined on): the development sample for choices still to be made. The
reserved fonts (FluidR3, MuseScore General) are refused here except with ``--validation``.

``--validation`` renders and scores the reserved Bach chorales instead
(:func:`genrelab.audio.sources.scores.validation_catalogue`): the one independent validation of a
final method, run once and reported apart; nothing may be tuned after it.

Usage::

    .venv/bin/python benchmarks/bench_peers.py                      # the whole scores corpus
    .venv/bin/python benchmarks/bench_peers.py --source synthetic --clips 120
    .venv/bin/python benchmarks/bench_peers.py --clips 40 --out /tmp/clips.csv
    .venv/bin/python benchmarks/bench_peers.py --soundfonts TimGM6mb,GMbank,OPL3 \
        --half tune --clips 30                                    # per timbre, tune half
    .venv/bin/python benchmarks/bench_peers.py --validation         # once, when final
"""

from __future__ import annotations

import argparse
import functools
import time

import aubio
import numpy as np
import pandas as pd
import soundfile as sf
from record import recording
from scipy.ndimage import uniform_filter1d
from threadpoolctl import threadpool_limits

from genrelab import audio
from genrelab.audio import accuracy, peers
from genrelab.audio.key import key_from_chroma
from genrelab.audio.load import load_audio
from genrelab.audio.sources import corpus as corpora
from genrelab.audio.sources import scores, synthetic
from genrelab.audio.sources import soundfont as render

PEER_LABELS = {
    "essentia": "Essentia 2013 + bgate",
    "librosa": "librosa beat_track",
    "madmom": "madmom RNN comb + CNN key",
}
GENRELAB, OLD_CHROMA, ESSENTIA = (
    "genrelab (aubio)",
    "old chroma (baseline)",
    PEER_LABELS["essentia"],
)


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


# --------------------------------------------------------------------------- the old chroma
@functools.lru_cache(maxsize=2)
def _old_chroma_weights(n_fft: int, sr: int) -> tuple[int, int, np.ndarray]:
    """(first bin, last bin, (12, bins) matrix) mapping C2..B6 FFT bins to pitch classes, each
    semitone's bump normalised to unit sum (the pre-genrelab-6k ``_chroma_weights``)."""
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    fmin, fmax = 440.0 * 2 ** ((36 - 69.5) / 12), 440.0 * 2 ** ((96 - 69.5) / 12)
    lo, hi = int(np.searchsorted(freqs, fmin)), int(np.searchsorted(freqs, fmax))
    midi = 69 + 12 * np.log2(freqs[lo:hi] / 440.0)
    note = np.round(midi).astype(int)
    weight = np.exp(-0.5 * ((midi - note) / 0.2) ** 2)
    weight /= np.bincount(note - note.min(), weights=weight)[note - note.min()]
    out = np.zeros((12, hi - lo))
    out[note % 12, np.arange(hi - lo)] = weight
    return lo, hi, out


def long_spectra(path, win: int = 8192) -> tuple[np.ndarray, int]:
    """aubio ``pvoc`` magnitudes of a file's ``win``-sample frames without overlap (the key's
    spectra) and its sample rate."""
    y, sr = load_audio(path)
    n = len(y) // win
    pv = aubio.pvoc(win, win)
    mags = np.empty((n, win // 2 + 1))
    for i, frame in enumerate(y[: n * win].reshape(n, win)):
        mags[i] = pv(frame).norm  # copied at once: aubio reuses the buffer it returns
    return mags, sr


def old_chroma_key(path, win: int = 8192) -> dict:
    """The old chroma key (baseline) of a file: :func:`old_chroma_from_spectra` of its
    :func:`long_spectra` (8192-sample frames at 22,050 Hz)."""
    return old_chroma_from_spectra(*long_spectra(path, win))


def old_chroma_from_spectra(mags: np.ndarray, sr: int) -> dict:
    """The old chroma key of long-window spectra: spectral peaks (local maxima above twice the
    41-bin local mean) square-root compressed onto C2-B6 pitch classes, each frame scaled to max
    1, averaged, correlated with the 24 rotated Albrecht-Shanahan profiles
    (:func:`genrelab.audio.key_from_chroma`)."""
    win = (mags.shape[1] - 1) * 2
    lo, hi, weights = _old_chroma_weights(win, sr)
    x = mags[:, lo - 1 : hi + 1]
    core = x[:, 1:-1]
    peaks = (core > x[:, :-2]) & (core >= x[:, 2:])
    peaks &= core > 2.0 * uniform_filter1d(x, 41, axis=1, mode="nearest")[:, 1:-1]
    chroma = np.einsum("fb,kb->fk", np.sqrt(np.where(peaks, core, 0.0)), weights)
    top = chroma.max(axis=1)
    chroma = chroma[top > 0] / top[top > 0, None]
    return key_from_chroma(chroma.mean(axis=0) if len(chroma) else np.zeros(12), "albrecht")


def _old_chroma(paths) -> pd.DataFrame:
    rows = []
    for path in paths:
        start = time.process_time()
        key = old_chroma_key(path)
        rows.append({"path": path, "tempo": np.nan, "key": key["key"], "mode": key["mode"]})
        rows[-1]["cpu_s"] = time.process_time() - start
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- scoring
def _scores(truth: pd.DataFrame, est: pd.DataFrame) -> dict:
    t = truth.merge(est, on="path", suffixes=("_ref", ""))
    key = accuracy.key_accuracy(t["key"], t["mode"], t["key_ref"], t["mode_ref"])
    out: dict = {"clips": len(t)}
    has_tempo = bool(t["tempo"].notna().any())
    if has_tempo:
        tempo = accuracy.tempo_accuracy(t["tempo"], t["tempo_ref"])
        out.update({"tempo Acc1": tempo["tempo_acc1"], "tempo Acc2": tempo["tempo_acc2"]})
    out.update({"key MIREX": key["key_mirex"], "key exact": key["key_acc"]})
    out["x real time per core"] = t["seconds"].sum() / t["cpu_s"].sum()
    if has_tempo and "beat_tempo" in t:
        acc = accuracy.tempo_accuracy(t["tempo"], t["beat_tempo"])
        out["Acc1 notated beat"] = acc["tempo_acc1"]
    if has_tempo and "simple" in t:
        for metre, part in t.groupby("simple"):
            acc = accuracy.tempo_accuracy(part["tempo"], part["tempo_ref"])
            tag = "simple" if metre else "compound"
            out[f"Acc1 {tag} ({len(part)})"] = acc["tempo_acc1"]
            out[f"Acc2 {tag} ({len(part)})"] = acc["tempo_acc2"]
    return out


def _report(subset: pd.DataFrame, tables: dict, notes: dict) -> pd.DataFrame:
    rows = {label: row for label, row in notes.items()}
    for label, table in tables.items():
        rows[label] = _scores(subset, table)
    report = pd.DataFrame(rows).T
    if ESSENTIA in tables and "x real time per core" in report:
        speed = report["x real time per core"]
        report.insert(
            report.columns.get_loc("x real time per core") + 1,
            "speed / Essentia",
            speed / speed[ESSENTIA],
        )
    return report


# --------------------------------------------------------------------------- the corpus
def _tune_half(seed: int, n_jobs: int) -> pd.DataFrame:
    """The catalogue rows of the tune half: even positions of the whole corpus rendered through
    TimGM6mb (the corpus the halves were defined on)."""
    whole = scores.corpus(None, seed, n_jobs=n_jobs, progress=True)
    tune = set(whole.details["piece"].iloc[::2])
    pieces = scores.catalogue()
    return pieces[pieces["piece"].isin(tune)].reset_index(drop=True)


def _truth(args, soundfont: str | None, pieces) -> tuple[pd.DataFrame, object]:
    if args.source == "synthetic" and not args.validation:
        corpus = synthetic.corpus(args.clips or 120, args.seed, n_jobs=args.n_jobs)
        simple = beat_tempo = None
    else:
        corpus = scores.corpus(
            None if pieces is not None else (args.clips or None),
            args.seed,
            pieces=pieces,
            soundfont=soundfont,
            n_jobs=args.n_jobs,
            progress=True,
            validation=args.validation,
        )
        det = corpus.details.set_index("item_id")
        simple = corpus.items["item_id"].map(det["beat_quarters"]).isin([1.0, 2.0])
        beat_tempo = corpus.items["item_id"].map(det["beat_tempo"])
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
    if args.half == "tune":
        truth["half"] = "tune"  # every piece drawn from the tune half
    truth["soundfont"] = soundfont or "TimGM6mb"
    truth["label"] = corpus.items["label"].values  # composer (scores) or style (synthetic)
    if simple is not None:
        truth["simple"] = simple.values
        truth["beat_tempo"] = beat_tempo.values
    return truth, corpus


def _analyse(paths, args) -> tuple[dict, dict]:
    tables, notes = {}, {}
    with threadpool_limits(1):
        tables[GENRELAB] = _aubio(paths)
        if args.source == "scores" or args.validation:
            tables[OLD_CHROMA] = _old_chroma(paths)
        for name in [p for p in args.peers.split(",") if p]:
            try:
                tables[PEER_LABELS[name]] = peers.extract_peers(paths, name)
            except peers.PeerMissing as exc:
                notes[PEER_LABELS[name]] = {"note": str(exc)}
    return tables, notes


def _print(title: str, report: pd.DataFrame) -> None:
    print(f"\n== {title}")
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 250):
        print(report.to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=("scores", "synthetic"), default="scores")
    parser.add_argument("--clips", type=int, default=0, help="clips (0 = the whole corpus)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--n-jobs", type=int, default=1, help="processes rendering the corpus")
    parser.add_argument("--peers", default=",".join(peers.PEERS), help="comma separated")
    parser.add_argument(
        "--soundfonts", default="TimGM6mb", help="comma separated names (scores corpus)"
    )
    parser.add_argument("--half", choices=("all", "tune"), default="all")
    parser.add_argument("--out", default="", help="write the per-clip table to this CSV")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="the reserved Bach chorales: the one independent validation (run once, when final)",
    )
    args = parser.parse_args()
    fonts = [f for f in args.soundfonts.split(",") if f]
    if args.source == "synthetic" and not args.validation:
        fonts = ["TimGM6mb"]
    for font in fonts:
        if render.is_reserved_soundfont(font) and not args.validation:
            parser.error(f"the soundfont {font} is reserved for validation")
        render.soundfont_file(font)  # SoundfontMissing says how to install it

    name = "bench_peers" + ("_validation" if args.validation else f"_{args.source}")
    if len(fonts) > 1 or fonts != ["TimGM6mb"]:
        name += "_" + "_".join(fonts)
    if args.half == "tune":
        name += "_tune"
    with recording(name, f"genrelab and its peers on the same clips ({name[12:]})") as rec:
        _run(args, fonts, rec)


def _record(rec, title: str, report: pd.DataFrame) -> None:
    for label, row in report.iterrows():
        for column in ("tempo Acc1", "tempo Acc2", "key MIREX", "x real time per core"):
            if column in row and pd.notna(row[column]):
                unit = "x" if column.startswith("x ") else ""
                rec.add(f"{title} · {label} · {column}", row[column], unit=unit)


def _by_label(truth: pd.DataFrame, tables: dict, label_name: str, rec) -> None:
    """Tempo Acc1 / Acc2 and the MIREX key score of every extractor per label (composer, style),
    every soundfont pooled, beside the per-soundfont summary: printed and recorded."""
    reference = truth.rename(columns={c: f"ref_{c}" for c in ("tempo", "key", "mode")})
    scores = accuracy.group_scores(reference, tables, "label", on="path", pooled="all")
    title = f"per {label_name}" + (
        ", soundfonts pooled" if truth["soundfont"].nunique() > 1 else ""
    )
    _print(title, accuracy.group_table(scores).rename_axis(label_name))
    for row in scores.itertuples():
        where = f"{title} · {row.group} ({row.clips} clips) · {row.extractor}"
        for column, value in (
            ("tempo Acc1", row.tempo_acc1),
            ("tempo Acc2", row.tempo_acc2),
            ("key MIREX", row.key_mirex),
        ):
            if pd.notna(value):
                rec.add(f"{where} · {column}", value)


def _run(args, fonts: list[str], rec) -> None:
    start = time.perf_counter()
    if args.validation:
        print("VALIDATION on the reserved Bach chorales: run once; nothing is tuned after it")
    pieces = None
    if args.half == "tune" and not args.validation and args.source == "scores":
        pieces = corpora.subsample(_tune_half(args.seed, args.n_jobs), args.clips, args.seed)
    truths, tables_by_font, notes = [], {}, {}
    for font in fonts:
        truth, corpus = _truth(args, font, pieces)
        print(f"{corpus!r} through {font}: {len(truth)} clips ({len(corpus.failures)} failed)")
        if args.source == "scores" or args.validation:
            print(f"keys decided by the score: {int(truth['key'].notna().sum())} of {len(truth)}")
            print(scores.key_summary(corpus.details).to_string())
        tables_by_font[font], notes = _analyse(list(truth["path"]), args)
        truths.append(truth)
    print(f"built and analysed in {time.perf_counter() - start:.1f} s")
    truth = pd.concat(truths, ignore_index=True)
    tables = {
        label: pd.concat([t[label] for t in tables_by_font.values()], ignore_index=True)
        for label in tables_by_font[fonts[0]]
    }
    groups = {font: truth[truth["soundfont"] == font] for font in fonts}
    if len(fonts) > 1:
        groups["pooled"] = truth
    summary = {}
    for group, part in groups.items():
        halves = {"whole": part}
        if not args.validation and args.half == "all":
            halves.update({h: part[part["half"] == h] for h in ("tune", "held-out")})
        for half, subset in halves.items():
            report = _report(subset, tables, notes)
            _print(f"{group}, {half} ({len(subset)} clips)", report)
            _record(rec, f"{group}, {half} ({len(subset)} clips)", report)
        report = _report(part, tables, {})
        summary[group] = report.reindex(columns=["tempo Acc1", "tempo Acc2", "key MIREX"])
    if len(fonts) > 1:
        _print("summary per soundfont and pooled", pd.concat(summary, axis=1))
    _by_label(truth, tables, corpus.label_name, rec)
    if args.out:
        merged = truth.copy()
        for label, table in tables.items():
            short = label.split()[0].strip("()").lower()
            short = "oldchroma" if label == OLD_CHROMA else short
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
