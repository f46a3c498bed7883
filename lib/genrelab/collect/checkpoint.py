"""Checkpoints of a collection: every finished unit is appended, so an interrupted run resumes.

A collection's stages (searches, playlists, batches of tracks, artists, features, Deezer
look-ups) each append to one JSON-lines file of :class:`Checkpoint`; the folder is named by a
hash of the collection's parameters (:func:`default_checkpoint_dir`), so the same call after a
crash picks up where it stopped with no duplicate request and no lost row.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from genrelab import config

log = logging.getLogger(__name__)


class Checkpoint:
    """Append-only JSON-lines files, one per stage, in ``directory``.

    Every finished unit (a search, a playlist with all its pages, a batch) is appended as
    ``{"k": key, "v": value}`` and flushed, so an interrupted run (exception, Ctrl-C, killed
    kernel) loses at most the unit in flight. A torn last line is ignored.
    """

    def __init__(self, directory: str | Path | None):
        self.dir = Path(directory) if directory is not None else None
        self._memory: dict[str, dict] = {}
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)

    def load(self, stage: str) -> dict[str, Any]:
        if stage in self._memory:
            return self._memory[stage]
        done: dict[str, Any] = {}
        path = self.dir / f"{stage}.jsonl" if self.dir else None
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("%s: ignoring a torn line (interrupted write)", path)
                    continue
                done[rec["k"]] = rec["v"]
        self._memory[stage] = done
        return done

    def clear(self) -> None:
        """Remove the stage files (after a finished collection: checkpoints only serve resuming)."""
        self._memory.clear()
        if self.dir is None:
            return
        for path in self.dir.glob("*.jsonl"):
            path.unlink()
        try:
            self.dir.rmdir()
        except OSError:
            pass  # other files live there: leave the folder

    def save(self, stage: str, values: dict[str, Any]) -> None:
        done = self.load(stage)
        done.update(values)
        if self.dir is None:
            return
        with open(self.dir / f"{stage}.jsonl", "a") as fh:
            for k, v in values.items():
                fh.write(json.dumps({"k": k, "v": v}) + "\n")


def default_checkpoint_dir(kind: str, spec: dict) -> Path:
    """``<cache>/collect/<kind>-<hash of the collection's parameters>``: same call, same folder."""
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return config.cache_folder("collect") / f"{kind}-{key}"
