"""Load and validate track tables: the embedded snapshot (default) or any CSV/parquet.

The tidy *tracks* table has one row per (track, playlist), the snapshot's 23 columns, plus
``genre`` (a copy of the chosen label column) and ``release_year`` (from the album's release
date). Two facts of the snapshot shape every analysis:

* a track appears once per playlist that holds it (32,833 rows, 28,356 tracks);
* 1,687 tracks carry more than one ``playlist_genre``.

:func:`dedup` applies an explicit policy for them and says what it removed.

Example
-------
>>> from genrelab import data
>>> tracks = data.load_tracks(invalid="drop")            # doctest: +SKIP
>>> one_per_track, report = data.dedup(tracks, "drop_conflicting")  # doctest: +SKIP
>>> print(report)                                         # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from genrelab import config, schema
from genrelab.collect import catalogue

log = logging.getLogger(__name__)

SNAPSHOT_SHA256 = "9902920cfe4940f0914ebb6716801a42f7f19ac88fbd6693eaae7e2822b16845"

#: Column maps for other tools' exports: their name -> ours. Pass the key as ``column_map``.
COLUMN_MAPS: dict[str, dict[str, str]] = {
    # Exportify (exportify.net) playlist CSVs
    "exportify": {
        "Track URI": "track_id",
        "Track Name": "track_name",
        "Artist Name(s)": "track_artist",
        "Album Name": "track_album_name",
        "Album Release Date": "track_album_release_date",
        "Popularity": "track_popularity",
        "Duration (ms)": "duration_ms",
        "Genres": "genres",
        "Danceability": "danceability",
        "Energy": "energy",
        "Key": "key",
        "Loudness": "loudness",
        "Mode": "mode",
        "Speechiness": "speechiness",
        "Acousticness": "acousticness",
        "Instrumentalness": "instrumentalness",
        "Liveness": "liveness",
        "Valence": "valence",
        "Tempo": "tempo",
    },
    # Kaggle "Spotify Tracks Dataset" (114k tracks, 125 genres)
    "kaggle_tracks": {
        "artists": "track_artist",
        "album_name": "track_album_name",
        "popularity": "track_popularity",
        "track_genre": "playlist_genre",
    },
}

Policy = Literal["drop_conflicting", "majority", "keep_first"]
DEDUP_POLICIES: tuple[str, ...] = ("drop_conflicting", "majority", "keep_first")


class DataValidationError(ValueError):
    """A track table breaks the schema; the message names the file, column and first rows."""


# --- reading ----------------------------------------------------------------------------
def _read_snapshot(verify_checksum: bool) -> pd.DataFrame:
    raw = gzip.decompress(config.SNAPSHOT_CSV.read_bytes())
    if verify_checksum:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != SNAPSHOT_SHA256:
            raise DataValidationError(
                f"{config.SNAPSHOT_CSV}: sha256 of the uncompressed CSV is {digest}, expected "
                f"{SNAPSHOT_SHA256} (data/README.md). data/raw is immutable: restore it with "
                f"`git checkout -- data/raw`."
            )
    return pd.read_csv(io.BytesIO(raw))


def read_tracks(
    path: str | Path | None = None,
    *,
    label_column: str = "playlist_genre",
    column_map: str | Mapping[str, str] | None = None,
    verify_checksum: bool = True,
) -> pd.DataFrame:
    """Read a tracks table and bring it to the snapshot's column names, without validating.

    Parameters
    ----------
    path : str or Path, optional
        A CSV (optionally .gz) or parquet file. ``None`` reads the embedded snapshot.
    label_column : str
        The column holding the class labels (after renaming); copied to ``genre``.
    column_map : str or mapping, optional
        ``{their_name: our_name}``, or the name of a preset in :data:`COLUMN_MAPS`.
    verify_checksum : bool
        Check the embedded snapshot's sha256 (ignored for other files).
    """
    if path is None:
        source = str(config.SNAPSHOT_CSV)
        df = _read_snapshot(verify_checksum)
    else:
        path = Path(path)
        source = str(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file")
        df = _read_file(path)
    if isinstance(column_map, str):
        if column_map not in COLUMN_MAPS:
            raise ValueError(
                f"unknown column_map preset {column_map!r}; presets: {sorted(COLUMN_MAPS)}"
            )
        column_map = COLUMN_MAPS[column_map]
    if column_map:
        df = df.rename(columns=dict(column_map))
    if "track_id" in df and df["track_id"].astype("str").str.startswith("spotify:track:").any():
        df["track_id"] = df["track_id"].astype("str").str.removeprefix("spotify:track:")
    if label_column not in df.columns:
        raise DataValidationError(
            f"{source}: label column {label_column!r} not found; columns are {list(df.columns)}. "
            f"Pass label_column= or a column_map."
        )
    df["genre"] = df[label_column]
    df.attrs["source"] = source
    df.attrs["label_column"] = label_column
    # a CSV's data row r is line r + 2 of the file (line 1 is the header); parquet has no lines
    df.attrs["line_offset"] = 2 if path is None or ".parquet" not in str(path).lower() else None
    return df


def _read_file(path: Path) -> pd.DataFrame:
    """A CSV / TSV (optionally compressed) or parquet file; a file that cannot be read as one
    gets a :class:`DataValidationError` naming it."""
    suffixes = "".join(path.suffixes).lower()
    try:
        if suffixes.endswith(".parquet"):
            return pd.read_parquet(path)
        if ".csv" in suffixes or ".tsv" in suffixes:
            return pd.read_csv(path, sep="\t" if ".tsv" in suffixes else ",")
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: the file is empty (no header, no rows)") from None
    except UnicodeDecodeError as err:
        raise DataValidationError(
            f"{path}: not UTF-8 text (byte {err.start}: {err.reason}); save it as UTF-8"
        ) from None
    except (pd.errors.ParserError, OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataValidationError(f"{path}: cannot be read as a table ({first})") from None
    raise DataValidationError(f"{path}: expected a .csv, .csv.gz, .tsv or .parquet file")


# --- validation -------------------------------------------------------------------------
_RULES: list[tuple[str, str]] = [
    *[(c, "between 0 and 1") for c in schema.UNIT_FEATURES],
    ("key", "an integer from -1 to 11"),
    ("mode", "0 or 1"),
    ("loudness", "between -60 and 5 dB"),
    ("tempo", "greater than 0"),
    ("duration_ms", "greater than 0"),
]


def _rule_ok(col: str, values: pd.Series) -> pd.Series:
    if col in schema.UNIT_FEATURES:
        return values.between(0, 1)
    if col == "key":
        return values.between(-1, 11) & (values % 1 == 0)
    if col == "mode":
        return values.isin([0, 1])
    if col == "loudness":
        return values.between(-60, 5)
    return values > 0  # tempo, duration_ms


#: Optional columns that are checked when present (NA allowed): name -> (rule text, test).
_OPTIONAL_RULES = {
    "track_popularity": (
        "an integer from 0 to 100",
        lambda v: v.between(0, 100) & (v % 1 == 0),
    ),
}


def find_problems(df: pd.DataFrame, features: list[str] = schema.AUDIO_FEATURES) -> pd.DataFrame:
    """Every broken rule, one row per (row, column): ``row, column, value, problem``.

    ``row`` is the 0-based data row (the file's line number minus 2 for a CSV with a header).
    Missing columns are reported with ``row = -1``. Non-numeric, missing, infinite and
    out-of-range values in ``features`` are problems, and so are fractions in integer columns
    (key, mode, duration_ms); text columns may be missing (NA). Optional columns such as
    ``track_popularity`` are checked where they hold a value.
    """
    problems: list[pd.DataFrame] = []

    def add(mask: pd.Series, col: str, problem: str) -> None:
        if mask.any():
            problems.append(
                pd.DataFrame(
                    {
                        "row": np.flatnonzero(mask.to_numpy()),
                        "column": col,
                        "value": df.loc[mask, col].astype("object").to_numpy(),
                        "problem": problem,
                    }
                )
            )

    required = ["track_id", "genre", *features]
    missing = [c for c in required if c not in df.columns]
    for col in missing:
        problems.append(
            pd.DataFrame(
                {"row": [-1], "column": [col], "value": [None], "problem": ["column missing"]}
            )
        )
    for col in ["track_id", "genre"]:
        if col in df:
            add(df[col].isna(), col, "missing value")
    for col in [c for c in features if c in df.columns]:
        numeric = pd.to_numeric(df[col], errors="coerce")
        add(numeric.isna() & df[col].notna(), col, "not a number")
        add(df[col].isna(), col, "missing value (NaN)")
        finite = numeric.notna() & np.isfinite(numeric.astype("float64"))
        add(numeric.notna() & ~finite, col, "not a finite number")
        rule = dict(_RULES).get(col)
        if rule:
            add(finite & ~_rule_ok(col, numeric), col, f"must be {rule}")
        if col in schema.INTEGER_COLUMNS and col != "key":  # key's rule says "an integer"
            add(finite & _rule_ok(col, numeric) & (numeric % 1 != 0), col, "must be a whole number")
    for col, (rule, ok) in _OPTIONAL_RULES.items():
        if col in df.columns:
            numeric = pd.to_numeric(df[col], errors="coerce")
            add(numeric.isna() & df[col].notna(), col, "not a number")
            add(numeric.notna() & ~ok(numeric.astype("float64")), col, f"must be {rule}")
    if not problems:
        return pd.DataFrame(columns=["row", "column", "value", "problem"])
    return pd.concat(problems, ignore_index=True).sort_values(["row", "column"], ignore_index=True)


def _describe(
    problems: pd.DataFrame,
    source: str,
    limit: int = 5,
    *,
    label_column: str = "genre",
    line_offset: int | None = None,
) -> str:
    """The first problems as text: the file, each row (and its line in the file), the column
    by the user's own name (the label column, not ``genre``)."""
    lines = [
        f"{source}: {problems['row'].nunique()} row(s) break the schema "
        f"({len(problems)} problem(s)); first ones:"
    ]
    for p in problems.head(limit).itertuples():
        if p.row < 0:
            where = "header"
        elif line_offset is not None:
            where = f"data row {p.row} (line {p.row + line_offset} of the file)"
        else:
            where = f"data row {p.row} (0-based)"
        column = label_column if p.column == "genre" else p.column
        lines.append(f"  - {where}, column {column!r}: {p.value!r} ({p.problem})")
    return "\n".join(lines)


def validate_tracks(
    df: pd.DataFrame,
    *,
    invalid: Literal["raise", "drop"] = "raise",
    features: list[str] | None = None,
    source: str | None = None,
    log_level: int = logging.WARNING,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check schema, dtypes and ranges; return ``(valid_rows, problems)``.

    Parameters
    ----------
    invalid : {"raise", "drop"}
        ``"raise"`` (default) raises :class:`DataValidationError` naming the file, column and
        first offending rows. ``"drop"`` drops the offending rows, logs a warning that names
        them, and returns them in ``problems``; nothing is ever "fixed" in place.
        A missing column always raises.
    features : list of str, optional
        Feature columns that must be present, numeric and in range. By default the audio
        features the table has (:func:`features_present`): a table needs only a track id, a
        label and some of the twelve; the others become all-NaN columns that every notebook
        leaves out (and names, :func:`features_missing`).
    log_level : int
        Level of the log record naming dropped rows (``INFO`` where the drop is expected).
    """
    source = source or df.attrs.get("source", "table")
    label_column = df.attrs.get("label_column", "genre")
    how = {"label_column": label_column, "line_offset": df.attrs.get("line_offset")}
    if invalid not in ("raise", "drop"):
        raise ValueError(f"invalid must be 'raise' or 'drop', got {invalid!r}")
    if features is None:
        # by value, so an all-blank column counts as missing; by name in a header-only file
        features = (
            features_present(df)
            if len(df)
            else [c for c in schema.AUDIO_FEATURES if c in df.columns]
        )
        if not features:
            raise DataValidationError(
                f"{source}: no audio feature column; a tracks table needs a track id, a label "
                f"and some of {schema.AUDIO_FEATURES} (columns are {list(df.columns)}; "
                f"rename yours with a column_map)"
            )
    problems = find_problems(df, features)
    if (problems["row"] < 0).any() or (len(problems) and invalid == "raise"):
        raise DataValidationError(_describe(problems, source, **how))
    bad = problems["row"].unique()
    if len(bad):
        text = _describe(problems, source, **how)
        log.log(log_level, "%s\nThese rows are dropped (invalid='drop').", text)
    out = df.drop(index=df.index[bad]).reset_index(drop=True)
    if out.empty:
        why = f"all {len(df):,} rows break the schema" if len(df) else "the table has no rows"
        raise DataValidationError(f"{source}: no valid track left ({why})")
    for col in features:
        out[col] = pd.to_numeric(out[col])
    for col in schema.INTEGER_COLUMNS:
        if col in out and col in features:
            out[col] = out[col].astype("int64")
    if "track_popularity" in out:  # checked above: numbers 0-100 or NA
        out["track_popularity"] = pd.to_numeric(out["track_popularity"]).astype("Int64")
    for col in schema.SNAPSHOT_COLUMNS:  # every table has the snapshot's columns, NA where unknown
        if col in schema.AUDIO_FEATURES:
            if col not in features:
                out[col] = np.nan
        elif col not in out:
            out[col] = pd.Series(
                pd.NA, index=out.index, dtype="Int64" if col == "track_popularity" else "str"
            )
    out["release_year"] = pd.to_numeric(
        out["track_album_release_date"].astype("str").str.slice(0, 4), errors="coerce"
    ).astype("Int64")
    out["genre"] = out["genre"].astype("str")
    out.attrs.update(source=source, label_column=label_column)
    return out, problems


def features_present(df: pd.DataFrame, candidates: list[str] = schema.AUDIO_FEATURES) -> list[str]:
    """The candidate feature columns that hold at least one value, in the candidates' order."""
    return [c for c in candidates if c in df.columns and df[c].notna().any()]


def features_missing(df: pd.DataFrame, candidates: list[str] = schema.AUDIO_FEATURES) -> list[str]:
    """The candidate feature columns the table lacks (absent, or no value at all)."""
    present = set(features_present(df, candidates))
    return [c for c in candidates if c not in present]


def has_part(df: pd.DataFrame, part: str) -> bool:
    """Whether the table holds an optional part (:data:`schema.OPTIONAL_PARTS`) for some row."""
    if part not in schema.OPTIONAL_PARTS:
        raise ValueError(f"unknown part {part!r}; parts: {sorted(schema.OPTIONAL_PARTS)}")
    column = schema.OPTIONAL_PARTS[part][0]
    return column in df.columns and bool(df[column].notna().any())


def missing_parts(df: pd.DataFrame) -> list[str]:
    """The optional parts the table lacks, in :data:`schema.OPTIONAL_PARTS` order."""
    return [part for part in schema.OPTIONAL_PARTS if not has_part(df, part)]


def skip_note(*parts: str) -> str:
    """The note a skipped section shows: ``"skipped: the table has no playlists"``."""
    names = [schema.OPTIONAL_PARTS[p][1] for p in parts]
    return "skipped: the table has no " + " and no ".join(names)


def load_tracks(
    path: str | Path | None = None,
    *,
    label_column: str = "playlist_genre",
    column_map: str | Mapping[str, str] | None = None,
    invalid: Literal["raise", "drop"] = "raise",
    verify_checksum: bool = True,
) -> pd.DataFrame:
    """Read and validate a tracks table (see :func:`read_tracks` and :func:`validate_tracks`).

    The embedded snapshot holds one row that breaks the schema: Spotify's placeholder for a
    4-second track it could not analyse (all features 0, tempo 0). Load it with
    ``invalid="drop"`` to drop that row with a logged warning.
    """
    raw = read_tracks(
        path, label_column=label_column, column_map=column_map, verify_checksum=verify_checksum
    )
    return validate_tracks(raw, invalid=invalid)[0]


# --- duplicates ---------------------------------------------------------------------------
def duplicates_summary(df: pd.DataFrame, label: str = "genre") -> dict[str, int]:
    """The facts dedup depends on: rows, unique tracks, tracks in several playlists / labels."""
    per_track = df.groupby("track_id", sort=False)
    n_labels = per_track[label].nunique()
    return {
        "rows": len(df),
        "tracks": int(df["track_id"].nunique()),
        "tracks_in_several_rows": int((per_track.size() > 1).sum()),
        "tracks_with_several_labels": int((n_labels > 1).sum()),
        "rows_of_conflicting_tracks": int(df["track_id"].isin(n_labels.index[n_labels > 1]).sum()),
    }


def label_conflicts(df: pd.DataFrame, label: str = "genre") -> pd.DataFrame:
    """Pairs of labels that one track carries at once, with how many tracks carry each pair."""
    sets = df.groupby("track_id")[label].agg(lambda s: tuple(sorted(set(s))))
    sets = sets[sets.map(len) > 1]
    return sets.map(" + ".join).value_counts().rename_axis("labels").reset_index(name="tracks")


@dataclass(frozen=True)
class DedupReport:
    policy: str
    rows_in: int
    rows_out: int
    tracks_in: int
    tracks_out: int
    conflicting_tracks: int

    @property
    def rows_removed(self) -> int:
        return self.rows_in - self.rows_out

    @property
    def tracks_removed(self) -> int:
        return self.tracks_in - self.tracks_out

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "rows_removed": self.rows_removed,
            "tracks_removed": self.tracks_removed,
        }

    def __str__(self) -> str:
        return (
            f"dedup[{self.policy}]: {self.rows_in:,} rows -> {self.rows_out:,} "
            f"(removed {self.rows_removed:,} rows; {self.tracks_removed:,} of {self.tracks_in:,} "
            f"tracks dropped; {self.conflicting_tracks:,} tracks had conflicting labels)"
        )


def dedup(
    df: pd.DataFrame, policy: Policy = "drop_conflicting", label: str = "genre"
) -> tuple[pd.DataFrame, DedupReport]:
    """One row per track, with an explicit policy for tracks that carry several labels.

    Parameters
    ----------
    policy : {"drop_conflicting", "majority", "keep_first"}
        * ``drop_conflicting`` drops every track whose rows carry more than one label, then
          keeps one row per remaining track.
        * ``majority`` keeps, per track, a row with its most frequent label (ties: the label
          seen first).
        * ``keep_first`` keeps the first row of every track, whatever its label.
    label : str
        The label column.

    Returns
    -------
    (DataFrame, DedupReport)
        Rows in their original order, index reset, and what was removed.
    """
    if policy not in DEDUP_POLICIES:
        raise ValueError(f"unknown dedup policy {policy!r}; choose one of {DEDUP_POLICIES}")
    n_labels = df.groupby("track_id", sort=False)[label].transform("nunique")
    conflicting = int(df.loc[n_labels > 1, "track_id"].nunique())
    if policy == "drop_conflicting":
        out = df[n_labels == 1].drop_duplicates("track_id")
    elif policy == "keep_first":
        out = df.drop_duplicates("track_id")
    else:
        counts = df.groupby(["track_id", label], sort=False).size().rename("_n").reset_index()
        best = counts.sort_values("_n", ascending=False, kind="stable").drop_duplicates("track_id")
        out = df.merge(best[["track_id", label]], on=["track_id", label], how="inner")
        out = out.drop_duplicates("track_id")
    out = out.reset_index(drop=True)
    report = DedupReport(
        policy,
        len(df),
        len(out),
        int(df["track_id"].nunique()),
        int(out["track_id"].nunique()),
        conflicting,
    )
    log.info("%s", report)
    return out, report


# --- tables notebook 01 writes --------------------------------------------------------------
def read_source(
    source: Literal["snapshot", "file", "spotify"] = "snapshot",
    data_path: str | Path | None = None,
    *,
    label_column: str = "playlist_genre",
    column_map: str | Mapping[str, str] | None = None,
    **collect_options,
) -> pd.DataFrame:
    """Read raw tracks from the embedded snapshot, a file, or a fresh Spotify collection.

    ``collect_options`` go to :func:`genrelab.collect.catalogue.collect` when ``source="spotify"``.
    """
    if source == "snapshot":
        return read_tracks(None, label_column=label_column, column_map=column_map)
    if source == "file":
        if not data_path:
            raise ValueError("source='file' needs data_path (a CSV or parquet file)")
        return read_tracks(data_path, label_column=label_column, column_map=column_map)
    if source == "spotify":
        df = catalogue.collect(**collect_options)
        if label_column not in df.columns:
            raise DataValidationError(f"collected table has no label column {label_column!r}")
        df["genre"] = df[label_column]
        df.attrs["source"] = "spotify collection"
        return df
    raise ValueError(f"unknown source {source!r}: use 'snapshot', 'file' or 'spotify'")


def sample_tracks(df: pd.DataFrame, n_tracks: int, seed: int = 42) -> pd.DataFrame:
    """Keep ``n_tracks`` random tracks with all their rows (0 or more than there are: keep all)."""
    ids = df["track_id"].drop_duplicates()
    if n_tracks <= 0 or n_tracks >= len(ids):
        return df
    keep = ids.sample(n_tracks, random_state=seed)
    return df[df["track_id"].isin(keep)].reset_index(drop=True)


def playlists_table(tracks: pd.DataFrame) -> pd.DataFrame:
    """One row per playlist: id, name, genre, subgenre and how many tracks it holds."""
    return (
        tracks.groupby("playlist_id", sort=False, dropna=False)
        .agg(
            playlist_name=("playlist_name", "first"),
            genre=("genre", "first"),
            playlist_subgenre=("playlist_subgenre", "first"),
            n_tracks=("track_id", "nunique"),
        )
        .reset_index()
        .sort_values(["genre", "playlist_subgenre", "playlist_name"], ignore_index=True)
    )


def artists_table(tracks: pd.DataFrame) -> pd.DataFrame:
    """One row per artist (by name): tracks, playlists, their most frequent genre, genre count."""
    named = tracks.dropna(subset=["track_artist"])
    out = named.groupby("track_artist", sort=False).agg(
        n_tracks=("track_id", "nunique"),
        n_playlists=("playlist_id", "nunique"),
        n_genres=("genre", "nunique"),
    )
    # the most frequent genre (the first seen on a tie), without a Python call per artist
    counts = named.groupby(["track_artist", "genre"], sort=False).size()
    main = counts.groupby(level=0, sort=False).idxmax().str[1]
    out["main_genre"] = main.astype(tracks["genre"].dtype)
    return out.reset_index().sort_values("n_tracks", ascending=False, ignore_index=True)


def snapshot_tracks(policy: Policy = "drop_conflicting") -> pd.DataFrame:
    """The embedded snapshot, validated, one row per track.

    Its one known placeholder row (tempo 0) is dropped and logged at INFO: the checksum has
    already proved the file unmodified, so the drop is expected, not news.
    """
    valid, _ = validate_tracks(read_tracks(), invalid="drop", log_level=logging.INFO)
    return dedup(valid, policy)[0]
