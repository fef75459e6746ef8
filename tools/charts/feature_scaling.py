"""Feature-scaling chart: loss contours with the descent path (raw | standardized), and the
excess loss per iteration for raw, min-max and standardized features."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm

from tools.feature_scaling import MAX_ITERATIONS, REL_TOL, SCALING_LABELS, DescentRun, FeatureScalingResult
from tools.plotting import figure_to_png, house_style, new_figure

_GRID = 220
_COLORS = {"raw": "tab:red", "minmax": "tab:orange", "standardized": "tab:blue"}
_INCOME_UNIT = 10_000.0  # raw income slope shown per $10k so the ticks are readable


def render_feature_scaling(result: FeatureScalingResult) -> bytes:
    raw = result.run("raw")
    std = result.run("standardized")
    with house_style():
        fig = new_figure(11, 9.5)
        grid = fig.add_gridspec(2, 2, height_ratios=[1.25, 1])
        ax_raw = fig.add_subplot(grid[0, 0])
        ax_std = fig.add_subplot(grid[0, 1])
        ax_conv = fig.add_subplot(grid[1, :])
        _contour(ax_raw, raw, slope_scale=(1.0, _INCOME_UNIT))
        ax_raw.set_xlabel("age slope (years per year of age)")
        ax_raw.set_ylabel("income slope (years per $10,000)")
        ax_raw.set_title(f"Raw features: κ = {raw.condition_number:.1e}\n"
                         f"{'converged' if raw.converged else 'NOT converged'} after {raw.iterations:,} steps",
                         color="darkred" if not raw.converged else "black")
        _contour(ax_std, std, slope_scale=(1.0, 1.0), equal=True)
        ax_std.set_xlabel("age slope (years per SD of age)")
        ax_std.set_ylabel("income slope (years per SD of income)")
        ax_std.set_title(f"Standardized: κ = {std.condition_number:.2f}\nconverged in {std.iterations} steps")
        _convergence(ax_conv, result)
        return figure_to_png(fig)


def _contour(ax, run: DescentRun, slope_scale: tuple[float, float], equal: bool = False) -> None:
    path = np.asarray(run.path)
    intercept = float(path[-1, 0])  # the slice the path ends in
    s1, s2 = slope_scale
    star = np.asarray(run.optimum_weights)
    # The slice's own minimum over the slopes (equals the optimum when the path's intercept is right).
    a = np.asarray(run.gram)
    c = np.asarray(run.moment)
    slice_min = np.linalg.solve(a[1:, 1:], c[1:] - a[1:, 0] * intercept)
    xs = np.concatenate([path[:, 1], [star[1], slice_min[0]]]) * s1
    ys = np.concatenate([path[:, 2], [star[2], slice_min[1]]]) * s2
    span_x = (xs.max() - xs.min()) or 1.0
    span_y = (ys.max() - ys.min()) or 1.0
    if equal:  # a square window, so round contours look round
        span_x = span_y = max(span_x, span_y)
    cx, cy = (xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2
    g1 = np.linspace(cx - 0.65 * span_x, cx + 0.65 * span_x, _GRID)
    g2 = np.linspace(cy - 0.65 * span_y, cy + 0.65 * span_y, _GRID)
    m1, m2 = np.meshgrid(g1, g2)
    loss = np.maximum(run.mse(np.stack([np.full_like(m1, intercept), m1 / s1, m2 / s2])), 1e-12)
    levels = np.geomspace(loss.min() * 1.02, loss.max(), 14)
    ax.contourf(m1, m2, loss, levels=levels, norm=LogNorm(), cmap="Greys_r", alpha=0.45, extend="both")
    ax.contour(m1, m2, loss, levels=levels, norm=LogNorm(), colors="0.35", linewidths=0.7)
    color = _COLORS[run.scaling]
    ax.plot(path[:, 1] * s1, path[:, 2] * s2, "-o", color=color, ms=3, lw=1.6, label="gradient descent path")
    ax.plot(path[0, 1] * s1, path[0, 2] * s2, "s", color="black", ms=7, label="start (all weights 0)")
    ax.plot(star[1] * s1, star[2] * s2, "*", color="gold", mec="black", ms=17, label="least-squares optimum")
    notes = []
    if not np.allclose(intercept, star[0], rtol=1e-3, atol=1e-3):
        notes.append(f"Contours: loss with the intercept where the\npath left it ({intercept:.2g} years; "
                     f"the optimum\nneeds {star[0]:.1f}).")
    if not run.converged and len(path) > 2:
        moved = abs(path[-1, 1] - path[1, 1]) * s1
        notes.append(f"Step 1 drops into the valley; the next\n{run.iterations - 1:,} steps move the age slope "
                     f"by {moved:.2g}.")
        ax.plot(path[-1, 1] * s1, path[-1, 2] * s2, "o", color=color, ms=8, mec="black")
    if notes:
        ax.text(0.03, 0.97, "\n".join(notes), transform=ax.transAxes, fontsize=9, va="top",
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.7"})
    ax.set_xlim(g1[0], g1[-1])
    ax.set_ylim(g2[0], g2[-1])
    if equal:
        ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="lower center" if notes else "upper right", fontsize=8.5)


def _convergence(ax, result: FeatureScalingResult) -> None:
    for run in result.runs:
        losses = np.asarray(run.losses)
        excess = np.maximum((losses - run.optimum_loss) / run.optimum_loss, 1e-16)
        steps = np.arange(len(losses))
        label = (f"{SCALING_LABELS[run.scaling]}: κ = {run.condition_number:.3g}, lr = {run.lr:.2g}, "
                 + (f"converged in {run.iterations:,}" if run.converged else f"not converged in {run.iterations:,}"))
        ax.plot(np.maximum(steps, 0.8), excess, color=_COLORS[run.scaling], lw=2, label=label)
        if run.converged:
            ax.plot(max(run.iterations, 0.8), excess[-1], "o", color=_COLORS[run.scaling], ms=7)
    ax.axhline(REL_TOL, color="black", ls="--", lw=1)
    ax.text(MAX_ITERATIONS, REL_TOL * 1.6, f"tolerance: {REL_TOL:g} × optimum", fontsize=9, va="bottom",
            ha="right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(0.8, MAX_ITERATIONS * 1.3)
    ax.set_xlabel("iteration (log scale; step 0 drawn at 0.8)")
    ax.set_ylabel("(MSE − optimum) / optimum")
    ax.set_title("Batch gradient descent at learning rate 1/λ_max (half the stability limit 2/λ_max)")
    ax.legend(loc="center right", fontsize=9)
