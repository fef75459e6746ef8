"""Should the bot answer? A small calibrated classifier over all the evidence, not one cosine.

One dense-cosine threshold fails both ways: an acronym we do cover ("what is CLAHE?") embeds
poorly although BM25 finds its section at once, while "what batch size should I order for my
bakery?" shares our words but not our meaning. The classifier (logistic regression, trained by
``tutor eval --calibrate`` on the dev split only) combines:

* the best passage cosine and the best BM25 score over all passages (an exact rare term, "Santurkar",
  counts even when the fused ranking puts its passage below the returned ones);
* the share of the question's content words that our corpus uses at all ("bakery" is not one);
* how closely the question matches an authored student question, and by how much that match
  beats the runner-up (a short question with one clear written answer, "what's [SEP] for", is
  on topic although its passage cosine is low: two words never embed close to a paragraph);
* how much closer the question is to a subject we know we do not cover (other senses of our
  words — cooking, cars, cameras, finance, databases… — are listed there too), measured against
  the best passage and against the best single sentence (a two-word question is compared fairly
  with a sentence, never with a paragraph);
* how much of the question's specific wording is the wording of that uncovered subject: "xgboost
  vs random forest" or "what dropout rate" name a subject we do not cover, even when an article
  of ours mentions it in passing and so outscores the subject line on cosine. Words are weighted
  by their rarity in our passages, so "dropout" or "xgboost" count and "rate" or "data" hardly.

The trained weights are stored as JSON (``knowledge/data/abstention.json``) so answering needs
no scikit-learn import: a dot product and a sigmoid.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import Stemmer

from knowledge.retriever import SearchResult
from knowledge.query import ABBREVIATIONS, normalize_query

MODEL_FILE = Path(__file__).resolve().parent / "data" / "abstention.json"
FEATURES = ("dense", "keyword", "known_share", "unknown_words", "authored", "uncovered_gap", "authored_margin",
            "uncovered_wording", "uncovered_sentence_gap")
_WORD = re.compile(r"[a-z][a-z0-9'-]*")
# Words that carry no subject (question scaffolding, chat filler); everything else is "content".
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each either else ever every
few for from further get gets getting got had has have having he her here hers him his how i if in
into is it its itself just kind know let like lot make makes many may me might more most much must
my need needs no nor not now of off often on once one only or other our out over own please pretty
quick quickly really right same say see she should so some someone something such tell than thank
thanks that the their them then there these they thing things this those through to too under
until up us use used using very want wants was way we well were what whats when where whether which
while who whom why will with would yeah yes you your yours explain explained mean means meaning
question questions help understand difference differ vs versus work works working good bad best
better ok okay hey hi hello guys anyone idea ideas simple simply eli5 new beginner interview q
""".split())


# "mean" is scaffolding in "what does it mean" but the subject in "running mean", "subtract the
# mean" or "mean and variance": the statistic is read where a word next to it says so.
_STATISTIC_MEAN = re.compile(
    r"\b(?:running|moving|rolling|batch|sample|population|zero|channel|feature|global|exponential|empirical|"
    r"arithmetic|weighted|per-channel|per-feature)[\s_]+(mean)\b"
    r"|\b(?:the|a|its|their)\s+(mean)\b(?!\s*[?!.]*$)"
    r"|\b(mean)(?=\s+(?:and|of|subtraction|squared|absolute|values?|0|zero|μ|shift|centering|centring|"
    r"normalization|pooling|vector|std|variance)\b|\s*[=:]|_)")


def content_words(text: str) -> list[str]:
    lowered = text.lower()
    statistic = {next(m.start(i) for i in (1, 2, 3) if m.group(i)) for m in _STATISTIC_MEAN.finditer(lowered)}
    return [m.group().strip("'-") for m in _WORD.finditer(lowered)
            if len(m.group()) >= 3 and (m.group() not in STOPWORDS or m.start() in statistic)]


def _known(word: str, vocabulary: frozenset[str]) -> bool:
    if word in vocabulary:
        return True
    for suffix in ("ing", "ed", "es", "s", "ly", "er"):
        if word.endswith(suffix) and word[: -len(suffix)] in vocabulary:
            return True
    return False


def vocabulary_of(texts) -> frozenset[str]:
    return frozenset(w for t in texts for w in _WORD.findall(t.lower()))


_stem = Stemmer.Stemmer("english").stemWord


def stems(text: str) -> set[str]:
    """The stems of ``text``'s content words ("forests" and "forest" are one subject)."""
    return {_stem(w) for w in content_words(text)}


