"""Focal loss chart: loss vs p_t per gamma (left) and the BCE-vs-focal experiment (right)."""

from __future__ import annotations

import numpy as np

from tools.focal_loss import EASY_P_T, FocalLossResult
from tools.plotting import figure_to_png, house_style, new_figure

_OTHER_COLORS = ("tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan",
                 "tab:gray")
_Y_MAX = 5.0  # as in Lin et al.'s figure: the interesting part is below 5 nats


def render_focal_loss(result: FocalLossResult) -> bytes:
    with house_style():
        fig = new_figure(12, 5)
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        _curves(left, result)
        _experiment(right, result)
        return figure_to_png(fig)


def _curves(ax, result: FocalLossResult) -> None:
    grid = np.asarray(result.grid)
    others = iter(_OTHER_COLORS)
    if result.alpha is not None:  # the alpha-weighted curves no longer include plain BCE: draw it
        ax.plot(grid, -np.log(grid), ls="--", color="0.45", lw=1.4, label="BCE (no α)")
    for curve in result.curves:
        highlight = curve.gamma == result.highlight_gamma and curve.gamma != 0
        label = "γ = 0 (BCE)" if curve.gamma == 0 and result.alpha is None else f"γ = {curve.gamma:g}"
        if highlight:
            label += "  (table, experiment)"
        color = "tab:red" if highlight else "tab:blue" if curve.gamma == 0 else next(others)
        ax.plot(grid, curve.values, lw=3.0 if highlight else 1.6, label=label, color=color,
                zorder=3 if highlight else 2)
    ax.axvspan(EASY_P_T, 1.0, color="tab:green", alpha=0.10, lw=0)
    ax.text(EASY_P_T + 0.005, _Y_MAX * 0.96, f"easy\np_t > {EASY_P_T:g}", va="top", ha="left", fontsize=9,
            color="darkgreen")
    row = next(r for r in result.table if r.p_t == EASY_P_T)
    ratio = row.bce / row.focal if row.focal > 0 else float("inf")
    ax.annotate(f"at p_t = {EASY_P_T:g}:\nBCE {row.bce:.3f}\nγ = {result.highlight_gamma:g}: {row.focal:.3g}"
                f"\n({ratio:,.0f}× smaller)",
                xy=(EASY_P_T, row.bce), xytext=(0.56, 1.25), fontsize=10,
                arrowprops={"arrowstyle": "->", "color": "0.3"},
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.7"})
    ax.set_xlim(0, 1)
    ax.set_ylim(0, _Y_MAX)
    ax.set_xlabel("p_t: probability the model gives the true class")
    ax.set_ylabel("loss (nats)")
    title = r"Focal loss $-(1-p_t)^{\gamma}\,\log p_t$"
    if result.alpha is not None:
        title = rf"Focal loss $-\alpha(1-p_t)^{{\gamma}}\,\log p_t$ (positive, α = {result.alpha:g})"
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=9, bbox_to_anchor=(0.89, 1.0))


def _experiment(ax, result: FocalLossResult) -> None:
    exp = result.experiment
    bce_run, focal_run = exp.runs
    metrics = [
        ("easy examples\n(share of training set)", "easy_fraction"),
        ("easy examples'\nshare of the loss", "easy_loss_share"),
        ("minority recall\n(test, threshold 0.5)", "recall"),
        ("minority precision\n(test, threshold 0.5)", "precision"),
    ]
    y = np.arange(len(metrics))[::-1].astype(float)
    height = 0.38
    focal_label = f"focal γ = {focal_run.gamma:g}" + ("" if exp.alpha is None else f", α = {exp.alpha:g}")
    for offset, run, label, color in ((height / 2, bce_run, "BCE", "tab:blue"),
                                      (-height / 2, focal_run, focal_label, "tab:red")):
        values = [getattr(run, attr) for _, attr in metrics]
        bars = ax.barh(y + offset, values, height=height, label=label, color=color, alpha=0.85)
        for bar, value in zip(bars, values):
            ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2,
                    f"{value:.1%}" if value < 0.1 else f"{value:.0%}", va="center", fontsize=9)
    ax.set_yticks(y, [m for m, _ in metrics], fontsize=10)
    ax.set_xlim(0, 1.12)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.grid(axis="y", visible=False)
    ax.set_title(f"Same MLP, {exp.positive_rate:.0%} positives ({exp.n_train:,} train / {exp.n_test:,} test)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, fontsize=9, frameon=False)
