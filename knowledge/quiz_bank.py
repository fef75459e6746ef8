"""The quiz bank: questions we wrote, one YAML file per topic in ``knowledge/quizzes/``.

Every question has an ``id`` (unique across the bank), a ``type`` (``choice`` or ``numeric``), a
``prompt``, a ``hint``, an ``explanation`` and the ``section`` (a ``## `` heading of the topic's
article) it tests. The hint is a nudge that makes the student think (a question back, the first
step), never the answer. Multiple-choice questions list ``choices`` and the ``answer`` index: the
right choice is a plain string, every wrong one a mapping ``{text, why_wrong}`` whose
``why_wrong`` names the misconception that choosing it reveals (shown as feedback, and kept in
``/progress`` until the student answers that question right). ``shuffle: false`` keeps the
written order (for options that read best in numeric order) and is refused when the answer is
written first, since the student would always see it first. Numeric ones either give
a fixed ``answer`` with a ``tolerance`` or name a ``generator``: a function below that draws fresh
numbers from a seeded RNG and computes the answer with a plain formula (the tests recompute every
generated answer independently, with our tools, scikit-learn or torch autograd). For a generated
question the prompt and explanation are templates filled with the generator's values
(``{name}`` placeholders, ``{answer}`` for the formatted answer).

Every question is asked as multiple choice: numeric ones get four numeric options, the right one
and three plausible mistakes (from the generator's list of typical errors, then generic
perturbations), all further apart than the tolerance.

:func:`load_bank` validates the whole bank (a maintainer problem raises :class:`BankError`);
:func:`instantiate` turns a question into a :class:`QuizQuestion` ready to ask.
"""

from __future__ import annotations

import functools
import logging
import math
import random
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.corpus import ARTICLES_DIR

log = logging.getLogger(__name__)

QUIZ_DIR = Path(__file__).resolve().parent / "quizzes"

MIN_CHOICES = 2
MAX_CHOICES = 5
NUMERIC_OPTIONS = 4
MAX_PROMPT_CHARS = 1_200
MAX_CHOICE_CHARS = 200
MAX_EXPLANATION_CHARS = 1_200
DEFAULT_NUMERIC_FORMAT = "{:.4g}"
_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,47}")
MAX_HINT_CHARS = 400
MAX_WHY_WRONG_CHARS = 300
_REQUIRED = ("id", "type", "prompt", "hint", "explanation", "section")
_KNOWN_KEYS = {"id", "type", "prompt", "hint", "explanation", "section", "choices", "answer", "tolerance", "generator",
               "fmt", "distractors", "shuffle"}
_CHOICE_KEYS = {"text", "why_wrong"}


class BankError(RuntimeError):
    """The quiz bank is malformed: a maintainer problem, not a user one."""


@dataclass(frozen=True)
class QuestionSpec:
    """One question as written in the bank (before numbers are drawn and options shuffled)."""

    id: str
    topic: str
    type: str  # "choice" | "numeric"
    prompt: str
    explanation: str
    section: str
    hint: str = ""
    choices: tuple[str, ...] = ()
    why_wrong: tuple[str, ...] = ()  # parallel to choices; "" for the right one
    answer: float | int | None = None
    tolerance: float | None = None
    generator: str | None = None
    fmt: str = DEFAULT_NUMERIC_FORMAT
    distractors: tuple[float, ...] = ()
    shuffle: bool = True


@dataclass(frozen=True)
class QuizQuestion:
    """A question ready to ask: concrete text, shuffled options, the index of the right one."""

    id: str
    topic: str
    type: str
    prompt: str
    choices: tuple[str, ...]
    answer: int
    explanation: str
    section: str
    value: float | None = None  # numeric questions: the exact answer
    tolerance: float | None = None
    params: dict[str, Any] = field(default_factory=dict)  # generator inputs, for independent checks
    hint: str = ""
    why_wrong: tuple[str, ...] = ()  # parallel to the shown choices; "" for the right one (and numeric ones)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["choices"] = list(self.choices)
        data["why_wrong"] = list(self.why_wrong)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "QuizQuestion":
        """Also reads questions stored before hints and why_wrong existed (they get neither)."""
        return cls(id=data["id"], topic=data["topic"], type=data["type"], prompt=data["prompt"],
                   choices=tuple(data["choices"]), answer=int(data["answer"]), explanation=data["explanation"],
                   section=data["section"], value=data.get("value"), tolerance=data.get("tolerance"),
                   params=dict(data.get("params") or {}), hint=data.get("hint") or "",
                   why_wrong=tuple(data.get("why_wrong") or ()))


@dataclass(frozen=True)
class Generated:
    """What a generator returns: template values, the exact answer and typical wrong answers."""

    params: dict[str, Any]
    answer: float
    tolerance: float
    fmt: str
    distractors: tuple[float, ...] = ()
    lower: float | None = None  # the answer's natural range (options stay inside it)
    upper: float | None = None


# --------------------------------------------------------------------------- formulas


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def sigmoid_slope(x: float) -> float:
    s = sigmoid(x)
    return s * (1.0 - s)


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _rel(value: float, digits: int = 3) -> float:
    """Tolerance that covers rounding ``value`` to ``digits`` significant digits."""
    return max(abs(value) * 0.6 * 10.0 ** (1 - digits), 1e-12)


def _fmt_num(x: float) -> str:
    """A number for a prompt: integers without decimals, others as typed (0.8, 1.5)."""
    return f"{x:g}"


# --------------------------------------------------------------------------- generators
# Each takes a random.Random and returns Generated. Keep the numbers small and realistic, and list
# the mistakes students really make as distractors.

