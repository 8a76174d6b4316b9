"""The package's layout budgets: module sizes and variant sizes.

A variant is a small subclass plus its loss term (STYLE.md, points 7 and 18):
its module holds at most :data:`VARIANT_BUDGET` code lines, and no module
of the package more than :data:`MODULE_BUDGET` lines.
"""

import ast
import io
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sklearn_ae"
VARIANT_BUDGET = 150
MODULE_BUDGET = 600
# The modules of the estimators, the linear autoencoder's included (it lives
# in _autoencoder.py).
VARIANTS = (
    "_autoencoder.py",
    "_denoising.py",
    "_sparse.py",
    "_contractive.py",
    "_vae.py",
    "_cvae.py",
    "_adversarial.py",
    "_stacked.py",
    "_manifold.py",
)


def code_lines(source):
    """Lines of ``source`` holding code, as the variant budget counts them.

    Without blank lines, comments, docstrings (of the module, classes and
    functions) and the whole of every ``__init__`` (its signature and body
    only store parameters).
    """
    tree = ast.parse(source)
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                skipped.update(range(first.lineno, first.end_lineno + 1))
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            skipped.update(range(start, node.end_lineno + 1))
    lines = set()
    layout_tokens = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in layout_tokens:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - skipped)


def test_code_lines_skip_docstrings_comments_and_init():
    source = '''"""Module docstring,
on two lines."""

# A comment.
X = 1  # counted


class A:
    """Class docstring."""

    def __init__(
        self, a=1
    ):
        self.a = a

    def f(self):
        """Method docstring."""
        return (
            self.a
        )
'''
    # X = 1, class A:, def f, and the three lines of the return.
    assert code_lines(source) == 6


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_modules_fit_their_budget(name):
    n = code_lines((PACKAGE / name).read_text())
    assert n <= VARIANT_BUDGET, (
        f"{name} holds {n} code lines (budget {VARIANT_BUDGET}): move shared "
        "code to the shared modules and the variant's math to its loss term."
    )


@pytest.mark.parametrize(
    "name", sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py"))
)
def test_modules_fit_their_budget(name):
    n = len((PACKAGE / name).read_text().splitlines())
    assert n <= MODULE_BUDGET, f"{name} has {n} lines (budget {MODULE_BUDGET})"
