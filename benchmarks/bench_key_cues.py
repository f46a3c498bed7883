"""Which key cue holds across timbres: every cue of ``genrelab.audio.key`` scored per soundfont.

For the tune half of the scores corpus (:func:`bench_peers._tune_half`, ``--clips`` of its pieces)
rendered through each development soundfont, each clip's 8192-point aubio spectra are read once
and the 24-key scores of every cue kept: the tonal profile of the peak-pitch chroma (the
extractor's Bellman-Budge; every other profile of ``key.KEY_PROFILES`` beside it), the bass
histogram, the opening chord and the final bass note. It then prints the MIREX weighted key
score (mir_eval, descending fifths allowed) per soundfont and pooled for the old chroma (the
named baseline, :func:`bench_peers.old_chroma_key`), each profile alone and with the three other
cues (and with each minor key scored as the better of harmonic and natural minor), each cue
alone, each cue added to the profile, and a grid of the two weights with and without
the final bass, sorted by the worst soundfont: a key meant to hold across timbres is judged by the
soundfont it does worst on. Beside them, not pooled, the same for ``--synthetic`` clips of the
synthetic corpus, whose pop progressions (Aeolian minor among them) are the other harmony a key
must hold on: a choice that gains on the classical scores by expecting the leading tone of
harmonic minor loses there. Only tune-half pieces are read: the held-out half, the Bach chorales
and the reserved soundfonts stay untouched.

Usage::

    .venv/bin/python benchmarks/bench_key_cues.py --soundfonts TimGM6mb,GMbank,OPL3 --clips 30
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import pandas as pd
from bench_peers import _tune_half, long_spectra, old_chroma_from_spectra
from record import recording

from genrelab.audio import accuracy
from genrelab.audio import key as k
from genrelab.audio.sources import corpus as corpora
from genrelab.audio.sources import scores, synthetic

WIN = 8192
SYNTHETIC = "synthetic"  # the group of the synthetic clips: beside the fonts, not pooled


def either_minor_scores(values: np.ndarray, profile: str) -> np.ndarray:
    """Profile scores with each minor key scored as the better of two forms: the profile's own
    minor and a natural-minor variant of it (the 7th and the flat 7th's weights swapped).
    Majors are unchanged. A variant tried against the profiles' harmonic-minor bias."""
    major, minor = k.KEY_PROFILES[profile]
    natural = minor.copy()
    natural[[10, 11]] = minor[[11, 10]]
    values = np.asarray(values, float)
    if np.ptp(values) == 0:
        return np.zeros(24)
    z = k._zscore_rows(values)
    return np.maximum(
        k._key_templates(major, minor) @ z / 12, k._key_templates(major, natural) @ z / 12
    )


def cue_scores(path) -> dict:
    """The 24-key scores of each cue of one clip (and the final bass pitch class, or -1)."""
    mags, sr = long_spectra(path, WIN)  # read and transformed once for every cue
    notes = k.note_salience(mags, sr, k.BASS_LOW, k.CHROMA_HIGH)
    chroma_frames = k.fold_to_chroma(notes[:, k.CHROMA_LOW - k.BASS_LOW :], k.CHROMA_LOW)
    chroma = k.mean_chroma(chroma_frames)
    bass = k.bass_histogram(notes, k.BASS_LOW)
    sounding = k.sounding_frames(mags)
    tonic = k.final_bass(notes, k.BASS_LOW, sounding)
    old = old_chroma_from_spectra(mags, sr)
    return {
        "profile": k.profile_scores(chroma),
        "bass": k.profile_scores(bass),
        **{f"{name} profile": k.profile_scores(chroma, name) for name in k.KEY_PROFILES},
        **{f"{name} bass": k.profile_scores(bass, name) for name in k.KEY_PROFILES},
        **{
            f"{name} either-minor {cue}": either_minor_scores(values, name)
            for name in ("albrecht", "bellman")
            for cue, values in (("profile", chroma), ("bass", bass))
        },
        "opening": k.triad_scores(k.opening_chord(chroma_frames, sounding)),
        "final": -1 if tonic is None else tonic,
        "old": (old["key"], old["mode"]),
    }


def _choose(cues: dict, weights: dict, final: bool) -> tuple[int, int]:
    scores_ = sum(w * cues[c] for c, w in weights.items() if w)
    scores_ = np.asarray(scores_, float).copy()
    if final and cues["final"] >= 0:
        scores_[[i for i in range(24) if i % 12 != cues["final"]]] = -np.inf
    if not np.isfinite(scores_).any() or np.ptp(scores_[np.isfinite(scores_)]) == 0:
        return -1, -1
    best = int(np.argmax(scores_))
    return best % 12, int(best < 12)  # majors first: mode 1


def _mirex(rows: pd.DataFrame, choices: list[tuple[int, int]]) -> float:
    est = np.array(choices, float).reshape(-1, 2)
    return accuracy.key_accuracy(est[:, 0], est[:, 1], rows["key"], rows["mode"])["key_mirex"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--soundfonts", default="TimGM6mb,GMbank,OPL3")
    parser.add_argument("--clips", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--synthetic", type=int, default=120, help="synthetic clips beside them (0: none)"
    )
    args = parser.parse_args()
    with recording("bench_key_cues", "The key's cues per soundfont, tune half") as rec:
        _run(args, rec)


def _run(args, rec) -> None:
    fonts = args.soundfonts.split(",")
    pieces = corpora.subsample(_tune_half(args.seed, 1), args.clips, args.seed)
    corpora_ = {
        font: scores.corpus(None, args.seed, pieces=pieces, soundfont=font) for font in fonts
    }
    if args.synthetic:
        corpora_[SYNTHETIC] = synthetic.corpus(args.synthetic, args.seed)
    rows = []
    for group, corpus in corpora_.items():
        ref = corpus.reference.set_index("item_id")
        for item, path in zip(corpus.items["item_id"], corpus.items["path"]):
            if np.isnan(ref.loc[item, "key"]):
                continue  # the score leaves the key undecided
            rows.append(
                {
                    "soundfont": group,
                    "key": ref.loc[item, "key"],
                    "mode": ref.loc[item, "mode"],
                    **cue_scores(path),
                }
            )
    table = pd.DataFrame(rows)
    scored = table[table["soundfont"].isin(fonts)]
    groups = {g: table[table["soundfont"] == g] for g in fonts} | {"pooled": scored}
    groups |= {g: table[table["soundfont"] == g] for g in corpora_ if g not in fonts}
    print(
        f"{len(table)} clips with a decided key: "
        + ", ".join(f"{f} {len(g)}" for f, g in groups.items())
    )

    variants: dict[str, tuple[dict, bool]] = {
        **{f"{name} profile alone": ({f"{name} profile": 1}, False) for name in k.KEY_PROFILES},
        **{
            f"{name} profile, all four cues": (
                {f"{name} profile": 1, f"{name} bass": 0.25, "opening": 0.25},
                True,
            )
            for name in k.KEY_PROFILES
        },
        **{
            f"{name} either-minor, all four cues": (
                {
                    f"{name} either-minor profile": 1,
                    f"{name} either-minor bass": 0.25,
                    "opening": 0.25,
                },
                True,
            )
            for name in ("albrecht", "bellman")
        },
        "bass alone": ({"bass": 1}, False),
        "opening alone": ({"opening": 1}, False),
        "profile + final": ({"profile": 1}, True),
        "profile + bass 0.25": ({"profile": 1, "bass": 0.25}, False),
        "profile + opening 0.25": ({"profile": 1, "opening": 0.25}, False),
        f"genrelab ({k.KEY_PROFILE}, all four, 0.25 / 0.25)": (
            {"profile": 1, "bass": 0.25, "opening": 0.25},
            True,
        ),
    }
    out = {
        "old chroma (baseline)": {g: _mirex(part, list(part["old"])) for g, part in groups.items()}
    }
    for name, (weights, final) in variants.items():
        out[name] = {
            g: _mirex(part, [_choose(r, weights, final) for r in part.to_dict("records")])
            for g, part in groups.items()
        }
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 200):
        print("\n== key MIREX weighted, per cue")
        cue_table = pd.DataFrame(out).T
        cue_table.insert(len(fonts), "worst font", cue_table[fonts].min(axis=1))
        print(cue_table.to_string())
        for variant, by_group in out.items():
            for group, value in by_group.items():
                rec.add(f"{variant} · {group} · key MIREX", value)
        grid = {}
        for wb, wo, final in itertools.product(
            (0, 0.125, 0.25, 0.5), (0, 0.125, 0.25, 0.5), (False, True)
        ):
            weights = {"profile": 1, "bass": wb, "opening": wo}
            grid[(wb, wo, "final" if final else "-")] = {
                g: _mirex(part, [_choose(r, weights, final) for r in part.to_dict("records")])
                for g, part in groups.items()
            }
        grid_table = pd.DataFrame(grid).T
        grid_table.index.names = ["bass w", "opening w", "final bass"]
        grid_table.insert(len(fonts), "worst font", grid_table[fonts].min(axis=1))
        print("\n== profile + bass + opening (+ final bass) weights, by the worst soundfont")
        print(
            grid_table.sort_values(["worst font", "pooled"], ascending=False).head(12).to_string()
        )


if __name__ == "__main__":
    main()