SATURATION_Z = 2.887  # |z| beyond which sigmoid'(z) < 0.05 (the internal-covariate-shift article)


def gen_sigmoid_chain(rng: random.Random) -> Generated:
    layers = rng.randint(3, 10)
    w = rng.choice([0.5, 0.8, 1.0, 1.5, 2.0, 4.0])
    z = rng.choice([0.0, 0.5, 1.0, 2.0])
    d = sigmoid_slope(z)
    answer = (w * d) ** layers
    return Generated(
        params={"layers": layers, "w": _fmt_num(w), "z": _fmt_num(z), "d": f"{d:.4f}", "factor": f"{w * d:.4f}"},
        answer=answer, tolerance=_rel(answer), fmt="{:.3g}",
        distractors=(d ** layers, (w * 0.25) ** layers, (w * d) ** (layers - 1), layers * w * d))


def gen_sigmoid_derivative(rng: random.Random) -> Generated:
    x = rng.choice([-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    s = sigmoid(x)
    answer = s * (1.0 - s)
    return Generated(params={"x": _fmt_num(x), "s": f"{s:.4f}"}, answer=answer, tolerance=0.0006, fmt="{:.4f}",
                     distractors=(s, 0.25, 1.0 - math.tanh(x) ** 2, 1.0 - s * s), lower=0.0, upper=1.0)


def gen_grad_clip(rng: random.Random) -> Generated:
    tau = rng.choice([1.0, 2.0, 5.0, 10.0])
    while True:
        a, b = rng.randint(2, 40), rng.randint(2, 40)
        norm = math.hypot(a, b)
        if norm > 1.5 * tau and a > tau:
            break
    answer = a * tau / norm
    return Generated(params={"a": a, "b": b, "tau": _fmt_num(tau), "norm": f"{norm:.3f}",
                             "scale": f"{tau / norm:.4f}"},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(float(a), tau, a / norm, a * norm / tau, a - (norm - tau)))


def _batch(rng: random.Random) -> list[int]:
    while True:
        xs = rng.sample(range(0, 13), 4)
        if max(xs) - min(xs) >= 3:
            return xs


BN_EPS = 1e-5


def gen_bn_output(rng: random.Random) -> Generated:
    xs = _batch(rng)
    gamma = rng.choice([0.5, 1.0, 1.5, 2.0])
    beta = rng.choice([-1.0, 0.0, 0.2, 0.5, 1.0])
    i = rng.randrange(4)
    mean = sum(xs) / 4
    var = sum((x - mean) ** 2 for x in xs) / 4
    unbiased = var * 4 / 3
    xhat = (xs[i] - mean) / math.sqrt(var + BN_EPS)
    answer = gamma * xhat + beta
    return Generated(
        params={"batch": ", ".join(map(str, xs)), "gamma": _fmt_num(gamma), "beta": _fmt_num(beta),
                "value": xs[i], "position": ("first", "second", "third", "fourth")[i], "mean": f"{mean:g}",
                "var": f"{var:g}", "xhat": f"{xhat:.4f}"},
        answer=answer, tolerance=0.002, fmt="{:.3f}",
        distractors=(gamma * (xs[i] - mean) / math.sqrt(unbiased) + beta, gamma * xhat, xhat + beta,
                     gamma * (xs[i] - mean) / var + beta, xhat))


def gen_bn_running_var(rng: random.Random) -> Generated:
    xs = _batch(rng)
    momentum = 0.1
    mean = sum(xs) / 4
    biased = sum((x - mean) ** 2 for x in xs) / 4
    unbiased = biased * 4 / 3
    answer = (1 - momentum) * 1.0 + momentum * unbiased
    return Generated(
        params={"batch": ", ".join(map(str, xs)), "mean": f"{mean:g}", "biased": f"{biased:g}",
                "unbiased": f"{unbiased:.4g}"},
        answer=answer, tolerance=0.002, fmt="{:.3f}",
        distractors=((1 - momentum) + momentum * biased, momentum * 1.0 + (1 - momentum) * unbiased, unbiased,
                     biased))


def gen_he_std(rng: random.Random) -> Generated:
    fan_in = rng.choice([64, 100, 128, 256, 300, 512, 784, 1024, 2048])
    answer = math.sqrt(2.0 / fan_in)
    return Generated(params={"fan_in": fan_in, "var": f"{2.0 / fan_in:.5f}"}, answer=answer,
                     tolerance=_rel(answer), fmt="{:.3g}",
                     distractors=(2.0 / fan_in, math.sqrt(1.0 / fan_in), 1.0 / fan_in, math.sqrt(2.0) / fan_in))


def gen_relu_signal_scale(rng: random.Random) -> Generated:
    c = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])
    layers = rng.choice([5, 10, 20])
    per_layer = c / 2.0  # fan_in * (c / fan_in) * 1/2: ReLU keeps half the second moment
    answer = per_layer ** (layers / 2)
    return Generated(params={"c": _fmt_num(c), "layers": layers, "per_layer": f"{per_layer:g}"},
                     answer=answer, tolerance=_rel(answer), fmt="{:.3g}",
                     distractors=(per_layer ** layers, c ** (layers / 2), c ** layers, per_layer))


def gen_gelu_value(rng: random.Random) -> Generated:
    x = rng.choice([-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0])
    answer = x * normal_cdf(x)
    return Generated(params={"x": _fmt_num(x), "phi": f"{normal_cdf(x):.4f}"}, answer=answer, tolerance=0.0006,
                     fmt="{:.4f}", distractors=(max(0.0, x), normal_cdf(x), x * sigmoid(x), x * (1.0 - normal_cdf(x))))


