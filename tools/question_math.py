"""Numbers in a student's question, computed: "a coefficient of 0.7" → e^0.7 ≈ 2.01.

A TA who is asked "how do I interpret a coefficient of 0.7?" says "the odds double (×2.01)",
not only what a coefficient means in general. This module finds the numbers a known formula can
use in a question, computes the result and states it in one sentence with the formula:

* odds ratio from a logistic-regression coefficient (and the coefficient from an odds ratio);
* probability from log-odds;
* the sigmoid (or tanh) and its derivative at a value;
* the best-case gradient factor 0.25^n through n sigmoid layers, and a literal power ``a^n``;
* binary cross-entropy and focal loss at a probability p (with γ and α);
* precision, recall, F1 (specificity, accuracy) from TP/FP/FN(/TN) or a 2×2 matrix;
* a standardized value from mean and standard deviation (and min-max scaling);
* ReLU (Leaky ReLU) and the sigmoid element by element over a list, with their derivatives;
* batch normalization of a small list: mean, variance, x̂ and y = γ·x̂ + β.

Pure ``math``, no heavy imports: it runs inline on every question. Nothing is ever ``eval``ed:
numbers are read with one regular expression and converted with ``float``. A number a formula
would use but cannot (p = 1.5, std = 0, a coefficient of 1e9) is reported in ``ignored`` so the
answer can say so; incidental numbers ("after epoch 2") are left alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

MAX_COMPUTATIONS = 3
MAX_COEFFICIENT = 50.0  # |β| beyond this is not a coefficient on any sensible feature scale
MAX_LAYERS = 10_000
MAX_GAMMA = 10.0
MAX_COUNT = 10**9
MAX_ABS_VALUE = 1e12
MAX_LIST = 12  # values of a list computed element by element; the rest are named as ignored
MAX_POINTWISE = 4  # up to this many values are also read out one by one
BN_EPS = 1e-5  # PyTorch's default ε

NUM = r"[-−–]?(?:\d+(?:[.,]\d+)?|\.\d+)(?:e[-+]?\d{1,3})?"
_LIST_NUM = r"[-−–]?(?:\d+(?:\.\d+)?|\.\d+)(?:e[-+]?\d{1,3})?"  # in a list a comma separates
# A bracketed list of numbers, not a row of a matrix ([[50, 10], [5, 35]]).
_LIST = re.compile(rf"(?<!\[)(?<!\],)(?<!\], )\[\s*({_LIST_NUM}(?:\s*[,;]?\s+{_LIST_NUM}|\s*[,;]\s*{_LIST_NUM})*)\s*\](?!\s*,?\s*\[)")
_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class Computation:
    """One computed fact: the tool (formula) used, what it took, what it gave, and the sentence
    that states it for a student (formula included)."""

    tool: str
    inputs: dict[str, float]
    result: dict[str, float]
    sentence: str
    # what an answer must already contain for this computation to be redundant (a list result is
    # stated only as the whole list; its single values appear anywhere); empty: every result value
    stated_as: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"tool": self.tool, "inputs": dict(self.inputs), "result": dict(self.result)}


@dataclass(frozen=True)
class WorkedNumbers:
    computations: tuple[Computation, ...] = ()
    ignored: tuple[str, ...] = field(default_factory=tuple)  # "1.5 (a probability must be between 0 and 1)"

    def note(self) -> str:
        """One line naming the numbers that could not be used, or ''."""
        if not self.ignored:
            return ""
        return "I ignored " + "; ".join(self.ignored) + "."


def _num(text: str) -> float | None:
    cleaned = text.replace("−", "-").replace("–", "-").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def fmt(x: float, digits: int = 3) -> str:
    """A number as a student would write it: 2.01, 0.0625, 9.54e-07."""
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        return f"{mantissa} × 10^{int(exponent)}"
    text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.{digits}g}"
    return text.replace("-", "−") if x < 0 else text


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# -- the formulas, each validated ---------------------------------------------------------------

def odds_ratio(beta: float) -> Computation:
    ratio = math.exp(beta)
    change = (ratio - 1) * 100
    direction = f"about {fmt(abs(change), 3)}% higher" if change >= 0 else f"about {fmt(abs(change), 3)}% lower"
    sentence = (f"A coefficient of {fmt(beta)} adds {fmt(beta)} to the log-odds per one-unit increase of the "
                f"feature (other features held fixed), so the odds are multiplied by the odds ratio "
                f"e^{fmt(beta)} ≈ {fmt(ratio)} ({direction} odds).")
    return Computation("odds-ratio", {"coefficient": beta}, {"odds_ratio": ratio}, sentence)


def odds_ratio_over(beta: float, units: float) -> Computation:
    """The odds ratio for a change of ``units`` units: e^(kβ), the one-unit ratio to the k-th power."""
    total = beta * units
    ratio = math.exp(total)
    change = (ratio - 1) * 100
    direction = f"about {fmt(abs(change), 3)}% {'higher' if change >= 0 else 'lower'}"
    sentence = (f"With a coefficient of {fmt(beta)} per unit, a change of {fmt(units)} units adds {fmt(units)} × "
                f"{fmt(beta)} = {fmt(total)} to the log-odds, so the odds are multiplied by e^{fmt(total)} ≈ {fmt(ratio)} "
                f"({direction} odds): the one-unit odds ratio e^{fmt(beta)} ≈ {fmt(math.exp(beta))} compounds, "
                f"(e^{fmt(beta)})^{fmt(units)} = e^{fmt(total)}.")
    return Computation("odds-ratio", {"coefficient": beta, "units": units},
                       {"odds_ratio": ratio, "log_odds_change": total, "odds_ratio_per_unit": math.exp(beta)}, sentence)


def intercept_probability(b0: float) -> Computation:
    p = sigmoid(b0)
    sentence = (f"An intercept of {fmt(b0)} is the log-odds when every feature is 0 (the baseline): odds "
                f"e^{fmt(b0)} ≈ {fmt(math.exp(b0))} and probability σ({fmt(b0)}) = 1 / (1 + e^{fmt(-b0)}) ≈ {fmt(p)}"
                f" ({fmt(p * 100)}%).")
    return Computation("log-odds-to-probability", {"intercept": b0}, {"probability": p, "odds": math.exp(b0)}, sentence)


def logistic_model(a: float, b: float, xs: list[float]) -> Computation:
    """A fitted model logit(p) = a + b·x: where p = 0.5 (log-odds 0) and p at each x asked."""
    parts = []
    result: dict[str, float] = {}
    if b != 0:
        x_half = -a / b
        result["x_at_p_half"] = x_half
        parts.append(f"p = 0.5 where the log-odds are 0, at x = −a / b = {fmt(-a)} / {fmt(b)} = {fmt(x_half)}")
    for i, x in enumerate(xs, 1):
        z = a + b * x
        p = sigmoid(z)
        result[f"log_odds_{i}"], result[f"probability_{i}"] = z, p
        parts.append(f"at x = {fmt(x)} the log-odds are {fmt(a)} + {fmt(b)} × {fmt(x)} = {fmt(z)}, so p = σ({fmt(z)}) ≈ {fmt(p)}")
    sign = "+" if b >= 0 else "−"
    sentence = f"For logit(p) = {fmt(a)} {sign} {fmt(abs(b))}x: " + "; ".join(parts) + "."
    inputs = {"intercept": a, "slope": b} | {f"x_{i}": x for i, x in enumerate(xs, 1)}
    return Computation("logistic-model", inputs, result, sentence)


def coefficient_from_odds_ratio(ratio: float) -> Computation:
    beta = math.log(ratio)
    change = (ratio - 1) * 100
    plain = (f"{fmt(abs(change))}% {'higher' if change >= 0 else 'lower'} odds" if abs(change) >= 0.05 else "unchanged odds")
    sentence = (f"An odds ratio of {fmt(ratio)} means a coefficient of ln({fmt(ratio)}) ≈ {fmt(beta)} on the "
                f"log-odds scale: each one-unit increase multiplies the odds by {fmt(ratio)} ({plain}, other features "
                f"held fixed), which is not {fmt(ratio)} times the probability.")
    return Computation("odds-ratio", {"odds_ratio": ratio}, {"coefficient": beta}, sentence)


def probability_from_log_odds(z: float) -> Computation:
    p = sigmoid(z)
    sentence = (f"Log-odds of {fmt(z)} correspond to odds e^{fmt(z)} ≈ {fmt(math.exp(z))} and a probability "
                f"p = σ({fmt(z)}) = 1 / (1 + e^−{fmt(z)}) ≈ {fmt(p)}." if z >= 0 else
                f"Log-odds of {fmt(z)} correspond to odds e^{fmt(z)} ≈ {fmt(math.exp(z))} and a probability "
                f"p = σ({fmt(z)}) = 1 / (1 + e^{fmt(-z)}) ≈ {fmt(p)}.")
    return Computation("log-odds-to-probability", {"log_odds": z}, {"probability": p, "odds": math.exp(z)}, sentence)


def sigmoid_at(x: float) -> Computation:
    s = sigmoid(x)
    d = s * (1 - s)
    sentence = (f"At x = {fmt(x)} the sigmoid is σ({fmt(x)}) ≈ {fmt(s)} and its derivative is "
                f"σ'(x) = σ(x)(1 − σ(x)) ≈ {fmt(d)}" + (" — its maximum, 0.25, is at x = 0." if x == 0 else
                f", {fmt(0.25 / d if d else math.inf)}× smaller than the maximum 0.25 at x = 0."))
    return Computation("sigmoid", {"x": x}, {"sigmoid": s, "derivative": d}, sentence)


def tanh_at(x: float) -> Computation:
    t = math.tanh(x)
    d = 1 - t * t
    sentence = (f"At x = {fmt(x)}, tanh({fmt(x)}) ≈ {fmt(t)} and its derivative is 1 − tanh²(x) ≈ {fmt(d)} "
                f"(maximum 1 at x = 0).")
    return Computation("tanh", {"x": x}, {"tanh": t, "derivative": d}, sentence)


def gelu_at(x: float) -> Computation:
    """GELU in its exact form (PyTorch's default): x·Φ(x) = 0.5·x·(1 + erf(x / √2))."""
    phi = 0.5 * (1 + math.erf(x / math.sqrt(2)))
    y = x * phi
    sentence = (f"GELU({fmt(x)}) = x·Φ(x) = 0.5·x·(1 + erf(x / √2)) = {fmt(x)} × {fmt(phi)} ≈ {fmt(y)}, where "
                f"Φ({fmt(x)}) ≈ {fmt(phi)} is the standard normal CDF (the exact erf form, PyTorch's default; the tanh "
                f"approximation, approximate='tanh', is within 0.0005 of it).")
    return Computation("gelu", {"x": x}, {"gelu": y, "phi": phi}, sentence)


def silu_at(x: float) -> Computation:
    """SiLU (Swish with β = 1): x·σ(x)."""
    s = sigmoid(x)
    y = x * s
    sentence = (f"SiLU({fmt(x)}) = x·σ(x) = {fmt(x)} × σ({fmt(x)}) = {fmt(x)} × {fmt(s)} ≈ {fmt(y)} (SiLU is also "
                f"called Swish: the input scaled by its own sigmoid, so small negative inputs give small negative "
                f"outputs instead of ReLU's 0).")
    return Computation("silu", {"x": x}, {"silu": y, "sigmoid": s}, sentence)


def sigmoid_chain(layers: int) -> Computation:
    product = 0.25 ** layers
    sentence = (f"Through {layers} sigmoid layers the gradient is multiplied by at most 0.25 per layer "
                f"(σ' ≤ 0.25), so even in the best case the first layer gets 0.25^{layers} ≈ {fmt(product)} of the "
                f"last layer's gradient.")
    return Computation("chain-product", {"factor": 0.25, "layers": layers}, {"product": product}, sentence)


def power(base: float, exponent: float) -> Computation:
    value = base ** exponent
    sentence = f"{fmt(base)}^{fmt(exponent)} ≈ {fmt(value)}" + (
        ": a factor below 1 multiplied over many layers shrinks towards zero." if 0 < base < 1 and exponent > 1
        else ".")
    return Computation("power", {"base": base, "exponent": exponent}, {"value": value}, sentence)


def cross_entropy(p: float, y: int = 1) -> Computation:
    p_true = p if y == 1 else 1 - p
    loss = -math.log(p_true)
    sentence = (f"Binary cross-entropy for a predicted probability p = {fmt(p)} with true label y = {y} is "
                f"−[y·ln p + (1 − y)·ln(1 − p)] = −ln({fmt(p_true)}) ≈ {fmt(loss)}.")
    return Computation("bce", {"p": p, "y": y}, {"loss": loss}, sentence)


def focal(p_t: float, gamma: float, alpha: float | None) -> Computation:
    bce = -math.log(p_t)
    factor = (1 - p_t) ** gamma
    loss = (alpha if alpha is not None else 1.0) * factor * bce
    a_txt = f"{fmt(alpha)} × " if alpha is not None else ""
    sentence = (f"Focal loss at p_t = {fmt(p_t)} with γ = {fmt(gamma)}"
                + (f", α = {fmt(alpha)}" if alpha is not None else "")
                + f" is FL = −α(1 − p_t)^γ·ln(p_t) = {a_txt}{fmt(factor)} × {fmt(bce)} ≈ {fmt(loss)}, "
                f"versus binary cross-entropy −ln(p_t) ≈ {fmt(bce)}"
                + (f": the modulating factor (1 − p_t)^γ = {fmt(factor)} makes it about "
                   f"{fmt(bce / loss if loss else math.inf)}× smaller." if loss and bce / loss > 1.0001 else "."))
    inputs = {"p_t": p_t, "gamma": gamma} | ({"alpha": alpha} if alpha is not None else {})
    return Computation("focal-loss", inputs, {"focal_loss": loss, "bce": bce, "modulating_factor": factor}, sentence)


def focal_negative(p: float, gamma: float, alpha: float | None) -> Computation:
    """Focal loss for a negative example (y = 0) whose predicted probability of the positive class
    is ``p``: p_t = 1 − p and α_t = 1 − α."""
    p_t = 1 - p
    alpha_t = None if alpha is None else 1 - alpha
    comp = focal(p_t, gamma, alpha_t)
    lead = (f"For a negative example (y = 0) with predicted p = {fmt(p)}, p_t = 1 − p = {fmt(p_t)}"
            + (f" and α_t = 1 − α = {fmt(alpha_t)}" if alpha_t is not None else "") + ". ")
    inputs = {"p": p, "y": 0, "gamma": gamma} | ({"alpha": alpha} if alpha is not None else {})
    return Computation("focal-loss", inputs, comp.result | {"p_t": p_t}, lead + comp.sentence)


def prior_bias(prior: float) -> Computation:
    """The bias that makes a sigmoid output start at the class prior π (RetinaNet's focal-loss
    initialization): b = −ln((1 − π) / π), the logit of π."""
    ratio = (1 - prior) / prior
    b = -math.log(ratio)
    sentence = (f"For a prior π = {fmt(prior)}, initialize the final classification bias to b = −ln((1 − π) / π) = "
                f"−ln({fmt(1 - prior)} / {fmt(prior)}) = −ln({fmt(ratio)}) ≈ {fmt(b)}, so σ(b) = π: every output "
                f"starts at probability {fmt(prior)} instead of 0.5, and the many easy negatives do not swamp the "
                f"loss in the first steps.")
    return Computation("prior-bias", {"prior": prior}, {"bias": b}, sentence)


# A use case named in a precision/recall question, the metric it needs most and why. Order matters:
# the first that matches wins ("spam" before the general "filter").
_USE_CASES: tuple[tuple[str, str, str, str, str], ...] = (
    # pattern, label, metric, the positives (plural), why
    (r"cancer|tumou?r|malignan", "cancer screening", "recall", "cancers",
     "a missed cancer (a false negative) means a late diagnosis, while a false alarm only costs a follow-up test"),
    (r"covid|disease|medical|diagnos|patient|screening|sick|illness|sepsis", "medical screening", "recall", "sick patients",
     "a missed case (a false negative) goes untreated, while a false alarm only costs a follow-up test"),
    (r"fraud", "fraud detection", "recall", "frauds",
     "a missed fraud loses money, while a false alarm only costs a review"),
    (r"intrusion|malware|attack|security|safety|defect|fault|failure", "safety and security checks", "recall",
     "real problems", "a missed problem can be very costly, while a false alarm only costs a check"),
    (r"spam", "a spam filter", "precision", "spam emails",
     "a real email sent to spam (a false positive) can hide an important message, while a missed spam is a small "
     "annoyance"),
    (r"recommend|search|ranking|retriev|top[- ]?k|\bads?\b", "search and recommendations", "precision", "relevant items",
     "users see only the top results, so every irrelevant item shown (a false positive) costs attention"),
)


def _in_every(fraction: float) -> str:
    """", about 7 in every 10" for a fraction that reads well that way, else ""."""
    tenths = fraction * 10
    if abs(fraction - 0.5) < 0.005:
        return ", half of them"
    if 0.95 <= tenths <= 9.05 and abs(tenths - round(tenths)) < 0.05:
        return f", about {round(tenths)} in every 10"
    if 0 < fraction < 0.5 and abs(1 / fraction - round(1 / fraction)) < 0.05:
        return f", about 1 in every {round(1 / fraction)}"
    return ""


def _verdict(value: float) -> str:
    return "good" if value >= 0.9 else "acceptable" if value >= 0.7 else "bad"


def f1_from_pr(precision: float, recall: float, use_case: str | None = None, asked: str | None = None) -> Computation:
    """F1 from a precision and a recall, and with a use case a verdict on the metric that case
    needs most. ``asked``: "good" or "bad" when the question is "is that good/bad?"."""
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    f1_text = (f"F1 = 2PR / (P + R) = {fmt(2 * precision * recall)} / {fmt(precision + recall)} ≈ {fmt(f1)}"
               if precision + recall else "F1 = 0")
    result = {"f1": f1, "missed_fraction": 1 - recall, "false_alarm_fraction": 1 - precision}
    inputs: dict[str, float] = {"precision": precision, "recall": recall}
    case = next((c for c in _USE_CASES if use_case and re.search(c[0], use_case, _FLAGS)), None)
    if case is None:
        sentence = (f"With precision {fmt(precision)} and recall {fmt(recall)}, {f1_text}: the harmonic mean sits "
                    f"near the weaker of the two. Recall {fmt(recall)} means {fmt((1 - recall) * 100)}% of the actual "
                    f"positives are missed; precision {fmt(precision)} means {fmt((1 - precision) * 100)}% of the "
                    f"flagged cases are false alarms.")
        return Computation("f1", inputs, result, sentence)
    _, label, metric, positives, why = case
    key = recall if metric == "recall" else precision
    other_name, other = ("precision", precision) if metric == "recall" else ("recall", recall)
    verdict = _verdict(key)
    if asked == "bad":
        opener = {"bad": "Yes, that is bad", "acceptable": "Not terrible, but it is weak",
                  "good": "No, that is good"}[verdict]
    elif asked == "good":
        opener = {"bad": "No, that is bad", "acceptable": "Only partly: it is acceptable at best",
                  "good": "Yes, that is good"}[verdict]
    else:
        opener = {"bad": "That is bad", "acceptable": "That is acceptable at best", "good": "That is good"}[verdict]
    missed = f"{fmt((1 - recall) * 100)}% of the {positives}"
    false_alarms = f"{fmt((1 - precision) * 100)}% of the flagged cases are false alarms"
    if metric == "recall":
        consequence = f"a recall of {fmt(recall)} misses {missed}{_in_every(1 - recall)}"
        other_text = f"a precision of {fmt(other)} means {false_alarms}"
    else:
        consequence = f"a precision of {fmt(precision)} means {false_alarms}{_in_every(1 - precision)}"
        other_text = f"a recall of {fmt(other)} means {missed} get through"
    if verdict == "good" and other < 0.5:
        other_text += ", so there is still room to improve it"
    sentence = (f"{opener} for {label}: {metric} matters most there, because {why}; {consequence}. "
                f"The {other_name} matters less there: {other_text} ({f1_text})"
                + ("." if verdict == "good" else
                   "; lowering the decision threshold raises recall at some cost in precision." if metric == "recall" else
                   "; raising the decision threshold raises precision at some cost in recall."))
    return Computation("precision-recall-verdict", inputs | {"critical_" + metric: key}, result, sentence,
                       stated_as=(f"{metric} matters most",))


def _beta_name(beta: float) -> str:
    return f"F{fmt(beta)}"


def fbeta_from_pr(precision: float, recall: float, beta: float) -> Computation:
    """F-beta, the weighted harmonic mean that counts recall β times as much as precision:
    (1 + β²)PR / (β²P + R)."""
    b2 = beta * beta
    num = (1 + b2) * precision * recall
    den = b2 * precision + recall
    value = num / den if den else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    name = _beta_name(beta)
    favours = ("recall" if beta > 1 else "precision")
    nearer = recall if beta > 1 else precision
    emphasis = (f"β = {fmt(beta)} counts recall β = {fmt(beta)} times as much as precision (β² = {fmt(b2)} in the "
                f"weighted harmonic mean), so missed positives cost more than false alarms"
                if beta > 1 else
                f"β = {fmt(beta)} counts recall only β = {fmt(beta)} times as much as precision (β² = {fmt(b2)}), "
                f"so false alarms cost more than missed positives")
    sentence = (f"With precision {fmt(precision)} and recall {fmt(recall)}, {name} = (1 + β²)PR / (β²P + R) = "
                f"{fmt(1 + b2)} × {fmt(precision * recall)} / ({fmt(b2)} × {fmt(precision)} + {fmt(recall)}) = "
                f"{fmt(num)} / {fmt(den)} ≈ {fmt(value)}: {emphasis}; it sits nearer the {favours} "
                f"{fmt(nearer)} than F1 ≈ {fmt(f1)} does.")
    return Computation("f-beta", {"precision": precision, "recall": recall, "beta": beta},
                       {"f_beta": value, "f1": f1}, sentence)


def precision_recall_f1(tp: int, fp: int, fn: int, tn: int | None = None) -> Computation:
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = (2 * precision * recall / (precision + recall)
          if math.isfinite(precision) and math.isfinite(recall) and precision + recall else 0.0)
    parts = [
        f"precision = TP / (TP + FP) = {tp} / {tp + fp} ≈ {fmt(precision)}" if tp + fp else
        "precision is undefined (no predicted positives)",
        f"recall = TP / (TP + FN) = {tp} / {tp + fn} ≈ {fmt(recall)}" if tp + fn else
        "recall is undefined (no actual positives)",
        f"F1 = 2PR / (P + R) ≈ {fmt(f1)}",
    ]
    result = {"precision": precision, "recall": recall, "f1": f1}
    inputs: dict[str, float] = {"tp": tp, "fp": fp, "fn": fn}
    if tn is not None:
        inputs["tn"] = tn
        total = tp + fp + fn + tn
        result["accuracy"] = (tp + tn) / total if total else float("nan")
        result["specificity"] = tn / (tn + fp) if tn + fp else float("nan")
        parts.append(f"specificity = TN / (TN + FP) ≈ {fmt(result['specificity'])}")
        parts.append(f"accuracy = (TP + TN) / total ≈ {fmt(result['accuracy'])}")
    sentence = f"With TP = {tp}, FP = {fp}, FN = {fn}" + (f", TN = {tn}" if tn is not None else "") + ": " + \
        "; ".join(parts) + "."
    return Computation("precision-recall", inputs, {k: v for k, v in result.items() if math.isfinite(v)}, sentence)


def standardize(x: float, mean: float, std: float) -> Computation:
    z = (x - mean) / std
    sentence = (f"Standardizing x = {fmt(x)} with mean {fmt(mean)} and standard deviation {fmt(std)} gives "
                f"z = (x − μ) / σ = ({fmt(x)} − {fmt(mean)}) / {fmt(std)} = {fmt(z)}: the value is {fmt(abs(z))} "
                f"standard deviation{'' if abs(z) == 1 else 's'} {'above' if z >= 0 else 'below'} the mean.")
    return Computation("standardize", {"x": x, "mean": mean, "std": std}, {"z": z}, sentence)


def standardize_pixel(value: float, mean: float, std: float) -> Computation:
    """An 8-bit pixel normalized as torchvision does: ToTensor divides by 255, then (x − mean) / std."""
    x = value / 255
    z = (x - mean) / std
    sentence = (f"An 8-bit value of {fmt(value)} is first scaled to [0, 1] (ToTensor divides by 255): {fmt(value)} / 255 ≈ "
                f"{fmt(x)}; normalizing with mean {fmt(mean)} and std {fmt(std)} then gives ({fmt(x)} − {fmt(mean)}) / "
                f"{fmt(std)} ≈ {fmt(z)}, the value the network sees.")
    return Computation("standardize", {"pixel": value, "mean": mean, "std": std}, {"scaled": x, "z": z}, sentence)


def min_max(x: float, lo: float, hi: float) -> Computation:
    scaled = (x - lo) / (hi - lo)
    if lo <= x <= hi:
        sentence = (f"Min-max scaling x = {fmt(x)} with min {fmt(lo)} and max {fmt(hi)} gives "
                    f"(x − min) / (max − min) = {fmt(scaled)}.")
    else:
        sentence = (f"Min-max scaling x = {fmt(x)} with the training min {fmt(lo)} and max {fmt(hi)} gives "
                    f"(x − min) / (max − min) = ({fmt(x)} − {fmt(lo)}) / ({fmt(hi)} − {fmt(lo)}) = {fmt(scaled)}: a value "
                    f"outside the training range [{fmt(lo)}, {fmt(hi)}] maps outside [0, 1], which is expected, not a "
                    f"bug — the scaler keeps the min and max it saw in fit, and MinMaxScaler(clip=True) clips such "
                    f"outputs to the range if you need the bound.")
    return Computation("min-max", {"x": x, "min": lo, "max": hi}, {"scaled": scaled}, sentence)


def min_max_values(values: list[float], x: float | None) -> Computation:
    """Min-max scaling with the min and max of the feature's own values, for one value asked (and
    the whole feature)."""
    lo, hi = min(values), max(values)
    scaled_all = [(v - lo) / (hi - lo) for v in values]
    result: dict[str, float] = {"min": lo, "max": hi}
    lead = f"Min-max scaling with the feature's values {fmt_list(values)} uses their min {fmt(lo)} and max {fmt(hi)}"
    if x is None:
        sentence = f"{lead}: (x − min) / (max − min) turns the feature into {fmt_list(scaled_all)}."
        result |= _indexed("scaled", scaled_all)
        return Computation("min-max", _indexed("x", values), result, sentence, stated_as=(fmt_list(scaled_all),))
    scaled = (x - lo) / (hi - lo)
    result["scaled"] = scaled
    sentence = (f"{lead}: x = {fmt(x)} becomes (x − min) / (max − min) = ({fmt(x)} − {fmt(lo)}) / ({fmt(hi)} − {fmt(lo)}) "
                f"= {fmt(scaled)}" + (f" (the whole feature becomes {fmt_list(scaled_all)})." if len(values) <= MAX_LIST
                                      else "."))
    return Computation("min-max", _indexed("x", values) | {"x": x}, result, sentence)


def min_max_inverse(y: float, lo: float, hi: float, a: float = 0.0, b: float = 1.0) -> Computation:
    """The raw value that min-max scaling (min ``lo``, max ``hi``, to [a, b]) maps to ``y``."""
    x = lo + (y - a) * (hi - lo) / (b - a)
    if (a, b) == (0.0, 1.0):
        formula = (f"x = min + {fmt(y)} × (max − min) = {fmt(lo)} + {fmt(y)} × {fmt(hi - lo)} = {fmt(x)}")
    else:
        formula = (f"x = min + (y − a)(max − min) / (b − a) = {fmt(lo)} + ({fmt(y)} − {fmt(a)}) × {fmt(hi - lo)} / "
                   f"{fmt(b - a)} = {fmt(x)}")
    sentence = (f"Undoing min-max scaling with min {fmt(lo)} and max {fmt(hi)}"
                + ("" if (a, b) == (0.0, 1.0) else f" to [{fmt(a)}, {fmt(b)}]")
                + f", the raw value that maps to {fmt(y)} is {formula} (what MinMaxScaler.inverse_transform computes).")
    inputs = {"scaled": y, "min": lo, "max": hi} | ({} if (a, b) == (0.0, 1.0) else {"a": a, "b": b})
    return Computation("min-max", inputs, {"x": x}, sentence)


def factor_chain(factor: float, steps: int, unit: str) -> Computation:
    value = factor ** steps
    trend = ("grows exponentially (exploding gradients)" if factor > 1 else
             "shrinks exponentially (vanishing gradients)" if factor < 1 else "stays the same")
    sentence = (f"Multiplying by {fmt(factor)} at each of {steps} {unit} gives {fmt(factor)}^{steps} ≈ {fmt(value)}: "
                f"a per-{unit.rstrip('s')} factor {'above' if factor > 1 else 'below' if factor < 1 else 'of'} 1 "
                f"{trend} with depth.")
    return Computation("chain-product", {"factor": factor, "layers": steps}, {"product": value}, sentence)


def robust_scale(x: float, median: float, iqr: float) -> Computation:
    scaled = (x - median) / iqr
    sentence = (f"Robust scaling x = {fmt(x)} with median {fmt(median)} and IQR {fmt(iqr)} gives "
                f"(x − median) / IQR = ({fmt(x)} − {fmt(median)}) / {fmt(iqr)} = {fmt(scaled)}.")
    return Computation("robust-scale", {"x": x, "median": median, "iqr": iqr}, {"scaled": scaled}, sentence)


def range_scale(x: float, lo: float, hi: float, a: float, b: float) -> Computation:
    scaled = a + (x - lo) * (b - a) / (hi - lo)
    sentence = (f"Scaling x = {fmt(x)} from [{fmt(lo)}, {fmt(hi)}] to [{fmt(a)}, {fmt(b)}] gives "
                f"a + (x − min)(b − a) / (max − min) = {fmt(a)} + ({fmt(x)} − {fmt(lo)}) × {fmt(b - a)} / "
                f"{fmt(hi - lo)} = {fmt(scaled)}.")
    return Computation("min-max", {"x": x, "min": lo, "max": hi, "a": a, "b": b}, {"scaled": scaled}, sentence)


def grayscale(r: float, g: float, b: float) -> Computation:
    y = 0.299 * r + 0.587 * g + 0.114 * b
    sentence = (f"The grayscale (luma) value of RGB ({fmt(r)}, {fmt(g)}, {fmt(b)}) is Y = 0.299·R + 0.587·G + 0.114·B "
                f"= {fmt(0.299 * r)} + {fmt(0.587 * g)} + {fmt(0.114 * b)} ≈ {fmt(y, 4)} (green counts most, blue least).")
    return Computation("grayscale", {"r": r, "g": g, "b": b}, {"gray": y}, sentence)


def grid_size(values: list[int], folds: int | None = None) -> Computation:
    total = math.prod(values)
    shown = " × ".join(str(v) for v in values)
    sentence = (f"A full grid over {len(values)} hyperparameters with {shown} values has {shown} = {total:,} "
                f"configurations to train")
    result: dict[str, float] = {"configurations": total}
    if folds:
        result["fits"] = total * folds
        sentence += f", and with {folds}-fold cross-validation {total:,} × {folds} = {total * folds:,} model fits"
    sentence += ("; the count grows exponentially with the number of hyperparameters, while random search with a "
                 "fixed budget (say 60 trials) does not.")
    inputs = {f"values_{i + 1}": v for i, v in enumerate(values)} | ({"folds": folds} if folds else {})
    return Computation("grid-size", inputs, result, sentence)


def bert_masking(tokens: int, rate: float) -> Computation:
    chosen = tokens * rate
    sentence = (f"Masking {fmt(rate * 100)}% of {tokens} tokens selects {fmt(chosen)} positions for prediction; with "
                f"BERT's 80/10/10 rule about {fmt(0.8 * chosen)} become [MASK], {fmt(0.1 * chosen)} a random token and "
                f"{fmt(0.1 * chosen)} stay unchanged.")
    return Computation("bert-masking", {"tokens": tokens, "rate": rate},
                       {"selected": chosen, "mask": 0.8 * chosen, "random": 0.1 * chosen, "unchanged": 0.1 * chosen},
                       sentence)


def conv_output(size: int, kernel: int, stride: int, padding: int) -> Computation:
    out = (size - kernel + 2 * padding) // stride + 1
    sentence = (f"A {kernel}×{kernel} convolution with stride {stride} and padding {padding} on a {size}-pixel-wide input "
                f"gives ⌊(W − K + 2P) / S⌋ + 1 = ⌊({size} − {kernel} + {2 * padding}) / {stride}⌋ + 1 = {out} pixels.")
    return Computation("conv-output", {"size": size, "kernel": kernel, "stride": stride, "padding": padding},
                       {"output": out}, sentence)


def fmt_matrix(rows: list[list[float]]) -> str:
    return "[" + ", ".join(fmt_list(r) for r in rows) + "]"


def _term(w: float, v: float) -> str:
    return f"{'(' + fmt(w) + ')' if w < 0 else fmt(w)}·{'(' + fmt(v) + ')' if v < 0 else fmt(v)}"


def filter_at_centre(patch: list[list[float]], kernel: list[list[float]], divisor: float, label: str,
                     box: bool = False) -> Computation:
    """A k×k filter's output at the centre of an n×n patch, as cross-correlation (the kernel laid on
    the patch unflipped, as deep-learning libraries and OpenCV's filter2D compute)."""
    n, k = len(patch), len(kernel)
    c, r = n // 2, k // 2
    window = [row[c - r:c + r + 1] for row in patch[c - r:c + r + 1]]
    pairs = [(kernel[i][j], window[i][j]) for i in range(k) for j in range(k)]
    total = sum(w * v for w, v in pairs)
    value = total / divisor
    flipped = sum(kernel[k - 1 - i][k - 1 - j] * window[i][j] for i in range(k) for j in range(k)) / divisor
    where = (f"At the centre of the {n}×{n} patch {fmt_matrix(patch)}"
             + (f" (its central {k}×{k} window {fmt_matrix(window)})" if k < n else ""))
    if box:
        sentence = (f"{where}, the {label} outputs the mean of the {k * k} values: {fmt(total)} / {k * k} = {fmt(value)}.")
        return Computation("filter", {"size": n, "kernel_size": k}, {"output": value, "sum": total}, sentence)
    terms = [(w, v) for w, v in pairs if w != 0]
    shown = " + ".join(_term(w, v) for w, v in terms) if 0 < len(terms) <= 9 else "Σ kernel × patch"
    if divisor != 1:
        products = f"(Σ kernel × patch) / {fmt(divisor)} = ({shown}) / {fmt(divisor)} = {fmt(total)} / {fmt(divisor)} = {fmt(value)}"
    else:
        products = f"Σ kernel × patch = {shown} = {fmt(value)}" if shown != "Σ kernel × patch" else \
            f"Σ kernel × patch = {fmt(value)}"
    convention = ("cross-correlation, the kernel laid on the patch unflipped, as deep-learning libraries (PyTorch's "
                  "Conv2d) and OpenCV's filter2D compute")
    if math.isclose(flipped, value, rel_tol=1e-12, abs_tol=1e-12):
        convention += "; the kernel is symmetric under a 180° turn, so a flipped (textbook) convolution gives the same"
    else:
        convention += f"; a textbook convolution flips the kernel first and gives {fmt(flipped)} here"
    sentence = f"{where}, the {label} gives {products} ({convention})."
    return Computation("filter", {"size": n, "kernel_size": k}, {"output": value, "convolution": flipped}, sentence,
                       stated_as=(f"= {fmt(value)}",))


def fmt_vec(values: list[float]) -> str:
    return "(" + ", ".join(fmt(v) for v in values) + ")"


def _norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


def vector_arithmetic(terms: list[tuple[str, str, list[float]]], target: tuple[str, list[float]] | None) -> Computation:
    """``a − b + c`` over named vectors, and the cosine similarity of the result to a named vector.
    ``terms``: (sign, name, vector), the first sign "+"."""
    dims = len(terms[0][2])
    result = [sum((-1 if sign == "-" else 1) * vec[i] for sign, _, vec in terms) for i in range(dims)]
    expr = " ".join(("" if k == 0 else ("− " if sign == "-" else "+ ")) + name for k, (sign, name, _) in enumerate(terms))
    values = " ".join(("" if k == 0 else ("− " if sign == "-" else "+ ")) + fmt_vec(vec)
                      for k, (sign, _, vec) in enumerate(terms))
    sentence = f"{expr} = {values} = {fmt_vec(result)}"
    out: dict[str, float] = _indexed("result", result)
    inputs: dict[str, float] = {}
    for _, name, vec in terms:
        inputs |= _indexed(name, vec)
    if target is not None:
        name, vec = target
        inputs |= _indexed(name, vec)
        dot = sum(a * b for a, b in zip(result, vec))
        n1, n2 = _norm(result), _norm(vec)
        products = (" + ".join(f"{_term(a, b)}" for a, b in zip(result, vec)) if dims <= 4 else "Σ aᵢbᵢ")
        out |= {"dot": dot, "norm_result": n1, "norm_target": n2}
        if n1 == 0 or n2 == 0:
            sentence += (f"; its cosine similarity to {name} = {fmt_vec(vec)} is undefined, because a zero vector has "
                         f"no direction")
        else:
            cos = dot / (n1 * n2)
            out["cosine"] = cos
            sentence += (f"; its cosine similarity to {name} = {fmt_vec(vec)} is a·b / (‖a‖ ‖b‖) = ({products}) / "
                         f"(‖{fmt_vec(result)}‖ × ‖{fmt_vec(vec)}‖) = {fmt(dot)} / ({fmt(n1)} × {fmt(n2)}) ≈ {fmt(cos)}"
                         + (" (1 would be exactly the same direction)" if cos < 0.9995 else
                            " — the same direction, whatever the lengths"))
    return Computation("vector-analogy", inputs, out, sentence + ".")


def cosine_between(a: tuple[str, list[float]], b: tuple[str, list[float]]) -> Computation:
    (na, va), (nb, vb) = a, b
    dot = sum(x * y for x, y in zip(va, vb))
    n1, n2 = _norm(va), _norm(vb)
    cos = dot / (n1 * n2)
    products = " + ".join(_term(x, y) for x, y in zip(va, vb)) if len(va) <= 4 else "Σ aᵢbᵢ"
    sentence = (f"The cosine similarity of {na} = {fmt_vec(va)} and {nb} = {fmt_vec(vb)} is a·b / (‖a‖ ‖b‖) = "
                f"({products}) / ({fmt(n1)} × {fmt(n2)}) = {fmt(dot)} / {fmt(n1 * n2)} ≈ {fmt(cos)}.")
    return Computation("vector-analogy", _indexed(na, va) | _indexed(nb, vb),
                       {"dot": dot, "norm_a": n1, "norm_b": n2, "cosine": cos}, sentence)


def fmt_list(values: list[float]) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def _indexed(name: str, values: list[float]) -> dict[str, float]:
    return {f"{name}_{i + 1}": v for i, v in enumerate(values)}


def relu_list(xs: list[float], slope: float | None = None) -> Computation:
    """ReLU (or Leaky ReLU with ``slope``) of every value, and the derivative at each (PyTorch's
    convention at exactly 0: the left-hand slope)."""
    leak = slope or 0.0
    ys = [x if x > 0 else leak * x + 0.0 for x in xs]  # + 0.0: 0 · (−2) is −0.0, which no student writes
    ds = [1.0 if x > 0 else leak for x in xs]
    name = f"Leaky ReLU (slope {fmt(leak)})" if slope else "ReLU"
    short = "LeakyReLU" if slope else "ReLU"
    rule = (f"negative inputs are multiplied by {fmt(leak)}" if slope else
            "negative inputs become 0") + " and positive ones pass unchanged"
    # a few values read best one by one ("ReLU(−2) = 0"), a longer list as vectors
    each = (" (" + ", ".join(f"{short}({fmt(x)}) = {fmt(y)}" for x, y in zip(xs, ys)) + ")"
            if len(xs) <= MAX_POINTWISE else "")
    sentence = (f"{name} works element by element: {short}({fmt_list(xs)}) = "
                f"{fmt_list(ys)}{each}, because {rule}; the derivative at each point is {fmt_list(ds)} "
                f"({'1 for x > 0, ' + fmt(leak) + ' otherwise' if slope else '1 for x > 0, 0 for x < 0, and 0 at exactly x = 0 by PyTorch’s convention'}).")
    return Computation("leaky-relu" if slope else "relu", _indexed("x", xs) | ({"slope": leak} if slope else {}),
                       _indexed("y", ys) | _indexed("derivative", ds), sentence,
                       stated_as=(fmt_list(ys), fmt_list(ds)))


def sigmoid_list(xs: list[float]) -> Computation:
    ss = [sigmoid(x) for x in xs]
    ds = [s * (1 - s) for s in ss]
    sentence = (f"Element by element, σ({fmt_list(xs)}) ≈ {fmt_list(ss)}, and the derivative σ'(x) = σ(x)(1 − σ(x)) "
                f"is ≈ {fmt_list(ds)} (at most 0.25, at x = 0).")
    return Computation("sigmoid", _indexed("x", xs), _indexed("sigmoid", ss) | _indexed("derivative", ds), sentence,
                       stated_as=(fmt_list(ss), fmt_list(ds)))


def batch_norm_list(xs: list[float], gamma: float | None = None, beta: float | None = None,
                    eps: float = BN_EPS) -> Computation:
    """Batch normalization of one feature over a batch ``xs`` in training mode (biased variance, as
    batch norm uses), then the learned scale and shift when given."""
    m = len(xs)
    mean = sum(xs) / m
    var = sum((x - mean) ** 2 for x in xs) / m
    xhat = [(x - mean) / math.sqrt(var + eps) for x in xs]
    sentence = (f"Batch normalization of {fmt_list(xs)} (one feature over a batch of {m}): the batch mean is "
                f"μ = {fmt(mean)}, the variance σ² = (1/m) Σ (x − μ)² = {fmt(var)}, and x̂ = (x − μ) / √(σ² + ε) ≈ "
                f"{fmt_list(xhat)} (ε = {'1e-5, PyTorch’s default' if eps == BN_EPS else fmt(eps)})")
    result = {"mean": mean, "variance": var} | _indexed("x_hat", xhat)
    stated = [fmt_list(xhat)]
    if gamma is not None or beta is not None:
        g = 1.0 if gamma is None else gamma
        b = 0.0 if beta is None else beta
        ys = [g * v + b for v in xhat]
        sentence += f"; with γ = {fmt(g)} and β = {fmt(b)}, y = γ·x̂ + β ≈ {fmt_list(ys)}"
        result |= _indexed("y", ys)
        stated = [fmt_list(ys)]
    if var == 0:
        sentence += " — every value is the same, so x̂ is 0 and only ε keeps the division defined"
    inputs = _indexed("x", xs) | ({"gamma": gamma} if gamma is not None else {}) | \
        ({"beta": beta} if beta is not None else {})
    return Computation("batch-norm", inputs, result, sentence + ".", stated_as=tuple(stated))


def running_update(running: float, batch: float, momentum: float) -> Computation:
    """One PyTorch update of a batch-norm running statistic: (1 − momentum)·running + momentum·batch."""
    new = (1 - momentum) * running + momentum * batch
    sentence = (f"With momentum {fmt(momentum)} (PyTorch's convention, the weight on the new batch), the running statistic "
                f"becomes (1 − {fmt(momentum)}) × {fmt(running)} + {fmt(momentum)} × {fmt(batch)} = {fmt(new)}: an "
                f"exponential moving average, which evaluation mode (model.eval()) uses instead of batch statistics.")
    return Computation("bn-running-update", {"running": running, "batch": batch, "momentum": momentum},
                       {"new_running": new}, sentence)


def init_std(fan_in: int, fan_out: int | None, scheme: str) -> Computation:
    """The weight standard deviation of He (Kaiming) or Xavier (Glorot) normal initialization."""
    if scheme == "he":
        std = math.sqrt(2 / fan_in)
        sentence = (f"He (Kaiming) normal initialization for fan_in = {fan_in} uses std = √(2 / fan_in) = √(2 / {fan_in}) ≈ "
                    f"{fmt(std)} (variance {fmt(2 / fan_in)}); the factor 2 makes up for ReLU zeroing about half of its "
                    f"inputs, so the signal's variance stays the same from layer to layer.")
        return Computation("init-std", {"fan_in": fan_in}, {"std": std, "variance": 2 / fan_in}, sentence)
    out = fan_out or fan_in
    std = math.sqrt(2 / (fan_in + out))
    sentence = (f"Xavier (Glorot) normal initialization for fan_in = {fan_in} and fan_out = {out} uses std = "
                f"√(2 / (fan_in + fan_out)) = √(2 / {fan_in + out}) ≈ {fmt(std)}, suited to tanh and sigmoid layers.")
    return Computation("init-std", {"fan_in": fan_in, "fan_out": out}, {"std": std, "variance": 2 / (fan_in + out)},
                       sentence)


def batch_norm_output(xhat: float, gamma: float, beta: float) -> Computation:
    y = gamma * xhat + beta
    sentence = (f"A batch-norm layer outputs y = γ·x̂ + β: with x̂ = {fmt(xhat)}, γ = {fmt(gamma)} and β = {fmt(beta)}, "
                f"y = {fmt(gamma)} × {fmt(xhat)} + {fmt(beta)} = {fmt(gamma * xhat)} + {fmt(beta)} = {fmt(y)}.")
    return Computation("batch-norm", {"x_hat": xhat, "gamma": gamma, "beta": beta}, {"y": y}, sentence)


# -- reading the question -----------------------------------------------------------------------

def _find(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text, _FLAGS)


def _value_after(words: str, text: str) -> tuple[float | None, str] | None:
    """The number after one of ``words`` ("gamma = 2", "γ 2", "std of 10"), raw text kept."""
    m = _find(rf"(?:{words})\s*(?:of|=|:|is|was|at|equals?|≈|\()?\s*(?:about\s+)?({NUM})", text)
    if not m:
        return None
    return _num(m.group(1)), m.group(1)


def _value_match(words: str, text: str) -> re.Match[str] | None:
    """Like :func:`_value_after`, the match itself (its number is group 1, with its span)."""
    return _find(rf"(?:{words})\s*(?:of|=|:|is|was|at|equals?|≈|\()?\s*(?:about\s+)?({NUM})", text)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class _Group1:
    """A bare number match presented like a one-group match."""

    def __init__(self, match: re.Match[str]) -> None:
        self._match = match

    def group(self, i: int = 0) -> str:
        return self._match.group(0)


_COUNT_WORDS = {
    "tp": r"tps?|true[- ]positives?", "fp": r"fps?|false[- ]positives?|false alarms?",
    "fn": r"fns?|false[- ]negatives?|misse[sd]|missed positives", "tn": r"tns?|true[- ]negatives?",
}
_COUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?!\d|\.\d)"
_MATRIX = re.compile(r"\[\s*\[\s*(\d+)\s*[, ]\s*(\d+)\s*\]\s*,?\s*\[\s*(\d+)\s*[, ]\s*(\d+)\s*\]\s*\]"
                     r"|\[\s*(\d+)\s*[, ]\s*(\d+)\s*;\s*(\d+)\s*[, ]\s*(\d+)\s*\]")


