"""The reference run into the repository: its chosen figures, its headline numbers, the README.

``make figures`` publishes a complete run: the figures its notebooks marked as chosen go to
``figures/`` (exactly those), its headline numbers and notebook times to
``results/results.json``, and the README's results block (between the two
``<!-- results -->`` markers) is written from that file, so no number in it is typed by hand.
``tests/test_readme.py`` checks that the block, the results file and ``figures/`` agree.

It also copies the run's executed notebooks, outputs included, into ``docs/study/`` with the
same results file beside them (:func:`publish_study`): the documentation site renders them as
the study's chapters without executing anything, so the site shows exactly the published
numbers and figures, on a clean clone too (``runs/`` is not in git).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from genrelab import config, runs
from genrelab.report.execute import read_state
from genrelab.report.render import format_value, headline_rows
from genrelab.runs import Run

RESULTS_FILE = "results.json"
#: Where :func:`publish_study` copies the reference run's executed notebooks (committed).
STUDY_DIR = config.PROJECT_ROOT / "docs" / "study"
BEGIN = "<!-- results: written by `make figures` from results/results.json; do not edit -->"
END = "<!-- /results -->"

#: Rows of the README's classification table: (label, dotted key of the result in metrics.json).
CLASSIFICATION_ROWS = [
    ("honest · audio features", "classification.honest.audio"),
    ("honest · audio + year + popularity + stacked text model", "classification.honest.full"),
    (
        "honest · audio + year + stacked text model (no popularity: a 2026 app)",
        "classification.honest.full_2026",
    ),
    ("leaky · audio, the seed's stratified row split", "classification.leaky.audio"),
    ("baseline · random guess", "classification.baseline.random"),
    ("baseline · majority class", "classification.baseline.majority"),
    ("baseline · stratified random", "classification.baseline.stratified"),
]


def results_of(run: Run, state: dict) -> dict:
    """The small results file of a run: headline numbers, classification rows, notebook times."""
    metrics = run.metrics()
    environment = json.loads(run.path(runs.ENVIRONMENT_FILE).read_text())
    classification = {}
    for label, key in CLASSIFICATION_ROWS:
        result = runs.lookup(metrics, key)
        if result:
            classification[label] = {
                k: result.get(k)
                for k in (
                    "accuracy",
                    "test_ci95",
                    "cv_mean",
                    "ci95",
                    "macro_f1",
                    "log_loss",
                    "top2_accuracy",
                )
            }
    return {
        "run_id": run.id,
        "git_commit": environment.get("git_commit"),
        "headline": [list(row) for row in headline_rows(metrics)],
        "classification": classification,
        "notebook_seconds": {n: e.get("seconds") for n, e in state["notebooks"].items()},
        "notebooks_wall_seconds": state.get("notebooks_wall_seconds"),
        "jobs": state.get("jobs", 1),
        "figures": [p.name for p in run.featured_figures()],
    }


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def _interval(ci) -> str:
    return f"{ci[0]:.1%}–{ci[1]:.1%}" if ci and None not in ci else "–"


def _cv(result: dict) -> str:
    """The grouped CV estimate of a result: ``mean [low–high]``, or what of it there is."""
    mean, ci = result.get("cv_mean"), result.get("ci95")
    if ci and None not in ci:
        return f"[{_interval(ci)}]" if mean is None else f"{mean:.1%} [{_interval(ci)}]"
    return _pct(mean)


def readme_block(results: dict) -> str:
    """The README's results section, as Markdown, from :func:`results_of`'s dict."""
    commit = (results.get("git_commit") or "unknown")[:10]
    lines = [
        BEGIN,
        f"Run `{results['run_id']}` (commit `{commit}`); every number is in its `metrics.json`.",
        "",
        "| headline | value |",
        "|---|---|",
        *[f"| {label.strip()} | {value} |" for label, value in results["headline"]],
        "",
        "| classification | accuracy, test split | its 95% interval (bootstrap over test "
        "artists) | macro-F1 | log loss | top-2 | grouped CV on the training split, another "
        "estimate: mean [95% interval over folds] |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in results["classification"].items():
        loss = "–" if r.get("log_loss") is None else format_value(r["log_loss"])
        f1 = "–" if r.get("macro_f1") is None else format_value(r["macro_f1"])
        lines.append(
            f"| {label} | {_pct(r.get('accuracy'))} | {_interval(r.get('test_ci95'))} | {f1} | "
            f"{loss} | {_pct(r.get('top2_accuracy'))} | {_cv(r)} |"
        )
    seconds = results["notebook_seconds"]
    total = sum(s for s in seconds.values() if s is not None)
    lines += [
        "",
        "| notebook | seconds |",
        "|---|---|",
        *[f"| {name} | {s:.1f} |" for name, s in seconds.items() if s is not None],
        f"| all notebooks, one after the other | {total:.1f} |",
    ]
    if results.get("notebooks_wall_seconds") is not None:
        lines.append(
            f"| wall time, up to {results.get('jobs', 1)} at once | "
            f"{results['notebooks_wall_seconds']:.1f} |"
        )
    lines.append(END)
    return "\n".join(lines)


def write_readme_block(block: str, readme: Path = config.README) -> None:
    """Replace the README's results block (between the markers) with ``block``."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme}: no results block (the markers {BEGIN!r} and {END!r})")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    readme.write_text(head + block + tail)


