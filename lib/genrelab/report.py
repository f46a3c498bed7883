"""``make report``: run every numbered notebook with papermill into ``runs/<run_id>/``.

A run directory holds, after ``make report``::

    NN_name.ipynb        each executed notebook (kept, with its error, if it failed)
    params.yaml          the parameters each notebook received
    environment.json     python, platform, package versions, git commit
    metrics.json         one object, one key per notebook section (``Run.record``)
    figures/*.png        every figure (``plots.save_fig``)
    *.parquet            the tables notebook 01 writes and later notebooks read
    report.log           the runner's log, with each cell's output
    report.html          index page: status and time per notebook, metrics, figures
    html/NN_name.html    the executed notebooks rendered to HTML

``runs/latest`` is a symlink to the newest run.

Command line::

    python -m genrelab.report --params params/default.yaml --run-id 20261121-1200
    python -m genrelab.report --publish-figures latest     # chosen figures -> figures/
"""

from __future__ import annotations

import argparse
import html
import importlib.metadata as md
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from . import config
from .runs import Run

log = logging.getLogger("genrelab.report")

REPORTED_PACKAGES = [
    "genrelab",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "aubio-ledfx",
    "soundfile",
    "spotipy",
    "papermill",
    "jupyterlab",
    "ipywidgets",
    "voila",
    "skops",
    "pyarrow",
]


#: metrics.json entries shown first on report.html (dotted paths; absent ones are skipped)
HEADLINE_METRICS = [
    ("collection.tracks", "tracks in the table"),
    ("classification.honest.audio.accuracy", "genre accuracy, audio features, held-out artists"),
    ("classification.honest.audio.ci95", "  95% interval over grouped CV folds"),
    (
        "classification.honest.full.accuracy",
        "genre accuracy, audio + year + popularity + text, held-out artists",
    ),
    ("classification.honest.full.ci95", "  95% interval over grouped CV folds"),
    (
        "classification.leaky.audio.accuracy",
        "genre accuracy, audio features, the seed's leaky row split",
    ),
    ("classification.baseline.majority.accuracy", "majority-class baseline"),
    ("gmm.k_bic", "mixture components chosen by BIC"),
    ("gmm.ari_vs_genre", "clusters vs genres, adjusted Rand index"),
    ("gmm.ami_vs_genre", "clusters vs genres, adjusted mutual information"),
    ("aubio.tempo_acc1", "aubio tempo Accuracy1 (within 4%)"),
    ("aubio.tempo_acc2", "aubio tempo Accuracy2 (octave errors allowed)"),
    ("aubio.key_acc", "aubio key and mode accuracy"),
    ("aubio.ari_ref_vs_aubio", "clusters on reference vs aubio features, ARI"),
]


def headline_rows(metrics: dict) -> list[tuple[str, str]]:
    """(label, formatted value) for each :data:`HEADLINE_METRICS` entry present in ``metrics``."""
    rows = []
    for path, label in HEADLINE_METRICS:
        value: object = metrics
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        if isinstance(value, list):
            text = (
                "[" + ", ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in value) + "]"
            )
        elif isinstance(value, float):
            text = f"{value:.3f}"
        else:
            text = str(value)
        rows.append((label, text))
    return rows


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook and the failing cell."""


@dataclass
class NotebookResult:
    name: str
    seconds: float
    ok: bool
    error: str = ""


def numbered_notebooks(notebooks_dir: Path = config.NOTEBOOKS_DIR) -> list[Path]:
    """``NN_name.ipynb`` files in order (checkpoints and unnumbered notebooks are skipped)."""
    return sorted(p for p in notebooks_dir.glob("[0-9][0-9]_*.ipynb"))


def load_params(path: str | Path) -> dict:
    """Read a parameters YAML file (a mapping; sections named after notebooks allowed)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"parameters file {path} not found (see params/ for examples)")
    params = yaml.safe_load(path.read_text()) or {}
    if not isinstance(params, dict):
        raise ValueError(f"{path}: expected a mapping of parameter names to values")
    return params


