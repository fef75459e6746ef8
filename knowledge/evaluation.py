"""Retrieval and abstention quality on a labelled question set (``eval/questions.jsonl``).

Each line: ``{"question": str, "topic": slug | null, "split": "dev" | "test"}``; ``null`` marks a
question none of our articles covers (the answerer should abstain). Calibrate on ``dev`` and
report on ``test``: tuning and reporting on the same questions would flatter us.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.answerer import ExtractiveAnswerer
from knowledge.retriever import KnowledgeBase

EVAL_FILE = Path(__file__).resolve().parent.parent / "eval" / "questions.jsonl"
# A second set written later by someone who saw neither the articles nor the first set; never
# used for calibration, only for reporting.
HOLDOUT_FILE = EVAL_FILE.with_name("holdout.jsonl")
RANK_DEPTH = 10


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    topic: str | None
    split: str


@dataclass
class TopicScore:
    n: int = 0
    hit1: int = 0
    hit3: int = 0
    rr: float = 0.0

    def as_dict(self) -> dict[str, float]:
        n = max(self.n, 1)
        return {"n": self.n, "hit@1": self.hit1 / n, "hit@3": self.hit3 / n, "mrr": self.rr / n}


@dataclass
class EvalReport:
    split: str
    threshold: float
    per_topic: dict[str, TopicScore] = field(default_factory=dict)
    overall: TopicScore = field(default_factory=TopicScore)
    on_topic_answered: int = 0
    on_topic_total: int = 0
    off_topic_abstained: int = 0
    off_topic_total: int = 0
    abstained_total: int = 0
    failures: list[dict[str, object]] = field(default_factory=list)

    @property
    def abstention_precision(self) -> float:
        return self.off_topic_abstained / self.abstained_total if self.abstained_total else 1.0

    @property
    def abstention_recall(self) -> float:
        return self.off_topic_abstained / self.off_topic_total if self.off_topic_total else 1.0

    @property
    def answered_rate(self) -> float:
        return self.on_topic_answered / self.on_topic_total if self.on_topic_total else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "split": self.split,
            "threshold": self.threshold,
            "overall": self.overall.as_dict(),
            "per_topic": {t: s.as_dict() for t, s in sorted(self.per_topic.items())},
            "abstention": {
                "precision": self.abstention_precision,
                "recall": self.abstention_recall,
                "on_topic_answered_rate": self.answered_rate,
                "off_topic_total": self.off_topic_total,
                "on_topic_total": self.on_topic_total,
            },
            "failures": self.failures,
        }


def load_questions(path: Path = EVAL_FILE, split: str = "all") -> list[EvalQuestion]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            q = EvalQuestion(raw["question"], raw.get("topic"), raw.get("split", "dev"))
            if split == "all" or q.split == split:
                questions.append(q)
    return questions


def evaluate(kb: KnowledgeBase, answerer: ExtractiveAnswerer, questions: list[EvalQuestion], split: str) -> EvalReport:
    report = EvalReport(split=split, threshold=answerer.threshold)
    for q in questions:
        result = kb.search(q.question, k=RANK_DEPTH)
        abstained = answerer.should_abstain(result)
        report.abstained_total += abstained
        if q.topic is None:
            report.off_topic_total += 1
            report.off_topic_abstained += abstained
            if not abstained:
                report.failures.append({"question": q.question, "expected": None,
                                        "got": result.hits[0].chunk.topic, "score": result.best_dense})
            continue
        report.on_topic_total += 1
        report.on_topic_answered += not abstained
        topics = [h.chunk.topic for h in result.hits]
        rank = topics.index(q.topic) + 1 if q.topic in topics else None
        for score in (report.per_topic.setdefault(q.topic, TopicScore()), report.overall):
            score.n += 1
            score.hit1 += rank == 1
            score.hit3 += rank is not None and rank <= 3
            score.rr += 1.0 / rank if rank else 0.0
        if rank != 1 or abstained:
            report.failures.append({"question": q.question, "expected": q.topic, "got": topics[0] if topics else None,
                                    "rank": rank, "abstained": abstained, "score": result.best_dense})
    return report


def calibrate_abstention(kb: KnowledgeBase, questions: list[EvalQuestion]) -> dict[str, float]:
    """Pick (threshold, margin) that best separate on- from off-topic questions.

    Maximizes the worse of (on-topic answered rate, off-topic abstain rate), then their sum; ties
    go to the setting in the middle of the plateau so it is not glued to one question.
    """
    feats = []
    for q in questions:
        r = kb.search(q.question, k=1)
        feats.append((q.topic is not None, r.best_dense, r.best_uncovered - r.best_dense))
    on = np.array([f[0] for f in feats])
    dense = np.array([f[1] for f in feats])
    gap = np.array([f[2] for f in feats])
    grid_t = np.round(np.arange(0.10, 0.61, 0.01), 2)
    grid_m = np.round(np.arange(-0.15, 0.31, 0.01), 2)
    scores = np.zeros((grid_t.size, grid_m.size, 2))
    for i, t in enumerate(grid_t):
        for j, m in enumerate(grid_m):
            answer = (dense >= t) & (gap <= m)
            answered = answer[on].mean() if on.any() else 1.0
            abstained = (~answer[~on]).mean() if (~on).any() else 1.0
            scores[i, j] = (min(answered, abstained), answered + abstained)
    # Best worst-case rate, then best sum; within that plateau take the median setting on each
    # axis, so the chosen point sits in the middle of the gap rather than on its edge.
    best = scores[..., 0].max()
    top_sum = scores[..., 1][scores[..., 0] == best].max()
    plateau = np.argwhere((scores[..., 0] == best) & (scores[..., 1] == top_sum))
    t = float(np.median(grid_t[plateau[:, 0]]))
    m = float(np.median(grid_m[plateau[:, 1]]))
    answer = (dense >= t) & (gap <= m)
    return {
        "threshold": t,
        "margin": m,
        "on_topic_answered": float(answer[on].mean()) if on.any() else 1.0,
        "off_topic_abstained": float((~answer[~on]).mean()) if (~on).any() else 1.0,
    }


# -- answer quality: key facts ("nuggets") a complete answer must state ---------------------------

ANSWERS_FILE = EVAL_FILE.with_name("answers.jsonl")
# Written blind to the articles and answers by another author, for phrasing we did not write.
BLIND_ANSWERS_FILE = EVAL_FILE.with_name("answers_blind.jsonl")
# A third author's set (dev only): abstention trains on it too; answers_fresh2.jsonl (a fourth
# author's, test only) is what measures it.
FRESH_ANSWERS_FILE = EVAL_FILE.with_name("answers_fresh.jsonl")
# Two more authors' sets (dev only), with scenario and debugging phrasing: the answers are tuned
# and the abstention trained on them; answers_fresh2.jsonl stays the blind measure.
DEV3_ANSWERS_FILE = EVAL_FILE.with_name("answers_dev3.jsonl")
DEV4_ANSWERS_FILE = EVAL_FILE.with_name("answers_dev4.jsonl")
# Another author's set (dev only): off-topic questions on the ML, data and programming subjects
# next to ours, and on-topic ones phrased at that border, so abstention learns the boundary.
DEV5_ANSWERS_FILE = EVAL_FILE.with_name("answers_dev5.jsonl")


@dataclass(frozen=True)
class AnswerQuestion:
    question: str
    topic: str | None
    split: str
    nuggets: tuple[tuple[str, ...], ...] = ()  # each: regex alternatives, any one matching counts
    trap: bool = False  # off-topic but reuses our words in another sense


def load_answer_questions(path: Path = ANSWERS_FILE, split: str = "all") -> list[AnswerQuestion]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        q = AnswerQuestion(raw["question"], raw.get("topic"), raw.get("split", "dev"),
                           tuple(tuple(n) if isinstance(n, list) else (n,) for n in raw.get("nuggets", ())),
                           bool(raw.get("trap", False)))
        if split == "all" or q.split == split:
            out.append(q)
    return out


def nugget_hits(text: str, nuggets: tuple[tuple[str, ...], ...]) -> list[bool]:
    return [any(re.search(alt, text, re.IGNORECASE) for alt in alternatives) for alternatives in nuggets]


@dataclass
class AnswerScore:
    n: int = 0
    recall: float = 0.0
    complete: int = 0
    right_article: int = 0
    answered: int = 0
    authored: int = 0

    def as_dict(self) -> dict[str, float]:
        n = max(self.n, 1)
        return {"n": self.n, "nugget_recall": self.recall / n, "complete": self.complete / n,
                "right_article_first": self.right_article / n, "answered": self.answered / n,
                "authored": self.authored / n}


@dataclass
class AnswerReport:
    split: str
    per_topic: dict[str, AnswerScore] = field(default_factory=dict)
    overall: AnswerScore = field(default_factory=AnswerScore)
    off_topic_total: int = 0
    off_topic_abstained: int = 0
    trap_total: int = 0
    trap_abstained: int = 0
    failures: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "split": self.split,
            "overall": self.overall.as_dict(),
            "per_topic": {t: s.as_dict() for t, s in sorted(self.per_topic.items())},
            "off_topic_abstained": self.off_topic_abstained / max(self.off_topic_total, 1),
            "off_topic_total": self.off_topic_total,
            "trap_abstained": self.trap_abstained / max(self.trap_total, 1),
            "trap_total": self.trap_total,
            "failures": self.failures,
        }


def evaluate_answers(answerer: ExtractiveAnswerer, questions: list[AnswerQuestion], split: str) -> AnswerReport:
    """Mean nugget recall and share of complete answers per topic; abstention on off-topic ones.

    An abstained on-topic answer scores 0 (it states nothing); the article counts as right when
    the first cited passage is from the expected topic."""
    report = AnswerReport(split)
    for q in questions:
        answer = answerer.answer(q.question)
        if q.topic is None:
            report.off_topic_total += 1
            report.off_topic_abstained += answer.abstained
            report.trap_total += q.trap
            report.trap_abstained += q.trap and answer.abstained
            if not answer.abstained:
                report.failures.append({"question": q.question, "expected": None, "trap": q.trap,
                                        "got": answer.citations[0].chunk.topic if answer.citations else None})
            continue
        hits = nugget_hits(answer.text, q.nuggets) if not answer.abstained else [False] * len(q.nuggets)
        recall = sum(hits) / len(hits) if hits else 1.0
        articles = [c.chunk.topic for c in answer.citations if c.chunk.topic != "calculator"]
        right = bool(articles) and articles[0] == q.topic
        for score in (report.per_topic.setdefault(q.topic, AnswerScore()), report.overall):
            score.n += 1
            score.recall += recall
            score.complete += recall == 1.0
            score.right_article += right
            score.answered += not answer.abstained
            score.authored += answer.source == "authored"
        if recall < 1.0 or not right:
            report.failures.append({"question": q.question, "expected": q.topic, "source": answer.source,
                                    "authored_id": answer.authored_id, "abstained": answer.abstained,
                                    "missed": [q.nuggets[i] for i, h in enumerate(hits) if not h],
                                    "answer": answer.text})
    return report


def abstention_training_set(answerer: ExtractiveAnswerer, split: str = "dev"):
    """Features and on-topic labels of every question of ``split`` in every question file."""
    rows, labels = [], []
    texts = [(q.question, q.topic is not None) for q in load_questions(EVAL_FILE, split)]
    for path in (ANSWERS_FILE, BLIND_ANSWERS_FILE, FRESH_ANSWERS_FILE, DEV3_ANSWERS_FILE, DEV4_ANSWERS_FILE,
                 DEV5_ANSWERS_FILE):
        if path.exists():
            texts += [(q.question, q.topic is not None) for q in load_answer_questions(path, split)]
    for question, on_topic in texts:
        result = answerer.kb.search(question, k=5)
        match = answerer.authored_match(result)
        rows.append(answerer.abstention_features(result, match))
        labels.append(on_topic)
    return np.array(rows), np.array(labels)
