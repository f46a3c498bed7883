"""The site's generated parts, computed at build time from the repository so they cannot drift.

- ``.. genrelab-parameters::`` -- one table per notebook of ``notebooks/``, read from its
  ``parameters`` cell with papermill's :func:`papermill.inspect_notebook` (name, type, default,
  the comment that documents it), with the values ``params/*.yaml`` give it.
- ``.. genrelab-benchmarks::`` -- the latest measurement of each benchmark, from
  ``benchmarks/results/<name>.json`` (written by ``benchmarks/record.py``), and the benchmarks
  that have none yet.
- ``.. genrelab-study-results::`` -- the run id, commit and results table of the executed
  notebooks in ``docs/study/`` (their ``results.json``), and whether that is the run published in
  ``results/results.json``.
- ``api/generated/<package>.rst`` -- one API page per sub-package of ``genrelab`` (and one for
  its top-level modules), written when the build starts: the package's docstring, then
  ``automodule`` of each of its modules.
"""

from __future__ import annotations

import json
import pkgutil
from pathlib import Path

import papermill
import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
NOTEBOOKS = ROOT / "notebooks"
PARAMS = ROOT / "params"
BENCHMARKS = ROOT / "benchmarks"
STUDY = DOCS / "study"
API_OUT = DOCS / "api" / "generated"


# --- small node builders ------------------------------------------------------------------------


def _cell(value, literal: bool = False) -> nodes.entry:
    text = "" if value is None else str(value)
    inner = nodes.literal(text=text) if literal and text else nodes.Text(text)
    return nodes.entry("", nodes.paragraph("", "", inner))


def table(headers: list[str], rows: list[list], literal_columns: set[int] = frozenset()):
    """A docutils table: a header row and body rows of plain or literal text."""
    group = nodes.tgroup(cols=len(headers))
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    group += nodes.thead("", nodes.row("", *[_cell(h) for h in headers]))
    body = nodes.tbody()
    for row in rows:
        body += nodes.row("", *[_cell(v, i in literal_columns) for i, v in enumerate(row)])
    group += body
    return nodes.table("", group, classes=["genrelab-table"])


def section(directive: SphinxDirective, title: str, *children) -> nodes.section:
    """A section the page's table of contents lists (an id made from its title)."""
    node = nodes.section(ids=[nodes.make_id(title)], names=[nodes.fully_normalize_name(title)])
    node += nodes.title(text=title)
    for child in children:
        node += child
    directive.state.document.note_implicit_target(node, node)
    return node


def para(*parts) -> nodes.paragraph:
    """A paragraph of strings and ``("code", text)`` pairs (shown as literals)."""
    node = nodes.paragraph()
    for part in parts:
        if isinstance(part, tuple):
            node += nodes.literal(text=part[1])
        else:
            node += nodes.Text(part)
    return node


# --- parameters ---------------------------------------------------------------------------------