def notebook_parameters(params: dict, notebook: Path, declared: set[str]) -> dict:
    """The parameters one notebook gets: top-level keys it declares, then its own section."""
    stems = {p.stem for p in numbered_notebooks(notebook.parent)}
    top = {k: v for k, v in params.items() if k not in stems and k in declared}
    own = dict(params.get(notebook.stem) or {})
    unknown = sorted(set(own) - declared)
    if unknown:
        raise ValueError(
            f"{notebook.name} has no parameter(s) {unknown}; it declares {sorted(declared)} "
            f"(`papermill --help-notebook {notebook}` documents them)"
        )
    return {**top, **own}


def environment_info() -> dict:
    """Versions and the git commit: what is needed to say which code made a run."""
    versions = {}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args],
                cwd=config.PROJECT_ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
            return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "packages": versions,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _setup_logging(run: Run) -> logging.Handler:
    handler = logging.FileHandler(run.dir / "report.log", mode="a")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    return handler


def _execute(notebook: Path, output: Path, parameters: dict, progress_bar: bool) -> NotebookResult:
    import papermill as pm  # heavy import, only when running

    start = time.perf_counter()
    try:
        pm.execute_notebook(
            notebook,
            output,
            parameters=parameters,
            cwd=str(notebook.parent),
            progress_bar=progress_bar,
            log_output=True,
            kernel_name="python3",
        )
    except pm.PapermillExecutionError as err:
        where = f"cell {err.cell_index} (execution count {err.exec_count})"
        return NotebookResult(
            notebook.stem, time.perf_counter() - start, False, f"{where}: {err.ename}: {err.evalue}"
        )
    return NotebookResult(notebook.stem, time.perf_counter() - start, True)


