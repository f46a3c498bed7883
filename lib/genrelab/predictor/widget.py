"""The genre predictor's view: an ipywidget over :class:`~genrelab.predictor.model.PredictorModel`.

:class:`GenrePredictor` is the whole interface; notebooks/05_predictor.ipynb only constructs it
and displays it, and ``make app`` serves that notebook with Voilà as a web page. Sliders (ranges
from the training data, starting at its medians), a genre preset, a search over the snapshot's
tracks, a Spotify track id / URL (:func:`genrelab.collect.analysis.analyze_track`: needs
credentials and network; without them the widget says why) and an audio file set the point; the
model computes, :mod:`genrelab.predictor.html` renders. Every expected failure (no saved model, a
refused model file, a bad upload, no credentials) is a message in the page, never a traceback.

Example
-------
>>> from genrelab.predictor.widget import GenrePredictor  # doctest: +SKIP
>>> predictor = GenrePredictor("latest")                  # doctest: +SKIP
>>> predictor                                             # doctest: +SKIP  (displays the widget)
>>> predictor.set_values({"speechiness": 0.4})            # doctest: +SKIP
>>> predictor.probabilities.idxmax()                      # doctest: +SKIP
'rap'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import ipywidgets as w
import numpy as np
import pandas as pd

from genrelab import persist, runs, schema
from genrelab.predictor.controls import (
    FEATURE_GROUPS,
    FEATURE_HELP,
    feature_slider,
    heading,
    snap_to_step,
)
from genrelab.predictor.external import ExternalInputs
from genrelab.predictor.html import (
    NO_MAPPING,
    SPOTIFY_HELP,
    UPLOAD_HELP,
    clusters_html,
    clusters_note_html,
    esc,
    genre_colors,
    header_html,
    message_html,
    neighbors_html,
    page_html,
    probabilities_html,
)
from genrelab.predictor.model import NO_GENRES_MODEL, PredictorModel, PredictorSetupError

log = logging.getLogger(__name__)


#: Slider groups, in display order.
class GenrePredictor(ExternalInputs):
    """The genre predictor widget: sliders in, genre probabilities, clusters and neighbours out.

    Construct it in a notebook and display it (``predictor`` as the cell's last line). When no
    saved classifier can be found or loaded (a missing run, a broken file, a file holding types
    the package never saves), the widget shows the reason instead of raising (:attr:`error`).

    Parameters
    ----------
    run_id : str
        Run holding ``model.skops`` (notebook 03); ``"latest"`` / ``""``: ``runs/latest``, else
        the newest run with one (:func:`genrelab.predictor.model.find_model_run`).
    tracks : DataFrame, optional
        Tracks for the search and the neighbours (default: the embedded snapshot).
    gmm_max_tracks : int
        Tracks the Gaussian mixture is fitted on, at most (the fit is cached in the run).
    n_neighbors : int
        Nearest tracks shown.
    seed : int
        Random state of the mixture.

    Attributes
    ----------
    model : PredictorModel or None
        Everything computed (None when :attr:`error` is set).
    sliders : dict of str -> ipywidgets widget
        One per feature (``key``: note names, ``mode``: major/minor, ``duration_ms``: minutes).
    probabilities : pandas.Series
        Genre probabilities of the current point (model's class order).
    cluster_posterior : pandas.Series
        Responsibilities of the mixture's clusters for the current point's continuous features.
    neighbors : DataFrame
        The nearest tracks, with a ``distance`` column.
    last_update_ms : float
        Time of the last recomputation (model + mixture + neighbours + HTML).
    """

    def __init__(
        self,
        run_id: str = runs.LATEST,
        *,
        tracks: pd.DataFrame | None = None,
        gmm_max_tracks: int = 5000,
        n_neighbors: int = 6,
        seed: int = 42,
    ):
        self.error: str | None = None
        self.model: PredictorModel | None = None
        self.run_dir = None
        self.n_neighbors = int(n_neighbors)
        self.probabilities = pd.Series(dtype="float64")
        self.cluster_posterior = pd.Series(dtype="float64")
        self.neighbors = pd.DataFrame()
        self.last_update_ms = float("nan")
        self.upload_features: dict | None = None
        self._holding = False
        self._holding_choice = False
        self._note: str | None = None
        self.header = w.HTML(page_html())
        try:
            self.model = PredictorModel(
                run_id, tracks=tracks, gmm_max_tracks=gmm_max_tracks, seed=seed
            )
        except Exception as exc:  # shown in the page (Voilà hides tracebacks), not raised
            if isinstance(exc, PredictorSetupError):
                self.error = str(exc)
            elif isinstance(exc, (persist.ModelFileError, FileNotFoundError)):
                self.error = f"could not load the saved classifier: {exc}"
            else:
                self.error = f"could not load the saved classifier ({type(exc).__name__}: {exc})"
            log.warning("genre predictor: %s", self.error)
            self.ui = w.VBox([self.header, w.HTML(message_html(self.error, "error"))])
            return
        self.run_dir = self.model.run_dir
        self.features = self._model.features
        self.classes = self._model.classes
        genres = set(self.classes) | set(self._model.index.tracks[schema.LABEL].astype("str"))
        self._colors = genre_colors(sorted(genres))
        self._build()
        self.update()

    # --- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        """Lay out the page: the inputs left, the results right, the two other sources below."""
        model = self._model
        self.header.value = header_html(model.meta, model.run_dir.name, fallback=model.fallback)
        if not model.labelled:
            no_genres = NO_GENRES_MODEL.format(run=model.run_dir.name)
            self.header.value = page_html(message_html(no_genres, "info"))
        sliders = self._build_sliders()
        left = w.VBox(
            [self._build_start(), *sliders],
            layout=w.Layout(width="50%", min_width="420px", padding="0 16px 0 0"),
        )
        row = w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")
        self.ui = w.VBox(
            [
                self.header,
                w.HBox([left, self._build_results()], layout=row),
                w.HTML("<hr>"),
                w.HBox([self._build_spotify(), self._build_upload()], layout=row),
            ],
            layout=w.Layout(padding="8px 12px", max_width="1280px"),
        )

    def _build_sliders(self) -> list[w.Widget]:
        """One slider per feature, under the headings of their groups."""
        meta = self._model.meta
        self.sliders = {f: feature_slider(f, meta["feature_ranges"][f]) for f in self.features}
        rows = {}
        for f, s in self.sliders.items():
            s.observe(self._on_slider, names="value")
            s.add_class(f"genrelab-slider-{f}")
            rows[f] = s
            if f == "mode":  # ToggleButtons put their description above: a label of slider width
                label = w.HTML(
                    f'<div title="{esc(FEATURE_HELP["mode"])}" '
                    'style="width:150px;text-align:right;padding-right:8px">mode</div>'
                )
                rows[f] = w.HBox([label, s], layout=w.Layout(align_items="center"))
        groups = []
        for title, feats in FEATURE_GROUPS:
            present = [rows[f] for f in feats if f in rows]
            if present:
                groups.extend([heading(title), *present])
        return groups

    def _build_start(self) -> w.Widget:
        """Where a prediction starts: a genre's medians, a snapshot track, or reset."""
        meta = self._model.meta
        self.genre_preset = w.Dropdown(
            options=[("choose a genre\u2026", "")]
            + [(g, g) for g in self.classes if g in meta.get("genre_medians", {})],
            value="",
            description="Genre preset",
            style={"description_width": "90px"},
            layout=w.Layout(width="260px"),
        )
        self.genre_preset.observe(self._on_preset, names="value")
        self.search = w.Text(
            value="",
            placeholder="track or artist, then Enter",
            description="Find a track",
            continuous_update=False,
            style={"description_width": "90px"},
            layout=w.Layout(width="340px"),
        )
        self.search.observe(self._on_search, names="value")
        self.matches = w.Select(options=[], rows=4, layout=w.Layout(width="96%", display="none"))
        self.matches.observe(self._on_match, names="value")
        self.search_message = w.HTML("")
        self.status = w.HTML("")
        self.reset_button = w.Button(
            description="Reset to medians", icon="undo", layout=w.Layout(width="160px")
        )
        self.reset_button.on_click(lambda _: self.reset())
        controls = w.HBox(
            [self.genre_preset, self.search, self.reset_button],
            layout=w.Layout(flex_flow="row wrap"),
        )
        return w.VBox(
            [heading("Start from"), controls, self.search_message, self.matches, self.status]
        )

    def _build_results(self) -> w.Widget:
        """Genre probabilities, mixture clusters and the nearest snapshot tracks."""
        self.probs_html = w.HTML("")
        self.probs_html.add_class("genrelab-probabilities")
        self.cluster_html = w.HTML("")
        self.cluster_html.add_class("genrelab-clusters")
        self.neighbors_html = w.HTML("")
        return w.VBox(
            [
                heading("Genre probabilities"),
                self.probs_html,
                w.HTML(clusters_note_html(self._model.clusters.meta)),
                self.cluster_html,
                w.HTML(
                    '<div class="gl-h">Nearest snapshot tracks</div>'
                    '<div class="gl-note">Distance over the nine continuous features, standardized '
                    "(key, mode and duration left out).</div>"
                ),
                self.neighbors_html,
            ],
            layout=w.Layout(width="48%", min_width="380px"),
        )

    def _build_spotify(self) -> w.Widget:
        """A Spotify track id or link, and its features fetched on a click."""
        self.spotify_box = w.Text(
            value="",
            placeholder="e.g. 4uLU6hMCjMI75M1A2tKUQC or an open.spotify.com link",
            layout=w.Layout(width="70%"),
        )
        self.spotify_button = w.Button(
            description="Fetch features", icon="download", layout=w.Layout(width="150px")
        )
        self.spotify_button.on_click(lambda _: self.analyse_spotify(self.spotify_box.value))
        self.spotify_message = w.HTML(message_html(SPOTIFY_HELP, "info"))
        return w.VBox(
            [
                heading("A Spotify track"),
                w.HBox([self.spotify_box, self.spotify_button]),
                self.spotify_message,
            ],
            layout=w.Layout(width="50%", min_width="380px", padding="0 16px 0 0"),
        )

    def _build_upload(self) -> w.Widget:
        """An audio file, analysed by aubio."""
        self.upload = w.FileUpload(
            accept=",".join(schema.AUDIO_EXTENSIONS), multiple=False, description="Upload audio"
        )
        self.upload.observe(self._on_upload, names="value")
        self.upload_message = w.HTML(self._upload_help())
        return w.VBox(
            [heading("An audio file"), self.upload, self.upload_message],
            layout=w.Layout(width="48%", min_width="380px"),
        )

    def _upload_help(self) -> str:
        if self._model.mapping is not None:
            tail = "This run maps them to the model's features, so the genre probabilities follow."
            return message_html(f"{UPLOAD_HELP} {tail}", "info")
        if self._model.mapping_error:
            return message_html(UPLOAD_HELP, "info") + message_html(
                self._model.mapping_error[0].upper() + self._model.mapping_error[1:], "error"
            )
        return message_html(f"{UPLOAD_HELP} {NO_MAPPING[0].upper()}{NO_MAPPING[1:]}", "info")

    # --- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)

    # --- the point -------------------------------------------------------------------------------
    def values(self) -> dict[str, float]:
        """The current point, in the model's units (``duration_ms`` in milliseconds)."""
        out = {}
        for f, s in self.sliders.items():
            v = s.value
            out[f] = float(v) * 60000.0 if f == "duration_ms" else float(v)
        return out

    @property
    def _model(self) -> PredictorModel:
        """The loaded model, for the methods that run only once it loaded (no sliders before)."""
        if self.model is None:
            raise RuntimeError(f"the genre predictor did not load: {self.error}")
        return self.model

    def point(self) -> np.ndarray:
        """The current point as an array in the model's feature order."""
        return self._model.point(self.values())

    def set_values(
        self, values: Mapping[str, float], *, note: str | None = None, source: str | None = None
    ) -> list[str]:
        """Move sliders to ``values`` (model units; unknown keys and NaN ignored) and update once.

        Values snap to the slider's step (as the page's slider would; the page and the kernel then
        agree on the point) and stop at the ends of its range; the names of the features that lay
        outside are returned. ``note`` is shown under the widget; ``source`` (``"preset"`` or
        ``"match"``) is the control that moved the sliders: the other one is cleared.
        """
        self._clear_choices(keep=source)
        clipped = []
        self._holding = True
        try:
            for f, v in values.items():
                if f not in self.sliders or v is None or not np.isfinite(float(v)):
                    continue
                s = self.sliders[f]
                v = float(v)
                if f == "key":
                    s.value = int(round(v)) % 12
                elif f == "mode":
                    s.value = 1 if v >= 0.5 else 0
                else:
                    if f == "duration_ms":
                        v /= 60000.0
                    if v < s.min or v > s.max:
                        clipped.append(f)
                    s.value = snap_to_step(float(np.clip(v, s.min, s.max)), s.min, s.max, s.step)
        finally:
            self._holding = False
        self._note = note
        self.update()
        return clipped

    def reset(self) -> None:
        """All sliders back to the training data's medians."""
        self.set_values(self._model.medians(), note="sliders at the medians of the training tracks")

    def update(self) -> None:
        """Recompute the probabilities, cluster posterior and neighbours of the current point."""
        t0 = time.perf_counter()
        result = self._model.predict(self.point(), self.n_neighbors)
        self.probabilities = result.probabilities
        self.cluster_posterior = result.cluster_posterior
        self.neighbors = result.neighbors
        if self._model.labelled:
            self.probs_html.value = probabilities_html(self.probabilities, self._colors)
        self.cluster_html.value = clusters_html(self.cluster_posterior)
        self.neighbors_html.value = neighbors_html(self.neighbors, self._colors)
        self.last_update_ms = 1000 * (time.perf_counter() - t0)
        parts = [self._note] if self._note else []
        parts.append(f"updated in {self.last_update_ms:.0f} ms")
        self.status.value = '<div class="gl-note">' + esc(" \u00b7 ".join(parts)) + "</div>"

    # --- events ----------------------------------------------------------------------------------
    def _clear_choices(self, keep: str | None = None) -> None:
        """Show no genre preset / no selected match once the sliders no longer sit there."""
        self._holding_choice = True
        try:
            if keep != "preset" and self.genre_preset.value != "":
                self.genre_preset.value = ""
            if keep != "match" and self.matches.value is not None:
                self.matches.value = None
        finally:
            self._holding_choice = False

    def _on_slider(self, change) -> None:
        if self._holding:
            return
        old, new, step = change["old"], change["new"], getattr(change["owner"], "step", None)
        # the page's slider snaps a value set from here to its step and sends it back: not a move
        snapped = (
            step is not None
            and isinstance(old, float)
            and isinstance(new, float)
            and abs(new - old) <= 0.5 * step + 1e-9
        )
        if not snapped:
            self._clear_choices()
            self._note = None
        self.update()

    def _on_preset(self, change) -> None:
        genre = change["new"]
        if not genre or self._holding_choice:
            return
        self.set_values(
            self._model.genre_medians(genre),
            note=f"sliders at the medians of the {genre} tracks",
            source="preset",
        )

    def _on_search(self, change) -> None:
        self.find(change["new"])

    def find(self, query: str) -> pd.DataFrame:
        """Search the tracks, list the matches and move the sliders to the first one."""
        index = self._model.index
        query = str(query).strip()
        if not query:
            self.matches.layout.display = "none"
            self.search_message.value = ""
            return index.tracks.iloc[:0]
        found = index.search(query)
        if found.empty:
            self.matches.layout.display = "none"
            self.search_message.value = message_html(
                f"no snapshot track or artist matches {query!r}", "info"
            )
            return found
        options = [
            (f"{r.track_name} \u2014 {r.track_artist} ({r.genre})", int(i))
            for i, r in zip(found.index, found.itertuples())
        ]
        self.search_message.value = ""
        self._holding_choice = True
        try:
            self.matches.options = options
            self.matches.value = None
        finally:
            self._holding_choice = False
        self.matches.layout.display = ""
        self.matches.value = options[0][1]  # moves the sliders
        return found

    def _on_match(self, change) -> None:
        if change["new"] is None or self._holding_choice:
            return
        self.show_track(int(change["new"]))

    def show_track(self, row: int) -> None:
        """Move the sliders to one track of the model's index (its row number)."""
        t = self._model.index.tracks.iloc[row]
        clipped = self.set_values(
            {f: t[f] for f in self.features if f in t},
            source="match",
            note=f"sliders at \u201c{t['track_name']}\u201d by {t['track_artist']} "
            f"(snapshot genre: {t['genre']})",
        )
        outside = (
            f"{', '.join(clipped)} of this track lie outside the slider range and are shown at "
            "its end"
        )
        self.search_message.value = message_html(outside, "info") if clipped else ""

    # --- Spotify ---------------------------------------------------------------------------------
