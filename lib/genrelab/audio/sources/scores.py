"""Real compositions rendered from their scores: audio with a ground truth taken from the score.

Pieces come from music21's bundled corpus (the default
:func:`~genrelab.audio.sources.score_catalogue.catalogue`: quartets, songs, piano pieces, madrigals,
masses, fiddle tunes, folk songs... across a dozen composers and collections) or from any folder of
MIDI / MusicXML / ABC / Humdrum files
(:func:`~genrelab.audio.sources.score_catalogue.folder_catalogue`). Each piece is parsed with
music21 and its first ``duration`` seconds rendered through a General MIDI soundfont
(:mod:`.render`) in one of several instrumentations, at a tempo drawn per piece.

**The Bach chorales are reserved for an independent validation**: every path with ``bach`` in it
(J. S. and C. P. E. Bach alike) is left out of every catalogue this module builds, so nothing is
developed or tuned on them (``tests/test_sources.py`` checks it).

Ground truth, from the score:

``tempo``
    quarter notes per minute of the rendering (drawn log-uniformly from ``tempo_range`` per
    piece; the score's own tempo marks are replaced by this one tempo)
``key``, ``mode``
    the key signature (of the bass part) and the final bass note, as MIREX keyed its MIDI
    collection: the final bass on the major tonic of the signature -> major, on its relative
    minor -> minor; any other ending, no signature, or a signature that changes leaves the key
    undecided (NaN, ``key_reason`` says why; the pieces stay for tempo)
``metre``
    the first time signature (``6/8``...); ``beat_tempo`` is the BPM of its beat (the dotted
    quarter in compound metres, the half note in 2/2)
``loudness``
    RMS level (dBFS) of the written file

The soundfont (:data:`.soundfont.SOUNDFONTS`: TimGM6mb by default, or another development font by
name) is part of the cache key and of each clip's record (``soundfont`` in ``details``); the
reserved ones (FluidR3 and MuseScore General) render only with ``validation=True``.

Clips are cached in ``<cache>/scores/<render version>-<soundfont>-d<duration>-r<rate>/`` as FLAC
with a JSON sidecar (which names the soundfont and its hash: a clip of another font is never
reused); a file's name carries the piece, its tempo and its instrumentation, so any change of
piece, tempo, instrumentation, soundfont, renderer version, duration or rate renders a new file,
and an identical request renders nothing. Writes are atomic (a unique temporary name, then
``os.replace``): several processes may fill one cold cache. Everything runs offline.

Example
-------
>>> from genrelab.audio.sources import scores
>>> corpus = scores.corpus(n_clips=40, seed=42)          # doctest: +SKIP
>>> corpus.details[["composer", "metre", "tempo", "key_name"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import soundfile as sf
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from genrelab import config, schema
from genrelab.audio.sources import soundfont as render
from genrelab.audio.sources.corpus import AudioCorpus, subsample
from genrelab.audio.sources.score_catalogue import (
    catalogue,
    folder_catalogue,
    is_reserved,
    validation_catalogue,
)
from genrelab.audio.sources.score_reading import (
    ScoreError,
    parse,
    score_notes,
    score_truth,
)

log = logging.getLogger(__name__)

#: Bump when the notes or truth taken from a score can change (part of the cache folder).
SCORES_VERSION = "scores-1"
TEMPO_RANGE = (60.0, 150.0)  # quarter-note BPM, drawn log-uniformly per piece
DEFAULT_INSTRUMENTATIONS = ("piano", "strings", "winds", "organ", "guitar")


# --------------------------------------------------------------------------- choices per piece
def draw_rendering(
    piece: str,
    seed: int,
    tempo_range: tuple[float, float] = TEMPO_RANGE,
    instrumentations: tuple[str, ...] = DEFAULT_INSTRUMENTATIONS,
) -> tuple[float, str]:
    """(tempo, instrumentation) of ``piece`` for corpus ``seed``: log-uniform in ``tempo_range``,
    uniform over ``instrumentations``; depends only on ``(seed, piece)``."""
    lo, hi = tempo_range
    if not 0 < lo <= hi:
        raise ValueError(f"tempo_range must be 0 < low <= high, got {tempo_range}")
    if not instrumentations:
        raise ValueError("instrumentations is empty")
    digest = int.from_bytes(hashlib.blake2b(piece.encode(), digest_size=8).digest(), "little")
    rng = np.random.default_rng([seed, digest])
    tempo = round(float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), 2)
    return tempo, instrumentations[int(rng.integers(len(instrumentations)))]


def default_dir(duration: float = 30.0, samplerate: int = 22050, soundfont=None) -> Path:
    """``<cache>/scores/<scores version>-<render version>-<soundfont>-d<duration>-r<rate>``."""
    version = render.RENDER_VERSION.replace("/", "_")
    tag = (
        f"{SCORES_VERSION}-{version}-{render.soundfont_tag(soundfont)}-d{duration:g}-r{samplerate}"
    )
    return config.cache_folder("scores") / tag


def _slug(piece: str) -> str:
    text = re.sub(r"[^A-Za-z0-9]+", "_", piece.split(":", 1)[-1]).strip("_")[-60:]
    return f"{text}-{hashlib.blake2b(piece.encode(), digest_size=4).hexdigest()}"


def _clip_name(piece: str, tempo: float, instrumentation: str) -> str:
    return f"{_slug(piece)}_{instrumentation}_{tempo:.2f}bpm"


def _read_record(sidecar: Path, expected: dict) -> dict | None:
    if not sidecar.exists() or not sidecar.with_suffix(".flac").exists():
        return None
    try:
        stored = json.loads(sidecar.read_text())
    except ValueError:
        return None
    return stored if all(stored.get(k) == v for k, v in expected.items()) else None


def _atomic_write_json(path: Path, record: dict) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.json")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _expected(piece: str, tempo: float, instrumentation: str, soundfont) -> dict:
    """What a cached clip's record must say to be reused: the rendering's choices and font."""
    name, path = render.resolve_soundfont(soundfont)
    return {
        "piece": piece,
        "tempo": tempo,
        "instrumentation": instrumentation,
        "soundfont": name,
        "soundfont_tag": render.soundfont_tag(path),
    }


def render_piece(
    entry: dict,
    tempo: float,
    instrumentation: str,
    *,
    duration: float,
    samplerate: int,
    dest: Path,
    soundfont=None,
) -> dict:
    """Parse, render and write one piece (or reuse its cached clip): its record.

    A piece that cannot be read, has no notes, or whose rendering fails comes back with
    ``status="failed"`` and a ``reason`` (and is not written).
    """
    name = _clip_name(entry["piece"], tempo, instrumentation)
    flac, sidecar = dest / f"{name}.flac", dest / f"{name}.json"
    expected = _expected(entry["piece"], tempo, instrumentation, soundfont)
    cached = _read_record(sidecar, expected)
    if cached is not None:
        return cached
    base = {**expected, "status": "failed", "file": flac.name}
    try:
        score = parse(entry["path"], entry.get("number"))
        notes = score_notes(score)
        if len(notes) == 0:
            raise ScoreError(entry["piece"], "no notes")
        truth = score_truth(score, notes)
        programs = render.programs_for(instrumentation, notes.n_parts)
        audio = render.render(
            notes, tempo, programs, duration, samplerate=samplerate, soundfont=soundfont
        )
    except ScoreError as exc:
        return {**base, "reason": exc.reason}
    except render.RenderError as exc:
        return {**base, "reason": str(exc)}
    peak = float(np.max(np.abs(audio)))
    if peak <= 1e-4:
        return {**base, "reason": "the rendering is silent"}
    audio = (audio * (10 ** (-3 / 20) / peak)).astype(np.float32)  # peak at -3 dBFS
    tmp = flac.with_name(f".{flac.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.flac")
    sf.write(tmp, audio, samplerate, subtype="PCM_16", format="FLAC")
    written = sf.read(tmp, dtype="float64")[0]
    os.replace(tmp, flac)
    sounding = notes.until(duration * tempo / 60.0)
    record = {
        **base,
        "status": "ok",
        "reason": "",
        "title": truth.title,
        "key": truth.key,
        "mode": truth.mode,
        "key_reason": truth.key_reason,
        "sharps": truth.sharps,
        "final_bass": truth.final_bass,
        "metre": truth.metre,
        "beat_quarters": truth.beat_quarters,
        "beat_tempo": round(tempo / truth.beat_quarters, 2),
        "n_parts": notes.n_parts,
        "n_notes": len(sounding),
        "programs": programs,
        "loudness": round(float(20 * np.log10(np.sqrt(np.mean(written**2)) + 1e-12)), 2),
        "duration_s": len(written) / samplerate,
        "scores_version": SCORES_VERSION,
        "render_version": render.RENDER_VERSION,
    }
    _atomic_write_json(sidecar, record)
    return record


# --------------------------------------------------------------------------- the corpus
def generate(
    pieces: pd.DataFrame,
    seed: int = 42,
    *,
    tempo_range: tuple[float, float] = TEMPO_RANGE,
    instrumentations: tuple[str, ...] = DEFAULT_INSTRUMENTATIONS,
    duration: float = 30.0,
    samplerate: int = 22050,
    soundfont: str | Path | None = None,
    dest: str | Path | None = None,
    n_jobs: int = 1,
    progress: bool = False,
    validation: bool = False,
) -> pd.DataFrame:
    """Render (or reuse) one clip per row of ``pieces`` (a
    :func:`~genrelab.audio.sources.score_catalogue.catalogue`): their records. Reserved (Bach)
    pieces raise ``ValueError`` unless ``validation`` (the one validation).

    Returns one row per piece: the catalogue's columns, ``tempo``, ``instrumentation``,
    ``status`` (``ok`` / ``failed``), ``reason``, ``clip_path`` and the truth of
    :func:`render_piece` (``key``, ``mode``, ``key_reason``, ``metre``, ``beat_tempo``,
    ``loudness``...).
    """
    if not validation and any(is_reserved(Path(p)) for p in pieces["path"]):
        raise ValueError("the Bach pieces are reserved for independent validation")
    if not validation and render.is_reserved_soundfont(soundfont):
        raise ValueError(f"the soundfont {soundfont} is reserved for independent validation")
    soundfont = render.resolve_soundfont(soundfont)[1]
    dest = Path(dest) if dest is not None else default_dir(duration, samplerate, soundfont)
    dest.mkdir(parents=True, exist_ok=True)
    entries = pieces.to_dict("records")
    for e in entries:
        e["number"] = None if pd.isna(e.get("number")) else int(e["number"])
    choices = [draw_rendering(e["piece"], seed, tempo_range, instrumentations) for e in entries]
    kwargs: dict[str, Any] = {
        "duration": duration,
        "samplerate": samplerate,
        "dest": dest,
        "soundfont": soundfont,
    }
    records: list[dict | None] = [None] * len(entries)
    todo = []
    for i, (e, (tempo, instr)) in enumerate(zip(entries, choices)):
        name = _clip_name(e["piece"], tempo, instr)
        expected = _expected(e["piece"], tempo, instr, soundfont)
        records[i] = _read_record(dest / f"{name}.json", expected)
        if records[i] is None:
            todo.append(i)
    if todo:
        log.info("rendering %d of %d pieces into %s", len(todo), len(entries), dest)
        # starting a worker (importing music21) costs about as much as rendering a few pieces
        n_jobs = max(1, min(n_jobs if n_jobs > 0 else (os.cpu_count() or 1), len(todo) // 8))
        jobs = (delayed(render_piece)(entries[i], *choices[i], **kwargs) for i in todo)
        made = (
            (render_piece(entries[i], *choices[i], **kwargs) for i in todo)
            if n_jobs == 1
            else Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        )
        for i, rec in zip(todo, tqdm(made, total=len(todo), desc="scores", disable=not progress)):
            records[i] = rec
    table = pd.DataFrame([{**e, **cast(dict, r)} for e, r in zip(entries, records)])
    table["clip_path"] = [str(dest / f) for f in table["file"]]
    return table


def corpus(
    n_clips: int | None = None,
    seed: int = 42,
    *,
    path: str | Path | None = None,
    pieces: pd.DataFrame | None = None,
    label: str = "composer",
    tempo_range: tuple[float, float] = TEMPO_RANGE,
    instrumentations: tuple[str, ...] = DEFAULT_INSTRUMENTATIONS,
    duration: float = 30.0,
    soundfont: str | Path | None = None,
    n_jobs: int = 1,
    progress: bool = False,
    dest: str | Path | None = None,
    validation: bool = False,
) -> AudioCorpus:
    """Pieces rendered from their scores, with the scores' ground truth.

    Parameters
    ----------
    n_clips : int, optional
        At most this many pieces, a seeded sample of the catalogue (default: all of it).
    seed : int
        Draws the sample, and each piece's tempo and instrumentation.
    path : path, optional
        A folder of score files (:func:`~genrelab.audio.sources.score_catalogue.folder_catalogue`)
        instead of music21's corpus.
    pieces : DataFrame, optional
        Rows of a catalogue to render instead (one soundfont after another, say).
    label : str
        What labels the clips: ``composer``, ``form``, ``collection``, ``instrumentation`` or
        ``soundfont``.
    tempo_range, instrumentations, duration
        The rendering choices (:func:`draw_rendering`), clip length in seconds.
    soundfont : str or path, optional
        A name of :data:`.soundfont.SOUNDFONTS` (``"GMbank"``, ``"OPL3"``...) or an ``.sf2``
        file; default TimGM6mb. The reserved fonts only with ``validation``.
    n_jobs, progress
        Processes rendering missing clips; a tqdm bar.
    validation : bool
        The reserved Bach chorales
        (:func:`~genrelab.audio.sources.score_catalogue.validation_catalogue`): the one validation,
        not tuning.

    Returns
    -------
    AudioCorpus
        ``reference``: ``tempo`` (quarter-note BPM), ``key``, ``mode`` (NaN when the score does
        not decide), ``note_rate`` (notes a second), ``voices`` (parts), ``loudness``
        (measured: ``AudioCorpus.measured``); ``details``: one row per clip with the piece,
        composer, form, metre, ``beat_tempo``, instrumentation, title, ``key_reason``...;
        ``failures``: the pieces that could not be rendered.
    """
    label_columns = ("composer", "form", "collection", "instrumentation", "soundfont")
    if label not in label_columns:
        raise ValueError(f"label must be one of {label_columns}, got {label!r}")
    if pieces is not None:
        pass
    elif validation:
        pieces = validation_catalogue()
    else:
        pieces = catalogue() if path is None else folder_catalogue(path)
    pieces = subsample(pieces, n_clips, seed)
    table = generate(
        pieces,
        seed,
        tempo_range=tempo_range,
        instrumentations=tuple(instrumentations),
        duration=duration,
        soundfont=soundfont,
        n_jobs=n_jobs,
        progress=progress,
        dest=dest,
        validation=validation,
    )
    return _as_corpus(table, label)


_TRUTH_COLUMNS = ["title", "key", "mode", "key_reason", "metre", "beat_quarters", "beat_tempo"]
_TRUTH_COLUMNS += ["n_parts", "n_notes", "loudness", "duration_s"]
#: The per-clip details :func:`corpus` returns beside the reference.
_DETAIL_COLUMNS = [
    "piece",
    "composer",
    "form",
    "collection",
    "title",
    "metre",
    "beat_quarters",
    "tempo",
    "beat_tempo",
    "instrumentation",
    "soundfont",
    "key",
    "mode",
    "key_reason",
    "n_parts",
    "n_notes",
]


def _as_corpus(table: pd.DataFrame, label: str) -> AudioCorpus:
    """The rendered pieces of :func:`generate`'s ``table`` as an :class:`AudioCorpus`."""
    ok = table[table["status"] == "ok"].reset_index(drop=True)
    if ok.empty:  # nothing rendered: the columns a rendered piece would have, no rows
        ok = ok.reindex(columns=[*ok.columns, *_TRUTH_COLUMNS]).astype({"key": float})
    failed = table[table["status"] != "ok"]
    item_ids = [_slug(p) for p in ok["piece"]]
    items = pd.DataFrame({"item_id": item_ids, "path": ok["clip_path"], "label": ok[label]})
    decided = ok["key"] >= 0
    reference = pd.DataFrame(
        {
            "item_id": item_ids,
            "tempo": ok["tempo"].astype(float),
            "key": ok["key"].where(decided).astype(float),
            "mode": ok["mode"].where(decided).astype(float),
            "note_rate": (ok["n_notes"] / ok["duration_s"]).astype(float),  # notes a second
            "voices": ok["n_parts"].astype(float),
            "loudness": ok["loudness"].astype(float),
        }
    )
    details = ok[_DETAIL_COLUMNS].assign(item_id=item_ids)
    details["key_name"] = [
        schema.key_name(k, m) if k >= 0 else "" for k, m in zip(details["key"], details["mode"])
    ]
    failures = pd.DataFrame(
        {"item_id": [_slug(p) for p in failed["piece"]], "reason": failed["reason"]}
    )
    return AudioCorpus(
        "scores",
        items,
        reference,
        label_name=label,
        failures=failures,
        details=details,
        measured=("loudness",),  # the RMS of the rendering: measured, not the score's truth
    )


def key_summary(details: pd.DataFrame) -> pd.DataFrame:
    """Clips whose key the score decides and the ones left out for the key, by reason."""
    reasons = details["key_reason"].where(details["key_reason"] != "", "decided")
    general = reasons.str.replace(r"final bass .*", "final bass fits neither key", regex=True)
    general = general.str.replace(
        r"the key signature changes.*", "key signature changes", regex=True
    )
    return general.value_counts().rename("clips").to_frame()