def _counts(text: str) -> dict[str, int]:
    """TP/FP/FN/TN counts named in the question. A count is written either before its name ("40
    true positives, 10 false positives") or after it ("tp 40 fp 10", "TP = 40"): "=" or ":" settles
    it, and otherwise the reading that names more of the four counts is the one the student used
    ("tp 80 fp 20" read number-first would make 80 the FP)."""
    explicit: dict[str, int] = {}
    after: dict[str, int] = {}
    before: dict[str, int] = {}
    for key, words in _COUNT_WORDS.items():
        for m in re.finditer(rf"\b(?:{words})\s*(=|:|of|is|was|were)?\s*{_COUNT}", text, _FLAGS):
            (explicit if m.group(1) else after).setdefault(key, int(m.group(2).replace(",", "")))
        m = _find(rf"(?<![\d.,]){_COUNT}\s*(?:{words})\b", text)
        if m:
            before.setdefault(key, int(m.group(1).replace(",", "")))
    implicit = after if len(after) >= len(before) else before
    out = implicit | explicit
    return {k: v for k, v in out.items() if v <= MAX_COUNT}


_MORE = re.compile(rf"(?:\s*,\s*|\s+)(?:(?:and|or|then|&)\s+)*(?:(?:when|if)\s+(?:it|the factor)\s*(?:is|'s|=)\s*|"
                   rf"(?:at|for)\s+)?(?:(?:x|z|p_?t|input|factor)\s*(?:=|is|of)?\s*)?({NUM})(?!\d|\.\d|\s*(?:layers?|epochs?|%))",
                   _FLAGS)


