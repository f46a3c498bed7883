"""genrelab: music-genre research on Spotify-style audio features.

Modules, in the order imports flow (a module imports only from the lines above it):

config            paths anchored at the project root; cache folders; settings from ``.env``
schema            the shared vocabulary: columns, feature groups, pitch classes, metric keys
runs              a run directory, every file name in it, ``record()`` into ``metrics.json``
memo              content-addressed caching of expensive results (inputs, parameters, code)
collect           the collection side (Spotify, ReccoBeats, Deezer): collect.errors (every
                  exception), collect.http (the cached, retrying session), collect.reccobeats,
                  collect.deezer (tracks by ISRC, preview downloads), collect.spotify_client
                  (credentials, logins, refusals as messages), collect.records (objects -> rows),
                  collect.refusals (Spotify's 2026 refusals, one sentence each),
                  collect.checkpoint, collect.taxonomy, collect.stages (the shared stages),
                  collect.paths (playlists, genre search, the user's playlists),
                  collect.catalogue (``collect``, ``collect_year``), collect.library (a user's
                  library, look-ups, ``add_features``), collect.analysis (one track),
                  collect.__main__ (``python -m genrelab.collect login``)
data              read and validate a tracks table (snapshot, file, collection); dedup
eda               genre profiles and similarity (notebook 02)
sources           audio corpora with reference features: one ``SOURCES`` table
sources.corpus    the ``AudioCorpus`` every source returns
sources.synthetic the generated corpus with its ground truth; sources.synthesis its synthesizer
sources.fma       an FMA tree with the Echo Nest features
sources.folder    any folder of audio, with an optional reference CSV
sources.previews  Deezer 30 s previews of collected tracks
sources.scores    real compositions rendered from their scores (music21), truth from the score
sources.render    notes to audio through a General MIDI soundfont (midirenderer, TimGM6mb)
execution         where parallel work runs: local joblib, or Dask (``GENRELAB_DASK_SCHEDULER``)
persist           the one way fitted objects are saved and loaded (skops, explicit trusted types)
em_math           the arithmetic of the EM estimator (sufficient statistics, Cholesky factors)
em                ``GaussianMixtureEM``: a Gaussian mixture fitted by EM, scikit-learn's contract
mixtures          the BIC grid and the seed study's mean distance
audio             aubio features of one clip
key               its key and mode: pitch-resolved chroma, the bass line, opening and final chords
extraction        many clips: parallel, cached, a failures table
peers             Essentia and librosa on the same clips (the optional ``[peers]`` extra)
compare           aubio vs reference features: tempo, key, mimicry, clusters (no drawing)
pipelines         what a classifier sees: feature sets, model frames, the stacked text feature
selection         choosing a classifier: honest splits, the grid-search helper
scoring           baselines, metrics with intervals, confusions, importances, the reading tree
evaluation        notebook 03's study as dataclasses: honest split, test scores, full set, leaky
                  split, the evaluation (honest / leaky / baselines) recorded in metrics.json
taste             a listener's features against the public's (no drawing)
plots             every figure, by topic: plots.style (the style, palettes from the data, the
                  grid, ``save_fig``), plots.eda, plots.classification, plots.mixtures,
                  plots.audio, plots.taste
predictor         the genre predictor: predictor.model (no widgets), predictor.proba (fast
                  one-row probabilities), predictor.html, predictor.widget (the ipywidget)
report            ``make report``: report.params (checks), report.execute (papermill, run state),
                  report.kernels (kernels started ahead, imports done), report.render
                  (report.html), report.publish (figures/, results/, README),
                  report.__main__ (the command line)
"""

__version__ = "0.1.0"
