"""Hyperparameter tuning: grid vs random vs Bayesian search on the same 2-D space.

The model is an RBF-kernel SVM on half of scikit-learn's handwritten digits (899 images of
8×8 pixels, scaled to [0, 1]); each trial scores one ``(C, gamma)`` pair by 3-fold
cross-validated accuracy. Three optuna studies get the same budget of trials:

* **grid** — :class:`optuna.samplers.GridSampler` over a log-spaced ``n_C × n_gamma`` grid (cell
  centres) with at least ``budget`` points, visited in a seeded random order (any extra points
  stay unvisited);
* **random** — :class:`optuna.samplers.RandomSampler`, log-uniform in both parameters;
* **bayesian** — :class:`optuna.samplers.TPESampler` (Tree-structured Parzen Estimator).

Cross-validation folds are deterministic (stratified, unshuffled), the SVM has no randomness and
every sampler is seeded, so the same seed gives the same trials and scores.

A reference map of the true score surface (a fine grid computed once, offline, by
:func:`compute_reference_surface`) ships in ``tools/data/tuning_surface.json`` for the plot's
background; it is only drawn when it matches the current search space.
"""

from __future__ import annotations

import json
import logging
import math
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import UserInputError

log = logging.getLogger(__name__)

MIN_BUDGET_TRIALS = 5
MAX_BUDGET_TRIALS = 200
DEFAULT_BUDGET_TRIALS = 30
MAX_SEED = 999_999  # the registry prints bounds with :g, so keep it below 10**6
CV_FOLDS = 3
C_RANGE = (1e-2, 1e3)
GAMMA_RANGE = (1e-4, 1e1)
MAX_GRID_ASPECT = 1.5  # the grid is at most 1.5× longer along gamma than along C
DATASET = "digits[::2]"  # every second image of sklearn's load_digits: 899 samples, 10 classes
STRATEGIES = ("grid", "random", "bayesian")
STRATEGY_LABELS = {"grid": "Grid search", "random": "Random search", "bayesian": "Bayesian (TPE)"}
SHORT_LABELS = {"grid": "grid", "random": "random", "bayesian": "Bayesian/TPE"}
NEAR_BEST_TOLERANCE = 0.005  # "reached the best" = within half an accuracy point of the best found
SURFACE_PATH = Path(__file__).resolve().parent / "data" / "tuning_surface.json"


@dataclass(frozen=True)
class Trial:
    number: int
    C: float
    gamma: float
    score: float  # mean CV accuracy

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "params": {"C": self.C, "gamma": self.gamma}, "score": self.score}


@dataclass(frozen=True)
class StrategyResult:
    name: str
    trials: tuple[Trial, ...]
    best_score: float
    best_C: float
    best_gamma: float
    wall_time_s: float

    @property
    def best_params(self) -> dict[str, float]:
        return {"C": self.best_C, "gamma": self.best_gamma}

    @property
    def best_so_far(self) -> np.ndarray:
        return np.maximum.accumulate(np.array([t.score for t in self.trials]))

    def trials_to_reach(self, target: float) -> int | None:
        """1-based trial count at which best-so-far first reached ``target`` (None if never)."""
        hits = np.flatnonzero(self.best_so_far >= target)
        return int(hits[0]) + 1 if hits.size else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_score": self.best_score,
            "best_params": self.best_params,
            "trials": [t.to_dict() for t in self.trials],
            "wall_time_s": round(self.wall_time_s, 3),
        }


@dataclass(frozen=True)
class ScoreSurface:
    """Mean CV accuracy on a fine log grid: ``scores[i, j]`` is at ``gamma[i]``, ``C[j]``."""

    C: tuple[float, ...]
    gamma: tuple[float, ...]
    scores: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class TuningResult:
    budget: int
    seed: int
    grid_C: tuple[float, ...]
    grid_gamma: tuple[float, ...]
    strategies: dict[str, StrategyResult]
    total_wall_time_s: float
    surface: ScoreSurface | None
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategies": {name: self.strategies[name].to_dict() for name in STRATEGIES},
            "summary": self.summary,
        }