def _more_values(text: str, end: int, limit: int = MAX_LIST) -> list[str]:
    """The values listed right after a first one: "at x = 0 and at x = 3", "1.5, and when it is 0.5"."""
    out: list[str] = []
    while len(out) < limit:
        m = _MORE.match(text, end)
        if not m:
            break
        out.append(m.group(1))
        end = m.end()
    return out


_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "mn": 1e6}


def _amount(number: str, scale: str | None) -> float | None:
    value = _num(number)
    return None if value is None else value * _SCALE.get((scale or "").lower(), 1.0)


def _units(text: str, start: int) -> float | None:
    """How many units of a coefficient's feature a question changes it by: "over 10 years", "5
    more units", or an amount against the feature's own unit ("per $10k … rises by $20k" is 2)."""
    rest = text[start:]
    amount = _find(rf"(?:rises?|increases?|goes up|grows?|changes?|moves?|drops?|falls?|decreases?)\s+by\s+\$?\s*({NUM})"
                   rf"\s*(k|thousand|m|million|mn)?\b", text)
    per = _find(rf"\bper\s+\$?\s*({NUM})\s*(k|thousand|m|million|mn)?\b", text)
    if amount and per:
        unit, size = _amount(*per.groups()), _amount(*amount.groups())
        if unit and size is not None:
            return size / unit
    k = _find(rf"(?:over|for|across|after|with|by|of)\s+(?:an?\s+)?(?:increase\s+of\s+|change\s+of\s+)?"
              rf"({NUM})\s+(?:more\s+|extra\s+|additional\s+)?(?:years?|units?|points?|months?|days?|"
              rf"kg|cm|dollars?|steps?|increments?)\b"
              rf"|({NUM})\s+(?:more|extra|additional)\s+\w+"
              rf"|increase[sd]?\s+by\s+({NUM})\b", rest)
    return _num(next(g for g in k.groups() if g)) if k else None


