"""A deterministic corpus of labelled synthetic clips with known tempo, key, mode and loudness.

The offline default audio source: no download, no licence question, and a ground truth
that real recordings never come with. Each clip is 30 s of music in one of four styles,
synthesized from a chord progression in its key (pads / guitars / piano), a bass line on the
chord roots, a melody drawn from the scale, and drums where the style has them:

``electronic``  four-on-the-floor kick, claps on 2 and 4, off-beat open hats, 16th closed hats,
                off-beat synth bass, sustained pad; 118-132 BPM.
``rock``        kick on 1 and 3, snare backbeat on 2 and 4, 8th hats, crash every 4 bars,
                distorted power-chord guitar and 8th-note bass; 92-160 BPM; some timing jitter.
``hiphop``      syncopated boom-bap kick, snare on 2 and 4, swung 8th hats, electric piano and
                sub bass, rap-like bursts (a glottal pulse train through moving formants, at a
                16th-note syllable rate); 78-100 BPM.
``acoustic``    no drums: strummed guitar chords on every beat (softer up-strums between), plucked
                bass, a soft sung-like melody with vibrato; 70-125 BPM; timing jitter.

Keys are drawn uniformly over the 12 tonics, modes about 60 % major; minor clips use
harmonic-minor (V major), Aeolian and Andalusian progressions. Loudness targets are drawn
per style (RMS -20 to -6 dBFS) and the ground truth is the RMS level actually written. Clip
``i`` depends only on ``(seed, i)``, so a 24-clip corpus is the first 24 files of the
120-clip one, and files that already exist with matching parameters are not regenerated.

Example
-------
>>> from genrelab.audio.sources import synthetic
>>> truth = synthetic.generate_corpus(n_clips=8, seed=1)      # doctest: +SKIP
>>> truth[["style", "tempo", "key_name", "mode", "loudness"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from genrelab import config, schema
from genrelab.audio.sources.corpus import AudioCorpus
from genrelab.audio.sources.synthesizer import render_clip

log = logging.getLogger(__name__)

#: Bump when the audio a given (seed, index) produces changes: the cache folder is keyed by it.
GENERATOR_VERSION = "synthetic-2"
STYLES = ("electronic", "rock", "hiphop", "acoustic")

#: Per-style ranges: tempo (BPM, uniform on a log scale), RMS loudness target (dBFS).
STYLE_RANGES = {
    "electronic": {"tempo": (118.0, 132.0), "loudness": (-10.0, -6.5)},
    "rock": {"tempo": (92.0, 160.0), "loudness": (-11.0, -7.0)},
    "hiphop": {"tempo": (78.0, 100.0), "loudness": (-12.0, -8.0)},
    "acoustic": {"tempo": (70.0, 125.0), "loudness": (-20.0, -13.0)},
}
MAJOR_P = 0.6

# progressions as scale degrees (0 = tonic); "5h" = the harmonic-minor major dominant
_MAJOR_PROGRESSIONS = ([0, 4, 5, 3], [0, 3, 4, 0], [0, 5, 3, 4], [0, 3, 0, 4])
_MINOR_PROGRESSIONS: tuple[tuple[list[int | str], float], ...] = (
    ([0, 3, "5h", 0], 0.3),
    ([0, 5, 6, 0], 0.3),
    ([0, 6, 5, "5h"], 0.25),
    ([0, 5, 2, 6], 0.15),
)


def default_dir(seed: int = 42, duration: float = 30.0, samplerate: int = 22050) -> Path:
    """Cache folder of a corpus: ``<cache>/synthetic/<version>-s<seed>-d<duration>-r<rate>``."""
    tag = f"{GENERATOR_VERSION}-s{seed}-d{duration:g}-r{samplerate}"
    return config.cache_folder("synthetic") / tag


# --------------------------------------------------------------------------- ground truth
def clip_truth(index: int, seed: int = 42) -> dict:
    """The ground truth of clip ``index`` (style, tempo, key, mode, loudness target, progression).

    Cheap and deterministic: drawn from ``numpy.random.default_rng([seed, index])``.
    """
    rng = np.random.default_rng([seed, index, 0])
    style = STYLES[index % len(STYLES)]
    lo, hi = STYLE_RANGES[style]["tempo"]
    tempo = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    key = int(rng.integers(12))
    mode = int(rng.random() < MAJOR_P)  # Spotify's convention: 1 = major, 0 = minor
    if mode:
        progression: list[int | str] = list(
            _MAJOR_PROGRESSIONS[rng.integers(len(_MAJOR_PROGRESSIONS))]
        )
    else:
        weights = np.array([w for _, w in _MINOR_PROGRESSIONS])
        progression = list(
            _MINOR_PROGRESSIONS[rng.choice(len(weights), p=weights / weights.sum())][0]
        )
    lo, hi = STYLE_RANGES[style]["loudness"]
    return {
        "clip_id": f"syn{index:04d}",
        "index": index,
        "style": style,
        "tempo": round(tempo, 2),
        "key": key,
        "mode": mode,
        "key_name": schema.key_name(key, mode),
        "loudness_target": round(float(rng.uniform(lo, hi)), 2),
        "progression": "-".join(str(d) for d in progression),
    }


def _params_tag(seed: int, duration: float, samplerate: int) -> dict:
    return {
        "generator": GENERATOR_VERSION,
        "seed": seed,
        "duration": duration,
        "samplerate": samplerate,
    }


def _clip_paths(index: int, seed: int, dest: Path) -> tuple[dict, Path, Path]:
    truth = clip_truth(index, seed)
    path = dest / f"{truth['clip_id']}_{truth['style']}.flac"
    return truth, path, path.with_suffix(".json")


def _existing_record(
    index: int, seed: int, duration: float, samplerate: int, dest: Path
) -> dict | None:
    """Clip ``index``'s stored record if its file and sidecar exist with matching parameters."""
    truth, path, sidecar = _clip_paths(index, seed, dest)
    if not (path.exists() and sidecar.exists()):
        return None
    try:
        stored = json.loads(sidecar.read_text())
    except ValueError:
        return None
    expected = {**_params_tag(seed, duration, samplerate), **truth}
    return stored if {k: stored.get(k) for k in expected} == expected else None


