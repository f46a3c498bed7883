"""Validate a tracks table against the schema: bad values named by column and row, optional parts.

:func:`validate_tracks` checks every feature's range and the columns a study needs; a row that
breaks a rule is named (file, column, first rows) and raised or dropped with a warning.
:func:`has_part` / :func:`skip_note` tell a notebook which optional parts (playlists, names,
release dates) the table has, so a section that needs a missing one is skipped with a note.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pandas as pd

from genrelab import schema
from genrelab.errors import GenrelabError

log = logging.getLogger(__name__)


class DataValidationError(GenrelabError, ValueError):
    """A track table breaks the schema; the message names the file, column and first rows."""


_RULES: list[tuple[str, str]] = [
    *[(c, "between 0 and 1") for c in schema.UNIT_FEATURES],
    ("key", "an integer from -1 to 11"),
    ("mode", "0 or 1"),
    ("loudness", "between -60 and 5 dB"),
    ("tempo", "greater than 0 and at most 1000 BPM"),
    ("duration_ms", "greater than 0 and at most 10^9 ms (11.6 days)"),
]
#: Upper bounds past which a value is a unit mix-up or corrupt, not music (a duration of 1e20
#: ms would also wrap to a negative integer).
MAX_TEMPO, MAX_DURATION_MS = 1000, 10**9


def _rule_ok(col: str, values: pd.Series) -> pd.Series:
    if col in schema.UNIT_FEATURES:
        return values.between(0, 1)
    if col == "key":
        return values.between(-1, 11) & (values % 1 == 0)
    if col == "mode":
        return values.isin([0, 1])
    if col == "loudness":
        return values.between(-60, 5)
    high = MAX_TEMPO if col == "tempo" else MAX_DURATION_MS
    return (values > 0) & (values <= high)  # tempo, duration_ms


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
    labelled = "genre" in df and bool(df["genre"].notna().any())  # else a table without genres
    for col in ["track_id", "genre"] if labelled else ["track_id"]:
        if col in df:
            add(df[col].isna(), col, "missing value")
            blank = df[col].notna() & df[col].astype("str").str.strip().eq("")
            add(blank, col, "blank (only spaces)")
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
    if out["genre"].notna().any():  # (a table without genres keeps them missing)
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
