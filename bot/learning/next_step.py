"""The one best next step for a student (``/next``): reviews that are due first, then the weakest
topic they have started (lowest mean FSRS stability), then the next roadmap topic not yet studied.

FSRS stability is the number of days after which the chance of recalling a card has fallen to
90%: a low mean stability means the topic's answers are fragile. Each step names the article
section to read (the due or least stable card's section; for a new topic its first section) so
the front end can point at it and at the topic's demo. How it reads is a command's job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bot.learning.progress import compute_progress
from bot.learning.store import CardRow, LearningStore
from knowledge.corpus import Article
from knowledge.quiz_bank import article_sections, load_bank

REVIEW = "review"
WEAK = "weak"
NEW = "new"
DONE = "done"


@dataclass(frozen=True)
class NextStep:
    kind: str  # review | weak | new | done
    topic: str | None
    title: str
    section: str | None
    due: int  # reviews due now
    stability_days: float | None = None  # weak: the topic's mean stability
    tools: tuple[str, ...] = ()  # the topic's demos (article front matter), best first
    next_due: float | None = None  # done: when the next review comes

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "topic": self.topic, "title": self.title, "section": self.section,
                "due": self.due, "stability_days": self.stability_days, "tools": list(self.tools),
                "next_due": self.next_due}


def _stability(row: CardRow) -> float:
    return float(row.card.stability or 0.0)


def compute_next_step(store: LearningStore, user_id: int, articles: list[Article],
                      now: float | None = None) -> NextStep:
    now = time.time() if now is None else now
    bank = load_bank()
    specs = {spec.id: spec for questions in bank.values() for spec in questions}
    by_slug = {a.slug: a for a in articles}
    cards = [row for row in store.cards(user_id) if row.question_id in specs and row.topic in by_slug]
    due = sorted((row for row in cards if row.card.due <= now), key=lambda row: row.card.due)
    if due:
        first = due[0]
        article = by_slug[first.topic]
        return NextStep(REVIEW, first.topic, article.title, specs[first.question_id].section, len(due),
                        tools=article.tools)
    progress = compute_progress(store, user_id, articles, now)
    order = [t.slug for t in progress.topics]
    started = {t.slug for t in progress.topics if t.seen and not t.mastered}
    if started:
        mean = {slug: sum(_stability(r) for r in cards if r.topic == slug) /
                max(1, sum(r.topic == slug for r in cards)) for slug in started}
        slug = min(started, key=lambda s: (mean[s], order.index(s)))
        weakest = min((r for r in cards if r.topic == slug), key=lambda r: (_stability(r), r.question_id))
        return NextStep(WEAK, slug, by_slug[slug].title, specs[weakest.question_id].section, 0,
                        stability_days=round(mean[slug], 2), tools=by_slug[slug].tools)
    fresh = next((t for t in progress.topics if t.bank_size and not t.seen), None)
    if fresh is not None:
        sections = article_sections(fresh.slug)
        return NextStep(NEW, fresh.slug, fresh.title, sections[0] if sections else None, 0,
                        tools=by_slug[fresh.slug].tools)
    return NextStep(DONE, None, "", None, 0, next_due=progress.next_due)
