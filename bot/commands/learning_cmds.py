"""The learning loop: /quiz, /review, /next, /progress, /leaderboard, /forget-me and the buttons.

Buttons are :class:`~bot.reply.Action` s that run hidden commands: ``action quiz`` with the
payload ``q:<session_id>:<index>:<choice>`` (an answer; its feedback is ephemeral and carries the
next question), ``action hint`` with ``h:<session_id>:<index>`` (the hint, then the passage) and
``action checkme`` with ``c:<topic>[:<sections>]`` ("Quiz me on this" under an answer or an
article). State lives in ``<data_dir>/learning.db`` (see :mod:`bot.learning.store`).
"""

from __future__ import annotations

import re
import time

from typing import TYPE_CHECKING

from bot.commands.learning_replies import (
    ACTION_COMMAND, CHECK_COMMAND, HINT_COMMAND, TopicInfo, feedback_reply, hint_reply, misconception_lines,
    progress_summary, question_reply, topic_line,
)
from bot.commands.registry import ACTION_PREFIX, Option, all_commands, command
from bot.context import CONSOLE, Caller, private_scope
from bot.learning.next_step import DONE, NEW, REVIEW, WEAK, NextStep, compute_next_step
from bot.learning.progress import compute_progress, week_start
from bot.learning.quiz import (
    DEFAULT_QUESTIONS, MAX_QUESTIONS, MIN_QUESTIONS, start_check, start_quiz, start_review,
)
from bot.learning.scheduler import describe_interval
from bot.learning.store import store_for
from bot.reply import Image, Reply, Table
from knowledge.quiz_bank import load_bank
from knowledge.topics import resolve_topic
from tools.errors import UserInputError

if TYPE_CHECKING:
    from bot.services import Services

LEADERBOARD_SIZE = 10


def _topics(services: Services) -> dict[str, TopicInfo]:
    return {a.slug: TopicInfo(a.slug, a.title) for a in services.articles}


_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()])")


def _plain_name(user_id: int, display_name: str) -> str:
    name = " ".join(display_name.split())[:40]
    return name or f"user …{str(user_id)[-4:]}"


def _name(user_id: int, display_name: str) -> str:
    """A display name safe to put in Markdown text (names are chosen by users)."""
    return _MARKDOWN.sub(r"\\\1", _plain_name(user_id, display_name))


@command(
    "quiz",
    "Quiz yourself on a topic: answer with buttons, get the explanation, review later",
    Option("topic", "Topic slug or name, e.g. relu (default: your next topic on the roadmap)", max_length=100,
           rest_of_line=True),
    Option("count", f"How many questions ({MIN_QUESTIONS}-{MAX_QUESTIONS})", type=int, default=DEFAULT_QUESTIONS,
           min_value=MIN_QUESTIONS, max_value=MAX_QUESTIONS),
    example="/quiz topic:relu count:5",
    wants_caller=True,
)
def quiz(services: Services, caller: Caller, topic: str | None = None, count: int = DEFAULT_QUESTIONS) -> Reply:
    if isinstance(count, bool) or not isinstance(count, int) or not MIN_QUESTIONS <= count <= MAX_QUESTIONS:
        raise UserInputError(f"count must be a whole number from {MIN_QUESTIONS} to {MAX_QUESTIONS} (got {count!r})")
    bank = load_bank()
    store = store_for(services)
    if topic and topic.strip():
        slug = resolve_topic(services.articles, topic).slug
        if slug not in bank:
            raise UserInputError(f"there is no quiz for {slug} yet; quizzes exist for: {', '.join(sorted(bank))}")
        intro = ""
    else:
        progress = compute_progress(store, caller.user_id, services.articles)
        nxt = progress.next_topic
        slug = nxt.slug if nxt is not None else next(iter(t.slug for t in progress.topics if t.bank_size))
        intro = f"Next on your roadmap: **{_topics(services)[slug].title}** (pick another with `/quiz <topic>`)."
    session = start_quiz(store, caller, slug, count)
    reply = question_reply(session, _topics(services), intro)
    return Reply(text=reply.text, title=reply.title, actions=reply.actions,
                 data={**reply.data, "session": session.id, "topic": slug, "count": session.total})


