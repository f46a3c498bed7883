"""Fast material (issue 29, item 4): where genrelab's tempo reads a 160-200 BPM track at half.

Drum patterns are synthesised here in numpy (a swept-sine kick, a noise snare, a short noise
hi-hat; 16 steps a bar), at fast tempi and at slow ones (the same patterns must not be read at
double tempo), 20 s each:

``dnb``       two-step drum and bass: kick on 1 and the "and" of 3, snare on 2 and 4, eighth hats
``hardcore``  four-on-the-floor kick, off-beat hats, a light snare on 2 and 4
``amen``      a breakbeat: kicks 0, 2, 10, 11, snares 4, 7, 9, 12, 15 (sixteenths), eighth hats
``accented``  a click on every beat, the downbeat louder and higher

``check_patterns`` are other patterns with the synthetic corpus's drum kit (a kick with a click,
band-passed snare noise, claps, high-passed hats), timing jitter, a bass line and strummed chords:
drum and bass with ghost snares, jungle, punk at 165-195 BPM, four on the floor with claps, and
rock, hip-hop and the same patterns at 80-140. They were written after the backbeat term had
been chosen on the first set, as a check of it; every choice is the one the first set and the
constraints of ``bench_tempo_levels.py`` favour.

For each clip it prints genrelab's tempo (:func:`genrelab.audio.extract_features`), aubio's own,
and what :func:`genrelab.audio.tempo.choose_tempo` picks on the same onset and drum envelopes
without its backbeat term (the method before it), with the tempo prior centred elsewhere
(``--centres``), without its "half" term (the autocorrelation at half the period: a beat is
usually divided), and with the keyword arguments of ``--kwargs`` (JSON, as in
``bench_tempo_levels.py``): nothing here is a development corpus of the scores or a reserved set.

Usage::

    .venv/bin/python benchmarks/bench_fast_tempo.py
    .venv/bin/python benchmarks/bench_fast_tempo.py --centres 140,160,180 --seconds 20
    .venv/bin/python benchmarks/bench_fast_tempo.py --kwargs '{"weights": {"backbeat": 2}}'
"""

from __future__ import annotations

import argparse
import functools
import json

import numpy as np
import pandas as pd
from bench_tempo_levels import _inputs as tempo_inputs
from record import recording

from genrelab import audio
from genrelab.audio.sources.synthesizer import _drum_kit  # the synthetic corpus's kit
from genrelab.audio.tempo import PRIOR_BPM, choose_tempo

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
EIGHTHS, OFFBEATS = tuple(range(0, 16, 2)), (2, 6, 10, 14)
#: the check set: pattern -> ({instrument: ((step, gain), ...)}, fast tempi, slow tempi)
CHECK_PATTERNS = {
    "dnb_ghosts": (
        {
            "kick": ((0, 1.0), (10, 1.0)),
            "snare": ((4, 1.0), (12, 1.0), (7, 0.3), (14, 0.3)),
            "hat": tuple((s, 0.25 if s % 2 == 0 else 0.15) for s in range(16)),
            "bass": ((0, 0.6), (10, 0.6)),
        },
        (165.0, 172.0, 176.0, 185.0, 195.0),
        (85.0, 95.0),
    ),
    "jungle": (
        {
            "kick": ((0, 1.0), (6, 0.8), (10, 1.0)),
            "snare": ((4, 1.0), (12, 1.0), (13, 0.4)),
            "hat": tuple((s, 0.2) for s in EIGHTHS),
            "bass": ((0, 0.6), (8, 0.6)),
        },
        (165.0, 172.0, 176.0, 185.0, 195.0),
        (85.0, 95.0),
    ),
    "punk": (
        {
            "kick": ((0, 1.0), (8, 1.0)),
            "snare": ((4, 1.0), (12, 1.0)),
            "hat": tuple((s, 0.2) for s in EIGHTHS),
            "chord": tuple((s, 0.35) for s in EIGHTHS),
        },
        (165.0, 176.0, 185.0, 195.0),
        (90.0, 110.0),
    ),
    "four_claps": (
        {
            "kick": ((0, 1.0), (4, 1.0), (8, 1.0), (12, 1.0)),
            "clap": ((4, 0.8), (12, 0.8)),
            "open_hat": tuple((s, 0.2) for s in OFFBEATS),
        },
        (165.0, 176.0, 185.0, 195.0),
        (90.0, 120.0),
    ),
    "rock": (
        {
            "kick": ((0, 1.0), (8, 1.0)),
            "snare": ((4, 1.0), (12, 1.0)),
            "hat": tuple((s, 0.2) for s in EIGHTHS),
            "chord": tuple((s, 0.3) for s in EIGHTHS),
            "bass": tuple((s, 0.4) for s in EIGHTHS),
        },
        (),
        (80.0, 95.0, 110.0, 125.0, 140.0),
    ),
    "hiphop": (
        {
            "kick": ((0, 1.0), (6, 0.8), (10, 1.0)),
            "snare": ((4, 1.0), (12, 1.0)),
            "hat": tuple((s, 0.15) for s in EIGHTHS),
            "bass": ((0, 0.6), (6, 0.5)),
        },
        (),
        (80.0, 90.0, 100.0),
    ),
}
ROOTS = (55.0, 49.0, 41.2, 46.2)  # the bass line's and chords' root, bar by bar (Hz)


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


