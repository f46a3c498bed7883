"""What notebook 04's part 2 can and cannot show, in words written from the run.

On the offline default (``audio_source: "scores"``) aubio's descriptors meet properties of
rendered scores (tempo, key, mode, notes a second...), not Spotify's audio features;
:func:`scope_markdown` says so, names the features actually compared, and says what to run
to compare aubio with Spotify-family features (FMA audio with its Echo Nest features, or
Deezer previews of collected tracks), the seed study's real question.
"""

from __future__ import annotations

from genrelab.audio.compare import ReferenceComparison

#: How each source's clips come about and what their reference is, for :func:`scope_markdown`.
_SOURCE_CLIPS = {
    "scores": (
        "pieces of music21's corpus rendered from their scores through a General MIDI soundfont",
        "what the scores fix",
    ),
    "synthetic": ("clips generated in four styles", "the generator's ground truth"),
    "fma": (
        "tracks of the Free Music Archive",
        "their Echo Nest features, the features Spotify's audio features descend from",
    ),
    "deezer": (
        "30 s Deezer previews of the collected tracks",
        "the features collected for those tracks (Spotify's, or ReccoBeats' where Spotify refused)",
    ),
    "folder": ("files of an audio folder", "the columns of its reference CSV"),
}

#: Sources whose reference is a Spotify-family feature set: part 2 then answers the seed's question.
SPOTIFY_FAMILY_SOURCES = ("fma", "deezer")

#: What to run to compare aubio with Spotify-family features (Markdown).
SPOTIFY_FAMILY_RUNS = """\
- **FMA audio with its Echo Nest features** (shipped in `data/raw`): unpack an FMA archive
  (e.g. `fma_small.zip`, 8,000 tracks of 30 s) and run
  `GENRELAB_FMA_DIR=/path/to/fma_small make report PARAMS=params/fma.yaml`
  (`audio_source: fma`; offline once the archive is on disk).
- **Deezer previews of your collected tracks**, against the features collected with them:
  `make report PARAMS=params/deezer.yaml` (notebook 01 collects from Spotify, whose ISRCs find
  the previews, and notebook 04 runs `audio_source: deezer`; needs the network and the Spotify
  keys in `.env`)."""


def compared_features(evaluation: ReferenceComparison) -> list[str]:
    """The reference features aubio was compared with: tempo and key / mode where scored, and
    every target of the mimic regression."""
    names = []
    if evaluation.tempo.get("n"):
        names.append(f"tempo ({evaluation.tempo['n']} clips)")
    if evaluation.key.get("n"):
        names.append(f"key and mode ({evaluation.key['n']} clips)")
    names += [
        str(t) for t in evaluation.mimic.get("target", []) if str(t) not in ("tempo", "key", "mode")
    ]
    return names


def scope_markdown(
    source: str, evaluation: ReferenceComparison, n_clips: int, measured: tuple[str, ...] = ()
) -> str:
    """Notebook 04's closing words on part 2: what it compared, what that can and cannot show,
    and (unless the reference already is a Spotify-family feature set) what to run to compare
    aubio with such features, the seed study's real question.

    Parameters
    ----------
    source : str
        The run's ``audio_source`` (``scores``, ``synthetic``, ``fma``, ``deezer``, ``folder``).
    evaluation : ReferenceComparison
        :func:`compare_with_reference`'s result on the run's clips.
    n_clips : int
        Clips analysed.
    measured : tuple of str
        Reference columns measured from the audio itself (``AudioCorpus.measured``), left out
        of the comparison.
    """
    clips, reference = _SOURCE_CLIPS.get(source, (f"clips of the {source!r} source", "its own"))
    compared = compared_features(evaluation)
    what = ", ".join(f"`{c}`" if " " not in c else c for c in compared) or "no feature at all"
    text = [
        "## What part 2 can and cannot show",
        "",
        f"This run's {n_clips} clips are {clips}; the reference is {reference}. "
        f"aubio was compared with: {what}.",
    ]
    if measured:
        text[-1] += (
            f" Left out: {', '.join(f'`{m}`' for m in measured)}, measured from the audio "
            "itself, so no reference."
        )
    if source in SPOTIFY_FAMILY_SOURCES and compared:
        text += [
            "",
            "So this part compares aubio's descriptors with Spotify-family audio features on "
            "real recordings: the seed study's question, whether features computed from the "
            "audio can stand in for Spotify's, answered on these clips"
            + (
                " (30 s previews, where the features describe whole tracks)."
                if source == "deezer"
                else " (the Echo Nest's values, Spotify's predecessor, not Spotify's own)."
            ),
        ]
        return "\n".join(text)
    if source in ("scores", "synthetic"):
        kind = "rendered scores" if source == "scores" else "generated clips"
        text += [
            "",
            f"So this part compares aubio's descriptors with properties of {kind}, **not with "
            "Spotify's audio features**: these clips have none, and energy, danceability, "
            "valence, acousticness and the rest are not among the references. It shows whether "
            "aubio recovers what the music fixes (tempo, key, mode) and how its clusters relate "
            "to the labels; it cannot show whether aubio's descriptors could stand in for "
            "Spotify's features in part 1 and notebook 03, the seed study's question.",
        ]
    else:
        text += [
            "",
            "So this part shows how aubio's descriptors relate to that reference; whether they "
            "could stand in for Spotify's features is answered only against Spotify-family "
            "features.",
        ]
    text += ["", "To answer the seed study's question, run part 2 on such audio:", ""]
    text.append(SPOTIFY_FAMILY_RUNS)
    return "\n".join(text)
