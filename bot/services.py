"""Long-lived, lazily loaded resources the commands share (one per process).

Loading the embedding model and the index takes seconds, so it happens once, on first use (or
eagerly via :meth:`Services.warm_up` when a bot starts), never per command.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from bot.settings import Settings, get_settings
from knowledge.answerer import DEFAULT_ABSTAIN_THRESHOLD, DEFAULT_UNCOVERED_MARGIN, ExtractiveAnswerer
from knowledge.corpus import ARTICLES_DIR, Article, load_articles
from knowledge.index_store import ProgressFn
from knowledge.retriever import KnowledgeBase

if TYPE_CHECKING:
    from bot.llm.backend import AnswerBackend
    from bot.llm.conversation import ConversationStore
    from bot.runtime.server_settings import ServerSettings
    from bot.runtime.storage import Store
    from knowledge.gaps import GapLog
    from knowledge.notes import NoteStore


class Services:
    def __init__(self, settings: Settings | None = None, progress: ProgressFn | None = None) -> None:
        self.settings = settings or get_settings()
        if self.settings.model_cache is not None:
            # knowledge/onnx_export.py reads it from the environment, as do the processes this
            # one starts (workers, the background encoder): a value from .env must reach them too
            os.environ["TUTOR_MODEL_CACHE"] = str(self.settings.model_cache)
        self._progress = progress
        self._lock = threading.Lock()
        self._chat_store: Store | None = None
        self._chat_store_lock = threading.Lock()
        self.clock: Callable[[], float] = time.time  # Unix time for schedules (tests move it, never sleep)

    @property
    def articles_dir(self):
        return self.settings.articles_dir or ARTICLES_DIR

    @cached_property
    def articles(self) -> list[Article]:
        return load_articles(self.articles_dir)

    @cached_property
    def kb(self) -> KnowledgeBase:
        from knowledge.embedder import get_embedder

        with self._lock:
            embedder = get_embedder(self.settings.embedding_model_dir)
            kb = KnowledgeBase.open(self.settings.index_dir, embedder, self.articles_dir, self._progress)
        kb.notes = self.notes
        return kb

    @cached_property
    def notes(self) -> "NoteStore":
        """Server notes (SQLite + per-guild index), checked against each other on open."""
        from knowledge.embedder import get_embedder
        from knowledge.notes import NoteStore

        embedder = get_embedder(self.settings.embedding_model_dir)
        return NoteStore.open(self.settings.notes_db_path, embedder, self.settings.notes_index_dir,
                              {a.slug for a in self.articles})

    @cached_property
    def gaps(self) -> "GapLog":
        from knowledge.embedder import get_embedder
        from knowledge.gaps import GapLog

        return GapLog(self.settings.notes_db_path, get_embedder(self.settings.embedding_model_dir))

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        threshold = self.settings.abstain_threshold
        margin = self.settings.uncovered_margin
        from knowledge.abstention import AbstentionModel
        from knowledge.authored import AuthoredBank

        kb = self.kb
        authored = AuthoredBank.open(self.settings.index_dir, kb.embedder)
        # An explicit threshold in the environment means "use the simple cosine rule".
        abstention = AbstentionModel.load() if threshold is None and margin is None else None
        return ExtractiveAnswerer(
            kb,
            DEFAULT_ABSTAIN_THRESHOLD if threshold is None else threshold,
            DEFAULT_UNCOVERED_MARGIN if margin is None else margin,
            authored=authored,
            abstention=abstention,
        )

    @cached_property
    def answer_backend(self) -> "AnswerBackend":
        """How /ask answers: the extractive answerer, or an LLM over it when ``LLM_BASE_URL`` is set
        (its demo calls run in a thread here; the Discord bot passes its process pool per answer)."""
        from bot.llm.backend import build_backend, thread_tool_runner

        return build_backend(self.settings, self.answerer, thread_tool_runner(self, self.settings.tool_timeout_s))

    @cached_property
    def server_settings(self) -> "ServerSettings":
        """Per-server choices made on Discord (auto-threads, help forums), in ``tutor.db``."""
        from bot.runtime.server_settings import ServerSettings

        return ServerSettings(self.settings.database_path)

    @property
    def chat_store(self) -> "Store":
        """``tutor.db``: saved answers (for their buttons), 👍/👎 votes, usage. A chat front end
        sets its own store here; otherwise it is opened on first use (and again after a close)."""
        from bot.runtime.storage import Store

        with self._chat_store_lock:
            if self._chat_store is None or self._chat_store.closed:
                self._chat_store = Store(self.settings.database_path)
            return self._chat_store

    @chat_store.setter
    def chat_store(self, store: "Store") -> None:
        with self._chat_store_lock:
            self._chat_store = store

    @cached_property
    def conversations(self) -> "ConversationStore":
        """Follow-up memory: the earlier turns of each thread (in memory; /forget-me clears a user's)."""
        from bot.llm.conversation import ConversationStore

        return ConversationStore.from_settings(self.settings)

    def warm_up(self) -> None:
        """Load now what the first question or button would otherwise load on the bot's loop
        (call it in a thread at start): the model, the index, the answer backend, the quiz bank."""
        from knowledge.quiz_bank import load_bank

        answerer = self.answerer
        # the ONNX session is made on the first encode: make it (and run its first inference) here,
        # not in the first student's /search, where building it would hold the GIL the loop needs
        answerer.kb.embedder.encode_one("what is a vanishing gradient?")
        warm_backend = getattr(self.answer_backend, "warm_up", None)
        if warm_backend is not None:
            warm_backend()
        load_bank()

    async def open_clients(self) -> None:
        """Network clients for the running loop (the LLM's, when warm_up made the backend), made
        off the loop."""
        open_client = getattr(self.__dict__.get("answer_backend"), "open_client", None)
        if open_client is not None:
            await open_client()

    def prune(self, now: float | None = None) -> dict[str, int]:
        """Retention (at start and daily): ``tutor.db`` answers, votes and usage older than
        ``TUTOR_RETENTION_DAYS``; each server's gap log down to its cap."""
        counts: dict[str, int] = {}
        if self.settings.database_path.exists():
            counts.update(self.chat_store.prune(self.settings.retention_days * 86400.0, now))
        if self.settings.notes_db_path.exists():
            counts["gaps"] = self.gaps.trim()
        return counts

    def close(self) -> None:
        """Close every database this process opened through these services: ``tutor.db``,
        ``learning.db``, and ``notes.db`` (the notes and the gap log), and stop the embedder's
        helper process. Safe to call twice; a store used afterwards raises at once rather than
        waiting."""
        from bot.learning.store import DB_FILENAME, close_store

        for name in ("notes", "gaps", "server_settings"):
            resource = self.__dict__.get(name)
            if resource is not None:
                resource.close()
        with self._chat_store_lock:
            if self._chat_store is not None:
                self._chat_store.close()
        close_store(self.settings.data_dir / DB_FILENAME)
        kb = self.__dict__.get("kb")
        close_embedder = getattr(getattr(kb, "embedder", None), "close", None)
        if close_embedder is not None:
            close_embedder()  # its helper process for large uploads, if one runs

    async def aclose(self, stores: bool = True) -> None:
        """Close the LLM client of the running event loop (if one was made), then, with
        ``stores``, every database (:meth:`close`)."""
        import asyncio

        backend = self.__dict__.get("answer_backend")
        aclose = getattr(backend, "aclose", None)
        if aclose is not None:
            await aclose()
        if stores:
            await asyncio.to_thread(self.close)
