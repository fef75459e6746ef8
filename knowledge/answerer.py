"""Grounded answers: an authored answer when one fits, else one composed from our passages.

No generative model is involved, so an answer can only say what we wrote. The steps, each its
own module:

1. retrieve passages (:mod:`knowledge.retriever`), with a short follow-up read together with the
   question before it (:mod:`knowledge.followup`);
2. decide whether we cover the question at all (:mod:`knowledge.abstention`); if not, say so
   and name the three closest topics we do cover;
3. answer with the authored answer whose student phrasing matches closely
   (:mod:`knowledge.authored`), or compose one from the passages (:mod:`knowledge.composer`);
4. compute what the question's numbers ask for (:mod:`tools.question_math`) and state it after
   the explanation, cited as the calculator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from knowledge.abstention import AbstentionModel, CorpusWords, content_words, features
from knowledge.authored import AuthoredBank, AuthoredMatch, section_chunks
from knowledge.chunking import Chunk, split_sentences
from knowledge.composer import DANGLING_OPENER, FORMULA, LEANS_ON_CONTEXT, compose
from knowledge.followup import retrieval_query
from knowledge.notes import NoteChunk
from knowledge.query import ABBREVIATIONS, normalize_query
from knowledge.retriever import Hit, KnowledgeBase, SearchResult
from tools.errors import UserInputError
from knowledge.worked_examples import StudentNumbers
from tools.question_math import Computation, WorkedNumbers, compute_from_question, fmt

# Fallback abstention rule (no trained classifier on disk): the best passage cosine must reach
# ABSTAIN_THRESHOLD and the question must not be clearly closer to a subject we do not cover.
DEFAULT_ABSTAIN_THRESHOLD = 0.345
DEFAULT_UNCOVERED_MARGIN = 0.06
# An authored answer is used when a phrasing of it is this close to the question (cosine of
# MiniLM vectors) and its article is among the retrieved ones, or closer still whatever was
# retrieved. Calibrated on the dev split of eval/answers.jsonl (`tutor eval --answers`).
AUTHORED_MIN_COSINE = 0.65
AUTHORED_SURE_COSINE = 0.80
LONG_QUESTION_WORDS = 20  # a question this long is a story around its real question (calibrated on dev)
LONG_QUESTION_AUTHORED_MIN = 0.55
CLOSEST_TOPICS_SHOWN = 3
# A server note this close to the question answers it whatever the classifier says: the classifier
# learned what our articles cover, and a note is what a server wrote to answer its own members
# ("when are office hours?"). A question and a passage that answers it score about 0.45–0.7 with
# MiniLM; an unrelated question scores under 0.2.
NOTE_ANSWER_COSINE = 0.45
# Words of passage sentences added after an authored answer, and how much of a sentence's content
# may already be said for it to be skipped as repetition.
SUPPLEMENT_WORDS = 80
MAX_ANSWER_WORDS = 150  # authored answer + supplement; computed sentences come on top
SUPPLEMENT_MAX_OVERLAP = 0.6
# A runner-up written answer this close to the best one (or any runner-up above the minimum when
# the best is itself unsure) means the question may blend two sub-questions.
NEAR_TIE = 0.04
CALCULATOR_TOPIC = "calculator"
# Computations that are plain arithmetic, not one of the curriculum's formulas: "what is 2^10" is
# not a question about our subjects just because it can be computed.
GENERIC_TOOLS = frozenset({"power"})
# The article each calculator formula belongs to: a question the calculator computed is about that
# subject even when its wording retrieves another ("z score of 85 …" finds the Wald z statistic).
TOOL_TOPICS = {
    "odds-ratio": "logistic-regression", "log-odds-to-probability": "logistic-regression",
    "logistic-model": "logistic-regression", "standardize": "feature-scaling", "min-max": "feature-scaling",
    "robust-scale": "feature-scaling", "chain-product": "vanishing-gradient", "focal-loss": "focal-loss",
    "prior-bias": "focal-loss", "precision-recall": "precision-recall", "precision-recall-verdict": "precision-recall",
    "f1": "precision-recall", "f-beta": "precision-recall", "relu": "relu", "leaky-relu": "relu", "gelu": "relu",
    "silu": "relu", "batch-norm": "batch-normalization",
    "bn-running-update": "batch-normalization", "grid-size": "hyperparameter-tuning", "grayscale": "image-processing",
    "conv-output": "image-processing", "filter": "image-processing", "bert-masking": "word2vec-vs-bert",
    "vector-analogy": "word2vec-vs-bert",
}
LEVELS = ("beginner", "standard", "deep")
_BEGINNER_HINT = re.compile(
    r"\b(eli5|explain (?:it |this )?like i'?m (?:5|five|new|a beginner)|like i'?m (?:5|five)|i'?m new|"
    r"new to (?:ml|this|deep learning|machine learning)|beginner|in simple (?:terms|words)|simply put|"
    r"layman'?s? terms|without (?:the )?(?:math|formulas?))\b", re.IGNORECASE)
_DEEP_HINT = re.compile(r"\b(derive|derivation|prove|proof|the math(?:s)? behind|mathematically|formally)\b",
                        re.IGNORECASE)


@dataclass(frozen=True)
class CalculatorChunk(Chunk):
    """A computed result cited like a passage: the calculator is the source, not an article."""

    tool: str = ""


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
    source: str = "composed"  # "authored" | "composed" | "abstained"
    level: str = "standard"
    computed: WorkedNumbers = field(default_factory=WorkedNumbers)
    authored_id: str | None = None
    on_topic_probability: float | None = None


_VERDICT_OPENER = re.compile(
    r"^(?:yes|no|not really|mostly (?:yes|no)|usually not|usually no|rarely|somewhat)\s*[,:;—–-]\s*(?=\w)", re.IGNORECASE)
# A yes/no question: some clause opens with an auxiliary ("is that good?", "does BN reduce ICS"),
# it ends on a tag ("batch size 2, is that ok?", "… is it normal"), or it says so ("yes or no",
# "true or false", "right?").
_AUXILIARY = (r"is|are|was|were|am|does|do|did|can|could|should|would|will|has|have|had|"
              r"isn'?t|aren'?t|doesn'?t|don'?t|didn'?t|can'?t|won'?t|shouldn'?t")
_YES_NO_CLAUSE = re.compile(
    rf"(?:^|[,.;:?!(]\s*|\s[-—–]\s*|\bor\s+)(?:{_AUXILIARY})\b|\byes or no\b|\btrue or false\b|"
    r"\bright\s*\?|\bor not\b|\bsame(?: thing)?\s*\?|"
    r"(?<!\bwhy )(?<!\bhow )(?<!\bwhat )\b(?:is|are) (?:that|this|it|these|those) (?:\w+ )?"
    r"(?:ok|okay|fine|good|bad|normal|enough|wrong|right|correct|true|a problem|too \w+)(?: \w+)?\s*[?!.]*$",
    re.IGNORECASE)
# Where a question is a choice between alternatives ("classification or regression?"), a yes or no
# answers nothing.
_ALTERNATIVES = re.compile(r"\bor\b(?! not\b)|\bvs\.?\b|\bversus\b|\bwhich\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|never|no|cannot|neither|nor|none)\b|n't\b", re.IGNORECASE)
# The main clause of a sentence: up to its first punctuation or subordinating word.
_CLAUSE_END = re.compile(r"[,;:(—–]|\s(?:because|so|since|which|while|but|although|unless|when|if|as)\s",
                         re.IGNORECASE)
MIN_VERDICT_TERMS = 2
# A question in several parts ("batch norm vs layer norm, why do transformers use layernorm"):
# each part of at least two content words is matched on its own.
_PARTS = re.compile(r"\?+\s*|[,;]\s+|\s+(?:and|also|plus|but)\s+(?=(?:why|how|what|when|which|is|are|does|do|can|"
                    r"should)\b)", re.IGNORECASE)
MIN_PART_TERMS = 2
# Words that carry no subject but are the very claim of a yes/no question ("is sigmoid ever *good*
# for hidden layers", "is softmax the *same* as sigmoid"): an answer settles it only by saying them.
_PREDICATE_WORDS = frozenset("same different differ good bad better worse best worst ok okay fine enough "
                             "work works help helps".split())
_REQUEST = re.compile(r"^\s*(?:can|could|would|will)\s+(?:you|u|someone|somebody|anyone|anybody)\b", re.IGNORECASE)


def answered_by_a_note(result: SearchResult) -> bool:
    return any(isinstance(h.chunk, NoteChunk) and h.dense >= NOTE_ANSWER_COSINE for h in result.hits)


def asks_yes_or_no(question: str) -> bool:
    return _YES_NO_CLAUSE.search(question.strip()) is not None


def fit_verdict(answer: str, question: str) -> str:
    """A written answer that opens with "Yes," or "No," answers a yes/no phrasing; to a question
    that asked something else ("my relu units all output zero") the bare verdict reads as a
    contradiction, so it is dropped and the sentence starts at its claim."""
    match = _VERDICT_OPENER.match(answer)
    if match is None or asks_yes_or_no(question):
        return answer
    rest = answer[match.end():]
    return rest[:1].upper() + rest[1:]


_SUFFIXES = ("ization", "ations", "ation", "ings", "ing", "ers", "er", "ies", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """A crude stem, enough to see "smoother" and "smooth", "normalizes" and "normalize" as one.
    Not :func:`knowledge.abstention.stems` (Snowball): it keeps a comparative apart from its base,
    and "does BN make the landscape smoother?" is settled by "BN smooths the landscape"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    """The stems of the content words of ``text``: what it is about."""
    return {stem(w) for w in content_words(text)}


