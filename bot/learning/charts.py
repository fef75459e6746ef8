"""The /progress chart: learned share per topic along the study order, and answers per day."""

from __future__ import annotations

import threading
from datetime import date

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bot.learning.progress import CHART_DAYS, MASTERY_SHARE, Progress
from tools.plotting import figure_to_png, house_style, new_figure
from tools.text import clip

_RENDER_LOCK = threading.Lock()  # handlers run in threads; rc_context edits global rcParams
MASTERED_COLOUR = "#2e7d32"
LEARNING_COLOUR = "#1f77b4"
SEEN_COLOUR = "#c6dbef"
WRONG_COLOUR = "#e57373"
MAX_LABEL_CHARS = 30


def _label(title: str, step: int | None) -> str:
    short = clip(title, MAX_LABEL_CHARS)
    return f"{step}. {short}" if step else short


def render_progress(progress: Progress, name: str = "") -> bytes:
    with _RENDER_LOCK, house_style():
        fig = new_figure(10, 5.2)
        left, right = fig.subplots(1, 2, width_ratios=(1.45, 1))
        topics = list(progress.topics)
        y = list(range(len(topics)))[::-1]
        learned = [100 * t.share for t in topics]
        seen = [100 * t.seen / t.bank_size if t.bank_size else 0 for t in topics]
        colours = [MASTERED_COLOUR if t.mastered else LEARNING_COLOUR for t in topics]
        left.barh(y, seen, color=SEEN_COLOUR)
        left.barh(y, learned, color=colours)
        left.axvline(100 * MASTERY_SHARE, color="#555555", linestyle="--", linewidth=1)
        for i, t in enumerate(topics):
            if not t.seen:
                continue
            end = max(learned[i], seen[i])
            if end > 85:  # no room after the bar: write inside its end
                left.text(end - 1.5, y[i], f"{t.learned}/{t.bank_size}", va="center", ha="right", fontsize=9,
                          color="white" if learned[i] > 85 else "black")
            else:
                left.text(end + 1.5, y[i], f"{t.learned}/{t.bank_size}", va="center", fontsize=9)
        left.set_yticks(y, [_label(t.title, t.roadmap_step) for t in topics], fontsize=9)
        left.set_xlim(0, 100)
        left.set_ylim(-0.6, len(topics) - 0.1)
        left.set_xlabel("share of the topic's questions (%)")
        left.set_title(f"{progress.mastered_count} of {len(topics)} topics mastered")
        handles = [Patch(color=SEEN_COLOUR, label="answered at least once"),
                   Patch(color=LEARNING_COLOUR, label="learned (FSRS review state)"),
                   Patch(color=MASTERED_COLOUR, label="learned, topic mastered"),
                   Line2D([], [], color="#555555", linestyle="--", linewidth=1,
                          label=f"mastery: {MASTERY_SHARE:.0%} learned")]
        left.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.95)
        left.grid(axis="y", visible=False)

        days = [date.fromisoformat(d) for d, _, _ in progress.daily]
        right_counts = [c for _, _, c in progress.daily]
        wrong_counts = [n - c for _, n, c in progress.daily]
        x = list(range(len(days)))
        right.bar(x, right_counts, color=MASTERED_COLOUR, label="correct")
        right.bar(x, wrong_counts, bottom=right_counts, color=WRONG_COLOUR, label="wrong")
        ticks = x[::-2][::-1]  # every other day, always including today
        right.set_xticks(ticks, [days[i].strftime("%d %b") for i in ticks], rotation=45, ha="right", fontsize=8)
        right.set_ylabel("answers per day")
        right.set_xlabel("day (UTC)")
        top = max([n for _, n, _ in progress.daily] + [1])
        right.set_ylim(0, top * 1.15 + 0.5)
        right.yaxis.get_major_locator().set_params(integer=True)
        streak = f"{progress.streak_days}-day streak" if progress.streak_days else "no streak yet"
        right.set_title(f"Answers, last {CHART_DAYS} days (UTC)\n{streak}", fontsize=11)
        right.legend(loc="upper left", fontsize=8)
        owner = "Your progress" if name in ("", "you") else f"{name}'s progress"
        fig.suptitle(f"{owner}: {progress.correct_total} of "
                     f"{progress.answered_total} answers correct, {progress.due_total} reviews due", fontsize=12)
        return figure_to_png(fig)
