"""Compose an answer from passages when no authored answer fits the question.

What a TA does with a page of notes: say first the sentence that answers *this* question (a
"when should I…" question wants the sentence about when, not the definition), add the few
sentences that explain it without repeating each other (maximal marginal relevance), keep what
belongs together together (a list stays a list), and never quote a sentence that only makes sense
inside its paragraph ("It is the classic reason…").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge.chunking import Chunk, plain_text, split_sentences
from knowledge.notes import NoteChunk
from knowledge.retriever import Hit, KnowledgeBase, SearchResult

MAX_ANSWER_WORDS = 120
MAX_UNITS = 5
PASSAGES_CONSIDERED = 3
MIN_SENTENCE_WORDS = 5
RANK_PENALTY = 0.04  # per passage rank: prefer the best passage's sentences on near ties
MMR_REDUNDANCY = 0.35  # weight of the similarity to what is already said
SKIP_SECTIONS = ("Try it",)
MISCONCEPTION_PREFIX = "A common misconception is"
MISCONCEPTION_PENALTY = 0.10
MISCONCEPTION_SECTION_PENALTY = 0.05
DEFINITION_BONUS = 0.06
CUE_BONUS = 0.05  # the sentence has the shape of an answer to this kind of question
LEVEL_SECTION_BONUS = 0.05
FORMULA_PENALTY_BEGINNER = 0.08

# Openers that lean on the sentence before: "It is…", "However, …", "So the…".
DANGLING_OPENER = re.compile(
    r"^(it|this|that|these|those|they|its|their|however|but|so|thus|hence|therefore|also|instead|"
    r"otherwise|then|here|such|both|the same|the other|the former|the latter|likewise|similarly|"
    r"in (?:that|this) case|for (?:that|this) reason)\b", re.IGNORECASE)
# Sentences that point at their neighbours ("A three-value batch shows the same steps …", "… in
# this example"): on their own, away from what they point at, they say nothing.
LEANS_ON_CONTEXT = re.compile(
    r"\b(?:the same (?:steps|way|idea|numbers|example)|(?:in |from )?this example|the example (?:above|below)|"
    r"(?:example|table|figure|plot|code) below|as follows|the following (?:example|table|steps|code))\b", re.IGNORECASE)
_DEFINITION_QUESTION = re.compile(
    r"^\s*(what(?:'s| is| are| does)|whats|define|definition of|meaning of|explain|eli5|tell me about|"
    r"intro(?:duction)? to)\b", re.IGNORECASE)
_LIST_LINE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
FORMULA = re.compile(r"[=∂σ∑√^]|\blog\(|\bexp\(|\d\s*/\s*\(")

# Question kind → what an answering sentence tends to contain.
_CUES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"\b(when|which (?:one|metric|should)|should i (?:use|pick|favou?r|prefer)|favou?r|prefer)\b", re.I),
     re.compile(r"\b(when|need|needs|use|prefer|favou?r|costly|cost|choose|pick|better|matters? most)\b", re.I)),
    (re.compile(r"^\s*why\b|\bwhy (?:is|does|do|are|did)\b|\breason\b", re.I),
     re.compile(r"\b(because|so that|since|cause[sd]?|leads? to|means|which is why|as a result|reason)\b", re.I)),
    (re.compile(r"^\s*how (?:do|can|should|to)\b|\bhow (?:do i|to) (?:fix|avoid|choose|pick|set)\b|\bfix\b", re.I),
     re.compile(r"\b(use|set|add|start|try|switch|lower|raise|fix|avoid|instead|by)\b", re.I)),
    (re.compile(r"\b(what|which)\b.*\b(are|examples?|types?|kinds?|list)\b", re.I),
     re.compile(r"(,.*,)|\b(such as|include|including|e\.g\.|for example)\b", re.I)),
)
_LEVEL_SECTIONS = {
    "beginner": ("overview", "the intuition", "a worked example"),
    "deep": ("the math",),
}


@dataclass(frozen=True)
class Unit:
    """A piece of an answer: one sentence, or a list with its lead-in, from one passage."""

    text: str
    chunk: Chunk
    rank: int  # rank of its passage
    order: int  # position in the passage
    vector: np.ndarray
    score: float


@dataclass(frozen=True)
class Composition:
    parts: list[tuple[str, Chunk]]  # (text, cited passage), in answer order


def question_cues(question: str) -> list[re.Pattern[str]]:
    return [answer_cue for asks, answer_cue in _CUES if asks.search(question)]


def section_prior(section: str, definitional: bool, level: str) -> float:
    head = section.split(" › ")[0].lower()
    score = 0.0
    if "misconception" in head:
        score -= MISCONCEPTION_SECTION_PENALTY
    if definitional and head == "overview":
        score += DEFINITION_BONUS
    if head in _LEVEL_SECTIONS.get(level, ()):
        score += LEVEL_SECTION_BONUS
    return score


def _list_blocks(chunk: Chunk) -> list[tuple[str, list[str]]]:
    """(lead-in sentence, items) for every Markdown list in a passage."""
    blocks: list[tuple[str, list[str]]] = []
    previous = ""
    for para in chunk.text.split("\n\n"):
        lines = [ln for ln in para.splitlines() if ln.strip()]
        items = [plain_text(ln) for ln in lines if _LIST_LINE.match(ln)]
        lead_lines = [ln for ln in lines if not _LIST_LINE.match(ln)]
        if len(items) >= 2:
            if lead_lines:
                lead = split_sentences(" ".join(lead_lines))[-1]
            else:  # the lead-in is the paragraph before, when it announces the list
                last = split_sentences(previous)[-1] if previous.strip() else ""
                lead = last if last.endswith(":") else ""
            blocks.append((lead, items))
        previous = para
    return blocks


def _passage_sentences(kb: KnowledgeBase, hit: Hit, rank: int) -> tuple[list[str], np.ndarray]:
    if isinstance(hit.chunk, NoteChunk) and kb.notes is not None:
        texts, vectors = kb.notes.sentences(hit.chunk)
        return list(texts), np.asarray(vectors)
    stored = kb.stored
    idx = np.flatnonzero(stored.sentence_chunk == hit.chunk.id)
    return [stored.sentences[i] for i in idx], stored.sentence_vectors[idx]


def _units(kb: KnowledgeBase, hit: Hit, rank: int, result: SearchResult, level: str,
           definitional: bool, cues: list[re.Pattern[str]]) -> list[Unit]:
    texts, vectors = _passage_sentences(kb, hit, rank)
    if not texts:
        return []
    sims = vectors @ result.query_vector
    prior = section_prior(hit.chunk.section, definitional, level) - RANK_PENALTY * rank
    blocks = _list_blocks(hit.chunk)
    units: list[Unit] = []
    consumed: set[int] = set()
    for lead, items in blocks:
        # sentences of this list: the lead-in and every sentence that starts with an item's words
        members = [i for i, t in enumerate(texts)
                   if (lead and t.startswith(lead)) or any(it[:30] in t for it in items)]
        if not members:
            continue
        consumed.update(members)
        body = "\n".join(f"- {it}" for it in items)
        text = f"{lead}\n{body}" if lead else body
        vec = vectors[members].mean(axis=0)
        vec = vec / (np.linalg.norm(vec) or 1.0)
        units.append(Unit(text, hit.chunk, rank, members[0], vec, float(sims[members].max()) + prior))
    for i, (text, sim) in enumerate(zip(texts, sims)):
        if i in consumed or len(text.split()) < MIN_SENTENCE_WORDS or text.rstrip().endswith(("?", ":")):
            continue
        score = float(sim) + prior
        if text.startswith(MISCONCEPTION_PREFIX):
            score -= MISCONCEPTION_PENALTY
        if any(c.search(text) for c in cues):
            score += CUE_BONUS
        if level == "beginner" and FORMULA.search(text):
            score -= FORMULA_PENALTY_BEGINNER
        if level == "deep" and FORMULA.search(text):
            score += CUE_BONUS
        units.append(Unit(text, hit.chunk, rank, i, vectors[i], score))
    return units


def compose(kb: KnowledgeBase, result: SearchResult, level: str = "standard",
            max_words: int = MAX_ANSWER_WORDS, keep: Callable[[str], bool] | None = None) -> Composition:
    """The answer composed from the retrieved passages. ``keep``: which sentences may be used
    (the answerer leaves out worked examples whose numbers are not the student's)."""
    passages = [h for h in result.hits if not h.chunk.section.startswith(SKIP_SECTIONS)]
    passages = (passages or result.hits)[:PASSAGES_CONSIDERED]
    if not passages:
        return Composition([])
    # Stay within the best passage's article unless others are about as good.
    lead_topic = passages[0].chunk.topic
    passages = [h for h in passages if h.chunk.topic == lead_topic or h.dense >= passages[0].dense - 0.05]
    definitional = bool(_DEFINITION_QUESTION.match(result.query))
    cues = question_cues(result.query)
    units = [u for rank, hit in enumerate(passages) for u in _units(kb, hit, rank, result, level, definitional, cues)]
    if keep is not None:
        units = [u for u in units if keep(u.text)]
    if not units:
        return Composition([])
    chosen: list[Unit] = []
    words = 0
    misconceptions = 0
    remaining = sorted(units, key=lambda u: -u.score)
    while remaining and len(chosen) < MAX_UNITS and words < max_words * 0.8:
        def mmr(u: Unit) -> float:
            if not chosen:
                return u.score
            return u.score - MMR_REDUNDANCY * max(float(u.vector @ c.vector) for c in chosen)

        best = None
        for u in sorted(remaining, key=mmr, reverse=True):
            n = len(u.text.split())
            if chosen and words + n > max_words:
                continue
            if (DANGLING_OPENER.match(u.text) or LEANS_ON_CONTEXT.search(u.text)) and not any(
                    c.chunk.id == u.chunk.id and c.order == u.order - 1 for c in chosen):
                continue
            if u.text.startswith(MISCONCEPTION_PREFIX) and misconceptions:
                continue
            if chosen and max(float(u.vector @ c.vector) for c in chosen) > 0.92:
                continue  # says again what is already said
            best = u
            break
        if best is None:
            break
        remaining.remove(best)
        chosen.append(best)
        words += len(best.text.split())
        misconceptions += best.text.startswith(MISCONCEPTION_PREFIX)
    # The best answering unit leads; the rest follow by passage rank, in article order within a
    # passage, corrections of misconceptions last (they answer a claim the student did not make).
    lead, rest = chosen[0], chosen[1:]
    rest.sort(key=lambda u: ("misconception" in u.chunk.section.lower(), u.rank, u.order))
    ordered = [lead]
    for u in rest:
        # a sentence that continues the one right before it in the passage goes right after it
        prev = next((i for i, o in enumerate(ordered) if o.chunk.id == u.chunk.id and o.order == u.order - 1), None)
        if prev is not None:
            ordered.insert(prev + 1, u)
        else:
            ordered.append(u)
    return Composition([(u.text, u.chunk) for u in ordered])
