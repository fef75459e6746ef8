"""Commands over the articles: /ask, /search, /explain, /roadmap."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.commands.registry import Caller, Option, command
from bot.reply import Reply, Source
from bot.services import Services
from knowledge.answerer import Answer
from knowledge.query import MAX_QUERY_CHARS, is_small_talk, validate_query
from knowledge.retriever import Hit
from knowledge.topics import ROADMAP, resolve_topic

if TYPE_CHECKING:
    from bot.llm.backend import AnswerResult

log = logging.getLogger(__name__)

MAX_SEARCH_K = 20
SNIPPET_CHARS = 300


def hit_dict(hit: Hit) -> dict[str, object]:
    return {
        "topic": hit.chunk.topic,
        "title": hit.chunk.title,
        "section": hit.chunk.section,
        "score": round(hit.score, 6),
        "text": hit.chunk.text,
    }


def answer_reply(answer: Answer) -> Reply:
    """Citations of a server note show "Server note: <title> (by <author>)" (the chunk's title)."""
    sources = tuple(Source(c.chunk.topic, c.chunk.title, c.chunk.section) for c in answer.citations)
    data = {
        "answer": answer.text,
        "abstained": answer.abstained,
        "sources": [s.as_dict() for s in sources],
    }
    passages = tuple(f"[{c.number}] {c.chunk.title} — {c.chunk.section}\n{c.chunk.text}" for c in answer.citations)
    return Reply(
        text=answer.text,
        title="I don't know that one yet" if answer.abstained else answer.question[:200],
        sources=sources,
        passages=passages,
        data=data,
        answer_id=uuid.uuid4().hex[:12],
    )


QUESTION = Option("question", "Your question, in plain words", required=True, max_length=MAX_QUERY_CHARS, rest_of_line=True)


def result_reply(result: "AnswerResult") -> Reply:
    """The Reply for a backend's answer: exactly :func:`answer_reply` for a plain extractive
    answer; an LLM answer adds a note/footer, demo images and tables in ``extra``/``images``."""
    reply = answer_reply(result.answer)
    extra = result.reply_extra()
    if not (extra or result.images or result.tables):
        return reply
    return replace(reply, images=result.images, tables=result.tables, extra={**reply.extra, **extra})


@command("ask", "Ask a concept question; answered from our articles, with sources", QUESTION,
         example="/ask why does my 20-layer sigmoid net stop learning?", needs_knowledge=True, wants_caller=True)
def ask(services: Services, question: str, caller: Caller | None = None) -> Reply:
    question = validate_query(question)
    if is_small_talk(question):  # "hi", "thanks!", emoji: nothing to look up
        text = ("Hi! Ask me a concept question, for example *why does my 20-layer sigmoid net stop "
                "learning?*, or try `/roadmap` for the study path and `/help` for the demos.")
        return Reply(text=text, title="ML tutor", data={"answer": text, "abstained": True, "sources": []})
    guild_id = caller.guild_id if caller is not None else None
    backend = services.answer_backend
    result = backend.answer(question) if guild_id is None else backend.answer(question, guild_id=guild_id)
    if result.abstained:
        log_gap(services, guild_id, question, result.answer.best_score)
    return result_reply(result)


def log_gap(services: Services, guild_id: int | None, question: str, best_score: float | None,
            kind: str = "abstained", ref: str | None = None) -> None:
    """Record an unanswered (or voted-down) question in the gap log; never fails the answer."""
    try:
        services.gaps.record(guild_id, question, best_score, kind, ref)
    except Exception:
        log.warning("could not record a gap", exc_info=True)


@command(
    "search",
    "Show the passages of our articles that best match a query",
    Option("query", "What to look for", required=True, max_length=MAX_QUERY_CHARS, rest_of_line=True),
    Option("k", "How many passages (1-20)", type=int, default=5, min_value=1, max_value=MAX_SEARCH_K),
    example="/search otsu threshold",
    needs_knowledge=True,
)
def search(services: Services, query: str, k: int = 5) -> Reply:
    result = services.kb.search(validate_query(query, "query"), k=k)
    lines = []
    for i, hit in enumerate(result.hits, 1):
        snippet = " ".join(hit.chunk.text.split())
        if len(snippet) > SNIPPET_CHARS:
            snippet = snippet[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"
        lines.append(f"**{i}. {hit.chunk.title} — {hit.chunk.section}**\n{snippet}")
    return Reply(
        text="\n\n".join(lines) or "No passages found.",
        title=f"Search: {query[:200]}",
        sources=tuple(Source(h.chunk.topic, h.chunk.title, h.chunk.section) for h in result.hits),
        passages=tuple(h.chunk.text for h in result.hits),
        data=[hit_dict(h) for h in result.hits],
    )


@command(
    "explain",
    "Read one of our articles",
    Option("topic", "Article slug or name, e.g. relu, batch-normalization", required=True, max_length=100,
           rest_of_line=True),
    example="/explain batch-normalization",
    instant=True,
)
def explain(services: Services, topic: str) -> Reply:
    article = resolve_topic(services.articles, topic)
    demos = ", ".join(f"`{t}`" for t in article.tools) or "none"
    prereqs = ", ".join(article.prereqs) or "none"
    return Reply(
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
    )


@command("roadmap", "The study path: the 4-part training roadmap, then the other topics, and your progress",
         example="/roadmap", wants_caller=True)
def roadmap(services: Services, caller: Caller | None = None) -> Reply:
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
    if caller is not None:
        from bot.learning.progress import progress_lines

        lines += ["", *progress_lines(services, caller)]
    data = [
        {"topic": a.slug, "title": a.title, "order": a.order, "roadmap": a.slug in ROADMAP,
         "prereqs": list(a.prereqs), "tools": list(a.tools), "summary": a.summary}
        for a in core + rest
    ]
    return Reply(text="\n".join(lines), title="Study roadmap", data=data)