def _complete_run(run_id: str) -> tuple[Run, dict]:
    run = Run(run_id, create=False)
    state = read_state(run)
    if not (state and state.get("complete")):
        raise ValueError(
            f"run {run.id!r} did not complete (see {run.path(runs.REPORT_HTML)}): its figures may "
            "be partial, so nothing is published"
        )
    return run, state


def _copy_titled(src: Path, dst: Path) -> Path:
    """Copy an executed notebook; add a title cell if it does not open with a heading."""
    notebook = json.loads(src.read_text())
    first = next((c for c in notebook["cells"] if c["cell_type"] == "markdown"), None)
    if first is None or not "".join(first["source"]).lstrip().startswith("# "):
        number, _, name = src.stem.partition("_")
        title = {
            "cell_type": "markdown",
            "id": "genrelab-docs-title",
            "metadata": {"tags": ["genrelab-docs-title"]},
            "source": [f"# {number} · {name.replace('_', ' ')}"],
        }
        notebook["cells"].insert(0, title)
        dst.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    else:
        shutil.copy2(src, dst)
    return dst


def publish_study(run_id: str = runs.LATEST, dest: Path = STUDY_DIR) -> list[Path]:
    """Copy a complete run's executed notebooks and its results file into ``dest``.

    ``dest`` (``docs/study/``) then holds ``NN_name.ipynb`` as the run executed them (outputs,
    figures and the injected parameters included; a notebook that opens without a ``#`` heading,
    as notebook 05 does for its Voilà page, gets one from its name, the chapter's title) and
    ``results.json``
    (:func:`results_of`: the run id, its commit and headline numbers). Notebooks of an earlier
    copy that the run lacks are removed. Returns the files written.

    Parameters
    ----------
    run_id : str
        A run under ``runs/`` (default: ``latest``).
    dest : pathlib.Path
        The folder the documentation site renders as the study.
    """
    run, state = _complete_run(run_id)
    dest.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(run.dir.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"run {run.id!r} holds no executed notebooks")
    for old in dest.glob("[0-9][0-9]_*.ipynb"):
        if old.name not in {p.name for p in notebooks}:
            old.unlink()
    written = [_copy_titled(src, dest / src.name) for src in notebooks]
    path = dest / RESULTS_FILE
    path.write_text(json.dumps(results_of(run, state), indent=2, ensure_ascii=False) + "\n")
    return [*written, path]


def publish(run_id: str = runs.LATEST) -> list[Path]:
    """Publish a complete run: chosen figures to ``figures/``, ``results/``, the README block.

    Also copies its executed notebooks into ``docs/study/`` (:func:`publish_study`).

    Returns the files written. Raises ``FileNotFoundError`` for a run that does not exist and
    ``ValueError`` for one that did not complete (its figures may be partial).
    """
    run, state = _complete_run(run_id)
    figures = run.featured_figures()
    missing = [p.name for p in figures if not p.exists()]
    if missing:
        raise FileNotFoundError(f"run {run.id!r} lacks its chosen figures {missing}")
    config.FIGURES_DIR.mkdir(exist_ok=True)
    for old in config.FIGURES_DIR.glob("*.png"):
        if old.name not in {p.name for p in figures}:
            old.unlink()
    written = [Path(shutil.copy2(src, config.FIGURES_DIR / src.name)) for src in figures]
    results = results_of(run, state)
    config.RESULTS_DIR.mkdir(exist_ok=True)
    path = config.RESULTS_DIR / RESULTS_FILE
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    write_readme_block(readme_block(results))
    study = publish_study(run.id)
    return [*written, path, config.README, *study]
