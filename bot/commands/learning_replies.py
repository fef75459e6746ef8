"""How the learning loop reads in a reply: quiz questions with answer buttons, the feedback on
an answer, and progress lines that point to the next command. The loop itself (sessions,
grading, FSRS, progress numbers) is :mod:`bot.learning`, which knows nothing of replies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.context import Caller
from bot.learning.progress import Progress, TopicProgress, compute_progress
from bot.learning.quiz import grade, payload_for
from bot.learning.scheduler import describe_interval
from bot.learning.store import LearningStore, Session, store_for
from bot.reply import Action, Reply, Source

if TYPE_CHECKING:
    from bot.services import Services

ACTION_COMMAND = "quiz"  # the answer buttons run the hidden command "action quiz"
LETTERS = "ABCDE"
BUTTON_TEXT_CHARS = 40


@dataclass(frozen=True)
class TopicInfo:
    slug: str
    title: str


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


def feedback_reply(store: LearningStore, caller: Caller, payload: str, topics: dict[str, TopicInfo],
                   now: float | None = None) -> Reply:
    """Grade a button press, then show the explanation and the next question (or the summary)."""
    result = grade(store, caller, payload, now)
    question, index, choice = result.question, result.position, result.choice
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
        lines += ["", "———", "", session_summary(session)]
        data["finished"] = True
    return Reply(text="\n".join(lines), title="Correct" if result.correct else "Not quite",
                 sources=(Source(question["topic"], title, question["section"]),), actions=actions,
                 ephemeral=True, data=data)


def session_summary(session: Session) -> str:
    """The line that closes a finished quiz or review."""
    share = session.correct / session.total
    cheer = "🎉 " if share == 1 else ""
    what = "Review" if session.kind == "review" else "Quiz"
    return (f"{cheer}**{what} finished: {session.correct} of {session.total} correct.** Questions you missed come "
            f"back within minutes; ones you knew return in days. Run `/review` when reviews are due and `/progress` "
            f"to see how far along the roadmap you are.")


def progress_summary(progress: Progress) -> str:
    """Mastered topics, reviews due and the streak, in one line."""
    parts = [f"{progress.mastered_count} of {len(progress.topics)} topics mastered"]
    if progress.due_total:
        parts.append(f"{progress.due_total} review{'s' if progress.due_total != 1 else ''} due (`/review`)")
    else:
        parts.append("no reviews due")
    parts.append(f"{progress.streak_days}-day streak" if progress.streak_days else "no current streak")
    return " · ".join(parts)


def topic_line(topic: TopicProgress) -> str:
    mark = "✅" if topic.mastered else ("📘" if topic.seen else "▫️")
    status = "mastered" if topic.mastered else f"{topic.needed} needed to master"
    due = f", {topic.due} due" if topic.due else ""
    return f"{mark} **{topic.title}** — {topic.learned}/{topic.bank_size} learned ({status}{due})"


def progress_lines(services: Services, caller: Caller) -> list[str]:
    """A few Markdown lines for ``/roadmap``: the caller's progress along the study order."""
    progress = compute_progress(store_for(services), caller.user_id, services.articles)
    first = next((t for t in progress.topics if t.bank_size), None)
    if progress.answered_total == 0:
        start = f" — start with `/quiz {first.slug}`" if first else ""
        return [f"**Your progress:** no quiz answers yet{start}."]
    lines = [f"**Your progress:** {progress_summary(progress)}"]
    lines += [topic_line(t) for t in progress.topics if t.seen]
    nxt = progress.next_topic
    if nxt is not None:
        lines.append(f"Next up: `/quiz {nxt.slug}`")
    return lines
