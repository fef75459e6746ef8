"""The passage of an article that a quiz question tests: what a second hint press shows and what
the feedback on a wrong choice quotes, so the student reads the correction in our own words.

A question names its article section (a ``## `` heading); sections are long, so the passage is
the one chunk of that section (see :mod:`knowledge.chunking`) that shares the most words with the
question, its right answer and its explanation, each word weighted by how rare it is in the
article (so "ValueError" counts and "normalization" hardly does). Deterministic and model-free.
"""

from __future__ import annotations

import math
import re
import threading
from functools import lru_cache

from knowledge.chunking import Chunk, chunk_article
from knowledge.corpus import load_articles
from tools.text import clip_words

PASSAGE_CHARS = 700
MIN_PARAGRAPH_WORDS = 25
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_STOP = frozenset("""a an and are as at be by can do does for from has have how if in into is it its of on or
so than that the their then there these this to was what when which while why will with you your not no""".split())
_LOCK = threading.Lock()


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


@lru_cache(maxsize=None)
def _chunks_by_topic() -> dict[str, tuple[Chunk, ...]]:
    return {a.slug: tuple(chunk_article(a)) for a in load_articles()}


def section_chunks(topic: str, section: str) -> tuple[Chunk, ...]:
    """The chunks of one ``## `` section (its ``###`` subsections included), in article order."""
    with _LOCK:
        chunks = _chunks_by_topic().get(topic, ())
    return tuple(c for c in chunks if c.section == section or c.section.startswith(f"{section} › "))


def passage_for(topic: str, section: str, about: str, limit: int = PASSAGE_CHARS) -> str:
    """The section's passage closest to ``about`` (ties: the earlier one), clipped at a word; ""
    if the section does not exist."""
    chunks = section_chunks(topic, section)
    if not chunks:
        return ""
    with _LOCK:
        article = _chunks_by_topic().get(topic, ())
    vocab = [_words(c.text) for c in article]
    wanted = _words(about)
    idf = {w: math.log((1 + len(vocab)) / (1 + sum(w in v for v in vocab))) for w in wanted}

    # A chunk can hold several paragraphs (a "Common misconceptions" chunk holds several
    # misconceptions): the passage is the best paragraph, so the quote starts at the correction
    # rather than at whatever the chunk opens with.
    paragraphs = [(para, c.id, n) for c in chunks for n, para in enumerate(_paragraphs(c.text))]

    def score(item: tuple[str, int, int]) -> tuple[float, int, int]:
        # Shared rare words, per square root of the paragraph's size: a long paragraph that
        # touches many of the words must not beat the short one that is about them.
        para, chunk_id, n = item
        words = _words(para)
        return sum(idf[w] for w in wanted & words) / math.sqrt(max(len(words), 1)), -chunk_id, -n

    return clip_words(max(paragraphs, key=score)[0], limit)


def _paragraphs(text: str, min_words: int = MIN_PARAGRAPH_WORDS) -> list[str]:
    """Blank-line paragraphs, a short one (a lead-in, a heading line) joined to the next."""
    out: list[str] = []
    pending = ""
    for para in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if not para:
            continue
        pending = f"{pending}\n\n{para}" if pending else para
        if len(pending.split()) >= min_words:
            out.append(pending)
            pending = ""
    if pending:
        if out and len(pending.split()) < min_words:
            out[-1] = f"{out[-1]}\n\n{pending}"
        else:
            out.append(pending)
    return out or [text]
