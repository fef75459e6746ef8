"""Quiz sessions: pick questions, start quizzes, reviews and checks, take hints, grade button presses.

A session (``/quiz``, ``/review``, or the one question of "Quiz me on this") is stored with its
questions fully instantiated (numbers drawn, options shuffled), so grading never recomputes
anything and buttons keep working after a restart. Button payloads:

* ``q:<session_id>:<index>:<choice>`` answers the question at ``index``;
* ``h:<session_id>:<index>`` takes the next hint step on it (the hint, then the passage);
* ``c:<topic>[:<i>.<j>…]`` starts a one-question check on that topic, from the article
  sections numbered ``i``, ``j`` (0-based ``## `` headings) when they have questions.

Anything that does not match a live session at that exact position is "expired" (stale,
replayed or forged). How a question and its feedback look is :mod:`bot.commands.learning_replies`.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from bot.learning.store import GradedAnswer, LearningStore, QuizExpired, Session
from knowledge.quiz_bank import QuestionSpec, article_sections, instantiate, load_bank

if TYPE_CHECKING:
    from bot.context import Caller

MIN_QUESTIONS = 1
MAX_QUESTIONS = 10
DEFAULT_QUESTIONS = 5
MAX_REVIEW_QUESTIONS = 10
PAYLOAD = re.compile(r"q:([0-9a-f]{12}):([0-9]{1,2}):([0-9])")
HINT_PAYLOAD = re.compile(r"h:([0-9a-f]{12}):([0-9]{1,2})")
CHECK_PAYLOAD = re.compile(r"c:([a-z0-9][a-z0-9-]{0,60})(?::([0-9]{1,2}(?:\.[0-9]{1,2}){0,5}))?")
MAX_CHECK_SECTIONS = 6


def new_session_id() -> str:
    return secrets.token_hex(6)


def payload_for(session_id: str, index: int, choice: int) -> str:
    return f"q:{session_id}:{index}:{choice}"


def parse_payload(payload: str) -> tuple[str, int, int]:
    match = PAYLOAD.fullmatch(payload or "")
    if match is None:
        raise QuizExpired()
    return match.group(1), int(match.group(2)), int(match.group(3))


def hint_payload(session_id: str, index: int) -> str:
    return f"h:{session_id}:{index}"


def check_payload(topic: str, sections: tuple[str, ...] = ()) -> str | None:
    """The payload of "Quiz me on this" for ``topic`` (preferring ``sections``), or None when the
    bank has no question on the topic."""
    specs = load_bank().get(topic)
    if not specs:
        return None
    headings = article_sections(topic)
    tested = {spec.section for spec in specs}
    wanted = [headings.index(s) for s in dict.fromkeys(sections) if s in headings and s in tested]
    tail = ".".join(str(i) for i in wanted[:MAX_CHECK_SECTIONS])
    return f"c:{topic}:{tail}" if tail else f"c:{topic}"


def parse_check_payload(payload: str) -> tuple[str, tuple[str, ...]]:
    match = CHECK_PAYLOAD.fullmatch(payload or "")
    if match is None or match.group(1) not in load_bank():
        raise QuizExpired("that button is no longer valid; ask again or start a /quiz")
    headings = article_sections(match.group(1))
    indices = [int(i) for i in match.group(2).split(".")] if match.group(2) else []
    return match.group(1), tuple(headings[i] for i in indices if i < len(headings))


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


def pick_check_question(specs: tuple[QuestionSpec, ...], sections: tuple[str, ...], seen: dict[str, float],
                        open_misconceptions: set[str], rng: random.Random) -> QuestionSpec:
    """The one question of a check: from the cited sections when they have questions (else the
    whole topic); first one the student got wrong and has not corrected, then a fresh one, then
    the one due soonest."""
    pool = [s for s in specs if s.section in sections] or list(specs)
    wrong = [s for s in pool if s.id in open_misconceptions]
    if wrong:
        return rng.choice(wrong)
    fresh = [s for s in pool if s.id not in seen]
    if fresh:
        return rng.choice(fresh)
    return min(pool, key=lambda s: (seen[s.id], rng.random()))


def start_check(store: LearningStore, caller: Caller, payload: str, now: float | None = None) -> Session:
    """"Quiz me on this": a one-question session on what the student just read."""
    now = time.time() if now is None else now
    topic, sections = parse_check_payload(payload)
    specs = load_bank()[topic]
    seen = {row.question_id: row.card.due for row in store.cards(caller.user_id) if row.topic == topic}
    wrong = {m.question_id for m in store.misconceptions(caller.user_id)}
    session_id = new_session_id()
    spec = pick_check_question(specs, sections, seen, wrong, random.Random(session_id))
    question = {**_instantiate(spec, session_id, 0), "check": True}  # heads the reply "Check yourself"
    return store.create_session(session_id, caller.user_id, caller.guild_id, caller.display_name, "quiz", topic,
                                [question], now)


def take_hint(store: LearningStore, caller: Caller, payload: str,
              now: float | None = None) -> tuple[Session, dict[str, Any], int]:
    """A hint button: (session, question, hint step now reached: 1 the hint, 2 the passage too)."""
    match = HINT_PAYLOAD.fullmatch(payload or "")
    if match is None:
        raise QuizExpired()
    return store.take_hint(match.group(1), int(match.group(2)), caller.user_id, now)


def grade(store: LearningStore, caller: Caller, payload: str, now: float | None = None) -> GradedAnswer:
    """Record a button press (``q:<session>:<index>:<choice>``) as the caller's answer, graded."""
    session_id, index, choice = parse_payload(payload)
    return store.record_answer(session_id, index, choice, caller.user_id, caller.display_name, now)
