"""Sphinx configuration of genrelab's documentation site (``make docs`` -> docs/_build/html).

The study's chapters are the reference run's executed notebooks, committed in ``docs/study/``
by ``make figures`` (:func:`genrelab.report.publish.publish_study`) and rendered without
executing anything (``nb_execution_mode = "off"``). The parameters page, the API pages and the
performance page are generated at build time by ``docs/_ext/genrelab_docs.py`` from the
notebooks' parameters cells, the package and ``benchmarks/results/*.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(DOCS / "_ext"))

import genrelab  # noqa: E402

project = "genrelab"
author = "the genrelab authors"
copyright = "the genrelab authors; code GPL-3.0-or-later"
release = version = getattr(genrelab, "__version__", "0.1.0")

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "genrelab_docs",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "tempo.md"]  # tempo.md: in changelog.md
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# The study: rendered as executed by the reference run, never re-executed here.
nb_execution_mode = "off"
nb_output_stderr = "show"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference
autodoc_default_options = {"show-inheritance": True}  # ``:members:`` per module, not packages
autodoc_inherit_docstrings = False  # genrelab's own docstrings (requests' and sklearn's cite
# labels of their own sites)
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

intersphinx_mapping: dict[str, tuple[str, str | None]] = {}  # offline build: no inventories

html_theme = "pydata_sphinx_theme"
html_title = "genrelab"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path: list[str] = []
html_show_sourcelink = False
