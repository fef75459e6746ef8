"""Grounded extractive answers: quote the most relevant sentences of our articles, with sources.

No generative model is involved, so the answer can only say what an article says. Sentences are
ranked by cosine similarity to the question (vectors precomputed at index time), lightly boosted
by the rank of the passage they come from; the best ones, up to ~120 words, are put back in
reading order. When the best evidence is weak the answerer abstains instead of guessing: the
threshold on the best passage cosine was calibrated on the dev split of ``eval/questions.jsonl``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from knowledge.chunking import Chunk
from knowledge.notes import NoteChunk
from knowledge.retriever import Hit, KnowledgeBase, SearchResult

# Abstain when the best passage cosine is below ABSTAIN_THRESHOLD, or when the question is closer
# (by more than UNCOVERED_MARGIN) to a subject we know we have no article on. Both calibrated by
# `tutor eval --calibrate` on the dev split.
DEFAULT_ABSTAIN_THRESHOLD = 0.345
DEFAULT_UNCOVERED_MARGIN = 0.06
MAX_ANSWER_WORDS = 120
MAX_SENTENCES = 5
PASSAGES_CONSIDERED = 3
MIN_SENTENCE_WORDS = 5
RANK_PENALTY = 0.04  # per passage rank: prefer the best passage's sentences on near ties
SKIP_SECTIONS = ("Try it",)
NOTE_SENTENCE_STRIDE = 100_000  # sentence ids of note passages (never clash with article ones)
MISCONCEPTION_PREFIX = "A common misconception is"
MISCONCEPTION_PENALTY = 0.10  # a framed false claim is context, not the answer: at most one, ranked lower
# Corrections in "Common misconceptions" answer a claim the student did not make; they lose ties
# to the explanation itself. "What is X?" prefers the article's own definition (its overview).
MISCONCEPTION_SECTION_PENALTY = 0.05
DEFINITION_BONUS = 0.06
# "It is the classic reason…" means nothing once quoted out of its paragraph.
DANGLING_PRONOUN = re.compile(r"^(it|this|that|these|those|they|its|their)\b", re.IGNORECASE)
_DEFINITION_QUESTION = re.compile(
    r"^\s*(what(?:'s| is| are| does)|whats|define|definition of|meaning of|explain|eli5|tell me about|"
    r"intro(?:duction)? to)\b", re.IGNORECASE)


def sentence_prior(section: str, definitional: bool) -> float:
    """Score adjustment for a sentence by where it sits in its article."""
    head = section.split(" › ")[0].lower()
    if "misconception" in head:
        return -MISCONCEPTION_SECTION_PENALTY
    if definitional and head == "overview":
        return DEFINITION_BONUS
    return 0.0


@dataclass(frozen=True)
class Citation:
    number: int
    chunk: Chunk


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    best_score: float = 0.0


def topic_list(kb: KnowledgeBase) -> str:
    return ", ".join(f"{a.title} (`{a.slug}`)" for a in kb.articles)


def abstain_text(kb: KnowledgeBase) -> str:
    return (
        "I don't have an article on that yet, so I won't guess. "
        f"Topics I can help with: {topic_list(kb)}."
    )


class ExtractiveAnswerer:
    def __init__(
        self,
        kb: KnowledgeBase,
        abstain_threshold: float = DEFAULT_ABSTAIN_THRESHOLD,
        uncovered_margin: float = DEFAULT_UNCOVERED_MARGIN,
    ) -> None:
        self.kb = kb
        self.threshold = abstain_threshold
        self.margin = uncovered_margin

    def should_abstain(self, result: SearchResult) -> bool:
        return (
            not result.hits
            or result.best_dense < self.threshold
            or result.best_uncovered - result.best_dense > self.margin
        )

    def answer(self, question: str, guild_id: int | None = None) -> Answer:
        """``guild_id``: whose server notes count as evidence too (``None``: the local notes)."""
        result = self.kb.search(question, k=5) if guild_id is None else self.kb.search(question, k=5, guild_id=guild_id)
        if self.should_abstain(result):
            return Answer(question, abstain_text(self.kb), True, [], result.hits, result.best_dense)
        return self.compose(result)

    def compose(self, result: SearchResult) -> Answer:
        stored = self.kb.stored
        passages = [h for h in result.hits if not h.chunk.section.startswith(SKIP_SECTIONS)]
        passages = (passages or result.hits)[:PASSAGES_CONSIDERED]
        # Stay within the article the best passage is from unless others are about as good.
        lead_topic = passages[0].chunk.topic
        passages = [h for h in passages if h.chunk.topic == lead_topic or h.dense >= passages[0].dense - 0.05]
        definitional = bool(_DEFINITION_QUESTION.match(result.query))
        candidates: list[tuple[float, int, int, int]] = []  # (score, passage rank, sentence idx, chunk id)
        sentence_text: dict[int, str] = {}
        by_id = {h.chunk.id: h.chunk for h in passages}
        for rank, hit in enumerate(passages):
            if isinstance(hit.chunk, NoteChunk) and self.kb.notes is not None:
                # A server note's sentences: ids after every article sentence, in note order.
                texts, vectors = self.kb.notes.sentences(hit.chunk)
                base = len(stored.sentences) + (rank + 1) * NOTE_SENTENCE_STRIDE
                idx = np.arange(base, base + len(texts))
                sims = vectors @ result.query_vector
                sentence_text.update(zip((int(i) for i in idx), texts))
            else:
                idx = np.flatnonzero(stored.sentence_chunk == hit.chunk.id)
                if idx.size == 0:
                    continue
                sims = stored.sentence_vectors[idx] @ result.query_vector
            for sid, sim in zip(idx, sims):
                sentence = sentence_text[int(sid)] if int(sid) in sentence_text else stored.sentences[sid]
                if len(sentence.split()) < MIN_SENTENCE_WORDS or sentence.rstrip().endswith("?"):
                    continue
                score = float(sim) - RANK_PENALTY * rank + sentence_prior(hit.chunk.section, definitional)
                if sentence.startswith(MISCONCEPTION_PREFIX):
                    score -= MISCONCEPTION_PENALTY
                candidates.append((score, rank, int(sid), hit.chunk.id))

        def text_of(sid: int) -> str:
            return sentence_text[sid] if sid in sentence_text else stored.sentences[sid]

        candidates.sort(reverse=True)
        chosen: list[tuple[int, int, int]] = []
        words = 0
        misconceptions = 0
        chunk_of_sentence = {sid: cid for _, _, sid, cid in candidates}
        picked: set[int] = set()
        for score, rank, sid, cid in candidates:
            n = len(text_of(sid).split())
            if chosen and words + n > MAX_ANSWER_WORDS:
                continue
            if DANGLING_PRONOUN.match(text_of(sid)) and not (
                    sid - 1 in picked and chunk_of_sentence.get(sid - 1) == cid):
                continue  # "It is…" only right after the sentence it refers to
            if text_of(sid).startswith(MISCONCEPTION_PREFIX):
                if misconceptions:
                    continue
                misconceptions += 1
            chosen.append((rank, sid, cid))
            picked.add(sid)
            words += n
            if len(chosen) >= MAX_SENTENCES or words >= MAX_ANSWER_WORDS * 0.8:
                break
        # Passages in retrieval order, corrections of misconceptions last (they answer a claim the
        # student did not make); sentences in article order within each passage.
        def reading_order(choice: tuple[int, int, int]) -> tuple[bool, int, int]:
            rank, sid, cid = choice
            return ("misconception" in by_id[cid].section.lower(), rank, sid)

        chosen.sort(key=reading_order)
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for _, sid, cid in chosen:
            if cid not in numbers:
                numbers[cid] = len(numbers) + 1
                citations.append(Citation(numbers[cid], by_id[cid]))
            parts.append(f"{text_of(sid)} [{numbers[cid]}]")
        return Answer(result.query, " ".join(parts), False, citations, result.hits, result.best_dense)
