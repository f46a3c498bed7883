"""One track's analysis: its metadata, audio features and a classifier's genre probabilities.

:func:`analyze_track` takes a Spotify id, URI or URL (what the predictor page accepts), gets
the track and its features (Spotify, or ReccoBeats after a 403) and, given a model, the genre
probabilities; the look-up is memoised per process and its answers sit in the HTTP cache.

Example
-------
>>> from genrelab.collect import analysis
>>> analysis.analyze_track("0r7CVbZTWZgbTCYdfa2P31", model).predicted_genre   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genrelab import config, schema
from genrelab.collect.checkpoint import Checkpoint
from genrelab.collect.records import track_record
from genrelab.collect.spotify_client import SpotifyClient, public_client, translate_errors
from genrelab.collect.stages import Collector, FeaturesSource


@dataclass
class TrackAnalysis:
    """One track: its metadata, audio features and (given a model) genre probabilities."""

    track: pd.Series
    features: pd.Series
    features_source: str
    probabilities: pd.Series | None = None

    @property
    def predicted_genre(self) -> str | None:
        return None if self.probabilities is None else str(self.probabilities.idxmax())

    def to_frame(self) -> pd.DataFrame:
        """One row: metadata, features, and ``p_<genre>`` columns."""
        parts = [self.track, self.features]
        if self.probabilities is not None:
            parts.append(self.probabilities.add_prefix("p_"))
        return pd.concat(parts).to_frame().T


_ANALYSIS_MEMO: dict[tuple, tuple[pd.Series, pd.Series, str]] = {}


@translate_errors
def analyze_track(
    track_id: str,
    model: Any = None,
    *,
    features_source: FeaturesSource = "auto",
    client: SpotifyClient | None = None,
) -> TrackAnalysis:
    """Metadata + audio features of one track, and the genre probabilities of ``model``.

    Parameters
    ----------
    track_id : str
        A Spotify id, URI or open.spotify.com URL.
    model : object, optional
        Anything with ``predict_proba`` and ``classes_`` taking a DataFrame with the columns
        :data:`genrelab.schema.AUDIO_FEATURES` (the classifier notebook 03 saves).

    The look-up is memoised per process and the answers sit in the HTTP cache, so a second
    analysis of the same track makes no call.
    """
    sp = client or public_client()
    tid = sp._get_id("track", track_id)
    memo_key = (sp.app, str(config.cache_dir()), tid, features_source)
    if memo_key not in _ANALYSIS_MEMO:
        rec = track_record(sp.track(tid))
        c = Collector(sp, Checkpoint(None), features_source, progress=False)
        feats, used, failed = c.features([tid])
        f = dict(feats.get(tid) or {})
        f.setdefault("duration_ms", rec["duration_ms"])
        features = pd.Series(
            {k: f.get(k, np.nan) for k in schema.AUDIO_FEATURES}, dtype="float64", name=tid
        )
        track = pd.Series(
            {
                "track_id": tid,
                "track_name": rec["name"],
                "track_artist": (rec["artist_names"] or [None])[0],
                "track_album_name": rec["album_name"],
                "track_album_release_date": rec["release_date"],
                "isrc": rec["isrc"],
            },
            name=tid,
        )
        _ANALYSIS_MEMO[memo_key] = (track, features, used)
    track, features, used = _ANALYSIS_MEMO[memo_key]
    probs = None
    if model is not None:
        absent = features.index[features.isna()].tolist()
        if absent:
            raise ValueError(
                f"track {tid}: no {', '.join(absent)} from {used}; the model needs all of "
                f"{schema.AUDIO_FEATURES}"
            )
        X = features.to_frame().T.reset_index(drop=True)
        p = np.asarray(model.predict_proba(X))[0]
        probs = pd.Series(
            p, index=[str(c) for c in model.classes_], name="probability"
        ).sort_values(ascending=False)
    return TrackAnalysis(track.copy(), features.copy(), used, probs)
