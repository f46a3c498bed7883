"""Fast material (issue 29, item 4): where genrelab's tempo reads a 160-200 BPM track at half.

Drum patterns are synthesised here in numpy (a swept-sine kick, a noise snare, a short noise
hi-hat; 16 steps a bar), at fast tempi and at slow ones (the same patterns must not be read at
double tempo), 20 s each:

``dnb``       two-step drum and bass: kick on 1 and the "and" of 3, snare on 2 and 4, eighth hats
``hardcore``  four-on-the-floor kick, off-beat hats, a light snare on 2 and 4
``amen``      a breakbeat: kicks 0, 2, 10, 11, snares 4, 7, 9, 12, 15 (sixteenths), eighth hats
``accented``  a click on every beat, the downbeat louder and higher

For each it prints genrelab's tempo (:func:`genrelab.audio.extract_features`), aubio's own, and
what :func:`genrelab.audio.tempo.choose_tempo` picks on the same onset envelope with the tempo
prior centred elsewhere (``--centres``) and without its "half" term (the autocorrelation at
half the period: a beat is usually divided): a diagnostic of what decides the level, not a
tuning (nothing here is a development corpus of the scores or a reserved set).

Usage::

    .venv/bin/python benchmarks/bench_fast_tempo.py
    .venv/bin/python benchmarks/bench_fast_tempo.py --centres 140,160,180 --seconds 20
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from record import recording

from genrelab import audio
from genrelab.audio import features
from genrelab.audio.tempo import PRIOR_BPM, choose_tempo, onset_envelope

SR = 22050
#: pattern -> {instrument: steps (sixteenths) of a 16-step bar}
PATTERNS = {
    "dnb": {"kick": (0, 10), "snare": (4, 12), "hat": (0, 2, 4, 6, 8, 10, 12, 14)},
    "hardcore": {"kick": (0, 4, 8, 12), "snare": (4, 12), "hat": (2, 6, 10, 14)},
    "amen": {
        "kick": (0, 2, 10, 11),
        "snare": (4, 7, 9, 12, 15),
        "hat": (0, 2, 4, 6, 8, 10, 12, 14),
    },
    "accented": {"accent": (0,), "click": (4, 8, 12)},
}
FAST, SLOW = (160.0, 170.0, 174.0, 180.0, 190.0, 200.0), (70.0, 85.0, 95.0)


def _sounds(rng: np.random.Generator) -> dict[str, np.ndarray]:
    t = np.arange(int(0.25 * SR)) / SR
    sweep = 50 + 70 * np.exp(-t / 0.03)
    kick = np.sin(2 * np.pi * np.cumsum(sweep) / SR) * np.exp(-t / 0.12)
    noise = rng.standard_normal(len(t))
    snare = (0.6 * noise + 0.4 * np.sin(2 * np.pi * 185 * t)) * np.exp(-t / 0.07)
    hat = np.diff(noise, prepend=0.0) * np.exp(-t / 0.015) * 0.25
    tone = np.sin(2 * np.pi * 880 * t) * np.exp(-t / 0.03)
    return {
        "kick": kick,
        "snare": 0.7 * snare,
        "hat": hat,
        "click": 0.5 * tone,
        "accent": np.sin(2 * np.pi * 1320 * t) * np.exp(-t / 0.04),
    }


def render_pattern(pattern: str, bpm: float, seconds: float = 20.0, seed: int = 0) -> np.ndarray:
    """``pattern`` at ``bpm`` (quarter notes a minute) for ``seconds``, mono float32 at 22,050."""
    sounds = _sounds(np.random.default_rng(seed))
    y = np.zeros(int(seconds * SR) + SR)
    step = 60.0 / bpm / 4
    for bar in range(int(seconds / (16 * step)) + 1):
        for name, steps in PATTERNS[pattern].items():
            for s in steps:
                at = int(round((bar * 16 + s) * step * SR))
                if at < len(y) - len(sounds[name]):
                    y[at : at + len(sounds[name])] += sounds[name]
    y = y[: int(seconds * SR)]
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--centres", default=f"{PRIOR_BPM:g},160,180", help="prior centres")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with recording("bench_fast_tempo", "Fast drum patterns: the tempo's metrical level") as rec:
        _run(args, rec)


def _run(args, rec) -> None:
    centres = [float(c) for c in args.centres.split(",")]
    rows = []
    for pattern in PATTERNS:
        for bpm in (*SLOW, *FAST):
            y = render_pattern(pattern, bpm, args.seconds)
            f = audio.extract_features(y, SR)
            an = features._Analyzers(SR).fresh()
            _, tracker, _ = features.track_beats(y, SR, an["tempo"])
            env, fps = onset_envelope(y, SR)
            row = {
                "pattern": pattern,
                "true": bpm,
                "genrelab": f["tempo"],
                "aubio": f["tempo_aubio"],
            }
            for c in centres:
                chosen = choose_tempo(env, fps, tracker, others=(f["tempo_aubio"],), centre=c)
                row[f"prior {c:g}"] = chosen["tempo"]
            # the "half" term (a beat is usually divided) left out, the prior where it is
            plain = choose_tempo(env, fps, tracker, others=(f["tempo_aubio"],), weights={"half": 0})
            row["no half term"] = plain["tempo"]
            rows.append(row)
    table = pd.DataFrame(rows)
    ratio = table.drop(columns=["pattern", "true"]).div(table["true"], axis=0)
    hit = (ratio - 1).abs() < 0.04
    with pd.option_context("display.float_format", "{:.1f}".format, "display.width", 200):
        print(table.to_string(index=False))
    print("\nAcc1 (within 4 %), fast (>= 160 BPM) and slow tempi:")
    fast = table["true"] >= 160
    summary = pd.DataFrame({"fast": hit[fast].mean(), "slow": hit[~fast].mean()}).T
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 200):
        print(summary.to_string())
    for speed, row in summary.iterrows():
        for column, value in row.items():
            rec.add(f"{speed} tempi · {column} · tempo Acc1", value)


if __name__ == "__main__":
    main()
