"""Throughput of genrelab.audio.features against a naive aubio loop measured in the same run.

(a) Times real time per core, decoding included: one process extracts 30 s clips one after the
    other - the synthetic corpus's FLAC files (22,050 Hz mono), the real FMA MP3 (44,100 Hz
    stereo, so decoding and resampling weigh more) and the same clip decoded once to a 44,100 Hz
    stereo 16-bit WAV (resampling without MP3 decoding). Seconds of audio / CPU seconds of the
    process (``process_time``: what the process itself computed, not the time spent waiting
    for a core on a shared machine) and / wall seconds. Goal >= 150x.
(b) Speed-up from 1 to 2 processes: ``extract_batch`` (no cache) on the same clips with
    ``n_jobs=1`` and ``n_jobs=2``, the worker pool warmed up first (worker start-up, about a
    second of imports, is reported apart). Wall-clock, so it depends on what else the machine
    runs: the load average is printed before and after. Goal >= 1.8x.
(c) The naive reference: the per-frame Python loop over aubio that a first script would write
    (aubio's own source decoding hop by hop, time-domain ``yin`` pitch, a separate pvoc per
    consumer, Python lists and Python-level summaries), reproduced below, on the same clips.

Each timing is the best of ``--repeat`` interleaved rounds. BLAS is limited to one thread.

Usage::

    .venv/bin/python benchmarks/bench_audio.py [--clips 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import aubio
import soundfile as sf
from record import recording
from threadpoolctl import threadpool_limits

from genrelab import audio, config
from genrelab.audio import batch as extraction
from genrelab.audio.sources import synthetic


# --- the naive reference ----------------------------------------------------------------------
def naive_extract(path: str, samplerate: int = 22050) -> dict:
    """Per-frame Python loop over aubio, as a first script would do it (the reference).

    Decoding by ``aubio.source`` hop by hop, tempo + onset + time-domain ``yin`` pitch + one
    pvoc per spectral consumer each hop, every value appended to a Python list, summaries
    with the ``statistics`` module.
    """
    hop, win = 512, 2048
    src = aubio.source(path, samplerate, hop)
    tempo = aubio.tempo("default", win, hop, samplerate)
    onset = aubio.onset("default", win, hop, samplerate)
    pitch = aubio.pitch("yin", win, hop, samplerate)
    pv_desc, pv_mfcc = aubio.pvoc(win, hop), aubio.pvoc(win, hop)
    descs = {name: aubio.specdesc(name, win) for name in ("centroid", "rolloff", "specflux")}
    mfcc = aubio.mfcc(win, 40, 13, samplerate)
    beats, onsets, pitches, confs, energies = [], [], [], [], []
    values = {name: [] for name in descs}
    coeffs = []
    total = 0
    while True:
        samples, read = src()
        if tempo(samples)[0]:
            beats.append(tempo.get_last_s())
        if onset(samples)[0]:
            onsets.append(onset.get_last_s())
        pitches.append(float(pitch(samples)[0]))
        confs.append(pitch.get_confidence())
        spec = pv_desc(samples)
        for name, d in descs.items():
            values[name].append(float(d(spec)[0]))
        coeffs.append(list(mfcc(pv_mfcc(samples))))
        energies.append(sum(float(s) * float(s) for s in samples[:read]) / max(read, 1))
        total += read
        if read < hop:
            break
    duration = total / samplerate
    ibis = [b - a for a, b in zip(beats, beats[1:])]
    out = {
        "duration": duration,
        "tempo": 60 / statistics.median(ibis) if ibis else 0.0,
        "onset_rate": len(onsets) / duration,
        "loudness": 10 * math.log10(statistics.mean(energies) + 1e-12),
        "pitch_salience": statistics.mean(confs),
    }
    for name, vals in values.items():
        out[f"{name}_mean"], out[f"{name}_std"] = statistics.mean(vals), statistics.pstdev(vals)
    for i in range(13):
        column = [c[i] for c in coeffs]
        out[f"mfcc_mean_{i}"], out[f"mfcc_std_{i}"] = (
            statistics.mean(column),
            statistics.pstdev(column),
        )
    return out


# --- helpers ----------------------------------------------------------------------------------
def timed(fn, repeat: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``repeat`` calls of ``fn``."""
    wall = cpu = math.inf
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return wall, cpu


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=8, help="synthetic clips (30 s each)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per timing (best kept)")
    args = parser.parse_args()
    with recording("bench_audio", "aubio extraction: real-time factors and processes") as rec:
        truth = synthetic.generate_corpus(n_clips=args.clips, seed=42, n_jobs=2)
        flacs = list(truth["path"])
        mp3 = str(config.FMA_CLIP)
        seconds = sum(sf.info(p).duration for p in flacs)
        mp3_seconds = sf.info(mp3).duration
        wav = str(Path(tempfile.mkdtemp()) / "fma_clip.wav")  # 44,100 Hz stereo, decoded once
        decoded, sr = sf.read(mp3, always_2d=True)
        sf.write(wav, decoded, sr, subtype="PCM_16")
        print(
            f"clips: {len(flacs)} synthetic FLAC (22,050 Hz mono) = {seconds:.0f} s of audio; "
            f"FMA MP3 (44,100 Hz stereo) {mp3_seconds:.1f} s; {os.cpu_count()} CPUs; {load()}"
        )

        with threadpool_limits(1):
            audio.extract_features(flacs[0])  # build the aubio objects, warm the caches
            # (a) one process, clips one after the other
            w_f, c_f = timed(lambda: [audio.extract_features(p) for p in flacs], args.repeat)
            w_m, c_m = timed(lambda: [audio.extract_features(mp3) for _ in range(3)], args.repeat)
            w_w, c_w = timed(lambda: [audio.extract_features(wav) for _ in range(3)], args.repeat)
            # (c) the naive reference on the same clips (fewer of them: it is slow)
            n_naive = min(3, len(flacs))
            naive_seconds = sum(sf.info(p).duration for p in flacs[:n_naive])
            w_n, c_n = timed(
                lambda: [naive_extract(p) for p in flacs[:n_naive]], max(1, args.repeat - 1)
            )
            w_nm, c_nm = timed(lambda: naive_extract(mp3), max(1, args.repeat - 1))
        print(
            "\n(a) one process, decoding included            x real time (CPU)   x real time (wall)"
        )
        print(
            f"    genrelab.audio.features, synthetic FLAC 30 s        {seconds / c_f:8.0f}x"
            f"           {seconds / w_f:8.0f}x"
        )
        print(
            f"    genrelab.audio.features, FMA MP3 30 s               "
            f"{3 * mp3_seconds / c_m:8.0f}x           {3 * mp3_seconds / w_m:8.0f}x"
        )
        print(
            f"    genrelab.audio.features, 44.1 kHz stereo WAV 30 s   "
            f"{3 * mp3_seconds / c_w:8.0f}x           {3 * mp3_seconds / w_w:8.0f}x"
        )
        print(
            f"    naive aubio loop (yin), synthetic FLAC     {naive_seconds / c_n:8.1f}x           "
            f"{naive_seconds / w_n:8.1f}x"
        )
        print(
            f"    naive aubio loop (yin), FMA MP3            {mp3_seconds / c_nm:8.1f}x           "
            f"{mp3_seconds / w_nm:8.1f}x"
        )
        print(
            f"    ratio ours / naive (CPU): FLAC {(seconds / c_f) / (naive_seconds / c_n):.1f}x, "
            f"MP3 {(3 * mp3_seconds / c_m) / (mp3_seconds / c_nm):.1f}x"
        )

        # (b) 1 -> 2 processes on the batch API (no cache), pool warmed up first
        t0 = time.perf_counter()
        extraction.extract_batch(
            flacs[:2], n_jobs=2, cache=False, progress=False, min_clips_per_job=0
        )
        startup = time.perf_counter() - t0
        before = load()
        walls = {1: math.inf, 2: math.inf}
        for _ in range(args.repeat):
            for n_jobs in (1, 2):
                t0 = time.perf_counter()
                batch = extraction.extract_batch(
                    flacs, n_jobs=n_jobs, cache=False, progress=False, min_clips_per_job=0
                )
                walls[n_jobs] = min(walls[n_jobs], time.perf_counter() - t0)
                assert len(batch.features) == len(flacs)
        print(
            f"\n(b) extract_batch on {len(flacs)} clips (wall, best of {args.repeat}); "
            f"before: {before}; after: {load()}"
        )
        for n_jobs, wall in walls.items():
            print(f"    n_jobs={n_jobs}: {wall:6.2f} s = {seconds / wall:5.0f}x real time")
        print(
            f"    speed-up 1 -> 2 processes: {walls[1] / walls[2]:.2f}x "
            f"(first parallel call incl. worker start-up: {startup:.2f} s for 2 clips)"
        )
        rec.add(
            "(a) genrelab, synthetic FLAC 30 s, one core",
            seconds / c_f,
            unit="x real time (CPU)",
            goal=">= 150x",
        )
        rec.add(
            "(a) genrelab, 44.1 kHz stereo WAV 30 s, one core",
            3 * mp3_seconds / c_w,
            unit="x real time (CPU)",
            goal=">= 150x",
        )
        rec.add(
            "(a) genrelab, FMA MP3 30 s, one core",
            3 * mp3_seconds / c_m,
            unit="x real time (CPU)",
            goal=">= 150x",
        )
        rec.add(
            "(a) naive aubio loop (yin), synthetic FLAC",
            naive_seconds / c_n,
            unit="x real time (CPU)",
        )
        rec.add("(a) ours / naive, FLAC", (seconds / c_f) / (naive_seconds / c_n), unit="x")
        for n_jobs, wall in walls.items():
            rec.add(
                f"(b) extract_batch, n_jobs={n_jobs}", seconds / wall, unit="x real time (wall)"
            )
        rec.add("(b) speed-up 1 -> 2 processes", walls[1] / walls[2], unit="x", goal=">= 1.8x")
        rec.note(f"{len(flacs)} synthetic 30 s FLAC clips and the FMA MP3; best of {args.repeat}")


if __name__ == "__main__":
    main()
