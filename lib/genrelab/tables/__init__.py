"""Track tables in, validated and one row per track out (notebook 01; offline).

Modules, in the order their imports flow:

read      the snapshot or a CSV/parquet file, other tools' column names mapped
validate  values against the schema, named by file, column and row; optional parts
dedup     one row per track by an explicit policy, and what it removed

The public names of the modules below are importable from the package itself.
"""

from __future__ import annotations

from genrelab.tables.dedup import (
    DEDUP_POLICIES,
    NO_GENRES,
    DedupError,
    DedupReport,
    dedup,
    duplicates_summary,
    has_labels,
    label_conflicts,
    one_label,
    policy_effects,
    policy_note,
)
from genrelab.tables.read import (
    COLUMN_MAPS,
    SNAPSHOT_SHA256,
    artists_table,
    compact_text,
    load_tracks,
    no_label_note,
    playlists_table,
    read_tracks,
    sample_tracks,
    snapshot_tracks,
)
from genrelab.tables.validate import (
    DataValidationError,
    features_missing,
    features_present,
    find_problems,
    has_part,
    missing_parts,
    skip_note,
    validate_tracks,
)

__all__ = [
    "COLUMN_MAPS",
    "DEDUP_POLICIES",
    "NO_GENRES",
    "DataValidationError",
    "DedupError",
    "DedupReport",
    "SNAPSHOT_SHA256",
    "artists_table",
    "compact_text",
    "dedup",
    "duplicates_summary",
    "features_missing",
    "features_present",
    "find_problems",
    "has_labels",
    "has_part",
    "label_conflicts",
    "load_tracks",
    "missing_parts",
    "no_label_note",
    "one_label",
    "playlists_table",
    "policy_effects",
    "policy_note",
    "read_tracks",
    "sample_tracks",
    "skip_note",
    "snapshot_tracks",
    "validate_tracks",
]
