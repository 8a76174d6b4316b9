"""Sphinx configuration of the sklearn-ae documentation.

Build (from the repository root, with the ``docs`` extra installed)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build runs every gallery example (``docs/examples/plot_*.py``); set
``SKLEARN_AE_DOCS_NO_GALLERY=1`` to build the pages without running them.
"""

import os
import re
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for _api.py, next to this file

from _api import write_autosummary_scan  # noqa: E402

import sklearn_ae  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "sklearn-ae"
author = "sklearn-ae developers"
copyright = "sklearn-ae developers"
release = sklearn_ae.__version__
version = release

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",  # docs/benchmarks/*.md, written by the benchmark scripts
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_static",  # served as is; its README.md is no page
    "examples",  # the gallery's sources; sphinx-gallery renders them
    "generated/api_scan.rst",
    # sphinx-gallery's execution-time table, not linked from any page.
    "sg_execution_times.rst",
    "auto_examples/sg_execution_times.rst",
]
templates_path = ["_templates"]
default_role = "literal"

# Every code block without a language is Python.
highlight_language = "python3"

# -- API reference: autosummary over every public name -----------------------
# The list of documented names comes from ``__all__`` of ``sklearn_ae`` and of
# its public modules (see _api.py), so a new estimator or function appears in
# the reference without editing any page. autosummary scans files for its
# directives before parsing, so the names are also written to a scan file.
write_autosummary_scan(HERE / "generated" / "api_scan.rst")
autosummary_generate = ["generated/api_scan.rst"]
autosummary_imported_members = True
autodoc_default_options = {"inherited-members": True, "member-order": "bysource"}
autodoc_typehints = "none"

# numpydoc renders the sections; autosummary's class template lists members.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Gallery ----------------------------------------------------------------
run_gallery = not os.environ.get("SKLEARN_AE_DOCS_NO_GALLERY")
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": "True" if run_gallery else "False",
    "doc_module": ("sklearn_ae",),
    "backreferences_dir": "gen_modules/backreferences",
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "min_reported_time": 0,
    "show_memory": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "write_computation_times": False,  # no sg_execution_times.rst in docs/
}

warnings.filterwarnings("ignore", category=DeprecationWarning, module="skorch")
warnings.filterwarnings(
    "ignore",
    message="Matplotlib is currently using agg",
    category=UserWarning,
)

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ae {release}"
html_static_path = ["_static"]
# Wide tables (the benchmark pages') scroll inside the text column.
html_css_files = ["sklearn_ae.css"]
# MathJax 3 is served with the site (docs/_static/mathjax, see its README),
# not from a CDN: the formulas render offline and from a local build. A path
# relative to _static.
mathjax_path = "mathjax/tex-chtml.js"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {"index": [], "getting_started": []}
html_show_sourcelink = True
html_last_updated_fmt = None


# In reST a word ending in "_" is a link ("n_iter_" links to a target
# "n_iter"), so shapes written with fitted attributes, such as
# "ndarray of shape (n_iter_,)", break the build. Escape such words inside
# "shape (...)" before numpydoc parses the docstring.
_SHAPE = re.compile(r"shape \(([^()]*)\)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*?)_(?=[,)\s]|$)")


def _escape_shape(match):
    inside = _TRAILING_UNDERSCORE.sub(r"\1\\_", match.group(1))
    return f"shape ({inside})"


def escape_fitted_attributes_in_shapes(app, what, name, obj, options, lines):
    lines[:] = [_SHAPE.sub(_escape_shape, line) for line in lines]


def setup(app):
    from _api import setup_directive

    setup_directive(app)
    # Before numpydoc's handler (priority 500).
    app.connect(
        "autodoc-process-docstring", escape_fitted_attributes_in_shapes, priority=400
    )