def gen_elu_value(rng: random.Random) -> Generated:
    x = rng.choice([-3.0, -2.0, -1.5, -1.0, -0.5])
    alpha = rng.choice([0.5, 1.0, 1.5, 2.0])
    answer = alpha * (math.exp(x) - 1.0)
    return Generated(params={"x": _fmt_num(x), "alpha": _fmt_num(alpha), "ex": f"{math.exp(x):.4f}"},
                     answer=answer, tolerance=0.0006, fmt="{:.4f}",
                     distractors=(0.0, 0.01 * x, alpha * math.exp(x), -alpha, alpha * x))


def gen_saturated_share(rng: random.Random) -> Generated:
    mu = rng.choice([-2.0, 0.0, 1.0, 2.0, 3.0])
    sd = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])
    upper = 1.0 - normal_cdf((SATURATION_Z - mu) / sd)
    lower = normal_cdf((-SATURATION_Z - mu) / sd)
    answer = upper + lower
    var = sd * sd
    wrong_var = (1.0 - normal_cdf((SATURATION_Z - mu) / var)) + normal_cdf((-SATURATION_Z - mu) / var)
    return Generated(params={"mu": _fmt_num(mu), "sd": _fmt_num(sd), "zsat": SATURATION_Z,
                             "upper": f"{upper:.4f}", "lower": f"{lower:.4f}"},
                     answer=answer, tolerance=0.002, fmt="{:.3f}",
                     distractors=(max(upper, lower), 1.0 - answer, wrong_var, 2 * (1 - normal_cdf(SATURATION_Z))),
                     lower=0.0, upper=1.0)


def gen_bn_eval_shift(rng: random.Random) -> Generated:
    mean = rng.choice([-2.0, 1.0, 2.0, 3.0, 5.0])
    sd = rng.choice([0.5, 2.0, 3.0, 4.0])
    x = mean + rng.choice([-2, -1, 1, 2, 3]) * sd / 2
    gamma = rng.choice([0.5, 1.5, 1.8, 2.0])
    beta = rng.choice([-0.5, 0.5, 1.0])
    answer = gamma * (x - mean) / sd + beta
    return Generated(params={"mean": _fmt_num(mean), "sd": _fmt_num(sd), "var": _fmt_num(sd * sd), "x": _fmt_num(x),
                             "gamma": _fmt_num(gamma), "beta": _fmt_num(beta), "xhat": f"{(x - mean) / sd:g}"},
                     answer=answer, tolerance=0.002, fmt="{:.3f}",
                     distractors=((x - mean) / sd, gamma * (x - mean) / (sd * sd) + beta, gamma * x + beta,
                                  gamma * (x - mean) / sd))


def gen_logistic_probability(rng: random.Random) -> Generated:
    b0 = rng.choice([-4.0, -3.0, -2.0, -1.0, 0.5, 1.0])
    b1 = rng.choice([0.3, 0.5, 0.6, 0.8, 1.2, -0.5])
    x = rng.randint(0, 8)
    z = b0 + b1 * x
    answer = sigmoid(z)
    return Generated(params={"b0": _fmt_num(b0), "b1": _fmt_num(b1), "x": x, "z": f"{z:g}"},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(sigmoid(b1 * x), 1.0 - answer, math.exp(z) / 10.0, min(max(z, 0.0), 1.0),
                                  sigmoid(b0)), lower=0.0, upper=1.0)


def gen_odds_multiplier(rng: random.Random) -> Generated:
    beta = rng.choice([0.05, 0.1, 0.2, 0.3, 0.6, -0.2, -0.5])
    delta = rng.choice([2, 3, 5, 10])
    answer = math.exp(beta * delta)
    return Generated(params={"beta": _fmt_num(beta), "delta": delta, "product": f"{beta * delta:g}"},
                     answer=answer, tolerance=_rel(answer), fmt="{:.3g}",
                     distractors=(math.exp(beta), beta * delta, 1.0 + beta * delta, delta * math.exp(beta)))