def _write_clip(index: int, seed: int, duration: float, samplerate: int, dest: Path) -> dict:
    truth, path, sidecar = _clip_paths(index, seed, dest)
    audio = render_clip(truth, seed, duration, samplerate)
    # a unique temporary name per writer, then an atomic rename: several processes may render
    # the same clip into one cold cache at once, and none may read another's half-written file
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.flac")
    sf.write(tmp, audio, samplerate, subtype="PCM_16", format="FLAC")
    written = sf.read(tmp, dtype="float64")[0]
    os.replace(tmp, path)
    record = {
        **_params_tag(seed, duration, samplerate),
        **truth,
        "file": path.name,
        "loudness": round(float(20 * np.log10(np.sqrt(np.mean(written**2)))), 2),
        "duration_s": len(written) / samplerate,
    }
    tmp = sidecar.with_name(f".{sidecar.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.json")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, sidecar)
    return record


def generate_corpus(
    n_clips: int = 120,
    seed: int = 42,
    *,
    dest: str | Path | None = None,
    duration: float = 30.0,
    samplerate: int = 22050,
    n_jobs: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Write (or reuse) ``n_clips`` labelled clips and return their ground-truth table.

    Parameters
    ----------
    n_clips : int
        Number of clips; styles cycle, so any multiple of 4 is balanced.
    seed : int
        Corpus seed: clip ``i`` is fully determined by ``(seed, i)``.
    dest : path, optional
        Folder for the FLAC files and their JSON sidecars (default :func:`default_dir`).
    duration, samplerate : float, int
        Clip length in seconds and sample rate of the written files.
    n_jobs : int
        Processes used to render missing clips (joblib).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per clip: ``clip_id``, ``path``, ``file``, ``style``, ``tempo`` (BPM), ``key``
        (0 = C), ``mode`` (1 = major), ``key_name``, ``loudness`` (RMS dBFS of the written file),
        ``loudness_target``, ``progression``, ``index``, ``seed``, ``generator``.
    """
    if n_clips < 1:
        raise ValueError(f"n_clips must be >= 1, got {n_clips}")
    dest = Path(dest) if dest is not None else default_dir(seed, duration, samplerate)
    dest.mkdir(parents=True, exist_ok=True)
    records = {i: _existing_record(i, seed, duration, samplerate, dest) for i in range(n_clips)}
    missing = [i for i, r in records.items() if r is None]  # existing clips are not regenerated
    if missing:
        log.info("synthesizing %d of %d clips into %s", len(missing), n_clips, dest)
        # starting a worker costs about as much as rendering 20 clips: small batches stay here
        n_jobs = max(1, min(n_jobs if n_jobs > 0 else (os.cpu_count() or 1), len(missing) // 20))
        if n_jobs == 1:
            made = (_write_clip(i, seed, duration, samplerate, dest) for i in missing)
        else:
            made = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_write_clip)(i, seed, duration, samplerate, dest) for i in missing
            )
        for i, rec in zip(
            missing, tqdm(made, total=len(missing), desc="synthetic clips", disable=not progress)
        ):
            records[i] = rec
    truth = pd.DataFrame.from_records([records[i] for i in range(n_clips)])
    truth["path"] = [str(dest / f) for f in truth["file"]]
    cols = [
        "clip_id",
        "path",
        "file",
        "style",
        "tempo",
        "key",
        "mode",
        "key_name",
        "loudness",
        "loudness_target",
        "progression",
        "index",
        "seed",
        "generator",
    ]
    truth = truth[cols]
    truth.to_csv(dest / "truth.csv", index=False)
    return truth


def corpus(
    n_clips: int = 120,
    seed: int = 42,
    *,
    n_jobs: int = 1,
    dest: str | Path | None = None,
    duration: float = 30.0,
    progress: bool = False,
) -> AudioCorpus:
    """The generated clips (:func:`generate_corpus`) and their ground truth."""
    truth = generate_corpus(
        n_clips=n_clips, seed=seed, n_jobs=n_jobs, dest=dest, duration=duration, progress=progress
    )
    items = pd.DataFrame(
        {"item_id": truth["clip_id"], "path": truth["path"], "label": truth["style"]}
    )
    reference = truth[["clip_id", "tempo", "key", "mode", "loudness"]].rename(
        columns={"clip_id": "item_id"}
    )
    return AudioCorpus("synthetic", items, reference, label_name="style")
