"""Quiz sessions: pick questions, start quizzes and reviews, grade button presses.

A session (``/quiz`` or ``/review``) is stored with its questions fully instantiated (numbers
drawn, options shuffled), so grading never recomputes anything and buttons keep working after a
restart. A button's payload is ``q:<session_id>:<index>:<choice>``; anything that does not match
a live session at that exact position is "expired" (stale, replayed or forged). How a question
and its feedback look is :mod:`bot.commands.learning_replies`.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from bot.learning.store import GradedAnswer, LearningStore, QuizExpired, Session
from knowledge.quiz_bank import QuestionSpec, instantiate, load_bank

if TYPE_CHECKING:
    from bot.context import Caller

MIN_QUESTIONS = 1
MAX_QUESTIONS = 10
DEFAULT_QUESTIONS = 5
MAX_REVIEW_QUESTIONS = 10
PAYLOAD = re.compile(r"q:([0-9a-f]{12}):([0-9]{1,2}):([0-9])")


def new_session_id() -> str:
    return secrets.token_hex(6)


def payload_for(session_id: str, index: int, choice: int) -> str:
    return f"q:{session_id}:{index}:{choice}"


def parse_payload(payload: str) -> tuple[str, int, int]:
    match = PAYLOAD.fullmatch(payload or "")
    if match is None:
        raise QuizExpired()
    return match.group(1), int(match.group(2)), int(match.group(3))


def pick_questions(specs: tuple[QuestionSpec, ...], seen: dict[str, float], count: int,
                   rng: random.Random) -> list[QuestionSpec]:
    """``count`` questions: never-answered ones first (random order), then the ones due soonest."""
    fresh = [s for s in specs if s.id not in seen]
    rng.shuffle(fresh)
    old = sorted((s for s in specs if s.id in seen), key=lambda s: (seen[s.id], rng.random()))
    chosen = (fresh + old)[:count]
    rng.shuffle(chosen)
    return chosen


def _instantiate(spec: QuestionSpec, session_id: str, index: int) -> dict[str, Any]:
    # a string seed is hashed deterministically: the same session always gets the same numbers
    return instantiate(spec, random.Random(f"{session_id}:{index}:{spec.id}")).to_dict()


def start_quiz(store: LearningStore, caller: Caller, topic: str, count: int, now: float | None = None) -> Session:
    now = time.time() if now is None else now
    bank = load_bank()
    specs = bank[topic]
    seen = {row.question_id: row.card.due for row in store.cards(caller.user_id) if row.topic == topic}
    session_id = new_session_id()
    chosen = pick_questions(specs, seen, min(count, len(specs)), random.Random(session_id))
    questions = [_instantiate(spec, session_id, i) for i, spec in enumerate(chosen)]
    return store.create_session(session_id, caller.user_id, caller.guild_id, caller.display_name, "quiz", topic,
                                questions, now)


def start_review(store: LearningStore, caller: Caller, now: float | None = None,
                 limit: int = MAX_REVIEW_QUESTIONS) -> Session | None:
    """A session of the caller's due cards (None if nothing is due)."""
    now = time.time() if now is None else now
    specs = {spec.id: spec for questions in load_bank().values() for spec in questions}
    due = [row for row in store.due_cards(caller.user_id, now, limit * 2) if row.question_id in specs][:limit]
    if not due:
        return None
    session_id = new_session_id()
    questions = [_instantiate(specs[row.question_id], session_id, i) for i, row in enumerate(due)]
    return store.create_session(session_id, caller.user_id, caller.guild_id, caller.display_name, "review", None,
                                questions, now)


def grade(store: LearningStore, caller: Caller, payload: str, now: float | None = None) -> GradedAnswer:
    """Record a button press (``q:<session>:<index>:<choice>``) as the caller's answer, graded."""
    session_id, index, choice = parse_payload(payload)
    return store.record_answer(session_id, index, choice, caller.user_id, caller.display_name, now)