# --------------------------------------------------------------------------- validation


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise UserInputError(f"{name} must be a whole number from {low} to {high:,} (got {value!r})")
    return int(value)


# --------------------------------------------------------------------------- the problem


@lru_cache(maxsize=1)
def load_data() -> tuple[np.ndarray, np.ndarray]:
    """The fixed data set: every second digit image, pixel values scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[::2] / 16.0, y[::2]


def cv_accuracy(C: float, gamma: float) -> float:
    """Mean 3-fold cross-validated accuracy of ``SVC(C, gamma)`` on :func:`load_data`."""
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    X, y = load_data()
    return float(cross_val_score(SVC(C=C, gamma=gamma), X, y, cv=CV_FOLDS).mean())


def log_grid(low: float, high: float, n: int) -> tuple[float, ...]:
    """``n ≥ 2`` log-spaced values from ``low`` to ``high`` inclusive (4 significant digits)."""
    values = np.logspace(math.log10(low), math.log10(high), n)
    return tuple(float(np.clip(float(f"{v:.4g}"), low, high)) for v in values)


def grid_values(low: float, high: float, n: int) -> tuple[float, ...]:
    """The grid-search values: centres of ``n`` equal log-width cells spanning ``[low, high]``.

    Cell centres rather than end points: the edges of a search range are rarely the best, and
    a grid with end points spends ``2n − 1`` of its ``n²`` points on the border.
    """
    lo, hi = math.log10(low), math.log10(high)
    centres = lo + (np.arange(n) + 0.5) * (hi - lo) / n
    return tuple(float(np.clip(float(f"{10 ** c:.4g}"), low, high)) for c in centres)


def grid_shape(budget: int) -> tuple[int, int]:
    """``(n_C, n_gamma)``: the smallest near-square grid with at least ``budget`` points.

    Among grids with ``n_C ≤ n_gamma ≤ MAX_GRID_ASPECT · n_C`` pick the fewest points, then the
    squarest (gamma gets the longer side: it matters more for an RBF kernel).
    """
    best: tuple[int, int, int] | None = None
    for n_c in range(1, budget + 1):
        n_g = max(n_c, math.ceil(budget / n_c))
        if n_g > MAX_GRID_ASPECT * n_c:
            continue
        key = (n_c * n_g, n_g - n_c, n_c)
        if best is None or key[:2] < best[:2]:
            best = key
    assert best is not None
    n_c = best[2]
    return n_c, best[0] // n_c


def strategy_seeds(seed: int) -> dict[str, int]:
    """Independent sampler seeds for the three strategies, derived from one user seed."""
    children = np.random.SeedSequence(seed).spawn(len(STRATEGIES))
    return {name: int(child.generate_state(1)[0]) for name, child in zip(STRATEGIES, children)}


def _make_sampler(strategy: str, seed: int, budget: int, grid_c, grid_g):
    import optuna

    if strategy == "grid":
        return optuna.samplers.GridSampler({"C": list(grid_c), "gamma": list(grid_g)}, seed=seed)
    if strategy == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    # TPE needs a few random start-up trials; scale them with small budgets.
    startup = max(3, min(10, budget // 3))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)


def _run_strategy(strategy: str, budget: int, seed: int, grid_c, grid_g) -> StrategyResult:
    import optuna

    def objective(trial: "optuna.Trial") -> float:
        C = trial.suggest_float("C", *C_RANGE, log=True)
        gamma = trial.suggest_float("gamma", *GAMMA_RANGE, log=True)
        return cv_accuracy(C, gamma)

    sampler = _make_sampler(strategy, seed, budget, grid_c, grid_g)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    start = time.perf_counter()
    study.optimize(objective, n_trials=budget)
    elapsed = time.perf_counter() - start
    trials = tuple(
        Trial(t.number, float(t.params["C"]), float(t.params["gamma"]), float(t.value))
        for t in study.trials
        if t.state == optuna.trial.TrialState.COMPLETE
    )
    best = study.best_trial
    log.debug("%s: best %.4f at %s in %.2f s", strategy, best.value, best.params, elapsed)
    return StrategyResult(strategy, trials, float(best.value), float(best.params["C"]),
                          float(best.params["gamma"]), elapsed)


# --------------------------------------------------------------------------- reference surface


def compute_reference_surface(n: int = 26) -> ScoreSurface:
    """The true score on an ``n × n`` log grid (slow: ``n²`` CV fits; run offline)."""
    cs, gs = log_grid(*C_RANGE, n), log_grid(*GAMMA_RANGE, n)
    scores = tuple(tuple(round(cv_accuracy(c, g), 5) for c in cs) for g in gs)
    return ScoreSurface(cs, gs, scores)


@lru_cache(maxsize=1)
def load_reference_surface(path: Path = SURFACE_PATH) -> ScoreSurface | None:
    """The bundled map, or None when missing or computed for a different problem."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if (payload["dataset"] != DATASET or payload["cv_folds"] != CV_FOLDS
                or tuple(payload["C_range"]) != C_RANGE or tuple(payload["gamma_range"]) != GAMMA_RANGE):
            log.warning("tuning surface %s is for a different search space; plotting without it", path)
            return None
        return ScoreSurface(tuple(payload["C"]), tuple(payload["gamma"]),
                            tuple(tuple(row) for row in payload["scores"]))
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("tuning surface %s is missing or unreadable; plotting without it", path)
        return None


