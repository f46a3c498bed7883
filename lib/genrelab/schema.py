"""The shared vocabulary: column names, feature groups, pitch classes and metric keys.

Every module that names a column of a tracks table, a group of features, a pitch class or a
``metrics.json`` entry read by another module takes it from here, so a name is spelled once.
Nothing here computes anything; this module imports nothing from the package.
"""

from __future__ import annotations

# --- Spotify's audio features --------------------------------------------------------------------
#: The 12 audio features of Spotify's audio-features endpoint kept in the snapshot.
AUDIO_FEATURES = [
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
]
#: The 9 continuous features (no key, mode, duration): the space of the Gaussian mixtures.
CONTINUOUS_FEATURES = [
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
]
#: Features that are shares in [0, 1].
UNIT_FEATURES = [
    "danceability",
    "energy",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
]
#: Features that are codes, not quantities: a pitch class and a major/minor flag.
DISCRETE_FEATURES = ["key", "mode"]
#: The audio features a features endpoint answers (Spotify, ReccoBeats): all but the duration,
#: which comes with the track object.
ENDPOINT_FEATURES = [f for f in AUDIO_FEATURES if f != "duration_ms"]
#: The Echo Nest features of the Free Music Archive (what Spotify later served): eight of ours.
ECHONEST_FEATURES = [
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "speechiness",
    "tempo",
    "valence",
]

# --- the tracks table ----------------------------------------------------------------------------
#: The snapshot's columns in order: every tracks table (snapshot or collected) has them.
SNAPSHOT_COLUMNS = [
    "track_id",
    "track_name",
    "track_artist",
    "track_popularity",
    "track_album_id",
    "track_album_name",
    "track_album_release_date",
    "playlist_name",
    "playlist_id",
    "playlist_genre",
    "playlist_subgenre",
    *AUDIO_FEATURES,
]
#: The snapshot's text columns.
TEXT_COLUMNS = [
    "track_id",
    "track_name",
    "track_artist",
    "track_album_id",
    "track_album_name",
    "track_album_release_date",
    "playlist_name",
    "playlist_id",
    "playlist_genre",
    "playlist_subgenre",
]
#: Columns held as integers.
INTEGER_COLUMNS = ["track_popularity", "key", "mode", "duration_ms"]
#: Columns a Spotify collection adds for the audio study (ISRC, Deezer preview and BPM).
COLLECTION_EXTRA_COLUMNS = ["isrc", "deezer_preview_url", "deezer_bpm"]
#: The optional parts of a tracks table: part -> (the column that holds it, what a note calls
#: it). Only a track id, a label and some audio features are required; a section of a notebook
#: that needs a missing part is skipped with a note (:func:`genrelab.tables.read.skip_note`).
OPTIONAL_PARTS = {
    "artists": ("track_artist", "artists"),
    "track_names": ("track_name", "track names"),
    "album_names": ("track_album_name", "album names"),
    "release_dates": ("track_album_release_date", "release dates"),
    "popularity": ("track_popularity", "popularity"),
    "playlists": ("playlist_id", "playlists"),
    "subgenres": ("playlist_subgenre", "subgenres"),
}
#: The label every analysis reads (a copy of the chosen label column) and the derived year.
LABEL = "genre"
RELEASE_YEAR = "release_year"

# --- classification feature sets -----------------------------------------------------------------
#: Text the stacked text model reads (track, album and artist names).
NAME_COLUMNS = ["track_name", "track_album_name", "track_artist"]
#: Numeric columns beside the audio features in the full feature set.
META_FEATURES = ["release_year", "track_popularity"]
#: The classifier's feature sets and the numeric columns each adds to the audio features
#: (:func:`genrelab.classify.pipelines.feature_columns`); both ``full`` sets add the text columns
#: too.
#: ``full_2026`` is what an app created in 2026 can still collect: Spotify's development-mode
#: API no longer returns popularity (February 2026).
FEATURE_SETS = {
    "audio": (),
    "full": ("release_year", "track_popularity"),
    "full_2026": ("release_year",),
}

