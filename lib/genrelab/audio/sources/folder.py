"""Any folder of audio files as a source, with an optional CSV of reference features.

The folder is searched recursively for WAV, FLAC, OGG, MP3 and AIFF files. The reference CSV
(optional) has one row per file, keyed by file name: its key column (``file`` by default)
may hold the path relative to the folder (``rock/song.mp3``), the bare file name
(``song.mp3``) or the name without extension (``song``). Its other numeric columns are the
reference features (e.g. ``tempo``, ``energy``, ``key``, ``mode``), and a ``label_column``
(e.g. ``genre``) labels the clips. Without a CSV, the name of the sub-folder a file sits in
can serve as its label (``label_from_folder=True``).

Example
-------
>>> from genrelab.audio.sources import folder
>>> corpus = folder.corpus("~/Music/clips", reference_csv="~/Music/clips/features.csv",
...                        label_column="genre")                       # doctest: +SKIP
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

import pandas as pd

from genrelab.audio.sources.corpus import AudioCorpus, subsample
from genrelab.schema import AUDIO_EXTENSIONS

log = logging.getLogger(__name__)


def scan(path: str | Path) -> pd.DataFrame:
    """Audio files under ``path``: ``relpath`` (posix, relative), ``path`` (absolute), sorted.

    Symbolic links that lead to no file (a loop of links, a missing target) and links to
    folders (not followed: one could lead back up the tree) are logged with their reason and
    listed in ``attrs["skipped"]`` (``item_id`` = the relative path, ``reason``).
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"audio folder {root} does not exist")
    files, skipped = [], []
    for p in sorted(root.rglob("*")):
        reason = _bad_link(p)
        if reason is not None:
            rel = p.relative_to(root).as_posix()
            log.warning("skipped %s: %s", p, reason)
            skipped.append({"item_id": rel, "reason": reason})
        elif p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS:
            files.append(p)
    out = pd.DataFrame(
        {
            "relpath": [p.relative_to(root).as_posix() for p in files],
            "path": [str(p) for p in files],
        }
    )
    out.attrs["skipped"] = pd.DataFrame(skipped, columns=["item_id", "reason"])
    return out


def _bad_link(p: Path) -> str | None:
    """Why the symbolic link ``p`` is skipped (None when ``p`` is no link or leads to a file)."""
    if not p.is_symlink():
        return None
    try:
        target = p.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "a loop of symbolic links (the link leads back to itself)"
        return f"a symbolic link to nothing ({err.strerror}: {os.readlink(p)})"
    if stat.S_ISDIR(target.st_mode):
        return f"a symbolic link to a folder ({os.readlink(p)}), not followed"
    return None


def _match_keys(files: pd.DataFrame, keys: pd.Series) -> pd.Series:
    """For each file, the row label in ``keys`` that names it (relative path, name, or stem)."""
    index: dict[str, object] = {}
    for label, key in keys.items():
        index.setdefault(str(key).strip(), label)
    out = {}
    for i, rel in files["relpath"].items():
        name = rel.rsplit("/", 1)[-1]
        for candidate in (rel, name, name.rsplit(".", 1)[0]):
            if candidate in index:
                out[i] = index[candidate]
                break
    return pd.Series(out, dtype="object")


def corpus(
    path: str | Path | None = None,
    *,
    reference_csv: str | Path | None = None,
    key_column: str = "file",
    label_column: str | None = None,
    label_from_folder: bool = False,
    n_clips: int | None = None,
    seed: int = 42,
) -> AudioCorpus:
    """An :class:`~genrelab.audio.sources.corpus.AudioCorpus` of every audio file under ``path``.

    Parameters
    ----------
    path : path
        The folder (searched recursively).
    reference_csv : path, optional
        Reference features keyed by file name (see the module docstring).
    key_column : str
        The CSV column naming the file.
    label_column : str, optional
        A CSV column holding each clip's genre / label.
    label_from_folder : bool
        Label each clip with the name of its parent folder (when no ``label_column``).
    n_clips : int, optional
        Draw at most this many files at random (seeded); ``None`` = all.
    """
    if path is None:
        raise ValueError("the folder source needs path= (a folder of audio files)")
    files = scan(path)
    skipped = files.attrs["skipped"]
    if files.empty:
        also = f"; {len(skipped)} link(s) skipped (see the log)" if len(skipped) else ""
        raise ValueError(f"{path}: no audio files ({', '.join(AUDIO_EXTENSIONS)}){also}")
    files = subsample(files, n_clips, seed)
    items = pd.DataFrame(
        {
            "item_id": files["relpath"],
            "path": files["path"],
            "label": pd.Series(pd.NA, index=files.index, dtype="object"),
        }
    )
    if label_from_folder:
        items["label"] = [r.rsplit("/", 1)[0] if "/" in r else pd.NA for r in files["relpath"]]
    reference = pd.DataFrame({"item_id": pd.Series(dtype="object")})
    if reference_csv is not None:
        table = pd.read_csv(Path(reference_csv).expanduser())
        if key_column not in table:
            raise ValueError(
                f"{reference_csv}: no key column {key_column!r}; columns are {list(table.columns)}"
            )
        if label_column is not None and label_column not in table:
            raise ValueError(f"{reference_csv}: no label column {label_column!r}")
        match = _match_keys(files, table[key_column])
        unmatched = len(files) - len(match)
        if unmatched:
            log.warning(
                "%s: %d of %d audio files have no row in %s",
                path,
                unmatched,
                len(files),
                reference_csv,
            )
        rows = table.loc[match.values].reset_index(drop=True)
        rows.insert(0, "item_id", files.loc[match.index, "relpath"].values)
        if label_column is not None:
            items.loc[match.index, "label"] = rows[label_column].values
        numeric = [
            c
            for c in rows.columns
            if c not in ("item_id", key_column, label_column)
            and pd.api.types.is_numeric_dtype(rows[c])
        ]
        reference = rows[["item_id", *numeric]]
    return AudioCorpus(
        "folder",
        items,
        reference,
        label_name=label_column or ("folder" if label_from_folder else "label"),
        failures=skipped,
    )
