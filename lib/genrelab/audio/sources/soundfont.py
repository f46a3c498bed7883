"""Notes to audio through a General MIDI soundfont: the renderer behind the ``scores`` source.

A score's notes (onsets and durations in quarter notes, MIDI pitches, velocities, one part each)
are written as a standard MIDI file at one constant tempo with :mod:`mido`, then rendered by
`midirenderer <https://pypi.org/project/midirenderer/>`_ (the Rust SoundFont synthesizer
``rustysynth`` behind a Python wheel: no system library, no audio device) through a General MIDI
soundfont, mixed to mono and resampled to the requested rate.

The default soundfont is **TimGM6mb** (Tim Brechbill, 6 MB, GPL-2.0, MuseScore's first default
font), which the ``pretty_midi`` wheel ships as package data: ``pip install`` brings it, nothing is
downloaded at run time (data/README.md states its licence). Any other ``.sf2`` file can be passed.

Several timbres (:data:`SOUNDFONTS`, by name): the development fonts are TimGM6mb and two Debian
packages, installed apart (``make soundfonts``, as root; never a requirement: the tests that need
them skip without them)::

    apt-get install csound-soundfont opl3-soundfont

**Reserved for validation, never used to develop or tune**: FluidR3 (``fluid-soundfont-gm``) and
MuseScore General (``musescore-general-soundfont-*``, built on FluidR3 Mono's samples, so it shares
the reserved font's sound); a corpus renders them only with ``validation=True``.

:data:`INSTRUMENTATIONS` maps an ensemble name to General MIDI programs, top part first and the
bass part last; :func:`programs_for` assigns them to a score's parts.

Example
-------
>>> from genrelab.audio.sources import render
>>> notes = render.Notes.from_rows([(0.0, 1.0, 60, 80, 0), (1.0, 1.0, 64, 80, 0)])
>>> y = render.render(notes, bpm=120, programs=[0], duration=2.0)   # doctest: +SKIP
>>> y.shape                                                          # doctest: +SKIP
(44100,)
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import io
import math
from dataclasses import dataclass
from pathlib import Path

import midirenderer
import mido
import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from genrelab.errors import GenrelabError

#: The soundfont the ``pretty_midi`` wheel ships (GPL-2.0; see data/README.md).
SOUNDFONT_NAME = "TimGM6mb.sf2"
SOUNDFONT_LICENSE = "GPL-2.0 (TimGM6mb by Tim Brechbill, shipped in the pretty_midi wheel)"

#: Part of every cache key: bump when the audio rendered from the same notes can change.
RENDER_VERSION = (
    f"genrelab-render-1/midirenderer-{importlib.metadata.version('midirenderer')}"
    f"/mido-{importlib.metadata.version('mido')}"
)

TICKS_PER_QUARTER = 960
DRUM_CHANNEL = 9  # General MIDI percussion: never given to a part

#: Ensemble name -> General MIDI programs (0-based), top part first, the bass part last.
INSTRUMENTATIONS: dict[str, tuple[int, ...]] = {
    "piano": (0,),  # acoustic grand on every part
    "strings": (40, 40, 41, 42),  # violin, violin, viola, cello
    "winds": (73, 68, 71, 70),  # flute, oboe, clarinet, bassoon
    "brass": (56, 60, 57, 58),  # trumpet, horn, trombone, tuba
    "organ": (19,),  # church organ
    "guitar": (24, 24, 24, 32),  # nylon guitars, acoustic bass
    "harpsichord": (6,),
}


class RenderError(GenrelabError, ValueError):
    """Notes that cannot be rendered (empty, out of range); the message says why."""


@dataclass(frozen=True)
class Notes:
    """The notes of a score, one array per field (times in quarter notes from the start).

    Attributes
    ----------
    onset, duration : numpy.ndarray of float
        Start and length of each note in quarter notes.
    pitch, velocity, part : numpy.ndarray of int
        MIDI pitch (0-127), MIDI velocity (1-127) and part index (0 = top part).
    """

    onset: np.ndarray
    duration: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    part: np.ndarray

    @classmethod
    def from_rows(cls, rows) -> Notes:
        """From ``(onset, duration, pitch, velocity, part)`` tuples."""
        arr = np.asarray(list(rows), dtype=float).reshape(-1, 5)
        return cls(
            onset=arr[:, 0],
            duration=arr[:, 1],
            pitch=arr[:, 2].astype(int),
            velocity=arr[:, 3].astype(int),
            part=arr[:, 4].astype(int),
        )

    def __len__(self) -> int:
        return len(self.onset)

    @property
    def n_parts(self) -> int:
        return int(self.part.max()) + 1 if len(self) else 0

    def until(self, quarters: float) -> Notes:
        """The notes that start before ``quarters``, cut to end there at the latest."""
        keep = self.onset < quarters
        end = np.minimum(self.onset[keep] + self.duration[keep], quarters)
        return Notes(
            self.onset[keep],
            end - self.onset[keep],
            self.pitch[keep],
            self.velocity[keep],
            self.part[keep],
        )


def programs_for(instrumentation: str, n_parts: int) -> list[int]:
    """General MIDI program of each part: the ensemble's top programs in order, its last (bass)
    program on the lowest part, the middle ones repeated for the parts between.

    Examples
    --------
    >>> programs_for("strings", 4), programs_for("strings", 2), programs_for("winds", 6)
    ([40, 40, 41, 42], [40, 42], [73, 68, 71, 71, 71, 70])
    """
    if instrumentation not in INSTRUMENTATIONS:
        raise ValueError(
            f"unknown instrumentation {instrumentation!r}; choose one of {sorted(INSTRUMENTATIONS)}"
        )
    progs = INSTRUMENTATIONS[instrumentation]
    if n_parts <= 1:
        return [progs[0]][:n_parts]
    upper = list(progs[:-1]) or [progs[0]]
    out = [upper[min(i, len(upper) - 1)] for i in range(n_parts - 1)]
    return [*out, progs[-1]]


# --------------------------------------------------------------------------- the soundfonts
#: Where Debian's soundfont packages put their ``.sf2`` files.
DEBIAN_SF2 = Path("/usr/share/sounds/sf2")


@dataclass(frozen=True)
class Soundfont:
    """A General MIDI soundfont known by name: its file, the Debian package that installs it
    (``""``: the pretty_midi wheel ships it), its licence, and whether it is reserved."""

    name: str
    filename: str
    package: str
    license: str
    reserved: bool = False


#: name -> soundfont; every font's licence checked in /usr/share/doc/<package>/copyright.
SOUNDFONTS: dict[str, Soundfont] = {
    "TimGM6mb": Soundfont("TimGM6mb", SOUNDFONT_NAME, "", SOUNDFONT_LICENSE),
    "GMbank": Soundfont(
        "GMbank", "sf_GMbank.sf2", "csound-soundfont", "public domain (Csound's GM bank, 4 MB)"
    ),
    "OPL3": Soundfont(
        "OPL3",
        "OPL-3_FM_128M.sf2",
        "opl3-soundfont",
        "CC-BY-SA-4.0 (Zandro Reveille: an OPL3 FM chip's sound, harsh, 135 MB)",
    ),
    "FluidR3": Soundfont("FluidR3", "FluidR3_GM.sf2", "fluid-soundfont-gm", "MIT", reserved=True),
    "MuseScoreGeneral": Soundfont(
        "MuseScoreGeneral",
        "MuseScore_General_Full.sf2",
        "musescore-general-soundfont-lossless",
        "MIT (parts public domain / CC0); built on FluidR3 Mono",
        reserved=True,
    ),
}
#: The fonts the development corpus is rendered through (tuning included).
DEVELOPMENT_SOUNDFONTS = ("TimGM6mb", "GMbank", "OPL3")


class SoundfontMissing(GenrelabError, FileNotFoundError):
    """A named soundfont is not installed; the message says how to install it."""

    def __init__(self, name: str, path: Path):
        package = SOUNDFONTS[name].package
        super().__init__(
            f"the soundfont {name!r} is not installed ({path} is missing): "
            f"apt-get install {package}  (or: make soundfonts)"
        )


def soundfont_file(name: str) -> Path:
    """The ``.sf2`` file of the soundfont called ``name`` (a key of :data:`SOUNDFONTS`)."""
    if name not in SOUNDFONTS:
        raise ValueError(f"unknown soundfont {name!r}; choose one of {sorted(SOUNDFONTS)}")
    if not SOUNDFONTS[name].package:
        return soundfont_path()
    path = DEBIAN_SF2 / SOUNDFONTS[name].filename
    if not path.exists():
        raise SoundfontMissing(name, path)
    return path


def installed_soundfonts(*, reserved: bool = False) -> list[str]:
    """The development soundfonts installed here (with ``reserved``: the reserved ones only)."""
    names = [n for n, f in SOUNDFONTS.items() if f.reserved] if reserved else DEVELOPMENT_SOUNDFONTS
    out = []
    for name in names:
        try:
            soundfont_file(name)
        except (SoundfontMissing, FileNotFoundError):
            continue
        out.append(name)
    return out


def resolve_soundfont(soundfont: str | Path | None) -> tuple[str, Path]:
    """(name, file) of a soundfont given by name, by path, or ``None`` (TimGM6mb). A file that
    is not in :data:`SOUNDFONTS` is named by its stem."""
    if soundfont is None:
        return "TimGM6mb", soundfont_path()
    if isinstance(soundfont, str) and soundfont in SOUNDFONTS:
        return soundfont, soundfont_file(soundfont)
    path = Path(soundfont)
    known = [n for n, f in SOUNDFONTS.items() if f.filename == path.name]
    return (known[0] if known else path.stem), path


def is_reserved_soundfont(soundfont: str | Path | None) -> bool:
    """Whether a soundfont (name or file) is reserved for validation (FluidR3 and its kin)."""
    if isinstance(soundfont, str) and soundfont in SOUNDFONTS:
        return SOUNDFONTS[soundfont].reserved
    name, path = resolve_soundfont(soundfont)
    stem = path.stem.lower()
    if name in SOUNDFONTS:
        return SOUNDFONTS[name].reserved
    return "fluid" in stem or "musescore" in stem


def soundfont_path() -> Path:
    """The TimGM6mb soundfont inside the installed ``pretty_midi`` package (not imported)."""
    spec = importlib.util.find_spec("pretty_midi")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / SOUNDFONT_NAME
        if path.exists():
            return path
    raise FileNotFoundError(
        f"{SOUNDFONT_NAME} not found: it ships with the pretty_midi package "
        "(`pip install pretty_midi`, a genrelab dependency)"
    )


@functools.lru_cache(maxsize=8)
def _soundfont_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


@functools.lru_cache(maxsize=8)
def soundfont_tag(path: str | Path | None = None) -> str:
    """``<file stem>-<first 10 hex digits of its BLAKE2b hash>``: the soundfont part of a cache
    key (a different file under the same name is a different soundfont)."""
    path = Path(path) if path is not None else soundfont_path()
    digest = hashlib.blake2b(_soundfont_bytes(str(path)), digest_size=5).hexdigest()
    return f"{path.stem}-{digest}"


# --------------------------------------------------------------------------- notes -> MIDI -> audio
def to_midi(notes: Notes, bpm: float, programs: list[int]) -> bytes:
    """A type-1 standard MIDI file of ``notes`` at ``bpm`` quarter notes per minute.

    One track and one channel per part (channel 10, General MIDI percussion, skipped; parts
    beyond fifteen share the last channel), each starting with its program change.
    """
    if len(notes) == 0:
        raise RenderError("no notes to render")
    if not (np.all((notes.pitch >= 0) & (notes.pitch <= 127))):
        raise RenderError("MIDI pitches must lie in 0..127")
    if bpm <= 0 or not math.isfinite(bpm):
        raise RenderError(f"tempo must be a positive number of BPM, got {bpm}")
    n_parts = notes.n_parts
    if len(programs) < n_parts:
        raise RenderError(f"{n_parts} parts but only {len(programs)} programs")
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_QUARTER)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    mid.tracks.append(meta)
    channels = [c for c in range(16) if c != DRUM_CHANNEL]
    on = np.round(notes.onset * TICKS_PER_QUARTER).astype(np.int64)
    off = np.maximum(on + 1, np.round((notes.onset + notes.duration) * TICKS_PER_QUARTER))
    off = off.astype(np.int64)
    velocity = np.clip(notes.velocity, 1, 127)
    for part in range(n_parts):
        channel = channels[min(part, len(channels) - 1)]
        track = mido.MidiTrack()
        track.append(mido.Message("program_change", channel=channel, program=programs[part]))
        idx = np.flatnonzero(notes.part == part)
        # (tick, 0 = note off first at equal ticks so a repeated pitch re-strikes, pitch, velocity)
        events = sorted(
            [(int(off[i]), 0, int(notes.pitch[i]), 0) for i in idx]
            + [(int(on[i]), 1, int(notes.pitch[i]), int(velocity[i])) for i in idx]
        )
        last = 0
        for tick, kind, pitch, vel in events:
            msg = "note_on" if kind else "note_off"
            track.append(
                mido.Message(msg, channel=channel, note=pitch, velocity=vel, time=tick - last)
            )
            last = tick
        mid.tracks.append(track)
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()


def render_midi(midi: bytes, soundfont: str | Path | None = None) -> tuple[np.ndarray, int]:
    """Render standard MIDI file bytes: (stereo float32 samples ``(n, 2)``, sample rate)."""
    path = str(soundfont if soundfont is not None else soundfont_path())
    try:
        wav = midirenderer.render_wave_from(_soundfont_bytes(path), midi)
    except (ValueError, RuntimeError) as exc:
        raise RenderError(f"midirenderer could not render the notes: {exc}") from None
    data, rate = sf.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    return data, rate


def render(
    notes: Notes,
    bpm: float,
    programs: list[int],
    duration: float,
    *,
    samplerate: int = 22050,
    soundfont: str | Path | None = None,
) -> np.ndarray:
    """The first ``duration`` seconds of ``notes`` played at ``bpm``, mono float32 at
    ``samplerate`` (silence-padded when the music is shorter)."""
    clipped = notes.until(duration * bpm / 60.0)
    stereo, rate = render_midi(to_midi(clipped, bpm, programs), soundfont)
    mono = stereo.mean(axis=1)
    if rate != samplerate:
        g = math.gcd(rate, samplerate)
        mono = resample_poly(mono, samplerate // g, rate // g).astype(np.float32)
    n = int(round(duration * samplerate))
    out = np.zeros(n, np.float32)
    out[: min(n, len(mono))] = mono[:n]
    return out
