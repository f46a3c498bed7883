"""Read track tables: the embedded snapshot (default) or any CSV/parquet, other tools' columns.

The tidy *tracks* table has one row per (track, playlist), the snapshot's 23 columns, plus
``genre`` (a copy of the chosen label column) and ``release_year`` (from the album's release
date). Two facts of the snapshot shape every analysis:

* a track appears once per playlist that holds it (32,833 rows, 28,356 tracks);
* 1,687 tracks carry more than one ``playlist_genre``.

:func:`genrelab.tables.dedup.dedup` applies an explicit policy for them and says what it removed.

Example
-------
>>> from genrelab import tables
>>> tracks = tables.load_tracks(invalid="drop")            # doctest: +SKIP
>>> one_per_track, report = tables.dedup(tracks, "drop_conflicting")  # doctest: +SKIP
>>> print(report)                                         # doctest: +SKIP
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import logging
import lzma
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO, Literal

import pandas as pd

from genrelab import config
from genrelab.tables.dedup import Policy, dedup
from genrelab.tables.validate import DataValidationError, validate_tracks

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
        The column holding the class labels (after renaming); copied to ``genre``. ``""``, or a
        column the table lacks (logged, :func:`no_label_note`), reads a table without genres:
        ``genre`` is missing everywhere and the notebooks skip what needs it.
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
    if label_column and label_column in df.columns:
        df["genre"] = df[label_column]
    else:  # a table without genres: every notebook runs what needs none (tables.has_labels)
        columns = list(df.columns)
        df["genre"] = pd.Series(pd.NA, index=df.index, dtype="str")
        df.attrs["label_note"] = no_label_note(source, label_column, columns)
        if label_column:
            log.warning("%s", df.attrs["label_note"])
    df.attrs["source"] = source
    df.attrs["label_column"] = label_column
    # a CSV's data row r is line r + 2 of the file (line 1 is the header); parquet has no lines
    df.attrs["line_offset"] = 2 if path is None or ".parquet" not in str(path).lower() else None
    return df


def no_label_note(source: str, label_column: str, columns: list[str]) -> str:
    """What notebook 01 says of a table read without genres (``raw.attrs["label_note"]``)."""
    if not label_column:
        return (
            f'{source}: no label column (label_column is ""): the run goes on without '
            "genres; the sections that compare with them, notebook 03 and the predictor's genre "
            "probabilities are skipped with a note."
        )
    return (
        f"{source}: no label column {label_column!r} (columns are {columns}): the run goes on "
        'without genres. Set label_column to one of the columns for a labelled run, or to "" '
        "to say the table has none."
    )


def _read_file(path: Path) -> pd.DataFrame:
    """A CSV / TSV (optionally compressed) or parquet file; a file that cannot be read as one
    gets a :class:`DataValidationError` naming it. A ``.csv`` whose header is split by
    semicolons or tabs rather than commas is read with that delimiter (and, for semicolons,
    decimal commas), and the log says so."""
    suffixes = "".join(path.suffixes).lower()
    try:
        if suffixes.endswith(".parquet"):
            return pd.read_parquet(path)
        if ".csv" in suffixes or ".tsv" in suffixes:
            sep = "\t" if ".tsv" in suffixes else _sniff_delimiter(path)
            df = pd.read_csv(path, sep=sep)
            _refuse_duplicate_columns(path, sep)
            if sep != "," and ".tsv" not in suffixes:
                log.info("%s: read as a %s-delimited table", path, DELIMITERS[sep])
            return _decimal_commas(df, path) if sep == ";" else df
    except DataValidationError:
        raise
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: the file is empty (no header, no rows)") from None
    except UnicodeDecodeError as err:
        raise DataValidationError(f"{path}: not UTF-8 text {_bad_byte(path, err)}") from None
    except (pd.errors.ParserError, OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataValidationError(
            f"{path}: cannot be read as a table ({first}); a CSV's delimiter is detected "
            f"from its header among comma, semicolon and tab"
        ) from None
    raise DataValidationError(f"{path}: expected a .csv, .csv.gz, .tsv or .parquet file")


def _refuse_duplicate_columns(path: Path, sep: str) -> None:
    """A header that names a column twice: pandas would rename the second ``name.1`` and the
    table would silently use the first; refused, naming the column(s)."""
    with _open_bytes(path) as f:
        header = f.readline(1 << 20).decode("utf-8-sig", errors="replace")
    names = [n.strip() for n in next(csv.reader([header], delimiter=sep), [])]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataValidationError(
            f"{path}: the header names column(s) {twice} more than once; keep one of each "
            "(which one holds the values meant is not for genrelab to guess)"
        )


#: The delimiters a CSV header is checked for, by name.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _open_bytes(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes, decompressed by its suffix (.gz, .bz2, .xz)."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if suffix == ".bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if suffix == ".xz":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _sniff_delimiter(path: Path) -> str:
    """The most frequent of comma, semicolon and tab in the header line (comma on a tie or when
    the header cannot be read here: pandas then says what is wrong)."""
    try:
        with _open_bytes(path) as f:
            header = f.readline(1 << 16).decode("utf-8", errors="replace")
    except (OSError, EOFError, lzma.LZMAError):
        return ","
    counts = {sep: header.count(sep) for sep in DELIMITERS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _decimal_commas(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A semicolon-delimited table's text columns that are all decimal-comma numbers
    (``0,748``), as numbers."""
    number = r"[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?"
    converted = []
    for column in df.columns:
        if pd.api.types.is_numeric_dtype(df[column]):
            continue
        values = df[column].dropna().astype(str).str.strip()
        if len(values) and values.str.fullmatch(number).all() and values.str.contains(",").any():
            text = df[column].astype("string").str.strip().str.replace(",", ".", regex=False)
            df[column] = pd.to_numeric(text).astype(float)
            converted.append(str(column))
    if converted:
        log.info("%s: decimal commas read as numbers in %s", path, ", ".join(converted))
    return df


