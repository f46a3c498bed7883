"""One score read with music21: its notes for the renderer and the truth the score states (tempo,
key, mode, metre)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from music21 import chord, converter, dynamics, key, meter, note

from genrelab import schema
from genrelab.audio.sources import soundfont as render
from genrelab.errors import GenrelabError

DEFAULT_VELOCITY = 80


class ScoreError(GenrelabError, ValueError):
    """A score that cannot be turned into a clip (unreadable, no notes...); ``reason`` says why."""

    def __init__(self, piece: str, reason: str):
        self.piece, self.reason = piece, reason
        super().__init__(f"{piece}: {reason}")


@dataclass
class ScoreTruth:
    """What a score says about itself (before any rendering choice)."""

    key: int  # 0 = C, -1 when undecided
    mode: int  # 1 = major, 0 = minor, -1 when undecided
    key_reason: str  # "" when decided, else why not
    metre: str  # "4/4"; "" without a time signature
    beat_quarters: float  # quarter notes per beat of the metre (1.5 in 6/8, 2 in 2/2)
    sharps: int | None
    final_bass: int | None  # MIDI pitch of the final bass note
    title: str


def parse(path: str | Path, number: int | None = None):
    """Parse a score with music21 (no pickle cache written outside genrelab's cache)."""
    try:
        return converter.parse(str(path), number=number, forceSource=True, storePickle=False)
    except Exception as exc:  # noqa: BLE001 - music21 raises many kinds for a bad file
        raise ScoreError(
            str(path), f"music21 cannot read it ({type(exc).__name__}: {exc})"
        ) from None


def _parts(score) -> list:
    parts = list(getattr(score, "parts", []))
    return parts if parts else [score]


def score_notes(score) -> render.Notes:
    """Every sounding note of ``score`` in quarter notes, ties merged, dynamics as velocities.

    Grace notes and unpitched notes are left out; a part's dynamics (``p``, ``f``...) set the
    velocity of the notes after them (music21's volume scalars), ``DEFAULT_VELOCITY``
    before the first one.
    """
    rows: list[list[float]] = []
    for index, part in enumerate(_parts(score)):
        velocity = DEFAULT_VELOCITY
        open_ties: dict[int, int] = {}  # MIDI pitch -> row of the note a tie continues
        flat = part.flatten()
        for el in flat.getElementsByClass([note.Note, chord.Chord, dynamics.Dynamic]):
            if isinstance(el, dynamics.Dynamic):
                if el.volumeScalar is not None:
                    velocity = int(np.clip(round(127 * el.volumeScalar), 20, 127))
                continue
            length = float(el.quarterLength)
            if length <= 0 or el.duration.isGrace:
                continue
            onset = float(el.offset)
            members = [el] if isinstance(el, note.Note) else list(el.notes)
            for member in members:
                midi = int(member.pitch.midi)
                tie = (
                    member.tie.type
                    if member.tie is not None
                    else (el.tie.type if el.tie is not None else None)
                )
                if tie in ("continue", "stop") and midi in open_ties:
                    row = rows[open_ties[midi]]
                    row[1] = onset + length - row[0]
                    if tie == "stop":
                        del open_ties[midi]
                    continue
                rows.append([onset, length, midi, velocity, index])
                if tie in ("start", "continue"):
                    open_ties[midi] = len(rows) - 1
    if not rows:
        return render.Notes.from_rows([])
    arr = np.array(rows)
    arr = arr[np.lexsort((arr[:, 2], arr[:, 0]))]
    return render.Notes.from_rows(arr)


def score_truth(score, notes: render.Notes | None = None) -> ScoreTruth:
    """Key and mode (key signature + final bass note), metre and title of a parsed score."""
    parts = _parts(score)
    bass = parts[-1]
    signatures = [ks.sharps for ks in bass.recurse().getElementsByClass(key.KeySignature)]
    times = list(bass.recurse().getElementsByClass(meter.TimeSignature))
    if not times:
        times = list(score.recurse().getElementsByClass(meter.TimeSignature))
    metre = times[0].ratioString if times else ""
    beat = float(times[0].beatDuration.quarterLength) if times else 1.0
    title = ""
    if score.metadata is not None:
        title = score.metadata.title or score.metadata.movementName or ""
    notes = score_notes(score) if notes is None else notes
    final_bass = None
    if len(notes):
        # the bass part's last attack (its lowest note when it ends on a chord); the notes of the
        # whole score when the bass part has none
        lowest = notes.part == notes.part.max()
        onset = notes.onset[lowest]
        final_bass = int(notes.pitch[lowest][onset >= onset.max() - 1e-6].min())
    undecided = {"key": -1, "mode": -1}
    sharps = signatures[0] if signatures else None
    if not signatures:
        reason = "no key signature"
    elif len(set(signatures)) > 1:
        reason = (
            f"the key signature changes ({', '.join(map(str, dict.fromkeys(signatures)))} sharps)"
        )
    elif final_bass is None or sharps is None:
        reason = "no notes"
    else:
        major = (7 * sharps) % 12
        minor = (major + 9) % 12
        pc = final_bass % 12
        if pc == major:
            return ScoreTruth(major, 1, "", metre, beat, sharps, final_bass, title)
        if pc == minor:
            return ScoreTruth(minor, 0, "", metre, beat, sharps, final_bass, title)
        reason = (
            f"final bass {schema.PITCH_CLASSES[pc]} is neither {schema.PITCH_CLASSES[major]} "
            f"(major) nor {schema.PITCH_CLASSES[minor]} (minor) of the signature"
        )
    return ScoreTruth(
        undecided["key"], undecided["mode"], reason, metre, beat, sharps, final_bass, title
    )
