"""The public API of sklearn-ae, read from ``__all__``, for the API reference.

``conf.py`` uses it twice: to write the file autosummary scans to generate
one page per name, and through the ``sklearn-ae-api`` directive that renders
the reference's tables. ``tests/test_docs.py`` checks it covers every public
name. Nothing is listed by hand: a new estimator added to
``sklearn_ae.__all__``, or a new public module with an ``__all__``, appears
in the reference at the next build.
"""

import importlib
import inspect
import pkgutil
from pathlib import Path

import sklearn_ae

# Section title and one-line description of each public module; a module not
# named here still appears, under its own name.
SECTIONS = {
    "sklearn_ae": (
        "Estimators",
        "Every estimator is a scikit-learn transformer: ``fit``, "
        "``transform``, ``inverse_transform`` and ``score`` (a "
        "log-likelihood); the generative ones add ``sample``.",
    ),
    "sklearn_ae.datasets": (
        "Data sets",
        "Loaders of the data sets used by the benchmark and the examples.",
    ),
    "sklearn_ae.metrics": (
        "Metrics",
        "Quality of an embedding (neighbourhoods, classes, a known "
        "coordinate) and of a reconstruction.",
    ),
    "sklearn_ae.priors": (
        "Priors",
        "The distributions the generative models' codes follow; a fitted "
        "model keeps its own as ``prior_`` and draws with ``sample_prior``.",
    ),
    "sklearn_ae.plotting": (
        "Plotting",
        "Figures; matplotlib is imported only when one is drawn.",
    ),
}


def public_modules():
    """``sklearn_ae`` and its public submodules, in a stable order."""
    names = [
        "sklearn_ae",
        *sorted(
            f"sklearn_ae.{info.name}"
            for info in pkgutil.iter_modules(sklearn_ae.__path__)
            if not info.name.startswith("_")
        ),
    ]
    return [importlib.import_module(name) for name in names]


def public_api():
    """``[(module_name, [(kind, qualified_name), ...]), ...]``.

    ``kind`` is ``"class"`` or ``"function"``; constants and ``__version__``
    are not pages of the reference. A public module without ``__all__`` is an
    error: its public names would be a guess.
    """
    api = []
    for module in public_modules():
        if not hasattr(module, "__all__"):
            raise RuntimeError(
                f"{module.__name__} has no __all__; the API reference lists "
                "the names in __all__. Add one."
            )
        entries = []
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                entries.append(("class", f"{module.__name__}.{name}"))
            elif inspect.isfunction(obj):
                entries.append(("function", f"{module.__name__}.{name}"))
        api.append((module.__name__, sorted(entries, key=lambda e: e[1].lower())))
    return api


def autosummary_lines(module_name, entries, toctree):
    """reST lines of one module's autosummary tables (classes, functions)."""
    lines = [f".. currentmodule:: {module_name}", ""]
    for kind in ("class", "function"):
        names = [name.rpartition(".")[2] for k, name in entries if k == kind]
        if not names:
            continue
        lines += [
            ".. autosummary::",
            f"   :toctree: {toctree}",
            f"   :template: {kind}.rst",
            "",
            *(f"   {name}" for name in names),
            "",
        ]
    return lines


def reference_lines():
    """The reST of the reference's sections, one per public module."""
    lines = []
    for module_name, entries in public_api():
        title, description = SECTIONS.get(module_name, (module_name, ""))
        heading = f"{title}: ``{module_name}``"
        lines += [heading, "-" * len(heading), ""]
        if description:
            lines += [description, ""]
        lines += autosummary_lines(module_name, entries, "generated")
    return lines


def write_autosummary_scan(path):
    """Write the file autosummary scans to generate each name's page.

    autosummary resolves ``:toctree:`` relative to the scanned file, so this
    file, in ``generated/``, names ``.`` (its own folder), where the
    reference's tables (``:toctree: generated``, relative to ``api.rst``)
    look for the pages.
    """
    lines = []
    for module_name, entries in public_api():
        lines += autosummary_lines(module_name, entries, ".")
    text = "\n".join([":orphan:", "", *lines])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def setup_directive(app):
    """Register ``.. sklearn-ae-api::``, which inserts the reference tables."""
    from docutils.parsers.rst import Directive
    from docutils.statemachine import StringList

    class PublicAPI(Directive):
        has_content = False

        def run(self):
            source = self.state_machine.input_lines.source(
                self.lineno - self.state_machine.input_offset - 1
            )
            self.state_machine.insert_input(
                StringList(reference_lines(), source=source), source
            )
            return []

    app.add_directive("sklearn-ae-api", PublicAPI)
