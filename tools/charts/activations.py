"""Activation functions (left) and their autograd derivatives (right), key maxima annotated."""

from __future__ import annotations

import numpy as np

from tools.activations import ActivationsResult
from tools.plotting import figure_to_png, house_style, new_figure

COLOURS = {
    "sigmoid": "#d62728",
    "tanh": "#ff7f0e",
    "relu": "#2ca02c",
    "leaky-relu": "#17becf",
    "gelu": "#9467bd",
}
STYLES = {"leaky-relu": "--", "gelu": "-."}
PLOT_RANGE_X = 5.0  # the grid is wider; ±5 shows the saturated tails without wasting space


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _pow10(x: float) -> str:
    """``9.5e-07`` → ``9.5×10⁻⁷`` (plain text, no mathtext)."""
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def render_activations(result: ActivationsResult) -> bytes:
    x = np.array(result.grid)
    keep = np.abs(x) <= PLOT_RANGE_X + 1e-9
    with house_style():
        fig = new_figure(11, 5)
        ax_f, ax_d = fig.subplots(1, 2)
        for curve in result.curves:
            kw = {"color": COLOURS[curve.name], "linestyle": STYLES.get(curve.name, "-"), "linewidth": 2,
                  "label": curve.label}
            ax_f.plot(x[keep], np.array(curve.values)[keep], **kw)
            ax_d.plot(x[keep], np.array(curve.derivatives)[keep], **kw)

        ax_f.set_title("Activation functions f(x)")
        ax_f.set_xlabel("pre-activation x")
        ax_f.set_ylabel("f(x)")
        ax_f.set_ylim(-1.5, 3.2)
        ax_f.axhline(0, color="#888888", linewidth=0.8)
        ax_f.legend(loc="upper left", fontsize=9.5)

        sig, tanh = result.curve("sigmoid"), result.curve("tanh")
        ax_d.set_title("Their slopes f'(x), by autograd")
        ax_d.set_xlabel("pre-activation x")
        ax_d.set_ylabel("f'(x): the factor backprop multiplies by")
        ax_d.set_ylim(-0.08, 1.32)
        ax_d.axhline(sig.max_derivative, color=COLOURS["sigmoid"], linewidth=0.8, linestyle=":")
        ax_d.plot([sig.argmax_x], [sig.max_derivative], "o", color=COLOURS["sigmoid"], markersize=7)
        ax_d.annotate(f"max σ' = {sig.max_derivative:.3g} (x = {sig.argmax_x:g})\n"
                      f"10 layers: ≤ {sig.max_derivative:.2g}¹⁰\n≈ {_pow10(sig.max_derivative ** 10)}",
                      xy=(sig.argmax_x, sig.max_derivative), xytext=(1.45, 0.29), fontsize=9.5,
                      color=COLOURS["sigmoid"], arrowprops={"arrowstyle": "->", "color": COLOURS["sigmoid"]})
        ax_d.plot([tanh.argmax_x], [tanh.max_derivative], "o", color=COLOURS["tanh"], markersize=7)
        ax_d.annotate(f"max tanh'(x) = {tanh.max_derivative:.3g}", xy=(tanh.argmax_x, tanh.max_derivative),
                      xytext=(-4.9, 1.18), fontsize=9.5, color=COLOURS["tanh"],
                      arrowprops={"arrowstyle": "->", "color": COLOURS["tanh"]})
        ax_d.annotate("ReLU' = 1 for x > 0:\nno shrinking", xy=(3.5, 1.0), xytext=(2.1, 0.62), fontsize=9.5,
                      color=COLOURS["relu"], arrowprops={"arrowstyle": "->", "color": COLOURS["relu"]})
        ax_d.annotate("saturation: slope ≈ 0", xy=(-4.0, 0.02), xytext=(-4.9, 0.14), fontsize=9.5,
                      color="#555555", arrowprops={"arrowstyle": "->", "color": "#555555"})
        fig.suptitle("Why deep sigmoid nets stop learning: the slope of the activation caps the gradient")
        return figure_to_png(fig)
