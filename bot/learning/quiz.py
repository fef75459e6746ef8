"""Quiz sessions: pick questions, show them as Replies with answer buttons, grade button presses.

A session (``/quiz`` or ``/review``) is stored with its questions fully instantiated (numbers
drawn, options shuffled), so grading never recomputes anything and buttons keep working after a
restart. A button's payload is ``q:<session_id>:<index>:<choice>``; anything that does not match
a live session at that exact position is "expired" (stale, replayed or forged).
"""

from __future__ import annotations

import random
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.learning.scheduler import describe_interval
from bot.learning.store import LearningStore, QuizExpired, Session
from bot.reply import Action, Reply, Source
from knowledge.quiz_bank import QuestionSpec, instantiate, load_bank

if TYPE_CHECKING:
    from bot.commands.registry import Caller

MIN_QUESTIONS = 1
MAX_QUESTIONS = 10
DEFAULT_QUESTIONS = 5
MAX_REVIEW_QUESTIONS = 10
ACTION_COMMAND = "quiz"
LETTERS = "ABCDE"
BUTTON_TEXT_CHARS = 40
PAYLOAD = re.compile(r"q:([0-9a-f]{12}):([0-9]{1,2}):([0-9])")


@dataclass(frozen=True)
class TopicInfo:
    slug: str
    title: str


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


def start_quiz(store: LearningStore, caller: "Caller", topic: str, count: int, now: float | None = None) -> Session:
    now = time.time() if now is None else now
    bank = load_bank()
    specs = bank[topic]
    seen = {row.question_id: row.card.due for row in store.cards(caller.user_id) if row.topic == topic}
    session_id = new_session_id()
    chosen = pick_questions(specs, seen, min(count, len(specs)), random.Random(session_id))
    questions = [_instantiate(spec, session_id, i) for i, spec in enumerate(chosen)]
    return store.create_session(session_id, caller.user_id, caller.guild_id, caller.display_name, "quiz", topic,
                                questions, now)


def start_review(store: LearningStore, caller: "Caller", now: float | None = None,
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


# --------------------------------------------------------------------------- rendering


def _choice_lines(question: dict[str, Any]) -> str:
    return "\n".join(f"- **{LETTERS[i]}.** {text}" for i, text in enumerate(question["choices"]))


def _buttons(session_id: str, index: int, question: dict[str, Any]) -> tuple[Action, ...]:
    short = all(len(c) <= BUTTON_TEXT_CHARS for c in question["choices"])
    return tuple(
        Action(label=f"{LETTERS[i]}: {text}" if short else LETTERS[i], command=ACTION_COMMAND,
               payload=payload_for(session_id, index, i), style="primary")
        for i, text in enumerate(question["choices"]))


def _heading(session: Session, index: int, question: dict[str, Any], topics: dict[str, TopicInfo]) -> str:
    where = topics.get(question["topic"])
    name = where.title if where else question["topic"]
    kind = "Review" if session.kind == "review" else "Quiz"
    return f"{kind}: {name} — question {index + 1} of {session.total}"


def _question_block(question: dict[str, Any]) -> str:
    return f"{question['prompt']}\n\n{_choice_lines(question)}"


def _question_data(session: Session, index: int, question: dict[str, Any]) -> dict[str, Any]:
    return {"session": session.id, "kind": session.kind, "index": index, "total": session.total,
            "question_id": question["id"], "topic": question["topic"], "type": question["type"],
            "prompt": question["prompt"], "choices": list(question["choices"]),
            "payloads": [payload_for(session.id, index, i) for i in range(len(question["choices"]))]}


def question_reply(session: Session, topics: dict[str, TopicInfo], intro: str = "") -> Reply:
    """The reply that shows a new session's current question with one button per option."""
    index = session.position
    question = session.questions[index]
    text = _question_block(question)
    if intro:
        text = f"{intro}\n\n{text}"
    return Reply(text=text, title=_heading(session, index, question, topics),
                 actions=_buttons(session.id, index, question),
                 data={"question": _question_data(session, index, question)})


def feedback_reply(store: LearningStore, caller: "Caller", payload: str, topics: dict[str, TopicInfo],
                   now: float | None = None) -> Reply:
    """Grade a button press, then show the explanation and the next question (or the summary)."""
    session_id, index, choice = parse_payload(payload)
    result = store.record_answer(session_id, index, choice, caller.user_id, caller.display_name, now)
    question = result.question
    right = int(question["answer"])
    right_text = f"**{LETTERS[right]}. {question['choices'][right]}**"
    topic = topics.get(question["topic"])
    title = topic.title if topic else question["topic"]
    due_in = describe_interval(result.card.due - (now if now is not None else time.time()))
    if result.correct:
        verdict = f"✅ **Correct:** {right_text}."
    else:
        verdict = (f"❌ **Not quite.** You chose {LETTERS[choice]}. {question['choices'][choice]}; "
                   f"the answer is {right_text}.")
    lines = [verdict, "", question["explanation"], "",
             f"📖 Tested: *{title}* — section “{question['section']}” (read it with `/explain {question['topic']}`). "
             f"You'll see this question again {due_in}."]
    session = result.session
    data: dict[str, Any] = {
        "answer": {"session": session.id, "index": index, "choice": choice, "correct": result.correct,
                   "right_choice": right, "rating": result.rating, "elapsed_s": round(result.elapsed_s, 3),
                   "due": result.card.due, "question_id": question["id"], "topic": question["topic"],
                   "section": question["section"]},
        "score": {"correct": session.correct, "answered": session.position, "total": session.total},
    }
    actions: tuple[Action, ...] = ()
    upcoming = result.next_question
    if upcoming is not None:
        lines += ["", "———", "", f"**{_heading(session, session.position, upcoming, topics)}**", "",
                  _question_block(upcoming)]
        actions = _buttons(session.id, session.position, upcoming)
        data["question"] = _question_data(session, session.position, upcoming)
    else:
        lines += ["", "———", "", summary_line(session)]
        data["finished"] = True
    return Reply(text="\n".join(lines), title="Correct" if result.correct else "Not quite",
                 sources=(Source(question["topic"], title, question["section"]),), actions=actions,
                 ephemeral=True, data=data)


def summary_line(session: Session) -> str:
    share = session.correct / session.total
    cheer = "🎉 " if share == 1 else ""
    what = "Review" if session.kind == "review" else "Quiz"
    return (f"{cheer}**{what} finished: {session.correct} of {session.total} correct.** Questions you missed come "
            f"back within minutes; ones you knew return in days. Run `/review` when reviews are due and `/progress` "
            f"to see how far along the roadmap you are.")
