"""The predictor widget's ways in besides the sliders: a Spotify track and an uploaded audio file.

:class:`ExternalInputs` is a part of :class:`genrelab.predictor.widget.GenrePredictor` (its
base class): each method reads the track or file, moves the sliders to its features and says in
the page what it could not do (no credentials, no network, a file aubio cannot read).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from genrelab.collect import analysis
from genrelab.predictor.html import (
    AUBIO_SHOWN,
    NO_MAPPING,
    descriptors_html,
    message_html,
)

if TYPE_CHECKING:
    import ipywidgets
    import pandas as pd

    from genrelab.predictor.model import PredictorModel

log = logging.getLogger(__name__)


class ExternalInputs:
    """Spotify track ids and uploaded audio as inputs of the predictor widget."""

    if TYPE_CHECKING:  # what GenrePredictor, the class built on this one, provides

        @property
        def _model(self) -> PredictorModel: ...

        features: list[str]
        probabilities: pd.Series
        upload_features: dict | None
        spotify_message: ipywidgets.HTML
        upload_message: ipywidgets.HTML

        def set_values(
            self, values: Mapping[str, float], *, note: str | None = None, source: str | None = None
        ) -> list[str]: ...

    def analyse_spotify(self, text: str) -> bool:
        """Fetch a Spotify track's features and move the sliders there; messages, never raises."""
        text = str(text).strip()
        if not text:
            self.spotify_message.value = message_html(
                "Paste a Spotify track id, URI or open.spotify.com link first.", "info"
            )
            return False
        self.spotify_message.value = message_html(f"fetching {text} \u2026", "info")
        try:
            result = analysis.analyze_track(text)
        except Exception as exc:  # credentials, network, unknown id: shown, not raised
            log.info("spotify look-up of %r failed: %s", text, exc)
            self.spotify_message.value = message_html(f"Could not fetch {text}:\n{exc}", "error")
            return False
        feats = result.features.dropna().to_dict()
        t = result.track
        name, artist = t.get("track_name"), t.get("track_artist")
        clipped = self.set_values(feats, note=f"sliders at \u201c{name}\u201d by {artist}")
        absent = [f for f in self.features if f not in feats]
        lines = [f"{name} by {artist}: features from {result.features_source}."]
        if absent:
            lines.append(f"Not available: {', '.join(absent)} (those sliders kept their values).")
        if clipped:
            lines.append(f"Outside the slider range (shown at its end): {', '.join(clipped)}.")
        self.spotify_message.value = message_html("\n".join(lines), "ok")
        return True

    # --- audio upload ----------------------------------------------------------------------------
    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[-1]
        self.analyse_upload(item.get("name", "upload"), bytes(item["content"]))

    def analyse_upload(self, name: str, content: bytes) -> dict | None:
        """Show an uploaded file's aubio features (and, with a mapping, move the sliders there).

        Returns the aubio descriptors, or ``None`` when the file cannot be analysed (the widget
        says why).
        """
        result = self._model.analyse_audio(name, content)
        self.upload_features = result.features
        if result.features is None:
            self.upload_message.value = message_html(
                f"Could not analyse {name}: {result.error}.", "error"
            )
            return None
        table = descriptors_html(result.features, AUBIO_SHOWN)
        if result.mapping_error:
            tail = message_html(
                f"The aubio->Spotify mapping failed: {result.mapping_error}", "error"
            )
        elif result.reference is None:
            tail = message_html(self._model.mapping_error or NO_MAPPING, "info")
        else:
            self.set_values(result.reference, note=f"sliders at the features mapped from {name}")
            top = self.probabilities.sort_values(ascending=False).head(3)
            tail = message_html(
                "Mapped to the model's features (sliders moved): "
                + ", ".join(f"{g} {p:.0%}" for g, p in top.items()),
                "ok",
            )
        self.upload_message.value = message_html(f"{name}: aubio features", "ok") + table + tail
        return result.features
