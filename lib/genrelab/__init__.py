"""genrelab: music-genre research on Spotify-style audio features.

The package is cut the way the study is; each package's docstring lists its own modules.
Imports flow one way, from the top of this list to the bottom (a module imports only its own
line and the lines above it; tests/test_architecture.py checks it):

config, schema, errors   paths and settings; the shared vocabulary; the one exception base
runs, memo, execution,   a run folder and its files; cached results; where parallel work runs
persist                  (local or Dask); fitted objects saved and loaded (skops)
tables/                  read, validate and dedup a tracks table (notebook 01)
explore/                 genre profiles, similarity, a listener's taste (notebook 02)
classify/                feature sets, honest splits, model selection, scores (notebook 03)
mixture/                 GaussianMixtureEM, the BIC grid, partition scores (notebook 04, part 1)
audio/                   aubio features, tempo, key, batches, sources, the comparison (part 2)
collect/                 the network side: Spotify, ReccoBeats, Deezer
inputs                   the tracks and audio a notebook's parameters ask for, from any source
plots/                   every figure, one style, ``save_fig``
predictor/, report/      the genre predictor widget (notebook 05); ``make report``

Nothing above ``collect/`` imports it: the offline study never loads spotipy or requests-cache.
"""

__version__ = "0.1.0"