class _Group1Of:
    """A match with alternatives, its first non-empty group presented as group 1."""

    def __init__(self, match: re.Match[str]) -> None:
        self._value = next(g for g in match.groups() if g)
        self._match = match

    def group(self, i: int = 0) -> str:
        return self._value if i == 1 else self._match.group(i)


class _Substituted:
    """A match whose second group (a symbolic exponent like "n") is replaced by a number read
    elsewhere in the question (the depth)."""

    def __init__(self, match: re.Match[str], exponent: str) -> None:
        self._match = match
        self._exponent = exponent

    def group(self, i: int) -> str:
        return self._exponent if i == 2 else self._match.group(i)


_MIN_MAX = r"min[- ]?max"
_MIN_OR_MAX_VALUE = r"\b(?:min|max)(?:imum)?\s*(?:of|=|:|is)?\s*[-−–]?\.?\d"
_SCALED_VALUE = re.compile(
    rf"(?:\b(?:value|input|reading)|\bx)\s*(?:of|=|:|is)?\s*({NUM})(?!\s*%)"
    rf"|(?:scal\w*|transform\w*|normali[sz]\w*)\s+(?:of\s+|a value of\s+|x\s*=\s*|the value\s+)?({NUM})(?!\s*%)"
    rf"|what(?:'s|’s|\s+is|\s+does|\s+do)\s+(?:a value of\s+)?({NUM})"
    rf"|({NUM})\s+(?:after|becomes?|maps?|scales?|turns?|gets?|comes?|is\s+(?:scaled|transformed|mapped))\b", _FLAGS)
_INVERSE = re.compile(
    rf"(?:which|what)\s+(?:raw\s+|original\s+|unscaled\s+|input\s+)?(?:value|x|number|input)\s+"
    rf"(?:would\s+|will\s+|does\s+|do\s+|should\s+|could\s+)?(?:maps?|scales?|transforms?|becomes?|gives?|"
    rf"corresponds?|turns? into|ends? up)\s*(?:back\s+)?(?:to|into|as|at)?\s*(?:a\s+(?:scaled\s+)?value\s+of\s+)?({NUM})"
    rf"|inverse[_ ]transform\w*\s*(?:of|on|for|\()?\s*(?:a scaled value of\s*|y\s*=\s*)?({NUM})"
    rf"|(?:scaled|normali[sz]ed|transformed)\s+value\s+(?:of\s+)?({NUM})\s+(?:corresponds?|maps? back|comes? from|"
    rf"in the original|back)"
    rf"|(?:map|scale|convert|transform)\s+({NUM})\s+back", _FLAGS)
_TARGET_RANGE = re.compile(rf"(?:target|feature|output)[_ ]range\s*(?:=|of|is|:)?\s*[\[(]\s*({NUM})\s*,\s*({NUM})\s*[\])]",
                           _FLAGS)


def _first_free(pattern: re.Pattern[str], text: str, used: list[tuple[int, int]]) -> re.Match[str] | None:
    """The first match of ``pattern`` whose number is not one of the ``used`` spans; its number is
    group 1 (of a match with alternatives, the first group that matched)."""
    for m in pattern.finditer(text):
        g = next(i for i in range(1, (m.lastindex or 0) + 1) if m.group(i) is not None)
        if not any(_overlaps(m.span(g), u) for u in used):
            return _Group1Of(m)  # type: ignore[return-value]
    return None


def _span_of(m: object) -> tuple[int, int]:
    match = m._match if isinstance(m, _Group1Of) else m  # type: ignore[attr-defined]
    g = next(i for i in range(1, (match.lastindex or 0) + 1) if match.group(i) is not None)
    return match.span(g)