@dataclass(frozen=True)
class CorpusWords:
    """What the classifier knows about our wording: every word our texts use (articles, titles,
    written answers) and, per stem, how many article passages use it (its rarity)."""

    vocabulary: frozenset[str]
    passage_frequency: dict[str, int]
    passages: int

    @classmethod
    def of(cls, passages: Sequence[str], other_texts: Sequence[str] = ()) -> "CorpusWords":
        frequency: dict[str, int] = {}
        for text in passages:
            for s in stems(text):
                frequency[s] = frequency.get(s, 0) + 1
        return cls(vocabulary_of(list(passages) + list(other_texts)), frequency, len(passages))

    def rarity(self, stem: str) -> float:
        """Inverse passage frequency: high for a term few passages use, or none."""
        return math.log((self.passages + 1) / (self.passage_frequency.get(stem, 0) + 0.5))


def uncovered_wording(query: str, subject: str, corpus: CorpusWords) -> float:
    """The rarity-weighted share of the question's content words that the closest uncovered
    subject uses: 1.0 when every specific word of the question names that subject."""
    asked = stems(query)
    if not asked or not subject:
        return 0.0
    weight = {s: corpus.rarity(s) for s in asked}
    named = stems(subject)
    return sum(w for s, w in weight.items() if s in named) / (sum(weight.values()) or 1.0)


def features(result: SearchResult, query: str, corpus: CorpusWords, authored_cosine: float,
             authored_runner_up: float = 0.0, best_sentence: float | None = None) -> np.ndarray:
    """The classifier's input, in the order of ``FEATURES``. ``best_sentence``: the best cosine of
    the question to one sentence of our articles (``None``: the best passage's)."""
    # chat shorthand ("val acc") is read spelled out: an abbreviation is not an unknown word
    words = [w for w in content_words(normalize_query(query)) if w not in ABBREVIATIONS]
    known = [w for w in words if _known(w, corpus.vocabulary)]
    # No content word at all ("what is 0.25^10", "what is p_t") is no evidence of an unknown one.
    share = len(known) / len(words) if words else 1.0
    best_keyword = max([result.best_keyword] + [h.keyword for h in result.hits])
    return np.array([
        result.best_dense,
        math.log1p(max(best_keyword, 0.0)),
        share,
        float(len(words) - len(known)),
        authored_cosine,
        result.best_uncovered - result.best_dense,
        authored_cosine - max(authored_runner_up, 0.0) if authored_cosine > 0 else 0.0,
        uncovered_wording(query, result.uncovered_subject, corpus),
        result.best_uncovered - (result.best_dense if best_sentence is None else best_sentence),
    ], dtype=np.float64)


@dataclass(frozen=True)
class AbstentionModel:
    """P(on topic) = σ(w·x + b); answer when it reaches ``threshold``."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    features: tuple[str, ...] = FEATURES
    trained_on: str = ""

    def on_topic_probability(self, x: np.ndarray) -> float:
        z = float(np.dot(self.coef, x) + self.intercept)
        return 1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0

    def should_abstain(self, x: np.ndarray) -> bool:
        return self.on_topic_probability(x) < self.threshold

    def save(self, path: Path = MODEL_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "AbstentionModel | None":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if tuple(raw.get("features", ())) != FEATURES:
            return None  # trained on other features: retrain with `tutor eval --train-abstention`
        return cls(tuple(raw["coef"]), float(raw["intercept"]), float(raw["threshold"]), FEATURES,
                   str(raw.get("trained_on", "")))


def train(x: np.ndarray, on_topic: np.ndarray, trained_on: str = "",
          min_on_topic_answered: float = 0.98) -> AbstentionModel:
    """Fit the classifier and pick the threshold: the highest that still answers at least
    ``min_on_topic_answered`` of the on-topic training questions (a wrong refusal of a covered
    question costs less than a confident answer to an uncovered one, but both cost)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(scaler.transform(x), on_topic)
    coef = clf.coef_[0] / scaler.scale_
    intercept = float(clf.intercept_[0] - np.dot(clf.coef_[0], scaler.mean_ / scaler.scale_))
    model = AbstentionModel(tuple(float(c) for c in coef), intercept, 0.5, FEATURES, trained_on)
    probs = np.array([model.on_topic_probability(row) for row in x])
    positives = np.sort(probs[on_topic.astype(bool)])
    if positives.size:
        allowed_misses = int(math.floor((1 - min_on_topic_answered) * positives.size))
        threshold = float(min(0.5, positives[allowed_misses] - 1e-9))
    else:
        threshold = 0.5
    return AbstentionModel(model.coef, intercept, threshold, FEATURES, trained_on)
