"""The taxonomy file: genre -> subgenres, the queries a collection searches by.

``params/taxonomy.yaml`` holds a ``genres:`` mapping of genre names to lists of subgenre
names (the seed's six genres); each subgenre is a playlist search query (the seed's path) or a
``genre:"<subgenre>"`` track search (development mode). An optional ``my_playlists:`` section
names the logged-in user's own or collaborative playlists (by name or id) as genre playlists,
for the ``my_playlists`` path::

    my_playlists:
      pop:
        dance pop: [Dance pop mix]          # genre -> subgenre -> playlist names or ids
      rock:
        album rock: [Rock together, 3cEYpjA9oz9GiPac4AsH4n]
"""

from __future__ import annotations

from pathlib import Path

import yaml

from genrelab import config

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


def load_my_playlists(path: str | Path | None = None) -> dict[str, tuple[str, str]]:
    """The ``my_playlists:`` section: ``{playlist name or id: (genre, subgenre)}``, in order.

    Empty when the file has no such section. Names match the user's playlists without regard
    to case; a name given twice is an error naming the file.
    """
    path = Path(path) if path else TAXONOMY_YAML
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such taxonomy file")
    raw = yaml.safe_load(path.read_text()) or {}
    section = raw.get("my_playlists") if isinstance(raw, dict) else None
    if section is None:
        return {}
    shape = "genre -> subgenre -> list of playlist names or ids"
    if not isinstance(section, dict):
        raise ValueError(f"{path}: `my_playlists:` must be a mapping {shape}")
    out: dict[str, tuple[str, str]] = {}
    for genre, subs in section.items():
        if not isinstance(subs, dict) or not subs:
            raise ValueError(f"{path}: my_playlists genre {genre!r} must map subgenres ({shape})")
        for sub, names in subs.items():
            if not isinstance(names, list) or not all(
                isinstance(n, str) and n.strip() for n in names
            ):
                raise ValueError(
                    f"{path}: my_playlists {genre!r} / {sub!r} must list playlist names or "
                    f"ids, got {names!r}"
                )
            for name in names:
                key = name.strip()
                if key.casefold() in {k.casefold() for k in out}:
                    raise ValueError(f"{path}: playlist {key!r} is named twice in my_playlists")
                out[key] = (str(genre), str(sub))
    return out