@command("review", "Review the quiz questions that are due (spaced repetition)", example="/review",
         wants_caller=True)
def review(services: Services, caller: Caller) -> Reply:
    store = store_for(services)
    now = time.time()
    session = start_review(store, caller, now)
    if session is None:
        upcoming = [row.card.due for row in store.cards(caller.user_id) if row.card.due > now]
        when = f" Your next review is due {describe_interval(min(upcoming) - now)}." if upcoming else ""
        return Reply(text=f"Nothing is due for review right now.{when} Learn new questions with `/quiz <topic>`.",
                     title="Nothing to review", ephemeral=True, data={"due": 0, "next_due": min(upcoming, default=None)})
    reply = question_reply(session, _topics(services), f"{session.total} question{'s' if session.total != 1 else ''} "
                                                       "due for review.")
    return Reply(text=reply.text, title=reply.title, actions=reply.actions,
                 data={**reply.data, "session": session.id, "due": session.total})


@command("progress", "Your progress: topics mastered along the roadmap, reviews due, streak (with a chart)",
         example="/progress", wants_caller=True)
def progress(services: Services, caller: Caller) -> Reply:
    from bot.learning.charts import render_progress

    store = store_for(services)
    result = compute_progress(store, caller.user_id, services.articles)
    mistakes = store.misconceptions(caller.user_id)
    lines = [f"**{progress_summary(result)}** · {result.correct_total} of {result.answered_total} answers correct", ""]
    lines += [topic_line(t) for t in result.topics]
    if mistakes:
        lines += ["", *misconception_lines(mistakes, _topics(services))]
    nxt = result.next_topic
    if result.answered_total == 0:
        lines += ["", f"No answers yet: start with `/quiz {nxt.slug if nxt else ''}`."]
    elif nxt is not None:
        lines += ["", f"Next up: `/quiz {nxt.slug}`" + (" · reviews waiting: `/review`" if result.due_total else "")
                  + " · `/next` for the one best step"]
    png = render_progress(result, caller.display_name)
    data = result.to_dict()
    data["misconceptions"] = [{"question_id": m.question_id, "topic": m.topic, "section": m.section,
                               "choice": m.choice, "why_wrong": m.why_wrong, "times": m.times} for m in mistakes]
    return Reply(text="\n".join(lines), title="Your progress", ephemeral=True,
                 images=(Image("progress.png", png, "Learned share per topic and answers per day"),),
                 data=data)


def demo_usage(tool: str, frontend: str = CONSOLE) -> str | None:
    """How a student runs the demo ``tool`` on ``frontend`` ("/plot gradient-flow"), from the registry."""
    spec = next((s for s in all_commands().values() if s.cli == f"demo {tool}" and not s.hidden), None)
    return f"/{spec.name_on(frontend)}" if spec is not None else None


def _duration(days: float) -> str:
    """FSRS stability in words: '40 minutes', '5 hours', '3 days'."""
    hours = days * 24
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if hours < 36:
        return f"{round(hours)} hour{'s' if round(hours) != 1 else ''}"
    return f"{round(days)} days"


def next_step_text(step: NextStep, frontend: str) -> list[str]:
    """The step in words: what to do, why, which section to read and which demo shows it."""
    if step.kind == DONE:
        when = (f" Your next review is due {describe_interval(step.next_due - time.time())}."
                if step.next_due else "")
        return [f"🎉 Every topic with a quiz is mastered and nothing is due.{when} Keep it fresh with `/review` "
                "when reviews come up, or browse `/roadmap`."]
    if step.kind == REVIEW:
        lines = [f"**Review {step.due} question{'s' if step.due != 1 else ''} that {'are' if step.due != 1 else 'is'} "
                 f"due:** `/review`.", "Reviews come first: FSRS scheduled them for right before you are likely to "
                 "forget, so they hold what you learned with the least effort."]
    elif step.kind == WEAK:
        lines = [f"**Strengthen {step.title}:** `/quiz {step.topic}`.",
                 "It is the weakest topic you have started: by FSRS's estimate you stay 90% likely to recall "
                 f"its answers for only about {_duration(step.stability_days or 0.0)}."]
    else:
        lines = [f"**Start {step.title}:** `/explain {step.topic}`, then `/quiz {step.topic}`.",
                 "It is the next topic on your roadmap that you have not studied yet."]
    if step.section:
        lines.append(f"📖 Read: *{step.title}* — section “{step.section}” (`/explain {step.topic}`).")
    demo = next((u for u in (demo_usage(t, frontend) for t in step.tools) if u), None)
    if demo:
        lines.append(f"🧪 See it: `{demo}` shows it on real numbers.")
    return lines