# --------------------------------------------------------------------------- entry point


def run_tuning(budget: int = DEFAULT_BUDGET_TRIALS, seed: int = 0) -> TuningResult:
    """Run grid, random and TPE search with ``budget`` trials each."""
    budget = _check_int("budget", budget, MIN_BUDGET_TRIALS, MAX_BUDGET_TRIALS)
    seed = _check_int("seed", seed, 0, MAX_SEED)

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    n_c, n_g = grid_shape(budget)
    grid_c, grid_g = grid_values(*C_RANGE, n_c), grid_values(*GAMMA_RANGE, n_g)
    load_data()  # not timed: loading is shared by all three strategies

    # One independent seed per strategy: with a shared seed TPE's random start-up trials would
    # be exactly the random search's first trials.
    seeds = strategy_seeds(seed)
    start = time.perf_counter()
    results: dict[str, StrategyResult] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=optuna.exceptions.ExperimentalWarning)
        for strategy in STRATEGIES:
            results[strategy] = _run_strategy(strategy, budget, seeds[strategy], grid_c, grid_g)
    total = time.perf_counter() - start
    summary = _summarise(results, budget, n_c, n_g, total)
    return TuningResult(budget, seed, grid_c, grid_g, results, total, load_reference_surface(), summary)


def _summarise(results: dict[str, StrategyResult], budget: int, n_c: int, n_g: int, total: float) -> str:
    overall = max(r.best_score for r in results.values())
    best = "; ".join(f"{SHORT_LABELS[s]} {results[s].best_score:.2%} (C={results[s].best_C:.3g}, "
                     f"γ={results[s].best_gamma:.3g})" for s in STRATEGIES)
    reach = []
    for s in STRATEGIES:
        n = results[s].trials_to_reach(overall - NEAR_BEST_TOLERANCE)
        reach.append(f"{SHORT_LABELS[s]} {'never' if n is None else n}")
    grid_note = (f"all {budget} points of a {n_c}×{n_g} log grid" if n_c * n_g == budget
                 else f"{budget} of the {n_c * n_g} points of a {n_c}×{n_g} log grid")
    return (
        f"Tuned an RBF SVM's C and gamma on 899 handwritten digits (3-fold CV accuracy), "
        f"{budget} trials per strategy; grid search tried {grid_note}. "
        f"Best accuracy: {best}. "
        f"Trials needed to get within {NEAR_BEST_TOLERANCE * 100:.1f} points of the overall best: "
        f"{', '.join(reach)}. All {3 * budget} trials took {total:.1f} s."
    )
