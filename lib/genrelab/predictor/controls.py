"""The predictor's controls: one slider per feature, grouped and labelled, with its help text."""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as w
import numpy as np

from genrelab import schema
from genrelab.predictor.html import (
    esc,
)

FEATURE_GROUPS = (
    ("Mood and movement", ("danceability", "energy", "valence")),
    ("Sound", ("acousticness", "instrumentalness", "speechiness", "liveness", "loudness")),
    ("Rhythm, key and length", ("tempo", "key", "mode", "duration_ms")),
)
FEATURE_LABELS = {
    "loudness": "loudness (dB)",
    "tempo": "tempo (BPM)",
    "duration_ms": "duration (min)",
}
#: One line per feature (Spotify's definitions, shortened): slider tooltips.
FEATURE_HELP = {
    "danceability": "how suitable for dancing: tempo, rhythm stability, beat strength (0-1)",
    "energy": "perceived intensity and activity: fast, loud, noisy (0-1)",
    "valence": "musical positiveness: high sounds happy or euphoric, low sad or angry (0-1)",
    "acousticness": "confidence that the track is acoustic (0-1)",
    "instrumentalness": "likelihood that the track has no vocals (0-1)",
    "speechiness": "presence of spoken words: above 0.33 rap or spoken word (0-1)",
    "liveness": "presence of an audience: above 0.8 likely live (0-1)",
    "loudness": "average loudness in decibels (typically -60 to 0 dB)",
    "tempo": "estimated tempo in beats per minute",
    "key": "the key the track is in (pitch class, 0 = C)",
    "mode": "major or minor",
    "duration_ms": "length of the track (minutes here; the model reads milliseconds)",
}


def snap_to_step(value: float, low: float, high: float, step: float) -> float:
    """``value`` on the slider's grid ``low + k * step`` (rounded like the page's), in range."""
    decimals = max(0, -int(np.floor(np.log10(step))) + 1)
    return float(min(high, max(low, round(low + round((value - low) / step) * step, decimals))))


def feature_slider(feature: str, r: Mapping[str, float]):
    """The control of one feature, from its training range ``r`` (min, p01, median, p99, max)."""
    style = {"description_width": "150px"}
    layout = w.Layout(width="96%")
    tip = FEATURE_HELP.get(feature, feature)
    label = FEATURE_LABELS.get(feature, feature)
    if feature == "key":
        return w.SelectionSlider(
            options=[(f"{n} ({i})", i) for i, n in enumerate(schema.PITCH_CLASSES)],
            value=int(round(r["median"])) % 12,
            description=label,
            tooltip=tip,
            style=style,
            layout=layout,
        )
    if feature == "mode":
        return w.ToggleButtons(
            options=[("major", 1), ("minor", 0)],
            value=int(round(r["median"])),
            tooltip=tip,
            style={"button_width": "80px"},
        )
    lo, hi = (r["min"], r["max"]) if feature in schema.UNIT_FEATURES else (r["p01"], r["p99"])
    if feature == "duration_ms":
        lo, hi, med = lo / 60000, hi / 60000, r["median"] / 60000
        return w.FloatSlider(
            value=med,
            min=np.floor(lo * 4) / 4,
            max=np.ceil(hi * 4) / 4,
            step=0.05,
            readout_format=".2f",
            description=label,
            tooltip=tip,
            style=style,
            layout=layout,
        )
    step, fmt = {"loudness": (0.1, ".1f"), "tempo": (1.0, ".0f")}.get(feature, (0.01, ".2f"))
    lo, hi = np.floor(lo / step) * step, np.ceil(hi / step) * step
    if feature in schema.UNIT_FEATURES:
        lo, hi = max(0.0, lo), min(1.0, hi)
    return w.FloatSlider(
        value=float(np.clip(r["median"], lo, hi)),
        min=float(lo),
        max=float(hi),
        step=step,
        readout_format=fmt,
        description=label,
        tooltip=tip,
        style=style,
        layout=layout,
    )


def heading(text: str) -> w.HTML:
    return w.HTML(f'<div class="gl-h">{esc(text)}</div>')
