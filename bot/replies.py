"""Replies built from knowledge results: an answer, a backend's answer, a search hit.

A leaf module (it imports only :mod:`bot.reply` and :mod:`knowledge`), so the ``ask`` command
and the LLM layer's stream events both build the same Reply without importing each other.
The ``data`` of an answer is what ``tutor ask --json`` prints: add new fields here.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, Protocol

from bot.reply import Image, Reply, Source, Table
from knowledge.answerer import Answer
from knowledge.retriever import Hit

SMALL_TALK_TEXT = ("Hi! Ask me a concept question, for example *why does my 20-layer sigmoid net stop "
                   "learning?*, or try `/roadmap` for the study path and `/help` for the demos.")


class BackendAnswer(Protocol):
    """What :func:`result_reply` needs of a backend's result (:class:`bot.llm.backend.AnswerResult`)."""

    @property
    def answer(self) -> Answer: ...

    @property
    def images(self) -> tuple[Image, ...]: ...

    @property
    def tables(self) -> tuple[Table, ...]: ...

    def reply_extra(self) -> dict[str, Any]: ...

    def reply_data(self) -> dict[str, Any]:
        """Fields for ``data`` (what ``--json`` prints): ``generated_by``, ``fallback``, …"""
        ...


def hit_dict(hit: Hit) -> dict[str, object]:
    return {
        "topic": hit.chunk.topic,
        "title": hit.chunk.title,
        "section": hit.chunk.section,
        "score": round(hit.score, 6),
        "text": hit.chunk.text,
    }


def hit_source(hit: Hit) -> Source:
    return Source(hit.chunk.topic, hit.chunk.title, hit.chunk.section)


def answer_reply(answer: Answer) -> Reply:
    """Citations of a server note show "Server note: <title> (by <author>)" (the chunk's title)."""
    sources = tuple(Source(c.chunk.topic, c.chunk.title, c.chunk.section) for c in answer.citations)
    data = {
        "answer": answer.text,
        "abstained": answer.abstained,
        "sources": [s.as_dict() for s in sources],
        "level": answer.level,
        "computed": [c.as_dict() for c in answer.computed.computations],
        "answer_source": answer.source,
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


def result_reply(result: BackendAnswer) -> Reply:
    """The Reply for a backend's answer: exactly :func:`answer_reply` for a plain extractive
    answer (plus ``generated_by``/``fallback`` in ``data``); an LLM answer adds a note/footer,
    demo images and tables in ``extra``/``images``."""
    reply = answer_reply(result.answer)
    reply = replace(reply, data={**reply.data, **result.reply_data()})
    extra = result.reply_extra()
    if not (extra or result.images or result.tables):
        return reply
    return replace(reply, images=result.images, tables=result.tables, extra={**reply.extra, **extra})


def small_talk_reply() -> Reply:
    """"hi", "thanks!", an emoji: nothing to look up, so a pointer to what the bot can do."""
    return Reply(text=SMALL_TALK_TEXT, title="ML tutor",
                 data={"answer": SMALL_TALK_TEXT, "abstained": True, "sources": []})