# --- pitch ---------------------------------------------------------------------------------------
#: Pitch-class names, index = Spotify's ``key`` code (0 = C).
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def key_name(key: int, mode: int) -> str:
    """A pitch class and a mode (Spotify's convention: 1 major, 0 minor) as ``"C# major"``, the
    spelling mir_eval reads."""
    return f"{PITCH_CLASSES[int(key) % 12]} {'major' if int(mode) == 1 else 'minor'}"


# --- audio files ---------------------------------------------------------------------------------
#: File name endings the audio extractor reads (soundfile / libsndfile decodes them all).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
#: A compact, Spotify-like view of the aubio descriptors for clustering (rhythm, loudness,
#: timbre, tonality, voice): few enough dimensions for full-covariance EM on ~100 clips.
COMPACT_AUBIO_FEATURES = [
    "tempo",
    "beat_strength",
    "beat_regularity",
    "onset_rate",
    "loudness",
    "loudness_range",
    "centroid_mean",
    "flatness_mean",
    "flux_mean",
    "zcr_mean",
    "zcr_std",
    "pitch_salience",
    "band_bass_db",
    "band_high_db",
    "mfcc_mean_1",
    "mfcc_mean_2",
    "mfcc_std_0",
    "key_strength",
]


# --- metrics.json --------------------------------------------------------------------------------
class Section:
    """The sections of ``metrics.json``, one per notebook part (``Run.record``)."""

    COLLECTION = "collection"
    EDA = "eda"
    CLASSIFICATION = "classification"
    GMM = "gmm"
    AUBIO = "aubio"
    PREDICTOR = "predictor"
    #: parts of notebooks that did not run because the table lacks what they need: part -> why
    SKIPPED = "skipped"


class Metric:
    """Dotted ``metrics.json`` keys that a module other than their writer reads."""

    TRACKS = "collection.tracks"
    # each classification result: ``accuracy`` on its test split with ``test_ci95``, the 95%
    # interval of that accuracy (bootstrap over the test artists); the honest ones also carry
    # grouped CV on the training split, another estimate: ``cv_mean`` and ``ci95`` (its folds')
    HONEST_AUDIO_ACCURACY = "classification.honest.audio.accuracy"
    HONEST_AUDIO_TEST_CI95 = "classification.honest.audio.test_ci95"
    HONEST_AUDIO_CV_MEAN = "classification.honest.audio.cv_mean"
    HONEST_AUDIO_CI95 = "classification.honest.audio.ci95"
    HONEST_FULL_ACCURACY = "classification.honest.full.accuracy"
    HONEST_FULL_TEST_CI95 = "classification.honest.full.test_ci95"
    HONEST_FULL_CV_MEAN = "classification.honest.full.cv_mean"
    HONEST_FULL_CI95 = "classification.honest.full.ci95"
    HONEST_FULL_2026_ACCURACY = "classification.honest.full_2026.accuracy"
    HONEST_FULL_2026_TEST_CI95 = "classification.honest.full_2026.test_ci95"
    HONEST_FULL_2026_CV_MEAN = "classification.honest.full_2026.cv_mean"
    HONEST_FULL_2026_CI95 = "classification.honest.full_2026.ci95"
    LEAKY_AUDIO_ACCURACY = "classification.leaky.audio.accuracy"
    LEAKY_AUDIO_TEST_CI95 = "classification.leaky.audio.test_ci95"
    MAJORITY_ACCURACY = "classification.baseline.majority.accuracy"
    MAJORITY_TEST_CI95 = "classification.baseline.majority.test_ci95"
    GMM_K_BIC = "gmm.k_bic"
    GMM_COVARIANCE_TYPE_BIC = "gmm.covariance_type_bic"
    GMM_ARI = "gmm.ari_vs_genre"
    GMM_AMI = "gmm.ami_vs_genre"
    AUBIO_TEMPO_ACC1 = "aubio.tempo_acc1"
    AUBIO_TEMPO_ACC2 = "aubio.tempo_acc2"
    AUBIO_KEY_ACC = "aubio.key_acc"
    AUBIO_ARI_REF_VS_AUBIO = "aubio.ari_ref_vs_aubio"