def asked_terms(question: str) -> set[str]:
    """What the question asks about: its content words, abbreviations spelled out as well ("BN"
    also asks about "batch normalization")."""
    return {t for t in terms(normalize_query(question)) if t not in ABBREVIATIONS}


def _yes_no_clause(question: str) -> str:
    """The part of the question from its auxiliary to its question mark: "… how tho, does BN let
    me use a higher learning rate?" → "does BN let me use a higher learning rate"."""
    starts = [m.start() for m in re.finditer(rf"(?:^|[,.;:?!(]\s*|\s[-—–]\s*)((?:{_AUXILIARY})\b)", question,
                                             re.IGNORECASE)]
    if not starts:
        return ""
    clause = question[starts[-1]:].lstrip(",.;:?!( -—–")
    return clause.split("?")[0]


def derive_verdict(answer: str, question: str) -> str:
    """"Yes," or "No," in front of a written answer without one, when its first sentence itself
    settles the yes/no question: its main clause says everything the question asks about (at least
    two content words), negated ("ReLU is not differentiable at exactly zero" → No) or not
    ("Batch normalization allows higher learning rates" → Yes). Anything less certain (the
    question's words spread over the answer, a choice between alternatives, a tag like "is that
    ok?") is left as written."""
    if _VERDICT_OPENER.match(answer) or not asks_yes_or_no(question) or _ALTERNATIVES.search(question):
        return answer
    clause = _yes_no_clause(question)
    asked = asked_terms(clause)
    sentences = split_sentences(answer)
    if len(asked) < MIN_VERDICT_TERMS or not sentences or _REQUEST.match(clause):
        return answer
    main = _CLAUSE_END.split(sentences[0], maxsplit=1)[0]
    claimed = {w for w in re.findall(r"[a-z]+", clause.lower()) if w in _PREDICATE_WORDS}
    if not asked <= terms(main) or not claimed <= set(re.findall(r"[a-z]+", main.lower())):
        return answer
    if _NEGATION.search(clause.split(" ", 1)[-1]):
        return answer  # "doesn't it…?": a bare yes or no would be ambiguous
    verdict = "No" if _NEGATION.search(main) else "Yes"
    first = answer.split(" ", 1)[0]
    proper = first[1:] != first[1:].lower() or re.search(rf"(?<!^)(?<![.!?] )\b{re.escape(first)}\b", answer[1:])
    return f"{verdict}, {answer if proper else answer[:1].lower() + answer[1:]}"


