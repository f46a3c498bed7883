"""The loader, its validation errors and the dedup policies."""

from __future__ import annotations

import gzip
import logging

import pandas as pd
import pytest

from genrelab import config, schema, tables


@pytest.fixture(scope="module")
def snapshot_raw() -> pd.DataFrame:
    return tables.read_tracks()


@pytest.fixture
def good_rows(snapshot_raw) -> pd.DataFrame:
    """Ten valid snapshot rows as the raw CSV columns (no `genre`)."""
    return snapshot_raw.iloc[:10][schema.SNAPSHOT_COLUMNS].copy()


def write_csv(df: pd.DataFrame, path) -> str:
    df.to_csv(path, index=False)
    return str(path)


# --- the embedded snapshot ------------------------------------------------------------------
def test_snapshot_facts(snapshot_raw):
    assert len(snapshot_raw) == 32_833
    assert snapshot_raw["track_id"].nunique() == 28_356
    assert list(snapshot_raw.columns[:23]) == schema.SNAPSHOT_COLUMNS
    summary = tables.duplicates_summary(snapshot_raw)
    assert summary["tracks_with_several_labels"] == 1_687
    assert snapshot_raw["genre"].value_counts().to_dict() == {
        "edm": 6043,
        "rap": 5746,
        "pop": 5507,
        "r&b": 5431,
        "latin": 5155,
        "rock": 4951,
    }


def test_snapshot_has_exactly_one_invalid_row(snapshot_raw):
    with pytest.raises(
        tables.DataValidationError, match=r"row 11363 \(line 11365 of the file\), column 'tempo'"
    ):
        tables.validate_tracks(snapshot_raw)
    valid, problems = tables.validate_tracks(snapshot_raw, invalid="drop")
    assert len(valid) == 32_832
    assert problems[["row", "column"]].values.tolist() == [[11363, "tempo"]]
    assert "51w6nRCU68klqNfYaaVP2j" not in set(valid["track_id"])


def test_snapshot_types_and_derived_columns():
    tracks = tables.load_tracks(invalid="drop")
    assert tracks["key"].dtype == "int64" and tracks["mode"].dtype == "int64"
    assert str(tracks["track_popularity"].dtype) == "Int64"
    assert tracks["release_year"].between(1950, 2020).all()
    assert (tracks["genre"] == tracks["playlist_genre"]).all()


def test_snapshot_checksum_mismatch_is_an_error(tmp_path, monkeypatch):
    tampered = tmp_path / "spotify_songs.csv.gz"
    raw = gzip.decompress(config.SNAPSHOT_CSV.read_bytes()).replace(b"0.748", b"0.749", 1)
    tampered.write_bytes(gzip.compress(raw))
    monkeypatch.setattr(config, "SNAPSHOT_CSV", tampered)
    with pytest.raises(tables.DataValidationError, match="sha256"):
        tables.read_tracks()
    assert len(tables.read_tracks(verify_checksum=False)) == 32_833


# --- bad files --------------------------------------------------------------------------------
def test_a_required_feature_column_that_is_missing_is_named(tmp_path, good_rows):
    path = write_csv(good_rows.drop(columns=["valence"]), tmp_path / "no_valence.csv")
    with pytest.raises(
        tables.DataValidationError,
        match=r"no_valence\.csv.*\n.*header, column 'valence'.*column missing",
    ):
        tables.validate_tracks(tables.read_tracks(path), features=schema.AUDIO_FEATURES)


def test_a_minimal_table_needs_only_an_id_a_label_and_some_features(tmp_path, good_rows):
    minimal = good_rows[["track_id", "playlist_genre", *schema.ECHONEST_FEATURES]]
    path = write_csv(minimal.rename(columns={"playlist_genre": "style"}), tmp_path / "min.csv")
    tracks = tables.load_tracks(path, label_column="style")
    assert tables.features_present(tracks) == [
        f for f in schema.AUDIO_FEATURES if f in schema.ECHONEST_FEATURES
    ]
    assert tables.features_missing(tracks) == ["key", "loudness", "mode", "duration_ms"]
    assert tracks[tables.features_missing(tracks)].isna().all().all()
    assert set(schema.SNAPSHOT_COLUMNS) <= set(tracks.columns)
    assert tables.missing_parts(tracks) == list(schema.OPTIONAL_PARTS)
    assert tracks["genre"].tolist() == good_rows["playlist_genre"].tolist()


def test_a_table_without_any_audio_feature_is_refused(tmp_path, good_rows):
    path = write_csv(good_rows[["track_id", "playlist_genre", "track_name"]], tmp_path / "x.csv")
    with pytest.raises(tables.DataValidationError, match=r"x\.csv: no audio feature column"):
        tables.load_tracks(path)


