"""What a notebook's parameters ask for, from any source: the tracks table and the audio corpus.

The one place where the offline sources and the network ones meet, so that the table loader
(:mod:`genrelab.tables`) and the audio code (:mod:`genrelab.audio`) never import the collection
side (:mod:`genrelab.collect`, with spotipy and requests-cache):

* :func:`read_source` - the raw tracks of the embedded snapshot, a file, or a fresh Spotify
  collection (``source="spotify"``, :func:`genrelab.collect.catalogue.collect`);
* :data:`AUDIO_SOURCES`, :func:`load_source`, :func:`audio_corpus` - the offline audio sources of
  :mod:`genrelab.audio.sources` plus ``deezer`` (30 s previews of collected tracks,
  :mod:`genrelab.collect.previews`), and the corpus a notebook's flat parameters describe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from genrelab import tables
from genrelab.audio.sources import SOURCES, AudioCorpus
from genrelab.collect import catalogue, previews

#: name -> the function that builds its :class:`~genrelab.audio.sources.AudioCorpus`
AUDIO_SOURCES: dict[str, Callable[..., AudioCorpus]] = {**SOURCES, "deezer": previews.corpus}


def read_source(
    source: Literal["snapshot", "file", "spotify"] = "snapshot",
    data_path: str | Path | None = None,
    *,
    label_column: str = "playlist_genre",
    column_map: str | Mapping[str, str] | None = None,
    **collect_options,
) -> pd.DataFrame:
    """Read raw tracks from the embedded snapshot, a file, or a fresh Spotify collection.

    ``collect_options`` go to :func:`genrelab.collect.catalogue.collect` when ``source="spotify"``.
    """
    if source == "snapshot":
        return tables.read_tracks(None, label_column=label_column, column_map=column_map)
    if source == "file":
        if not data_path:
            raise ValueError("source='file' needs data_path (a CSV or parquet file)")
        return tables.read_tracks(data_path, label_column=label_column, column_map=column_map)
    if source == "spotify":
        df = catalogue.collect(**collect_options)
        if label_column and label_column not in df.columns:
            raise tables.DataValidationError(
                f"collected table has no label column {label_column!r}"
            )
        df["genre"] = df[label_column] if label_column else pd.Series(pd.NA, index=df.index)
        df.attrs["source"] = "spotify collection"
        return df
    raise ValueError(f"unknown source {source!r}: use 'snapshot', 'file' or 'spotify'")


def load_source(name: str, **kwargs) -> AudioCorpus:
    """Build the corpus of audio source ``name`` (a key of :data:`AUDIO_SOURCES`) with its own
    keyword arguments.

    Examples
    --------
    >>> corpus = load_source("synthetic", n_clips=8, seed=1)     # doctest: +SKIP
    >>> corpus.items.label.value_counts()                        # doctest: +SKIP
    """
    if name not in AUDIO_SOURCES:
        raise ValueError(f"unknown audio source {name!r}; choose one of {sorted(AUDIO_SOURCES)}")
    return AUDIO_SOURCES[name](**kwargs)


def _folder_label_column(reference_csv: str) -> str | None:
    """A ``genre`` / ``label`` / ``style`` column of the reference CSV, if it has one."""
    if not reference_csv:
        return None
    header = pd.read_csv(Path(reference_csv).expanduser(), nrows=0).columns
    return next((c for c in ("genre", "label", "style") if c in header), None)


def audio_corpus(
    audio_source: str,
    *,
    n_clips: int = 120,
    seed: int = 42,
    n_jobs: int = 1,
    audio_path: str = "",
    reference_csv: str = "",
    tracks: pd.DataFrame | None = None,
    progress: bool = False,
    clip_seconds: float = 30.0,
) -> AudioCorpus:
    """The corpus a notebook's parameters describe (what each source needs, from one flat set).

    ``audio_path`` is the folder of ``scores`` (score files; default music21's corpus), ``fma``
    (default: the ``GENRELAB_FMA_DIR`` setting) and ``folder``; ``reference_csv`` the folder
    source's reference table (its ``genre``, ``label`` or ``style`` column labels the clips, else
    the sub-folder names do); ``tracks`` the collected tracks the ``deezer`` source downloads
    previews for. ``n_clips`` 0 means every clip; ``clip_seconds`` is the length of the pieces
    the ``scores`` source renders.
    """
    n = n_clips if n_clips and n_clips > 0 else None
    label_column = _folder_label_column(reference_csv) if audio_source == "folder" else None
    kwargs: dict[str, dict[str, Any]] = {
        "synthetic": {"n_clips": n or 120, "n_jobs": n_jobs, "progress": progress},
        "scores": {
            "n_clips": n,
            "path": audio_path or None,
            "n_jobs": n_jobs,
            "progress": progress,
            "duration": clip_seconds,
        },
        "fma": {"root": audio_path or None, "n_clips": n},
        "folder": {
            "path": audio_path or None,
            "n_clips": n,
            "reference_csv": reference_csv or None,
            "label_column": label_column,
            "label_from_folder": label_column is None,
        },
        "deezer": {"tracks": tracks, "n_clips": n, "progress": progress},
    }
    if audio_source not in kwargs:
        raise ValueError(
            f"unknown audio source {audio_source!r}; choose one of {sorted(AUDIO_SOURCES)}"
        )
    return load_source(audio_source, seed=seed, **kwargs[audio_source])
