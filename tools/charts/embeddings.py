"""Pictures for the embeddings demos: static vs contextual PCA, neighbour and analogy bars."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.lines import Line2D

from tools.embeddings import AnalogyResult, CompareResult, NeighboursResult, PlotPoint
from tools.plotting import figure_to_png, house_style, new_figure
from tools.text import clip

S1_COLOUR = "#1f77b4"
S2_COLOUR = "#ff7f0e"
WORD_COLOUR = "#222222"
NEIGHBOUR_COLOUR = "#7f7f7f"
MAX_SENTENCE_SHOWN = 90


def _place_labels(ax, points: list[PlotPoint], sizes: dict[str, int], colours: dict[str, str],
                  weights: dict[str, str]) -> None:
    """Label each point, nudging labels to one of 8 spots so they overlap as little as possible."""
    xs = np.array([p.x for p in points])
    ys = np.array([p.y for p in points])
    span_x = max(np.ptp(xs), 1e-9)
    span_y = max(np.ptp(ys), 1e-9)
    placed: list[tuple[float, float, float, float]] = []  # boxes in axis-fraction units
    char_w, line_h = 0.0125, 0.045
    spots = [(6, 4), (6, -12), (-6, 4), (-6, -12), (0, 9), (0, -16), (10, -4), (-10, -4)]
    order = sorted(range(len(points)), key=lambda i: points[i].group not in ("word", "word1", "word2", "no-context"))
    for i in order:
        p = points[i]
        fx = (p.x - xs.min()) / span_x
        fy = (p.y - ys.min()) / span_y
        size = sizes.get(p.group, 10)
        w = char_w * len(p.text) * size / 10
        scale = 2.0 if p.group in ("word", "word1", "word2", "no-context") else 1.0  # clear the big star markers
        best, best_cost = spots[0], float("inf")
        best_box = (fx, fy, fx + w, fy + line_h)
        for dx, dy in ((sx * scale, sy * scale) for sx, sy in spots):
            x0 = fx + dx / 500 - (w if dx < 0 else 0 if dx > 0 else w / 2)
            y0 = fy + dy / 350
            box = (x0, y0, x0 + w, y0 + line_h)
            cost = sum(max(0, min(box[2], b[2]) - max(box[0], b[0])) * max(0, min(box[3], b[3]) - max(box[1], b[1]))
                       for b in placed)
            cost += 10 * (max(0, -0.12 - box[0]) + max(0, box[2] - 1.12) + max(0, -0.08 - box[1])
                          + max(0, box[3] - 1.08))  # keep labels inside the padded axes
            cost += sum(1e-3 for q in points if box[0] <= (q.x - xs.min()) / span_x <= box[2]
                        and box[1] <= (q.y - ys.min()) / span_y <= box[3])
            if cost < best_cost:
                best, best_cost = (dx, dy), cost
                best_box = box
            if cost == 0:
                break
        placed.append(best_box)
        dx, dy = best
        ax.annotate(p.text, (p.x, p.y), xytext=(dx, dy), textcoords="offset points", fontsize=size,
                    color=colours.get(p.group, WORD_COLOUR), fontweight=weights.get(p.group, "normal"),
                    ha="left" if dx > 0 else "right" if dx < 0 else "center", va="bottom" if dy > 0 else "top")


def _pad(ax, points: list[PlotPoint]) -> None:
    xs = np.array([p.x for p in points])
    ys = np.array([p.y for p in points])
    px, py = 0.18 * max(np.ptp(xs), 1e-6), 0.12 * max(np.ptp(ys), 1e-6)
    ax.set_xlim(xs.min() - px, xs.max() + px)
    ax.set_ylim(ys.min() - py, ys.max() + py)


def _finish_panel(ax, points: list[PlotPoint], explained: tuple[float, float], title: str) -> None:
    """Room around the points, PCA axes labelled with the variance they explain, the title."""
    _pad(ax, points)
    ax.set_xlabel(f"PC1 ({explained[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({explained[1]:.0%} of variance)")
    ax.set_title(title, fontsize=12)


def render_compare(result: CompareResult) -> bytes:
    colours = {"word": WORD_COLOUR, "neighbour": "#555555", "sentence1": S1_COLOUR, "sentence2": S2_COLOUR,
               "word1": S1_COLOUR, "word2": S2_COLOUR, "no-context": WORD_COLOUR}
    sizes = {"word": 12, "word1": 11, "word2": 11, "no-context": 11}
    weights = {"word": "bold", "word1": "bold", "word2": "bold", "no-context": "bold"}
    with house_style():
        fig = new_figure(12.5, 6.4)
        ax_s, ax_c = fig.subplots(1, 2)

        # ---- static panel
        pts = list(result.glove_points)
        for group, marker, size, colour in (("neighbour", "o", 45, NEIGHBOUR_COLOUR), ("sentence1", "o", 55, S1_COLOUR),
                                            ("sentence2", "o", 55, S2_COLOUR), ("word", "*", 420, WORD_COLOUR)):
            sel = [p for p in pts if p.group == group]
            if sel:
                ax_s.scatter([p.x for p in sel], [p.y for p in sel], s=size, marker=marker, color=colour,
                             edgecolor="white" if marker == "o" else "black", linewidth=0.8, zorder=3)
        word_pt = next(p for p in pts if p.group == "word")
        glove_labels = [PlotPoint(f"{p.text} (both sentences)" if p.group == "word" else p.text, p.group,
                                  p.x, p.y) for p in pts]
        _place_labels(ax_s, glove_labels, sizes, colours, weights)
        _finish_panel(ax_s, pts, result.glove_explained,
                      f"GloVe (static): ONE vector for “{result.word}”\ncosine between the occurrences = "
                      f"{result.static_cosine:.3f}")
        ax_s.scatter([word_pt.x], [word_pt.y], s=900, facecolor="none", edgecolor=WORD_COLOUR, lw=1, ls="--", zorder=2)

        # ---- contextual panel
        cpts = list(result.context_points)
        for group, colour in (("sentence1", S1_COLOUR), ("sentence2", S2_COLOUR)):
            sel = [p for p in cpts if p.group == group]
            if sel:
                ax_c.scatter([p.x for p in sel], [p.y for p in sel], s=55, color=colour, edgecolor="white",
                             linewidth=0.8, zorder=3, alpha=0.85)
        anchor = {p.group: p for p in cpts if p.group in ("word1", "word2", "no-context")}
        for group, colour in (("word1", S1_COLOUR), ("word2", S2_COLOUR)):
            p = anchor[group]
            ax_c.scatter([p.x], [p.y], s=420, marker="*", color=colour, edgecolor="black", linewidth=0.8, zorder=5)
            if "no-context" in anchor:
                o = anchor["no-context"]
                ax_c.annotate("", xy=(p.x, p.y), xytext=(o.x, o.y), zorder=4,
                              arrowprops={"arrowstyle": "->", "color": colour, "lw": 2, "shrinkA": 9, "shrinkB": 12})
        if "no-context" in anchor:
            o = anchor["no-context"]
            ax_c.scatter([o.x], [o.y], s=260, marker="*", color="white", edgecolor=WORD_COLOUR, linewidth=1.5, zorder=5)
        w1, w2 = anchor["word1"], anchor["word2"]
        ax_c.plot([w1.x, w2.x], [w1.y, w2.y], color="#d62728", ls=":", lw=1.6, zorder=2)
        ax_c.annotate(f"cosine\n{result.contextual_cosine:.3f}", ((w1.x + w2.x) / 2, (w1.y + w2.y) / 2),
                      xytext=(-12, 0), textcoords="offset points", ha="right", va="center", color="#d62728",
                      fontsize=11,
                      fontweight="bold", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
        _place_labels(ax_c, cpts, sizes, colours, weights)
        _finish_panel(ax_c, cpts, result.context_explained,
                      f"MiniLM (contextual): one vector PER OCCURRENCE\ncosine between the occurrences = "
                      f"{result.contextual_cosine:.3f}")

        def short(s: str) -> str:
            return clip(s, MAX_SENTENCE_SHOWN)

        handles = [
            Line2D([], [], marker="o", ls="", color=S1_COLOUR, markersize=8,
                   label=f"sentence 1: “{short(result.sentences[0])}”"),
            Line2D([], [], marker="o", ls="", color=S2_COLOUR, markersize=8,
                   label=f"sentence 2: “{short(result.sentences[1])}”"),
            Line2D([], [], marker="o", ls="", color=NEIGHBOUR_COLOUR, markersize=7, label="GloVe nearest neighbours"),
            Line2D([], [], marker="*", ls="", markerfacecolor="white", markeredgecolor=WORD_COLOUR, markersize=13,
                   label=f"“{result.word}” encoded alone (no context); arrows = how context moves it"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=9.5, frameon=False)
        fig.suptitle(f"Same word, two sentences: “{result.word}” — static cosine {result.static_cosine:.3f} vs "
                     f"contextual cosine {result.contextual_cosine:.3f}", fontsize=13.5, fontweight="bold")
        return figure_to_png(fig)


def _bars(title: str, items: tuple[tuple[str, float], ...], subtitle: str, highlight_first: bool) -> bytes:
    n = len(items)
    with house_style():
        fig = new_figure(8.5, max(3.2, 0.32 * n + 1.6))
        ax = fig.add_subplot()
        words = [w for w, _ in items][::-1]
        values = [c for _, c in items][::-1]
        colours = ["#9ecae1"] * n
        if highlight_first and n:
            colours[-1] = "#2171b5"
        ax.barh(range(n), values, color=colours, edgecolor="#3b3b3b", linewidth=0.5)
        ax.set_yticks(range(n), words, fontsize=10 if n <= 20 else 8)
        for i, v in enumerate(values):
            ax.text(v + 0.005, i, f"{v:.3f}", va="center", fontsize=9 if n <= 20 else 7)
        lo = min(values) if values else 0
        ax.set_xlim(max(0.0, lo - 0.1), min(1.0, max(values, default=1) + 0.08))
        ax.set_xlabel("Cosine similarity (GloVe 6B, 50-d)")
        ax.grid(axis="y", visible=False)
        ax.set_title("\n".join(textwrap.wrap(subtitle, 90)), fontsize=10, color="#444444")
        fig.suptitle(title, fontsize=13, fontweight="bold")
        return figure_to_png(fig)


def render_neighbours(result: NeighboursResult) -> bytes:
    return _bars(f"Nearest GloVe neighbours of “{result.word}”", result.neighbours,
                 "axis starts above 0 to show the differences; 1 = same direction", highlight_first=False)


def render_analogy(result: AnalogyResult) -> bytes:
    best = result.results[0][0] if result.results else "?"
    return _bars(f"{result.a} − {result.b} + {result.c} ≈ {best}", result.results,
                 f"nearest words to unit({result.a}) − unit({result.b}) + unit({result.c}); "
                 "the three input words are excluded", highlight_first=True)
