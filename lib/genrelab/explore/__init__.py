"""What the features look like: genre profiles, similarity, a listener against the public (notebook
02).

Modules, in the order their imports flow:

profiles  genre profiles, similarity, correlations and shapes in sentences
taste     a listener's features against the public's (no network, no drawing)

The public names of the modules below are importable from the package itself.
"""

from __future__ import annotations

from genrelab.explore.profiles import (
    correlation_sentence,
    genre_similarity,
    most_similar_pair,
    shape_sentence,
    shape_table,
    standardized_medians,
    strongest_correlations,
    tempo_spread_sentence,
)
from genrelab.explore.taste import (
    FEATURES,
    compare_users,
    compare_with_public,
    percentile_of,
    user_from_snapshot,
)

__all__ = [
    "FEATURES",
    "compare_users",
    "compare_with_public",
    "correlation_sentence",
    "genre_similarity",
    "most_similar_pair",
    "percentile_of",
    "shape_sentence",
    "shape_table",
    "standardized_medians",
    "strongest_correlations",
    "tempo_spread_sentence",
    "user_from_snapshot",
]
