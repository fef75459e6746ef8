"""PNG for :mod:`tools.tuning`: best-so-far curves and where each strategy sampled."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.colors import BoundaryNorm
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

from tools.plotting import figure_to_png, house_style, new_figure
from tools.tuning import C_RANGE, GAMMA_RANGE, STRATEGIES, STRATEGY_LABELS, TuningResult

COLOURS = {"grid": "#1f77b4", "random": "#ff7f0e", "bayesian": "#2ca02c"}
MARKERS = {"grid": "s", "random": "o", "bayesian": "^"}


def _error_axis(ax, result: TuningResult) -> None:
    lowest = 1.0
    for name in STRATEGIES:
        strat = result.strategies[name]
        scores = np.array([t.score for t in strat.trials])
        trial_no = np.arange(1, len(scores) + 1)
        best_err = 1.0 - strat.best_so_far
        lowest = min(lowest, float(best_err.min()))
        ax.scatter(trial_no, 1.0 - scores, s=16, color=COLOURS[name], alpha=0.35, marker=MARKERS[name],
                   linewidths=0)
        ax.step(trial_no, best_err, where="post", color=COLOURS[name], lw=2.2)
    ax.set_yscale("log")
    ax.set_ylim(max(lowest * 0.6, 1e-3), 1.0)
    ax.yaxis.set_major_locator(FixedLocator([0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1.0]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}" if v >= 0.01 else f"{v:.1%}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(0.5, result.budget + 0.5)
    ax.set_xlabel("trial number")
    ax.set_ylabel("CV error = 1 − accuracy (log scale)")
    ax.set_title("(a) Best CV error so far (lines) and each trial (dots)")


def _space_axis(fig, ax, result: TuningResult) -> None:
    surface = result.surface
    if surface is not None:
        levels = [0.0, 0.3, 0.6, 0.8, 0.9, 0.94, 0.96, 0.97, 1.0]
        cmap = "Greys"
        norm = BoundaryNorm(levels, ncolors=256)
        cf = ax.contourf(surface.C, surface.gamma, np.array(surface.scores), levels=levels, cmap=cmap,
                         norm=norm, alpha=0.45)
        cbar = fig.colorbar(cf, ax=ax, pad=0.01, shrink=0.9)
        cbar.set_label("true CV accuracy (reference map)")
        cbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
        halo = {"fontsize": 9.5, "color": "#444444", "style": "italic", "ha": "center", "va": "center",
                "bbox": {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.6}}
        # Placed between grid rows so they never hide a grid point.
        ax.text(0.1, 6.5e-4, "underfits (too smooth)", zorder=5, **halo)
        ax.text(3.0, 1.46, "overfits (kernel too narrow)", zorder=5, **halo)
    for name in STRATEGIES:
        strat = result.strategies[name]
        cs = [t.C for t in strat.trials]
        gs = [t.gamma for t in strat.trials]
        ax.scatter(cs, gs, s=34, marker=MARKERS[name], facecolor=COLOURS[name], edgecolor="white",
                   linewidths=0.6, alpha=0.9, zorder=3)
        ax.scatter([strat.best_C], [strat.best_gamma], s=260, marker="*", facecolor=COLOURS[name],
                   edgecolor="black", linewidths=1.0, zorder=4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(C_RANGE[0] / 1.4, C_RANGE[1] * 1.4)
    ax.set_ylim(GAMMA_RANGE[0] / 1.4, GAMMA_RANGE[1] * 1.4)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10))
    ax.set_xlabel("C (inverse regularisation strength, log scale)")
    ax.set_ylabel("gamma (RBF kernel, 1/distance², log scale)")
    ax.set_title("(b) Where each strategy sampled")
    ax.grid(False)


def _legend(fig, result: TuningResult) -> None:
    handles = [
        Line2D([], [], color=COLOURS[name], marker=MARKERS[name], lw=2.2, markersize=7,
               label=f"{STRATEGY_LABELS[name]}: best {result.strategies[name].best_score:.2%} "
                     f"in {result.strategies[name].wall_time_s:.1f} s")
        for name in STRATEGIES
    ]
    handles.append(Line2D([], [], ls="none", marker="*", markersize=14, markerfacecolor="white",
                          markeredgecolor="black", label="best trial of each strategy"))
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=10, frameon=False)


def render_tuning(result: TuningResult) -> bytes:
    with house_style():
        fig = new_figure(13, 5.8)
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.15])
        _error_axis(left, result)
        _space_axis(fig, right, result)
        _legend(fig, result)
        fig.suptitle(f"Tuning an RBF SVM on digits: {result.budget} trials per strategy, "
                     f"3-fold CV, seed {result.seed}", fontsize=14)
        return figure_to_png(fig)
