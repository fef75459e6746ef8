"""Batch-norm demo: (a) loss curves with and without BN, (b) per-layer pre-activation mean/std."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from tools.batchnorm_demo import ACTIVATION, HIDDEN_LAYERS, BatchNormResult, TrainingRun
from tools.plotting import figure_to_png, house_style, new_figure

PLAIN_COLOUR = "#d62728"
BN_COLOUR = "#1f77b4"
SMOOTHING_STEPS = 20  # exponential moving average span for the loss curves


def _smooth(values: np.ndarray, span: int = SMOOTHING_STEPS) -> np.ndarray:
    alpha = 2.0 / (span + 1)
    out = np.empty_like(values)
    acc = values[0]
    for i, v in enumerate(values):
        acc = alpha * v + (1 - alpha) * acc
        out[i] = acc
    return out


def _factor(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.0f}"


def _loss_label(run: TrainingRun, name: str) -> str:
    return f"{name}: final train loss {run.final_loss:.3g} (★), test accuracy {run.accuracy:.1%}"


def render_batchnorm_demo(result: BatchNormResult) -> bytes:
    """(a) The headline PNG: loss curves with and without BatchNorm."""
    with house_style():
        fig = new_figure(9, 5)
        ax = fig.add_subplot()
        steps = np.arange(1, result.steps + 1)
        for run, colour, name in ((result.without_bn, PLAIN_COLOUR, "without BatchNorm"),
                                  (result.with_bn, BN_COLOUR, "with BatchNorm")):
            losses = np.array(run.step_losses)
            ax.plot(steps, losses, color=colour, alpha=0.25, linewidth=1)
            smooth = _smooth(losses)
            ax.plot(steps, smooth, color=colour, linewidth=2.5, label=_loss_label(run, name))
            ax.plot([steps[-1]], [run.final_loss], marker="*", markersize=14, color=colour, markeredgecolor="white",
                    linestyle="none")
        ax.set_yscale("log")
        ax.set_xlim(0, result.steps * 1.07)
        ax.set_xlabel("training step (mini-batch of 64)")
        ax.set_ylabel("cross-entropy loss (log scale)")
        ax.set_title(f"{HIDDEN_LAYERS}-layer {ACTIVATION} MLP on sklearn digits: same init, same SGD, ± BatchNorm")
        ax.legend(loc="lower left", fontsize=10, title_fontsize=9,
                  title="faint: per-batch loss · bold: moving average · ★: whole training split after training")
        return figure_to_png(fig)


def render_batchnorm_layer_stats(result: BatchNormResult) -> bytes:
    """(b) Per-layer pre-activation mean and std over the training steps, both models."""
    runs = ((result.without_bn, "without BatchNorm"), (result.with_bn, "with BatchNorm"))
    steps = np.arange(1, result.steps + 1)
    cmap = colormaps["viridis"]
    with house_style():
        fig = new_figure(11, 7.2)
        axes = fig.subplots(2, 2, sharex=True, sharey="row")
        for col, (run, name) in enumerate(runs):
            mean, std = np.array(run.pre_mean), np.array(run.pre_std)
            layers = mean.shape[1]
            for i in range(layers):
                colour = cmap(i / max(1, layers - 1) * 0.9)
                axes[0, col].plot(steps, mean[:, i], color=colour, linewidth=1.5, label=f"layer {i + 1}")
                axes[1, col].plot(steps, std[:, i], color=colour, linewidth=1.5)
            axes[0, col].set_title(f"{name}: mean of z", color=PLAIN_COLOUR if col == 0 else BN_COLOUR)
            axes[1, col].set_title(f"{name}: std of z  (drift up to ×{_factor(run.std_drift)})",
                                   color=PLAIN_COLOUR if col == 0 else BN_COLOUR)
            axes[1, col].set_xlabel("training step")
        axes[0, 0].set_ylabel("mean over batch × units")
        axes[1, 0].set_ylabel("std over batch × units (log scale)")
        axes[1, 0].set_yscale("log")
        plain = result.without_bn.layers
        deep = plain[-1]
        axes[1, 0].text(0.03, 0.96, f"layer {deep.layer}: std {deep.std_start:.2f} at step 1 → {deep.std_end:.2f} "
                        f"at step {result.steps}", transform=axes[1, 0].transAxes, va="top", fontsize=10,
                        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#999999"})
        axes[1, 1].annotate("BN keeps every layer at std ≈ 1", xy=(result.steps * 0.5, 1.0), xytext=(0.2, 0.3),
                            textcoords="axes fraction", fontsize=10,
                            arrowprops={"arrowstyle": "->", "color": "#333333"})
        fig.suptitle(f"Internal covariate shift: pre-activations z (the input to {ACTIVATION}) of each hidden layer, "
                     f"step by step")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=HIDDEN_LAYERS, fontsize=9.5, frameon=False,
                   title="layer 1 = next to the input", title_fontsize=9)
        return figure_to_png(fig)