def test_optional_parts_and_their_notes(good_rows):
    table = good_rows.assign(genre=good_rows["playlist_genre"], playlist_id=pd.NA)
    assert tables.has_part(table, "artists")
    assert not tables.has_part(table, "playlists")
    assert tables.missing_parts(table) == ["playlists"]
    assert tables.skip_note("playlists") == "skipped: the table has no playlists"
    assert tables.skip_note("artists", "popularity") == (
        "skipped: the table has no artists and no popularity"
    )
    with pytest.raises(ValueError, match="unknown part 'playlist'"):
        tables.has_part(table, "playlist")


@pytest.mark.parametrize(
    "column, value, problem",
    [
        ("energy", 1.5, "between 0 and 1"),
        ("key", 12, "-1 to 11"),
        ("mode", 2, "0 or 1"),
        ("tempo", -3.0, "greater than 0"),
        ("duration_ms", 0, "greater than 0"),
        ("loudness", -80.0, "between -60 and 5"),
        ("danceability", "loud", "not a number"),
        ("valence", None, "missing value"),
    ],
)
def test_bad_value_names_row_and_column(tmp_path, good_rows, column, value, problem):
    rows = good_rows.astype({column: "object"})
    rows.loc[3, column] = value
    path = write_csv(rows, tmp_path / "bad.csv")
    with pytest.raises(
        tables.DataValidationError,
        match=rf"bad\.csv.*\n.*row 3 \(line 5 of the file\), column '{column}'.*{problem}",
    ):
        tables.load_tracks(path)


def test_drop_invalid_rows_logs_and_returns_them(tmp_path, good_rows, caplog):
    rows = good_rows.copy()
    rows.loc[[2, 7], "energy"] = 2.0
    path = write_csv(rows, tmp_path / "two_bad.csv")
    with caplog.at_level(logging.WARNING, logger="genrelab.tables"):
        valid, problems = tables.validate_tracks(tables.read_tracks(path), invalid="drop")
    assert len(valid) == 8
    assert problems["row"].tolist() == [2, 7]
    assert "two_bad.csv" in caplog.text and "row 2" in caplog.text


def test_unknown_file_type_and_missing_file(tmp_path):
    (tmp_path / "tracks.xlsx").write_text("x")
    with pytest.raises(tables.DataValidationError, match="tracks.xlsx"):
        tables.read_tracks(tmp_path / "tracks.xlsx")
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        tables.read_tracks(tmp_path / "nowhere.csv")


def test_missing_label_column_reads_a_table_without_genres(tmp_path, good_rows, caplog):
    # issue 26: a table without the configured label column runs without genres, and says so
    path = write_csv(good_rows, tmp_path / "t.csv")
    raw = tables.read_tracks(path, label_column="track_genre")
    assert "no label column 'track_genre'" in caplog.text and "without genres" in caplog.text
    assert "no label column 'track_genre'" in raw.attrs["label_note"]
    tracks, problems = tables.validate_tracks(raw)
    assert len(tracks) == len(good_rows) and problems.empty
    assert not tables.has_labels(tracks) and tracks["genre"].isna().all()


def test_empty_label_column_reads_a_table_without_genres(tmp_path, good_rows, caplog):
    path = write_csv(good_rows.drop(columns=["playlist_genre"]), tmp_path / "t.csv")
    tracks, _ = tables.validate_tracks(tables.read_tracks(path, label_column=""))
    assert not tables.has_labels(tracks) and "no label column" not in caplog.text
    # nothing to resolve: every policy keeps one row per track, and nothing conflicts
    for policy in tables.DEDUP_POLICIES:
        one, report = tables.dedup(tracks, policy)
        assert len(one) == tracks["track_id"].nunique() and report.conflicting_tracks == 0
    assert tables.policy_note(tables.policy_effects(tracks)) is None


def _two_labels_per_track(rows, first=None):
    """Every track twice, under two labels (``first``: the first row's label for all)."""
    rows = rows.drop_duplicates("track_id").reset_index(drop=True)
    genres = sorted(rows["genre"].unique())
    other = rows.copy()
    other["genre"] = rows["genre"].map(lambda g: genres[(genres.index(g) + 1) % len(genres)])
    if first is not None:
        other["genre"] = rows["genre"].where(rows["genre"] != first, other["genre"])
        rows = rows.assign(genre=first)
    return pd.concat([rows, other], ignore_index=True)


