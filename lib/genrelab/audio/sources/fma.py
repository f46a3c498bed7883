"""The Free Music Archive (FMA) as an audio source, with the Echo Nest features as reference.

FMA's audio archives (fma_small, fma_medium, fma_large, fma_full) unpack to
``<root>/NNN/NNNNNN.mp3``: the six-digit, zero-padded track id, in a folder named after its
first three digits. The project ships the Echo Nest features of the FMA tracks that have
them (``genrelab.config.FMA_ECHONEST_CSV``: acousticness, danceability, energy,
instrumentalness, liveness, speechiness, tempo, valence; the features Spotify later served)
and one real clip, ``genrelab.config.FMA_CLIP`` (track 2, Echo Nest tempo 165.9 BPM).

Point the package at an unpacked archive with ``root=`` or the ``GENRELAB_FMA_DIR`` setting.
Genre labels are optional: FMA's ``fma_metadata/tracks.csv`` (two header rows; the
``track / genre_top`` column) or any CSV with ``track_id`` and ``genre`` columns.

Example
-------
>>> from genrelab.audio.sources import fma
>>> corpus = fma.corpus("/data/fma_small",
...                     tracks_csv="/data/fma_metadata/tracks.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from genrelab import config, schema
from genrelab.audio.sources.corpus import AudioCorpus, subsample

log = logging.getLogger(__name__)

ECHONEST_FEATURES = schema.ECHONEST_FEATURES
_NAME = re.compile(r"^(\d{6})\.(mp3|wav|flac|ogg)$", re.IGNORECASE)


def fma_path(root: str | Path, track_id: int, ext: str = "mp3") -> Path:
    """Where track ``track_id`` lives in an FMA tree: ``root/NNN/NNNNNN.<ext>``."""
    tid = f"{int(track_id):06d}"
    return Path(root) / tid[:3] / f"{tid}.{ext}"


def scan(root: str | Path) -> pd.DataFrame:
    """The audio files of an FMA tree: ``track_id`` (int) and ``path``, sorted by id.

    Files whose name or folder does not follow the layout are ignored (logged once).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"FMA folder {root} does not exist (set GENRELAB_FMA_DIR or pass root=)"
        )
    rows, ignored = [], 0
    for path in sorted(root.glob("*/*")):
        m = _NAME.match(path.name)
        if m and path.parent.name == m.group(1)[:3] and path.is_file():
            rows.append({"track_id": int(m.group(1)), "path": str(path)})
        elif path.is_file():
            ignored += 1
    if ignored:
        log.info("%s: ignored %d files that do not follow the NNN/NNNNNN.mp3 layout", root, ignored)
    return pd.DataFrame(rows, columns=["track_id", "path"])


def echonest_features(path: str | Path | None = None) -> pd.DataFrame:
    """The Echo Nest features table (``track_id`` + :data:`~genrelab.schema.ECHONEST_FEATURES`)."""
    path = Path(path) if path is not None else config.FMA_ECHONEST_CSV
    table = pd.read_csv(path)
    missing = [c for c in ["track_id", *ECHONEST_FEATURES] if c not in table]
    if missing:
        raise ValueError(f"{path}: missing Echo Nest columns {missing}")
    return table


def read_genres(path: str | Path) -> pd.Series:
    """Top-level genre per track id, from FMA's ``tracks.csv`` or a ``track_id,genre`` CSV."""
    path = Path(path)
    simple = pd.read_csv(path, nrows=5)
    if "track_id" in simple and ("genre" in simple or "genre_top" in simple):
        table = pd.read_csv(path)
        column = "genre" if "genre" in table else "genre_top"
        return table.set_index("track_id")[column].rename("genre")
    table = pd.read_csv(path, index_col=0, header=[0, 1])  # FMA's fma_metadata/tracks.csv
    if ("track", "genre_top") not in table.columns:
        raise ValueError(
            f"{path}: neither a track_id,genre CSV nor FMA's tracks.csv (track/genre_top)"
        )
    genres = table[("track", "genre_top")]
    genres.index = genres.index.astype(int)
    return genres.rename("genre")


def corpus(
    root: str | Path | None = None,
    *,
    n_clips: int | None = None,
    seed: int = 42,
    echonest_csv: str | Path | None = None,
    tracks_csv: str | Path | None = None,
    require_reference: bool = True,
) -> AudioCorpus:
    """An :class:`~genrelab.audio.sources.corpus.AudioCorpus` of an FMA tree.

    Parameters
    ----------
    root : path, optional
        The unpacked archive (default: the ``GENRELAB_FMA_DIR`` setting).
    n_clips : int, optional
        Draw at most this many tracks at random (seeded); ``None`` = all.
    echonest_csv : path, optional
        Echo Nest features (default: the shipped table).
    tracks_csv : path, optional
        Genre labels (FMA's ``tracks.csv`` or ``track_id,genre``).
    require_reference : bool
        Keep only tracks that have Echo Nest features (the point of this source).
    """
    root = root if root is not None else config.setting("GENRELAB_FMA_DIR")
    if root is None:
        raise ValueError(
            "no FMA folder: pass root= or set GENRELAB_FMA_DIR (an unpacked fma_small/fma_large)"
        )
    files = scan(root)
    reference = echonest_features(echonest_csv)
    if require_reference:
        n_before = len(files)
        files = files[files["track_id"].isin(reference["track_id"])]
        if len(files) < n_before:
            log.info(
                "%d of %d FMA files have no Echo Nest features: left out",
                n_before - len(files),
                n_before,
            )
    if files.empty:
        raise ValueError(f"{root}: no FMA-layout audio files with Echo Nest features")
    files = subsample(files, n_clips, seed)
    label = pd.Series(pd.NA, index=files.index, dtype="object")
    if tracks_csv is not None:
        label = files["track_id"].map(read_genres(tracks_csv))
    items = pd.DataFrame(
        {
            "item_id": files["track_id"].map(lambda t: f"{t:06d}"),
            "path": files["path"],
            "label": label,
        }
    )
    ref = reference[reference["track_id"].isin(files["track_id"])].copy()
    ref.insert(0, "item_id", ref.pop("track_id").map(lambda t: f"{int(t):06d}"))
    return AudioCorpus(
        "fma", items.reset_index(drop=True), ref.reset_index(drop=True), label_name="genre"
    )
