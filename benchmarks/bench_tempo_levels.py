"""The metrical-level choice of genrelab.audio.tempo on its inputs, dumped once: variants in
seconds.

Choosing the tempo's level (:func:`genrelab.audio.tempo.choose_tempo`) needs only the onset and drum
envelopes and the beat tracker's tempi, not the audio. ``--dump`` computes them once (seconds)
for every clip of the ``scores`` corpus (seed 42, as ``bench_peers.py``; the Bach chorales never:
they are reserved for validation), for 120 synthetic clips and for click tracks of 60-175 BPM,
into a pickle (a pickle from before the drum envelopes is computed again). Every later run scores
``choose_tempo`` with the keyword arguments given as JSON (prior centre and width, term
weights...) in a few seconds:

* on the **tune half** of the scores corpus (even positions, as ``bench_peers.py`` splits it),
  with its misses listed by ratio to the truth (x2: a slow piece read at its eighth notes, x2/3:
  a compound metre read at its dotted-quarter beat...);
* on the synthetic clips, which must not drop, and on the click tracks, which must all read at
  their tempo (a pulse without subdivision: the prior decides).

The held-out half is not scored here: ``bench_peers.py`` reports it once a variant is chosen.

Usage::

    .venv/bin/python benchmarks/bench_tempo_levels.py --dump
    .venv/bin/python benchmarks/bench_tempo_levels.py                      # the current method
    .venv/bin/python benchmarks/bench_tempo_levels.py --kwargs '{"centre": 120}'
    .venv/bin/python benchmarks/bench_tempo_levels.py --kwargs '{"weights": {"contrast": -0.5}}'
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
import time
from pathlib import Path

import aubio
import numpy as np
import pandas as pd
from record import recording

from genrelab import audio
from genrelab.audio import accuracy, tempo
from genrelab.audio.sources import scores, synthetic

DEFAULT_STORE = Path(tempfile.gettempdir()) / "genrelab_tempo_levels.pkl"
CLICK_BPMS = tuple(range(60, 180, 5))  # 60-175 BPM
CLICK_SECONDS = 12.0
NAMED_RATIOS = {"x2": 2.0, "x1/2": 0.5, "x3/2": 1.5, "x2/3": 2 / 3, "x3": 3.0, "x1/3": 1 / 3}


def click_track(bpm: float, seconds: float = CLICK_SECONDS, sr: int = audio.SAMPLERATE):
    """Short decaying 880 Hz tone bursts on every beat (as in ``tests/test_audio.py``)."""
    t = np.arange(int(seconds * sr)) / sr
    phase = np.mod(t, 60.0 / bpm)
    return (0.5 * np.sin(2 * np.pi * 880.0 * t) * np.exp(-phase / 0.03)).astype(np.float32)


def _inputs(y: np.ndarray, sr: int) -> dict:
    """What choose_tempo needs, as audio.features._analyse computes it."""
    tracker_obj = aubio.tempo("default", audio.features.WIN, audio.features.HOP, sr)
    _, tracker, _ = audio.track_beats(y, sr, tracker_obj)
    env, drums, fps = tempo.onset_envelopes(y, sr)
    return {
        "env": env,
        "drums": drums,
        "fps": fps,
        "tracker": tracker,
        "aubio": float(tracker_obj.get_bpm()),
    }


def dump(store: Path) -> None:
    start = time.perf_counter()
    clips = []
    corpus = scores.corpus(None, 42)
    truth = corpus.reference.set_index("item_id")["tempo"]
    metre = corpus.details.set_index("item_id")["metre"]
    for i, (item, path) in enumerate(zip(corpus.items["item_id"], corpus.items["path"])):
        row = {"set": "scores", "item": item, "truth": float(truth[item]), "metre": metre[item]}
        row["half"] = "tune" if i % 2 == 0 else "held-out"
        clips.append({**row, **_inputs(*audio.load_audio(path))})
    corpus = synthetic.corpus(120, 42)
    truth = corpus.reference.set_index("item_id")["tempo"]
    for item, path in zip(corpus.items["item_id"], corpus.items["path"]):
        row = {"set": "synthetic", "item": item, "truth": float(truth[item])}
        clips.append({**row, **_inputs(*audio.load_audio(path))})
    for bpm in CLICK_BPMS:
        row = {"set": "clicks", "item": f"click {bpm} BPM", "truth": float(bpm)}
        clips.append({**row, **_inputs(click_track(bpm), audio.SAMPLERATE)})
    store.write_bytes(pickle.dumps(clips))
    print(f"{len(clips)} clips dumped to {store} in {time.perf_counter() - start:.0f} s")


def _ratio_name(ratio: float) -> str:
    for name, r in NAMED_RATIOS.items():
        if abs(ratio / r - 1) <= 0.04:
            return name
    return f"x{ratio:.2f}"


def score(clips: list[dict], kwargs: dict, rec=None) -> None:
    start = time.perf_counter()
    rows = []
    for c in clips:
        if c["set"] == "scores" and c["half"] != "tune":
            continue  # the held-out half: bench_peers.py reports it
        inputs = {"others": (c["aubio"],), "drums": c["drums"]}
        est = tempo.choose_tempo(c["env"], c["fps"], c["tracker"], **inputs, **kwargs)
        rows.append({**{k: c.get(k, "") for k in ("set", "item", "metre")}, "truth": c["truth"]})
        rows[-1]["tempo"] = est["tempo"]
    table = pd.DataFrame(rows)
    hits = accuracy.tempo_hits(table["tempo"], table["truth"])
    table[["acc1", "acc2", "ratio"]] = hits[["acc1", "acc2", "ratio"]].to_numpy()
    elapsed = time.perf_counter() - start
    print(f"choose_tempo({kwargs}) on {len(table)} clips in {elapsed:.1f} s")
    for name, part in table.groupby("set", sort=False):
        label = "scores, tune half" if name == "scores" else name
        acc1, acc2 = part["acc1"].astype(bool).mean(), part["acc2"].astype(bool).mean()
        print(f"  {label:18s} {len(part):4d} clips  Acc1 {acc1:6.1%}  Acc2 {acc2:6.1%}")
        if rec is not None:
            rec.add(f"{label} ({len(part)} clips), tempo Acc1", acc1)
            rec.add(f"{label} ({len(part)} clips), tempo Acc2", acc2)
    misses = table[~table["acc1"].astype(bool)].copy()
    misses["as"] = [_ratio_name(r) for r in misses["ratio"]]
    print("\nmisses by ratio to the truth:")
    print(misses.groupby(["set", "as"]).size().rename("clips").to_string())
    print()
    shown = misses[["set", "item", "metre", "truth", "tempo", "as"]]
    with pd.option_context("display.width", 160, "display.float_format", "{:.1f}".format):
        print(shown.to_string(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", action="store_true", help="compute the inputs (seconds)")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE, help="the pickle")
    parser.add_argument("--kwargs", default="{}", help="choose_tempo keyword arguments, JSON")
    args = parser.parse_args()
    if args.dump or not args.store.exists():
        dump(args.store)
    kwargs = json.loads(args.kwargs)
    clips = pickle.loads(args.store.read_bytes())
    if "drums" not in clips[0]:  # a store from before the backbeat term: computed again
        dump(args.store)
        clips = pickle.loads(args.store.read_bytes())
    if kwargs:  # a variant being tried: printed, not recorded as the method's measurement
        score(clips, kwargs)
        return
    with recording("bench_tempo_levels", "The tempo's metrical level on the tune half") as rec:
        score(clips, kwargs, rec)


if __name__ == "__main__":
    main()
