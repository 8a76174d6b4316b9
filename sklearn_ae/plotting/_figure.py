"""What every figure of :mod:`sklearn_ae.plotting` shares: matplotlib, one
value per panel, titles that fit their panel.
"""

import re


def _pyplot():
    """``matplotlib.pyplot``, or an ImportError naming the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "sklearn_ae.plotting draws with matplotlib, which is not installed: "
            'pip install "sklearn-ae[plot]".'
        ) from exc
    return plt


def _per_panel(value, n, name, scalar=(str,)):
    """``value`` repeated for n panels, or checked to have one per panel."""
    if value is None or isinstance(value, scalar):
        return [value] * n
    value = list(value)
    if len(value) != n:
        raise ValueError(
            f"{name} has {len(value)} entries for {n} embeddings; pass one per "
            "embedding (or a single value for all)."
        )
    return value


def _fit_title(text, width_inches, fontsize):
    """``text`` broken into lines that fit ``width_inches`` at ``fontsize``.

    Breaks at spaces, hyphens and the capitals of CamelCase names, so that
    "ConditionalVariationalAutoEncoder" reads "ConditionalVariational /
    AutoEncoder" in a narrow panel.
    """
    # An average character of matplotlib's sans-serif is about 0.6 em wide.
    max_chars = max(8, int(width_inches * 72 / (0.62 * fontsize)))
    lines = []
    for line in str(text).split("\n"):
        if len(line) <= max_chars:
            lines.append(line)
            continue
        pieces = re.findall(r"[A-Z]?[^A-Z\s-]*[-\s]?", line)
        current = ""
        for piece in (p for p in pieces if p):
            if current and len(current + piece.rstrip()) > max_chars:
                lines.append(current.rstrip())
                current = ""
            current += piece
        lines.append(current.rstrip())
    return "\n".join(lines)
