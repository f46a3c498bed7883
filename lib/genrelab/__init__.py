"""genrelab: music-genre research on Spotify-style audio features.

Modules
-------
config     paths anchored at the project root; settings from the environment / ``.env``
data       load and validate track tables (the embedded snapshot or any CSV/parquet), dedup
runs       a run directory: tables, figures and ``metrics.json`` written by the notebooks
plots      one plotting style and the ``save_fig`` helper
report     ``make report``: run the numbered notebooks with papermill into ``runs/<run_id>/``
"""

__version__ = "0.1.0"