@command("next", "The one best next step: due reviews, then your weakest topic, then the next new one",
         example="/next", wants_caller=True, ephemeral=True)
def next_step(services: Services, caller: Caller) -> Reply:
    step = compute_next_step(store_for(services), caller.user_id, services.articles)
    titles = {REVIEW: "Next: your reviews", WEAK: "Next: strengthen a topic", NEW: "Next: a new topic",
              DONE: "All caught up"}
    return Reply(text="\n".join(next_step_text(step, caller.frontend)), title=titles[step.kind], ephemeral=True,
                 data=step.to_dict())


@command("leaderboard", "This week's quiz leaderboard for this server (correct answers)", example="/leaderboard",
         wants_caller=True, server_only=True)
def leaderboard(services: Services, caller: Caller) -> Reply:
    store = store_for(services)
    now = time.time()
    since = week_start(now)
    week = time.strftime("%Y-%m-%d", time.gmtime(since))
    if caller.guild_id is None:
        answered, correct = store.user_totals(caller.user_id, since)
        return Reply(text=f"Leaderboards are per server: run `/leaderboard` in a server channel. This week you answered "
                          f"{answered} question{'s' if answered != 1 else ''}, {correct} correctly.",
                     title=f"Leaderboard — week of {week} (UTC)", ephemeral=True,
                     data={"week_start": since, "guild": None, "you": {"answered": answered, "correct": correct}})
    rows = store.leaderboard(caller.guild_id, since, LEADERBOARD_SIZE)
    if not rows:
        return Reply(text="Nobody has answered a quiz on this server this week yet. Be the first: `/quiz`.",
                     title=f"Leaderboard — week of {week} (UTC)",
                     data={"week_start": since, "guild": caller.guild_id, "rows": []})
    medals = {1: "🥇", 2: "🥈", 3: "🥉"}
    lines = [f"{medals.get(i, f'{i}.')} **{_name(uid, name)}** — {c} correct of {n}"
             for i, (uid, name, c, n) in enumerate(rows, 1)]
    mine = store.user_rank(caller.guild_id, since, caller.user_id)
    if mine is not None and mine[0] > len(rows):
        lines.append(f"… you are #{mine[0]} with {mine[1]} correct of {mine[2]}.")
    elif mine is None:
        lines.append("You have no answers this week: `/quiz` to join in.")
    table = Table(("#", "student", "correct", "answered"),
                  tuple((str(i), _plain_name(uid, name), str(c), str(n))
                        for i, (uid, name, c, n) in enumerate(rows, 1)))
    return Reply(text="\n".join(lines), title=f"Leaderboard — week of {week} (UTC)", tables=(table,),
                 data={"week_start": since, "guild": caller.guild_id,
                       "rows": [{"rank": i, "user_id": uid, "name": _plain_name(uid, name), "correct": c,
                                 "answered": n}
                                for i, (uid, name, c, n) in enumerate(rows, 1)],
                       "you": None if mine is None else {"rank": mine[0], "correct": mine[1], "answered": mine[2]}})


@command("forget-me", "Delete all your data: quiz answers, reviews, progress, votes, usage (needs confirm:true)",
         Option("confirm", "true to really delete everything (cannot be undone)", type=bool, default=False),
         example="/forget-me confirm:true", wants_caller=True, ephemeral=True, anonymous_usage=True)