def _states(text: str, number: str) -> bool:
    """Whether ``text`` states ``number`` as a number of its own ("24", not the 24 of "240" nor
    the 1.5 of "−1.5")."""
    sign = "" if number.startswith("−") else "(?<![−–-])"
    more = r"\d*" if "." in number else ""  # a written 0.1054 states the calculator's 0.105
    return any(m.group() == number or fmt(float(m.group().replace("−", "-"))) == number
               for m in re.finditer(rf"(?<![\d.,]){sign}{re.escape(number)}{more}(?![\d]|[.,]\d)", text))


def already_stated(computation: Computation, text: str, question: str) -> bool:
    """Whether ``text`` already says what ``computation`` found, for the numbers the student gave:
    every result, and every input the question states (a written answer about a coefficient of 0.7
    states e^0.7 ≈ 2.01; one about x = 180 that happens to say 1.5 does not answer x = 85). A list
    result counts as stated only as the whole list."""
    if computation.stated_as:
        return all(s in text for s in computation.stated_as)
    inputs = [fmt(v) for v in computation.inputs.values() if _states(question, fmt(v))]
    return all(_states(text, fmt(v)) for v in computation.result.values()) and all(_states(text, v) for v in inputs)


def shown_computations(worked: WorkedNumbers, text: str, question: str) -> list[Computation]:
    """The computations an answer with ``text`` has to state itself."""
    return [c for c in worked.computations if not already_stated(c, text, question)]


