"""Section-aware chunking: passages that make sense on their own, with their headings as context.

Articles are split at ``##``/``###`` headings; a long section is split further at paragraph
boundaries so that no passage outgrows what the embedding model reads (all-MiniLM-L6-v2 truncates
at 256 word pieces, roughly 180 words). Each passage keeps the article title and its heading path,
which is prepended when embedding so that "Frequently asked questions › Why is my loss NaN?"
still knows it belongs to the vanishing-gradient article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.corpus import Article

MAX_CHUNK_WORDS = 170
OVERVIEW_SECTION = "Overview"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "et al.", "etc.", "approx.", "Fig.", "eq.", "cf.")


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage of an article."""

    id: int
    topic: str
    title: str
    section: str
    text: str

    def embedding_text(self) -> str:
        return f"{self.title}. {self.section}. {self.text}"


@dataclass(frozen=True)
class _Section:
    path: str
    paragraphs: list[str]


def _split_sections(article: Article) -> list[_Section]:
    sections: list[_Section] = []
    heading_stack: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    current: list[str] = []
    in_code = False

    def flush_paragraph() -> None:
        if current:
            text = "\n".join(current).strip()
            if text:
                paragraphs.append(text)
            current.clear()

    def flush_section() -> None:
        flush_paragraph()
        if paragraphs:
            path = " › ".join(h for _, h in heading_stack) or OVERVIEW_SECTION
            sections.append(_Section(path=path, paragraphs=list(paragraphs)))
            paragraphs.clear()

    for line in article.body.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            current.append(line)
            continue
        match = None if in_code else _HEADING.match(line)
        if match:
            level = len(match.group(1))
            if level == 1:  # the article title; the intro that follows is the overview
                continue
            flush_section()
            heading_stack = [(lvl, h) for lvl, h in heading_stack if lvl < level]
            heading_stack.append((level, match.group(2)))
        elif not line.strip() and not in_code:
            flush_paragraph()
        else:
            current.append(line)
    flush_section()
    return sections


def _word_count(text: str) -> int:
    return len(text.split())


def _pack(paragraphs: list[str], max_words: int) -> list[str]:
    """Group consecutive paragraphs into pieces of at most ``max_words`` (a longer paragraph
    is split at sentence boundaries first)."""
    units: list[str] = []
    for para in paragraphs:
        if _word_count(para) <= max_words:
            units.append(para)
        else:
            units.extend(_group(split_sentences(para), max_words, " "))
    return _group(units, max_words, "\n\n")


def _group(units: list[str], max_words: int, joiner: str) -> list[str]:
    """Greedily join consecutive units while the total stays within ``max_words``."""
    out: list[str] = []
    buf: list[str] = []
    count = 0
    for unit in units:
        n = _word_count(unit)
        if buf and count + n > max_words:
            out.append(joiner.join(buf))
            buf, count = [], 0
        buf.append(unit)
        count += n
    if buf:
        out.append(joiner.join(buf))
    return out


def chunk_article(article: Article, start_id: int = 0, max_words: int = MAX_CHUNK_WORDS) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in _split_sections(article):
        for piece in _pack(section.paragraphs, max_words):
            chunks.append(
                Chunk(
                    id=start_id + len(chunks),
                    topic=article.slug,
                    title=article.title,
                    section=section.path,
                    text=piece,
                )
            )
    return chunks


def chunk_articles(articles: list[Article], max_words: int = MAX_CHUNK_WORDS) -> list[Chunk]:
    chunks: list[Chunk] = []
    for article in articles:
        chunks.extend(chunk_article(article, start_id=len(chunks), max_words=max_words))
    return chunks


_MD_INLINE = re.compile(r"(\*\*|__|`)")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)


def plain_text(markdown: str) -> str:
    """Markdown passage → plain prose (bold/code markers and list bullets removed)."""
    text = _LIST_MARK.sub("", markdown)
    text = _MD_INLINE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[A-Z0-9(\"'`*])")


# Articles state a misconception as a bold quoted claim opening a paragraph; quoted alone it would
# read as a fact, so it is framed as a misconception before it can become part of an answer.
_MISCONCEPTION = re.compile(r'(?m)^\*\*"([^"\n]+)"\*\*')


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations (e.g., i.e., et al.) and decimals intact."""
    text = _MISCONCEPTION.sub(r'A common misconception is "\1"', text)
    text = plain_text(text)
    if not text:
        return []
    protected = text
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbr, abbr.replace(".", f"\x00{i}\x00"))
    parts = _SENTENCE_END.split(protected)
    out = []
    for part in parts:
        restored = re.sub(r"\x00\d+\x00", ".", part).strip()
        if restored:
            out.append(restored)
    return out
