"""Which pieces the scores corpus renders: music21's corpus, a folder of scores, the reserved set.

:func:`catalogue` picks pieces from music21's bundled corpus (quartets, songs, piano music,
folk tunes; never the reserved Bach chorales), :func:`folder_catalogue` reads any folder of
score files, and :func:`validation_catalogue` is the reserved set itself: the one independent
validation of a final method, never used to develop or tune.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from music21 import corpus as m21corpus

RESERVED = "bach"  # reserved for independent validation: never in a catalogue
CATALOGUE_SEED = 0  # the default catalogue's picks do not depend on the corpus seed
VALIDATION_PIECES = 60  # Bach chorales in the validation catalogue
#: music21 corpus collections of the default catalogue:
#: folder -> (composer label, form, at most this many pieces)
COLLECTIONS: dict[str, tuple[str, str, int]] = {
    "haydn": ("Haydn", "string quartet", 9),
    "mozart": ("Mozart", "string quartet", 16),
    "beethoven": ("Beethoven", "string quartet", 12),
    "schumann_robert": ("Schumann", "song / quartet", 7),
    "schumann_clara": ("Schumann", "piano piece", 5),
    "joplin": ("Joplin", "rag", 1),
    "handel": ("Handel", "aria", 1),
    "verdi": ("Verdi", "aria", 1),
    "weber": ("Weber", "piano piece", 1),
    "liliuokalani": ("Liliuokalani", "song", 1),
    "johnson_j_r": ("Johnson", "hymn", 1),
    "leadSheet": ("lead sheet", "song", 2),
    "monteverdi": ("Monteverdi", "madrigal", 14),
    "palestrina": ("Palestrina", "mass", 14),
    "trecento": ("trecento", "ballata / madrigal", 8),
    "ryansMammoth": ("fiddle tunes", "fiddle tune", 26),
    "oneills1850": ("fiddle tunes", "fiddle tune", 12),
    "essenFolksong": ("folk songs", "folk song", 16),
}
#: Larger files take seconds to parse: the default catalogue leaves them out.
MAX_BYTES: dict[str, int | None] = {
    ".mxl": 60_000,
    ".krn": 60_000,
    ".abc": None,
    ".xml": 200_000,
    ".musicxml": 200_000,
}
SCORE_SUFFIXES = (".mxl", ".musicxml", ".xml", ".krn", ".abc", ".mid", ".midi")
_FORMAT_PREFERENCE = {".mxl": 0, ".musicxml": 1, ".xml": 2, ".krn": 3, ".abc": 4}


def is_reserved(path: Path) -> bool:
    return RESERVED in str(path).lower()


def corpus_root() -> Path:
    """The folder of music21's bundled corpus (``.../music21/corpus``)."""
    first = Path(m21corpus.getCorePaths()[0])
    return next(p for p in first.parents if p.name == "corpus")


def _abc_numbers(path: Path) -> list[int]:
    """The tune numbers (``X:`` fields) of an ABC file, in file order."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return [int(n) for n in re.findall(r"(?m)^X:\s*(\d+)", text)]


def _entry(path: Path, root: Path, number: int | None, composer: str, form: str, source: str):
    rel = path.relative_to(root).with_suffix("").as_posix()
    piece = f"{source}:{rel}" + (f"#{number}" if number is not None else "")
    return {
        "piece": piece,
        "path": str(path),
        "number": number,
        "composer": composer,
        "form": form,
        "collection": rel.split("/")[0] if "/" in rel else source,
    }


def catalogue(collections: dict[str, tuple[str, str, int]] | None = None) -> pd.DataFrame:
    """The default pieces: music21's bundled corpus, :data:`COLLECTIONS`, Bach left out.

    One format per piece (MusicXML before Humdrum before ABC), files over :data:`MAX_BYTES`
    left out, the tunes of an ABC collection counted one by one; where a collection holds more
    than its cap, a seeded (``CATALOGUE_SEED``) sample. Sorted by piece.

    Returns
    -------
    pandas.DataFrame
        ``piece`` (unique id), ``path``, ``number`` (ABC tune number or ``None``), ``composer``,
        ``form``, ``collection``.
    """
    collections = COLLECTIONS if collections is None else collections
    base = corpus_root()
    by_folder: dict[str, list[Path]] = {}
    for p in m21corpus.getCorePaths():
        p = Path(p)
        folder = p.relative_to(base).parts[0]
        if folder in collections and not is_reserved(p) and p.suffix in _FORMAT_PREFERENCE:
            by_folder.setdefault(folder, []).append(p)
    rows = []
    rng = np.random.default_rng(CATALOGUE_SEED)
    for folder, (composer, form, cap) in collections.items():
        best: dict[str, Path] = {}
        for p in sorted(by_folder.get(folder, [])):
            limit = MAX_BYTES.get(p.suffix)
            if limit is not None and p.stat().st_size > limit:
                continue
            stem = p.with_suffix("").as_posix()
            if (
                stem not in best
                or _FORMAT_PREFERENCE[p.suffix] < _FORMAT_PREFERENCE[best[stem].suffix]
            ):
                best[stem] = p
        entries = []
        for p in sorted(best.values()):
            numbers = _abc_numbers(p) if p.suffix == ".abc" else []
            if len(numbers) > 1:
                entries += [_entry(p, base, n, composer, form, "music21") for n in numbers]
            else:
                entries.append(_entry(p, base, None, composer, form, "music21"))
        if len(entries) > cap:
            keep = np.sort(rng.choice(len(entries), size=cap, replace=False))
            entries = [entries[i] for i in keep]
        rows += entries
    return pd.DataFrame(rows).sort_values("piece", ignore_index=True)


def validation_catalogue(n_pieces: int = VALIDATION_PIECES) -> pd.DataFrame:
    """The reserved pieces, for the one independent validation only: a seeded sample of the Bach
    chorales (``bach/bwv*.mxl``) of music21's corpus, in the shape of :func:`catalogue`."""
    base, limit = corpus_root(), MAX_BYTES[".mxl"] or 0
    paths = [p for p in sorted(map(Path, m21corpus.getCorePaths())) if p.suffix == ".mxl"]
    paths = [p for p in paths if p.relative_to(base).parts[0] == "bach" and p.name[:3] == "bwv"]
    paths = [p for p in paths if p.stat().st_size <= limit]
    rng = np.random.default_rng(CATALOGUE_SEED)
    keep = np.sort(rng.choice(len(paths), size=min(n_pieces, len(paths)), replace=False))
    rows = [_entry(paths[i], base, None, "Bach", "chorale", "music21") for i in keep]
    return pd.DataFrame(rows).sort_values("piece", ignore_index=True)


def folder_catalogue(path: str | Path, *, composer_from_folder: bool = True) -> pd.DataFrame:
    """Every score file under ``path`` (MIDI, MusicXML, ABC, Humdrum), Bach left out, in the
    shape of :func:`catalogue`; the composer is the first sub-folder's name (else ``unknown``)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"score folder {root} does not exist")
    rows = []
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() not in SCORE_SUFFIXES or is_reserved(p.relative_to(root)):
            continue
        rel = p.relative_to(root)
        composer = rel.parts[0] if composer_from_folder and len(rel.parts) > 1 else "unknown"
        rows.append(_entry(p, root, None, composer, "", "folder"))
    if not rows:
        raise FileNotFoundError(f"no score files ({', '.join(SCORE_SUFFIXES)}) under {root}")
    return pd.DataFrame(rows)
