"""Logistic chart: the fitted sigmoid over the linear score with the data (left) and each
example's log loss (right)."""

from __future__ import annotations

import numpy as np

from tools.logistic import LogisticResult
from tools.plotting import figure_to_png, house_style, new_figure

_POS = "tab:red"
_NEG = "tab:blue"
_JITTER = 0.035
MAX_POINTS_SHOWN = 3000  # larger data sets are drawn from a fixed random subsample
MAX_CIRCLED = 80  # circle misclassified rows only while that stays readable


def render_logistic(result: LogisticResult) -> bytes:
    z_all = np.asarray(result.logits)
    p_all = np.asarray(result.probabilities)
    y_all = np.asarray(result.labels)
    losses_all = result.example_losses()
    wrong_all = (p_all >= 0.5).astype(int) != y_all
    n_wrong = int(wrong_all.sum())
    share = float(losses_all[wrong_all].sum() / losses_all.sum()) if n_wrong and losses_all.sum() > 0 else 0.0
    rng = np.random.default_rng(0)  # display only (subsample, jitter), fixed so the PNG is reproducible
    shown = np.arange(len(y_all))
    if len(shown) > MAX_POINTS_SHOWN:
        shown = np.sort(rng.choice(len(y_all), MAX_POINTS_SHOWN, replace=False))
    z, y, losses, wrong = z_all[shown], y_all[shown], losses_all[shown], wrong_all[shown]
    circle = bool(wrong.any()) and n_wrong <= MAX_CIRCLED
    rows_note = (f"{len(y_all):,} rows" if len(shown) == len(y_all)
                 else f"{len(shown):,} of {len(y_all):,} rows drawn")
    # points sit at y = 0 / 1, nudged inward so overlapping ones stay visible
    y_plot = y + np.where(y == 1, -1.0, 1.0) * rng.uniform(0.0, _JITTER, len(y))
    csv_style = result.outcome != result.positive_label  # "passed = yes" rather than "malignant"
    pos_label = result.outcome if csv_style else f"{result.outcome} (y = 1)"
    neg_label = f"{result.target} = {result.negative_label}" if csv_style else f"{result.negative_label} (y = 0)"
    with house_style():
        fig = new_figure(12, 5)
        left, right = fig.subplots(1, 2)

        # the x range covers 98 % of the scores; the rare extreme ones are drawn at the edge
        lim = float(np.clip(np.quantile(np.abs(z), 0.98) * 1.15, 4.0, 60.0))
        grid = np.linspace(-lim, lim, 400)
        left.plot(grid, 1 / (1 + np.exp(-grid)), color="black", lw=2, label="fitted σ(score)", zorder=3)
        for cls, color, label in ((1, _POS, pos_label), (0, _NEG, neg_label)):
            m = y == cls
            left.scatter(np.clip(z[m], -lim, lim), y_plot[m], s=14, color=color, alpha=0.55, lw=0, label=label)
        if circle:
            left.scatter(np.clip(z[wrong], -lim, lim), y_plot[wrong], s=60, facecolor="none", edgecolor="black",
                         lw=1.2, label=f"misclassified ({n_wrong})")
        left.axhline(0.5, color="0.5", ls=":", lw=1)
        left.axvline(0.0, color="0.5", ls=":", lw=1)
        left.set_xlim(-lim, lim)
        left.set_ylim(-0.08, 1.08)
        left.set_xlabel("linear score b + β·x  (log odds of y = 1)")
        left.set_ylabel(f"P({result.outcome})")
        left.set_title(f"Sigmoid fit: {result.dataset.replace('_', ' ')} ({rows_note})")
        left.legend(loc="center left", fontsize=9, bbox_to_anchor=(0.0, 0.62))

        floor = max(float(np.quantile(losses, 0.02)) / 3, 1e-12)  # tiny losses are drawn at the bottom edge
        for cls, color, label in ((1, _POS, pos_label), (0, _NEG, neg_label)):
            m = y == cls
            right.scatter(np.clip(z[m], -lim, lim), np.maximum(losses[m], floor), s=14, color=color, alpha=0.6,
                          lw=0, label=label)
        if circle:
            right.scatter(np.clip(z[wrong], -lim, lim), np.maximum(losses[wrong], floor), s=60, facecolor="none",
                          edgecolor="black", lw=1.2, label="misclassified")
        right.axhline(result.log_loss, color="black", ls="--", lw=1.2,
                      label=f"mean = log loss {result.log_loss:.3f}")
        right.axhline(np.log(2), color="0.5", ls=":", lw=1, label="−log 0.5 = 0.693 (a coin flip)")
        right.set_yscale("log")
        right.set_ylim(floor / 1.5, max(float(losses.max()), np.log(2)) * 3)
        right.set_xlim(-lim, lim)
        right.set_xlabel("linear score b + β·x")
        right.set_ylabel("log loss of the example (nats, log scale)")
        right.set_title(f"Log loss per row: the {n_wrong:,} misclassified carry {share:.0%}"
                        if n_wrong else "Per-example log loss (no row misclassified)")
        right.legend(loc="lower center", fontsize=8.5)
        return figure_to_png(fig)
