"""Commands over the articles: /ask, /search, /explain, /roadmap."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.commands.registry import Option, command
from bot.context import Caller
from bot.llm.streaming import Edit, throttle_edits
from bot.replies import hit_dict, hit_source, result_reply, small_talk_reply
from bot.reply import Reply, Source
from knowledge.answerer import LEVELS
from knowledge.gaps import DIRECT_MESSAGES
from knowledge.query import MAX_QUERY_CHARS, is_small_talk, validate_query
from knowledge.topics import ROADMAP, resolve_topic, suggest_topics
from tools.text import clip_words

if TYPE_CHECKING:
    from bot.llm.backend import ToolRunner
    from bot.llm.conversation import Turn
    from bot.services import Services

log = logging.getLogger(__name__)

MAX_SEARCH_K = 20
SNIPPET_CHARS = 300

QUESTION = Option("question", "Your question, in plain words", required=True, max_length=MAX_QUERY_CHARS, rest_of_line=True)
LEVEL = Option("level", "How deep: beginner (intuition, no formulas), standard, deep (the math first)",
               choices=LEVELS)


def gap_scope(guild_id: int | None) -> int | None:
    """Where a question is filed in the gap log: its server, the local scope, or for a direct
    message (a negative, per-user notes scope) the one shared DM key, never the user's own."""
    return DIRECT_MESSAGES if guild_id is not None and guild_id < 0 else guild_id


def log_gap(services: Services, guild_id: int | None, question: str, best_score: float | None,
            kind: str = "abstained", ref: str | None = None, user_id: int | None = None) -> None:
    """Record an unanswered (or voted-down) question in the gap log; never fails the answer.
    ``user_id``: who logged it, so /forget-me can delete it."""
    try:
        services.gaps.record(gap_scope(guild_id), question, best_score, kind, ref, user_id)
    except Exception:
        log.warning("could not record a gap", exc_info=True)


async def ask_stream(services: Services, question: str, caller: Caller, history: Sequence[Turn] = (),
                     run_tool: ToolRunner | None = None, level: str | None = None) -> AsyncIterator[Edit]:
    """/ask for front ends that edit a message as the answer arrives (at most one edit a second);
    the last edit is final and carries the Reply. ``history``: earlier turns of the thread."""
    question = validate_query(question)
    if is_small_talk(question):
        reply = small_talk_reply()
        yield Edit(reply.text, final=True, reply=reply)
        return
    backend = await asyncio.to_thread(lambda: services.answer_backend)
    events = backend.stream_answer(question, history, run_tool=run_tool, guild_id=caller.guild_id, level=level)
    async for edit in throttle_edits(events):
        if edit.final and edit.result is not None and edit.result.answer.abstained:
            await asyncio.to_thread(log_gap, services, caller.guild_id, question, edit.result.answer.best_score,
                                    user_id=caller.user_id)
        if edit.final and edit.reply is not None:
            edit = replace(edit, reply=with_check(edit.reply))
        yield edit


def with_check(reply: Reply, topic: str | None = None) -> Reply:
    """The reply plus a "Quiz me on this" button: one bank question on a cited section (else the
    cited topic, or ``topic`` for an article). Abstentions and small talk get none."""
    from bot.commands.learning_replies import check_action, check_action_for  # the learning loop loads on demand

    if isinstance(reply.data, dict) and reply.data.get("abstained"):
        return reply
    action = check_action(topic) if topic else check_action_for(reply.sources)
    return reply if action is None else replace(reply, actions=(*reply.actions, action))


@command("ask", "Ask a concept question; answered from our articles, with sources", QUESTION, LEVEL,
         example="/ask why does my 20-layer sigmoid net stop learning?", wants_caller=True, wants_history=True,
         free_text=True, stream=ask_stream)
