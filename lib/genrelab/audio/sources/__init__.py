"""Where audio and reference features come from: one :class:`AudioCorpus` per source.

=============  ==============================================  ==============================
source         audio                                           reference features
=============  ==============================================  ==============================
``synthetic``  generated 30 s clips in four styles, offline    ground-truth tempo, key, mode,
               (:mod:`.synthetic`)                             loudness
``scores``     real compositions rendered from their scores    the scores' tempo, key, mode,
               (music21's corpus or a folder, :mod:`.scores`)  metre; loudness
``fma``        a folder laid out like FMA, ``NNN/NNNNNN.mp3``  Echo Nest features
               (:mod:`.fma`)
``deezer``     30 s previews of the collected tracks, by ISRC  Spotify / ReccoBeats features
               (:mod:`.previews`)                              of the tracks
``folder``     any folder of audio files (:mod:`.folder`)      an optional CSV keyed by file
                                                               name
=============  ==============================================  ==============================

Every source returns the same shape, so the notebook does not care which one it got::

    corpus = sources.load_source("synthetic", n_clips=120, seed=42)
    corpus.items      # item_id, path, label
    corpus.reference  # item_id + whatever reference features the source has

:data:`SOURCES` is the one table of sources; :func:`load_source` passes each source its own
keyword arguments and :func:`from_params` maps a notebook's flat parameters onto them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from genrelab.audio.sources import fma, folder, scores, synthetic
from genrelab.collect import previews
from genrelab.audio.sources.corpus import ITEM_COLUMNS, AudioCorpus, subsample

__all__ = ["ITEM_COLUMNS", "SOURCES", "AudioCorpus", "from_params", "load_source", "subsample"]

#: name -> the function that builds its :class:`AudioCorpus`
SOURCES: dict[str, Callable[..., AudioCorpus]] = {
    "synthetic": synthetic.corpus,
    "scores": scores.corpus,
    "fma": fma.corpus,
    "deezer": previews.corpus,
    "folder": folder.corpus,
}


def load_source(name: str, **kwargs) -> AudioCorpus:
    """Build the corpus of audio source ``name`` (a key of :data:`SOURCES`) with its own kwargs.

    Examples
    --------
    >>> corpus = load_source("synthetic", n_clips=8, seed=1)     # doctest: +SKIP
    >>> corpus.items.label.value_counts()                        # doctest: +SKIP
    """
    if name not in SOURCES:
        raise ValueError(f"unknown audio source {name!r}; choose one of {sorted(SOURCES)}")
    return SOURCES[name](**kwargs)


def _folder_label_column(reference_csv: str) -> str | None:
    """A ``genre`` / ``label`` / ``style`` column of the reference CSV, if it has one."""
    if not reference_csv:
        return None
    header = pd.read_csv(Path(reference_csv).expanduser(), nrows=0).columns
    return next((c for c in ("genre", "label", "style") if c in header), None)


def from_params(
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
    kwargs = {
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
        raise ValueError(f"unknown audio source {audio_source!r}; choose one of {sorted(SOURCES)}")
    return load_source(audio_source, seed=seed, **kwargs[audio_source])