def _pitched(kind: str, freq: float, seconds: float) -> np.ndarray:
    """A sine bass note, or a strummed power chord (three saws, short decay)."""
    t = np.arange(int(seconds * SR)) / SR
    if kind == "bass":
        return np.sin(2 * np.pi * freq * t) * np.minimum(1.0, t / 0.01) * np.exp(-t / 0.6)
    saws = sum(2 * ((t * freq * m) % 1.0) - 1 for m in (1.0, 1.5, 2.0))
    return 0.3 * np.tanh(2 * saws) * np.exp(-t / 0.15)


def render_check(pattern: str, bpm: float, seconds: float = 20.0, seed: int = 0) -> np.ndarray:
    """A check pattern: the synthetic corpus's kit, 4 ms timing jitter, +-15 % gains."""
    rng = np.random.default_rng([seed, int(bpm), *map(ord, pattern)])
    kit = _drum_kit(rng, SR, "rock")
    hits = CHECK_PATTERNS[pattern][0]
    y = np.zeros(int(seconds * SR) + 2 * SR)
    step = 60.0 / bpm / 4
    for bar in range(int(seconds / (16 * step)) + 1):
        root = ROOTS[bar % len(ROOTS)]
        for name, steps in hits.items():
            for s, gain in steps:
                at = max(int(round(((bar * 16 + s) * step + rng.normal(0, 0.004)) * SR)), 0)
                gain *= rng.uniform(0.85, 1.15)
                if name == "bass":
                    sound = _pitched(name, root, 8 * step)
                elif name == "chord":
                    sound = _pitched(name, 4 * root, 8 * step)
                else:
                    sound = kit[name]
                if at + len(sound) < len(y):
                    y[at : at + len(sound)] += gain * sound
    y = y[: int(seconds * SR)]
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--centres", default=f"{PRIOR_BPM:g},160,180", help="prior centres")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--kwargs", default="{}", help="choose_tempo keyword arguments, JSON")
    args = parser.parse_args()
    kwargs = json.loads(args.kwargs)
    if kwargs:  # a variant being tried: printed, not recorded as the method's measurement
        _run(args, kwargs, None)
        return
    with recording("bench_fast_tempo", "Fast drum patterns: the tempo's metrical level") as rec:
        _run(args, kwargs, rec)


def _clips(seconds: float):
    for pattern in PATTERNS:
        for bpm in (*SLOW, *FAST):
            yield "patterns", pattern, bpm, render_pattern(pattern, bpm, seconds)
    for pattern, (_, fast, slow) in CHECK_PATTERNS.items():
        for bpm in (*slow, *fast):
            yield "check", pattern, bpm, render_check(pattern, bpm, seconds)


def _level(inputs: dict, aubio_bpm: float, **kwargs) -> float:
    return choose_tempo(**inputs, others=(aubio_bpm,), **kwargs)["tempo"]


def _run(args, kwargs: dict, rec) -> None:
    centres = [float(c) for c in args.centres.split(",")]
    rows = []
    for group, pattern, bpm, y in _clips(args.seconds):
        f = audio.extract_features(y, SR)
        got = tempo_inputs(y, SR)  # the level choice's inputs, as the extractor computes them
        inputs = {k: got[k] for k in ("env", "fps", "drums")} | {"tracker_bpm": got["tracker"]}
        level = functools.partial(_level, inputs, got["aubio"])
        row = {"group": group, "pattern": pattern, "true": bpm}
        row |= {"genrelab": f["tempo"], "aubio": f["tempo_aubio"]}
        row["no backbeat"] = level(weights={"backbeat": 0})  # the method before the term
        for c in centres:
            row[f"prior {c:g}, no backbeat"] = level(centre=c, weights={"backbeat": 0})
        # the "half" term (a beat is usually divided) left out, the prior where it is
        row["no half term"] = level(weights={"half": 0})
        if kwargs:
            row["variant"] = level(**kwargs)
        rows.append(row)
    table = pd.DataFrame(rows)
    estimates = table.drop(columns=["group", "pattern", "true"])
    hit = (estimates.div(table["true"], axis=0) - 1).abs() < 0.04
    with pd.option_context("display.float_format", "{:.1f}".format, "display.width", 250):
        print(table.to_string(index=False))
    if kwargs:
        print(f"\nvariant: choose_tempo(..., **{kwargs})")
    print("\nAcc1 (within 4 %), fast (>= 160 BPM) and slow tempi, clips right / clips:")
    fast = table["true"] >= 160
    summary = {}
    for group in ("patterns", "check"):
        for speed, rows_of in (("fast", fast), ("slow", ~fast)):
            part = hit[(table["group"] == group) & rows_of]
            summary[f"{group}, {speed}"] = part.sum().astype(int).astype(str) + f"/{len(part)}"
            if rec is not None:
                prefix = "" if group == "patterns" else "check patterns, "
                for column, value in part.mean().items():
                    rec.add(f"{prefix}{speed} tempi · {column} · tempo Acc1", value)
    with pd.option_context("display.width", 250):
        print(pd.DataFrame(summary).T.to_string())


if __name__ == "__main__":
    main()