def test_dedup_policy_that_removes_every_row_names_the_others():
    # issue 26, major 4: every track carries two labels; drop_conflicting removed everything and
    # notebook 03 failed with sklearn's "Found array with 0 sample(s)"
    rows = _two_labels_per_track(tables.snapshot_tracks("keep_first").sample(300, random_state=0))
    effects = tables.policy_effects(rows)
    assert effects.loc["drop_conflicting", "tracks_left"] == 0
    assert effects.loc["drop_conflicting", "rows_removed"] == len(rows)
    assert effects.loc["majority", "labels_left"] > 1
    assert "'drop_conflicting' leaves no track" in tables.policy_note(effects)
    with pytest.raises(
        tables.DedupError,
        match=r"'drop_conflicting' removes every one of the \d+ tracks.*"
        r"choose 'majority' or 'keep_first' as dedup_policy",
    ):
        tables.dedup(rows, "drop_conflicting")
    assert len(tables.dedup(rows, "majority")[0]) == rows["track_id"].nunique()


def test_dedup_policy_that_leaves_a_single_label_says_so():
    # issue 26, major 4: "column 'genre' holds a single label ['pop']" while the table has six
    sample = tables.snapshot_tracks("keep_first").sample(300, random_state=0)
    rows = _two_labels_per_track(sample, first="pop")
    assert rows["genre"].nunique() == 6
    for policy in ("keep_first", "majority"):
        with pytest.raises(tables.DedupError, match=rf"'{policy}' leaves a single label \['pop'\]"):
            tables.dedup(rows, policy)
    with pytest.raises(tables.DedupError, match="no policy keeps two labels"):
        tables.dedup(rows, "drop_conflicting")


# --- other tools' exports ----------------------------------------------------------------------
def test_kaggle_tracks_preset(tmp_path, good_rows):
    kaggle = good_rows.rename(
        columns={
            "track_artist": "artists",
            "track_album_name": "album_name",
            "track_popularity": "popularity",
            "playlist_genre": "track_genre",
        }
    )
    kaggle = kaggle.drop(
        columns=[
            "playlist_id",
            "playlist_name",
            "playlist_subgenre",
            "track_album_id",
            "track_album_release_date",
        ]
    )
    path = write_csv(kaggle, tmp_path / "dataset.csv")
    tracks = tables.load_tracks(path, column_map="kaggle_tracks")
    assert tracks["genre"].tolist() == good_rows["playlist_genre"].tolist()
    assert tracks["track_artist"].tolist() == good_rows["track_artist"].tolist()
    assert tracks["playlist_id"].isna().all()
    assert set(schema.SNAPSHOT_COLUMNS) <= set(tracks.columns)


def test_exportify_preset_strips_track_uris(tmp_path, good_rows):
    inverse = {ours: theirs for theirs, ours in tables.COLUMN_MAPS["exportify"].items()}
    export = good_rows.rename(columns=inverse)
    export["Track URI"] = "spotify:track:" + export["Track URI"]
    path = write_csv(export, tmp_path / "liked.csv")
    tracks = tables.load_tracks(path, column_map="exportify")
    assert tracks["track_id"].tolist() == good_rows["track_id"].tolist()


def test_parquet_round_trip(tmp_path, good_rows):
    good_rows.to_parquet(tmp_path / "t.parquet", index=False)
    assert len(tables.load_tracks(tmp_path / "t.parquet")) == 10


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown column_map preset 'spotify_csv'"):
        tables.read_tracks(column_map="spotify_csv")


# --- dedup --------------------------------------------------------------------------------------
@pytest.fixture
def dup_table() -> pd.DataFrame:
    # t1 once; t2 twice with the same genre; t3 in pop, rock, pop (majority pop);
    # t4 rock then pop (tie)
    return pd.DataFrame(
        {
            "track_id": ["t1", "t2", "t3", "t2", "t3", "t4", "t3", "t4"],
            "genre": ["pop", "rap", "rock", "rap", "pop", "rock", "pop", "pop"],
            "row": [0, 1, 2, 3, 4, 5, 6, 7],
        }
    )


def test_dedup_drop_conflicting(dup_table):
    out, report = tables.dedup(dup_table, "drop_conflicting")
    assert out["track_id"].tolist() == ["t1", "t2"]
    assert out["row"].tolist() == [0, 1]
    assert (report.rows_in, report.rows_out, report.tracks_removed, report.conflicting_tracks) == (
        8,
        2,
        2,
        2,
    )


def test_dedup_majority(dup_table):
    out, report = tables.dedup(dup_table, "majority")
    assert dict(zip(out["track_id"], out["genre"])) == {
        "t1": "pop",
        "t2": "rap",
        "t3": "pop",
        "t4": "rock",
    }
    assert report.tracks_removed == 0 and report.rows_removed == 4


def test_dedup_keep_first(dup_table):
    out, _ = tables.dedup(dup_table, "keep_first")
    assert dict(zip(out["track_id"], out["genre"])) == {
        "t1": "pop",
        "t2": "rap",
        "t3": "rock",
        "t4": "rock",
    }


