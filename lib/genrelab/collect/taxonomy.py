"""The taxonomy file: genre -> subgenres, the queries a collection searches by.

``params/taxonomy.yaml`` holds a ``genres:`` mapping of genre names to lists of subgenre
names (the seed's six genres); each subgenre is a playlist search query (the seed's path) or a
``genre:"<subgenre>"`` track search (development mode).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .. import config

TAXONOMY_YAML = config.PARAMS_DIR / "taxonomy.yaml"


def load_taxonomy(path: str | Path | None = None) -> dict[str, list[str]]:
    """Read ``genre -> [subgenres]`` from a YAML file (default ``params/taxonomy.yaml``).

    The file holds a ``genres:`` mapping of genre names to lists of subgenre names; each
    subgenre is the playlist search query.
    """
    path = Path(path) if path else TAXONOMY_YAML
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such taxonomy file")
    raw = yaml.safe_load(path.read_text()) or {}
    genres = raw.get("genres") if isinstance(raw, dict) else None
    if not isinstance(genres, dict) or not genres:
        raise ValueError(
            f"{path}: expected a non-empty `genres:` mapping of genre -> list of subgenres"
        )
    out: dict[str, list[str]] = {}
    for genre, subs in genres.items():
        if (
            not isinstance(subs, list)
            or not subs
            or not all(isinstance(s, str) and s.strip() for s in subs)
        ):
            raise ValueError(
                f"{path}: genre {genre!r} must list one or more subgenre names, got {subs!r}"
            )
        out[str(genre)] = [s.strip() for s in subs]
    return out