def _yaml_value(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...")


class ParametersDirective(SphinxDirective):
    """Every notebook's parameters, from its parameters cell, with the params files' values."""

    has_content = False

    def run(self):
        notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        stems = {nb.stem for nb in notebooks}
        files = sorted(PARAMS.glob("*.yaml"))
        for path in [*notebooks, *files]:
            self.env.note_dependency(str(path))
        param_files = {}
        for path in files:
            data = yaml.safe_load(path.read_text()) or {}
            if isinstance(data, dict) and (set(data) & stems or path.stem != "taxonomy"):
                param_files[f"params/{path.name}"] = data
        out = []
        for nb in notebooks:
            declared = papermill.inspect_notebook(str(nb))
            rows = []
            for name, info in declared.items():
                row = [name, info["inferred_type_name"], info["default"]]
                for data in param_files.values():
                    own = data.get(nb.stem) or {}
                    if name in own:
                        row.append(_yaml_value(own[name]))
                    elif name in data and name not in stems:
                        row.append(_yaml_value(data[name]))
                    else:
                        row.append("")
                row.append(info["help"])
                rows.append(row)
            headers = ["parameter", "type", "default (the notebook)", *param_files, "what it does"]
            literal = set(range(len(headers) - 1)) - {1}
            out.append(
                section(
                    self,
                    f"{nb.stem}",
                    para(
                        f"{len(rows)} parameters, read from the parameters cell of ",
                        ("code", f"notebooks/{nb.name}"),
                        ". An empty cell under a parameters file: that file leaves the "
                        "notebook's default.",
                    ),
                    table(headers, rows, literal),
                )
            )
        return out


# --- benchmarks ---------------------------------------------------------------------------------


def _value(row: dict) -> str:
    value = row["value"]
    if isinstance(value, float):
        value = f"{value:.4g}"
    return f"{value} {row.get('unit') or ''}".strip()


def _number_tables(numbers: list[dict]) -> list:
    """A benchmark's numbers as tables: one list of measure, value and goal; or, when every
    measure reads ``[group · ]row · column · quantity`` and none has a goal (a variant per
    soundfont, an extractor per half...), one grid per group and quantity, rows by columns."""
    parts = [row["measure"].split(" · ") for row in numbers]
    if not numbers or any(len(p) < 3 for p in parts) or any(row.get("goal") for row in numbers):
        rows = [[row["measure"], _value(row), row.get("goal", "")] for row in numbers]
        return [table(["measure", "value", "goal"], rows)]
    grids: dict[str, dict] = {}
    for p, row in zip(parts, numbers):
        title = " · ".join([*p[:-3], p[-1]])  # the group (if any) and the quantity
        grids.setdefault(title, {})[(p[-3], p[-2])] = _value(row)
    out = []
    for title, cells in grids.items():
        row_names = list(dict.fromkeys(name for name, _ in cells))
        columns = list(dict.fromkeys(column for _, column in cells))
        rows = [[name, *(cells.get((name, c), "") for c in columns)] for name in row_names]
        out.append(table([title, *columns], rows))
    return out


def _scale_section(directive, path: Path, r: dict):
    """``bench_scale.py``'s own record: one run of the default report per table size."""
    headers = ["run", "tracks", "01", "02", "03", "04", "05", "wall s", "peak RSS MiB"]
    headers += ["results digest", "measured"]
    rows = []
    for name, size in r["sizes"].items():
        rep = size["report"]
        times = [f"{rep['notebooks'].get(nb, float('nan')):.1f}" for nb in NOTEBOOK_STEMS]
        when = f"{size.get('measured_utc', '')[:16]} at {str(size.get('commit', ''))[:10]}"
        row = [name, f"{size['table']['tracks']:,}", *times, f"{rep['wall_seconds']:.0f}"]
        digest = (rep.get("metrics_sha256") or "")[:10] or "-"
        rows.append([*row, f"{rep['peak_rss_mb']:,}", digest, when.replace("T", " ")])
    exponents = r.get("exponents") or {}
    steps = next(iter(exponents.values()), {})
    growth = [
        [step, *(f"{exponents[k].get(step, float('nan')):.2f}" for k in exponents)]
        for step in steps
    ]
    children = [
        para(
            "Each size: the default report on a table built from the snapshot, cold caches; "
            "seconds per notebook, wall time and the peak RSS summed over the report's "
            "processes; two runs with the same results digest (SHA-256 of their metrics.json) "
            "gave the same results, number for number. A tagged run repeats a size with other "
            "settings (unlabelled: no label column; dask: GENRELAB_DASK_SCHEDULER=local:2). "
            "Command: ",
            ("code", "python benchmarks/bench_scale.py --sizes 30k 120k 500k 1.2m"),
            f" ({r['machine'].get('cpu_count')} cores).",
        ),
        table(headers, rows),
    ]
    if growth:
        children += [
            para("Growth exponent of time against the number of tracks, between sizes:"),
            table(["sizes", *exponents], growth),
        ]
    title = f"Scale: the default report on larger tables ({path.stem})"
    return section(directive, title, *children)


NOTEBOOK_STEMS = ("01_collection", "02_eda", "03_classification", "04_gmm_vs_aubio", "05_predictor")


class BenchmarksDirective(SphinxDirective):
    """The latest measurement of each benchmark, from ``benchmarks/results/*.json``."""

    has_content = False

    def run(self):
        results = sorted((BENCHMARKS / "results").glob("*.json"))
        out = []
        measured = set()
        for path in results:
            self.env.note_dependency(str(path))
            r = json.loads(path.read_text())
            if "sizes" in r:  # bench_scale.py writes a record of its own shape
                measured.add("bench_scale.py")
                out.append(_scale_section(self, path, r))
                continue
            script = r["command"].split()[1].removeprefix("benchmarks/")
            measured.add(script)
            m = r["machine"]
            commit = (r.get("commit") or "unknown")[:10]
            dirty = " plus uncommitted changes" if r.get("uncommitted_changes") else ""
            intro = para(
                "Measured ",
                r["date"].replace("T", " "),
                f" at commit {commit}{dirty}, on {m['cores']} cores, load average "
                f"{m['load_before'][0]:.2f} at the start and {m['load_after'][0]:.2f} at the end "
                f"(Python {m['python']}); it took {r['seconds']:.0f} s. Command: ",
                ("code", r["command"]),
            )
            children = [intro, *_number_tables(r["numbers"])]
            if r.get("notes"):
                bullets = nodes.bullet_list()
                for note in r["notes"]:
                    bullets += nodes.list_item("", para(note))
                children.append(bullets)
            out.append(section(self, f"{r['title']} ({r['benchmark']})", *children))
        missing = sorted(p.name for p in BENCHMARKS.glob("bench_*.py") if p.name not in measured)
        if missing:
            items = nodes.bullet_list()
            for name in missing:
                items += nodes.list_item("", para(("code", f"python benchmarks/{name}")))
            out.append(
                section(
                    self,
                    "Not measured yet",
                    para("These benchmarks write their JSON file when run; none is committed yet:"),
                    items,
                )
            )
        return out


# --- the study's results ------------------------------------------------------------------------


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1%}"