def test_dedup_unknown_policy(dup_table):
    with pytest.raises(ValueError, match="unknown dedup policy 'newest'"):
        tables.dedup(dup_table, "newest")


def test_dedup_on_snapshot():
    tracks = tables.load_tracks(invalid="drop")
    out, report = tables.dedup(tracks, "drop_conflicting")
    assert out["track_id"].is_unique
    assert report.tracks_out == 28_355 - 1_687 == len(out)
    assert "removed" in str(report)


def test_sample_tracks_keeps_all_rows_of_each_track():
    tracks = tables.load_tracks(invalid="drop")
    sample = tables.sample_tracks(tracks, 500, seed=1)
    assert sample["track_id"].nunique() == 500
    counts = tracks["track_id"].value_counts()
    sampled = sample["track_id"].value_counts()
    assert sampled.equals(counts[sampled.index])
    assert tables.sample_tracks(tracks, 0) is tracks


def test_snapshot_tracks_drops_the_known_row_without_a_warning(caplog):
    with caplog.at_level(logging.INFO, logger="genrelab.tables"):
        tracks = tables.snapshot_tracks()
    assert len(tracks) == 28_355 - 1_687
    dropped = [r for r in caplog.records if "row 11363" in r.getMessage()]
    assert [r.levelno for r in dropped] == [logging.INFO]


# --- loader gaps (issue 13, item 5): each names the file, the column and the row ----------------
@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("tempo", "inf", "not a finite number"),
        ("duration_ms", 200000.5, "must be a whole number"),
        ("duration_ms", "inf", "not a finite number"),
        ("track_popularity", "high", "not a number"),
        ("track_popularity", 101, "must be an integer from 0 to 100"),
    ],
)
def test_values_that_used_to_pass_or_crash(tmp_path, good_rows, column, value, problem):
    rows = good_rows.astype({column: "object"})
    rows.loc[3, column] = value
    path = write_csv(rows, tmp_path / "gap.csv")
    with pytest.raises(
        tables.DataValidationError,
        match=rf"gap\.csv.*\n.*line 5 of the file\), column '{column}'.*{problem}",
    ):
        tables.load_tracks(path)


def test_a_missing_label_is_named_by_the_users_label_column(tmp_path, good_rows):
    rows = good_rows.rename(columns={"playlist_genre": "style"})
    rows.loc[2, "style"] = None
    path = write_csv(rows, tmp_path / "labels.csv")
    with pytest.raises(tables.DataValidationError, match=r"column 'style': .*missing value"):
        tables.load_tracks(path, label_column="style")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        ("track_id,genre\nabc,caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_files_are_named(tmp_path, content, message):
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    with pytest.raises(tables.DataValidationError, match=rf"odd\.csv: {message}"):
        tables.read_tracks(path, label_column="genre")


def test_a_table_without_a_valid_row_is_refused_at_once(tmp_path, good_rows):
    header_only = write_csv(good_rows.iloc[:0], tmp_path / "header.csv")
    with pytest.raises(tables.DataValidationError, match="header.csv: no valid track left"):
        tables.load_tracks(header_only, invalid="drop")
    rows = good_rows.copy()
    rows["energy"] = 3.0
    all_bad = write_csv(rows, tmp_path / "all_bad.csv")
    with pytest.raises(tables.DataValidationError, match="all 10 rows break the schema"):
        tables.load_tracks(all_bad, invalid="drop")


# --- issue 26, table minors ------------------------------------------------------------------
@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_semicolon_or_tab_delimited_csv_is_read(tmp_path, good_rows, sep, name, caplog):
    """A CSV saved with ';' (a European spreadsheet) or tabs is read, and the log says so."""
    path = tmp_path / f"{name}.csv"
    good_rows.to_csv(path, index=False, sep=sep, decimal="," if sep == ";" else ".")
    with caplog.at_level(logging.INFO):
        df = tables.load_tracks(path)
    assert len(df) == 10 and df["energy"].tolist() == good_rows["energy"].tolist()
    assert f"{name}-delimited" in caplog.text
    gz = tmp_path / f"{name}.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert len(tables.load_tracks(gz)) == 10


def test_non_utf8_error_names_the_line_of_the_bad_byte(tmp_path, good_rows):
    text = good_rows.to_csv(index=False).splitlines(keepends=True)
    text[4] = text[4].replace(",", ",caf\xe9 ", 1)  # data row 3 is line 5 of the file
    path = tmp_path / "latin.csv"
    path.write_bytes("".join(text).encode("latin-1"))
    with pytest.raises(tables.DataValidationError) as err:
        tables.read_tracks(path)
    message = str(err.value)
    assert "latin.csv: not UTF-8 text" in message and "line 5 (data row 3)" in message
    assert "0xe9" in message and "byte 3" not in message
