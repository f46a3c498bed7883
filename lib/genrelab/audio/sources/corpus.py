"""The shape every audio source returns: an :class:`AudioCorpus` of clips and reference features."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    details : pandas.DataFrame
        Optional descriptions of the items that are not features (``item_id`` plus e.g. the
        composer, metre, instrumentation of a rendered score); empty when the source has none.
    measured : tuple of str
        Reference columns measured from the audio itself rather than known from elsewhere (the
        scores corpus's ``loudness`` is the RMS of its rendering): not a reference for the
        extractor to mimic (:func:`genrelab.audio.compare.compare_with_reference`'s
        ``not_references``).
    """

    name: str
    items: pd.DataFrame
    reference: pd.DataFrame
    label_name: str = "label"
    failures: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["item_id", "reason"])
    )
    details: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["item_id"]))
    measured: tuple[str, ...] = ()

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
        return (
            f"AudioCorpus({self.name!r}, {len(self)} clips, reference={ref}, "
            f"label={self.label_name!r})"
        )


def subsample(items: pd.DataFrame, n_clips: int | None, seed: int) -> pd.DataFrame:
    """At most ``n_clips`` rows drawn at random (seeded), in their original order."""
    if n_clips is None or n_clips <= 0 or n_clips >= len(items):
        return items.reset_index(drop=True)
    keep = np.sort(np.random.default_rng(seed).choice(len(items), size=n_clips, replace=False))
    return items.iloc[keep].reset_index(drop=True)
