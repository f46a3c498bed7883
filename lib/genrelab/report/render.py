"""``report.html``: each notebook rendered to HTML, and an index with status, numbers, figures."""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from genrelab import runs
from genrelab.runs import Run
from genrelab.schema import Metric, Section

#: The label of each headline accuracy's interval: of the same quantity, the test accuracy.
TEST_INTERVAL = "[95% interval: bootstrap over the test artists]"
#: The label of the cross-validation estimate, on its own line under a test accuracy.
CV_ESTIMATE = "  grouped CV on the training split, another estimate: mean [95% interval over folds]"

#: metrics.json entries shown first on report.html and in the README (absent ones are skipped):
#: (keys, label). A row shows when its first key is present, its value followed by the others'
#: that are (``0.552 [0.531, 0.573]``).
HEADLINE_METRICS: list[tuple[tuple[str, ...], str]] = [
    ((Metric.TRACKS,), "tracks in the table"),
    (
        (Metric.HONEST_AUDIO_ACCURACY, Metric.HONEST_AUDIO_TEST_CI95),
        f"genre accuracy, audio features, held-out artists {TEST_INTERVAL}",
    ),
    ((Metric.HONEST_AUDIO_CV_MEAN, Metric.HONEST_AUDIO_CI95), CV_ESTIMATE),
    (
        (Metric.HONEST_FULL_ACCURACY, Metric.HONEST_FULL_TEST_CI95),
        f"genre accuracy, audio + year + popularity + text, held-out artists {TEST_INTERVAL}",
    ),
    ((Metric.HONEST_FULL_CV_MEAN, Metric.HONEST_FULL_CI95), CV_ESTIMATE),
    (
        (Metric.HONEST_FULL_2026_ACCURACY, Metric.HONEST_FULL_2026_TEST_CI95),
        "genre accuracy, audio + year + text (what a 2026 app can collect), held-out artists "
        + TEST_INTERVAL,
    ),
    ((Metric.HONEST_FULL_2026_CV_MEAN, Metric.HONEST_FULL_2026_CI95), CV_ESTIMATE),
    (
        (Metric.LEAKY_AUDIO_ACCURACY, Metric.LEAKY_AUDIO_TEST_CI95),
        f"genre accuracy, audio features, the seed's leaky row split {TEST_INTERVAL}",
    ),
    (
        (Metric.MAJORITY_ACCURACY, Metric.MAJORITY_TEST_CI95),
        f"majority-class baseline, held-out artists {TEST_INTERVAL}",
    ),
    ((Metric.GMM_K_BIC,), "mixture components chosen by BIC"),
    ((Metric.GMM_ARI,), "clusters vs genres, adjusted Rand index"),
    ((Metric.GMM_AMI,), "clusters vs genres, adjusted mutual information"),
    ((Metric.AUBIO_TEMPO_ACC1,), "aubio tempo Accuracy1 (within 4%)"),
    ((Metric.AUBIO_TEMPO_ACC2,), "aubio tempo Accuracy2 (octave errors allowed)"),
    ((Metric.AUBIO_KEY_ACC,), "aubio key and mode accuracy"),
    ((Metric.AUBIO_ARI_REF_VS_AUBIO,), "clusters on reference vs aubio features, ARI"),
]


def format_value(value: object) -> str:
    """A metric as text: floats with three decimals, lists element-wise."""
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def headline_rows(metrics: dict) -> list[tuple[str, str]]:
    """(label, formatted value) for each :data:`HEADLINE_METRICS` entry present in ``metrics``."""
    rows = []
    for keys, label in HEADLINE_METRICS:
        values = [runs.lookup(metrics, key) for key in keys]
        if values[0] is not None:
            rows.append((label, " ".join(format_value(v) for v in values if v is not None)))
    return rows


_STYLE = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}
table{border-collapse:collapse}
td,th{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:left}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:1rem}
figure{margin:0}img{width:100%;border:1px solid #eee}figcaption{font-size:.85rem;color:#555}
pre{background:#f6f6f6;padding:1rem;overflow:auto;max-height:30rem}"""


def render_html(run: Run, state: dict) -> Path:
    """Render each executed notebook to ``html/`` and write the index page ``report.html``.

    ``state`` is the run's ``run.json`` (:mod:`genrelab.report.execute`): each notebook's
    status, time and error. Returns the index page's path.
    """
    html_dir = run.path(runs.HTML_DIR)
    html_dir.mkdir(exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    rows = []
    for name, entry in state["notebooks"].items():
        executed = run.path(f"{name}.ipynb")
        if executed.exists():
            body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
            (html_dir / f"{name}.html").write_text(body)
        status = entry["status"]
        if status == "failed":
            status = f"FAILED at {html.escape(entry.get('error', ''))}"
        elif entry.get("ended_early"):
            status = f"ok, ended early: {html.escape(entry['ended_early'])}"
        seconds = f"{entry['seconds']:.1f} s" if entry.get("seconds") is not None else ""
        rows.append(
            f'<tr><td><a href="{runs.HTML_DIR}/{name}.html">{name}</a></td>'
            f"<td>{seconds}</td><td>{status}</td></tr>"
        )
    figures = "".join(
        f'<figure><a href="{runs.FIGURES_DIR}/{p.name}"><img src="{runs.FIGURES_DIR}/{p.name}" '
        f'loading="lazy"></a><figcaption>{p.stem}</figcaption></figure>'
        for p in sorted(run.figures_dir.glob("*.png"))
    )
    metrics = run.metrics()
    headline = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td></tr>"
        for label, value in headline_rows(metrics)
    )
    skipped = metrics.get(Section.SKIPPED, {})
    skipped_html = (
        "<h2>Skipped</h2><table><tr><th>part</th><th>why</th></tr>"
        + "".join(
            f"<tr><td>{html.escape(part)}</td><td>{html.escape(note)}</td></tr>"
            for part, note in sorted(skipped.items())
        )
        + "</table>"
        if skipped
        else ""
    )
    done = "complete" if state.get("complete") else "incomplete"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>genrelab run {run.id}</title>
<style>{_STYLE}</style></head><body>
<h1>genrelab run <code>{run.id}</code> ({done})</h1>
<h2>Notebooks</h2><table><tr><th>notebook</th><th>time</th><th>status</th></tr>{"".join(rows)}</table>
<p>Parameters: <a href="{runs.PARAMS_FILE}">{runs.PARAMS_FILE}</a>
· environment: <a href="{runs.ENVIRONMENT_FILE}">{runs.ENVIRONMENT_FILE}</a>
· log: <a href="{runs.LOG_FILE}">{runs.LOG_FILE}</a></p>
<h2>Headline numbers</h2><table>{headline}</table>
{skipped_html}
<h2>Figures</h2><div class="figs">{figures}</div>
<h2>metrics.json</h2><pre>{html.escape(json.dumps(metrics, indent=2, sort_keys=True))}</pre>
</body></html>"""
    index = run.path(runs.REPORT_HTML)
    index.write_text(page)
    return index
