"""The ways to gather a genre-labelled track list: playlists, genre search, the user's playlists.

Each path returns a :class:`Gathered`: rows (track x label), the track records, one row per
playlist or query for the playlists table, and the items it skipped. What follows (features,
Deezer, the table) is the same for all (:mod:`genrelab.collect.catalogue`).

``playlists`` (the seed's; apps with extended quota)
    subgenre -> playlist search (pages of 10) -> each playlist's items.
``genre_search`` (development mode, client credentials)
    a ``genre:"<subgenre>"`` track search per subgenre (pages of 10, offset below 1,000),
    labelled by the genre and subgenre queried; no playlist columns.
``my_playlists`` (development mode, with a login)
    the user's own and collaborative playlists named in the taxonomy's ``my_playlists:``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from genrelab.collect.stages import Collector

log = logging.getLogger(__name__)

PATHS = ("playlists", "genre_search", "my_playlists")


@dataclass
class Gathered:
    """What a path found, before features.

    Attributes
    ----------
    rows : list of dict
        ``track_id, track_name, playlist_id, playlist_name, playlist_genre, playlist_subgenre``.
    records : dict
        Track id -> track record (:func:`genrelab.collect.records.track_record`).
    sources : list of dict
        One row per playlist (or query) asked, for the playlists table.
    skipped : list of dict
        ``playlist_id, reason`` of items that are not tracks.
    refused : int or None
        The status of the first development-mode refusal (403) met, which stopped the path.
    """

    rows: list[dict] = field(default_factory=list)
    records: dict[str, dict] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    refused: int | None = None

    def add(self, records: list[dict], genre, subgenre, playlist_id=None, playlist_name=None):
        """Rows for ``records`` under one label (a track once per playlist and label)."""
        seen = {
            (r["track_id"], r["playlist_id"], r["playlist_genre"], r["playlist_subgenre"])
            for r in self.rows
        }
        for r in records:
            if r["id"] not in self.records or (
                r["complete"] and not self.records[r["id"]]["complete"]
            ):
                self.records[r["id"]] = r
            key = (r["id"], playlist_id, genre, subgenre)
            if key in seen:
                continue
            seen.add(key)
            self.rows.append(
                {
                    "track_id": r["id"],
                    "track_name": r["name"],
                    "playlist_id": playlist_id,
                    "playlist_name": playlist_name,
                    "playlist_genre": genre,
                    "playlist_subgenre": subgenre,
                }
            )


def _source(p: dict, genre, subgenre, content: dict | None, status: str | None = None) -> dict:
    return {
        "playlist_id": p.get("playlist_id"),
        "playlist_name": p.get("playlist_name"),
        "owner": p.get("owner"),
        "playlist_genre": genre,
        "playlist_subgenre": subgenre,
        "query": p.get("query"),
        "n_items": p.get("n_items"),
        "n_tracks_collected": len(content["tracks"]) if content else 0,
        "status": status or (content["status"] if content else "not asked"),
    }


def _contents(c: Collector, playlist: dict, max_tracks: int | None) -> dict:
    contents = c.ckpt.load("playlists")
    pid = playlist["playlist_id"]
    if pid not in contents:
        c.ckpt.save("playlists", {pid: c.playlist_items(pid, max_tracks, playlist.get("owner"))})
    return contents[pid]


def by_playlists(
    c: Collector,
    taxonomy: dict[str, list[str]],
    n_playlists: int,
    max_tracks: int | None,
    *,
    stop_at_403: bool = False,
) -> Gathered:
    """The seed's path: per subgenre, a playlist search, then each playlist's items once.

    With ``stop_at_403`` the path stops at the first 403 on a playlist's items (the sign of a
    development-mode app) and says so in ``refused``, so another path can take over.
    """
    got = Gathered()
    searches = c.ckpt.load("search")
    asked: set[str] = set()
    pairs = [(g, s) for g, subs in taxonomy.items() for s in subs]
    for g, s in c.bar(pairs, "playlists", "subgenre"):
        key = f"{g}|{s}"
        if key not in searches:
            c.ckpt.save("search", {key: c.search_playlists(s, n_playlists)})
        for p in searches[key]:
            content = _contents(c, p, max_tracks)
            got.sources.append(_source({**p, "query": s}, g, s, content))
            if p["playlist_id"] not in asked:
                asked.add(p["playlist_id"])
                got.skipped += [
                    {"playlist_id": p["playlist_id"], "reason": why} for why in content["skipped"]
                ]
            if stop_at_403 and content.get("http_status") == 403:
                got.refused = 403
                return got
            got.add(content["tracks"], g, s, p["playlist_id"], p["playlist_name"])
    return got


def genre_query(subgenre: str) -> str:
    """The track search of one subgenre: Spotify's ``genre:"..."`` field filter."""
    return f'genre:"{subgenre}"'


def by_genre_search(c: Collector, taxonomy: dict[str, list[str]], n_tracks: int) -> Gathered:
    """Development mode: ``genre:"<subgenre>"`` track searches, labelled by what was queried.

    The filter selects tracks by their artists' genres; Spotify made no 2026 statement about
    it, so an empty answer is possible: that subgenre is then logged and listed with status
    ``"no track found"``, and the others go on.
    """
    got = Gathered()
    for g, subs in taxonomy.items():
        for s in subs:
            q = genre_query(s)
            found = c.search_tracks(q, n_tracks)
            if not found:
                log.warning(
                    "%s found no track: Spotify's genre filter matches artists' genres and may "
                    "answer nothing for this name; the subgenre %r of %r is left out",
                    q,
                    s,
                    g,
                )
            got.add(found, g, s)
            status = "ok" if found else "no track found"
            got.sources.append(_source({"query": q, "n_items": len(found)}, g, s, None, status))
            got.sources[-1]["n_tracks_collected"] = len(found)
    return got


def by_my_playlists(
    c: Collector, named: dict[str, tuple[str, str]], max_tracks: int | None
) -> Gathered:
    """The logged-in user's playlists named in the taxonomy (by id or name, any case)."""
    got = Gathered()
    mine = c.my_playlists()
    by_id = {p["playlist_id"]: p for p in mine}
    by_name: dict[str, dict] = {}
    for playlist in mine:
        by_name.setdefault(str(playlist["playlist_name"]).casefold(), playlist)
    asked: set[str] = set()
    for name, (g, s) in named.items():
        p = by_id.get(name) or by_name.get(name.casefold())
        if p is None:
            log.warning(
                "playlist %r (my_playlists: %s / %s) is not among your playlists", name, g, s
            )
            status = "not among your playlists"
            got.sources.append(_source({"playlist_name": name}, g, s, None, status))
            continue
        content = _contents(c, p, max_tracks)
        got.sources.append(_source(p, g, s, content))
        if p["playlist_id"] not in asked:
            asked.add(p["playlist_id"])
            got.skipped += [
                {"playlist_id": p["playlist_id"], "reason": why} for why in content["skipped"]
            ]
        got.add(content["tracks"], g, s, p["playlist_id"], p["playlist_name"])
    return got