_MATRIX_ANY = re.compile(r"\[\s*(\[[^\[\]]*\](?:\s*[,;]?\s*\[[^\[\]]*\])+)\s*\]")
_ROW = re.compile(rf"\s*{_LIST_NUM}(?:\s*,\s*{_LIST_NUM}|\s+{_LIST_NUM})*\s*")
MAX_FILTER_SIZE = 5
# kernel, divisor, how a sentence names it
_NAMED_KERNELS: dict[str, tuple[list[list[float]], float, str]] = {
    "box": ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 9, "3×3 box (mean) filter"),
    "gaussian": ([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 16, "3×3 Gaussian kernel [[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16"),
    "laplacian": ([[0, 1, 0], [1, -4, 1], [0, 1, 0]], 1, "Laplacian kernel [[0, 1, 0], [1, −4, 1], [0, 1, 0]]"),
    "sharpen": ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], 1, "sharpening kernel [[0, −1, 0], [−1, 5, −1], [0, −1, 0]]"),
    "sobel-x": ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], 1,
                "Sobel x (horizontal-gradient) kernel [[−1, 0, 1], [−2, 0, 2], [−1, 0, 1]]"),
    "sobel-y": ([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], 1,
                "Sobel y (vertical-gradient) kernel [[−1, −2, −1], [0, 0, 0], [1, 2, 1]]"),
}
_KERNEL_WORDS = (("box", r"\bbox\b|\bmean filter|\baverag\w* (?:filter|kernel)|\bblur (?:filter|kernel)"),
                 ("gaussian", r"gaussian"), ("laplacian", r"laplac\w*"), ("sharpen", r"sharpen\w*"),
                 ("sobel", r"sobel"))


def _matrices(text: str) -> list[tuple[re.Match[str], list[list[float]]]]:
    """Square nested lists of numbers ([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) in the question."""
    out = []
    for m in _MATRIX_ANY.finditer(text):
        rows_raw = re.findall(r"\[([^\[\]]*)\]", m.group(1))
        if not all(_ROW.fullmatch(r) for r in rows_raw):
            continue
        rows = [[_num(v) for v in re.findall(_LIST_NUM, r)] for r in rows_raw]
        if any(v is None for row in rows for v in row) or any(len(row) != len(rows) for row in rows):
            continue
        out.append((m, rows))  # type: ignore[arg-type]
    return out


MAX_VECTORS = 6
_VECTOR = re.compile(rf"(?<![\w.])([A-Za-z][\w']{{0,30}})\s*=\s*[\(\[]\s*({_LIST_NUM}(?:\s*,\s*{_LIST_NUM}){{1,9}})\s*[\)\]]")


