"""Where audio and reference features come from: one :class:`AudioCorpus` per source.

=============  ================================================================  ======================
source         audio                                                              reference features
=============  ================================================================  ======================
``synthetic``  generated 30 s clips in four styles (:mod:`.synthetic`, offline)   ground-truth tempo,
                                                                                  key, mode, loudness
``fma``        a folder laid out like FMA, ``NNN/NNNNNN.mp3`` (:mod:`.fma`)       Echo Nest features
``deezer``     30 s previews of the collected tracks, by ISRC                     Spotify / ReccoBeats
               (:func:`genrelab.sources.deezer.download_previews`)                features of the tracks
``folder``     any folder of audio files (:mod:`.folder`)                          an optional CSV keyed
                                                                                  by file name
=============  ================================================================  ======================

Every source returns the same shape, so the notebook does not care which one it got::

    corpus = sources.load_source("synthetic", n_clips=120, seed=42)
    corpus.items      # item_id, path, label
    corpus.reference  # item_id + whatever reference features the source has

(The ``reccobeats`` and ``deezer`` modules also hold the HTTP clients of the collection step.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ITEM_COLUMNS = ["item_id", "path", "label"]


@dataclass
class AudioCorpus:
    """Audio files plus the features to compare the extractor with.

    Attributes
    ----------
    name : str
        Source name (``"synthetic"``, ``"fma"``, ``"deezer"``, ``"folder"``).
    items : pandas.DataFrame
        One row per clip: ``item_id`` (str, unique), ``path`` (str), ``label`` (genre / style,
        ``<NA>`` when unknown).
    reference : pandas.DataFrame
        ``item_id`` plus reference feature columns (e.g. ``tempo``, ``key``, ``mode``,
        ``loudness``, ``energy``...); items without a reference row are allowed.
    label_name : str
        What ``label`` means (``"style"``, ``"genre"``).
    failures : pandas.DataFrame
        Items the source could not deliver (e.g. a failed download): ``item_id``, ``reason``.
    """

    name: str
    items: pd.DataFrame
    reference: pd.DataFrame
    label_name: str = "label"
    failures: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["item_id", "reason"])
    )

    def __post_init__(self):
        missing = [c for c in ITEM_COLUMNS if c not in self.items]
        if missing:
            raise ValueError(f"{self.name} corpus: items lacks columns {missing}")
        if self.items["item_id"].duplicated().any():
            dup = self.items.loc[self.items["item_id"].duplicated(), "item_id"].iloc[0]
            raise ValueError(f"{self.name} corpus: duplicated item_id {dup!r}")
        if "item_id" not in self.reference:
            raise ValueError(f"{self.name} corpus: reference lacks the item_id column")

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        ref = [c for c in self.reference.columns if c != "item_id"]
        return f"AudioCorpus({self.name!r}, {len(self)} clips, reference={ref}, label={self.label_name!r})"


def subsample(items: pd.DataFrame, n_clips: int | None, seed: int) -> pd.DataFrame:
    """At most ``n_clips`` rows drawn at random (seeded), in their original order."""
    if n_clips is None or n_clips <= 0 or n_clips >= len(items):
        return items.reset_index(drop=True)
    keep = np.sort(np.random.default_rng(seed).choice(len(items), size=n_clips, replace=False))
    return items.iloc[keep].reset_index(drop=True)


def synthetic_corpus(
    n_clips: int = 120,
    seed: int = 42,
    *,
    n_jobs: int = 1,
    dest: str | Path | None = None,
    duration: float = 30.0,
    progress: bool = False,
) -> AudioCorpus:
    """The generated clips (:func:`genrelab.sources.synthetic.generate_corpus`) and their ground truth."""
    from . import synthetic

    truth = synthetic.generate_corpus(
        n_clips=n_clips, seed=seed, n_jobs=n_jobs, dest=dest, duration=duration, progress=progress
    )
    items = pd.DataFrame(
        {"item_id": truth["clip_id"], "path": truth["path"], "label": truth["style"]}
    )
    reference = truth[["clip_id", "tempo", "key", "mode", "loudness"]].rename(
        columns={"clip_id": "item_id"}
    )
    return AudioCorpus("synthetic", items, reference, label_name="style")


def deezer_corpus(
    tracks: pd.DataFrame | None = None,
    n_clips: int | None = 120,
    seed: int = 42,
    *,
    dest: str | Path | None = None,
    label_column: str = "genre",
    **download_kwargs,
) -> AudioCorpus:
    """30 s Deezer previews of ``tracks`` (by ``deezer_preview_url`` or ``isrc``), Spotify features as reference.

    A thin layer over :func:`genrelab.sources.deezer.download_previews` (which checks status,
    content type, size and decodes each file before keeping it): tracks it could not deliver
    are in ``corpus.failures``.

    Parameters
    ----------
    tracks : DataFrame
        One row per track with ``track_id``, ``isrc`` and/or ``deezer_preview_url``, the
        Spotify / ReccoBeats audio features and a label column (the collection step's table).
    n_clips : int
        Tracks drawn at random (seeded) before downloading; ``None`` or 0 = all.
    dest : path, optional
        Preview folder (default ``<cache>/previews``).
    download_kwargs
        Passed to ``download_previews`` (e.g. ``session``, ``api_session``, ``progress``).
    """
    from .. import data
    from . import deezer

    if tracks is None:
        raise ValueError(
            "the deezer source needs the collected tracks table with an 'isrc' or 'deezer_preview_url' "
            "column (run notebooks/01_collection.ipynb with a Spotify source first; the embedded "
            "snapshot has no ISRCs)"
        )
    if "isrc" not in tracks and "deezer_preview_url" not in tracks:
        raise ValueError(
            f"tracks has neither 'isrc' nor 'deezer_preview_url'; columns: {list(tracks.columns)}"
        )
    one = subsample(tracks.drop_duplicates("track_id"), n_clips, seed)
    downloads = deezer.download_previews(one, dest, **download_kwargs)
    files = downloads.files.merge(one, on="track_id", how="left")
    label = files[label_column] if label_column in files else pd.Series(pd.NA, index=files.index)
    items = pd.DataFrame(
        {"item_id": files["track_id"].astype(str), "path": files["path"], "label": label}
    )
    ref_cols = [c for c in [*data.CONTINUOUS_FEATURES, "key", "mode"] if c in files]
    reference = files[["track_id", *ref_cols]].rename(columns={"track_id": "item_id"})
    reference["item_id"] = reference["item_id"].astype(str)
    failures = downloads.failures.rename(columns={"track_id": "item_id"})[["item_id", "reason"]]
    return AudioCorpus("deezer", items, reference, label_name=label_column, failures=failures)


def fma_corpus(root=None, n_clips: int | None = None, seed: int = 42, **kwargs) -> AudioCorpus:
    """An FMA-layout folder with the Echo Nest features (see :func:`genrelab.sources.fma.corpus`)."""
    from . import fma

    return fma.corpus(root, n_clips=n_clips, seed=seed, **kwargs)


def folder_corpus(path=None, n_clips: int | None = None, seed: int = 42, **kwargs) -> AudioCorpus:
    """Any folder of audio files (see :func:`genrelab.sources.folder.corpus`)."""
    from . import folder

    return folder.corpus(path, n_clips=n_clips, seed=seed, **kwargs)


#: name -> function returning an :class:`AudioCorpus`
SOURCES: dict[str, Callable[..., AudioCorpus]] = {
    "synthetic": synthetic_corpus,
    "fma": fma_corpus,
    "deezer": deezer_corpus,
    "folder": folder_corpus,
}


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
) -> AudioCorpus:
    """The corpus a notebook's parameters describe (what each source needs, from one flat set).

    ``audio_path`` is the folder of ``fma`` (default: the ``GENRELAB_FMA_DIR`` setting) and
    ``folder``; ``reference_csv`` the folder source's reference table; ``tracks`` the collected
    tracks the ``deezer`` source downloads previews for. ``n_clips`` 0 means every clip.
    """
    n = n_clips if n_clips and n_clips > 0 else None
    if audio_source == "synthetic":
        return synthetic_corpus(n_clips=n or 120, seed=seed, n_jobs=n_jobs, progress=progress)
    if audio_source == "fma":
        return fma_corpus(audio_path or None, n_clips=n, seed=seed)
    if audio_source == "folder":
        label_column = None  # a genre / label / style column of the CSV, else the sub-folder names
        if reference_csv:
            header = pd.read_csv(Path(reference_csv).expanduser(), nrows=0).columns
            label_column = next((c for c in ("genre", "label", "style") if c in header), None)
        return folder_corpus(
            audio_path or None,
            n_clips=n,
            seed=seed,
            reference_csv=reference_csv or None,
            label_column=label_column,
            label_from_folder=label_column is None,
        )
    if audio_source == "deezer":
        return deezer_corpus(tracks, n_clips=n, seed=seed, progress=progress)
    raise ValueError(f"unknown audio source {audio_source!r}; choose one of {sorted(SOURCES)}")


def load_source(name: str, **kwargs) -> AudioCorpus:
    """Build the corpus of audio source ``name`` (one of :data:`SOURCES`); kwargs go to its function.

    Examples
    --------
    >>> corpus = load_source("synthetic", n_clips=8, seed=1)     # doctest: +SKIP
    >>> corpus.items.label.value_counts()                        # doctest: +SKIP
    """
    try:
        fn = SOURCES[name]
    except KeyError:
        raise ValueError(
            f"unknown audio source {name!r}; choose one of {sorted(SOURCES)}"
        ) from None
    return fn(**kwargs)
