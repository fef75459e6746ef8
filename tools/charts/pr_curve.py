"""PR curve plus precision/recall vs threshold, with the operating points each use case picks."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullLocator

from tools.plotting import figure_to_png, house_style, new_figure
from tools.pr_curve import PRECISION_TARGET, RECALL_TARGET, PRCurveResult

STYLE = {  # name: (colour, marker, legend label)
    "high-precision": ("#d62728", "s", f"high precision (≥ {PRECISION_TARGET:.0%})"),
    "high-recall": ("#2ca02c", "D", f"high recall (≥ {RECALL_TARGET:.0%})"),
    "default-0.5": ("#7f7f7f", "o", "default threshold 0.5"),
    "best-f1": ("#9467bd", "^", "best F1"),
}
PRECISION_COLOUR = "#1f77b4"
RECALL_COLOUR = "#ff7f0e"


def _p(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def render_pr_curve(result: PRCurveResult) -> bytes:
    precision, recall, thresholds = result.precision, result.recall, result.thresholds
    with house_style():
        fig = new_figure(12, 6.2)
        ax_pr, ax_t = fig.subplots(1, 2)

        # left: the curve itself
        ax_pr.plot(recall, precision, drawstyle="steps-post", color=PRECISION_COLOUR, lw=2,
                   label=f"logistic regression (AP = {result.average_precision:.2f})")
        ax_pr.axhline(result.positive_rate, color="#555555", ls=":", lw=1.5,
                      label=f"random ranking (AP = {result.positive_rate:.2f})")
        for point in result.operating_points:
            colour, marker, label = STYLE[point.name]
            chosen = point.name == result.chosen
            if point.precision is None:
                continue
            ax_pr.scatter(point.recall, point.precision, s=170 if chosen else 70, marker=marker, color=colour,
                          edgecolor="black", linewidth=1.6 if chosen else 0.6, zorder=5,
                          label=f"{label}{'  ← chosen' if chosen else ''}: t = {point.threshold:.3g}, "
                                f"P = {_p(point.precision)}, R = {point.recall:.2f}")
        ax_pr.set_xlim(-0.02, 1.02)
        ax_pr.set_ylim(0, 1.05)
        ax_pr.set_xlabel("Recall (share of actual positives found)")
        ax_pr.set_ylabel("Precision (share of flagged that are positive)")
        ax_pr.set_title("Precision–recall curve (held-out split)")
        handles, labels = ax_pr.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=9.5, frameon=False)

        # right: both metrics against the threshold
        p, r = precision[:-1], recall[:-1]
        log_x = result.point("high-recall").threshold < 0.1
        ax_t.plot(thresholds, p, color=PRECISION_COLOUR, lw=2, label="precision")
        ax_t.plot(thresholds, r, color=RECALL_COLOUR, lw=2, label="recall")
        ax_t.axhline(PRECISION_TARGET, color=STYLE["high-precision"][0], ls=":", lw=1.2,
                     label=f"precision target {PRECISION_TARGET:.0%}")
        ax_t.axhline(RECALL_TARGET, color=STYLE["high-recall"][0], ls=":", lw=1.2,
                     label=f"recall target {RECALL_TARGET:.0%}")
        for name in ("high-precision", "high-recall", "default-0.5"):
            point = result.point(name)
            colour, _, _ = STYLE[name]
            chosen = name == result.chosen
            ax_t.axvline(point.threshold, color=colour, lw=2.6 if chosen else 1.3, ls="-" if chosen else "--")
            tag = {"high-precision": "high precision", "high-recall": "high recall", "default-0.5": "default"}[name]
            right_edge = point.threshold > 0.75
            ax_t.annotate(f"{tag}{' (chosen)' if chosen else ''}\nt = {point.threshold:.3g}",
                          xy=(point.threshold, 0.04 if name != "default-0.5" else 0.2),
                          xytext=(-5 if right_edge else 5, 0), ha="right" if right_edge else "left",
                          textcoords="offset points", fontsize=9, color=colour, fontweight="bold" if chosen else None,
                          bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
        if log_x:  # probabilities crowd near 0 (rare positives) and near 1: logit spreads both ends
            lo = 10 ** np.floor(np.log10(max(result.point("high-recall").threshold, 1e-6))) / 3
            hi_t = min(max(result.point("high-precision").threshold, 0.9), 1 - 1e-6)
            hi = 1 - (1 - hi_t) / 3
            ax_t.set_xscale("logit", nonpositive="clip")
            ax_t.set_xlim(lo, hi)
            ticks = [t for t in (1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999) if lo <= t <= hi]
            ax_t.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax_t.xaxis.set_minor_locator(NullLocator())
            ax_t.set_xlabel("Decision threshold on P(positive) (logit scale)")
        else:
            ax_t.set_xlim(0, 1)
            ax_t.set_xlabel("Decision threshold on P(positive)")
        ax_t.set_ylim(0, 1.05)
        ax_t.set_ylabel("Metric value")
        ax_t.set_title("Raising the threshold trades recall for precision")
        ax_t.legend(loc="best", fontsize=9, framealpha=0.92)

        n_neg = result.n_test - result.n_positive_test
        fig.suptitle(f"{result.title}: which threshold?  ({result.n_test:,} held-out cases, "
                     f"{result.n_positive_test:,} positive / {n_neg:,} negative, seed {result.seed})",
                     fontsize=13, fontweight="bold")
        return figure_to_png(fig)
