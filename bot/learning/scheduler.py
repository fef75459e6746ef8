"""Spaced repetition: every answered question is an FSRS card per user (the ``fsrs`` package).

A rating comes from correctness and answer time: wrong → Again; right but very slow → Hard; right
→ Good; right and fast → Easy. FSRS turns the rating into the card's next due time: a card
answered wrong comes back within minutes, one answered right graduates to days, and the interval
grows with every successful review.

:class:`CardState` is the plain, storable form of a card (times are Unix seconds). One learning
step of 10 minutes (instead of fsrs' default 1 and 10 minutes) suits a chat bot: students pull
reviews with ``/review`` rather than sitting in a drill, and a first correct answer should count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler, State

LEARNING_STEPS = (timedelta(minutes=10),)
RELEARNING_STEPS = (timedelta(minutes=10),)
DESIRED_RETENTION = 0.9

# seconds; per question type, because a numeric question needs a calculation
FAST_ANSWER_S = {"choice": 8.0, "numeric": 25.0}
SLOW_ANSWER_S = {"choice": 60.0, "numeric": 180.0}
IDLE_AFTER_S = 15 * 60.0
"""Beyond this the student walked away: the time says nothing, so a right answer is just Good."""

LEARNED_STATES = (int(State.Review),)
"""A card is *learned* while FSRS keeps it in the Review state: recalled, not since forgotten."""

_SCHEDULER = Scheduler(desired_retention=DESIRED_RETENTION, learning_steps=LEARNING_STEPS,
                       relearning_steps=RELEARNING_STEPS, enable_fuzzing=True)


@dataclass(frozen=True)
class CardState:
    state: int  # fsrs.State: 1 learning, 2 review, 3 relearning
    step: int | None
    stability: float | None
    difficulty: float | None
    due: float  # Unix seconds
    last_review: float | None
    reps: int = 0
    lapses: int = 0

    @property
    def learned(self) -> bool:
        return self.state in LEARNED_STATES


HINT_STEPS = 2
"""Hint steps on one question: 1 the authored hint, 2 also the passage the question tests."""


def rating_for(correct: bool, elapsed_s: float, question_type: str = "choice", hints: int = 0) -> Rating:
    """The FSRS rating of one answer.

    Help lowers it: a right answer after the hint is at best **Hard** (FSRS's "recalled, with
    serious difficulty"): the student still retrieved the answer, but with a nudge, so the card
    should come back sooner than an unaided Good and grow its stability less. A right answer after
    reading the passage itself is **Again**: the answer was read, not recalled, so FSRS treats the
    card as not yet known and brings it back within minutes (a lapse if it was learned).
    """
    if not correct:
        return Rating.Again
    if hints >= HINT_STEPS:
        return Rating.Again
    if hints >= 1:
        return Rating.Hard
    if not math.isfinite(elapsed_s) or elapsed_s < 0 or elapsed_s > IDLE_AFTER_S:
        return Rating.Good
    if elapsed_s <= FAST_ANSWER_S.get(question_type, FAST_ANSWER_S["choice"]):
        return Rating.Easy
    if elapsed_s >= SLOW_ANSWER_S.get(question_type, SLOW_ANSWER_S["choice"]):
        return Rating.Hard
    return Rating.Good


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def _to_card(card: CardState | None, now: float) -> Card:
    if card is None:
        return Card(card_id=0, due=_dt(now))  # card_id given: fsrs would otherwise sleep 1 ms
    return Card(card_id=0, state=State(card.state), step=card.step, stability=card.stability,
                difficulty=card.difficulty, due=_dt(card.due),
                last_review=_dt(card.last_review) if card.last_review is not None else None)


def review(card: CardState | None, rating: Rating, now: float, elapsed_s: float | None = None) -> CardState:
    """The card after one review at ``now`` (``None``: a card seen for the first time)."""
    before = _to_card(card, now)
    duration_ms = int(elapsed_s * 1000) if elapsed_s is not None and math.isfinite(elapsed_s) else None
    after, _log = _SCHEDULER.review_card(before, rating, review_datetime=_dt(now), review_duration=duration_ms)
    reps = (card.reps if card else 0) + 1
    lapses = (card.lapses if card else 0) + (1 if rating == Rating.Again and card is not None
                                             and card.state == int(State.Review) else 0)
    return CardState(state=int(after.state), step=after.step, stability=after.stability,
                     difficulty=after.difficulty, due=after.due.timestamp(),
                     last_review=after.last_review.timestamp() if after.last_review else now,
                     reps=reps, lapses=lapses)


def describe_interval(seconds: float) -> str:
    """'in 10 minutes', 'in 3 days' — for feedback messages."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return "in a minute"
    if seconds < 3600 * 1.5:
        return f"in {round(seconds / 60)} minutes"
    if seconds < 86400 * 1.5:
        return f"in {round(seconds / 3600)} hours"
    days = round(seconds / 86400)
    return f"in {days} days" if days < 60 else f"in {round(days / 30)} months"
