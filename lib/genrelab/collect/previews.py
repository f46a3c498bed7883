"""30 s Deezer previews of collected tracks as an audio source; their features as reference."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from genrelab import schema
from genrelab.audio.sources.corpus import AudioCorpus, subsample
from genrelab.collect import deezer


def corpus(
    tracks: pd.DataFrame | None = None,
    n_clips: int | None = 120,
    seed: int = 42,
    *,
    dest: str | Path | None = None,
    label_column: str = "genre",
    **download_kwargs,
) -> AudioCorpus:
    """30 s Deezer previews of ``tracks`` (by ``deezer_preview_url`` or ``isrc``), Spotify
    features as reference.

    A thin layer over :func:`genrelab.collect.deezer.download_previews` (which checks status,
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
    if tracks is None:
        raise ValueError(
            "the deezer source needs the collected tracks table with an 'isrc' or "
            "'deezer_preview_url' "
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
    ref_cols = [c for c in [*schema.CONTINUOUS_FEATURES, "key", "mode"] if c in files]
    reference = files[["track_id", *ref_cols]].rename(columns={"track_id": "item_id"})
    reference["item_id"] = reference["item_id"].astype(str)
    failures = downloads.failures.rename(columns={"track_id": "item_id"})[["item_id", "reason"]]
    return AudioCorpus("deezer", items, reference, label_name=label_column, failures=failures)
