"""Authored answers: the questions students really ask, each with an answer we wrote.

Quoting the most similar sentences of an article often misses the one fact a TA would lead with.
So every article has a sibling bank ``knowledge/answers/<slug>.yaml`` of questions in student
phrasing with a short answer written for exactly that question (direct first sentence, then the
why, at most 90 words, self-contained), tied to the article section it summarizes so that its
citation is a real section. When a student's question is close enough to an authored one (see
:mod:`knowledge.answer_builder` for the calibrated rule) the bot answers with it; otherwise it
composes from passages.

File format::

    topic: relu
    answers:
      - id: relu-dying
        section: "In practice"            # heading path, as the chunker names it
        kind: what                         # see KINDS
        questions: ["What is the dying ReLU problem?", "why do my relu neurons die"]
        answer: >-
          Standard answer ...
        beginner: >-                       # optional: for a newcomer, no formulas
        deep: >-                           # optional: leads with the math

Run ``python -m knowledge.authored --check`` to validate every file against the articles.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from knowledge.chunking import Chunk, chunk_articles
from knowledge.corpus import ARTICLES_DIR, Article, CorpusError, load_articles
from knowledge.worked_examples import numbers_in

log = logging.getLogger(__name__)

ANSWERS_DIR = Path(__file__).resolve().parent / "answers"
MAX_ANSWER_WORDS = 90
MIN_ANSWERS_PER_ARTICLE = 30
LEVELS = ("beginner", "standard", "deep")
KINDS = frozenset({
    "what", "why-problem", "why-happens", "how-helps", "when-which", "typical-values", "interview",
    "error-fix", "compare", "how-to", "numbers",
})
# A sentence that opens with a pronoun means nothing without the sentence before it.
_DANGLING_OPENER = re.compile(r"^(it|this|that|these|those|they|its|their)\b", re.IGNORECASE)
_VERDICT = re.compile(r"^(?:Yes|No)\s*,")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_TOKEN = re.compile(r"[a-z0-9]+")
_FILLER = frozenset("a an the i my me we you is are am be do does did should would could can to of for in on "
                    "at it its this that what whats when why how which or and with".split())
RERANK_TOP = 8
BIGRAM_BONUS = 0.08
NUMBER_BONUS = 0.08  # for how far a phrasing's numbers are the question's ("p = 0.99", not 0.9)


def _numbers(text: str) -> frozenset[float]:
    """The numbers a phrasing or question names, as values ("0.90" is 0.9), read as a worked
    example reads them: years ("Santurkar et al. 2018") name a paper, not a case."""
    return frozenset(value for value, _ in numbers_in(text))


def _bigrams(text: str) -> list[tuple[str, str]]:
    words = [w.rstrip("s") if len(w) > 3 else w for w in _TOKEN.findall(text.lower()) if w not in _FILLER]
    return list(zip(words, words[1:]))


@dataclass(frozen=True)
class AuthoredAnswer:
    id: str
    topic: str
    section: str
    kind: str
    questions: tuple[str, ...]
    answer: str
    beginner: str | None = None
    deep: str | None = None

    def text_for(self, level: str = "standard") -> str:
        """The answer at ``level``; the standard one where no variant was written."""
        if level == "beginner" and self.beginner:
            return self.beginner
        if level == "deep" and self.deep:
            return self.deep
        return self.answer


class AuthoredError(CorpusError):
    """An authored-answer file is malformed: a maintainer problem, not a user one."""


def _clean(text: object) -> str:
    return " ".join(str(text).split())


def load_authored(answers_dir: Path = ANSWERS_DIR) -> list[AuthoredAnswer]:
    """Every authored answer, file by file (sorted by slug), in file order."""
    out: list[AuthoredAnswer] = []
    if not answers_dir.is_dir():
        return out
    for path in sorted(answers_dir.glob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise AuthoredError(f"{path.name}: not valid YAML ({exc})") from exc
        topic = raw.get("topic")
        if topic != path.stem:
            raise AuthoredError(f"{path.name}: topic {topic!r} does not match the file name")
        for i, entry in enumerate(raw.get("answers") or []):
            try:
                questions = tuple(_clean(q) for q in entry["questions"] if _clean(q))
                out.append(AuthoredAnswer(
                    id=str(entry["id"]),
                    topic=topic,
                    section=_clean(entry["section"]),
                    kind=str(entry.get("kind", "what")),
                    questions=questions,
                    answer=_clean(entry["answer"]),
                    beginner=_clean(entry["beginner"]) if entry.get("beginner") else None,
                    deep=_clean(entry["deep"]) if entry.get("deep") else None,
                ))
            except (KeyError, TypeError) as exc:
                raise AuthoredError(f"{path.name}: answer #{i + 1} lacks {exc}") from exc
    return out


def section_chunks(chunks: list[Chunk]) -> dict[tuple[str, str], Chunk]:
    """The first passage of every (topic, section path): what an authored answer cites."""
    out: dict[tuple[str, str], Chunk] = {}
    for chunk in chunks:
        out.setdefault((chunk.topic, chunk.section), chunk)
    return out


def check(answers: list[AuthoredAnswer], articles: list[Article]) -> list[str]:
    """Every problem with the authored answers, one line each (empty: all good)."""
    problems: list[str] = []
    sections = section_chunks(chunk_articles(articles))
    slugs = {a.slug for a in articles}
    seen: set[str] = set()
    per_topic: dict[str, int] = {}
    for a in answers:
        where = f"{a.topic}/{a.id}"
        per_topic[a.topic] = per_topic.get(a.topic, 0) + 1
        if a.topic not in slugs:
            problems.append(f"{where}: no article {a.topic!r}")
        if not _ID.match(a.id):
            problems.append(f"{where}: id must be kebab-case")
        if a.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(a.id)
        if (a.topic, a.section) not in sections:
            problems.append(f"{where}: section {a.section!r} is not a section of the article")
        if a.kind not in KINDS:
            problems.append(f"{where}: kind {a.kind!r} not in {sorted(KINDS)}")
        if not a.questions:
            problems.append(f"{where}: no questions")
        for label, text in (("answer", a.answer), ("beginner", a.beginner), ("deep", a.deep)):
            if text is None:
                continue
            words = len(text.split())
            if words > MAX_ANSWER_WORDS:
                problems.append(f"{where}: {label} has {words} words (max {MAX_ANSWER_WORDS})")
            first, *rest = _SENTENCE_SPLIT.split(text)
            if _DANGLING_OPENER.match(first):
                problems.append(f"{where}: {label} opens with a pronoun: {first[:40]!r}")
            later_verdict = next((s for s in rest if _VERDICT.match(s)), None)
            if later_verdict:  # it answers a sub-question the student may never have asked
                problems.append(f"{where}: {label} has a yes/no after its first sentence: {later_verdict[:40]!r}")
    for slug in sorted(slugs):
        if per_topic.get(slug, 0) < MIN_ANSWERS_PER_ARTICLE:
            problems.append(f"{slug}: {per_topic.get(slug, 0)} authored answers (at least {MIN_ANSWERS_PER_ARTICLE})")
    return problems


def answers_hash(answers_dir: Path = ANSWERS_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(answers_dir.glob("*.yaml")) if answers_dir.is_dir() else []:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class AuthoredMatch:
    """The best authored answer for a question and how sure the match is."""

    answer: AuthoredAnswer
    cosine: float  # best cosine to one of the answer's phrasings, plus the word-order bonus
    runner_up: float  # best cosine of any other answer (a near tie means the match is unsure)
    runner_up_id: str


class AuthoredBank:
    """The authored answers and the vectors of their phrasings, ready to match a query vector.

    Phrasing vectors are cached under the index directory, keyed by the answers' content and the
    model, so a warm start encodes nothing and a match is one small matrix product."""

    def __init__(self, answers: list[AuthoredAnswer], vectors: np.ndarray, rows: np.ndarray) -> None:
        self.answers = answers
        self.vectors = vectors  # one row per phrasing, L2-normalized
        self.rows = rows  # answer index of every phrasing row
        self.by_id = {a.id: a for a in answers}
        self.bigrams = [frozenset(_bigrams(q)) for a in answers for q in a.questions]
        self.numbers = [_numbers(q) for a in answers for q in a.questions]

    @classmethod
    def open(cls, cache_dir: Path, embedder, answers_dir: Path = ANSWERS_DIR) -> "AuthoredBank":
        answers = load_authored(answers_dir)
        texts: list[str] = []
        rows: list[int] = []
        for i, a in enumerate(answers):
            for q in a.questions:
                texts.append(q)
                rows.append(i)
        key = hashlib.sha256(f"{answers_hash(answers_dir)}|{embedder.name}".encode()).hexdigest()[:16]
        cache = cache_dir / f"authored-{key}.npy"
        vectors: np.ndarray | None = None
        if cache.exists():
            try:
                vectors = np.load(cache, allow_pickle=False)
                if vectors.shape[0] != len(texts) or vectors.ndim != 2:
                    vectors = None
            except (OSError, ValueError):
                vectors = None
        if vectors is None:
            vectors = embedder.encode(texts) if texts else np.zeros((0, 384), np.float32)
            cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".authored-", suffix=".npy", dir=cache_dir)
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, vectors)
            os.replace(tmp, cache)
            for old in cache_dir.glob("authored-*.npy"):
                if old != cache:
                    old.unlink(missing_ok=True)
        return cls(answers, np.asarray(vectors, dtype=np.float32), np.asarray(rows, dtype=np.int64))

    def match(self, query_vector: np.ndarray, query_text: str = "",
              topics: set[str] | None = None, exclude: frozenset[str] = frozenset()) -> AuthoredMatch | None:
        """The closest authored answer (restricted to ``topics`` when given, never one whose id
        is in ``exclude``), or None."""
        if not len(self.rows):
            return None
        sims = self.vectors @ query_vector
        best_per_answer = np.full(len(self.answers), -1.0, dtype=np.float32)
        np.maximum.at(best_per_answer, self.rows, sims)
        for i, a in enumerate(self.answers):
            if (topics is not None and a.topic not in topics) or a.id in exclude:
                best_per_answer[i] = -1.0
        # Word order matters where embeddings blur it: "favour recall over precision" must not
        # match "when is precision more important than recall". The closest few are re-ranked
        # with a small bonus for the share of the question's word pairs a phrasing shares.
        # Numbers too: of two worked examples, the one on the student's own values ("p = 0.99")
        # is the answer, though embeddings hardly tell 0.9 from 0.99.
        asked = frozenset(_bigrams(query_text)) if query_text else frozenset()
        given = _numbers(query_text) if query_text else frozenset()
        if asked or given:
            for i in np.argsort(-best_per_answer)[:RERANK_TOP]:
                rows = np.flatnonzero(self.rows == i)
                if asked:
                    shared = max(len(asked & self.bigrams[r]) for r in rows) / len(asked)
                    best_per_answer[i] += BIGRAM_BONUS * shared
                if given:
                    # Jaccard: a phrasing on other numbers (0.9 for a question's 0.99) counts against
                    best_per_answer[i] += NUMBER_BONUS * max(len(given & self.numbers[r]) / len(given | self.numbers[r])
                                                             for r in rows)
        order = np.argsort(-best_per_answer)
        top = int(order[0])
        if best_per_answer[top] <= -1.0:
            return None
        second = int(order[1]) if len(order) > 1 else top
        return AuthoredMatch(self.answers[top], float(best_per_answer[top]),
                             float(best_per_answer[second]) if second != top else -1.0,
                             self.answers[second].id if second != top else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate the authored answers against the articles.")
    parser.add_argument("--check", action="store_true", help="report every problem; exit 1 if any")
    parser.parse_args(argv)
    answers = load_authored()
    problems = check(answers, load_articles(ARTICLES_DIR))
    counts: dict[str, int] = {}
    for a in answers:
        counts[a.topic] = counts.get(a.topic, 0) + 1
    for topic, n in sorted(counts.items()):
        print(f"{topic}: {n} answers")
    for line in problems:
        print(f"problem: {line}")
    print(f"{len(answers)} authored answers, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
