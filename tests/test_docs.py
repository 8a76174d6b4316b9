"""Checks of the documentation that need neither Sphinx nor a build.

The docs build itself (``python -m sphinx -W --keep-going -b html docs
docs/_build/html``, run by CI after the tests) executes every gallery
example and fails on any warning; these tests check what a build would not:
that the API reference covers every public name with its true defaults,
that every estimator has its user-guide page and that the page advises on
real parameters, and that the gallery scripts are well formed. How long the
examples ran is reported, not tested (a loaded machine would fail a time
budget): ``python docs/gallery_times.py`` after a build.
"""

import ast
import importlib.util
import inspect
import os
import re
from pathlib import Path

import pytest

import sklearn_ae

DOCS = Path(__file__).resolve().parents[1] / "docs"
# Where the HTML build is checked: CI's build folder, or another one.
BUILD = Path(os.environ.get("SKLEARN_AE_DOCS_BUILD", DOCS / "_build" / "html"))
EXAMPLES = sorted((DOCS / "examples").glob("plot_*.py"))
USER_GUIDE = DOCS / "user_guide"


def _docs_api():
    """docs/_api.py, the module that lists the API reference's names."""
    spec = importlib.util.spec_from_file_location("_docs_api", DOCS / "_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _estimators():
    return [
        name
        for name in sklearn_ae.__all__
        if inspect.isclass(getattr(sklearn_ae, name))
    ]


def test_api_reference_lists_every_public_class_and_function():
    api = _docs_api()
    listed = {name for _, entries in api.public_api() for _, name in entries}
    for module in api.public_modules():
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert f"{module.__name__}.{name}" in listed, (
                    f"{module.__name__}.{name} is missing from the API reference"
                )
    text = "\n".join(api.reference_lines())
    for qualified in listed:
        assert re.search(rf"^   {qualified.rpartition('.')[2]}$", text, re.M), (
            f"{qualified} has no row in the API reference's tables"
        )


def test_public_modules_export_every_public_definition():
    # The reference lists __all__; a public function or class left out of
    # __all__ would be missing from it.
    for module in _docs_api().public_modules():
        for name, obj in vars(module).items():
            defined_here = getattr(obj, "__module__", None) == module.__name__
            if (
                defined_here
                and not name.startswith("_")
                and (inspect.isclass(obj) or inspect.isfunction(obj))
            ):
                assert name in module.__all__, (
                    f"{module.__name__}.{name} is public but not in __all__; "
                    "add it to __all__ (it then appears in the API reference) "
                    "or rename it with a leading underscore."
                )


def _title(page):
    """The title of a reST page: the line under its first line of '='."""
    lines = page.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line and set(line) == {"="})
    return lines[first + 1]


@pytest.mark.parametrize("name", _estimators())
def test_every_estimator_has_a_user_guide_page(name):
    pages = [
        page
        for page in USER_GUIDE.glob("*.rst")
        if f":class:`~sklearn_ae.{name}`)" in _title(page)
    ]
    assert len(pages) == 1, (
        f"{name} needs exactly one user-guide page whose title names it, "
        f"found {[p.name for p in pages]}"
    )
    text = pages[0].read_text()
    for section in ("The loss", "The intuition", "Parameters that matter", "Pitfalls"):
        assert f"\n{section}\n" in text, f"{pages[0].name} lacks '{section}'"
    assert ".. math::" in text, f"{pages[0].name} gives no formula"


def _page_of(name):
    (page,) = (
        page
        for page in USER_GUIDE.glob("*.rst")
        if f":class:`~sklearn_ae.{name}`)" in _title(page)
    )
    return page


@pytest.mark.parametrize("name", _estimators())
def test_user_guide_names_only_real_parameters(name):
    # A renamed parameter must not live on in its page's advice.
    text = _page_of(name).read_text()
    section = text.split("\nParameters that matter\n", 1)[1].split("\nPitfalls\n")[0]
    params = getattr(sklearn_ae, name)().get_params()
    named = [
        literal
        for line in section.splitlines()
        if line.startswith("* ``")
        for literal in re.findall(r"``(\w+)``", line.split(":", 1)[0])
    ]
    assert named, f"{_page_of(name).name} names no parameter"
    for literal in named:
        assert literal in params, (
            f"{_page_of(name).name} advises on ``{literal}``, which is not a "
            f"parameter of {name}"
        )


