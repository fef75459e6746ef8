"""The precision–recall trade-off of a real classifier, and the threshold each use case picks.

A logistic regression is trained on one of three scenarios and scored on a held-out split:

* ``spam`` — synthetic e-mail features (``make_classification``, 35% spam);
* ``cancer`` — scikit-learn's breast-cancer data (Wisconsin), malignant = positive, using only
  two measurements (mean radius, mean texture) so the trade-off is visible;
* ``fraud`` — synthetic transactions (``make_classification``, 1.5% fraud).

``sklearn.metrics.precision_recall_curve`` sweeps every threshold (predict positive when
``score >= threshold``). Two operating points are marked: the *high-precision* one a spam filter
takes (lowest threshold with precision ≥ :data:`PRECISION_TARGET`) and the *high-recall* one a
screening test takes (highest threshold with recall ≥ :data:`RECALL_TARGET`), plus the default
0.5 threshold and the best-F1 threshold for reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_curve
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tools.demo_inputs import PR_SCENARIOS, SEED_MAX
from tools.errors import UserInputError

log = logging.getLogger(__name__)

SCENARIOS = PR_SCENARIOS
PRECISION_TARGET = 0.98
RECALL_TARGET = 0.95
DEFAULT_THRESHOLD = 0.5
MAX_SEED = SEED_MAX
CANCER_FEATURES = ("mean radius", "mean texture")


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    positive: str  # what a positive prediction means
    negative: str
    chooses: str  # "high-precision" or "high-recall"
    why: str
    n_samples: int = 0
    positive_share: float = 0.0
    class_sep: float = 1.0
    label_noise: float = 0.0
    test_share: float = 0.3


SCENARIO_INFO = {
    "spam": Scenario(
        "spam", "Spam filter", "spam", "real e-mails", "high-precision",
        "a real e-mail lost in the spam folder costs far more than one spam reaching the inbox",
        n_samples=4_000, positive_share=0.35, class_sep=1.2, label_noise=0.01),
    "cancer": Scenario(
        "cancer", "Cancer screening", "malignant", "benign cases", "high-recall",
        "a missed tumour can be fatal while a false alarm only means a follow-up biopsy",
        test_share=0.4),
    "fraud": Scenario(
        "fraud", "Fraud detection", "fraud", "legitimate transactions", "high-recall",
        "each missed fraud is lost money, while a false alarm costs an analyst a few minutes",
        n_samples=20_000, positive_share=0.015, class_sep=1.5, label_noise=0.001),
}


@dataclass(frozen=True)
class OperatingPoint:
    name: str  # "high-precision", "high-recall", "default-0.5", "best-f1"
    description: str
    threshold: float
    precision: float | None
    recall: float
    tp: int
    fp: int
    fn: int
    tn: int
    target_met: bool = True

    @property
    def flagged(self) -> int:
        return self.tp + self.fp

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "threshold": self.threshold, "precision": self.precision, "recall": self.recall}


@dataclass(frozen=True, eq=False)
class PRCurveResult:
    scenario: str
    title: str
    seed: int
    n_train: int
    n_test: int
    n_positive_test: int
    average_precision: float
    precision: np.ndarray  # from precision_recall_curve; precision[i], recall[i] at thresholds[i]
    recall: np.ndarray
    thresholds: np.ndarray
    y_test: np.ndarray
    scores: np.ndarray
    operating_points: tuple[OperatingPoint, ...]
    chosen: str
    summary: str

    @property
    def positive_rate(self) -> float:
        return self.n_positive_test / self.n_test

    def point(self, name: str) -> OperatingPoint:
        return next(p for p in self.operating_points if p.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "average_precision": self.average_precision,
            "operating_points": [p.to_dict() for p in self.operating_points],
            "chosen": self.chosen,
            "summary": self.summary,
        }


@lru_cache(maxsize=8)
def _data(scenario: str, seed: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    info = SCENARIO_INFO[scenario]
    if scenario == "cancer":
        data = load_breast_cancer()
        cols = [list(data.feature_names).index(f) for f in CANCER_FEATURES]
        return data.data[:, cols], (data.target == 0).astype(int), CANCER_FEATURES  # 0 = malignant
    X, y = make_classification(
        n_samples=info.n_samples, n_features=20, n_informative=6, n_redundant=4,
        weights=[1 - info.positive_share, info.positive_share], class_sep=info.class_sep, flip_y=info.label_noise,
        random_state=seed)
    return X, y, tuple(f"feature {i}" for i in range(X.shape[1]))


def _point(name: str, description: str, threshold: float, y: np.ndarray, scores: np.ndarray,
           target_met: bool = True) -> OperatingPoint:
    """Counts recomputed at ``threshold`` (positive when score >= threshold)."""
    pred = (scores >= threshold).astype(int)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, pred, labels=[0, 1]).ravel())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn)
    return OperatingPoint(name, description, float(threshold), precision, recall, tp, fp, fn, tn, target_met)


def choose_high_precision(precision: np.ndarray, thresholds: np.ndarray, target: float) -> tuple[int, bool]:
    """Index of the lowest threshold whose precision >= target (the one with most recall).

    ``precision[i]`` belongs to ``thresholds[i]``; the final (1, 0) point has no threshold. If the
    target is never reached, the threshold with the highest precision (lowest such) is returned.
    """
    p = precision[: len(thresholds)]
    ok = np.flatnonzero(p >= target)
    if ok.size:
        return int(ok[0]), True
    return int(np.argmax(p)), False


def choose_high_recall(recall: np.ndarray, thresholds: np.ndarray, target: float) -> int:
    """Index of the highest threshold whose recall >= target (recall falls as the threshold rises)."""
    r = recall[: len(thresholds)]
    return int(np.flatnonzero(r >= target)[-1])  # r[0] == 1.0, so there is always one


def _pct(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.0%}" if x in (0, 1) else f"{x:.1%}"


def _summary(info: Scenario, ap: float, base: float, n_test: int, points: dict[str, OperatingPoint]) -> str:
    hp, hr, d = points["high-precision"], points["high-recall"], points["default-0.5"]
    data = ("the Wisconsin breast-cancer data (two measurements)" if info.name == "cancer"
            else f"synthetic data with {base:.1%} {info.positive}")
    parts = [f"**{info.title}** on {data}: logistic regression scores {n_test:,} held-out cases with average "
             f"precision {ap:.2f} (a random ranking scores {base:.2f})."]
    if info.chooses == "high-precision":
        reach = "" if hp.target_met else f" (precision {PRECISION_TARGET:.0%} is never reached; best shown)"
        parts.append(f"It picks the **high-precision** point because {info.why}: the lowest threshold with "
                     f"precision ≥ {PRECISION_TARGET:.0%} is {hp.threshold:.3f}{reach}, where "
                     f"{_pct(hp.precision)} of flagged items are {info.positive} and it catches {_pct(hp.recall)} "
                     f"of all {info.positive}.")
        parts.append(f"The high-recall point (threshold {hr.threshold:.3f}) would catch {_pct(hr.recall)} but only "
                     f"{_pct(hr.precision)} of what it flags would be {info.positive} — {hr.fp:,} "
                     f"{info.negative} flagged by mistake.")
    else:
        parts.append(f"It picks the **high-recall** point because {info.why}: the highest threshold with "
                     f"recall ≥ {RECALL_TARGET:.0%} is {hr.threshold:.3f}, which finds {hr.tp:,} of "
                     f"{hr.tp + hr.fn:,} {info.positive} cases at precision {_pct(hr.precision)} "
                     f"({hr.fp:,} false alarms, {hr.flagged / n_test:.1%} of all cases flagged).")
        parts.append(f"The high-precision point (threshold {hp.threshold:.3f}) would miss {hp.fn:,} of them "
                     f"(recall {_pct(hp.recall)}).")
    parts.append(f"The default 0.5 threshold gives precision {_pct(d.precision)}, recall {_pct(d.recall)}.")
    return " ".join(parts)


def run_pr_curve(scenario: str = "spam", seed: int = 0) -> PRCurveResult:
    """Train, score the held-out split, sweep thresholds and pick the operating points."""
    key = str(scenario).strip().lower()
    if key not in SCENARIOS:
        raise UserInputError(f"unknown scenario {str(scenario)[:30]!r}; expected one of {' | '.join(SCENARIOS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise UserInputError(f"seed must be a whole number from 0 to {MAX_SEED:,} (got {seed!r})")
    info = SCENARIO_INFO[key]
    X, y, _ = _data(key, int(seed) if key != "cancer" else 0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=info.test_share, stratify=y, random_state=int(seed))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000))
    model.fit(X_train, y_train)
    scores = model.predict_proba(X_test)[:, 1]

    precision, recall, thresholds = precision_recall_curve(y_test, scores)
    ap = float(average_precision_score(y_test, scores))
    i_hp, met = choose_high_precision(precision, thresholds, PRECISION_TARGET)
    i_hr = choose_high_recall(recall, thresholds, RECALL_TARGET)
    p, r = precision[: len(thresholds)], recall[: len(thresholds)]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    i_f1 = int(np.argmax(f1))
    points = {
        "high-precision": _point("high-precision", f"spam-filter style: precision ≥ {PRECISION_TARGET:.0%}",
                                 thresholds[i_hp], y_test, scores, met),
        "high-recall": _point("high-recall", f"screening style: recall ≥ {RECALL_TARGET:.0%}",
                              thresholds[i_hr], y_test, scores),
        "default-0.5": _point("default-0.5", "default threshold 0.5", DEFAULT_THRESHOLD, y_test, scores),
        "best-f1": _point("best-f1", "best F1", thresholds[i_f1], y_test, scores),
    }
    n_pos = int(y_test.sum())
    summary = _summary(info, ap, n_pos / len(y_test), len(y_test), points)
    log.debug("pr-curve %s seed %d: AP %.3f", key, seed, ap)
    return PRCurveResult(key, info.title, int(seed), len(y_train), len(y_test), n_pos, ap, precision, recall,
                         thresholds, y_test, scores, tuple(points.values()), info.chooses, summary)
