"""Per-layer gradient norms on a log scale (one configuration, or the roadmap comparison)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator

from tools.gradient_flow import BATCH_SIZE, FlowRun, GradientFlowResult
from tools.plotting import figure_to_png, house_style, new_figure

# sigmoid (vanishes) red, tanh+Xavier orange, sigmoid+BN blue, ReLU+Kaiming green; the user's own black.
ROADMAP_COLOURS = ("#d62728", "#ff7f0e", "#1f77b4", "#2ca02c")
USER_COLOUR = "#222222"
SINGLE_COLOUR = "#1f77b4"


def sci(x: float) -> str:
    """``0.013`` → ``0.013``; ``2.2e-16`` → ``2.2×10⁻¹⁶`` (mathtext), readable at embed size."""
    if x == 0:
        return "0"
    if 0.01 <= abs(x) < 1000:
        text = f"{x:.2g}"
        return f"{x:.1f}" if abs(x) < 10 and "." not in text else text
    mantissa, exponent = f"{x:.1e}".split("e")
    return rf"${mantissa}\times10^{{{int(exponent)}}}$"


def _ratio_text(run: FlowRun, per_layer: bool = False) -> str:
    r = run.first_over_last
    if r is None:
        return "first/last = n/a"
    text = f"first/last = {sci(r)}"
    depth = len(run.grad_norms)
    if per_layer and depth > 1 and r > 0:
        text += f"\n≈ ×{r ** (1 / (depth - 1)):.2g} per layer, going back"
    return text


def _plot_run(ax, run: FlowRun, colour: str, label: str, style: str = "-") -> np.ndarray:
    """Plot one run; returns the layers whose gradient is exactly 0 (not placeable on a log axis)."""
    g = np.array(run.grad_norms, dtype=float)
    layers = np.arange(1, g.size + 1)
    marker = "o" if g.size <= 40 else None
    ax.plot(layers, np.where(g > 0, g, np.nan), style, color=colour, marker=marker,
            markersize=4 if g.size <= 20 else 3, linewidth=2, label=label)
    return layers[g == 0]


def _log_limits(runs: tuple[FlowRun, ...]) -> tuple[float, float]:
    positive = [g for r in runs for g in r.grad_norms if g > 0]
    if not positive:
        return 1e-3, 1.0
    lo, hi = math.log10(min(positive)), math.log10(max(positive))
    if hi - lo < 3:  # give flat curves a few decades of context
        mid = (hi + lo) / 2
        lo, hi = mid - 1.5, mid + 1.5
    pad = 0.08 * (hi - lo)
    return 10.0 ** (lo - pad), 10.0 ** (hi + 2 * pad)  # a little more room on top for labels


def render_gradient_flow(result: GradientFlowResult) -> bytes:
    main = result.main
    c = main.config
    runs = result.compare or (main,)
    with house_style():
        legend_rows = math.ceil(len(result.compare) / 2)
        fig = new_figure(9, 5.2 + 0.3 * legend_rows)
        ax = fig.add_subplot()
        zeros: list[tuple[np.ndarray, str]] = []
        if result.compare:
            for i, run in enumerate(result.compare):
                is_extra = i >= len(ROADMAP_COLOURS)
                colour = USER_COLOUR if is_extra else ROADMAP_COLOURS[i]
                label = f"{run.label}  ({_ratio_text(run)})"
                if is_extra:
                    label = f"yours: {label}"
                elif run.config == c:
                    label = f"{label}  ← yours"
                zeros.append((_plot_run(ax, run, colour, label, "--" if is_extra else "-"), colour))
            fig.suptitle(f"Gradient flow in a {c.depth}-layer MLP (width {c.width}): the fixes, side by side")
            fig.legend(loc="outside lower center", ncol=2, fontsize=9.5, frameon=False)
        else:
            zeros.append((_plot_run(ax, main, SINGLE_COLOUR, main.label), SINGLE_COLOUR))
            fig.suptitle(f"Gradient flow: {c.depth}-layer MLP, width {c.width}, {main.label}")
            g = main.grad_norms
            if c.depth == 1 and g[0] > 0:
                ax.annotate(f"layer 1: {sci(g[0])}", xy=(1, g[0]), xytext=(8, -4), textcoords="offset points",
                            va="top", fontsize=10, fontweight="bold")
            elif g[0] > 0 and g[-1] > 0:
                ax.annotate(f"layer 1: {sci(g[0])}", xy=(1, g[0]), xytext=(8, -4), textcoords="offset points",
                            va="top", fontsize=10, fontweight="bold")
                ax.annotate(f"layer {c.depth}: {sci(g[-1])}", xy=(c.depth, g[-1]), xytext=(-6, 10),
                            textcoords="offset points", ha="right", fontsize=10, fontweight="bold")
            ax.text(0.02, 0.96, _ratio_text(main, per_layer=True), transform=ax.transAxes, va="top", fontsize=11,
                    bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#999999"})
        ax.set_yscale("log")
        bottom, top = _log_limits(runs)
        ax.set_ylim(bottom, top)
        if any(z.size for z, _ in zeros):
            for z, colour in (pair for pair in zeros if pair[0].size):
                ax.plot(z, np.full(z.shape, bottom), "x", color=colour, markersize=8, mew=2, clip_on=False)
            ax.text(0.99, 0.02, "× = gradient exactly 0", transform=ax.transAxes, ha="right", fontsize=9,
                    color="#555555")
        ax.set_xlabel("Linear layer  (1 = next to the input … last = output layer)")
        ax.set_ylabel("gradient norm ‖∂loss/∂W‖  (log scale)")
        if c.depth <= 20:
            ax.set_xticks(range(1, c.depth + 1))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0.5, c.depth + 0.5)
        ax.set_title(f"one forward/backward pass: cross-entropy on a random batch of {BATCH_SIZE}, seed {c.seed}",
                     fontsize=9, color="#555555")
        return figure_to_png(fig)
