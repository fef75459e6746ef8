"""What the model is shown and what its answer is checked against: passage excerpts and their
sentence vectors.

:class:`SentenceBank` gives the sentences of a passage with their MiniLM vectors — the ones
stored with the index for article passages (no encoding at answer time), the note store's for
server notes, and encoded once (then cached) for anything else (an authored answer, a
computed result, a demo's output).

:func:`select_excerpts` is the prompt's evidence (issue 14, item 3): instead of five whole
passages of up to 1,600 characters, each passage contributes its heading, the sentences the
extractive answer quoted from it (so the model sees at least what the quoted answer says), and
its sentences closest to the question, in the passage's own order, within a character budget.
With the shorter system message, the median prompt over the dev questions is 58% of the tokens it
was (SmolLM2's tokenizer), and holds more of what a good answer needs, not less (see
``bench/llm.py --base-url``).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.answerer import Answer, CalculatorChunk
from knowledge.chunking import Chunk, split_sentences
from knowledge.notes import NoteChunk

MAX_PASSAGES = 4  # the prompt's passages (their markers and headings cost tokens too)
SENTENCES_PER_PASSAGE = 2  # besides the quoted ones, for the first passage; 1 for the others
MAX_EXCERPT_CHARS = 600  # one passage's excerpt
EXCERPT_BUDGET_CHARS = 1_200  # all excerpts together
VECTOR_CACHE = 2_048
_CITATION_RE = re.compile(r"\[(\d{1,3})\]")
_SPACE_RE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE_RE.sub(" ", re.sub(r"[*_`]", "", text)).strip().lower()


class SentenceBank:
    """Sentences and normalized vectors of passages; thread-safe, cached."""

    def __init__(self, embedder: Any, kb: Any = None, cache_size: int = VECTOR_CACHE) -> None:
        self.embedder = embedder
        self.kb = kb
        self.cache_size = cache_size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._chunks: OrderedDict[tuple[int, str], tuple[list[str], np.ndarray]] = OrderedDict()
        self._stored_rows: dict[int, np.ndarray] | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_answerer(cls, answerer: Any) -> "SentenceBank":
        """The bank of an answerer's knowledge base (its embedder and stored sentence vectors);
        an answerer without one (a test double) gets the process-wide MiniLM."""
        kb = getattr(answerer, "kb", None)
        embedder = getattr(kb, "embedder", None)
        if embedder is None:
            from knowledge.embedder import get_embedder

            embedder = get_embedder()
        return cls(embedder, kb)

    # -- vectors ---------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (cached by text), shape ``(len(texts), dim)``."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            vectors = self.embedder.encode(missing)
            with self._lock:
                for text, vector in zip(missing, vectors):
                    self._vectors[text] = vector
                while len(self._vectors) > self.cache_size:
                    self._vectors.popitem(last=False)
        with self._lock:
            found = [self._vectors.get(t) for t in texts]
        if any(v is None for v in found):  # evicted meanwhile by another thread: encode directly
            return np.asarray(self.embedder.encode(list(texts)), dtype=np.float32)
        return np.asarray(found, dtype=np.float32).reshape(len(texts), -1)

    def _stored(self, chunk: Chunk) -> tuple[list[str], np.ndarray] | None:
        kb = self.kb
        stored = getattr(kb, "stored", None)
        if stored is None or isinstance(chunk, (NoteChunk, CalculatorChunk)) or not 0 <= chunk.id < len(kb.chunks):
            return None
        if kb.chunks[chunk.id].text != chunk.text:
            return None
        if self._stored_rows is None:
            rows: dict[int, list[int]] = {}
            for row, cid in enumerate(np.asarray(stored.sentence_chunk).tolist()):
                rows.setdefault(int(cid), []).append(row)
            self._stored_rows = {cid: np.asarray(r) for cid, r in rows.items()}
        idx = self._stored_rows.get(chunk.id)
        if idx is None or not len(idx):
            return None
        return [stored.sentences[i] for i in idx], np.asarray(stored.sentence_vectors[idx])

    def chunk_sentences(self, chunk: Chunk) -> tuple[list[str], np.ndarray]:
        """The sentences of a passage and their vectors."""
        found = self._stored(chunk)
        if found is not None:
            return found
        notes = getattr(self.kb, "notes", None)
        if isinstance(chunk, NoteChunk) and notes is not None:
            texts, vectors = notes.sentences(chunk)
            return list(texts), np.asarray(vectors)
        key = (chunk.id, chunk.text)
        with self._lock:
            cached = self._chunks.get(key)
        if cached is not None:
            return cached
        sentences = split_sentences(chunk.text) or [chunk.text]
        result = (sentences, self.encode(sentences))
        with self._lock:
            self._chunks[key] = result
            while len(self._chunks) > self.cache_size // 8:
                self._chunks.popitem(last=False)
        return result


# ---------------------------------------------------------------------------------- excerpts
@dataclass(frozen=True)
class Excerpt:
    """What the prompt shows of one passage: its sentences, in the passage's order (an authored
    answer's or a computed result's text stands first)."""

    chunk: Chunk
    sentences: tuple[str, ...]

    @property
    def heading(self) -> str:
        return f"{self.chunk.title} — {self.chunk.section}" if self.chunk.section else self.chunk.title

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def heading_of(chunk: Chunk) -> str:
    return f"{chunk.title} — {chunk.section}" if chunk.section else chunk.title


def quoted_by_citation(answer: Answer) -> dict[int, list[str]]:
    """The text the extractive answer attributes to each of its citation numbers."""
    quotes: dict[int, list[str]] = {}
    last = 0
    for match in _CITATION_RE.finditer(answer.text):
        piece = answer.text[last:match.start()].strip()
        last = match.end()
        if piece:
            quotes.setdefault(int(match.group(1)), []).append(piece)
    return quotes


def evidence_chunks(answer: Answer, max_passages: int = MAX_PASSAGES) -> list[Chunk]:
    """The passages to show: those the extractive answer cites first, then the other retrieved ones."""
    chunks: list[Chunk] = []
    seen: set[tuple[str, str, int]] = set()
    for chunk in [c.chunk for c in answer.citations] + [h.chunk for h in answer.passages]:
        key = (chunk.topic, chunk.section, chunk.id)
        if key not in seen:
            seen.add(key)
            chunks.append(chunk)
    return chunks[:max_passages]


def _query_vector(question: str, chunks: list[Chunk], quoted: dict[tuple[str, str, int], list[str]],
                  bank: SentenceBank) -> np.ndarray:
    """What "close to the question" means: the mean of the passage sentences the extractive answer
    quoted (they were picked for the question, and their vectors are stored: nothing to encode),
    or the question's own vector when it quoted none."""
    rows = []
    for chunk in chunks:
        said = " ".join(_norm(q) for q in quoted.get((chunk.topic, chunk.section, chunk.id), []))
        if not said or isinstance(chunk, CalculatorChunk):
            continue
        sentences, vectors = bank.chunk_sentences(chunk)
        rows += [vectors[i] for i, s in enumerate(sentences) if _norm(s) in said]
    if not rows:
        return bank.encode([question])[0]
    mean = np.mean(rows, axis=0)
    return mean / (np.linalg.norm(mean) or 1.0)


