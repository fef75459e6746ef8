"""Per-class metrics from a confusion matrix (rows = actual class, columns = predicted class).

The matrix is turned back into labelled samples for scikit-learn: every cell (i, j) becomes one
sample with ``y_true = i``, ``y_pred = j`` and ``sample_weight = count``, so counts up to 10^9
cost nothing. Metrics that divide by zero (no predicted or no actual members of a class) are
reported as undefined (``None``) with the reason in ``notes`` — never NaN, never a crash.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, multilabel_confusion_matrix, precision_recall_fscore_support

from tools.errors import UserInputError
from tools.matrix_parser import MAX_CLASSES, MIN_CLASSES, MAX_COUNT, parse_labels, parse_matrix, resolve_positive

log = logging.getLogger(__name__)

AXES_NOTE = "rows = actual class, columns = predicted class"


@dataclass(frozen=True)
class ClassMetrics:
    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int
    specificity: float | None
    tp: int
    fp: int
    fn: int
    tn: int

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "support": self.support, "specificity": self.specificity}


@dataclass(frozen=True)
class ConfusionMatrixResult:
    matrix: tuple[tuple[int, ...], ...]
    labels: tuple[str, ...]
    per_class: tuple[ClassMetrics, ...]
    accuracy: float
    macro: dict[str, float | None]
    weighted: dict[str, float | None]
    positive: int | None
    notes: tuple[str, ...]
    summary: str

    @property
    def total(self) -> int:
        return int(sum(sum(row) for row in self.matrix))

    def to_dict(self) -> dict[str, Any]:
        pos = None
        if self.positive is not None:
            m = self.per_class[self.positive]
            pos = {"label": m.label, "tp": m.tp, "fp": m.fp, "fn": m.fn, "tn": m.tn}
        return {
            "per_class": [m.to_dict() for m in self.per_class],
            "accuracy": self.accuracy,
            "macro": dict(self.macro),
            "weighted": dict(self.weighted),
            "positive": pos,
            "layout": AXES_NOTE,
            "notes": list(self.notes),
            "summary": self.summary,
        }


def _clean(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _as_matrix(matrix: str | Sequence[Sequence[int]] | np.ndarray) -> np.ndarray:
    if isinstance(matrix, str):
        return parse_matrix(matrix)
    arr = np.asarray(matrix)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or not MIN_CLASSES <= arr.shape[0] <= MAX_CLASSES:
        raise UserInputError(f"the matrix must be square with {MIN_CLASSES}-{MAX_CLASSES} classes "
                             f"(got shape {arr.shape})")
    if not np.issubdtype(arr.dtype, np.integer) or (arr < 0).any() or (arr > MAX_COUNT).any() or arr.sum() == 0:
        raise UserInputError(f"counts must be whole numbers from 0 to {MAX_COUNT:,}, not all zero")
    return arr.astype(np.int64)


def display_name(label: str) -> str:
    """``class 1`` for the default numeric labels, the label itself otherwise."""
    return f"class {label}" if label.isdigit() else label


def _fmt(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "undefined"
    return f"{x:.1%}" if pct else f"{x:.3f}"


def _summary(cm: np.ndarray, labels: tuple[str, ...], per_class: tuple[ClassMetrics, ...], accuracy: float,
             macro: dict[str, float | None], weighted: dict[str, float | None], positive: int | None) -> str:
    total = int(cm.sum())
    if positive is not None:
        m = per_class[positive]
        name = display_name(labels[positive])
        predicted = m.tp + m.fp
        parts = [f"Treating **{name}** as the positive class ({AXES_NOTE}): TP {m.tp:,}, FP {m.fp:,}, "
                 f"FN {m.fn:,}, TN {m.tn:,}."]
        if m.precision is None:
            parts.append(f"Precision is undefined: the model never predicted {name}.")
        else:
            parts.append(f"Precision {_fmt(m.precision)}: of the {predicted:,} predicted {name}, "
                         f"{m.tp:,} really were.")
        if m.recall is None:
            parts.append(f"Recall is undefined: there are no actual {name} samples.")
        else:
            parts.append(f"Recall {_fmt(m.recall)}: of the {m.support:,} actual {name}, {m.tp:,} were found "
                         f"({m.fn:,} missed); F1 {_fmt(m.f1)}, specificity {_fmt(m.specificity)}.")
        parts.append(f"Overall accuracy {_fmt(accuracy, pct=True)} on {total:,} samples.")
        return " ".join(parts)
    parts = [f"Accuracy {_fmt(accuracy, pct=True)} on {total:,} samples ({AXES_NOTE}); "
             f"macro F1 {_fmt(macro['f1'])}."]
    defined = [m for m in per_class if m.recall is not None]
    if defined:
        worst = min(defined, key=lambda m: m.recall)
        i = labels.index(worst.label)
        row = cm[i].copy()
        row[i] = -1
        j = int(row.argmax())
        if worst.recall < 1 and cm[i, j] > 0:
            parts.append(f"The hardest class to find is **{display_name(worst.label)}** (recall {_fmt(worst.recall)}); "
                         f"its most common mistake is being predicted as {display_name(labels[j])} "
                         f"({cm[i, j]:,} times).")
    with_prec = [m for m in per_class if m.precision is not None]
    if with_prec:
        loosest = min(with_prec, key=lambda m: m.precision)
        if loosest.precision < 1:
            parts.append(f"Predictions of **{display_name(loosest.label)}** are the least trustworthy "
                         f"(precision {_fmt(loosest.precision)}).")
    counts = cm.sum(axis=1)
    if counts.max() >= 3 * max(counts.min(), 1):
        parts.append(f"Classes are imbalanced ({int(counts.max()):,} vs {int(counts.min()):,} actual samples), so look "
                     "past accuracy: macro F1 (every class counts "
                     f"equally) is {_fmt(macro['f1'])} vs weighted F1 (by support) {_fmt(weighted['f1'])}.")
    return " ".join(parts)


def run_confusion_matrix(matrix: str | Sequence[Sequence[int]] | np.ndarray, labels: str | None = None,
                         positive: str | None = None) -> ConfusionMatrixResult:
    """Metrics for ``matrix`` (text or array; rows = actual, columns = predicted)."""
    cm = _as_matrix(matrix)
    n = cm.shape[0]
    names = parse_labels(labels, n)
    pos = resolve_positive(positive, names)

    idx = np.arange(n)
    y_true = np.repeat(idx, n)
    y_pred = np.tile(idx, n)
    weight = cm.ravel().astype(np.float64)
    prec, rec, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=idx, sample_weight=weight, zero_division=np.nan)
    mcm = multilabel_confusion_matrix(y_true, y_pred, labels=idx, sample_weight=weight)
    accuracy = float(accuracy_score(y_true, y_pred, sample_weight=weight))

    notes: list[str] = []
    per_class: list[ClassMetrics] = []
    for k in range(n):
        (tn, fp), (fn, tp) = np.rint(mcm[k]).astype(np.int64)
        support = int(tp + fn)
        spec = tn / (tn + fp) if tn + fp > 0 else float("nan")
        m = ClassMetrics(names[k], _clean(prec[k]), _clean(rec[k]), _clean(f1[k]), support, _clean(spec),
                         int(tp), int(fp), int(fn), int(tn))
        if m.precision is None:
            notes.append(f"{m.label}: precision undefined — the model never predicted this class (TP+FP = 0).")
        if m.recall is None:
            notes.append(f"{m.label}: recall undefined — no actual samples of this class (TP+FN = 0).")
        if m.f1 is None:
            notes.append(f"{m.label}: F1 undefined — the class is neither present nor predicted.")
        if m.specificity is None:
            notes.append(f"{m.label}: specificity undefined — every sample is this class (TN+FP = 0).")
        per_class.append(m)

    macro: dict[str, float | None] = {}
    weighted: dict[str, float | None] = {}
    supports = np.array([m.support for m in per_class], dtype=np.float64)
    for metric in ("precision", "recall", "f1", "specificity"):
        values = np.array([np.nan if getattr(m, metric) is None else getattr(m, metric) for m in per_class])
        ok = np.isfinite(values)
        macro[metric] = float(values[ok].mean()) if ok.any() else None
        w = supports[ok]
        weighted[metric] = float(np.average(values[ok], weights=w)) if ok.any() and w.sum() > 0 else None
    if any(m.precision is None or m.recall is None or m.f1 is None for m in per_class):
        notes.append("Macro and weighted averages skip undefined values (scikit-learn's zero_division=nan).")
    # precision/recall/F1 averages straight from scikit-learn, so the table matches what students will run
    for average, target in (("macro", macro), ("weighted", weighted)):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=idx, sample_weight=weight, zero_division=np.nan, average=average)
        target.update(precision=_clean(p), recall=_clean(r), f1=_clean(f))

    per = tuple(per_class)
    summary = _summary(cm, names, per, accuracy, macro, weighted, pos)
    log.debug("confusion matrix %dx%d, accuracy %.3f", n, n, accuracy)
    return ConfusionMatrixResult(tuple(tuple(int(v) for v in row) for row in cm), names, per, accuracy,
                                 macro, weighted, pos, tuple(notes), summary)