def detect_level(question: str, requested: str | None = None) -> str:
    """The requested level, else what the question implies ("eli5" → beginner), else standard."""
    if requested:
        if requested not in LEVELS:
            raise UserInputError(f"unknown level {requested!r}: use one of {', '.join(LEVELS)}")
        return requested
    if _BEGINNER_HINT.search(question):
        return "beginner"
    if _DEEP_HINT.search(question):
        return "deep"
    return "standard"


def topic_list(kb: KnowledgeBase) -> str:
    return ", ".join(f"{a.title} (`{a.slug}`)" for a in kb.articles)


def closest_topics(kb: KnowledgeBase, result: SearchResult, n: int = CLOSEST_TOPICS_SHOWN) -> list[str]:
    slugs: list[str] = []
    for hit in result.hits:
        if hit.chunk.topic in kb.by_slug and hit.chunk.topic not in slugs:
            slugs.append(hit.chunk.topic)
    for article in kb.articles:  # too few hits (tiny corpora): fill in curriculum order
        if len(slugs) >= n:
            break
        if article.slug not in slugs:
            slugs.append(article.slug)
    return slugs[:n]


def abstain_text(kb: KnowledgeBase, result: SearchResult | None = None) -> str:
    if result is None:
        return f"I don't have an article on that yet, so I won't guess. Topics I can help with: {topic_list(kb)}."
    near = ", ".join(f"{kb.by_slug[s].title} (`{s}`)" for s in closest_topics(kb, result))
    return (f"I don't have an article on that yet, so I won't guess. The closest topics I do cover: {near}. "
            "See `/roadmap` for all of them.")