def select_excerpts(question: str, answer: Answer, bank: SentenceBank, *, max_passages: int = MAX_PASSAGES,
                    per_passage: int = SENTENCES_PER_PASSAGE, max_chars: int = MAX_EXCERPT_CHARS,
                    budget_chars: int = EXCERPT_BUDGET_CHARS) -> list[Excerpt]:
    """Excerpts of the extractive answer's passages for the prompt (see the module docstring)."""
    chunks = evidence_chunks(answer, max_passages)
    if not chunks:
        return []
    quotes = quoted_by_citation(answer)
    by_chunk: dict[tuple[str, str, int], list[str]] = {}
    for citation in answer.citations:
        key = (citation.chunk.topic, citation.chunk.section, citation.chunk.id)
        by_chunk.setdefault(key, []).extend(quotes.get(citation.number, []))
    qvec = _query_vector(question, chunks, by_chunk, bank)
    excerpts: list[Excerpt] = []
    used = 0
    for rank, chunk in enumerate(chunks):
        quoted = by_chunk.get((chunk.topic, chunk.section, chunk.id), [])
        if isinstance(chunk, CalculatorChunk):
            excerpts.append(Excerpt(chunk, (chunk.text,)))
            used += len(chunk.text)
            continue
        sentences, vectors = bank.chunk_sentences(chunk)
        quoted_norm = " ".join(_norm(q) for q in quoted)
        in_quote = [bool(quoted_norm) and _norm(s) in quoted_norm for s in sentences]
        # Quoted text that is not one of the passage's sentences (an authored answer) leads.
        lead = [q for q in quoted if not any(_norm(s) in _norm(q) for s in sentences)]
        relevance = vectors @ qvec if len(sentences) else np.zeros(0)
        order = [int(i) for i in np.argsort(-relevance) if not in_quote[int(i)]]
        room = max(0, min(max_chars, budget_chars - used) - sum(len(t) for t in lead))
        picked = {i for i, q in enumerate(in_quote) if q}
        room -= sum(len(sentences[i]) for i in picked)
        for i in order[:per_passage if rank == 0 else 1]:
            if len(sentences[i]) <= room or not (picked or lead):
                picked.add(i)
                room -= len(sentences[i])
        chosen = tuple(lead) + tuple(sentences[i] for i in sorted(picked))
        if not chosen:
            continue
        excerpts.append(Excerpt(chunk, chosen))
        used += sum(len(t) for t in chosen)
    return excerpts