def gen_log_loss_gradient(rng: random.Random) -> Generated:
    p = rng.choice([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    y = rng.choice([0, 1])
    x = rng.choice([0.5, 1.0, 2.0, 3.0, 4.0, 5.0])
    answer = (p - y) * x
    return Generated(params={"p": _fmt_num(p), "y": y, "x": _fmt_num(x), "err": f"{p - y:g}"},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=((y - p) * x, p - y, (p - y) * x * p * (1 - p), -math.log(p if y else 1 - p) * x))


def gen_log_loss_value(rng: random.Random) -> Generated:
    p = rng.choice([0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9, 0.95])
    y = rng.choice([0, 1])
    answer = -math.log(p) if y == 1 else -math.log(1.0 - p)
    swapped = -math.log(1.0 - p) if y == 1 else -math.log(p)
    return Generated(params={"p": _fmt_num(p), "y": y, "pt": _fmt_num(p if y else round(1 - p, 10))},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(swapped, answer / math.log(10), (p - y) ** 2, 1 - (p if y else 1 - p)))


def gen_standardized_condition(rng: random.Random) -> Generated:
    rho = rng.choice([0.1, 0.2, 0.3, 0.5, 0.6, 0.8, 0.9])
    answer = (1 + rho) / (1 - rho)
    return Generated(params={"rho": _fmt_num(rho), "big": _fmt_num(1 + rho), "small": f"{1 - rho:g}"},
                     answer=answer, tolerance=_rel(answer), fmt="{:.3g}",
                     distractors=(1.0, 1 / (1 - rho), 1 + rho, ((1 + rho) / (1 - rho)) ** 2))


def _eig2(a: float, b: float, c: float) -> tuple[float, float]:
    """Eigenvalues (small, large) of the symmetric matrix [[a, c], [c, b]]."""
    mid = (a + b) / 2
    rad = math.sqrt(((a - b) / 2) ** 2 + c * c)
    return mid - rad, mid + rad


def gen_max_learning_rate(rng: random.Random) -> Generated:
    s1 = rng.choice([1.0, 2.0, 3.0, 5.0, 10.0])
    s2 = rng.choice([0.5, 1.0, 2.0, 4.0])
    rho = rng.choice([0.0, 0.2, 0.5])
    lo, hi = _eig2(s1 * s1, s2 * s2, rho * s1 * s2)
    answer = 2.0 / hi
    return Generated(params={"s1": _fmt_num(s1), "s2": _fmt_num(s2), "rho": _fmt_num(rho),
                             "v1": _fmt_num(s1 * s1), "v2": _fmt_num(s2 * s2), "cov": f"{rho * s1 * s2:g}",
                             "lmax": f"{hi:.4g}", "lmin": f"{lo:.4g}"},
                     answer=answer, tolerance=_rel(answer), fmt="{:.3g}",
                     distractors=(2.0 / lo, 1.0 / hi, 2.0 / (s1 * s1 + s2 * s2), 2.0 / max(s1, s2)))


def gen_minmax(rng: random.Random) -> Generated:
    lo = rng.choice([0, 10, 18, 20, 100])
    span = rng.choice([50, 72, 80, 200, 400])
    hi = lo + span
    x = lo + rng.randint(1, span - 1)
    answer = (x - lo) / span
    mean, sd = lo + span / 2, span / 4
    return Generated(params={"lo": lo, "hi": hi, "x": x}, answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(x / hi, (x - lo) / hi, (x - mean) / sd, 1 - answer), lower=0.0, upper=1.0)


PR_METRICS = {
    "precision": ("precision", "TP / (TP + FP)"),
    "recall": ("recall (sensitivity)", "TP / (TP + FN)"),
    "specificity": ("specificity", "TN / (TN + FP)"),
    "accuracy": ("accuracy", "(TP + TN) / (TP + TN + FP + FN)"),
    "f1": ("F1 score", "2PR / (P + R)"),
    "f2": ("F2 score", "5PR / (4P + R)"),
}


def confusion_metrics(tn: int, fp: int, fn: int, tp: int) -> dict[str, float]:
    p = tp / (tp + fp)
    r = tp / (tp + fn)
    return {
        "precision": p, "recall": r, "specificity": tn / (tn + fp), "accuracy": (tp + tn) / (tp + tn + fp + fn),
        "f1": 2 * p * r / (p + r), "f2": 5 * p * r / (4 * p + r),
    }


def gen_confusion_metric(rng: random.Random) -> Generated:
    while True:
        tp, fn = rng.randint(5, 80), rng.randint(1, 40)
        fp, tn = rng.randint(1, 120), rng.randint(50, 900)
        values = confusion_metrics(tn, fp, fn, tp)
        metric = rng.choice(sorted(PR_METRICS))
        answer = values[metric]
        # the other metrics are the natural distractors; they must differ visibly from the answer
        others = [v for k, v in values.items() if k != metric and abs(v - answer) > 0.01]
        if len(others) >= 3:
            break
    name, formula = PR_METRICS[metric]
    return Generated(params={"tn": tn, "fp": fp, "fn": fn, "tp": tp, "metric": metric, "metric_name": name,
                             "formula": formula, "precision": f"{values['precision']:.3f}",
                             "recall": f"{values['recall']:.3f}"},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}", distractors=tuple(others),
                     lower=0.0, upper=1.0)


def gen_precision_at_prevalence(rng: random.Random) -> Generated:
    tpr = rng.choice([0.8, 0.9, 0.95, 0.99])
    fpr = rng.choice([0.01, 0.02, 0.05, 0.1])
    prevalence = rng.choice([0.001, 0.005, 0.01, 0.02, 0.05, 0.1])
    answer = tpr * prevalence / (tpr * prevalence + fpr * (1 - prevalence))
    return Generated(params={"tpr": _fmt_num(tpr), "fpr": _fmt_num(fpr), "prev": _fmt_num(prevalence),
                             "prev_pct": f"{prevalence * 100:g}%", "per": 100_000,
                             "tp": f"{tpr * prevalence * 100_000:,.0f}",
                             "fp": f"{fpr * (1 - prevalence) * 100_000:,.0f}"},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(tpr, 1 - fpr, tpr * (1 - fpr), prevalence), lower=0.0, upper=1.0)


FOCAL_MIN_ANSWER = 1e-3  # below this the loss reads as "0.000…" noise, not a number to reason about


def gen_focal_value(rng: random.Random) -> Generated:
    while True:  # p_t = 0.99 with γ = 5 would give about 1e-12: redraw such pairs
        pt = rng.choice([0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99])
        gamma = rng.choice([0.5, 1.0, 2.0, 3.0, 5.0])
        ce = -math.log(pt)
        factor = (1 - pt) ** gamma
        answer = factor * ce
        if answer >= FOCAL_MIN_ANSWER:
            break
    return Generated(params={"pt": _fmt_num(pt), "gamma": _fmt_num(gamma), "ce": f"{ce:.4g}",
                             "factor": f"{factor:.4g}"},
                     answer=answer, tolerance=_rel(answer), fmt="{:.3g}",
                     distractors=(ce, factor, pt ** gamma * ce, factor * ce / math.log(10)))


def gen_focal_negative(rng: random.Random) -> Generated:
    p = rng.choice([0.05, 0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9])
    gamma = 2.0
    pt = 1 - p
    answer = -((1 - pt) ** gamma) * math.log(pt)
    wrong = -((1 - p) ** gamma) * math.log(p)  # using p as if it were p_t
    return Generated(params={"p": _fmt_num(p), "pt": f"{pt:g}", "gamma": _fmt_num(gamma)},
                     answer=answer, tolerance=_rel(answer), fmt="{:.3g}",
                     distractors=(wrong, -math.log(pt), -math.log(p), (1 - pt) ** gamma))


def gen_prior_bias(rng: random.Random) -> Generated:
    pi = rng.choice([0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2])
    answer = -math.log((1 - pi) / pi)
    return Generated(params={"pi": _fmt_num(pi)}, answer=answer, tolerance=0.002, fmt="{:.3f}",
                     distractors=(math.log(pi), -answer, math.log(1 - pi), pi))


def gen_conv_output(rng: random.Random) -> Generated:
    while True:
        h = rng.choice([28, 32, 64, 96, 224, 227, 256])
        k = rng.choice([1, 3, 5, 7, 11])
        p = rng.choice([0, 1, 2, 3])
        s = rng.choice([1, 2, 4])
        if h - k + 2 * p >= 0 and p < k:
            break
    answer = (h - k + 2 * p) // s + 1
    return Generated(params={"h": h, "k": k, "p": p, "s": s, "inner": h - k + 2 * p},
                     answer=float(answer), tolerance=0.5, fmt="{:.0f}",
                     distractors=(float((h - k) // s + 1), float(h // s), float(math.ceil((h - k + 2 * p) / s) + 1),
                                  float((h - k + 2 * p) // s), float((h - k + p) // s + 1)))


def gen_uint8_add(rng: random.Random) -> Generated:
    while True:
        a, b = rng.randint(100, 250), rng.randint(100, 250)
        if a + b > 260:
            break
    answer = (a + b) % 256
    return Generated(params={"a": a, "b": b, "total": a + b}, answer=float(answer), tolerance=0.5, fmt="{:.0f}",
                     distractors=(255.0, float(a + b), float(a + b - 255), float(abs(a - b))))


SOBEL_X = ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1))


def gen_sobel_x(rng: random.Random) -> Generated:
    while True:
        patch = [[rng.randint(0, 9) * 10 for _ in range(3)] for _ in range(3)]
        gx = sum(SOBEL_X[i][j] * patch[i][j] for i in range(3) for j in range(3))
        gy = sum(SOBEL_X[j][i] * patch[i][j] for i in range(3) for j in range(3))
        if gx != 0 and abs(gx) != abs(gy):
            break
    rows = "\n".join(" ".join(f"{v:3d}" for v in row) for row in patch)
    return Generated(params={"patch": rows, "patch_list": patch, "gx": gx, "gy": gy},
                     answer=float(gx), tolerance=0.5, fmt="{:.0f}",
                     distractors=(float(-gx), float(gy), float(sum(map(sum, patch))), float(gx / 4)))


IMAGENET_MEAN = {"red": 0.485, "green": 0.456, "blue": 0.406}
IMAGENET_STD = {"red": 0.229, "green": 0.224, "blue": 0.225}


def gen_imagenet_normalize(rng: random.Random) -> Generated:
    channel = rng.choice(sorted(IMAGENET_MEAN))
    v = rng.choice([0, 30, 64, 100, 128, 150, 200, 230, 255])
    mu, sd = IMAGENET_MEAN[channel], IMAGENET_STD[channel]
    answer = (v / 255 - mu) / sd
    return Generated(params={"channel": channel, "v": v, "mu": mu, "sd": sd, "scaled": f"{v / 255:.4f}"},
                     answer=answer, tolerance=0.002, fmt="{:.3f}",
                     distractors=(v / 255, (v - mu) / sd, v / 255 - mu, (v / 255 - mu) * sd))


def gen_random_search_hit(rng: random.Random) -> Generated:
    p = rng.choice([0.01, 0.02, 0.05, 0.1])
    n = rng.choice([10, 20, 30, 50, 60, 100])
    answer = 1 - (1 - p) ** n
    return Generated(params={"p": _fmt_num(p), "p_pct": f"{p * 100:g}%", "n": n, "miss": f"{(1 - p) ** n:.4f}"},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(min(n * p, 1.0), (1 - p) ** n, 1 - p ** n, p), lower=0.0, upper=1.0)


def gen_lr_sampling_share(rng: random.Random) -> Generated:
    lo_exp, hi_exp = rng.choice([(-5, -1), (-6, -2), (-4, 0), (-5, -2)])
    cut = rng.randint(lo_exp + 1, hi_exp - 1)
    scale = rng.choice(["uniform", "log-uniform"])
    lo, hi, c = 10.0 ** lo_exp, 10.0 ** hi_exp, 10.0 ** cut
    uniform_share = (c - lo) / (hi - lo)
    log_share = (cut - lo_exp) / (hi_exp - lo_exp)
    answer = uniform_share if scale == "uniform" else log_share
    other = log_share if scale == "uniform" else uniform_share
    return Generated(params={"lo": f"1e{lo_exp}", "hi": f"1e{hi_exp}", "cut": f"1e{cut}", "scale": scale,
                             "decades": hi_exp - lo_exp, "below": cut - lo_exp},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(other, 1 - answer, 0.5, 1 / (hi_exp - lo_exp)), lower=0.0, upper=1.0)


def gen_successive_halving(rng: random.Random) -> Generated:
    eta = rng.choice([2, 3])
    rounds = rng.choice([2, 3, 4]) if eta == 2 else rng.choice([2, 3])
    n = eta ** rounds
    answer = (rounds + 1) * n  # each round trains n / eta^i configs for eta^i epochs (from scratch)
    full = n * eta ** rounds
    return Generated(params={"eta": eta, "n": n, "rounds": rounds + 1, "max_epochs": eta ** rounds,
                             "full": full},
                     answer=float(answer), tolerance=0.5, fmt="{:.0f}",
                     distractors=(float(full), float(rounds * n), float(n), float(2 * n)))


def gen_cosine(rng: random.Random) -> Generated:
    while True:
        a = [rng.randint(-3, 3) for _ in range(4)]
        b = [rng.randint(-3, 3) for _ in range(4)]
        na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
        dot = sum(x * y for x, y in zip(a, b))
        if na and nb and dot != 0 and a != b:
            break
    answer = dot / (na * nb)
    dist = math.dist(a, b)
    return Generated(params={"a": f"({', '.join(map(str, a))})", "b": f"({', '.join(map(str, b))})",
                             "a_list": a, "b_list": b, "dot": dot, "na": f"{na:.3f}", "nb": f"{nb:.3f}"},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(dot / (na * na), dot / (na + nb), 1 - answer, -answer, dot / 10, dist / 10),
                     lower=-1.0, upper=1.0)


def gen_unit_distance(rng: random.Random) -> Generated:
    c = rng.choice([-0.5, 0.0, 0.2, 0.5, 0.6, 0.8, 0.9, 0.98])
    answer = math.sqrt(2 - 2 * c)
    return Generated(params={"c": _fmt_num(c)}, answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(2 - 2 * c, 1 - c, math.sqrt(1 - c), math.sqrt(2 + 2 * c)))


def gen_attention_weight(rng: random.Random) -> Generated:
    d_k = rng.choice([4, 16, 64])
    root = math.sqrt(d_k)
    while True:  # distinct scores, and a first weight big enough to read at 3 decimals
        scores = [rng.randint(-2, 8) * int(root) for _ in range(3)]
        exps = [math.exp(s / root) for s in scores]
        answer = exps[0] / sum(exps)
        if len(set(scores)) == 3 and 0.02 <= answer <= 0.98:
            break
    raw = [math.exp(s) for s in scores]
    by_d = [math.exp(s / d_k) for s in scores]
    return Generated(params={"s1": scores[0], "s2": scores[1], "s3": scores[2], "d_k": d_k, "root": f"{root:g}",
                             "scaled": ", ".join(f"{s / root:g}" for s in scores)},
                     answer=answer, tolerance=0.0006, fmt="{:.3f}",
                     distractors=(raw[0] / sum(raw), by_d[0] / sum(by_d), 1 / 3,
                                  max(scores[0], 0) / max(sum(max(s, 0) for s in scores), 1)), lower=0.0, upper=1.0)


GENERATORS: dict[str, Callable[[random.Random], Generated]] = {
    "sigmoid_chain": gen_sigmoid_chain,
    "sigmoid_derivative": gen_sigmoid_derivative,
    "grad_clip": gen_grad_clip,
    "bn_output": gen_bn_output,
    "bn_running_var": gen_bn_running_var,
    "he_std": gen_he_std,
    "relu_signal_scale": gen_relu_signal_scale,
    "gelu_value": gen_gelu_value,
    "elu_value": gen_elu_value,
    "saturated_share": gen_saturated_share,
    "bn_eval_shift": gen_bn_eval_shift,
    "logistic_probability": gen_logistic_probability,
    "odds_multiplier": gen_odds_multiplier,
    "log_loss_gradient": gen_log_loss_gradient,
    "log_loss_value": gen_log_loss_value,
    "standardized_condition": gen_standardized_condition,
    "max_learning_rate": gen_max_learning_rate,
    "minmax": gen_minmax,
    "confusion_metric": gen_confusion_metric,
    "precision_at_prevalence": gen_precision_at_prevalence,
    "focal_value": gen_focal_value,
    "focal_negative": gen_focal_negative,
    "prior_bias": gen_prior_bias,
    "conv_output": gen_conv_output,
    "uint8_add": gen_uint8_add,
    "sobel_x": gen_sobel_x,
    "imagenet_normalize": gen_imagenet_normalize,
    "random_search_hit": gen_random_search_hit,
    "lr_sampling_share": gen_lr_sampling_share,
    "successive_halving": gen_successive_halving,
    "cosine": gen_cosine,
    "unit_distance": gen_unit_distance,
    "attention_weight": gen_attention_weight,
}


# --------------------------------------------------------------------------- numeric options

_GENERIC_FACTORS = (0.5, 2.0, 0.1, 10.0, 1.5, 0.75, 1.25, 3.0, 0.25, 4.0)


def format_number(fmt: str, value: float) -> str:
    text = fmt.format(value)
    return fmt.format(0.0) if float(text) == 0 else text


def numeric_options(value: float, tolerance: float, fmt: str, distractors: tuple[float, ...], rng: random.Random,
                    lower: float | None = None, upper: float | None = None) -> tuple[tuple[str, ...], int]:
    """Four options: the formatted answer and three plausible wrong values, shuffled.

    Wrong values come from ``distractors`` (typical mistakes) first, then generic perturbations;
    every wrong option differs from the answer by more than ``tolerance`` *as displayed*, and no
    two options display the same.
    """
    right = format_number(fmt, value)
    if abs(float(right) - value) > tolerance:
        raise BankError(f"format {fmt!r} shows {value!r} as {right}, outside the tolerance {tolerance:g}")
    shown = {right}
    wrong: list[str] = []

    def consider(candidate: float) -> None:
        if len(wrong) >= NUMERIC_OPTIONS - 1 or not math.isfinite(candidate):
            return
        if (lower is not None and candidate < lower) or (upper is not None and candidate > upper):
            return
        text = format_number(fmt, candidate)
        gap = abs(float(text) - value)
        if text in shown or gap <= max(2 * tolerance, 1e-12):
            return
        shown.add(text)
        wrong.append(text)

    for candidate in distractors:
        consider(candidate)
    generic = [value * f for f in _GENERIC_FACTORS] + [value + k * max(abs(value), 1.0) * 0.2 for k in (-2, -1, 1, 2, 3)]
    if lower is not None and upper is not None:
        generic += [lower + (upper - lower) * q for q in (0.1, 0.3, 0.5, 0.7, 0.9)]
    generic += [value + k * 0.1 * (1 + abs(value)) for k in range(-9, 10) if k]
    for candidate in generic:
        consider(candidate)
    if len(wrong) < NUMERIC_OPTIONS - 1:
        raise BankError(f"could not make {NUMERIC_OPTIONS} distinct options around {value!r}")
    options = [right, *wrong]
    rng.shuffle(options)
    return tuple(options), options.index(right)


# --------------------------------------------------------------------------- loading and validation


def article_sections(slug: str, articles_dir: Path = ARTICLES_DIR) -> tuple[str, ...]:
    """The ``## `` headings of an article, in order (read again only when the file changes:
    every "Quiz me on this" button asks for them)."""
    path = articles_dir / f"{slug}.md"
    try:
        modified = path.stat().st_mtime_ns
    except OSError:
        return ()
    return _headings(path, modified)


@functools.lru_cache(maxsize=256)
def _headings(path: Path, modified_ns: int) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ()
    return tuple(line[3:].strip() for line in text.splitlines() if line.startswith("## "))


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(float(raw)):
        raise BankError(f"{where}: expected a finite number, got {raw!r}")
    return float(raw)


def _text(raw: Any, where: str, limit: int) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise BankError(f"{where}: expected non-empty text")
    text = " ".join(raw.split()) if "\n" not in raw.strip() else raw.strip()
    if len(text) > limit:
        raise BankError(f"{where}: longer than {limit} characters")
    return text


def _parse_choices(raw: Any, answer: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """``choices``: the right one a string, each wrong one ``{text, why_wrong}``."""
    if not isinstance(raw, list) or not MIN_CHOICES <= len(raw) <= MAX_CHOICES:
        raise BankError(f"{where}: choice questions need {MIN_CHOICES}-{MAX_CHOICES} choices")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(raw):
        raise BankError(f"{where}: answer must be the index (from 0) of the right choice")
    texts: list[str] = []
    why: list[str] = []
    for i, item in enumerate(raw):
        at = f"{where} choice {i}"
        if isinstance(item, dict):
            unknown = set(item) - _CHOICE_KEYS
            if unknown:
                raise BankError(f"{at}: unknown keys {', '.join(sorted(unknown))} (a choice has text and why_wrong)")
            text, reason = item.get("text"), item.get("why_wrong")
        else:
            text, reason = item, None
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        texts.append(_text(text, at, MAX_CHOICE_CHARS))
        if i == answer:
            if reason is not None:
                raise BankError(f"{at}: the right choice takes no why_wrong (write it as a plain string)")
            why.append("")
        else:
            if reason is None:
                raise BankError(f"{at}: a wrong choice needs why_wrong, the misconception it stands for "
                                f"(write it as {{text: ..., why_wrong: ...}})")
            why.append(_text(reason, f"{at} why_wrong", MAX_WHY_WRONG_CHARS))
    if len({t.lower() for t in texts}) != len(texts):
        raise BankError(f"{where}: choices must be non-empty and unique")
    return tuple(texts), tuple(why), answer


def _parse_question(raw: Any, topic: str, sections: tuple[str, ...], where: str) -> QuestionSpec:
    if not isinstance(raw, dict):
        raise BankError(f"{where}: each question must be a mapping")
    missing = [k for k in _REQUIRED if not raw.get(k)]
    if missing:
        raise BankError(f"{where}: missing {', '.join(missing)}")
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise BankError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    qid = str(raw["id"])
    where = f"{where} ({qid})"
    if not _ID.fullmatch(qid):
        raise BankError(f"{where}: ids are 3-48 characters of a-z, 0-9 and '-'")
    qtype = raw["type"]
    prompt, explanation, section = (str(raw[k]).strip() for k in ("prompt", "explanation", "section"))
    hint = _text(raw["hint"], f"{where} hint", MAX_HINT_CHARS)
    if "{answer}" in hint:
        raise BankError(f"{where}: a hint nudges, it never shows the answer (drop {{answer}})")
    if len(prompt) > MAX_PROMPT_CHARS or len(explanation) > MAX_EXPLANATION_CHARS:
        raise BankError(f"{where}: prompt or explanation too long")
    if section not in sections:
        raise BankError(f"{where}: section {section!r} is not a '## ' heading of {topic}.md ({', '.join(sections)})")
    if qtype == "choice":
        texts, why_wrong, answer = _parse_choices(raw.get("choices"), raw.get("answer"), where)
        if raw.get("generator") or raw.get("tolerance") is not None:
            raise BankError(f"{where}: choice questions take no generator or tolerance")
        shuffle = raw.get("shuffle", True)
        if not isinstance(shuffle, bool):
            raise BankError(f"{where}: shuffle must be true or false")
        if not shuffle and answer == 0:
            raise BankError(f"{where}: with shuffle: false the answer must not be written first "
                            "(every student would see it as option A)")
        if texts[answer].lower() in hint.lower():
            raise BankError(f"{where}: the hint contains the right choice's text")
        return QuestionSpec(qid, topic, "choice", prompt, explanation, section, hint=hint, choices=texts,
                            why_wrong=why_wrong, answer=answer, shuffle=shuffle)
    if qtype == "numeric":
        fmt = str(raw.get("fmt", DEFAULT_NUMERIC_FORMAT))
        try:
            fmt.format(1.5)
        except (ValueError, IndexError, KeyError):
            raise BankError(f"{where}: bad fmt {fmt!r}") from None
        if raw.get("choices"):
            raise BankError(f"{where}: numeric questions get their options generated; drop 'choices'")
        generator = raw.get("generator")
        if generator is not None:
            if generator not in GENERATORS:
                raise BankError(f"{where}: unknown generator {generator!r}")
            if raw.get("answer") is not None:
                raise BankError(f"{where}: a generated question computes its answer; drop 'answer'")
            return QuestionSpec(qid, topic, "numeric", prompt, explanation, section, hint=hint,
                                generator=str(generator))
        answer = _number(raw.get("answer"), f"{where} answer")
        tolerance = _number(raw.get("tolerance"), f"{where} tolerance")
        if tolerance <= 0:
            raise BankError(f"{where}: tolerance must be positive")
        distractors = tuple(_number(d, f"{where} distractor") for d in raw.get("distractors") or ())
        return QuestionSpec(qid, topic, "numeric", prompt, explanation, section, hint=hint, answer=answer,
                            tolerance=tolerance, fmt=fmt, distractors=distractors)
    raise BankError(f"{where}: type must be choice or numeric (got {qtype!r})")


def load_bank_from(quiz_dir: Path = QUIZ_DIR, articles_dir: Path = ARTICLES_DIR) -> dict[str, tuple[QuestionSpec, ...]]:
    """Read and validate every ``<slug>.yaml``; topic -> its questions in file order."""
    paths = sorted(quiz_dir.glob("*.yaml"))
    if not paths:
        raise BankError(f"no quiz files in {quiz_dir}")
    bank: dict[str, tuple[QuestionSpec, ...]] = {}
    seen: set[str] = set()
    for path in paths:
        topic = path.stem
        sections = article_sections(topic, articles_dir)
        if not sections:
            raise BankError(f"{path.name}: no article {topic}.md to quiz on")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise BankError(f"{path.name}: unreadable YAML ({exc})") from exc
        if not isinstance(data, dict) or data.get("topic") != topic or not isinstance(data.get("questions"), list):
            raise BankError(f"{path.name}: expected 'topic: {topic}' and a 'questions' list")
        questions = []
        for n, raw in enumerate(data["questions"], 1):
            spec = _parse_question(raw, topic, sections, f"{path.name} question {n}")
            if spec.id in seen:
                raise BankError(f"{path.name}: duplicate question id {spec.id!r}")
            seen.add(spec.id)
            questions.append(spec)
        bank[topic] = tuple(questions)
    return bank


_BANK: dict[str, tuple[QuestionSpec, ...]] | None = None
_BANK_LOCK = threading.Lock()


def load_bank() -> dict[str, tuple[QuestionSpec, ...]]:
    """The bundled bank, read once per process."""
    global _BANK
    with _BANK_LOCK:
        if _BANK is None:
            _BANK = load_bank_from()
        return _BANK


def question_by_id(question_id: str) -> QuestionSpec | None:
    for questions in load_bank().values():
        for spec in questions:
            if spec.id == question_id:
                return spec
    return None


# --------------------------------------------------------------------------- asking


class _Values(dict):
    def __missing__(self, key: str) -> str:
        raise BankError(f"template placeholder {{{key}}} has no value")


def instantiate(spec: QuestionSpec, rng: random.Random) -> QuizQuestion:
    """Draw fresh numbers (generated questions), build and shuffle the options."""
    if spec.type == "choice":
        order = list(range(len(spec.choices)))
        if spec.shuffle:
            rng.shuffle(order)
        choices = tuple(spec.choices[i] for i in order)
        why_wrong = tuple(spec.why_wrong[i] for i in order) if spec.why_wrong else ("",) * len(order)
        return QuizQuestion(spec.id, spec.topic, "choice", spec.prompt, choices, order.index(int(spec.answer or 0)),
                            spec.explanation, spec.section, hint=spec.hint, why_wrong=why_wrong)
    if spec.generator is None:
        assert spec.answer is not None and spec.tolerance is not None
        value = float(spec.answer)
        options, index = numeric_options(value, spec.tolerance, spec.fmt, spec.distractors, rng)
        return QuizQuestion(spec.id, spec.topic, "numeric", spec.prompt, options, index, spec.explanation,
                            spec.section, value=value, tolerance=spec.tolerance, hint=spec.hint,
                            why_wrong=("",) * len(options))
    generated = GENERATORS[spec.generator](rng)
    options, index = numeric_options(generated.answer, generated.tolerance, generated.fmt, generated.distractors, rng,
                                     generated.lower, generated.upper)
    values = _Values(generated.params)
    values["answer"] = options[index]
    prompt = spec.prompt.format_map(values)
    explanation = spec.explanation.format_map(values)
    hint = spec.hint.format_map(_Values(generated.params))  # no {answer}: load_bank refuses it
    params = {k: v for k, v in generated.params.items() if isinstance(v, (int, float, str, list))}
    return QuizQuestion(spec.id, spec.topic, "numeric", prompt, options, index, explanation, spec.section,
                        value=generated.answer, tolerance=generated.tolerance, params=params, hint=hint,
                        why_wrong=("",) * len(options))