class ExtractiveAnswerer:
    def __init__(
        self,
        kb: KnowledgeBase,
        abstain_threshold: float = DEFAULT_ABSTAIN_THRESHOLD,
        uncovered_margin: float = DEFAULT_UNCOVERED_MARGIN,
        authored: AuthoredBank | None = None,
        abstention: AbstentionModel | None = None,
        authored_min_cosine: float = AUTHORED_MIN_COSINE,
        authored_sure_cosine: float = AUTHORED_SURE_COSINE,
        supplement_words: int = SUPPLEMENT_WORDS,
    ) -> None:
        self.supplement_words = supplement_words
        self.kb = kb
        self.threshold = abstain_threshold
        self.margin = uncovered_margin
        self.authored = authored
        self.abstention = abstention
        self.authored_min = authored_min_cosine
        self.authored_sure = authored_sure_cosine
        texts = [a.title for a in kb.articles]
        if authored is not None:
            texts += [q for a in authored.answers for q in a.questions] + [a.answer for a in authored.answers]
        self.corpus_words = CorpusWords.of([c.embedding_text() for c in kb.chunks], texts)
        self.sections = section_chunks(kb.chunks)

    # -- deciding -------------------------------------------------------------------------------

    def authored_match(self, result: SearchResult, exclude: frozenset[str] = frozenset()) -> AuthoredMatch | None:
        if self.authored is None:
            return None
        return self.authored.match(result.query_vector, result.query, exclude=exclude)

    def followup_match(self, question: str, previous: str, result: SearchResult) -> AuthoredMatch | None:
        """The written answer for a follow-up, read as what it asks *about the previous subject*:
        matched with the follow-up's own vector plus the joined query's, within the topic the
        joined query retrieved, and never the answer the previous question already got."""
        if self.authored is None or not result.hits:
            return None
        vector = self.kb.embedder.encode_one(question) + result.query_vector
        vector = vector / (np.linalg.norm(vector) or 1.0)
        return self.authored.match(vector, question, topics={result.hits[0].chunk.topic},
                                   exclude=self.already_answered(previous))

    def already_answered(self, previous: str) -> frozenset[str]:
        """The authored answer the previous question got (if any): a follow-up ("how do I fix
        it?") is read together with that question, so it would match the same written answer
        again; the student has seen it and wants the next thing."""
        if self.authored is None:
            return frozenset()
        match = self.authored.match(self.kb.embedder.encode_one(previous), previous)
        return frozenset({match.answer.id}) if match is not None and match.cosine >= self.authored_min else frozenset()

    def abstention_features(self, result: SearchResult, match: AuthoredMatch | None) -> np.ndarray:
        sentences = self.kb.stored.sentence_vectors
        best_sentence = float((sentences @ result.query_vector).max()) if len(sentences) else None
        return features(result, result.query, self.corpus_words, match.cosine if match else 0.0,
                        match.runner_up if match else 0.0, best_sentence)

    def on_topic_probability(self, result: SearchResult, match: AuthoredMatch | None = None) -> float | None:
        if self.abstention is None:
            return None
        return self.abstention.on_topic_probability(self.abstention_features(result, match))

    def should_abstain(self, result: SearchResult, match: AuthoredMatch | None = None) -> bool:
        if not result.hits:
            return True
        if self.abstention is not None:
            if match is None:
                match = self.authored_match(result)
            return self.abstention.should_abstain(self.abstention_features(result, match))
        return result.best_dense < self.threshold or result.best_uncovered - result.best_dense > self.margin

    def _close_enough(self, cosine: float, topic: str, result: SearchResult) -> bool:
        """Whether a written answer this close may answer: at the usual threshold, or a little
        lower for a long scenario ("Debugging a 20-layer MLP … per-layer norms … give me fixes"),
        whose story spreads its embedding so that even the answer to its real question scores
        lower, when the answer is from the article retrieved first."""
        if cosine >= self.authored_min:
            return True
        return (len(result.query.split()) >= LONG_QUESTION_WORDS and cosine >= LONG_QUESTION_AUTHORED_MIN
                and bool(result.hits) and topic == result.hits[0].chunk.topic)

    def usable_authored(self, match: AuthoredMatch | None, result: SearchResult) -> bool:
        if match is None:
            return False
        if match.cosine < self.authored_min:
            return self._close_enough(match.cosine, match.answer.topic, result)
        retrieved = {h.chunk.topic for h in result.hits[:3]}
        return match.answer.topic in retrieved or match.cosine >= self.authored_sure

    # -- answering ------------------------------------------------------------------------------

    def answer(self, question: str, guild_id: int | None = None, *, level: str | None = None,
               previous: Sequence[str] = ()) -> Answer:
        """``guild_id``: whose server notes count as evidence too (``None``: the local notes).
        ``previous``: the earlier questions of this conversation, newest last; a short follow-up
        is retrieved together with the last one so it stays on topic."""
        level = detect_level(question, level)
        query = retrieval_query(question, previous)
        result = self.kb.search(query, k=5, guild_id=guild_id)
        if query == question:
            match = self.authored_match(result)
        else:
            match = self.followup_match(question, previous[-1], result)
        probability = self.on_topic_probability(result, match)
        if probability is None:
            abstain = self.should_abstain(result, match)
        else:  # the classifier's verdict, without computing its features a second time
            abstain = not result.hits or probability < self.abstention.threshold
        if abstain and answered_by_a_note(result):
            abstain = False
        topic = result.hits[0].chunk.topic if result.hits else None
        worked = compute_from_question(question, topic if topic in self.kb.by_slug else None)
        if abstain and result.hits and any(c.tool not in GENERIC_TOOLS for c in worked.computations):
            abstain = False  # one of our formulas took the question's numbers: it is about our subject
        if abstain:
            return Answer(question, abstain_text(self.kb, result), True, [], result.hits, result.best_dense,
                          source="abstained", level=level, on_topic_probability=probability)
        result, match = self._routed(question, query, result, match, worked, guild_id)
        if self.usable_authored(match, result):
            return self._authored(question, result, match, level, worked, probability)
        return self._composed(question, result, level, worked, probability)

    def _routed(self, question: str, query: str, result: SearchResult, match: AuthoredMatch | None,
                worked: WorkedNumbers, guild_id: int | None) -> tuple[SearchResult, AuthoredMatch | None]:
        """The evidence for a question the calculator computed, from the formula's own article when
        neither the retrieved passages nor the written answer are from it: searched again with the
        article's title (used only if that search then leads with the article)."""
        homes = [TOOL_TOPICS[c.tool] for c in worked.computations if TOOL_TOPICS.get(c.tool) in self.kb.by_slug]
        if not homes or query != question or not result.hits or result.hits[0].chunk.topic in homes or \
                (self.usable_authored(match, result) and match.answer.topic in homes):
            return result, match
        rerouted = self.kb.search(f"{query} ({self.kb.by_slug[homes[0]].title})", k=5, guild_id=guild_id)
        if not rerouted.hits or rerouted.hits[0].chunk.topic not in homes:
            return result, match
        return rerouted, self.authored_match(rerouted)

    def _with_computed(self, question: str, parts: list[tuple[str, Chunk]],
                       worked: WorkedNumbers) -> list[tuple[str, Chunk]]:
        """The computed sentences first (a student who gives numbers asked for the number), then
        the answer; a computation the answer already states is left out (:func:`already_stated`)."""
        said = " ".join(text for text, _ in parts)
        computed = [
            (c.sentence, CalculatorChunk(id=-1 - i, topic=CALCULATOR_TOPIC, title=f"Calculator: {c.tool}",
                                         section="computed from the numbers in your question", text=c.sentence,
                                         tool=c.tool))
            for i, c in enumerate(worked.computations)
            if not already_stated(c, said, question)
        ]
        return computed + parts

    def _finish(self, question: str, result: SearchResult, parts: list[tuple[str, Chunk]], worked: WorkedNumbers,
                **fields: object) -> Answer:
        # Articles are numbered first, the calculator after them, so the first source is always
        # the article even when the computed sentence leads.
        ordered = self._with_computed(question, parts, worked)
        numbers: dict[tuple[str, str, int], int] = {}
        citations: list[Citation] = []
        for chunk in sorted((c for _, c in ordered), key=lambda c: c.topic == CALCULATOR_TOPIC):
            key = (chunk.topic, chunk.section, chunk.id)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(Citation(numbers[key], chunk))
        pieces: list[str] = []
        for text, chunk in ordered:
            marker = f"[{numbers[(chunk.topic, chunk.section, chunk.id)]}]"
            if "\n- " in text:  # a list: the marker goes after its lead-in
                lead, _, items = text.partition("\n")
                pieces.append(f"{lead} {marker}\n{items}\n" if not lead.startswith("- ") else f"{text} {marker}\n")
            else:
                pieces.append(f"{text} {marker}")
        text = " ".join(pieces).replace("\n ", "\n").strip()
        if worked.ignored:
            text += f"\n\n_{worked.note()}_"
        return Answer(question, text, False, citations, result.hits, result.best_dense, computed=worked, **fields)

    def _authored(self, question: str, result: SearchResult, match: AuthoredMatch, level: str,
                  worked: WorkedNumbers, probability: float | None) -> Answer:
        authored = match.answer
        chunk = self.sections.get((authored.topic, authored.section))
        if chunk is None:  # a stale bank (article heading renamed): quote instead of citing nothing
            return self._composed(question, result, level, worked, probability)
        text = derive_verdict(fit_verdict(authored.text_for(level), question), question)
        # The calculator leads with the student's numbers; the written answer's own worked example
        # on other numbers would contradict it, so it goes (and with nothing else left, the answer
        # is composed from the passages instead).
        shown = shown_computations(worked, text, question)
        numbers = StudentNumbers(question, shown) if shown else None
        if numbers is not None:
            text = numbers.cut(text)
            if not text:  # the written answer was all example: the runner-up, else compose
                runner_up = self.authored.by_id.get(match.runner_up_id) if self.authored is not None else None
                if runner_up is not None and self._close_enough(match.runner_up, runner_up.topic, result) and \
                        runner_up.topic in {h.chunk.topic for h in result.hits[:3]}:
                    second = AuthoredMatch(runner_up, match.runner_up, -1.0, "")
                    return self._authored(question, result, second, level, worked, probability)
                return self._composed(question, result, level, worked, probability)
        parts: list[tuple[str, Chunk]] = [(text, chunk)]
        if self.supplement_words:
            # A written answer covers its own question; a student's question is rarely exactly it.
            # A few sentences that add what the written answer does not already say make the
            # answer complete without repeating it: passage sentences, then the lead sentence of
            # a near-tied second written answer if it covers words the question asks about that
            # nothing before it covers (the question blends two sub-questions).
            said = set(content_words(text))
            missing = asked_terms(question) - terms(text)
            budget = min(self.supplement_words, MAX_ANSWER_WORDS - len(text.split()))
            # a student who gave numbers gets no worked example on other numbers, even when the
            # written answer already states theirs (and so no calculator sentence leads)
            given = numbers or (StudentNumbers(question, worked.computations) if worked.computations else None)
            keep = None if given is None else given.keeps
            extra = compose(self.kb, result, level, max_words=budget, keep=keep) if budget > 0 else None
            # another article's sentence only for a real word the question asks about that nothing
            # yet covers: sharing a letter ("z" of a z-score, "z" of a Wald test) is no evidence
            candidates = [c for c in (extra.parts if extra else []) if c[1].topic == authored.topic
                          or any(len(t) >= 3 for t in missing & terms(c[0]))]
            blend = self._blended(match, level)
            if blend is not None:
                candidates.append(blend)
            others = self._part_answers(question, match, result, level)
            candidates = others + candidates
            if keep is not None:
                candidates = [c for c in candidates if keep(c[0])]
            while candidates:
                # the candidate covering most of what the question asks and nothing yet says;
                # on ties, passage order (the runner-up's sentence last)
                piece, source = max(candidates, key=lambda c: len(missing & terms(c[0])))
                candidates.remove((piece, source))
                words = content_words(piece)
                length = len(piece.split())
                if length > budget:
                    continue
                if (piece, source) == blend and not missing & terms(piece):
                    continue  # the second written answer adds nothing the question asks about
                if not words or len(set(words) & said) / len(set(words)) > SUPPLEMENT_MAX_OVERLAP:
                    continue
                if DANGLING_OPENER.match(piece) or LEANS_ON_CONTEXT.search(piece) or "\n- " in piece:
                    continue
                if _VERDICT_OPENER.match(piece):  # "No, because …" answers its own passage's question
                    continue
                if level == "beginner" and FORMULA.search(piece):  # the written beginner text has none
                    continue
                parts.append((piece, source))
                said |= set(words)
                missing -= terms(piece)
                budget -= length
        return self._finish(question, result, parts, worked, source="authored",
                            level=level, authored_id=authored.id, on_topic_probability=probability)

    def _unsure(self, match: AuthoredMatch) -> bool:
        """Whether the runner-up is a real alternative: the best is below the sure threshold, or
        the runner-up nearly ties it (and is itself close enough to be used)."""
        if match.runner_up < self.authored_min or match.runner_up_id not in self.authored.by_id:
            return False
        return match.cosine < self.authored_sure or match.cosine - match.runner_up <= NEAR_TIE

    def _part_answers(self, question: str, match: AuthoredMatch, result: SearchResult,
                      level: str) -> list[tuple[str, Chunk]]:
        """The lead sentence of the written answer each other part of a several-part question
        matches surely (and within the retrieved topics)."""
        if self.authored is None:
            return []
        parts = [p for p in _PARTS.split(question) if p and len(asked_terms(p)) >= MIN_PART_TERMS]
        if len(parts) < 2:
            return []
        retrieved = {h.chunk.topic for h in result.hits[:3]}
        out: list[tuple[str, Chunk]] = []
        seen = {match.answer.id}
        for part in parts:
            m = self.authored.match(self.kb.embedder.encode_one(part), part)
            if m is None or m.answer.id in seen or m.cosine < self.authored_sure or m.answer.topic not in retrieved:
                continue
            seen.add(m.answer.id)
            chunk = self.sections.get((m.answer.topic, m.answer.section))
            lead = split_sentences(fit_verdict(m.answer.text_for(level), ""))[:1]
            if chunk is not None and lead:
                out.append((lead[0], chunk))
        return out

    def _blended(self, match: AuthoredMatch, level: str) -> tuple[str, Chunk] | None:
        """The first sentence of the runner-up written answer when the match is unsure (the best
        is below the sure threshold, or the runner-up nearly ties it), without its verdict: a
        "Yes," answers the runner-up's question, not this one."""
        if self.authored is None or not self._unsure(match):
            return None
        other = self.authored.by_id.get(match.runner_up_id)
        chunk = self.sections.get((other.topic, other.section)) if other is not None else None
        if chunk is None:
            return None
        sentences = split_sentences(other.text_for(level))
        if not sentences:
            return None
        first = fit_verdict(sentences[0], "")
        return (first, chunk)

    def _composed(self, question: str, result: SearchResult, level: str, worked: WorkedNumbers,
                  probability: float | None) -> Answer:
        keep = StudentNumbers(question, worked.computations).keeps if worked.computations else None
        composition = compose(self.kb, result, level, keep=keep)
        if not composition.parts and keep is not None:
            composition = compose(self.kb, result, level)
        return self._finish(question, result, composition.parts, worked, source="composed", level=level,
                            on_topic_probability=probability)