def render_html(run: Run, results: list[NotebookResult]) -> Path:
    """Render each executed notebook to ``html/`` and write the index page ``report.html``."""
    import nbformat
    from nbconvert import HTMLExporter

    html_dir = run.dir / "html"
    html_dir.mkdir(exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    rows = []
    for res in results:
        executed = run.dir / f"{res.name}.ipynb"
        if executed.exists():
            body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
            (html_dir / f"{res.name}.html").write_text(body)
        status = "ok" if res.ok else f"FAILED at {html.escape(res.error)}"
        rows.append(
            f'<tr><td><a href="html/{res.name}.html">{res.name}</a></td>'
            f"<td>{res.seconds:.1f} s</td><td>{status}</td></tr>"
        )
    figures = "".join(
        f'<figure><a href="figures/{p.name}"><img src="figures/{p.name}" loading="lazy"></a>'
        f"<figcaption>{p.stem}</figcaption></figure>"
        for p in sorted(run.figures_dir.glob("*.png"))
    )
    metrics = html.escape(json.dumps(run.metrics(), indent=2, sort_keys=True))
    headline = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td></tr>"
        for label, value in headline_rows(run.metrics())
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>genrelab run {run.id}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:left}}
.figs{{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:1rem}}
figure{{margin:0}}img{{width:100%;border:1px solid #eee}}figcaption{{font-size:.85rem;color:#555}}
pre{{background:#f6f6f6;padding:1rem;overflow:auto;max-height:30rem}}</style></head><body>
<h1>genrelab run <code>{run.id}</code></h1>
<h2>Notebooks</h2><table><tr><th>notebook</th><th>time</th><th>status</th></tr>{"".join(rows)}</table>
<p>Parameters: <a href="params.yaml">params.yaml</a> · environment: <a href="environment.json">environment.json</a>
· log: <a href="report.log">report.log</a></p>
<h2>Headline numbers</h2><table>{headline}</table>
<h2>Figures</h2><div class="figs">{figures}</div>
<h2>metrics.json</h2><pre>{metrics}</pre></body></html>"""
    index = run.dir / "report.html"
    index.write_text(page)
    return index


def _point_latest(run: Run) -> None:
    latest = run.dir.parent / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run.dir.name)


def run_report(
    params_path: str | Path,
    run_id: str,
    *,
    notebooks: list[Path] | None = None,
    progress_bar: bool = True,
) -> Run:
    """Run the numbered notebooks in order into ``runs/<run_id>/`` and render the report.

    Raises
    ------
    NotebookFailed
        When a notebook raises: the run stops there, the executed notebook (with its error)
        and report.html are kept, and the message names the notebook and the failing cell.
    """
    params = load_params(params_path)
    notebooks = notebooks if notebooks is not None else numbered_notebooks()
    if not notebooks:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {config.NOTEBOOKS_DIR}")
    import papermill as pm

    plan = []  # check every notebook's parameters before running anything
    for nb in notebooks:
        declared = set(pm.inspect_notebook(str(nb)))
        if "run_id" not in declared:
            raise ValueError(f"{nb.name}: its parameters cell must declare run_id")
        plan.append((nb, {**notebook_parameters(params, nb, declared), "run_id": run_id}))

    run = Run(run_id)
    if any(run.dir.glob("[0-9][0-9]_*.ipynb")):
        raise FileExistsError(f"{run.dir} already holds executed notebooks: choose another RUN=")
    handler = _setup_logging(run)
    try:
        (run.dir / "params.yaml").write_text(
            yaml.safe_dump({nb.stem: p for nb, p in plan}, sort_keys=False)
        )
        (run.dir / "environment.json").write_text(json.dumps(environment_info(), indent=2))
        log.info("run %s: %d notebooks, parameters from %s", run.id, len(plan), params_path)
        results: list[NotebookResult] = []
        total = time.perf_counter()
        for nb, nb_params in plan:
            print(f"[{run.id}] {nb.name} ...", flush=True)
            res = _execute(nb, run.dir / nb.name, nb_params, progress_bar)
            results.append(res)
            line = f"[{run.id}] {nb.name}: {'ok' if res.ok else 'FAILED'} in {res.seconds:.1f} s"
            print(line if res.ok else f"{line}\n    {res.error}", flush=True)
            log.info(line + ("" if res.ok else f" -- {res.error}"))
            if not res.ok:
                break
        render_html(run, results)
        _point_latest(run)
        elapsed = time.perf_counter() - total
        summary = f"[{run.id}] {sum(r.ok for r in results)}/{len(plan)} notebooks in {elapsed:.1f} s -> {run.dir / 'report.html'}"
        print(summary, flush=True)
        log.info(summary)
        failed = [r for r in results if not r.ok]
        if failed:
            raise NotebookFailed(
                f"{failed[0].name}.ipynb failed at {failed[0].error}; the executed notebook with the "
                f"error is {run.dir / (failed[0].name + '.ipynb')}"
            )
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    return run


def publish_figures(run_id: str = "latest") -> list[Path]:
    """Copy a run's chosen figures (``save_fig(..., featured=True)``) into ``figures/``."""
    run = Run(run_id)
    config.FIGURES_DIR.mkdir(exist_ok=True)
    copied = []
    for src in run.featured_figures():
        if src.exists():
            copied.append(Path(shutil.copy2(src, config.FIGURES_DIR / src.name)))
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m genrelab.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--params", default=str(config.PARAMS_DIR / "default.yaml"), help="parameters YAML"
    )
    parser.add_argument(
        "--run-id", default=datetime.now().strftime("%Y%m%d-%H%M%S"), help="run folder name"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bars")
    parser.add_argument(
        "--publish-figures",
        metavar="RUN_ID",
        help="copy RUN_ID's chosen figures to figures/ and stop",
    )
    args = parser.parse_args(argv)
    if args.publish_figures:
        for path in publish_figures(args.publish_figures):
            print(f"figures/{path.name}")
        return 0
    try:
        run_report(args.params, args.run_id, progress_bar=not args.no_progress)
    except (NotebookFailed, FileNotFoundError, FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
