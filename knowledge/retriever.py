"""Hybrid retrieval: FAISS (dense, cosine) + BM25 (keywords), fused with reciprocal-rank fusion.

RRF needs no score calibration between the two retrievers: each passage gets
``sum(1 / (RRF_K + rank))`` over the lists it appears in. The raw dense cosine of the best
passage is kept alongside, because "how close is the best evidence" is what abstention needs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.chunking import Chunk
from knowledge.corpus import ARTICLES_DIR, Article, load_articles
from knowledge.embedder import Embedder
from knowledge.index_store import ProgressFn, StoredIndex, load_or_build
from knowledge.keyword import KeywordIndex
from knowledge.query import normalize_query
from knowledge.spelling import SpellFixer, load_wordpiece_vocab

log = logging.getLogger(__name__)

RRF_K = 60
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


class KnowledgeBase:
    """The loaded articles, their index and the retrievers; one per process."""

    def __init__(self, stored: StoredIndex, embedder: Embedder, articles: list[Article]) -> None:
        self.stored = stored
        self.embedder = embedder
        self.articles = articles
        self.by_slug = {a.slug: a for a in articles}
        self.chunks = stored.chunks
        self.keyword = KeywordIndex([c.embedding_text() for c in self.chunks])
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

    def search(self, query: str, k: int = 5) -> SearchResult:
        """Best passages for ``query``, best first (at most two per article in the top ``k``, so
        one wordy article cannot crowd out the other candidates)."""
        text = self.spelling.correct(normalize_query(query))
        qvec = self.embedder.encode_one(text)
        n = len(self.chunks)
        dense_scores, dense_ids = self.stored.faiss_index.search(qvec[None, :], min(CANDIDATES, n))
        dense = {int(i): float(s) for i, s in zip(dense_ids[0], dense_scores[0]) if i >= 0}
        kw_all = self.keyword.scores(text)
        kw_order = np.argsort(-kw_all, kind="stable")[:CANDIDATES]
        fused: dict[int, float] = {}
        for rank, cid in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, cid in enumerate(int(i) for i in kw_order if kw_all[i] > 0):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        for cid in fused:
            fused[cid] *= SECTION_PRIOR.get(self.chunks[cid].section.split(" › ")[0], 1.0)
        order = sorted(fused, key=lambda cid: (-fused[cid], -dense.get(cid, -1.0)))
        ranked = _diversify(order, self.chunks, k)
        vectors = self.stored.faiss_index
        hits = []
        for cid in ranked:
            cos = dense.get(cid)
            if cos is None:
                cos = float(vectors.reconstruct(cid) @ qvec)
            hits.append(Hit(self.chunks[cid], fused[cid], cos, float(kw_all[cid])))
        best = float(dense_scores[0][0]) if n else 0.0
        uncovered_sims = self.stored.uncovered_vectors @ qvec
        if uncovered_sims.size:
            top = int(uncovered_sims.argmax())
            unc, subject = float(uncovered_sims[top]), self.stored.uncovered[top]
        else:
            unc, subject = 0.0, ""
        return SearchResult(query, hits, qvec, best, unc, subject)


def _diversify(order: list[int], chunks: list[Chunk], k: int) -> list[int]:
    picked: list[int] = []
    per_topic: dict[str, int] = {}
    deferred: list[int] = []
    for cid in order:
        topic = chunks[cid].topic
        if per_topic.get(topic, 0) < MAX_PER_TOPIC_IN_TOP:
            picked.append(cid)
            per_topic[topic] = per_topic.get(topic, 0) + 1
        else:
            deferred.append(cid)
        if len(picked) >= k:
            return picked
    return (picked + deferred)[:k]
