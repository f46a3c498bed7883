"""Where audio and reference features come from: one
:class:`~genrelab.audio.sources.corpus.AudioCorpus` per source.

=============  ==============================================  ==============================
source         audio                                           reference features
=============  ==============================================  ==============================
``synthetic``  generated 30 s clips in four styles, offline    ground-truth tempo, key, mode,
               (:mod:`.synthetic`)                             loudness
``scores``     real compositions rendered from their scores    the scores' tempo, key, mode,
               (music21's corpus or a folder, :mod:`.scores`)  metre; loudness
``fma``        a folder laid out like FMA, ``NNN/NNNNNN.mp3``  Echo Nest features
               (:mod:`.fma`)
``folder``     any folder of audio files (:mod:`.folder`)      an optional CSV keyed by file
                                                               name
=============  ==============================================  ==============================

Every source returns the same shape, so the notebook does not care which one it got::

    corpus = sources.SOURCES["synthetic"](n_clips=120, seed=42)
    corpus.items      # item_id, path, label
    corpus.reference  # item_id + whatever reference features the source has

The sources read scores through :mod:`.score_catalogue` (which pieces) and :mod:`.score_reading`
(one score's notes and truth), render notes with :mod:`.soundfont` (a General MIDI soundfont)
and synthesize the synthetic clips with :mod:`.synthesizer`.

``SOURCES`` is the table of the offline sources. The network one (``deezer``: 30 s previews
of collected tracks, :mod:`genrelab.collect.previews`) joins them one layer up, in
:mod:`genrelab.inputs`, which also maps a notebook's flat parameters onto each source's own.
"""

from __future__ import annotations

from collections.abc import Callable

from genrelab.audio.sources import fma, folder, scores, synthetic
from genrelab.audio.sources.corpus import ITEM_COLUMNS, AudioCorpus, subsample

__all__ = ["ITEM_COLUMNS", "SOURCES", "AudioCorpus", "subsample"]

#: name -> the function that builds its :class:`~genrelab.audio.sources.corpus.AudioCorpus`
SOURCES: dict[str, Callable[..., AudioCorpus]] = {
    "synthetic": synthetic.corpus,
    "scores": scores.corpus,
    "fma": fma.corpus,
    "folder": folder.corpus,
}