class StudyResultsDirective(SphinxDirective):
    """The run id, commit and results of the executed notebooks in ``docs/study/``."""

    has_content = False

    def run(self):
        path = STUDY / "results.json"
        published = ROOT / "results" / "results.json"
        self.env.note_dependency(str(path))
        self.env.note_dependency(str(published))
        r = json.loads(path.read_text())
        commit = r.get("git_commit") or "unknown"
        out = [
            para(
                "The chapters are the executed notebooks of run ",
                ("code", r["run_id"]),
                " at commit ",
                ("code", commit[:10]),
                ", copied with their outputs into ",
                ("code", "docs/study/"),
                " and rendered here without executing anything.",
            )
        ]
        if published.exists():
            p = json.loads(published.read_text())
            if p.get("run_id") != r["run_id"]:
                note = nodes.note()
                note += para(
                    "These notebooks come from run ",
                    ("code", r["run_id"]),
                    "; the numbers and figures published in the repository (",
                    ("code", "results/results.json"),
                    ", ",
                    ("code", "figures/"),
                    ", the README) come from run ",
                    ("code", p.get("run_id", "?")),
                    f" (commit {(p.get('git_commit') or 'unknown')[:10]}). ",
                    ("code", "make figures"),
                    " publishes one run into all of them.",
                )
                out.append(note)
        rows = [[label.strip(), value] for label, value in r["headline"]]
        out.append(table(["headline", "value"], rows))
        rows = []
        for label, c in r["classification"].items():
            ci = c.get("ci95")
            interval = f"{ci[0]:.1%}–{ci[1]:.1%}" if ci and None not in ci else "–"
            f1, loss = c.get("macro_f1"), c.get("log_loss")
            rows.append(
                [
                    label,
                    _pct(c.get("accuracy")),
                    interval,
                    "–" if f1 is None else f"{f1:.3f}",
                    "–" if loss is None else f"{loss:.3f}",
                    _pct(c.get("top2_accuracy")),
                ]
            )
        headers = ["classification (test split)", "accuracy", "95% interval, grouped CV"]
        out.append(table([*headers, "macro-F1", "log loss", "top-2"], rows))
        seconds = r.get("notebook_seconds") or {}
        rows = [[name, f"{s:.1f}"] for name, s in seconds.items() if s is not None]
        if r.get("notebooks_wall_seconds") is not None:
            rows.append(
                [
                    f"wall time, up to {r.get('jobs', 1)} at once",
                    f"{r['notebooks_wall_seconds']:.1f}",
                ]
            )
        out.append(table(["notebook", "seconds"], rows))
        return out


# --- API pages ----------------------------------------------------------------------------------


def _modules(package: str) -> list[str]:
    """The modules of ``package`` (sub-packages recursively), ``__main__`` left out."""
    mod = __import__(package, fromlist=["__path__"])
    names = []
    for info in pkgutil.walk_packages(mod.__path__, prefix=f"{package}."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return sorted(names)


def _heading(text: str, char: str) -> list[str]:
    return [text, char * len(text), ""]


def write_api_pages(app: Sphinx) -> None:
    """``api/generated/<name>.rst``: one page per sub-package and one for the top level."""
    import genrelab

    API_OUT.mkdir(parents=True, exist_ok=True)
    top, packages = [], []
    for info in pkgutil.iter_modules(genrelab.__path__):
        (packages if info.ispkg else top).append(info.name)
    pages = {}
    for name in sorted(packages):
        full = f"genrelab.{name}"
        lines = [*_heading(full, "="), f".. automodule:: {full}", ""]
        for module in _modules(full):
            is_pkg = hasattr(__import__(module, fromlist=["x"]), "__path__")
            lines += [*_heading(module, "-"), f".. automodule:: {module}"]
            lines += [""] if is_pkg else ["   :members:", ""]
        pages[name] = lines
    lines = [*_heading("genrelab (top-level modules)", "="), ".. automodule:: genrelab", ""]
    for name in sorted(top):
        lines += [*_heading(f"genrelab.{name}", "-"), f".. automodule:: genrelab.{name}"]
        lines += ["   :members:", ""]
    pages["core"] = lines
    for old in API_OUT.glob("*.rst"):
        if old.stem not in pages:
            old.unlink()
    for name, lines in pages.items():
        path = API_OUT / f"{name}.rst"
        text = "\n".join(lines)
        if not path.exists() or path.read_text() != text:  # unchanged pages stay up to date
            path.write_text(text)


def skip_generated_members(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_<method>_request`` methods (metadata routing).

    scikit-learn adds them to every estimator subclass; their docstring cites its own glossary.
    They are scikit-learn's API, not genrelab's.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app: Sphinx) -> dict:
    app.connect("autodoc-skip-member", skip_generated_members)
    app.add_directive("genrelab-parameters", ParametersDirective)
    app.add_directive("genrelab-benchmarks", BenchmarksDirective)
    app.add_directive("genrelab-study-results", StudyResultsDirective)
    app.connect("builder-inited", write_api_pages)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
