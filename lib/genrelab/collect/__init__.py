"""The collection side: Spotify, ReccoBeats and Deezer, on one cached, retrying HTTP session.

Modules, in the order imports flow:

collect.errors          every exception and warning of the collection, one place
collect.answers         what a well-formed answer of each host looks like (nothing else is cached)
collect.http            the session: HTTP cache, retries (429, 5xx), rate limits, call counts
collect.reccobeats      ReccoBeats' audio features by Spotify id
collect.deezer          Deezer: tracks by ISRC (preview URL, bpm), checked preview downloads
collect.refusals        Spotify's 2026 refusals (403 / 404), one sentence each
collect.spotify_client  credentials, the two login flows, Spotify's refusals as messages
collect.records         Spotify objects -> rows; the snapshot's table schema
collect.checkpoint      append-only checkpoints, so an interrupted collection resumes
collect.taxonomy        the taxonomy file: genre -> subgenres
collect.stages          the shared stages: search, playlist items, batches, features, Deezer
collect.paths           the ways to a labelled track list: playlists, genre search, your own
collect.catalogue       ``collect`` (seed 000) and ``collect_year`` (seed 002)
collect.library         a user's library and public look-ups as DataFrames, ``add_features``
collect.analysis        one track's features and genre probabilities (the predictor page)
collect.previews        Deezer's 30 s previews of collected tracks as an audio corpus
collect.__main__        ``python -m genrelab.collect login``

Nothing is imported here: ``from genrelab.collect import catalogue`` loads what it needs.
"""