def ask(services: Services, question: str, caller: Caller, history: Sequence[Turn] = (),
        level: str | None = None) -> Reply:
    """``history``: the conversation so far (console session, Discord thread), oldest first; a
    short follow-up ("and for tanh?") is read together with the previous question."""
    question = validate_query(question)
    if is_small_talk(question):  # "hi", "thanks!", emoji: nothing to look up
        return small_talk_reply()
    result = services.answer_backend.answer(question, history, guild_id=caller.guild_id, level=level)
    if result.abstained:
        log_gap(services, caller.guild_id, question, result.answer.best_score, user_id=caller.user_id)
        return result_reply(result)
    return with_check(result_reply(result))


@command(
    "search",
    "Show the passages of our articles that best match a query",
    Option("query", "What to look for", required=True, max_length=MAX_QUERY_CHARS, rest_of_line=True),
    Option("k", "How many passages (1-20)", type=int, default=5, min_value=1, max_value=MAX_SEARCH_K),
    example="/search otsu threshold",
)
def search(services: Services, query: str, k: int = 5) -> Reply:
    result = services.kb.search(validate_query(query, "query"), k=k)
    lines = [f"**{i}. {hit.chunk.title} — {hit.chunk.section}**\n{clip_words(hit.chunk.text, SNIPPET_CHARS)}"
             for i, hit in enumerate(result.hits, 1)]
    return Reply(
        text="\n\n".join(lines) or "No passages found.",
        title=f"Search: {query[:200]}",
        sources=tuple(hit_source(h) for h in result.hits),
        passages=tuple(h.chunk.text for h in result.hits),
        data=[hit_dict(h) for h in result.hits],
    )


def suggest_articles(services: Services, typed: str) -> list[tuple[str, str]]:
    """Autocomplete for an article option: (title, slug) of the closest matches."""
    return [(article.title, article.slug) for article in suggest_topics(services.articles, typed)]


@command(
    "explain",
    "Read one of our articles",
    Option("topic", "Article slug or name, e.g. relu, batch-normalization", required=True, max_length=100,
           rest_of_line=True, suggest=suggest_articles),
    example="/explain batch-normalization",
    instant=True,
)
def explain(services: Services, topic: str) -> Reply:
    article = resolve_topic(services.articles, topic)
    demos = ", ".join(f"`{t}`" for t in article.tools) or "none"
    prereqs = ", ".join(article.prereqs) or "none"
    return with_check(Reply(
        text=article.body,
        title=article.title,
        sources=(Source(article.slug, article.title, ""),),
        data={
            "topic": article.slug,
            "title": article.title,
            "order": article.order,
            "prereqs": list(article.prereqs),
            "tools": list(article.tools),
            "summary": article.summary,
            "markdown": article.body,
        },
        extra={"footer": f"Prerequisites: {prereqs} · Demos: {demos}"},
    ), topic=article.slug)


@command("roadmap", "The study path: the 4-part training roadmap, then the other topics, and your progress",
         example="/roadmap", wants_caller=True)
def roadmap(services: Services, caller: Caller) -> Reply:
    articles = services.articles
    by_slug = {a.slug: a for a in articles}
    core = [by_slug[s] for s in ROADMAP if s in by_slug]
    rest = [a for a in articles if a.slug not in ROADMAP]
    lines = ["**Training roadmap** — read in this order:"]
    for i, article in enumerate(core, 1):
        lines.append(f"{i}. **{article.title}** (`{article.slug}`) — {article.summary}")
    lines.append("")
    lines.append("**Then, in any order:**")
    for article in rest:
        lines.append(f"- **{article.title}** (`{article.slug}`) — {article.summary}")
    lines.append("")
    lines.append("Read one with `/explain <topic>`; every article ends with a demo to run.")
    from bot.commands.learning_replies import progress_lines  # the learning loop loads on demand

    lines += ["", *progress_lines(services, caller)]
    data = [
        {"topic": a.slug, "title": a.title, "order": a.order, "roadmap": a.slug in ROADMAP,
         "prereqs": list(a.prereqs), "tools": list(a.tools), "summary": a.summary}
        for a in core + rest
    ]
    return Reply(text="\n".join(lines), title="Study roadmap", data=data)
