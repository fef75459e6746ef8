"""Focal loss versus binary cross-entropy: the curves, a table, and a small real experiment.

Focal loss (Lin et al., 2017) multiplies cross-entropy by ``(1 - p_t)^gamma``, where ``p_t`` is the
probability the model gives to the *true* class::

    FL(p_t) = -alpha_t * (1 - p_t)^gamma * log(p_t)        (gamma = 0, alpha_t = 1: plain BCE)

An example the model already gets right with ``p_t = 0.9`` keeps only ``0.1^2 = 1 %`` of its
cross-entropy at ``gamma = 2``, so the thousands of easy majority-class examples of an imbalanced
data set stop drowning out the few hard ones. ``alpha`` (optional) is the class weight of the
paper: ``alpha`` on positive examples, ``1 - alpha`` on negatives.

:func:`run_focal_loss` evaluates the curves, tabulates them at a few ``p_t`` values and trains the
same small torch MLP twice on a strongly imbalanced ``make_classification`` data set (about 3 %
positives), once with BCE and once with focal loss, reporting minority-class recall and precision
(sklearn, threshold 0.5) and how much of the total loss the easy examples (``p_t > 0.9``) carry.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tools.demo_inputs import (
    FOCAL_DEFAULT_GAMMAS_TEXT,
    FOCAL_MAX_GAMMA,
    FOCAL_MAX_GAMMA_TEXT_CHARS,
    FOCAL_MAX_GAMMAS,
    FOCAL_MIN_GAMMA,
    SEED_MAX,
)
from tools.errors import UserInputError

log = logging.getLogger(__name__)

MAX_GAMMAS, MIN_GAMMA, MAX_GAMMA = FOCAL_MAX_GAMMAS, FOCAL_MIN_GAMMA, FOCAL_MAX_GAMMA
MAX_GAMMA_TEXT_CHARS, DEFAULT_GAMMAS_TEXT = FOCAL_MAX_GAMMA_TEXT_CHARS, FOCAL_DEFAULT_GAMMAS_TEXT
HIGHLIGHT_GAMMA = 2.0
"""The table's and the experiment's focal column uses gamma = 2 (the paper's choice) when it is in
the list, otherwise the listed gamma closest to 2."""
MAX_SEED = SEED_MAX

TABLE_P_T = (0.1, 0.5, 0.9, 0.99)
EASY_P_T = 0.9
"""An example is "easy" when the model gives its true class a probability above this."""
CURVE_POINTS = 400
CURVE_MIN_P_T = 0.005
CURVE_MAX_P_T = 1.0
LOG_CLIP = 1e-12

# The experiment: fixed sizes keep it reproducible and well under a second of training.
EXPERIMENT_SAMPLES = 4000
EXPERIMENT_FEATURES = 10
EXPERIMENT_POSITIVE_SHARE = 0.03
EXPERIMENT_TEST_SHARE = 0.5
EXPERIMENT_HIDDEN_UNITS = 16
EXPERIMENT_STEPS = 300
EXPERIMENT_LEARNING_RATE = 0.02
DECISION_THRESHOLD = 0.5
SMALL_RECALL_CHANGE = 0.05

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
_SEPARATORS = re.compile(r"[,;\s]+")

GAMMA_FORM = (f"up to {MAX_GAMMAS} numbers from {MIN_GAMMA:g} to {MAX_GAMMA:g} separated by commas "
              f"or spaces, e.g. \"{DEFAULT_GAMMAS_TEXT}\"")


# --------------------------------------------------------------------------- validation

def parse_gammas(text: str | Sequence[float]) -> tuple[float, ...]:
    """Parse ``"0, 0.5 1,2"`` into sorted, de-duplicated floats; never ``eval``.

    A sequence of numbers is validated the same way (bounds, count).
    """
    if isinstance(text, str):
        if len(text) > MAX_GAMMA_TEXT_CHARS:
            raise UserInputError(f"gammas text is {len(text):,} characters; expected {GAMMA_FORM}")
        tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
        if not tokens:
            raise UserInputError(f"no gamma values given; expected {GAMMA_FORM}")
        values: list[float] = []
        for token in tokens:
            if not _NUMBER.fullmatch(token):
                raise UserInputError(f"gamma {token[:20]!r} is not a number; expected {GAMMA_FORM}")
            values.append(float(token))
    else:
        try:
            values = [float(v) for v in text]
        except (TypeError, ValueError):
            raise UserInputError(f"gammas must be numbers; expected {GAMMA_FORM}") from None
        if not values:
            raise UserInputError(f"no gamma values given; expected {GAMMA_FORM}")
    for value in values:
        if not (math.isfinite(value) and MIN_GAMMA <= value <= MAX_GAMMA):
            raise UserInputError(f"gamma {value:g} is out of range; expected {GAMMA_FORM}")
    unique = sorted(set(values))
    if len(unique) > MAX_GAMMAS:
        raise UserInputError(f"{len(unique)} gamma values given; expected {GAMMA_FORM}")
    return tuple(unique)


def validate_alpha(alpha: float | None) -> float | None:
    if alpha is None:
        return None
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha) \
            or not 0.0 < alpha <= 1.0:
        raise UserInputError(f"alpha must be a number in (0, 1], the weight on positive examples "
                             f"(negatives get 1 - alpha), e.g. 0.25 (got {alpha!r})")
    return float(alpha)


def validate_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UserInputError(f"seed must be a whole number from 0 to {MAX_SEED} (got {seed!r})")
    return seed


# --------------------------------------------------------------------------- the loss itself

def focal_loss_np(p_t: np.ndarray | float, gamma: float, alpha: float = 1.0) -> np.ndarray:
    """``-alpha (1 - p_t)^gamma log(p_t)`` elementwise (the hand formula; ``gamma = 0`` is BCE)."""
    p = np.clip(np.asarray(p_t, dtype=np.float64), LOG_CLIP, 1.0)
    return -alpha * np.power(1.0 - p, gamma) * np.log(p)


def focal_loss_torch(logits: torch.Tensor, targets: torch.Tensor, gamma: float,
                     alpha: float | None = None) -> torch.Tensor:
    """Per-example focal loss from logits, numerically stable, for training (no reduction).

    Works in log space: ``log p_t = logsigmoid(z_t)`` and ``(1 - p_t)^gamma =
    exp(gamma * logsigmoid(-z_t))`` with ``z_t = z`` for positives and ``-z`` for negatives, so
    the gradient stays finite even for ``gamma < 1`` at ``p_t -> 1``.
    """
    z_t = torch.where(targets > 0.5, logits, -logits)
    loss = -F.logsigmoid(z_t)
    if gamma > 0:
        loss = loss * torch.exp(gamma * F.logsigmoid(-z_t))
    if alpha is not None:
        # full_like keeps the logits' dtype (a bare Python float would make a float32 tensor)
        loss = loss * torch.where(targets > 0.5, torch.full_like(loss, alpha), torch.full_like(loss, 1.0 - alpha))
    return loss


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class FocalCurve:
    gamma: float
    values: tuple[float, ...]  # loss on the p_t grid


@dataclass(frozen=True)
class TableRow:
    p_t: float
    bce: float
    focal: float  # at the highlighted gamma, alpha applied
    by_gamma: tuple[tuple[float, float], ...]  # (gamma, focal loss) for every requested gamma

    def to_dict(self) -> dict[str, object]:
        return {
            "p_t": self.p_t,
            "bce": self.bce,
            "focal": self.focal,
            "focal_over_bce": self.focal / self.bce if self.bce > 0 else None,
            "focal_by_gamma": {f"{g:g}": v for g, v in self.by_gamma},
        }


@dataclass(frozen=True)
class TrainingRun:
    loss: str  # "bce" or "focal"
    gamma: float
    recall: float  # minority class, test set, threshold 0.5
    precision: float
    average_precision: float  # threshold-free, test set
    predicted_positives: int
    easy_fraction: float  # share of training examples with p_t > EASY_P_T at the end
    easy_loss_share: float  # their share of the total training loss (under this run's own loss)
    final_loss: float  # mean training loss at the end

    def to_dict(self) -> dict[str, object]:
        return {
            "loss": self.loss,
            "gamma": self.gamma,
            "recall": self.recall,
            "precision": self.precision,
            "average_precision": self.average_precision,
            "predicted_positives": self.predicted_positives,
            "easy_fraction": self.easy_fraction,
            "easy_loss_share": self.easy_loss_share,
            "final_loss": self.final_loss,
        }


@dataclass(frozen=True)
class Experiment:
    n_train: int
    n_test: int
    positive_rate: float
    test_positives: int
    model: str
    steps: int
    learning_rate: float
    alpha: float | None
    runs: tuple[TrainingRun, ...]  # BCE first, then focal at the highlighted gamma
    same_model_easy_share_bce: float  # BCE-trained model: easy share of its BCE loss...
    same_model_easy_share_focal: float  # ...and of the focal loss of the very same predictions

    def to_dict(self) -> dict[str, object]:
        return {
            "data": "sklearn make_classification, standardized",
            "n_train": self.n_train,
            "n_test": self.n_test,
            "positive_rate": self.positive_rate,
            "test_positives": self.test_positives,
            "model": self.model,
            "optimizer": f"Adam, full batch, {self.steps} steps, lr {self.learning_rate:g}",
            "alpha": self.alpha,
            "threshold": DECISION_THRESHOLD,
            "easy_p_t": EASY_P_T,
            "runs": [r.to_dict() for r in self.runs],
            "bce_model_easy_loss_share": {"bce": self.same_model_easy_share_bce,
                                          "focal": self.same_model_easy_share_focal},
        }


@dataclass(frozen=True)
class FocalLossResult:
    gammas: tuple[float, ...]
    highlight_gamma: float
    alpha: float | None
    seed: int
    grid: tuple[float, ...]  # p_t values of the curves
    curves: tuple[FocalCurve, ...]
    table: tuple[TableRow, ...]
    experiment: Experiment
    summary: str

    def to_dict(self) -> dict[str, object]:
        return {
            "gammas": list(self.gammas),
            "highlight_gamma": self.highlight_gamma,
            "alpha": self.alpha,
            "seed": self.seed,
            "table": [row.to_dict() for row in self.table],
            "experiment": self.experiment.to_dict(),
            "summary": self.summary,
        }


# --------------------------------------------------------------------------- experiment

class _SmallMLP:
    """``d -> hidden (ReLU) -> 1`` with explicit tensors and a seeded generator (no global RNG)."""

    def __init__(self, n_in: int, hidden: int, seed: int) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.params = [
            (torch.randn(n_in, hidden, generator=gen, dtype=torch.float64) * math.sqrt(2.0 / n_in)),
            torch.zeros(hidden, dtype=torch.float64),
            (torch.randn(hidden, 1, generator=gen, dtype=torch.float64) * math.sqrt(1.0 / hidden)),
            torch.zeros(1, dtype=torch.float64),
        ]
        for p in self.params:
            p.requires_grad_(True)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        w1, b1, w2, b2 = self.params
        return (torch.relu(x @ w1 + b1) @ w2 + b2).squeeze(1)


def _train(x: torch.Tensor, y: torch.Tensor, gamma: float, alpha: float | None, seed: int) -> _SmallMLP:
    """Full-batch Adam (written out: the update is five lines and starts instantly)."""
    model = _SmallMLP(x.shape[1], EXPERIMENT_HIDDEN_UNITS, seed)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    m = [torch.zeros_like(p) for p in model.params]
    v = [torch.zeros_like(p) for p in model.params]
    for step in range(1, EXPERIMENT_STEPS + 1):
        loss = focal_loss_torch(model(x), y, gamma, alpha).mean()
        grads = torch.autograd.grad(loss, model.params)
        with torch.no_grad():
            for p, g, m_i, v_i in zip(model.params, grads, m, v):
                m_i.mul_(beta1).add_(g, alpha=1 - beta1)
                v_i.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m_hat = m_i / (1 - beta1**step)
                v_hat = v_i / (1 - beta2**step)
                p.sub_(EXPERIMENT_LEARNING_RATE * m_hat / (v_hat.sqrt() + eps))
    return model


def _easy_share(losses: np.ndarray, easy: np.ndarray) -> float:
    total = float(losses.sum())
    return float(losses[easy].sum() / total) if total > 0 else 0.0


def _run_experiment(gamma: float, alpha: float | None, seed: int) -> Experiment:
    from sklearn.datasets import make_classification
    from sklearn.metrics import average_precision_score, precision_score, recall_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x_all, y_all = make_classification(
        n_samples=EXPERIMENT_SAMPLES, n_features=EXPERIMENT_FEATURES, n_informative=5, n_redundant=2,
        weights=[1 - EXPERIMENT_POSITIVE_SHARE], flip_y=0.0, class_sep=0.8, random_state=seed)
    x_tr, x_te, y_tr, y_te = train_test_split(x_all, y_all, test_size=EXPERIMENT_TEST_SHARE,
                                              stratify=y_all, random_state=seed)
    scaler = StandardScaler().fit(x_tr)
    xt = torch.tensor(scaler.transform(x_tr), dtype=torch.float64)
    xe = torch.tensor(scaler.transform(x_te), dtype=torch.float64)
    yt = torch.tensor(y_tr, dtype=torch.float64)

    runs: list[TrainingRun] = []
    bce_model_logits: torch.Tensor | None = None
    for name, g in (("bce", 0.0), ("focal", gamma)):
        # BCE is the gamma = 0, alpha-free baseline; focal gets the user's alpha.
        run_alpha = None if name == "bce" else alpha
        model = _train(xt, yt, g, run_alpha, seed)
        with torch.no_grad():
            train_logits = model(xt)
            train_loss = focal_loss_torch(train_logits, yt, g, run_alpha).numpy()
            p_test = torch.sigmoid(model(xe)).numpy()
        p_t = torch.sigmoid(torch.where(yt > 0.5, train_logits, -train_logits)).numpy()
        easy = p_t > EASY_P_T
        pred = (p_test >= DECISION_THRESHOLD).astype(int)
        runs.append(TrainingRun(
            loss=name, gamma=g,
            recall=float(recall_score(y_te, pred, zero_division=0)),
            precision=float(precision_score(y_te, pred, zero_division=0)),
            average_precision=float(average_precision_score(y_te, p_test)),
            predicted_positives=int(pred.sum()),
            easy_fraction=float(easy.mean()),
            easy_loss_share=_easy_share(train_loss, easy),
            final_loss=float(train_loss.mean()),
        ))
        if name == "bce":
            bce_model_logits = train_logits
    assert bce_model_logits is not None
    with torch.no_grad():
        p_t_bce = torch.sigmoid(torch.where(yt > 0.5, bce_model_logits, -bce_model_logits)).numpy()
        easy_bce = p_t_bce > EASY_P_T
        share_bce = _easy_share(focal_loss_torch(bce_model_logits, yt, 0.0).numpy(), easy_bce)
        share_focal = _easy_share(focal_loss_torch(bce_model_logits, yt, gamma, alpha).numpy(), easy_bce)
    return Experiment(
        n_train=len(y_tr), n_test=len(y_te), positive_rate=float(y_all.mean()), test_positives=int(y_te.sum()),
        model=f"MLP {EXPERIMENT_FEATURES}-{EXPERIMENT_HIDDEN_UNITS}-1 (ReLU), float64",
        steps=EXPERIMENT_STEPS, learning_rate=EXPERIMENT_LEARNING_RATE, alpha=alpha,
        runs=tuple(runs), same_model_easy_share_bce=share_bce, same_model_easy_share_focal=share_focal,
    )


# --------------------------------------------------------------------------- entry point

def _pick_highlight(gammas: tuple[float, ...]) -> float:
    return min(gammas, key=lambda g: (abs(g - HIGHLIGHT_GAMMA), -g))


def _times_smaller(bce: float, focal: float) -> str:
    return "infinitely" if focal <= 0 else f"{bce / focal:,.3g}×"


def _summary(highlight: float, alpha: float | None, table: tuple[TableRow, ...], exp: Experiment) -> str:
    easy_row = next(r for r in table if r.p_t == EASY_P_T)
    hard_row = table[0]
    bce_run, focal_run = exp.runs
    name = f"γ = {highlight:g}" + ("" if alpha is None else f", α = {alpha:g}")
    text = (
        f"At p_t = {EASY_P_T:g} (an easy example) focal loss with {name} is {easy_row.focal:.3g} versus "
        f"BCE {easy_row.bce:.3g}: {_times_smaller(easy_row.bce, easy_row.focal)} smaller; at p_t = "
        f"{hard_row.p_t:g} (a hard one) only {_times_smaller(hard_row.bce, hard_row.focal)}. "
        f"Training the same small MLP on an imbalanced data set ({exp.positive_rate:.0%} positives): with "
        f"BCE, easy examples (p_t > {EASY_P_T:g}) are {bce_run.easy_fraction:.0%} of the training set yet carry "
        f"{bce_run.easy_loss_share:.1%} of the loss; with focal loss they are {focal_run.easy_fraction:.0%} "
        f"and carry {focal_run.easy_loss_share:.1%}, so the gradient goes to the hard ones. "
        f"Minority-class recall at threshold {DECISION_THRESHOLD:g}: BCE {bce_run.recall:.2f} → focal "
        f"{focal_run.recall:.2f}; precision {bce_run.precision:.2f} → {focal_run.precision:.2f} "
        f"(test set, {exp.test_positives} positives)."
    )
    if abs(focal_run.recall - bce_run.recall) < SMALL_RECALL_CHANGE and highlight > 0:
        text += (" A small change here: focal loss reweights what the model learns from; the threshold "
                 "still decides how many positives it flags.")
    if alpha == 1.0:
        text += " With α = 1 negatives get weight 0, so nothing pushes the model to say \"negative\"."
    elif highlight == 0.0:
        text += " (γ = 0 is plain BCE, so both runs use the same loss.)"
    return text


def run_focal_loss(gammas: str | Sequence[float] = DEFAULT_GAMMAS_TEXT, alpha: float | None = None,
                   seed: int = 0) -> FocalLossResult:
    gamma_values = parse_gammas(gammas)
    alpha = validate_alpha(alpha)
    seed = validate_seed(seed)
    a = 1.0 if alpha is None else alpha
    highlight = _pick_highlight(gamma_values)

    grid = np.linspace(CURVE_MIN_P_T, CURVE_MAX_P_T, CURVE_POINTS)
    curves = tuple(FocalCurve(g, tuple(float(v) for v in focal_loss_np(grid, g, a))) for g in gamma_values)
    table = tuple(
        TableRow(
            p_t=p,
            bce=float(focal_loss_np(p, 0.0)),
            focal=float(focal_loss_np(p, highlight, a)),
            by_gamma=tuple((g, float(focal_loss_np(p, g, a))) for g in gamma_values),
        )
        for p in TABLE_P_T
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest and fair on a shared machine
    try:
        experiment = _run_experiment(highlight, alpha, seed)
    finally:
        torch.set_num_threads(threads)
    log.debug("focal loss demo: gammas=%s alpha=%s seed=%d", gamma_values, alpha, seed)
    return FocalLossResult(
        gammas=gamma_values, highlight_gamma=highlight, alpha=alpha, seed=seed,
        grid=tuple(float(p) for p in grid), curves=curves, table=table, experiment=experiment,
        summary=_summary(highlight, alpha, table, experiment),
    )