def _default(text):
    """A documented default: a literal, or a dotted name (torch.optim.AdamW)."""
    try:
        return ast.literal_eval(text)
    except ValueError:
        module, _, attribute = text.rpartition(".")
        return getattr(importlib.import_module(module), attribute)


@pytest.mark.parametrize("name", _estimators())
def test_reference_documents_each_parameter_with_its_default(name):
    # The reference is generated from the docstrings; numpydoc reads them as
    # here. Shared parameter text must not show another class's default.
    # numpydoc comes with the docs extra; CI reruns this file after
    # installing it.
    docscrape = pytest.importorskip("numpydoc.docscrape")

    cls = getattr(sklearn_ae, name)
    signature = inspect.signature(cls.__init__).parameters
    documented = {p.name: p.type for p in docscrape.ClassDoc(cls)["Parameters"]}
    assert list(documented) == [n for n in signature if n != "self"], (
        f"{name}'s Parameters section does not list its parameters in order"
    )
    for parameter, kind in documented.items():
        written = re.search(r"default=(.*)$", kind)
        assert written, f"{name}.{parameter} documents no default"
        assert _default(written[1]) == signature[parameter].default, (
            f"{name}.{parameter}: documented default={written[1]}, "
            f"actual {signature[parameter].default!r}"
        )


def test_user_guide_pages_are_in_its_toctree():
    index = (USER_GUIDE / "index.rst").read_text()
    for page in USER_GUIDE.glob("*.rst"):
        if page.stem != "index":
            assert re.search(rf"^   {page.stem}$", index, re.M), (
                f"user_guide/{page.name} is not in user_guide/index.rst"
            )


def test_gallery_exists():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_gallery_example_is_well_formed(path):
    source = path.read_text()
    tree = ast.parse(source, filename=str(path))
    docstring = ast.get_docstring(tree, clean=False)
    assert docstring, f"{path.name} needs a docstring: its title and summary"
    over, title, under = docstring.strip("\n").split("\n")[:3]
    assert set(over) == set(under) == {"="} and len(over) == len(title) == len(under), (
        f"{path.name}: the title must sit between two lines of '=' of its length"
    )
    # Fitted models must be reproducible, and examples must run on a CPU.
    assert "random_state" in source, f"{path.name} sets no random_state"
    assert "cuda" not in source, f"{path.name} must not need a GPU"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_gallery_configuration_comments_sit_in_code_blocks(path):
    # sphinx-gallery reads "# sphinx_gallery_..." settings from code blocks;
    # in a text block (a run of comments after "# %%") it prints them as
    # prose on the page instead.
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if not re.match(r"#\s*sphinx_gallery_\w+\s*=", line):
            continue
        above = number - 1
        while above >= 0 and lines[above].startswith("#"):
            assert not lines[above].startswith(("# %%", "####")), (
                f"{path.name}:{number + 1}: {line!r} is in a text block, so it "
                "shows on the page; move it below a line of code"
            )
            above -= 1


def test_benchmark_pages_are_committed_with_their_figures():
    pages = {p.name: p for p in (DOCS / "benchmarks").glob("*.md")}
    assert {"results.md", "scaling.md", "models.md", "seeds.md"} <= set(pages)
    index = (DOCS / "benchmarks.rst").read_text()
    for name, page in pages.items():
        assert f"benchmarks/{page.stem}" in index
        text = page.read_text()
        assert "Reproduce with `python -m benchmarks" in text, name
        figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
        assert figures, name
        for figure in figures:
            assert (page.parent / figure).is_file(), (name, figure)


def _conf_value(name):
    """A string setting of docs/conf.py, read without running it."""
    tree = ast.parse((DOCS / "conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", None) == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"docs/conf.py sets no {name}")


