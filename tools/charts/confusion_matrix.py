"""Confusion-matrix heatmaps: raw counts and row-normalized rates (each row sums to 100%)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm, Normalize
from matplotlib.patches import Rectangle

from tools.confusion_matrix import ConfusionMatrixResult
from tools.plotting import figure_to_png, house_style, new_figure

MAX_ANNOTATED_CLASSES = 12  # beyond this, numbers in cells become unreadable at embed size
MAX_TICK_LABEL_CHARS = 12


def _short(label: str) -> str:
    """Middle ellipsis keeps both ends: long names often differ only at the end ("class name 7")."""
    if len(label) <= MAX_TICK_LABEL_CHARS:
        return label
    head = (MAX_TICK_LABEL_CHARS - 1) // 2
    return label[:head] + "…" + label[-(MAX_TICK_LABEL_CHARS - 1 - head):]


def _compact(n: int) -> str:
    if n >= 10_000_000:
        return f"{n / 1e6:.0f}M"
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    if n >= 100_000:
        return f"{n / 1e3:.0f}k"
    return f"{n:,}"


def _rate(r: float, n: int) -> str:
    if r in (0.0, 1.0):
        return f"{r:.0%}"
    return f"{r:.1%}" if n <= 5 or r < 0.1 else f"{r:.0%}"


def _ticks(ax, labels: tuple[str, ...]) -> None:
    n = len(labels)
    step = 1 if n <= 25 else 2
    pos = np.arange(0, n, step)
    size = 11 if n <= 6 else 9 if n <= 15 else 7
    crowded = len(pos) * max(len(_short(x)) for x in labels) > 36
    ax.set_xticks(pos, [_short(labels[i]) for i in pos], fontsize=size,
                  rotation=45 if crowded else 0, ha="right" if crowded else "center")
    ax.set_yticks(pos, [_short(labels[i]) for i in pos], fontsize=size)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("Actual class")
    ax.grid(False)


def render_confusion_matrix(result: ConfusionMatrixResult) -> bytes:
    cm = np.asarray(result.matrix, dtype=np.float64)
    n = cm.shape[0]
    support = cm.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(support > 0, cm / np.where(support > 0, support, 1), np.nan)
    annotate = n <= MAX_ANNOTATED_CLASSES
    font = 12 if n <= 4 else 10 if n <= 8 else 8
    labels = result.labels

    with house_style():
        fig = new_figure(11, 5.2)
        ax_c, ax_r = fig.subplots(1, 2)

        # counts: log colour scale when counts span decades, so small cells are still visible
        positive_cells = cm[cm > 0]
        span = positive_cells.max() / positive_cells.min() if positive_cells.size else 1
        norm = LogNorm(vmin=max(positive_cells.min(), 1), vmax=positive_cells.max()) if span >= 100 else \
            Normalize(vmin=0, vmax=cm.max())
        shown = np.where(cm > 0, cm, np.nan) if span >= 100 else cm
        im = ax_c.imshow(shown, cmap="Blues", norm=norm, aspect="equal")
        ax_c.set_facecolor("#f4f4f4")
        cb = fig.colorbar(im, ax=ax_c, shrink=0.8)
        cb.set_label("samples" + (" (log scale)" if span >= 100 else ""))
        ax_c.set_title(f"Counts (n = {result.total:,})")
        _ticks(ax_c, labels)

        im_r = ax_r.imshow(np.ma.masked_invalid(rates), cmap="Greens", vmin=0, vmax=1, aspect="equal")
        ax_r.set_facecolor("#dddddd")
        cb_r = fig.colorbar(im_r, ax=ax_r, shrink=0.8, format=lambda x, _: f"{x:.0%}")
        cb_r.set_label("share of the actual class")
        ax_r.set_title("Row-normalized (diagonal = recall)")
        _ticks(ax_r, labels)

        if annotate:
            binary_tags = {}
            if result.positive is not None and n == 2:
                p = result.positive
                q = 1 - p
                binary_tags = {(p, p): "TP", (q, p): "FP", (p, q): "FN", (q, q): "TN"}
            for i in range(n):
                for j in range(n):
                    v = cm[i, j]
                    frac = norm(v) if v > 0 else 0.0
                    colour = "white" if np.ma.filled(frac, 0) > 0.6 else "#1a1a1a"
                    text = _compact(int(v))
                    if (i, j) in binary_tags:
                        text = f"{binary_tags[i, j]}\n{text}"
                    ax_c.text(j, i, text, ha="center", va="center", fontsize=font, color=colour,
                              fontweight="bold" if i == j else "normal")
                    r = rates[i, j]
                    if np.isnan(r):
                        ax_r.text(j, i, "no\nsamples", ha="center", va="center", fontsize=font - 2, color="#555555")
                    else:
                        ax_r.text(j, i, _rate(r, n), ha="center",
                                  va="center", fontsize=font, color="white" if r > 0.6 else "#1a1a1a",
                                  fontweight="bold" if i == j else "normal")

        if result.positive is not None:
            p = result.positive
            for ax in (ax_c, ax_r):
                ax.add_patch(Rectangle((-0.46, p - 0.46), n - 0.08, 0.92, fill=False, lw=2.5, ec="#d62728"))
                ax.add_patch(Rectangle((p - 0.42, -0.42), 0.84, n - 0.16, fill=False, lw=2.5, ec="#ff7f0e",
                                       ls="--"))
            m = result.per_class[p]
            pos_text = (f"  |  positive = {labels[p]}: precision "
                        f"{'n/a' if m.precision is None else f'{m.precision:.2f}'}, recall "
                        f"{'n/a' if m.recall is None else f'{m.recall:.2f}'}  "
                        "(red row = actual positives, orange column = predicted positives)")
        else:
            pos_text = ""
        macro_f1 = result.macro.get("f1")
        fig.suptitle(f"Confusion matrix — accuracy {result.accuracy:.1%}, macro F1 "
                     f"{'n/a' if macro_f1 is None else f'{macro_f1:.2f}'}   (rows = actual, columns = predicted)",
                     fontsize=13, fontweight="bold")
        if pos_text:
            fig.supxlabel(pos_text.strip(" |"), fontsize=10, color="#333333")
        return figure_to_png(fig)
