"""Shared matplotlib helpers: object-oriented ``Figure`` on Agg, never pyplot state.

A long-running bot must not accumulate pyplot figures, so every renderer builds a
``matplotlib.figure.Figure`` directly and turns it into PNG bytes with :func:`figure_to_png`.
The style is readable at Discord's embed size and works on light and dark themes (opaque
white background, dark text).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from matplotlib.figure import Figure  # noqa: E402

STYLE: dict[str, object] = {
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
}

PNG_DPI = 110


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house style while a renderer builds its axes (rcParams are read at creation)."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(width_in: float = 8.0, height_in: float = 4.5) -> Figure:
    """A fresh figure (no global pyplot state). Build axes inside :func:`house_style`."""
    return Figure(figsize=(width_in, height_in), layout="constrained")


def figure_to_png(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """Render ``fig`` to PNG bytes with the house style."""
    buf = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