def test_mathjax_and_css_are_in_the_static_files():
    assert "_static" in _conf_value("html_static_path")
    mathjax = _conf_value("mathjax_path")
    assert not re.match(r"(https?:)?//", mathjax), (
        f"mathjax_path={mathjax!r} loads MathJax from the network; serve it "
        "from docs/_static"
    )
    assert (DOCS / "_static" / mathjax).is_file()
    fonts = DOCS / "_static" / Path(mathjax).parent / "output/chtml/fonts/woff-v2"
    assert any(fonts.glob("*.woff")), f"{fonts} holds no fonts"
    for css in _conf_value("html_css_files"):
        assert (DOCS / "_static" / css).is_file(), css
    assert "overflow-x: auto" in (DOCS / "_static" / "sklearn_ae.css").read_text()


def _built_pages_with_maths():
    if not (BUILD / "index.html").is_file():
        pytest.skip(f"no docs build in {BUILD}")
    pages = [
        page
        for page in BUILD.rglob("*.html")
        if 'class="math' in page.read_text(encoding="utf-8")
    ]
    assert pages, f"no page of the build in {BUILD} has a formula"
    return pages


def test_built_pages_load_mathjax_from_the_site():
    for page in _built_pages_with_maths():
        html = page.read_text(encoding="utf-8")
        sources = [
            src
            for src in re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", html)
            if "mathjax" in src.lower()
        ]
        assert sources, f"{page} has formulas but loads no MathJax"
        for src in sources:
            assert not re.match(r"(https?:)?//", src), (
                f"{page} loads MathJax from {src}, a CDN: the formulas would "
                "not render offline"
            )
            assert (page.parent / src.split("?")[0]).is_file(), (
                f"{page} loads {src}, which is not in the build"
            )


def test_built_pages_load_the_table_css():
    page = BUILD / "benchmarks" / "results.html"
    if not page.is_file():
        pytest.skip(f"no docs build in {BUILD}")
    html = page.read_text(encoding="utf-8")
    (href,) = re.findall(r'<link[^>]*href="([^"]*sklearn_ae\.css[^"]*)"', html)
    assert (page.parent / href.split("?")[0]).is_file()


@pytest.mark.parametrize("name", _estimators())
def test_estimator_docstrings_write_their_formulas_as_maths(name):
    # A formula in ``literal`` markup shows as code, not as maths.
    doc = getattr(sklearn_ae, name).__doc__
    assert ":math:`" in doc or ".. math::" in doc, (
        f"{name}'s docstring has no :math: role or math directive; write its "
        "formula as maths"
    )


@pytest.mark.parametrize("name", _estimators())
def test_built_estimator_pages_render_their_formulas(name):
    page = BUILD / "generated" / f"sklearn_ae.{name}.html"
    if not page.is_file():
        pytest.skip(f"no docs build in {BUILD}")
    html = page.read_text(encoding="utf-8")
    assert 'class="math' in html, f"{page.name} shows no formula as maths"
    assert "mathjax/tex-chtml.js" in html


def test_gallery_times_are_reported_not_asserted(tmp_path, monkeypatch, capsys):
    # An example over its time aim is reported; nothing fails on time.
    spec = importlib.util.spec_from_file_location(
        "gallery_times", DOCS / "gallery_times.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "examples").mkdir()
    (tmp_path / "auto_examples").mkdir()
    (tmp_path / "examples" / "plot_slow.py").write_text("")
    (tmp_path / "auto_examples" / "plot_slow.rst").write_text(
        "**Total running time of the script:** (2 minutes 3.5 seconds)"
    )
    monkeypatch.setattr(module, "DOCS", tmp_path)
    module.main()
    out = capsys.readouterr().out
    assert re.search(r"plot_slow +123\.5 s +\(over the aim\)", out), out
    assert not [
        line
        for line in Path(__file__).read_text().splitlines()
        if line.lstrip().startswith("assert") and "seconds" in line
    ], "a test asserts a running time"