def forget_me(services: Services, caller: Caller, confirm: bool = False) -> Reply:
    store = store_for(services)
    if not confirm:
        counts = store.user_row_counts(caller.user_id)
        return Reply(
            text=(f"This deletes all your data: {counts['answers']} quiz answers, {counts['cards']} review cards, "
                  f"{counts['sessions']} quiz sessions, {counts.get('misconceptions', 0)} noted misconceptions and "
                  f"{counts.get('daily_responses', 0)} question-of-the-day answers, your saved /ask answers, votes and usage records, "
                  "your unanswered questions in the gap log and your turns in thread conversations, and "
                  "removes you from every leaderboard. Server notes you wrote stay for the server, shown as "
                  f"by {FORMER_MEMBER}. It cannot be undone. To go ahead, run `/forget-me confirm:true`."),
            title="Forget me?", ephemeral=True, data={"deleted": False, "would_delete": counts})
    counts = store.forget_user(caller.user_id)
    refs, bot_counts = _forget_bot_records(services, caller.user_id)
    notes_counts = _forget_notes_and_gaps(services, caller.user_id, refs)
    turns = services.conversations.forget_user(caller.user_id)
    return Reply(text=(f"Done: deleted {counts['answers']} quiz answers, {counts['cards']} review cards, "
                       f"{counts['sessions']} quiz sessions, {counts.get('misconceptions', 0)} noted misconceptions, "
                       f"{counts.get('daily_responses', 0)} question-of-the-day answers, {bot_counts['answers']} saved /ask answers, "
                       f"{bot_counts['votes']} votes, {bot_counts['usage']} usage records, "
                       f"{notes_counts['gaps']} gap-log questions and {turns} conversation turns. "
                       f"{notes_counts['notes_kept']} server notes you wrote stay, now by {FORMER_MEMBER}. "
                       "Nothing else about you is left."),
                 title="Forgotten", ephemeral=True,
                 data={"deleted": True, "counts": counts, "bot_records": bot_counts,
                       "notes": notes_counts, "conversation_turns": turns})


FORMER_MEMBER = "a former member"


def _forget_bot_records(services: Services, user_id: int) -> tuple[list[str], dict[str, int]]:
    """The chat front end's own records (saved answers, 👍/👎, usage) go too; returns the ids of
    the saved answers first (a 👎 on one put its question in the gap log)."""
    if not services.settings.database_path.exists():  # never used a chat front end: nothing to delete
        return [], {"answers": 0, "votes": 0, "usage": 0}
    refs = services.chat_store.answer_ids_of(user_id)
    return refs, services.chat_store.forget_user(user_id)


def _forget_notes_and_gaps(services: Services, user_id: int, refs: list[str]) -> dict[str, int]:
    """Gap-log questions they asked (or put there), notes of their private DM scope, and their
    name and id on server notes (the notes stay: they belong to the server)."""
    if not services.settings.notes_db_path.exists():
        return {"gaps": 0, "notes_kept": 0, "private_notes": 0}
    scope = private_scope(user_id)
    gaps = services.gaps.forget_user(user_id, refs, scopes=(scope,))
    private = services.notes.drop_scope(scope)
    kept = services.notes.rename_author(user_id, FORMER_MEMBER)
    return {"gaps": gaps, "notes_kept": kept, "private_notes": private}


@command(f"{ACTION_PREFIX}{ACTION_COMMAND}", "Answer a quiz question (button)",
         Option("payload", "q:<session>:<index>:<choice>", required=True, max_length=80),
         hidden=True, wants_caller=True)
def answer_button(services: Services, caller: Caller, payload: str) -> Reply:
    return feedback_reply(store_for(services), caller, payload, _topics(services))


@command(f"{ACTION_PREFIX}{HINT_COMMAND}", "Show a hint, then the passage, for a quiz question (button)",
         Option("payload", "h:<session>:<index>", required=True, max_length=80),
         hidden=True, wants_caller=True)
def hint_button(services: Services, caller: Caller, payload: str) -> Reply:
    return hint_reply(store_for(services), caller, payload, _topics(services))


@command(f"{ACTION_PREFIX}{CHECK_COMMAND}", "Quiz me on this: one question on what you just read (button)",
         Option("payload", "c:<topic>[:<sections>]", required=True, max_length=80),
         hidden=True, wants_caller=True)
def check_button(services: Services, caller: Caller, payload: str) -> Reply:
    session = start_check(store_for(services), caller, payload)
    reply = question_reply(session, _topics(services), "Check yourself on what you just read:")
    return Reply(text=reply.text, title=reply.title, actions=reply.actions, ephemeral=True,
                 data={**reply.data, "session": session.id, "topic": session.topic})
