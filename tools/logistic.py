"""Logistic regression coefficients, odds ratios and log loss, read in plain language.

The model: ``P(y = 1 | x) = σ(b + β·x)``, so ``log odds = b + β·x`` and one more unit of feature
``j`` (others fixed) *multiplies the odds* by ``exp(β_j)``: the odds ratio.

:func:`run_logistic` standardizes the features (sklearn ``StandardScaler``), fits sklearn
``LogisticRegression`` (L2, ``C = 1``) and reports each coefficient two ways — the *same* fitted
model, not two fits:

* per standard deviation (``std_coef``, ``std_odds_ratio``): comparable across features;
* per original unit (``coef = std_coef / σ_j``, ``odds_ratio``): what "one more mm" does, but
  not comparable across features measured in different units.

The log loss is computed from its definition, ``-mean(y log p + (1 - y) log(1 - p))`` with ``p``
clipped to ``[ε, 1 - ε]`` (``ε`` = float64 machine epsilon, like sklearn), and reported next to
``sklearn.metrics.log_loss`` as a check. Data: sklearn's bundled breast-cancer, iris and wine sets
(made binary) or a user's CSV via :mod:`tools.csv_loader`.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np

from tools.csv_loader import load_binary_csv
from tools.errors import UserInputError

log = logging.getLogger(__name__)

DATASETS = ("breast_cancer", "iris_binary", "wine_binary")
DEFAULT_DATASET = "breast_cancer"
REGULARIZATION_C = 1.0
MAX_SOLVER_ITERATIONS = 1000
TABLE_TOP_FEATURES = 8
SUMMARY_TOP_FEATURES = 2
CLIP_EPS = float(np.finfo(np.float64).eps)
MAX_ABS_FEATURE_VALUE = 1e100
HIGH_CORRELATION = 0.9


@dataclass(frozen=True)
class Coefficient:
    feature: str
    coef: float  # per original unit
    odds_ratio: float
    std_coef: float  # per standard deviation
    std_odds_ratio: float
    sd: float  # the feature's standard deviation (one "standard unit" in original units)

    def to_dict(self) -> dict[str, object]:
        return {"feature": self.feature, "coef": self.coef, "odds_ratio": self.odds_ratio,
                "std_coef": self.std_coef, "std_odds_ratio": self.std_odds_ratio}


@dataclass(frozen=True)
class LogisticResult:
    dataset: str
    target: str
    positive_label: str
    negative_label: str
    outcome: str  # the positive class as sentences name it: "malignant", "passed = 'yes'"
    n_rows: int
    coefficients: tuple[Coefficient, ...]  # all features, sorted by |std_coef| (largest first)
    intercept: float  # on standardized features: log odds at the average example
    log_loss: float  # from the definition
    log_loss_sklearn: float
    accuracy: float  # training set, threshold 0.5
    logits: tuple[float, ...]  # b + β·x per example
    probabilities: tuple[float, ...]
    labels: tuple[int, ...]
    notes: tuple[str, ...]
    summary: str

    def example_losses(self) -> np.ndarray:
        return per_example_log_loss(np.asarray(self.labels), np.asarray(self.probabilities))

    def to_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "coefficients": [c.to_dict() for c in self.coefficients],
            "log_loss": self.log_loss,
            "log_loss_sklearn": self.log_loss_sklearn,
            "accuracy": self.accuracy,
            "summary": self.summary,
        }


def per_example_log_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``-(y log p + (1 - y) log(1 - p))`` with ``p`` clipped to ``[ε, 1 - ε]``."""
    p = np.clip(np.asarray(p, dtype=np.float64), CLIP_EPS, 1.0 - CLIP_EPS)
    y = np.asarray(y, dtype=np.float64)
    return -(y * np.log(p) + (1.0 - y) * np.log1p(-p))


def log_loss_from_definition(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(per_example_log_loss(y, p)))


@dataclass(frozen=True)
class _Data:
    name: str
    x: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    target: str
    positive: str
    negative: str
    notes: tuple[str, ...]
    outcome: str = ""  # how sentences name the positive class ("malignant", "passed = yes")

    @property
    def event(self) -> str:
        return self.outcome or self.positive


def _bundled(name: str) -> _Data:
    from sklearn import datasets

    if name == "breast_cancer":
        bunch = datasets.load_breast_cancer()
        y = (bunch.target == 0).astype(np.int64)  # 0 = malignant in sklearn's encoding
        return _Data(name, bunch.data, y, tuple(bunch.feature_names), "diagnosis", "malignant", "benign", ())
    if name == "iris_binary":
        bunch = datasets.load_iris()
        y = (bunch.target == 2).astype(np.int64)
        return _Data(name, bunch.data, y, tuple(bunch.feature_names), "species", "virginica", "setosa or versicolor", ())
    if name == "wine_binary":
        bunch = datasets.load_wine()
        y = (bunch.target == 0).astype(np.int64)
        return _Data(name, bunch.data, y, tuple(bunch.feature_names), "cultivar", "cultivar 1",
                     "cultivar 2 or 3", ())
    raise UserInputError(f"unknown dataset {name[:40]!r}; choose one of {' | '.join(DATASETS)}")


def _from_csv(data: bytes, filename: str, target: str | None) -> _Data:
    table = load_binary_csv(data, target, filename)
    return _Data(f"upload:{filename}", table.x, table.y, table.feature_names, table.target,
                 table.positive_label, table.negative_label, table.notes,
                 outcome=f"{table.target} = {table.positive_label}")


def _odds_phrase(ratio: float) -> str:
    if not math.isfinite(ratio):
        return "by more than 10^300"
    if ratio >= 1:
        return f"by {_fmt(ratio)}"
    return f"by {_fmt(ratio)} (cuts them by {1 - ratio:.0%})"