def _bad_byte(path: Path, err: UnicodeDecodeError) -> str:
    """Where the first byte that is not UTF-8 sits: its line of the file and data row."""
    try:
        with _open_bytes(path) as f:
            for number, line in enumerate(f, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as bad:
                    row = "the header" if number == 1 else f"data row {number - 2}"
                    return (
                        f"at line {number} ({row}), position {bad.start + 1}: byte "
                        f"0x{line[bad.start]:02x} ({bad.reason}); save it as UTF-8"
                    )
    except (OSError, EOFError, lzma.LZMAError):
        pass
    return f"({err.reason}); save it as UTF-8"


def load_tracks(
    path: str | Path | None = None,
    *,
    label_column: str = "playlist_genre",
    column_map: str | Mapping[str, str] | None = None,
    invalid: Literal["raise", "drop"] = "raise",
    verify_checksum: bool = True,
) -> pd.DataFrame:
    """Read and validate a tracks table (see :func:`read_tracks` and
    :func:`~genrelab.tables.validate.validate_tracks`).

    The embedded snapshot holds one row that breaks the schema: Spotify's placeholder for a
    4-second track it could not analyse (all features 0, tempo 0). Load it with
    ``invalid="drop"`` to drop that row with a logged warning.
    """
    raw = read_tracks(
        path, label_column=label_column, column_map=column_map, verify_checksum=verify_checksum
    )
    return validate_tracks(raw, invalid=invalid)[0]


# --- tables notebook 01 writes --------------------------------------------------------------
def compact_text(df: pd.DataFrame, max_share: float = 0.5) -> pd.DataFrame:
    """``df`` with each text column whose distinct values number at most ``max_share`` of its
    rows stored as a pandas ``category`` (the values unchanged; its categories sorted).

    Genre, subgenre, playlist, album and artist names repeat across a table's rows: as
    categories, the nine such columns of the 1.2M-row benchmark table take 34 MiB instead of
    266 MiB; parquet keeps them as dictionary columns, and the notebooks that read the table
    back get the categories without building the strings (notebook 01 writes the tracks table
    through this). Numbers are left as they are: float32 features would save another 47 MiB a
    copy and change the snapshot's figures in their last digits. ``track_id`` (one value per
    track) and ``track_album_id`` (most albums hold one track there) stay text.
    """
    out = df.copy(deep=False)
    for column in out.columns:
        values = out[column]
        if values.dtype == "category" or not (
            pd.api.types.is_string_dtype(values) or values.dtype == object
        ):
            continue
        try:
            repeated = len(values) > 0 and values.nunique(dropna=True) <= max_share * len(values)
        except TypeError:  # lists or dicts in a collected column: left as they are
            continue
        if repeated:
            out[column] = values.astype("category")
    return out


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
