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

    def score(chunk: Chunk) -> tuple[float, int]:
        return sum(idf[w] for w in wanted & _words(chunk.text)), -chunk.id

    return clip_words(max(chunks, key=score).text, limit)