def _fmt(value: float) -> str:
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}"
    return f"{value:.2e}"


def reading(c: Coefficient, positive: str, standardized: bool) -> str:
    """One plain-language sentence for a coefficient."""
    if standardized:
        return (f"one standard deviation more {c.feature} (+{_fmt(c.sd)}) multiplies the odds of "
                f"{positive} {_odds_phrase(c.std_odds_ratio)}")
    return f"one more unit of {c.feature} multiplies the odds of {positive} {_odds_phrase(c.odds_ratio)}"


def _strongest_correlation(x: np.ndarray, features: tuple[str, ...]) -> tuple[str, str, float] | None:
    if x.shape[1] < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(x, rowvar=False)
    corr = np.nan_to_num(np.abs(corr) * (1 - np.eye(len(corr))))
    i, j = np.unravel_index(int(np.argmax(corr)), corr.shape)
    return features[i], features[j], float(corr[i, j])


def _summary(d: _Data, coefs: tuple[Coefficient, ...], ll: float, acc: float) -> str:
    top = coefs[:SUMMARY_TOP_FEATURES]
    lines = [
        f"Logistic regression predicting {d.target} = {d.positive} (vs {d.negative}) from {len(d.features)} "
        f"features, {len(d.y)} rows: training accuracy {acc:.1%}, log loss {ll:.3f} "
        f"(always answering 50% would score {math.log(2):.3f}).",
        "Holding the other features fixed, "
        + "; ".join(reading(c, d.event, True) for c in top) + ".",
    ]
    if len(top) >= 2:
        a, b = top[0], top[1]
        lines.append(f"Per original unit: {reading(a, d.event, False)} ({b.feature}: ×{_fmt(b.odds_ratio)}), "
                     f"because one SD of each is {_fmt(a.sd)} and {_fmt(b.sd)} units; compare features per SD, "
                     "not per unit.")
    pair = _strongest_correlation(d.x, d.features)
    if pair is not None and pair[2] >= HIGH_CORRELATION:
        lines.append(f"Some features move together ({pair[0]} and {pair[1]}: |r| = {pair[2]:.2f}), so the model "
                     "splits credit between them: read coefficients as associations, not causes.")
    if d.notes:
        lines.append("Note: " + "; ".join(d.notes) + ".")
    return " ".join(lines)


def run_logistic(dataset: str = DEFAULT_DATASET, csv_data: bytes | None = None, csv_name: str = "data.csv",
                 target: str | None = None) -> LogisticResult:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.preprocessing import StandardScaler

    if csv_data is not None:
        d = _from_csv(csv_data, csv_name, target)
    else:
        if target is not None and str(target).strip():
            raise UserInputError("target only applies to an uploaded CSV; attach a file (or pick a dataset "
                                 f"without target: {' | '.join(DATASETS)})")
        if dataset not in DATASETS:
            raise UserInputError(f"unknown dataset {str(dataset)[:40]!r}; choose one of {' | '.join(DATASETS)}")
        d = _bundled(dataset)

    x, y = d.x, d.y
    if np.any(np.abs(x) > MAX_ABS_FEATURE_VALUE):
        raise UserInputError(f"some feature values exceed {MAX_ABS_FEATURE_VALUE:g} in size; rescale them first")
    sd = x.std(axis=0)
    constant = sd == 0
    notes = list(d.notes)
    features = d.features
    if constant.any():
        dropped = [f for f, c in zip(features, constant) if c]
        if constant.all():
            raise UserInputError("every feature column is constant, so there is nothing to learn from")
        notes.append(f"dropped {len(dropped)} constant column(s): {', '.join(dropped[:8])}")
        x = x[:, ~constant]
        features = tuple(f for f, c in zip(features, constant) if not c)
    d = _Data(d.name, x, y, features, d.target, d.positive, d.negative, tuple(notes), d.outcome)

    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    model = LogisticRegression(C=REGULARIZATION_C, max_iter=MAX_SOLVER_ITERATIONS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(xs, y)
    if any("converge" in str(w.message).lower() for w in caught):
        notes.append(f"the solver stopped at {MAX_SOLVER_ITERATIONS} iterations before fully converging")
        d = _Data(d.name, x, y, features, d.target, d.positive, d.negative, tuple(notes), d.outcome)

    beta_std = model.coef_[0]
    beta_raw = beta_std / scaler.scale_
    with np.errstate(over="ignore"):
        coefs = [Coefficient(str(f), float(br), float(np.exp(br)), float(bs), float(np.exp(bs)), float(s))
                 for f, br, bs, s in zip(features, beta_raw, beta_std, scaler.scale_)]
    coefs.sort(key=lambda c: -abs(c.std_coef))

    logits = model.decision_function(xs)
    p = model.predict_proba(xs)[:, 1]
    ll = log_loss_from_definition(y, p)
    ll_sk = float(log_loss(y, p, labels=[0, 1]))
    acc = float(accuracy_score(y, (p >= 0.5).astype(int)))
    log.debug("logistic %s: n=%d d=%d log loss %.4f", d.name, len(y), len(features), ll)
    return LogisticResult(
        dataset=d.name, target=d.target, positive_label=d.positive, negative_label=d.negative,
        outcome=d.event, n_rows=len(y),
        coefficients=tuple(coefs), intercept=float(model.intercept_[0]), log_loss=ll, log_loss_sklearn=ll_sk,
        accuracy=acc, logits=tuple(float(v) for v in logits), probabilities=tuple(float(v) for v in p),
        labels=tuple(int(v) for v in y), notes=tuple(notes), summary=_summary(d, tuple(coefs), ll, acc),
    )
