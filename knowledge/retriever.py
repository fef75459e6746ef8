"""Hybrid retrieval: FAISS (dense, cosine) + BM25 (keywords), fused with reciprocal-rank fusion.

RRF needs no score calibration between the two retrievers: each passage gets
``sum(1 / (RRF_K + rank))`` over the lists it appears in. The raw dense cosine of the best
passage is kept alongside, because "how close is the best evidence" is what abstention needs.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.chunking import Chunk
from knowledge.corpus import ARTICLES_DIR, Article, load_articles
from knowledge.embedder import Embedder
from knowledge.index_store import ProgressFn, StoredIndex, load_or_build
from knowledge.keyword import KeywordIndex
from knowledge.notes import NoteChunk, NoteHits, NoteStore
from knowledge.query import normalize_query
from knowledge.spelling import SpellFixer, load_wordpiece_vocab

log = logging.getLogger(__name__)

RRF_K = 60
# Keyword ranks count a little less than dense ones in the fusion: BM25 also rewards filler words
# ("way too slow") that say nothing about the topic. Picked on the dev split (0.5 / 0.7 / 1.0).
KEYWORD_WEIGHT = 0.7

CANDIDATES = 30
MAX_PER_TOPIC_IN_TOP = 2
# "Try it" sections describe demo commands in the same words as the concepts ("train a 20-layer
# sigmoid net…") and would outrank the explanation itself; they still surface when asked for.
SECTION_PRIOR = {"Try it": 0.6}


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused RRF score (ranking)
    dense: float  # cosine similarity of query and passage
    keyword: float  # BM25 score


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    query_vector: np.ndarray
    best_dense: float  # best cosine over all passages: evidence strength
    best_uncovered: float = 0.0  # best cosine to a subject we know we do not cover
    uncovered_subject: str = ""
    best_keyword: float = 0.0  # best BM25 score over all passages, returned among the hits or not


class KnowledgeBase:
    """The loaded articles, their index and the retrievers; one per process."""

    def __init__(self, stored: StoredIndex, embedder: Embedder, articles: list[Article]) -> None:
        self.stored = stored
        self.embedder = embedder
        self.articles = articles
        self.by_slug = {a.slug: a for a in articles}
        self.chunks = stored.chunks
        self.keyword = KeywordIndex([c.embedding_text() for c in self.chunks])
        self.notes: NoteStore | None = None  # server notes, searched per guild (see knowledge.notes)
        self._keyword_cache: dict[int, tuple[int, KeywordIndex, list[int]]] = {}
        self.spelling = SpellFixer(
            (c.embedding_text() for c in self.chunks), load_wordpiece_vocab(embedder.model_dir)
        )

    @classmethod
    def open(
        cls,
        index_dir: Path,
        embedder: Embedder,
        articles_dir: Path = ARTICLES_DIR,
        progress: ProgressFn | None = None,
    ) -> "KnowledgeBase":
        stored = load_or_build(index_dir, embedder, articles_dir, progress)
        return cls(stored, embedder, load_articles(articles_dir))

    def search(self, query: str, k: int = 5, guild_id: int | None = None) -> SearchResult:
        """Best passages for ``query``, best first (at most two per article in the top ``k``, so
        one wordy article cannot crowd out the other candidates).

        The server notes of ``guild_id`` (``None``: the local console/CLI notes) are searched too
        and pooled into the same dense and keyword rankings before fusion; another guild's notes
        never are. Without notes this is exactly the article search. Note passages have negative
        keys (``chunk.id == -faiss_id``)."""
        text = self.spelling.correct(normalize_query(query))
        qvec = self.embedder.encode_one(text)
        n = len(self.chunks)
        dense_scores, dense_ids = self.stored.faiss_index.search(qvec[None, :], min(CANDIDATES, n))
        dense = {int(i): float(s) for i, s in zip(dense_ids[0], dense_scores[0]) if i >= 0}
        best = float(dense_scores[0][0]) if n else 0.0
        notes = self.notes.search(guild_id, qvec, CANDIDATES) if self.notes is not None else None
        note_chunks: dict[int, Chunk] = {}
        note_pos: dict[int, int] = {}
        if notes is None:
            kw_all = self.keyword.scores(text)
        else:
            # One pooled ranking per retriever: cosines are comparable as they are; BM25 is
            # computed over articles + this guild's notes together (one corpus, one IDF).
            keyword_index, note_keys = self._guild_keyword(notes)
            kw_all = keyword_index.scores(text)
            note_pos = {key: n + i for i, key in enumerate(note_keys)}
            note_chunks = {-fid: chunk for fid, chunk in notes.chunks.items()}
            pooled = {**dense, **{-fid: cos for fid, cos in notes.dense.items()}}
            dense = dict(sorted(pooled.items(), key=lambda kv: -kv[1])[:CANDIDATES])
            best = max(best, notes.best_dense)
        positions = {pos: key for key, pos in note_pos.items()}
        kw_order = np.argsort(-kw_all, kind="stable")[:CANDIDATES]
        keyword = [positions.get(int(i), int(i)) for i in kw_order if kw_all[i] > 0]

        def chunk_of(cid: int) -> Chunk:
            return self.chunks[cid] if cid >= 0 else note_chunks[cid]

        fused: dict[int, float] = {}
        for rank, cid in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, cid in enumerate(keyword):
            fused[cid] = fused.get(cid, 0.0) + KEYWORD_WEIGHT / (RRF_K + rank + 1)
        for cid in fused:
            fused[cid] *= SECTION_PRIOR.get(chunk_of(cid).section.split(" › ")[0], 1.0)
        order = sorted(fused, key=lambda cid: (-fused[cid], -dense.get(cid, -1.0)))
        ranked = _diversify(order, chunk_of, k)
        vectors = self.stored.faiss_index
        hits = []
        for cid in ranked:
            cos = dense.get(cid)
            if cos is None:
                cos = float(vectors.reconstruct(cid) @ qvec) if cid >= 0 else notes.cosine(-cid, qvec)
            kw = float(kw_all[cid if cid >= 0 else note_pos[cid]])
            hits.append(Hit(chunk_of(cid), fused[cid], cos, kw))
        uncovered_sims = self.stored.uncovered_vectors @ qvec
        if uncovered_sims.size:
            top = int(uncovered_sims.argmax())
            unc, subject = float(uncovered_sims[top]), self.stored.uncovered[top]
        else:
            unc, subject = 0.0, ""
        return SearchResult(query, hits, qvec, best, unc, subject, float(kw_all.max()) if kw_all.size else 0.0)

    def _guild_keyword(self, notes: "NoteHits") -> tuple[KeywordIndex, list[int]]:
        """BM25 over the articles and one guild's notes, rebuilt when that guild's notes change."""
        cached = self._keyword_cache.get(notes.guild)
        if cached is not None and cached[0] == notes.version:
            return cached[1], cached[2]
        fids = sorted(notes.chunks)
        texts = [c.embedding_text() for c in self.chunks] + [notes.chunks[f].embedding_text() for f in fids]
        index, keys = KeywordIndex(texts), [-f for f in fids]
        self._keyword_cache[notes.guild] = (notes.version, index, keys)
        return index, keys

    def with_notes(self, notes: "NoteStore | None") -> "KnowledgeBase":
        """This knowledge base (same index, model and articles) over another note store."""
        clone = copy.copy(self)
        clone.notes = notes
        clone._keyword_cache = {}
        return clone


def _diversify(order: list[int], chunk_of: Callable[[int], Chunk], k: int) -> list[int]:
    picked: list[int] = []
    per_topic: dict[str, int] = {}
    deferred: list[int] = []
    for cid in order:
        chunk = chunk_of(cid)
        topic = f"note:{chunk.note_id}" if isinstance(chunk, NoteChunk) else chunk.topic
        if per_topic.get(topic, 0) < MAX_PER_TOPIC_IN_TOP:
            picked.append(cid)
            per_topic[topic] = per_topic.get(topic, 0) + 1
        else:
            deferred.append(cid)
        if len(picked) >= k:
            return picked
    return (picked + deferred)[:k]
