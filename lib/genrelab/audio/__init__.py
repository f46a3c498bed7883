"""Features computed from the audio with aubio, scored against a reference (notebook 04, part 2).

Modules, in the order their imports flow:

load      decode one file to mono at the analysis rate, or say why not
tempo     the tempo at its metrical level, from the onset envelope and aubio's tracker
key       key and mode: pitch-resolved chroma, the bass line, opening and final chords
features  the aubio descriptors of one clip
batch     many clips: parallel, cached by content, a failures table
peers     Essentia and librosa on the same clips (the optional ``[peers]`` extra)
accuracy  tempo and key scored as the field does (mir_eval, MIREX), per group and pooled
compare   aubio against the reference: mimicry, clusters, everything at once
scope     what that comparison can and cannot show, from the run's source (notebook 04's close)
sources   audio corpora with reference features, one table of sources (subpackage)

The public names of the modules below are importable from the package itself.
"""

from __future__ import annotations

from genrelab.audio.accuracy import (
    group_scores,
    group_table,
    key_accuracy,
    key_relation,
    mir_eval_key,
    mirex_key_score,
    tempo_accuracy,
    tempo_hits,
)
from genrelab.audio.batch import (
    HASHES_PER_TASK,
    MIN_CLIPS_PER_JOB,
    BatchResult,
    clips_per_label,
    content_hash,
    default_cache_path,
    descriptor_columns,
    extract_batch,
    failures_table,
)
from genrelab.audio.compare import (
    ReferenceComparison,
    aubio_matrix,
    cluster_comparison,
    compare_with_reference,
    em_clusters,
    fma_clip_tempo,
    join,
    mimic_r2,
    peer_comparison,
    reference_matrix,
)
from genrelab.audio.features import (
    BAND_EDGES,
    BAND_NAMES,
    CHROMA_WIN,
    EXTRACTOR_VERSION,
    HOP,
    MIN_DURATION,
    N_MFCC,
    SILENCE_DB,
    SPEC_HOP,
    WIN,
    extract_features,
    loudness_stats,
    track_beats,
)
from genrelab.audio.key import (
    estimate_key,
    key_from_chroma,
)
from genrelab.audio.load import (
    SAMPLERATE,
    AudioError,
    load_audio,
)
from genrelab.audio.peers import (
    PeerMissing,
    available,
    essentia_features,
    extract_peers,
    librosa_features,
)
from genrelab.audio.scope import (
    SPOTIFY_FAMILY_SOURCES,
    compared_features,
    scope_markdown,
)
from genrelab.audio.tempo import (
    choose_tempo,
    onset_envelope,
    onset_envelopes,
)

__all__ = [
    "AudioError",
    "BAND_EDGES",
    "BAND_NAMES",
    "BatchResult",
    "CHROMA_WIN",
    "EXTRACTOR_VERSION",
    "HASHES_PER_TASK",
    "HOP",
    "MIN_CLIPS_PER_JOB",
    "MIN_DURATION",
    "N_MFCC",
    "PeerMissing",
    "ReferenceComparison",
    "SPOTIFY_FAMILY_SOURCES",
    "SAMPLERATE",
    "SILENCE_DB",
    "SPEC_HOP",
    "WIN",
    "aubio_matrix",
    "available",
    "choose_tempo",
    "clips_per_label",
    "cluster_comparison",
    "compare_with_reference",
    "compared_features",
    "content_hash",
    "default_cache_path",
    "descriptor_columns",
    "em_clusters",
    "essentia_features",
    "estimate_key",
    "extract_batch",
    "extract_features",
    "extract_peers",
    "failures_table",
    "fma_clip_tempo",
    "group_scores",
    "group_table",
    "join",
    "key_accuracy",
    "key_from_chroma",
    "key_relation",
    "librosa_features",
    "load_audio",
    "loudness_stats",
    "mimic_r2",
    "mir_eval_key",
    "mirex_key_score",
    "onset_envelope",
    "onset_envelopes",
    "peer_comparison",
    "reference_matrix",
    "scope_markdown",
    "tempo_accuracy",
    "tempo_hits",
    "track_beats",
]
