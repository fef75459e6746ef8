"""Worked examples with someone else's numbers: left out when the calculator used the student's.

A written answer often works its own example ("ReLU([−2, −0.5, 0, 1.5, 3]) = [0, 0, 0, 1.5, 3]",
"for x = 180 cm with mean 170 …"). When the student gave numbers and the calculator's sentence
leads the answer with them, that other example reads as a contradiction ("wait, my list was
[−1, 2, −0.5, 3]"). So a sentence that *computes* (≈, →, "gives", an evaluated "= 3", a numeric
list, "for x = …") with a number that is neither the student's nor in the computed sentences is
cut, and so is a sentence that only continues it ("That is the best case…"). Sentences that state
the concept ("z = (x − μ) / σ gives mean 0 and standard deviation 1") have no such number and stay.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from knowledge.chunking import split_sentences
from knowledge.composer import DANGLING_OPENER
from tools.question_math import Computation

# A number standing on its own: not the 1 of "F1" or "L2", not the digits of "word2vec". A
# thousands separator is read as one ("100,000"); a comma and a space separate list items.
_NUMBER = re.compile(r"(?<![\w.])([-−–]?)(\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?(?:[eE][-−+]?\d+)?|\.\d+)(?![\w])")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_POWER_OF_TEN = re.compile(r"\^|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]")
TRIVIAL = (0.0, 1.0)  # "mean 0 and standard deviation 1", "(1 − p)": concept, not example
# Something is being computed: an approximation, an arrow, "gives 3", a list of numbers, or an
# "=" whose left side holds a number or a closed bracket ("(180 − 170) / 10 = 1", "ReLU([…]) = …").
_COMPUTES = re.compile(r"≈|→|\bgives?\s+[-−]?\d|\bbecomes?\s+[-−]?\d|\[\s*[-−]?\d[^\]]*,[^\]]*\]", re.IGNORECASE)
_EQUALS_NUMBER = re.compile(r"=\s*\(?\s*[-−]?\d")
# "For x = 180 …", "With p = 0.5 …": sets up a case, which is an example only if its numbers are
# someone else's (the sentence may well be the concept: "With the usual bias of 0, every anchor
# starts at p = 0.5, so …").
_SETS_UP = re.compile(r"^(?:for|with|if|say|take)\b[^.;:]*?=\s*[-−]?\d", re.IGNORECASE)
_EXAMPLE_OPENER = re.compile(r"\b(?:for example|e\.g\.|for instance|suppose)\b[^.]*\d"
                             r"|\b(?:in|from) (?:the|this|our) (?:worked )?example\b[^.]*\d"
                             r"|\b(?:take|consider)\b[^.]*\bexample\b[^.]*\d"
                             r"|^(?:now )?(?:take|consider|imagine|picture) an?\b[^.]*\d"
                             r"|\b(?:maps?|mapped|back to|turns? into|yields?)\b[^.;]{0,40}?[-−]?\d", re.IGNORECASE)
MIN_HEAD_WORDS = 6  # a concept kept before an example's colon must say something on its own


def numbers_in(text: str) -> list[tuple[float, int]]:
    """Every standalone number in ``text`` with its count of decimals (years left out)."""
    out: list[tuple[float, int]] = []
    for m in _NUMBER.finditer(text):
        digits = m.group(2)
        if _YEAR.match(digits) or digits == "10" and _POWER_OF_TEN.match(text, m.end()):
            continue  # the 10 of "9.5 × 10⁻⁷" is notation, not a number of the example
        value = float(digits.replace(",", "").replace("−", "-"))  # "1e-10" is one number, not a 10
        if m.group(1):
            value = -value
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        out.append((value, decimals))
    return out


def allowed_numbers(texts: Iterable[str]) -> tuple[float, ...]:
    """The numbers an answer may use in a worked example: the student's and the calculator's."""
    values = {v for t in texts for v, _ in numbers_in(t)}
    return tuple(sorted(values | set(TRIVIAL)))


def allowed_lists(texts: Iterable[str]) -> frozenset[tuple[float, ...]]:
    """The lists (and matrix rows) of the student and the calculator."""
    return frozenset(lst for t in texts for lst in _lists(t))


def _matches(value: float, decimals: int, allowed: tuple[float, ...]) -> bool:
    # "9.5" states the calculator's 9.54 to one decimal
    return any(math.isclose(value, a, rel_tol=1e-9, abs_tol=1e-15) or
               (0 < decimals < 20 and math.isclose(round(a, decimals), value, rel_tol=1e-9) and a != 0) for a in allowed)


def computes(sentence: str) -> bool:
    if _COMPUTES.search(sentence) or _EXAMPLE_OPENER.search(sentence):
        return True
    for m in _EQUALS_NUMBER.finditer(sentence):
        # the term right before "=": "(180 − 170) / 10 = 1" evaluates, "γ = 2" sets
        left = sentence[max(0, m.start() - 30):m.start()].split()
        if left and re.search(r"[\d)\]²³]", left[-1]):
            return True
    return False


_NUM = r"[-−–]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|\.\d+)"
# What an example sets rather than derives: "x = 180", "p_t = 0.99" (a bare symbol, not the
# "(1 − p_t)^γ = 0.01" of a derivation), "a coefficient of 0.7", "mean 170", "10 sigmoid layers",
# "σ(1)".
_SET_BY_SYMBOL = re.compile(rf"(?:^|(?<=[\s(,]))(?:[A-Za-zα-ωΑ-Ω](?:_[A-Za-z0-9]+)?|TP|FP|FN|TN)\s*=\s*({_NUM})(?![\d.]*\s*[×*/^+])")
_SET_BY_WORD = re.compile(
    rf"\b(?:coefficients?|coef|mean|average|std|standard deviation|variance|median|IQR|slope|momentum|prior|"
    rf"gamma|alpha|beta|threshold|learning rate|lr|batch size|odds ratio|log-odds|logit|precision|recall|"
    rf"probability|pre-activations?)\s*(?:of|=|:|is)?\s*(?:about\s+)?({_NUM})(?![\d.]*\s*[×*/^+])", re.IGNORECASE)
_SET_BY_COUNT = re.compile(
    rf"(?<![\w.^])({_NUM})\s+(?:sigmoid\s+|hidden\s+|extra\s+|more\s+)?(?:layers?|units?|years?|hyperparameters?|"
    rf"values|tokens?|anchors?|examples?|epochs?|features?|classes|trials)\b", re.IGNORECASE)
_SET_BY_CALL = re.compile(rf"(?:σ'?|sigmoid|tanh|ReLU|relu)\(\s*({_NUM})\s*\)")
_LIST = re.compile(rf"\[\s*({_NUM}(?:\s*,\s*{_NUM})+)\s*\]")


def _value(raw: str) -> tuple[float, int]:
    (pair,) = numbers_in(raw.replace("–", "-")) or [(float("nan"), 0)]
    return pair


def _lists(text: str) -> set[tuple[float, ...]]:
    return {tuple(v for v, _ in numbers_in(m.group(1))) for m in _LIST.finditer(text)}


def set_numbers(sentence: str) -> list[tuple[float, int]]:
    """The numbers ``sentence`` sets as the inputs of its example."""
    out: list[tuple[float, int]] = []
    for pattern in (_SET_BY_SYMBOL, _SET_BY_WORD, _SET_BY_COUNT, _SET_BY_CALL):
        out += [_value(m.group(1)) for m in pattern.finditer(sentence)]
    return out


# The names of computed results as an answer writes them ("recall 40 / 50 = 0.80").
_RESULT_WORDS = {
    "precision": r"precision", "recall": r"recall", "f1": r"F1(?: score)?", "accuracy": r"accuracy",
    "specificity": r"specificity", "z": r"\bz", "odds_ratio": r"odds ratio", "focal_loss": r"focal loss",
    "bce": r"cross-entropy|\bBCE", "loss": r"cross-entropy|\bBCE|\bloss", "bias": r"\bbias", "scaled": r"scaled value",
    "configurations": r"configurations",
}


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_VALUE = re.compile(rf"({_NUM})(?:\s*×\s*10(?:\^\s*([-−]?\d+)|([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)))?"
                    rf"(?![\d.,]*\s*(?:[×*/^+(]|times\b|fold\b|x\b|%))")
_CLAUSE = r"(?:[^.;:]|\.(?=\d))*"  # up to the end of the clause, decimals kept


def _named_values(sentence: str, word: str) -> list[tuple[float, int]]:
    """The value ``sentence`` gives the quantity ``word``: the last number after "=", "≈" or "is"
    in the clause that names it ("focal loss is 0.0001 × 0.01005 ≈ 1.0 × 10^-6" → 1.0 × 10^-6)."""
    out: list[tuple[float, int]] = []
    for m in re.finditer(rf"(?:{word})\b({_CLAUSE})", sentence, re.IGNORECASE):
        clause = re.split(r",\s+(?!\d)|\band\b|\bwhile\b|\bbut\b|\bversus\b|\bvs\b", m.group(1))[0]
        found = list(re.finditer(rf"(?:^\s*|[=≈]\s*|\b(?:is|of|has|gives)\s+){_VALUE.pattern}", clause))
        if found:
            last = found[-1]
            value, decimals = _value(last.group(1))
            exponent = last.group(2) or (last.group(3) or "").translate(_SUPERSCRIPT)
            if exponent:
                value *= 10 ** int(exponent.replace("−", "-"))
                decimals += -int(exponent.replace("−", "-"))
            out.append((value, decimals))
    return out


def foreign_example(sentence: str, allowed: tuple[float, ...], lists: frozenset[tuple[float, ...]] = frozenset(),
                    named: tuple[tuple[str, float], ...] = ()) -> bool:
    """Whether ``sentence`` works an example whose inputs are not the student's: it computes, and
    it sets a number (or writes a list) that is neither the student's nor the calculator's, gives a
    quantity the calculator computed another value ("recall = 0.80" where the student's recall is
    0.667), or at least half of its numbers are neither the student's nor the calculator's."""
    strong = computes(sentence)
    if not strong and not _SETS_UP.search(sentence):
        return False
    if any(values not in lists for values in _lists(sentence)):
        return True
    for key, value in named if strong else ():
        if any(not _matches(v, d, (value,)) for v, d in _named_values(sentence, _RESULT_WORDS[key])):
            return True
    if any(not _matches(v, d, allowed) for v, d in set_numbers(sentence)):
        return True
    if not strong:
        return False
    # mostly someone else's numbers: "Precision = 40 / (40 + 60) = 0.40" when only TP = 40 is the student's
    numbers = set((v, d) for v, d in numbers_in(sentence) if v not in TRIVIAL)
    foreign = [n for n in numbers if not _matches(*n, allowed)]
    return bool(foreign) and 2 * len(foreign) >= len(numbers)


def _sets_only(sentence: str, allowed: tuple[float, ...]) -> bool:  # noqa: D103
    """Whether ``sentence`` sets numbers, all of them the student's (a new example on their numbers)."""
    numbers = set_numbers(sentence)
    return bool(numbers) and all(_matches(v, d, allowed) for v, d in numbers)


