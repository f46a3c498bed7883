"""``make report``: run every numbered notebook with papermill into ``runs/<run_id>/``.

A run directory holds, after ``make report``::

    NN_name.ipynb        each executed notebook (kept, with its error, if it failed)
    run.json             the run's state: parameters digest, each notebook's status and time
    params.yaml          the parameters each notebook received
    environment.json     python, platform, package versions, git commit
    metrics.json         one object, one key per notebook section (``Run.record``)
    figures/*.png        every figure (``plots.save_fig``)
    *.parquet            the tables notebook 01 writes and later notebooks read
    report.log           the runner's log, with each cell's output
    report.html          index page: status and time per notebook, metrics, figures
    html/NN_name.html    the executed notebooks rendered to HTML

``runs/latest`` is a symlink to the newest run that completed. A run that stopped (a failing
notebook, an interrupted process) is marked incomplete in ``run.json``; running the same
``RUN=`` again with the same parameters resumes at the first notebook not done.

Modules: :mod:`.params` (read and check the parameters), :mod:`.kernels` (the kernels' IPC
manager), :mod:`.execute` (run the notebooks, the run's state), :mod:`.render` (report.html),
:mod:`.publish` (the reference run's figures and headline numbers into the repository).
``python -m genrelab.report`` is the command line::

    python -m genrelab.report --params params/default.yaml --run-id 20261121-1200
    python -m genrelab.report --publish reference     # chosen figures + results/ + README
"""

from genrelab.report.execute import NotebookFailed, NotebookResult, numbered_notebooks, run_report
from genrelab.report.params import ParameterError, check_params, load_params, notebook_parameters
from genrelab.report.publish import publish
from genrelab.report.render import headline_rows, render_html

__all__ = [
    "NotebookFailed",
    "NotebookResult",
    "ParameterError",
    "check_params",
    "headline_rows",
    "load_params",
    "notebook_parameters",
    "numbered_notebooks",
    "publish",
    "render_html",
    "run_report",
]