class _Reader:
    def __init__(self, question: str, topic: str | None) -> None:
        self.text = question
        self.low = question.lower()
        self.topic = topic
        self.found: list[Computation] = []
        self.ignored: list[str] = []
        self.matrix_is_a_patch = False

    def has(self, pattern: str) -> bool:
        return _find(pattern, self.text) is not None

    def add(self, comp: Computation) -> None:
        if len(self.found) < MAX_COMPUTATIONS and all(c.sentence != comp.sentence for c in self.found):
            self.found.append(comp)

    def ignore(self, raw: str, why: str) -> None:
        self.ignored.append(f"{raw.strip()} ({why})")

    # each reader looks for one kind of computation
    def logistic(self) -> None:
        if self.model():
            return
        coefficient = r"\b(?:coefficients?|coefs?|betas?|β\d?|weights?)"
        m = (_find(rf"{coefficient}\s*(?:of|=|:|is|was|equals?)?\s*({NUM})(?!\s*%)", self.text)
             # "the coefficient on 'current smoker' (0/1) is 0.7", "coefficient for smoking is 1.1"
             or _find(rf"{coefficient}\s+(?:for|on|of)\s+[^.?!;=]{{1,50}}?\s(?:is|was|=|of|equals?|:)\s*({NUM})(?!\s*%)",
                      self.text)
             or _find(rf"({NUM})\s*(?:coefficient|coef)\b", self.text))
        if m is None and self.has(r"odds|logistic|log[- ]?reg|logreg") and not self.has(r"\bbias"):
            m = _find(rf"\b[bw]_?\d?\s*=\s*({NUM})", self.text)  # "odds ratio for b=0.69"
        if m and (self.has(r"logistic|odds|coef|log[- ]?reg|logreg|interpret") or self.topic == "logistic-regression"):
            beta = _num(m.group(1))
            if beta is None or abs(beta) > MAX_COEFFICIENT:
                self.ignore(m.group(1), f"a coefficient beyond ±{MAX_COEFFICIENT:g} is not on a sensible scale")
            else:
                units = _units(self.text, m.end())
                if units is not None and units != 1 and 0 < abs(units * beta) <= MAX_COEFFICIENT:
                    self.add(odds_ratio_over(beta, units))
                else:
                    self.add(odds_ratio(beta))
        m = (_find(rf"odds[- ]ratio\s*(?:of|=|:|is|was)?\s*({NUM})", self.text)
             or _find(rf"odds[- ]ratio\s+(?:for|of|on)\s+[^.?!;=]{{1,40}}?\s(?:is|was|=|of|:)\s*({NUM})", self.text))
        if m and not self.found:
            ratio = _num(m.group(1))
            if ratio is None or ratio <= 0 or ratio > math.exp(MAX_COEFFICIENT):
                self.ignore(m.group(1), "an odds ratio must be a positive number")
            else:
                self.add(coefficient_from_odds_ratio(ratio))
        m = _find(rf"\bintercept\b[^.!;]{{0,50}}?(?:of|=|:|is|was|equals?)\s*({NUM})", self.text)
        if m:
            b0 = _num(m.group(1))
            if b0 is None or abs(b0) > MAX_COEFFICIENT * 10:
                self.ignore(m.group(1), "an intercept that large rounds to a probability of exactly 0 or 1")
            else:
                self.add(intercept_probability(b0))
            return
        m = _find(rf"(?:log[- ]?odds|logits?)\s*(?:of|=|:|is|are|was|equals?)?\s*({NUM})", self.text)
        if m is None and self.has(r"probabilit|\bprob\b|predict_proba|\bwhat is p\b|chance") \
                and not self.has(r"sigmoid|σ|tanh"):
            # the linear part of a logistic regression, by any of its names
            m = _find(rf"(?:\bz|decision[_ ]function(?:\s+(?:value|output|score))?|linear (?:part|predictor|score|"
                      rf"combination|term|output)|w\s*[·.*]?\s*x\s*\+\s*b|wx\s*\+\s*b|raw (?:score|output))\s*"
                      rf"(?:of|=|:|is|was|equals?|gives)?\s*({NUM})(?!\s*%)", self.text)
            if m and not self.has(r"logistic|log[- ]?reg|logreg|odds|logit|decision[_ ]function|linear") \
                    and self.topic != "logistic-regression":
                m = None
        if m:
            z = _num(m.group(1))
            if z is None or abs(z) > MAX_COEFFICIENT * 10:
                self.ignore(m.group(1), "log-odds that large round to a probability of exactly 0 or 1")
            else:
                self.add(probability_from_log_odds(z))

    def model(self) -> bool:
        """A fitted one-feature model, "logit(p) = −3 + 0.8x": p at the x values asked, and the x
        where p = 0.5."""
        m = _find(rf"(?:logit\s*\(\s*p\s*\)|log[- ]?odds|\bz|\blog\s*\(\s*p\s*/\s*\(\s*1\s*[-−]\s*p\s*\)\s*\))\s*=\s*"
                  rf"({NUM})\s*([+−–-])\s*({NUM})\s*[*·]?\s*x\b", self.text)
        if not m:
            return False
        a, b = _num(m.group(1)), _num(m.group(3))
        if a is None or b is None:
            return False
        b = -b if m.group(2) in "−–-" else b
        if max(abs(a), abs(b)) > MAX_COEFFICIENT * 10:
            self.ignore(m.group(0), "coefficients that large round every probability to 0 or 1")
            return True
        xs = [_num(v) for v in re.findall(rf"\bx\s*=\s*({NUM})", self.text[m.end():], _FLAGS)]
        self.add(logistic_model(a, b, [x for x in xs if x is not None and abs(a + b * x) <= 700][:MAX_LIST]))
        return True

    def activations(self) -> None:
        if any(c.tool in {"sigmoid", "relu", "leaky-relu"} for c in self.found):  # a list already done
            return
        value = rf"({NUM})(?!\d|\.\d|\s*-?(?:layers?|epochs?|steps?|units?|neurons?|times|%)\b)"
        done = {c.inputs.get("log_odds") for c in self.found if c.tool == "log-odds-to-probability"}
        for name, fn in (("sigmoid|logistic function|σ", sigmoid_at), ("tanh", tanh_at), ("gelu", gelu_at),
                         (r"silu|swish", silu_at)):
            if fn is sigmoid_at and self.has(r"silu|swish|gelu") and not self.has(r"sigmoid|logistic function"):
                continue  # the σ in "SiLU(x) = x·σ(x)" is part of the SiLU
            unit = rf"(?:{name})(?:'|’|\s+derivative|\s+gradient|\s+slope)?(?:\s+(?:function|unit|activation|neuron))?"
            m = (_find(rf"{unit}\s*(?:of|at|for|\(|=)\s*(?:(?:x|z|input)\s*(?:=|is|of)?\s*)?{value}", self.text)
                 or _find(rf"{unit}(?:'|’)?(?:\s*\(\s*[xz]\s*\))?\s*(?:,\s*)?(?:when|where|if|at|for)\s+(?:its\s+|the\s+)?"
                          rf"(?:x|z|input|pre-?activation)\s*(?:=|is|equals|of)\s*{value}", self.text)
                 or _find(rf"(?:derivative|gradient|slope) of (?:the |a )?{unit}\s*(?:at|for|when)\s*"
                          rf"(?:(?:x|z|input)\s*(?:=|is|of)?\s*)?{value}", self.text))
            if m is None and self.has(rf"\b(?:{name})") and not _LIST.search(self.text):
                # "what does the sigmoid output for an input of 10", "x = 2, sigmoid?"
                m = _find(rf"(?:\b[xz]|\binputs?|pre-?activations?)\s*(?:=|is|of|equals)\s*{value}", self.text)
            if m:
                raws = [m.group(1)] + _more_values(self.text, m.end(1))
                xs = []
                for raw in raws:
                    x = _num(raw)
                    if x is None or abs(x) > 1e4:
                        self.ignore(raw, "too large an input to say anything beyond 'fully saturated'")
                    elif not (fn is sigmoid_at and x in done):
                        xs.append(x)
                if len(xs) > 1 and fn is sigmoid_at:
                    self.add(sigmoid_list(xs))  # "at x = 0 and at x = 3": one sentence, element by element
                else:
                    for x in xs:
                        self.add(fn(x))

    def lists(self) -> None:
        """A list of numbers to push through ReLU, the sigmoid or batch normalization: bracketed
        ("relu of [-1, 2]"), written out ("the values are 2, 4, 6 and 8"), or as points ReLU is asked
        at ("relu(-3) and relu(2.5)", "at x = −2, 0.5 and 3")."""
        bn = self.has(r"batch[- ]?norm|\bbn\b|normali[sz]\w* (?:this|the|a|my) (?:mini-?)?batch")
        leaky = self.has(r"leaky")
        relu = self.has(r"relu|rectifier|rectified linear")
        sig = self.has(r"sigmoid|σ|logistic function")
        if not (bn or leaky or relu or sig):
            return
        m = _LIST.search(self.text)
        if m:
            raw = re.findall(_LIST_NUM, m.group(1))
        else:
            raw = []
            if relu or leaky:
                calls = re.findall(rf"relu\s*\(\s*({_LIST_NUM})\s*\)", self.text, _FLAGS)
                at = _find(rf"\bat\s+(?:x\s*=\s*)?({_LIST_NUM})(?!\d|\.\d|\s*%)", self.text)
                raw = calls if len(calls) >= 2 else ([at.group(1)] + _more_values(self.text, at.end(1)) if at else [])
            if not raw and (bn or relu or leaky):
                seq = _find(rf"(?<![\w.])({_LIST_NUM}(?:\s*,\s*{_LIST_NUM}){{1,}}(?:,?\s+and\s+{_LIST_NUM}))(?!\w|\.\d)",
                            self.text)
                # only values named as such ("its values are 2, 4, 6 and 8"), not "batch sizes 32, 64 and 128"
                lead = self.text[max(0, seq.start() - 40):seq.start()] if seq else ""
                named = re.search(r"\b(?:values?|activations?|inputs?|outputs?|numbers|entries|pre-?activations?|x|relu|"
                                  r"rectifier|sigmoid)\b"
                                  r"[^.\d]{0,25}$", lead, _FLAGS)
                raw = re.findall(_LIST_NUM, seq.group(1)) if seq and named else []
            if len(raw) < 2:
                return
        values: list[float] = []
        for r in raw:
            v = _num(r)
            if v is None or abs(v) > MAX_ABS_VALUE:
                self.ignore(r, "not a usable number")
            else:
                values.append(v)
        if len(values) > MAX_LIST:
            self.ignore(f"the {len(values) - MAX_LIST} values after the first {MAX_LIST}",
                        f"I compute at most {MAX_LIST} values element by element")
            values = values[:MAX_LIST]
        if not values:
            return
        if bn:
            g = _value_after(r"gamma|γ", self.text)
            b = _value_after(r"beta|β", self.text)
            gamma = g[0] if g and g[0] is not None and abs(g[0]) <= MAX_ABS_VALUE else None
            beta = b[0] if b and b[0] is not None and abs(b[0]) <= MAX_ABS_VALUE else None
            self.add(batch_norm_list(values, gamma, beta))
        elif leaky:
            a = _value_after(r"negative[_ ]slope|slope|alpha|α", self.text)
            slope = a[0] if a and a[0] is not None else 0.01
            if not 0 < slope < 1:
                self.ignore(a[1] if a else "", "a Leaky ReLU slope must be between 0 and 1; I used 0.01")
                slope = 0.01
            self.add(relu_list(values, slope))
        elif relu:
            self.add(relu_list(values))
        else:
            self.add(sigmoid_list(values))

    def running(self) -> None:
        """A batch-norm running-statistic update: momentum, the running value and the batch value."""
        mom = _value_after(r"momentum", self.text)
        run = _value_after(r"running[ _](?:mean|var(?:iance)?|average|stat\w*)", self.text)
        batch = _value_after(r"(?:current |new |this )?batch(?:'s)?[ _](?:mean|var(?:iance)?)", self.text)
        if not (mom and run and batch) or None in (mom[0], run[0], batch[0]):
            return
        if not 0 < mom[0] < 1:
            self.ignore(mom[1], "a momentum must be between 0 and 1")
        elif self.has(r"keras|tensorflow|tf\.keras"):
            self.add(running_update(run[0], batch[0], 1 - mom[0]))  # Keras writes the weight on the old value
        else:
            self.add(running_update(run[0], batch[0], mom[0]))

    def init(self) -> None:
        """He or Xavier initialization for a layer's fan-in (and fan-out)."""
        he = self.has(r"\bhe\b|kaiming")
        xavier = self.has(r"xavier|glorot")
        if not (he or xavier) or not self.has(r"init|std|standard deviation|variance|weights"):
            return
        fan_in = (_value_after(r"fan[_ -]?in", self.text)
                  or (lambda m: (_num(m.group(1)), m.group(1)) if m else None)(
                      _find(r"\b(\d{1,6})\s+(?:inputs?|input (?:units|features|neurons)|incoming)", self.text))
                  or (lambda m: (_num(m.group(1)), m.group(1)) if m else None)(
                      _find(r"\b(\d{1,6})\s*(?:→|->|to)\s*\d{1,6}\s+layer", self.text)))
        if not fan_in or fan_in[0] is None:
            return
        if not fan_in[0].is_integer() or not 1 <= fan_in[0] <= 10**7:
            self.ignore(fan_in[1], "a fan-in is a whole number of inputs")
            return
        fan_out = _value_after(r"fan[_ -]?out", self.text) or \
            (lambda m: (_num(m.group(1)), m.group(1)) if m else None)(
                _find(r"\b\d{1,6}\s*(?:→|->|to)\s*(\d{1,6})\s+layer", self.text))
        out = int(fan_out[0]) if fan_out and fan_out[0] and fan_out[0].is_integer() else None
        if he:
            self.add(init_std(int(fan_in[0]), None, "he"))
        if xavier:
            self.add(init_std(int(fan_in[0]), out, "xavier"))

    def batch_norm(self) -> None:
        """y = γ·x̂ + β for one normalized value, when γ and β are given."""
        if any(c.tool == "batch-norm" for c in self.found) or not self.has(r"batch[- ]?norm|\bbn\b|normali[sz]"):
            return
        x = _value_after(r"normali[sz]ed (?:value|input|activation|x)|x̂|x_hat|xhat|x hat", self.text)
        g = _value_after(r"gamma|γ", self.text)
        b = _value_after(r"beta|β", self.text)
        if x and g and b and None not in (x[0], g[0], b[0]):
            if max(abs(x[0]), abs(g[0]), abs(b[0])) > MAX_ABS_VALUE:
                self.ignore(x[1], "not a usable number")
            else:
                self.add(batch_norm_output(x[0], g[0], b[0]))

    def chain(self) -> None:
        num = r"(-?\d+(?:\.\d+)?|-?\.\d+)"
        depth = _find(r"\b(\d[\d,]*)\s*[- ]?(?:(?:sigmoid|hidden|dense|fully[- ]connected)[- ])?(?:layers?|layered|deep)\b"
                      r"|\b(\d[\d,]*)\s+(?:sigmoid|logistic)\s+(?:activations?|units|functions|nonlinearities)\b", self.text)
        if depth:
            depth = _Group1Of(depth)
        m = (_find(rf"\(?{num}\)?\s*(?:\^|\*\*)\s*\(?{num}\)?(?![\d.])", self.text)
             or _find(rf"\(?{num}\)?\s+(?:raised\s+)?to\s+the\s+(?:power\s+(?:of\s+)?)?{num}(?:st|nd|rd|th)?\b", self.text)
             or _find(rf"\(?{num}\)?\s+raised\s+to\s+{num}\b", self.text))
        if m is None and depth:  # "0.25^n for a 10-layer chain"
            m = _find(rf"\(?{num}\)?\s*(?:\^|\*\*|to the power(?: of)?)\s*\(?(n|l|d|depth|layers)\b", self.text)
            if m:
                m = _Substituted(m, depth.group(1).replace(",", ""))
        if m:
            base = _num(m.group(1))
            exponent = _num(m.group(2))
            if base is None or exponent is None or abs(exponent) > MAX_LAYERS or (base == 0 and exponent < 0) \
                    or (base < 0 and not float(exponent).is_integer()) or abs(exponent * math.log10(abs(base) or 1)) > 300:
                self.ignore(m.group(0), "outside what I compute")
            else:
                self.add(power(base, exponent))
                return
        sigmoidish = self.has(r"sigmoid|logistic activation") or (self.topic == "vanishing-gradient" and not self.has(r"relu|tanh"))
        if depth and sigmoidish:
            layers = int(depth.group(1).replace(",", ""))
            if layers < 1 or layers > MAX_LAYERS:
                self.ignore(depth.group(1), f"a depth must be between 1 and {MAX_LAYERS:,} layers")
            elif layers >= 2:
                self.add(sigmoid_chain(layers))

    def prior(self) -> None:
        """The bias that starts a sigmoid output at the class prior (focal-loss initialization)."""
        if not (self.has(r"\bbias") and self.has(r"init|prior|π|\bpi\b|focal|retinanet|foreground|start|rare|"
                                                 r"imbalanc|positive (?:rate|fraction)|base rate")):
            return
        m = (_find(rf"(?:prior(?: probability)?|π|\bpi\b|positive (?:rate|fraction|class (?:rate|frequency|fraction))|"
                   rf"foreground (?:rate|probability|prior|fraction)|class (?:prior|frequency)|base rate|"
                   rf"(?:initial |starting )?probability|\bp)\s*(?:of|=|:|is|was|≈|about)?\s*(?:about\s+|π\s*=\s*)?"
                   rf"({NUM})(\s*%)?", self.text)
             or _find(rf"({NUM})(\s*%)\s*(?:of\s+)?(?:positives?|foreground|of the (?:data|anchors|examples))", self.text))
        if not m:
            return
        prior = _num(m.group(1))
        if prior is not None and m.group(2):
            prior /= 100
        if prior is None or not 0 < prior < 1:
            self.ignore(m.group(1), "a prior probability must be strictly between 0 and 1")
            return
        self.add(prior_bias(prior))

    def losses(self) -> None:
        wants_focal = self.has(r"focal|\bfl\b")
        wants_bce = self.has(r"\bbce\b|cross[- ]?entropy|log[- ]?loss")
        if not (wants_focal or wants_bce):
            return
        loss_word = r"(?:\bbce|cross[- ]?entropy|log[- ]?loss|focal(?: loss)?|\bfl)"
        patterns = (
            rf"\bp(?:_?t)?\b\s*(?:=|of|is|:|at)?\s*({NUM})",
            rf"(?:probability|\bprob\b|predicts?|predicted|prediction|confidence|outputs?|scores?)\s*(?:of|=|is|:)?\s*({NUM})",
            rf"probability\s+(?:of|for|to|on)\s+the\s+(?:true|correct|right|positive|target)\s+class\s+(?:is|=|of|was)?\s*"
            rf"(?:only\s+|just\s+|about\s+)?({NUM})",
            rf"{loss_word}\s+(?:loss\s+)?(?:value\s+)?(?:of|at|for|when|with)\s+({NUM})",
        )
        # every probability the question gives ("for p_t = 0.9 and for p_t = 0.5"), in order
        found: dict[int, tuple[str, bool]] = {}
        for pattern in patterns:
            for m in re.finditer(pattern, self.text, _FLAGS):
                is_p_t = re.search(r"p_?t|true class|correct class|right class|target class", m.group(0), _FLAGS) is not None
                found.setdefault(m.start(1), (m.group(1), is_p_t))
                pos = m.end(1)
                for raw in _more_values(self.text, pos, limit=2):
                    at = self.text.index(raw, pos)
                    found.setdefault(at, (raw, is_p_t))
                    pos = at + len(raw)
        if not found:
            return
        values: list[tuple[float, bool]] = []
        for at in sorted(found):
            raw, is_p_t = found[at]
            p = _num(raw)
            if any(c.tool == "prior-bias" and c.inputs["prior"] == p for c in self.found):
                continue  # the prior of a bias initialization, not a prediction
            if p is not None and 1 < p <= 100 and "%" in self.text[at + len(raw): at + len(raw) + 2]:
                p /= 100
            if p is None or not 0 < p < 1:
                self.ignore(raw, "a probability must be strictly between 0 and 1")
                continue
            if all(p != v for v, _ in values):
                values.append((p, is_p_t))
        if not values:
            return
        negative = self.has(r"\b(?:y|label|true label|true class|target|class|ground truth)\s*(?:=|is|of|:)?\s*0\b(?![.,]\d)"
                            r"|\bfor an? negative\b|\b(?:a|the) negative (?:example|sample|anchor|class|label)\b"
                            r"|\b(?:true|actual) (?:label|class) is negative")
        positive = self.has(r"\b(?:y|label|true label|target|class|ground truth)\s*(?:=|is|of|:)?\s*1\b(?![.,]\d)")
        if wants_focal:
            g = _value_after(r"gamma|γ", self.text)
            a = _value_after(r"alpha|α", self.text)
            gamma = 2.0 if g is None else g[0]
            if gamma is None or not 0 <= gamma <= MAX_GAMMA:
                self.ignore(g[1] if g else "", f"γ must be between 0 and {MAX_GAMMA:g}")
                return
            alpha = None if a is None else a[0]
            if a is not None and (alpha is None or not 0 < alpha <= 1):
                self.ignore(a[1], "α must be in (0, 1]")
                alpha = None
            for p, is_p_t in values:
                self.add(focal_negative(p, gamma, alpha) if negative and not is_p_t else focal(p, gamma, alpha))
        else:
            labels = (1, 0) if negative and positive else (0,) if negative else (1,)
            for p, _ in values:
                for y in labels:  # "for true label 1 …, then for true label 0 with the same 0.9"
                    self.add(cross_entropy(p, y))

    def filters(self) -> None:
        """A 3×3 (up to 5×5) filter at the centre of a patch the question gives: a box (mean),
        Gaussian, Laplacian, sharpening or Sobel kernel by name, or an explicit kernel matrix."""
        if not self.has(r"filter|kernel|sobel|gaussian|laplac|sharpen|\bbox\b|blur|convol|correlat") or \
                self.has(r"confusion"):
            return
        mats = _matrices(self.text)
        if not mats:
            return
        self.matrix_is_a_patch = True  # not a confusion matrix
        patch_at = next((i for i, (m, _) in enumerate(mats) if re.search(
            r"(?:patch|image|input|region|neighbou?rhood|pixels?|window)\W*(?:\w+\W+){0,2}$",
            self.text[max(0, m.start() - 40):m.start()], _FLAGS)), 0)
        pm, patch = mats[patch_at]
        n = len(patch)
        if not (3 <= n <= MAX_FILTER_SIZE and n % 2 == 1):
            self.ignore(pm.group(0), f"I compute filters on odd square patches from 3×3 to {MAX_FILTER_SIZE}×"
                                     f"{MAX_FILTER_SIZE}")
            return
        if max(abs(v) for row in patch for v in row) > MAX_ABS_VALUE:
            self.ignore(pm.group(0), "not usable numbers")
            return
        # (position, kernel, divisor, label, box) in the order the question names them
        chosen: list[tuple[int, list[list[float]], float, str, bool]] = []
        explicit = [(m, k) for i, (m, k) in enumerate(mats) if i != patch_at]
        words_at = sorted((w.start(), w.end(), kind) for kind, words in _KERNEL_WORDS
                          for w in re.finditer(words, self.text, _FLAGS))
        # an explicit kernel is the one the kernel word right before it names ("Sobel kernel [[…]]")
        names: dict[int, int] = {}
        for j, (m, _) in enumerate(explicit):
            before = [w for w in words_at if w[1] <= m.start() and m.start() - w[1] <= 60]
            if before:
                names[before[-1][0]] = j
        labelled: set[int] = set()
        for kind, words in _KERNEL_WORDS:
            for w in re.finditer(words, self.text, _FLAGS):
                near = names.get(w.start())
                if kind == "sobel":
                    x = self.has(r"sobel[\s_-]*x\b|\bg_?x\b|horizontal[- ](?:gradient|derivative|direction|change)|"
                                 r"vertical[- ]edges?|x[- ](?:gradient|derivative|direction)")
                    y = self.has(r"sobel[\s_-]*y\b|sobel[\s_-]*x\s*(?:and|&|,|/)\s*y\b|both sobel|\bg_?y\b|vertical[- ](?:gradient|derivative|direction|change)|"
                                 r"horizontal[- ]edges?|y[- ](?:gradient|derivative|direction)")
                    kinds = (["sobel-x"] if x or not y else []) + (["sobel-y"] if y else [])
                else:
                    kinds = [kind]
                if near is not None and len(kinds) == 1:
                    labelled.add(near)
                    km, k = explicit[near]
                    label = _NAMED_KERNELS[kinds[0]][2].split(" [[")[0]
                    label = label if label.endswith(("kernel", "filter")) else label + " kernel"
                    chosen.append((w.start(), k, 1.0, f"{label} {fmt_matrix(k)}", False))
                else:
                    for kk in kinds:
                        k, d, label = _NAMED_KERNELS[kk]
                        chosen.append((w.start(), k, d, label, kk == "box"))
                break  # one use of each kind of kernel word
        for j, (m, k) in enumerate(explicit):
            if j not in labelled:
                chosen.append((m.start(), k, 1.0, f"kernel {fmt_matrix(k)}", False))
        seen: list[tuple[list[list[float]], float]] = []
        for _, k, d, label, box in sorted(chosen, key=lambda c: c[0]):
            size = len(k)
            if (k, d) in seen:
                continue
            seen.append((k, d))
            if not (size % 2 == 1 and size <= n) or max(abs(v) for row in k for v in row) > MAX_ABS_VALUE:
                self.ignore(fmt_matrix(k), f"a kernel must be an odd square no larger than the {n}×{n} patch")
                continue
            self.add(filter_at_centre(patch, k, d, label, box))

    def vectors(self) -> None:
        """Vector arithmetic over named vectors ("king = (3, 4), man = (1, 1), woman = (1, 3): king −
        man + woman"), and its cosine similarity to another named vector."""
        named: dict[str, list[float]] = {}
        for m in _VECTOR.finditer(self.text):
            vec = [_num(v) for v in re.findall(_LIST_NUM, m.group(2))]
            if any(v is None or abs(v) > MAX_ABS_VALUE for v in vec):
                self.ignore(m.group(0), "not usable numbers")
                continue
            if m.group(1).lower() not in named:
                named[m.group(1).lower()] = vec  # type: ignore[assignment]
        if len(named) < 2:
            return
        if len(named) > MAX_VECTORS:
            self.ignore(", ".join(list(named)[MAX_VECTORS:]), f"I use at most {MAX_VECTORS} named vectors")
            named = dict(list(named.items())[:MAX_VECTORS])
        alt = "|".join(re.escape(n) for n in sorted(named, key=len, reverse=True))
        op = r"[-−–+]"
        expr = _find(rf"(?<![\w'])({alt})((?:\s*{op}\s*(?:{alt})(?![\w']))+)(?!\s*=)", self.text)
        cos_to = _find(rf"cos(?:ine)?(?:\s+similarity)?\s*(?:of\s+(?:it|that|the result)\s+)?(?:to|with|against|"
                       rf"and)\s+(?:the\s+)?(?:vector\s+)?({alt})(?![\w'])", self.text)
        inline = r"(?:\s*=\s*[\(\[][^\)\]]*[\)\]])?"  # "between cat = [1, 2, 3] and dog = [2, 3, 4]"
        cos_between = _find(rf"cos(?:ine)?(?:\s+similarity)?\s*(?:between|of|\()\s*({alt}){inline}\s*(?:and|,)\s*"
                            rf"({alt})(?![\w'])", self.text)
        if expr:
            terms = [("+", expr.group(1).lower(), named[expr.group(1).lower()])]
            for sign, name in re.findall(rf"({op})\s*({alt})", expr.group(2), _FLAGS):
                terms.append(("+" if sign == "+" else "-", name.lower(), named[name.lower()]))
            target = None
            if cos_to and cos_to.start() > expr.start():
                t = cos_to.group(1).lower()
                target = (t, named[t])
            if len({len(v) for _, _, v in terms} | ({len(target[1])} if target else set())) != 1:
                self.ignore(expr.group(0), "the vectors must have the same number of dimensions")
                return
            self.add(vector_arithmetic(terms, target))
        elif cos_between:
            a, b = cos_between.group(1).lower(), cos_between.group(2).lower()
            if len(named[a]) != len(named[b]) or a == b:
                return
            if _norm(named[a]) == 0 or _norm(named[b]) == 0:
                self.ignore(cos_between.group(0), "a zero vector has no direction")
                return
            self.add(cosine_between((a, named[a]), (b, named[b])))

    def confusion(self) -> None:
        m = _MATRIX.search(self.text)
        if m:
            tn, fp, fn, tp = (int(g) for g in m.groups() if g is not None)
            if max(tn, fp, fn, tp) <= MAX_COUNT:
                self.add(precision_recall_f1(tp, fp, fn, tn))
            return
        counts = _counts(self.text)
        if {"tp", "fp", "fn"} <= counts.keys() or ({"tp", "fp"} <= counts.keys() and self.has("precision")) \
                or ({"tp", "fn"} <= counts.keys() and self.has("recall")):
            self.add(precision_recall_f1(counts["tp"], counts.get("fp", 0), counts.get("fn", 0), counts.get("tn"))
                     if {"tp", "fp", "fn"} <= counts.keys() else self._partial(counts))

    def pr_values(self) -> None:
        """A precision and a recall given as values (not counts): F1, and a verdict when the
        question names a use case ("precision 0.9 recall 0.3, is that bad for cancer screening?")."""
        if any(c.tool == "precision-recall" for c in self.found):
            return
        # A value is written after its name ("precision 0.9") or before it ("95% precision"); as
        # with counts, the reading that gives both values is the one the student used.
        readings: list[dict[str, tuple[float | None, str]]] = [{}, {}]
        for name in ("precision", "recall"):
            words = name if name == "precision" else r"recall|sensitivity|\btpr\b"
            after = _find(rf"(?:{words})\s*(?:of|=|:|is|was|at|equals?|≈)?\s*(?:about\s+|only\s+|just\s+)?"
                          rf"({NUM})(\s*%)?", self.text)
            before = _find(rf"({NUM})(\s*%)?\s*(?:{words})\b", self.text)
            for reading, m in zip(readings, (after, before)):
                if m:
                    v = _num(m.group(1))
                    if v is not None and (m.group(2) or 1 < v <= 100 and v.is_integer()):  # "recall 30" is 30%
                        v /= 100
                    reading[name] = (v, m.group(1))
        chosen = readings[0] if len(readings[0]) >= len(readings[1]) else readings[1]
        values: dict[str, float] = {}
        for name, (v, raw) in chosen.items():
            if v is None or not 0 <= v <= 1:
                self.ignore(raw, f"a {name} must be between 0 and 1, or a percentage")
            else:
                values[name] = v
        if len(values) < 2:
            return
        asked = None
        if re.search(r"\b(?:is|are|was|would)\b[^?]*\b(?:bad|terrible|poor|awful|low|a problem|too low|worrying)\b",
                     self.text, _FLAGS):
            asked = "bad"
        elif re.search(r"\b(?:is|are|was|would)\b[^?]*\b(?:good|ok|okay|fine|acceptable|enough|decent|great|usable)\b",
                       self.text, _FLAGS):
            asked = "good"
        elif re.search(r"\b(?:bad|terrible|poor|awful|too low)\s*\?", self.text, _FLAGS):
            asked = "bad"
        elif re.search(r"\b(?:good|ok|okay|fine|acceptable|enough|decent|great|usable)\s*\?", self.text, _FLAGS):
            asked = "good"
        self.add(f1_from_pr(values["precision"], values["recall"], self.text, asked))

    def fbeta(self) -> None:
        """F2, F0.5 or F-beta next to F1 when the question asks for one and gives (or counts) a
        precision and a recall: "compute F1, then F2"."""
        betas: list[float] = []
        for m in re.finditer(r"\bf[_ -]?(\d+(?:\.\d+)?)(?:[- ]?(?:scores?|measures?))?\b(?![.,]\d|\s*%)", self.text, _FLAGS):
            if m.group(1) not in ("1", "1.0"):
                betas.append(float(m.group(1)))
        if self.has(r"f[-_ ]?(?:beta|β)|\bfβ"):
            b = _value_after(r"\bbeta|β", self.text)
            if b and b[0] is not None:
                betas.append(b[0])
        source = next((c for c in self.found if c.tool in {"f1", "precision-recall-verdict"} or
                       (c.tool == "precision-recall" and {"precision", "recall"} <= c.result.keys())), None)
        if not betas or source is None:
            return
        p = source.inputs.get("precision", source.result.get("precision"))
        r = source.inputs.get("recall", source.result.get("recall"))
        for beta in dict.fromkeys(betas):
            if not 0 < beta <= 10 or beta == 1:
                if beta != 1:
                    self.ignore(fmt(beta), "β must be between 0 and 10")
                continue
            self.add(fbeta_from_pr(p, r, beta))

    @staticmethod
    def _partial(counts: dict[str, int]) -> Computation:
        tp = counts["tp"]
        if "fp" in counts:
            fp = counts["fp"]
            value = tp / (tp + fp) if tp + fp else float("nan")
            sentence = f"With TP = {tp} and FP = {fp}, precision = TP / (TP + FP) = {tp} / {tp + fp} ≈ {fmt(value)}."
            return Computation("precision-recall", {"tp": tp, "fp": fp}, {"precision": value}, sentence)
        fn = counts["fn"]
        value = tp / (tp + fn) if tp + fn else float("nan")
        sentence = f"With TP = {tp} and FN = {fn}, recall = TP / (TP + FN) = {tp} / {tp + fn} ≈ {fmt(value)}."
        return Computation("precision-recall", {"tp": tp, "fn": fn}, {"recall": value}, sentence)

    def factor(self) -> None:
        m = _find(rf"(?:multipl\w*|scal\w*|shrink\w*|grow\w*)\s+(?:the\s+)?(?:grad\w*|signal|it)?\s*by\s+(?:a factor of\s+)?({NUM})"
                  rf"|factor\s+(?:of|is|=|equals?)\s+({NUM})|({NUM})\s*(?:per|each|every|a)\s+layer\b", self.text)
        n = _find(r"\b(\d[\d,]*)\s*-?\s*(layers?|time[- ]?steps?|steps?)\b", self.text)
        if m and n:
            first = next(g for g in m.groups() if g)
            steps = int(n.group(1).replace(",", ""))
            unit = "time steps" if "time" in n.group(2).lower() else "layers" if "layer" in n.group(2).lower() else "steps"
            for raw in [first] + _more_values(self.text, m.end(), limit=2):  # "1.5, and when it is 0.5"
                factor = _num(raw)
                if factor is None or factor <= 0 or steps < 1 or steps > MAX_LAYERS \
                        or steps * abs(math.log10(factor)) > 300:
                    self.ignore(raw, "outside what I compute")
                else:
                    self.add(factor_chain(factor, steps, unit))

    def robust(self) -> None:
        med = _value_after(r"median", self.text)
        iqr = _value_after(r"iqr|interquartile range", self.text)
        if iqr is None:  # "first quartile 40 and third quartile 70"
            q1 = _value_after(r"first quartile|lower quartile|\bq1\b|25th percentile", self.text)
            q3 = _value_after(r"third quartile|upper quartile|\bq3\b|75th percentile", self.text)
            if q1 and q3 and q1[0] is not None and q3[0] is not None:
                iqr = (q3[0] - q1[0], f"{q3[1]} − {q1[1]}")
        value = (_find(rf"(?:value|x\s*=|scale)\s*(?:of\s*)?({NUM})", self.text)
                 or _find(rf"\bof\s*({NUM})\s*(?:become|map|scale|turn)", self.text))
        if med and iqr and value and med[0] is not None and iqr[0] is not None:
            x = _num(value.group(1))
            if x is None or iqr[0] <= 0:
                self.ignore(iqr[1], "the IQR must be positive")
            else:
                self.add(robust_scale(x, med[0], iqr[0]))

    def ranges(self) -> None:
        target = _find(rf"(?:to|into)\s*(?:the range\s*)?\[\s*({NUM})\s*,\s*({NUM})\s*\]", self.text)
        source = _find(rf"(?:from|between|range[sd]?(?: from)?)\s+({NUM})\s*(?:to|and|-)\s*({NUM})", self.text)
        value = _find(rf"(?:x\s*=|value|scale)\s*({NUM})", self.text)
        if target and source and value:
            a, b = _num(target.group(1)), _num(target.group(2))
            lo, hi = _num(source.group(1)), _num(source.group(2))
            x = _num(value.group(1))
            if None in (a, b, lo, hi, x) or hi <= lo or b <= a:
                self.ignore(source.group(0), "a range must go from a smaller to a larger number")
            else:
                self.add(range_scale(x, lo, hi, a, b))
        elif source and not target and self.has(_MIN_MAX) and not self.has(_MIN_OR_MAX_VALUE):
            # "a MinMaxScaler fit on a feature that ranged from 0 to 100 … a value of 130"
            lo, hi = _num(source.group(1)), _num(source.group(2))
            inverse = _first_free(_INVERSE, self.text, [source.span(1), source.span(2)])
            used = [source.span(1), source.span(2)] + ([_span_of(inverse)] if inverse else [])
            value = _first_free(_SCALED_VALUE, self.text, used)
            if lo is None or hi is None or hi <= lo:
                self.ignore(source.group(0), "a range must go from a smaller to a larger number")
                return
            x = _num(value.group(1)) if value else None
            if x is not None and abs(x) <= MAX_ABS_VALUE:
                self.add(min_max(x, lo, hi))
            self._inverse(inverse, lo, hi)

    def _inverse(self, inverse: object, lo: float, hi: float) -> None:
        """The raw value a scaled one comes from, when asked ("which raw value would map to 0.9?")."""
        if inverse is None:
            return
        y = _num(inverse.group(1))  # type: ignore[attr-defined]
        target = _TARGET_RANGE.search(self.text)
        a, b = (_num(target.group(1)), _num(target.group(2))) if target else (0.0, 1.0)
        if y is None or abs(y) > MAX_ABS_VALUE or a is None or b is None or b <= a:
            return
        self.add(min_max_inverse(y, lo, hi, a, b))

    def minmax_values(self) -> None:
        """Min-max scaling with the min and max of values the question lists ("ages are 20, 30, 40,
        50, 60; what's 40 after min-max scaling")."""
        if not self.has(_MIN_MAX) or self.has(_MIN_OR_MAX_VALUE):
            return
        m = _LIST.search(self.text)
        raw = re.findall(_LIST_NUM, m.group(1)) if m else []
        if len(raw) < 3:
            m = _find(rf"(?<![\w.])({_LIST_NUM}(?:\s*,\s*{_LIST_NUM}){{1,}}(?:,?\s*(?:,|and|&)\s*{_LIST_NUM}))(?!\w|\.\d)",
                      self.text)
            raw = re.findall(_LIST_NUM, m.group(1)) if m else []
        if len(raw) < 3 or m is None:
            return
        values = [v for v in (_num(r) for r in raw) if v is not None and abs(v) <= MAX_ABS_VALUE]
        if len(values) < 3 or max(values) == min(values):
            return
        used = [m.span()]
        inverse = _first_free(_INVERSE, self.text, used)
        if inverse:
            used.append(_span_of(inverse))
        value = _first_free(_SCALED_VALUE, self.text, used)
        x = _num(value.group(1)) if value else None
        self.add(min_max_values(values[:MAX_LIST * 4], x if x is not None and abs(x) <= MAX_ABS_VALUE else None))
        self._inverse(inverse, min(values), max(values))

    def gray(self) -> None:
        m = _find(rf"\(?\s*(\d{{1,3}})\s*,\s*(\d{{1,3}})\s*,\s*(\d{{1,3}})\s*\)?", self.text)
        if m and self.has(r"gr[ae]y|luma|luminance") and self.has(r"rgb|r\s*,\s*g\s*,\s*b|pixel"):
            r, g, b = (float(v) for v in m.groups())
            if max(r, g, b) > 255:
                self.ignore(m.group(0), "8-bit RGB values go from 0 to 255")
            else:
                self.add(grayscale(r, g, b))

    def grid(self) -> None:
        folds_m = _find(r"\b(\d{1,2})[- ]?fold\b|\bk\s*=\s*(\d{1,2})\s*(?:fold|cv|cross)", self.text)
        folds = int(next(g for g in folds_m.groups() if g)) if folds_m else None
        folds = folds if folds and 2 <= folds <= 50 else None
        m = _find(r"\b(\d{1,3})\s+hyper-?param\w*\s*(?:,|with|of|each with|having)\s*(\d{1,4})\s+"
                  r"(?:values|options|choices|settings|candidates)", self.text)
        if m:
            n, k = int(m.group(1)), int(m.group(2))
            if n < 1 or n > 20 or k < 1:
                self.ignore(m.group(0), "at most 20 hyperparameters")
            else:
                self.add(grid_size([k] * n, folds))
            return
        m = _find(r"grid\D{0,30}?\b(\d{1,4}(?:\s*[x×*]\s*\d{1,4}){1,9})\b", self.text)
        if m:
            self.add(grid_size([int(v) for v in re.split(r"\s*[x×*]\s*", m.group(1))], folds))
            return
        # "5 learning rates × 4 depths × 3 regularization strengths"
        m = _find(r"\b(\d{1,4})\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?\s*[x×*]\s*(\d{1,4})\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?"
                  r"(?:\s*[x×*]\s*(\d{1,4})\s+[a-z][\w-]*)?(?:\s*[x×*]\s*(\d{1,4})\s+[a-z][\w-]*)?", self.text)
        if m and self.has(r"grid|hyper|search|configurations|combinations|runs|fits|trials"):
            self.add(grid_size([int(g) for g in m.groups() if g], folds))

    def masking(self) -> None:
        rate = _find(r"\b(\d{1,2}(?:\.\d+)?)\s*%", self.text)
        tokens = _find(r"\b(\d{1,6})[- ]?(?:word[- ]?piece\s+)?(?:tokens?|token sequence)", self.text)
        if rate and tokens and self.has(r"mask|mlm|bert"):
            n = int(tokens.group(1))
            r = float(rate.group(1)) / 100
            if 0 < r <= 1 and 0 < n <= 100_000:
                self.add(bert_masking(n, r))

    def conv(self) -> None:
        size = _find(r"\b(\d{1,5})\s*(?:x|×)\s*\d{1,5}\b|\binput (?:of |size )?(\d{1,5})\b|\b(\d{1,5})\s*(?:px|pixels?)\b", self.text)
        kernel = _value_after(r"kernel(?: size)?|filter(?: size)?", self.text)
        stride = _value_after(r"stride", self.text)
        if size and kernel and self.has(r"conv|output size|feature map"):
            padding = _value_after(r"padding|pad", self.text)
            w = int(next(g for g in size.groups() if g))
            k = int(kernel[0] or 0)
            st = int(stride[0]) if stride and stride[0] else 1
            p = int(padding[0]) if padding and padding[0] is not None else 0
            if not (1 <= k <= w + 2 * p and 1 <= st <= w and 0 <= p <= w):
                self.ignore(kernel[1], "kernel, stride and padding must fit the input")
            else:
                self.add(conv_output(w, k, st, p))

    def word_problem(self) -> None:
        """Counts told as a story: "1,000 transactions, 50 are truly fraudulent; the model flags 60, 30
        of which are real fraud" gives TP = 30, FP = 30, FN = 20 and, with the total, TN = 920."""
        if any(c.tool == "precision-recall" for c in self.found):
            return
        count = r"(\d{1,3}(?:,\d{3})+|\d+)(?![.\d])"
        adverb = r"(?:actually\s+|truly\s+|really\s+|in fact\s+)?"
        positive = r"(?:fraud\w*|positives?|spam|sick|malignant|defective|cancer\w*|ill|infected|relevant|correct|right|real|true)"
        flagged = _find(rf"(?:flags?|flagged|predicts?|predicted|marks?|marked|detects?|detected|catches|caught|labels?|"
                        rf"alerts? on|raises? alerts? (?:on|for))\s+{count}", self.text)
        if not flagged:
            return
        rest = self.text[flagged.end():]
        correct = (_find(rf"{count}\s+of\s+(?:them|those|these|which|the flagged(?:\s+\w+)?)\s+{adverb}(?:are|were|is)\s+"
                         rf"{adverb}(?:\w+\s+)?{positive}", rest)
                   or _find(rf"(?:,|and|;)\s*{count}\s+{adverb}(?:are|were|is)\s+{adverb}{positive}", rest)
                   or _find(rf"{count}\s+of\s+(?:them|those|these|which)\s+{adverb}(?:are|were|is)\s+{adverb}{positive}",
                            self.text))
        if not correct:
            return
        before = self.text[:flagged.start()] + " " * (flagged.end() - flagged.start()) + \
            rest[:correct.start()] + " " * (correct.end() - correct.start()) + rest[correct.end():]
        actual = (_find(rf"{count}\s+(?:\w+\s+)?{adverb}(?:are|were|is)\s+{adverb}{positive}", before)
                  or _find(rf"{count}\s+(?:actual|real|true)\s+(?:positives|frauds?|cases|spam|\w+)", before)
                  or _find(rf"there\s+(?:are|were|is)\s+{count}\s+(?:\w+\s+){{0,3}}?(?:in total|total|overall|altogether)",
                           before)
                  or _find(rf"{count}\s+(?:\w+\s+){{0,2}}?(?:in total|altogether)", before))
        if not actual:
            return
        k, j, m = (int(x.group(1).replace(",", "")) for x in (flagged, correct, actual))
        if not (j <= k and j <= m):
            return
        # the total is the largest count of the things themselves ("1,000 transactions"), if any
        totals = [int(t.replace(",", "")) for t in re.findall(
            rf"{count}\s+(?:transactions|emails|patients|samples|examples|cases|images|items|people|records|tests|"
            rf"predictions|documents|applicants|customers|users|messages|scans|x-rays|products|parts)\b", self.text, _FLAGS)]
        n = max(totals) if totals and max(totals) > max(k, m) else None
        tn = n - k - (m - j) if n is not None and n >= k + m - j else None
        self.add(precision_recall_f1(j, k - j, m - j, tn))

    def scaling(self) -> None:
        mean = _value_match(r"\bmean|\baverage|\bavg|μ|\bmu\b", self.text)
        std = _value_match(r"standard deviation|standard dev|std\.?\s*dev(?:iation)?|\bstd(?:ev|dev)?\b\.?|\bs\.d\.|\bsd\b|"
                           r"σ(?!\s*\()|\bsigma\b", self.text)
        variance = None if std else _value_match(r"\bvariance|\bvar\b|σ²|sigma\^?2|sigma squared", self.text)
        lo = _value_after(r"\bmin(?:imum)?", self.text)
        hi = _value_after(r"\bmax(?:imum)?", self.text)
        used = [m.span(1) for m in (mean, std, variance) if m]
        value = None
        for v in re.finditer(rf"(?:standardi[sz]e[ds]?|normali[sz]e[ds]?|scale[ds]?|value|score|z[- ]?score\s+(?:of|for)|"
                             rf"\bx\s*=|\bx\s+is|\bof|\bfor|\bis)\s*(?:a value of\s*|an? (?:input|value|score) of\s*|"
                             rf"x\s*=\s*)?({NUM})", self.text, _FLAGS):
            if not any(_overlaps(v.span(1), u) for u in used):
                value = v
                break
        spread = std or variance
        if value is None and mean and spread and self.has(r"z[- ]?score|zscore|\bz\b|standardi[sz]|normali[sz]|scal|"
                                                           r"how many (?:stds?|sds?|standard deviations|sigmas?)"):
            # the one number left once the mean and the spread are read: "mean 70 std 10, what is 85 standardized"
            rest = [v for v in re.finditer(rf"(?<![\w.]){NUM}(?![\w.]|\s*(?:epochs?|layers?|features?|samples?|rows?|"
                                           rf"columns?|%))", self.text, _FLAGS)
                    if not any(_overlaps(v.span(), u) for u in used)]
            if len(rest) == 1:
                value = _Group1(rest[0])
        if mean and spread and value:
            x, m, s = _num(value.group(1)), _num(mean.group(1)), _num(spread.group(1))
            if std is None and s is not None:
                s = math.sqrt(s) if s > 0 else s
            if x is None or m is None or s is None or abs(x) > MAX_ABS_VALUE or abs(m) > MAX_ABS_VALUE:
                self.ignore(value.group(1), "not a usable number")
            elif s <= 0:
                self.ignore(spread.group(1), "a standard deviation must be positive" if std else "a variance must be positive")
            elif 1 < x <= 255 and 0 <= m <= 1 and 0 < s <= 1 and \
                    self.has(r"8-?bit|pixel|totensor|to_tensor|/\s*255|uint8|imagenet|rgb|red|green|blue|channel"):
                self.add(standardize_pixel(x, m, s))  # ImageNet statistics are on the [0, 1] scale
            else:
                self.add(standardize(x, m, s))
        elif lo and hi and self.has(r"min[- ]?max|normali[sz]|scal"):
            lo_m = _value_match(r"\bmin(?:imum)?", self.text)
            hi_m = _value_match(r"\bmax(?:imum)?", self.text)
            target = _TARGET_RANGE.search(self.text)
            inverse = _first_free(_INVERSE, self.text, [lo_m.span(1), hi_m.span(1)])
            used = [lo_m.span(1), hi_m.span(1)] + ([_span_of(inverse)] if inverse else []) + \
                ([target.span(1), target.span(2)] if target else [])
            if value is not None and any(_overlaps(value.span(1), u) for u in used):
                value = None
            value = _first_free(_SCALED_VALUE, self.text, used) or value
            a, b = lo[0], hi[0]
            if a is None or b is None or b <= a:
                if value or inverse:
                    self.ignore(f"{lo[1]}–{hi[1]}", "max must be larger than min")
                return
            x = _num(value.group(1)) if value else None
            t = (_num(target.group(1)), _num(target.group(2))) if target else (0.0, 1.0)
            if x is not None and abs(x) <= MAX_ABS_VALUE:
                if t != (0.0, 1.0) and None not in t and t[0] < t[1]:
                    self.add(range_scale(x, a, b, t[0], t[1]))
                else:
                    self.add(min_max(x, a, b))
            self._inverse(inverse, a, b)