def _cut_sentence(sentence: str, allowed: tuple[float, ...], lists: frozenset[tuple[float, ...]],
                  named: tuple[tuple[str, float], ...] = ()) -> str:
    """The sentence, its clauses on other numbers cut ("…; β = 0.1 over 10 years gives 1"), or a
    concept head kept before the colon that opens its example ("the grid has n^d points, so the
    cost grows exponentially: 4 hyperparameters with 5 values give 625")."""
    if not foreign_example(sentence, allowed, lists, named):
        return sentence
    clauses = re.split(r";\s+", sentence)
    if len(clauses) > 1:
        kept = [c for c in (_cut_sentence(c, allowed, lists, named) for c in clauses) if c]
        if not kept:
            return ""
        text = "; ".join(c.rstrip(".") for c in kept)
        return text[:1].upper() + text[1:] + "."
    head, colon, _ = sentence.partition(": ")
    if colon and len(head.split()) >= MIN_HEAD_WORDS and not foreign_example(head, allowed, lists, named):
        return head.rstrip(".") + "."
    return ""


def cut_foreign_examples(text: str, allowed: tuple[float, ...], lists: frozenset[tuple[float, ...]] = frozenset(),
                         named: tuple[tuple[str, float], ...] = ()) -> str:
    """``text`` without its worked examples on other numbers (and what only continues them).
    ``allowed``: the numbers of the student and the calculator; ``lists``: their lists."""
    if "\n- " in text:  # a list keeps its shape: an item is cut whole
        lines = text.split("\n")
        kept_lines = [line for line in lines if not foreign_example(line, allowed, lists, named)]
        return "\n".join(kept_lines) if any(line.startswith("- ") for line in kept_lines) else ""
    sentences = split_sentences(text)
    kept: list[str] = []
    cut_previous = False
    for sentence in sentences:
        # what continues a cut example goes with it: "That is the best case…", or the next step of
        # its arithmetic ("Precision = 40 / (40 + 60) = 0.40" after "For the matrix [[890, 60], …]")
        if cut_previous and (DANGLING_OPENER.match(sentence) or computes(sentence) and not _sets_only(sentence, allowed)):
            continue
        cut = _cut_sentence(sentence, allowed, lists, named)
        cut_previous = cut != sentence
        if cut:
            kept.append(cut)
    return text if kept == sentences else " ".join(kept)


class StudentNumbers:
    """The numbers (and lists) of a question and of the calculator's sentences about it: what a
    worked example in the answer may use."""

    def __init__(self, question: str, computations: Iterable[Computation] = ()) -> None:
        computations = list(computations)
        texts = [question] + [c.sentence for c in computations]
        exact = {float(v) for c in computations for v in (*c.inputs.values(), *c.result.values()) if math.isfinite(v)}
        self.allowed = tuple(sorted(set(allowed_numbers(texts)) | exact))
        self.lists = allowed_lists(texts)
        self.named = tuple((k, v) for c in computations for k, v in c.result.items() if k in _RESULT_WORDS)

    def cut(self, text: str) -> str:
        return cut_foreign_examples(text, self.allowed, self.lists, self.named)

    def keeps(self, text: str) -> bool:
        """Whether ``text`` has no worked example on other numbers."""
        return self.cut(text) == text
