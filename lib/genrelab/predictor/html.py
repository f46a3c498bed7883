"""The genre predictor's HTML: the page's CSS, its texts and the snippets its panels show.

Pure functions from values to HTML strings (every text escaped), so the widget
(:mod:`genrelab.predictor.widget`) only places them and the tests can read them without a browser.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.colors import to_hex

from genrelab.plots import genre_palette

CSS = """<style>
.gl-app {font-family: var(--jp-ui-font-family, system-ui, sans-serif); color: #222;}
.gl-app h2 {margin: 0 0 4px 0; font-size: 1.6em;}
.gl-help {color: #444; max-width: 980px; line-height: 1.4; margin: 0 0 6px 0;}
.gl-model {color: #666; font-size: 0.92em;}
.gl-h {font-weight: 600; font-size: 1.08em; margin: 10px 0 2px 0; color: #222;}
.gl-note {color: #666; font-size: 0.88em; line-height: 1.3;}
.gl-row {display: flex; align-items: center; gap: 8px; margin: 3px 0; font-size: 0.95em;}
.gl-label {width: 190px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.gl-sw {display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px;
        vertical-align: -1px;}
.gl-track {flex: 1; background: #eee; height: 16px; border-radius: 3px; overflow: hidden;}
.gl-fill {display: block; height: 100%; border-radius: 3px;}
.gl-val {width: 44px; text-align: right; font-variant-numeric: tabular-nums;}
.gl-top {font-weight: 700;}
.gl-wide .gl-label {width: 250px;}
.gl-headline {font-size: 1.15em; margin: 4px 0 6px 0;}
.gl-table {border-collapse: collapse; font-size: 0.92em; width: 100%;}
.gl-table th, .gl-table td {text-align: left; padding: 2px 8px 2px 0;
                            border-bottom: 1px solid #eee;}
.gl-table td.num {text-align: right; font-variant-numeric: tabular-nums;}
.gl-msg {padding: 6px 8px; border-radius: 4px; white-space: pre-wrap; font-size: 0.9em;
         margin: 4px 0; line-height: 1.4;}
.gl-error {background: #fdecea; border-left: 4px solid #c0392b;}
.gl-info {background: #eef4fb; border-left: 4px solid #2c6fbb;}
.gl-ok {background: #edf7ee; border-left: 4px solid #2e7d32;}
</style>"""
#: Bars and swatches of anything that is not a genre (clusters).
CLUSTER_COLOR = "#7f8c8d"
HELP = (
    "Which genre would a classifier give a song with these audio features? Move the sliders, "
    "or start from a genre's typical values, a track of the snapshot, a Spotify track or an "
    "audio file. On the right: the genre probabilities, the Gaussian-mixture cluster the point "
    "falls in, and the snapshot tracks with the most similar features. Hover a slider's name "
    "for what the feature means."
)

#: Aubio descriptors shown after an upload: (key, label, format).
AUBIO_SHOWN = (
    ("tempo", "tempo (BPM)", "{:.1f}"),
    ("key_name", "key", "{}"),
    ("loudness", "loudness (LUFS)", "{:.1f}"),
    ("duration", "duration (s)", "{:.1f}"),
    ("onset_rate", "onsets per second", "{:.2f}"),
    ("beat_regularity", "beat regularity", "{:.2f}"),
    ("centroid_mean", "spectral centroid (Hz)", "{:.0f}"),
    ("pitch_salience", "pitch salience", "{:.2f}"),
    ("voiced_fraction", "voiced fraction", "{:.2f}"),
)
NO_MAPPING = (
    "no aubio->Spotify mapping in this run, so no genre probabilities for an audio file (they "
    "need a model mapping aubio descriptors to the reference features: "
    "persist.save_aubio_mapping)."
)
SPOTIFY_HELP = (
    "Needs network and Spotify credentials (SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET in .env); "
    "features come from Spotify or ReccoBeats."
)
UPLOAD_HELP = (
    "WAV, FLAC, OGG or MP3, at least 3 s: tempo, key, loudness and timbre are computed with aubio."
)


def esc(value: Any) -> str:
    """``value`` as text, HTML-escaped."""
    return html.escape(str(value))


def message_html(text: str, kind: str = "info") -> str:
    """A boxed message (``kind``: info, ok or error) with the text escaped."""
    return f'<div class="gl-msg gl-{kind}">{esc(text)}</div>'


def page_html(body: str = "") -> str:
    """The CSS and the page's title, followed by ``body``."""
    return CSS + f'<div class="gl-app"><h2>Genre predictor</h2>{body}</div>'


def genre_colors(genres: Sequence[str]) -> dict[str, str]:
    """The package's genre palette as hex colours."""
    return {g: to_hex(c) for g, c in genre_palette(list(genres)).items()}


def header_html(meta: Mapping[str, Any], run_name: str, *, fallback: bool = False) -> str:
    """The page's title, what it does, and which model of which run it shows."""
    m = meta.get("metrics", {}) or {}
    acc = m.get("accuracy")
    acc = f", held-out accuracy {acc:.0%}" if isinstance(acc, (int, float)) else ""
    picked = (
        " runs/latest has no saved classifier, so this is the run with the newest one."
        if fallback
        else ""
    )
    return page_html(
        f'<p class="gl-help">{esc(HELP)}</p>'
        f'<div class="gl-model">Model: <b>{esc(meta.get("name", "?"))}</b> on the '
        f"{esc(meta.get('feature_set', 'audio'))} features "
        f"({esc(', '.join(meta.get('features', [])))}) from run "
        f"<code>{esc(run_name)}</code> ({len(meta.get('classes', []))} genres, "
        f"{esc(meta.get('n_train', '?'))} training tracks{acc}).{esc(picked)}</div>"
    )


def bars_html(
    values: Mapping[str, float], colors: Mapping[str, str], *, css_class: str = ""
) -> str:
    """Horizontal bars, one per label, in the given order; the largest is bold."""
    top = max(values, key=lambda label: values[label]) if values else None
    rows = []
    for label, v in values.items():
        color = colors.get(label, CLUSTER_COLOR)
        cls = "gl-row gl-top" if label == top else "gl-row"
        rows.append(
            f'<div class="{cls}"><span class="gl-label">'
            f'<span class="gl-sw" style="background:{color}"></span>{esc(label)}</span>'
            f'<span class="gl-track"><span class="gl-fill" '
            f'style="width:{100 * v:.1f}%;background:{color}"></span></span>'
            f'<span class="gl-val">{100 * v:.0f}%</span></div>'
        )
    return f'<div class="{css_class}">' + "".join(rows) + "</div>"


def probabilities_html(probabilities: pd.Series, colors: Mapping[str, str]) -> str:
    """The most likely genre in words, then one bar per genre."""
    top = probabilities.idxmax()
    return (
        f'<div class="gl-headline">Most likely: '
        f'<b style="color:{colors.get(top, "#222")}">{esc(top)}</b> '
        f"({probabilities[top]:.0%})</div>" + bars_html(probabilities.to_dict(), colors)
    )


def clusters_html(posterior: pd.Series, shown: int = 5) -> str:
    """All clusters when there are few; else the most likely ones and the rest's total."""
    if len(posterior) <= shown + 1:
        return bars_html(posterior.to_dict(), {}, css_class="gl-wide")
    top = posterior.sort_values(ascending=False)
    rest = len(top) - shown
    return (
        bars_html(top.head(shown).to_dict(), {}, css_class="gl-wide")
        + f'<div class="gl-note">the other {rest} clusters: '
        f"{top.iloc[shown:].sum():.0%} together</div>"
    )


def clusters_note_html(meta: Mapping[str, Any]) -> str:
    """What the cluster panel shows: the mixture's size, covariances and tracks."""
    return (
        '<div class="gl-h">Gaussian-mixture cluster</div>'
        f'<div class="gl-note">{meta["k"]} clusters ({esc(meta["covariance_type"])} covariances) '
        f"fitted by EM on the nine standardized continuous features of {meta['n_tracks']:,} "
        f"tracks ({esc(meta['source'])}); each named by its commonest genres. The bars: "
        "probability that the point belongs to each"
        + (", the most likely first." if meta["k"] > 6 else ".")
        + "</div>"
    )


def neighbors_html(df: pd.DataFrame, colors: Mapping[str, str]) -> str:
    """The nearest tracks: name, artist, genre (with its colour) and distance."""
    rows = []
    for r in df.itertuples():
        g = str(getattr(r, "genre", ""))
        rows.append(
            f"<tr><td>{esc(r.track_name)}</td><td>{esc(r.track_artist)}</td>"
            f'<td><span class="gl-sw" style="background:{colors.get(g, CLUSTER_COLOR)}"></span>'
            f'{esc(g)}</td><td class="num">{r.distance:.2f}</td></tr>'
        )
    return (
        '<table class="gl-table"><tr><th>track</th><th>artist</th><th>genre</th>'
        '<th class="num">distance</th></tr>' + "".join(rows) + "</table>"
    )


def descriptors_html(features: Mapping[str, Any], shown: Sequence[tuple[str, str, str]]) -> str:
    """A table of aubio descriptors: ``shown`` holds (key, label, format) rows."""
    rows = "".join(
        f'<tr><td>{esc(label)}</td><td class="num">{esc(fmt.format(features[k]))}</td></tr>'
        for k, label, fmt in shown
        if features.get(k) is not None
    )
    return f'<table class="gl-table" style="width:auto">{rows}</table>'
