"""How the learning loop reads in a reply: quiz questions with answer and hint buttons, hints,
the feedback on an answer (with the misconception a wrong choice stands for and the passage that
corrects it), the "Quiz me on this" button, the question of the day, and progress lines that
point to the next command. The loop itself (sessions, grading, FSRS, progress numbers) is
:mod:`bot.learning`, which knows nothing of replies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.context import Caller
from bot.learning.progress import Progress, TopicProgress, compute_progress
from bot.learning.quiz import check_payload, grade, hint_payload, payload_for, take_hint
from bot.learning.scheduler import HINT_STEPS, describe_interval
from bot.learning.store import DailyAnswer, DailyPost, GradedAnswer, LearningStore, Misconception, Session, store_for
from bot.reply import Action, Reply, Source
from knowledge.passages import passage_for

if TYPE_CHECKING:
    from bot.services import Services

ACTION_COMMAND = "quiz"  # the answer buttons run the hidden command "action quiz"
HINT_COMMAND = "hint"  # "action hint": the next hint step on a quiz question
CHECK_COMMAND = "checkme"  # "action checkme": "Quiz me on this"
DAILY_COMMAND = "daily"  # "action daily": an answer to the question of the day
DAILY_HINT_COMMAND = "dailyhint"
LETTERS = "ABCDE"
BUTTON_TEXT_CHARS = 40
CHECK_LABEL = "🧠 Quiz me on this"
HINT_LABEL = "💡 Hint"
PASSAGE_LABEL = "📖 Show the passage"
MAX_MISCONCEPTIONS_SHOWN = 5
HINT_KEY = "h"  # terminals: type h for the hint (then again for the passage)


@dataclass(frozen=True)
class TopicInfo:
    slug: str
    title: str


def _choice_lines(question: dict[str, Any]) -> str:
    return "\n".join(f"- **{LETTERS[i]}.** {text}" for i, text in enumerate(question["choices"]))


def _answer_buttons(question: dict[str, Any], command: str, payload_of: Any) -> tuple[Action, ...]:
    short = all(len(c) <= BUTTON_TEXT_CHARS for c in question["choices"])
    return tuple(
        Action(label=f"{LETTERS[i]}: {text}" if short else LETTERS[i], command=command,
               payload=payload_of(i), style="primary")
        for i, text in enumerate(question["choices"]))


def _buttons(session_id: str, index: int, question: dict[str, Any], hints: int = 0) -> tuple[Action, ...]:
    """One button per option, then the hint button (while a hint step is left)."""
    answers = _answer_buttons(question, ACTION_COMMAND, lambda i: payload_for(session_id, index, i))
    if hints >= HINT_STEPS or not question.get("hint"):
        return answers
    label = HINT_LABEL if hints == 0 else PASSAGE_LABEL
    return (*answers, Action(label=label, command=HINT_COMMAND, payload=hint_payload(session_id, index), key=HINT_KEY))


def check_action(topic: str, sections: tuple[str, ...] = ()) -> Action | None:
    """"Quiz me on this" under an answer or an article: a question on ``sections`` of ``topic``
    (else any of the topic's), or None when the bank has nothing on the topic."""
    payload = check_payload(topic, sections)
    return None if payload is None else Action(label=CHECK_LABEL, command=CHECK_COMMAND, payload=payload,
                                               style="success")


def check_action_for(sources: tuple[Source, ...]) -> Action | None:
    """The check for an answer: the first cited topic with questions on a cited section, else the
    first cited topic with any questions."""
    topics = list(dict.fromkeys(s.topic for s in sources))
    sections = {t: tuple(s.section.split(" › ")[0] for s in sources if s.topic == t) for t in topics}
    for topic in topics:
        action = check_action(topic, sections[topic])
        if action is not None and action.payload.count(":") == 2:
            return action
    return next((a for a in (check_action(t) for t in topics) if a is not None), None)


def _heading(session: Session, index: int, question: dict[str, Any], topics: dict[str, TopicInfo]) -> str:
    where = topics.get(question["topic"])
    name = where.title if where else question["topic"]
    if question.get("check"):
        return f"Check yourself: {name}"
    kind = "Review" if session.kind == "review" else "Quiz"
    return f"{kind}: {name} — question {index + 1} of {session.total}"


def _question_block(question: dict[str, Any]) -> str:
    return f"{question['prompt']}\n\n{_choice_lines(question)}"


def _question_data(session: Session, index: int, question: dict[str, Any]) -> dict[str, Any]:
    return {"session": session.id, "kind": session.kind, "index": index, "total": session.total,
            "question_id": question["id"], "topic": question["topic"], "type": question["type"],
            "prompt": question["prompt"], "choices": list(question["choices"]),
            "payloads": [payload_for(session.id, index, i) for i in range(len(question["choices"]))],
            "hint_payload": hint_payload(session.id, index) if question.get("hint") else None}


def _passage(question: dict[str, Any]) -> str:
    right = question["choices"][int(question["answer"])]
    return passage_for(question["topic"], question["section"],
                       f"{question['prompt']} {right} {question['explanation']}")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def _where(question: dict[str, Any], topics: dict[str, TopicInfo]) -> str:
    topic = topics.get(question["topic"])
    return f"*{topic.title if topic else question['topic']}* — “{question['section']}”"


def hint_lines(question: dict[str, Any], level: int, topics: dict[str, TopicInfo]) -> list[str]:
    """Step 1: the authored hint. Step 2: the passage the question tests, quoted."""
    if level <= 1:
        return [f"💡 **Hint:** {question['hint']}", "",
                "*A right answer after a hint counts as a harder recall, so this question comes back sooner. "
                "Still stuck? A second hint shows the passage.*"]
    passage = _passage(question)
    lines = [f"📖 **The passage this question tests** ({_where(question, topics)}):", ""]
    lines += [_quote(passage)] if passage else [f"Read it with `/explain {question['topic']}`."]
    lines += ["", "*Answering now counts as reading, not recalling: the question comes back within minutes "
                  "so you can try it from memory.*"]
    return lines


def hint_reply(store: LearningStore, caller: Caller, payload: str, topics: dict[str, TopicInfo],
               now: float | None = None) -> Reply:
    """A hint button: the next hint step, then the question again with its buttons."""
    session, question, level = take_hint(store, caller, payload, now)
    index = session.position
    lines = [*hint_lines(question, level, topics), "", "———", "", _question_block(question)]
    return Reply(text="\n".join(lines), title=_heading(session, index, question, topics),
                 actions=_buttons(session.id, index, question, level), ephemeral=True,
                 sources=(Source(question["topic"], topics[question["topic"]].title if question["topic"] in topics
                                 else question["topic"], question["section"]),) if level > 1 else (),
                 data={"hint": {"session": session.id, "index": index, "level": level,
                                "question_id": question["id"], "text": question["hint"] if level == 1 else None},
                       "question": _question_data(session, index, question)})


def mistake_lines(question: dict[str, Any], choice: int, topics: dict[str, TopicInfo]) -> list[str]:
    """What was wrong with this particular choice, then the passage that corrects it."""
    why = list(question.get("why_wrong") or ())
    lines: list[str] = []
    if 0 <= choice < len(why) and why[choice]:
        lines += [f"🔎 **Why not {LETTERS[choice]}:** {why[choice]}", ""]
    passage = _passage(question)
    if passage:
        lines += [f"📖 **From the article** ({_where(question, topics)}):", "", _quote(passage), ""]
    return lines


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


def _verdict(question: dict[str, Any], choice: int, correct: bool) -> str:
    right = int(question["answer"])
    right_text = f"**{LETTERS[right]}. {question['choices'][right]}**"
    if correct:
        return f"✅ **Correct:** {right_text}."
    return (f"❌ **Not quite.** You chose {LETTERS[choice]}. {question['choices'][choice]}; "
            f"the answer is {right_text}.")


def _graded_lines(question: dict[str, Any], choice: int, correct: bool, hints: int, cleared: int,
                  due_in: str | None, topics: dict[str, TopicInfo]) -> list[str]:
    """Verdict, the specific mistake (wrong answers), the explanation and where to read more."""
    lines = [_verdict(question, choice, correct), ""]
    if not correct:
        lines += mistake_lines(question, choice, topics)
    lines += [question["explanation"]]
    if correct and cleared:
        lines += ["", "✔️ You got this one wrong before; that misconception is now cleared from `/progress`."]
    if correct and hints:
        lines += ["", "*You used " + ("the hint" if hints == 1 else "the hint and the passage")
                  + ", so this counts as a " + ("harder recall." if hints == 1 else "reading, not a recall.") + "*"]
    tail = f" You'll see this question again {due_in}." if due_in else ""
    lines += ["", f"📖 Tested: {_where(question, topics)} (read it with `/explain {question['topic']}`).{tail}"]
    return lines


def _answer_data(question: dict[str, Any], choice: int, correct: bool, rating: int, hints: int,
                 misconception: str, cleared: int, due: float | None) -> dict[str, Any]:
    return {"choice": choice, "correct": correct, "right_choice": int(question["answer"]), "rating": rating,
            "hints": hints, "due": due, "question_id": question["id"], "topic": question["topic"],
            "section": question["section"], "misconception": misconception or None, "cleared": cleared}


def feedback_reply(store: LearningStore, caller: Caller, payload: str, topics: dict[str, TopicInfo],
                   now: float | None = None) -> Reply:
    """Grade a button press, then show the explanation and the next question (or the summary)."""
    result: GradedAnswer = grade(store, caller, payload, now)
    question, index, choice = result.question, result.position, result.choice
    topic = topics.get(question["topic"])
    title = topic.title if topic else question["topic"]
    due_in = describe_interval(result.card.due - (now if now is not None else time.time()))
    lines = _graded_lines(question, choice, result.correct, result.hints, result.cleared, due_in, topics)
    session = result.session
    data: dict[str, Any] = {
        "answer": {"session": session.id, "index": index, "elapsed_s": round(result.elapsed_s, 3),
                   **_answer_data(question, choice, result.correct, result.rating, result.hints,
                                  result.misconception, result.cleared, result.card.due)},
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
        lines += ["", "———", "", session_summary(session, question)]
        data["finished"] = True
    return Reply(text="\n".join(lines), title="Correct" if result.correct else "Not quite",
                 sources=(Source(question["topic"], title, question["section"]),), actions=actions,
                 ephemeral=True, data=data)


# --------------------------------------------------------------------------- question of the day


def daily_payload(post_id: str, choice: int) -> str:
    return f"d:{post_id}:{choice}"


def daily_hint_payload(post_id: str) -> str:
    return f"dh:{post_id}"


def daily_question_reply(post: DailyPost, topics: dict[str, TopicInfo]) -> Reply:
    """The public message of the day: the question, one button per option and a hint button."""
    question = post.question
    topic = topics.get(question["topic"])
    answers = _answer_buttons(question, DAILY_COMMAND, lambda i: daily_payload(post.id, i))
    hint = Action(label=HINT_LABEL, command=DAILY_HINT_COMMAND, payload=daily_hint_payload(post.id), key=HINT_KEY)
    text = (f"{_question_block(question)}\n\nPress a button to answer: only you see your result, and a right "
            "answer counts toward this week's `/leaderboard`.")
    return Reply(text=text, title=f"Question of the day — {topic.title if topic else question['topic']}",
                 actions=(*answers, hint),
                 data={"daily": {"post": post.id, "day": post.day, "question_id": question["id"],
                                 "topic": question["topic"], "choices": list(question["choices"]),
                                 "payloads": [a.payload for a in answers]}})


def daily_hint_reply(post: DailyPost, level: int, answered: bool, topics: dict[str, TopicInfo]) -> Reply:
    question = post.question
    if answered:
        return Reply(text="You have already answered today's question; a new one comes tomorrow.",
                     title="Question of the day", ephemeral=True, data={"hint": {"post": post.id, "level": level}})
    actions = _answer_buttons(question, DAILY_COMMAND, lambda i: daily_payload(post.id, i))
    if level < HINT_STEPS:
        actions = (*actions, Action(label=PASSAGE_LABEL, command=DAILY_HINT_COMMAND,
                                    payload=daily_hint_payload(post.id), key=HINT_KEY))
    lines = [*hint_lines(question, level, topics), "", "———", "", _question_block(question)]
    return Reply(text="\n".join(lines), title="Question of the day — hint", actions=actions, ephemeral=True,
                 data={"hint": {"post": post.id, "level": level, "question_id": question["id"]}})


def daily_feedback_reply(result: DailyAnswer, topics: dict[str, TopicInfo], now: float | None = None) -> Reply:
    question = result.post.question
    if result.already:
        mark = "✅ right" if result.correct else "❌ not right"
        return Reply(text=f"You already answered today's question: you chose {LETTERS[result.choice]} ({mark}). "
                          "One answer per day; a new question comes tomorrow.",
                     title="Question of the day", ephemeral=True,
                     data={"answer": {"already": True, "choice": result.choice, "correct": result.correct}})
    assert result.card is not None
    due_in = describe_interval(result.card.due - (now if now is not None else time.time()))
    lines = _graded_lines(question, result.choice, result.correct, result.hints, result.cleared, due_in, topics)
    lines += ["", "It is in your `/review` queue now, like any quiz question; `/next` says what to study next."]
    topic = topics.get(question["topic"])
    return Reply(text="\n".join(lines), title="Correct" if result.correct else "Not quite", ephemeral=True,
                 sources=(Source(question["topic"], topic.title if topic else question["topic"], question["section"]),),
                 data={"answer": {"already": False, "post": result.post.id,
                                  **_answer_data(question, result.choice, result.correct, result.rating, result.hints,
                                                 result.misconception, result.cleared, result.card.due)}})


def session_summary(session: Session, last: dict[str, Any] | None = None) -> str:
    """The line that closes a finished quiz, review or check (``last``: its last question)."""
    if last is not None and last.get("check"):
        return ("Questions you miss come back within minutes, ones you know return in days: `/review` brings "
                "them back, `/next` says what to study next.")
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


def misconception_lines(items: list[Misconception], topics: dict[str, TopicInfo]) -> list[str]:
    """The misconceptions still open, most recent first, each with where to read and how to clear it."""
    if not items:
        return []
    lines = [f"**Misconceptions to fix** ({len(items)}): answer the question right again to clear one."]
    for item in items[:MAX_MISCONCEPTIONS_SHOWN]:
        where = topics.get(item.topic)
        lines.append(f"- {item.why_wrong} — you chose “{item.choice}” (*{where.title if where else item.topic}* — "
                     f"“{item.section}”, `/quiz {item.topic}`)")
    if len(items) > MAX_MISCONCEPTIONS_SHOWN:
        lines.append(f"…and {len(items) - MAX_MISCONCEPTIONS_SHOWN} more.")
    return lines


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
