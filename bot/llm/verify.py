"""Sentence-level verification of a generated answer before the student sees its final version.

Every sentence of the answer must cite a supplied passage (or a demo the model ran) as [n] and
be supported by it:

* **meaning** — the MiniLM cosine between the sentence (citations and Markdown removed) and the
  closest sentence of the cited evidence reaches :data:`SUPPORT_THRESHOLD`, and at most
  :data:`MAX_NOVEL_SHARE` of its content words appear neither in the cited passage nor in the
  question (a sentence that matches the topic but adds its own claims is not supported);
* **numbers** — every number in the sentence appears in the cited evidence (or in the
  student's question: "a coefficient of 0.7" may be repeated back).

A demo's output (mostly numbers) also supports a sentence all of whose numbers it computed.
A citation that fails is dropped; a sentence left with none is dropped. A sentence that cites
nothing is kept only when a demo's output supports it (it then cites the demo). The answer is
*useful* — shown as generated — when at least one sentence survives and no more than
:data:`MAX_DROPPED_SHARE` of its words were dropped; otherwise the backend shows the extractive
answer with a one-line note.

Both limits were calibrated with ``bench/verify_calibration.py`` on our own paraphrases: the
sentences of the authored answers against the article section they cite (supported) and against
the retrieved passages of other articles (not supported). Cosine ≥ 0.62 alone keeps 77% of the
supported sentences and 12% of the unsupported ones; with at most half the words new, 75% and
4.5%. A weak model that copies its passages passes easily; one that invents does not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np

from bot.llm.citations import CITATION_RE, content_stems
from knowledge.chunking import plain_text

# Calibrated by bench/verify_calibration.py (see the module docstring).
SUPPORT_THRESHOLD = 0.62
MAX_NOVEL_SHARE = 0.5
MAX_DROPPED_SHARE = 0.5
FREE_NUMBERS = frozenset({"0", "1"})  # "the first layer", "one of": not claims worth checking

_PASSAGE_REF_RE = re.compile(r"[\[(](?:passage|source|ref\.?)\s*#?\s*(\d{1,3})[\])]", re.IGNORECASE)
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_SENTENCE_END_RE = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bal)(?<!\bcf)[.!?](?:\s*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])*[\"')]?"
    r"(?=\s+[A-Z0-9(\"'`*_\[]|\s*$)")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻−", "0123456789--")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER_RE = re.compile(r"(?<![A-Za-z_\d.])\d+(?:\.\d+)?(?![A-Za-z_\d])")


def numbers_in(text: str) -> set[str]:
    """Numbers in ``text``, canonical ("0.250" → "0.25", "1,000" → "1000"); digits inside words
    (L2, word2vec, F1) are not numbers."""
    text = _THOUSANDS_RE.sub("", text.translate(_SUPERSCRIPTS))
    out = set()
    for raw in _NUMBER_RE.findall(text):
        try:
            value = Decimal(raw).normalize()
        except InvalidOperation:
            continue
        out.add(format(value, "f"))
    return out


def _scaled(numbers: set[str]) -> set[str]:
    """Each number also as a percentage and as a fraction (25% = 0.25)."""
    out = set(numbers)
    for n in numbers:
        value = Decimal(n)
        out.add(format((value * 100).normalize(), "f"))
        out.add(format((value / 100).normalize(), "f"))
    return out


def number_known(number: str, known: frozenset[str] | set[str]) -> bool:
    """``number`` is in ``known``, or is one of them rounded to its decimals (0.909 for 0.90909…)."""
    if number in known:
        return True
    if "." not in number:
        return False
    step = Decimal(1).scaleb(-len(number.split(".")[1]))
    value = Decimal(number)
    return any("." in k and len(k.split(".")[1]) > len(number.split(".")[1])
               and value in (Decimal(k).quantize(step, ROUND_HALF_UP), Decimal(k).quantize(step, ROUND_HALF_EVEN))
               for k in known)


@dataclass(frozen=True)
class Evidence:
    """What one citation number stands for: a passage excerpt (or a demo's output)."""

    number: int
    sentences: tuple[str, ...]
    vectors: np.ndarray
    numbers: frozenset[str]
    kind: str = "passage"  # or "tool"
    stems: frozenset[str] = frozenset()  # content words (stems) of the evidence

    def novel_share(self, claim_stems: set[str], also_known: set[str] = frozenset()) -> float:
        """Share of a claim's content words found neither here nor in ``also_known``."""
        if not claim_stems:
            return 0.0
        return len(claim_stems - self.stems - also_known) / len(claim_stems)


def make_evidence(number: int, sentences: Sequence[str], vectors: np.ndarray, extra_text: str = "",
                  kind: str = "passage") -> Evidence:
    text = " ".join(sentences) + " " + extra_text
    return Evidence(number, tuple(sentences), np.asarray(vectors, dtype=np.float32),
                    frozenset(_scaled(numbers_in(text))), kind, frozenset(content_stems(text)))


@dataclass(frozen=True)
class Unit:
    """One sentence (or list item) of the answer, where it sits, and what it cites."""

    text: str  # as written, citations included
    paragraph: int
    item: int = 0  # the line (or list item) of the paragraph
    list_prefix: str = ""  # "- " for a list item

    @property
    def cited(self) -> tuple[int, ...]:
        numbers: list[int] = []
        for match in CITATION_RE.finditer(self.text):
            for part in re.split(r"\s*[,;]\s*", match.group(1)):
                if part and int(part) not in numbers:
                    numbers.append(int(part))
        return tuple(numbers)

    @property
    def body(self) -> str:
        """The sentence without its citation markers (Markdown kept)."""
        text = CITATION_RE.sub("", self.text)
        return re.sub(r"\s+([.,;:!?)])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()

    @property
    def claim(self) -> str:
        return plain_text(self.body)


def split_units(text: str) -> list[Unit]:
    """The answer's sentences and list items, in order, with their paragraph; a group of
    citations standing alone ("[1][2]") joins the sentence before it."""
    text = _PASSAGE_REF_RE.sub(r"[\1]", text)
    units: list[Unit] = []
    for p, paragraph in enumerate(re.split(r"\n\s*\n", text.strip())):
        lines = [ln for ln in paragraph.splitlines() if ln.strip()]
        items: list[tuple[str, str]] = []
        for line in lines:
            marker = _LIST_ITEM_RE.match(line)
            if marker:
                items.append(("- ", line[marker.end():].strip()))
            elif items and not items[-1][0]:
                items[-1] = ("", items[-1][1] + " " + line.strip())
            else:
                items.append(("", line.strip()))
        for i, (prefix, item) in enumerate(items):
            start = 0
            pieces = []
            for match in _SENTENCE_END_RE.finditer(item):
                pieces.append(item[start:match.end()].strip())
                start = match.end()
            pieces.append(item[start:].strip())
            for piece in filter(None, pieces):
                if units and not re.search(r"[A-Za-z0-9]", CITATION_RE.sub("", piece)):
                    last = units[-1]
                    units[-1] = Unit(f"{last.text} {piece}", last.paragraph, last.item, last.list_prefix)
                    continue
                units.append(Unit(piece, p, i, prefix))
    return units


@dataclass(frozen=True)
class SentenceCheck:
    unit: Unit
    kept: tuple[int, ...]  # the citations that support it (empty: dropped)
    similarity: float  # best cosine to the cited evidence (or any evidence when nothing is cited)
    reason: str = ""  # why it was dropped

    @property
    def ok(self) -> bool:
        return bool(self.kept)

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"sentence": self.unit.claim, "cited": list(self.unit.cited),
                                   "similarity": round(self.similarity, 3)}
        if self.ok:
            data["kept"] = list(self.kept)
        else:
            data["dropped"] = self.reason
        return data


@dataclass(frozen=True)
class Verification:
    text: str  # the kept sentences, citing only what supports them (original numbers)
    checks: tuple[SentenceCheck, ...] = ()
    threshold: float = SUPPORT_THRESHOLD
    max_dropped_share: float = MAX_DROPPED_SHARE
    words: tuple[int, int] = (0, 0)  # content words kept, in all

    @property
    def kept(self) -> tuple[SentenceCheck, ...]:
        return tuple(c for c in self.checks if c.ok)

    @property
    def dropped(self) -> tuple[SentenceCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def dropped_share(self) -> float:
        kept, total = self.words
        return 1.0 - kept / total if total else 1.0

    @property
    def useful(self) -> bool:
        return bool(self.kept) and self.dropped_share <= self.max_dropped_share

    @property
    def problem(self) -> str:
        """Why the answer is not useful, in words ("" when it is)."""
        if self.useful:
            return ""
        if not self.checks:
            return "it had no sentences"
        if not self.kept:
            return "none of its sentences was supported by a cited passage"
        return f"{len(self.dropped)} of its {len(self.checks)} sentences were not supported by a cited passage"

    def as_dict(self) -> dict[str, object]:
        return {"kept": len(self.kept), "dropped": len(self.dropped), "dropped_share": round(self.dropped_share, 3),
                "threshold": self.threshold, "sentences": [c.as_dict() for c in self.checks]}


def _assemble(checks: Sequence[SentenceCheck]) -> str:
    """The kept sentences in the answer's layout: paragraphs, and list items on lines of their own."""
    items: dict[tuple[int, int], tuple[str, list[str]]] = {}
    for check in checks:
        if check.ok:
            unit = check.unit
            cites = "".join(f"[{n}]" for n in check.kept)
            body = unit.body
            # "… claim [1]." as models (and students) write it; a trailing colon or quote stays put.
            line = f"{body[:-1]} {cites}{body[-1]}" if body[-1:] in ".!?" else f"{body} {cites}"
            items.setdefault((unit.paragraph, unit.item), (unit.list_prefix, []))[1].append(line)
    paragraphs: dict[int, list[str]] = {}
    for (p, _), (prefix, sentences) in sorted(items.items()):
        paragraphs.setdefault(p, []).append(prefix + " ".join(sentences))
    return "\n\n".join("\n".join(lines) for _, lines in sorted(paragraphs.items()))


def verify_answer(text: str, evidence: Sequence[Evidence], encode, *, question: str = "",
                  threshold: float = SUPPORT_THRESHOLD, max_novel_share: float = MAX_NOVEL_SHARE,
                  max_dropped_share: float = MAX_DROPPED_SHARE) -> Verification:
    """Check every sentence of ``text`` against the evidence its [n] refer to.

    ``encode(texts) -> np.ndarray`` gives normalized sentence vectors (MiniLM). Numbers in
    ``text`` refer to ``evidence[i].number``; the result keeps those numbers (renumbering is
    :func:`bot.llm.citations.verify_citations`' job)."""
    units = split_units(text)
    by_number = {e.number: e for e in evidence}
    tools = [e for e in evidence if e.kind == "tool"]
    free = FREE_NUMBERS | _scaled(numbers_in(question))
    asked = content_stems(question)
    claims = [u.claim for u in units]
    vectors = encode(claims) if claims else np.zeros((0, 1), dtype=np.float32)
    checks: list[SentenceCheck] = []
    kept_words = total_words = 0
    for unit, claim, vector in zip(units, claims, vectors):
        stems = content_stems(claim)
        words = len(stems) or 1
        total_words += words
        numbers = numbers_in(claim) - free
        cited = [by_number[n] for n in unit.cited if n in by_number]
        candidates = cited or tools
        sims = {e.number: float(np.max(e.vectors @ vector)) if len(e.sentences) else 0.0 for e in candidates}
        best = max(sims.values(), default=0.0)
        # A demo's output is mostly numbers: a sentence all of whose numbers it computed is
        # supported by it even when the wording is far from its summary.
        supporting = [e for e in candidates
                      if (sims[e.number] >= threshold and (e.kind == "tool" or e.novel_share(stems, asked) <= max_novel_share))
                      or (e.kind == "tool" and numbers and all(number_known(n, e.numbers) for n in numbers))]
        reason = ""
        if not unit.cited:
            reason = "cites no passage"
        elif not cited:
            reason = f"cites {', '.join(f'[{n}]' for n in unit.cited)}, which matches no passage"
        if not supporting:
            if not reason:
                novel = min((e.novel_share(stems, asked) for e in candidates), default=1.0)
                reason = (f"not supported by the cited passage (similarity {best:.2f} < {threshold:.2f})"
                          if best < threshold else f"not supported by the cited passage ({novel:.0%} of its words "
                          "are not in it)")
            checks.append(SentenceCheck(unit, (), best, reason))
            continue
        known = set().union(*(e.numbers for e in supporting))
        missing = sorted(n for n in numbers if not number_known(n, known))
        if missing:
            checks.append(SentenceCheck(unit, (), best, f"the number {missing[0]} is not in the cited passage"))
            continue
        checks.append(SentenceCheck(unit, tuple(e.number for e in supporting), best))
        kept_words += words
    return Verification(_assemble(checks), tuple(checks), threshold, max_dropped_share, (kept_words, total_words))