def compute_from_question(question: str, topic: str | None = None) -> WorkedNumbers:
    """Every computation the question's numbers allow (at most :data:`MAX_COMPUTATIONS`).

    ``topic``: the slug the retriever found, which disambiguates bare numbers ("20 layers" in a
    vanishing-gradient question means a sigmoid chain)."""
    if not re.search(r"\d", question):
        return WorkedNumbers()
    reader = _Reader(question, topic)
    reader.filters()
    reader.vectors()
    if not reader.matrix_is_a_patch:
        reader.confusion()
    reader.pr_values()
    reader.lists()
    reader.batch_norm()
    reader.running()
    reader.init()
    reader.prior()
    reader.losses()
    reader.logistic()
    reader.activations()
    reader.word_problem()
    reader.fbeta()
    reader.robust()
    reader.minmax_values()
    reader.ranges()
    if not any(c.tool in {"robust-scale", "min-max"} for c in reader.found):
        reader.scaling()
    reader.gray()
    reader.grid()
    reader.masking()
    if not any(c.tool == "filter" for c in reader.found):
        reader.conv()
    reader.factor()
    if not any(c.tool in {"sigmoid", "tanh", "chain-product"} for c in reader.found):
        reader.chain()
    return WorkedNumbers(tuple(reader.found), tuple(reader.ignored))
