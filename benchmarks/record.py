"""Each benchmark's latest measurement, written as a small JSON file beside its printout.

A benchmark wraps its work in :func:`recording` and adds the numbers it prints::

    with recording("bench_em", "GaussianMixtureEM against scikit-learn and the seed loop") as rec:
        ...
        rec.add("(a) wall-time ratio, scikit-learn / ours", ratio, goal=">= 3x", unit="x")

On a normal exit ``benchmarks/results/<name>.json`` is replaced (``GENRELAB_BENCH_RESULTS``
names another folder): the benchmark, its command line, when (UTC), the git commit (and whether
the worktree had uncommitted changes), the machine (cores, load average at the start and at the
end) and the numbers, in the order added. A benchmark that fails writes nothing. The
documentation's performance page (``docs/performance.md``) renders the latest file of each.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def results_dir() -> Path:
    """Where the JSON files go: ``GENRELAB_BENCH_RESULTS`` or ``benchmarks/results``."""
    return Path(os.environ.get("GENRELAB_BENCH_RESULTS") or ROOT / "benchmarks" / "results")


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _plain(value):
    """JSON-ready: numpy scalars to Python, floats rounded to 4 significant digits."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return float(f"{value:.4g}")
    return value


class Measurement:
    """The numbers of one benchmark run, in the order they are printed."""

    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.title = title
        self.rows: list[dict] = []
        self.notes: list[str] = []

    def add(self, measure: str, value, *, unit: str = "", goal: str = "") -> None:
        """One printed number: what it measures, its value, its unit and goal (if any)."""
        self.rows.append({"measure": measure, "value": _plain(value), "unit": unit, "goal": goal})

    def note(self, text: str) -> None:
        """A sentence shown under the numbers (what was compared, what was checked)."""
        self.notes.append(text)


@contextmanager
def recording(name: str, title: str) -> Iterator[Measurement]:
    """Collect a benchmark's numbers; write ``<results>/<name>.json`` if the block succeeds."""
    started = datetime.now(UTC)
    load_before = _load()
    measurement = Measurement(name, title)
    yield measurement
    record = {
        "benchmark": name,
        "title": title,
        "command": " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]]),
        "date": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "machine": {
            "cores": os.cpu_count(),
            "load_before": load_before,
            "load_after": _load(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
        "numbers": measurement.rows,
        "notes": measurement.notes,
    }
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"(measurement written to {path})", file=sys.stderr)
