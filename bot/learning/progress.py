"""Per-user progress along the study order, streaks, weekly leaderboards.

A question is *learned* while its FSRS card is in the Review state (answered right and not
forgotten since); a topic is *mastered* when at least :data:`MASTERY_SHARE` of its bank is
learned. Days are UTC days; the leaderboard week starts on Monday 00:00 UTC. How progress reads
in a reply is :mod:`bot.commands.learning_replies`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from bot.learning.store import LearningStore
from knowledge.corpus import Article
from knowledge.quiz_bank import load_bank
from knowledge.topics import ROADMAP

MASTERY_SHARE = 0.8
CHART_DAYS = 14


@dataclass(frozen=True)
class TopicProgress:
    slug: str
    title: str
    roadmap_step: int | None  # 1-4 for the training roadmap, else None
    bank_size: int
    seen: int
    learned: int
    due: int
    answered: int
    correct: int

    @property
    def needed(self) -> int:
        return max(1, math.ceil(MASTERY_SHARE * self.bank_size))

    @property
    def mastered(self) -> bool:
        return self.bank_size > 0 and self.learned >= self.needed

    @property
    def share(self) -> float:
        return self.learned / self.bank_size if self.bank_size else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.slug, "title": self.title, "roadmap_step": self.roadmap_step,
                "questions": self.bank_size, "seen": self.seen, "learned": self.learned, "due": self.due,
                "answered": self.answered, "correct": self.correct, "mastered": self.mastered}


@dataclass(frozen=True)
class Progress:
    topics: tuple[TopicProgress, ...]  # in study order
    due_total: int
    next_due: float | None
    streak_days: int
    answered_total: int
    correct_total: int
    daily: tuple[tuple[str, int, int], ...]  # (UTC date, answers, correct), oldest first

    @property
    def mastered_count(self) -> int:
        return sum(t.mastered for t in self.topics)

    @property
    def next_topic(self) -> TopicProgress | None:
        return next((t for t in self.topics if not t.mastered and t.bank_size), None)

    def to_dict(self) -> dict[str, Any]:
        return {"topics": [t.to_dict() for t in self.topics], "mastered": self.mastered_count,
                "due_reviews": self.due_total, "next_due": self.next_due, "streak_days": self.streak_days,
                "answered": self.answered_total, "correct": self.correct_total,
                "daily": [{"date": d, "answered": n, "correct": c} for d, n, c in self.daily]}


def study_order(articles: list[Article]) -> list[Article]:
    """The /roadmap order: the 4-part training roadmap, then the other articles."""
    by_slug = {a.slug: a for a in articles}
    core = [by_slug[s] for s in ROADMAP if s in by_slug]
    return core + [a for a in articles if a.slug not in ROADMAP]


def _utc_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, tz=timezone.utc).date()


def streak(days: list[str], today: date) -> int:
    """Consecutive UTC days with answers, ending today (or yesterday: today is not over yet)."""
    have = {date.fromisoformat(d) for d in days}
    day = today if today in have else today - timedelta(days=1)
    count = 0
    while day in have:
        count += 1
        day -= timedelta(days=1)
    return count


def week_start(now: float) -> float:
    """Monday 00:00 UTC of the week containing ``now``."""
    today = _utc_date(now)
    monday = today - timedelta(days=today.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=timezone.utc).timestamp()


def compute_progress(store: LearningStore, user_id: int, articles: list[Article], now: float | None = None) -> Progress:
    now = time.time() if now is None else now
    bank = load_bank()
    bank_ids = {spec.id for specs in bank.values() for spec in specs}
    cards = [row for row in store.cards(user_id) if row.question_id in bank_ids]
    counts = store.topic_answer_counts(user_id)
    topics = []
    for article in study_order(articles):
        mine = [row for row in cards if row.topic == article.slug]
        answered, correct = counts.get(article.slug, (0, 0))
        step = ROADMAP.index(article.slug) + 1 if article.slug in ROADMAP else None
        topics.append(TopicProgress(
            slug=article.slug, title=article.title, roadmap_step=step, bank_size=len(bank.get(article.slug, ())),
            seen=len(mine), learned=sum(row.card.learned for row in mine),
            due=sum(row.card.due <= now for row in mine), answered=answered, correct=correct))
    future = [row.card.due for row in cards if row.card.due > now]
    today = _utc_date(now)
    first_day = today - timedelta(days=CHART_DAYS - 1)
    since = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc).timestamp()
    per_day = store.daily_counts(user_id, since)
    daily = tuple((d.isoformat(), *per_day.get(d.isoformat(), (0, 0)))
                  for d in (first_day + timedelta(days=i) for i in range(CHART_DAYS)))
    answered_total, correct_total = store.user_totals(user_id)
    return Progress(topics=tuple(topics), due_total=sum(row.card.due <= now for row in cards),
                    next_due=min(future) if future else None, streak_days=streak(store.answer_days(user_id), today),
                    answered_total=answered_total, correct_total=correct_total, daily=daily)
