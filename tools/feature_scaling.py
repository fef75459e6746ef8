"""Why feature scaling matters for gradient descent, with the numbers that explain it.

A small synthetic but realistic regression: predict a person's remaining life expectancy (years)
from their age (20-80 years) and annual income (about $10k-$200k). Income is ~1,000× larger than
age, so the mean-squared-error loss is a long, thin valley in the raw parameters.

For linear regression with ``MSE(w) = mean((Xw - y)^2)`` (``X`` with a column of ones for the
intercept) the Hessian is constant, ``H = 2 XᵀX / n``, and everything follows from its eigenvalues:

* batch gradient descent is stable exactly when the learning rate is below ``2 / λ_max``;
* with a safe rate ``1 / λ_max`` the slowest direction shrinks by ``1 - λ_min / λ_max`` per step,
  so the condition number ``κ = λ_max / λ_min`` is the number of steps per e-fold of progress.

:func:`run_feature_scaling` runs gradient descent on raw, min-max-scaled and standardized features
(sklearn scalers), counts iterations until the loss is within :data:`REL_TOL` of the closed-form
optimum (``np.linalg.lstsq``), caps them at :data:`MAX_ITERATIONS` and says so honestly when a run
does not converge, and verifies the stability limit by running just below and just above it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

N_PEOPLE = 200
DATA_SEED = 20240611
MIN_AGE_YEARS = 20.0
MAX_AGE_YEARS = 80.0
MIN_INCOME_DOLLARS = 10_000.0
MAX_INCOME_DOLLARS = 200_000.0
MEDIAN_INCOME_DOLLARS = 45_000.0
# The "true" relationship (roughly US-like): -0.92 remaining years per year of age,
# +4.5 years per $100k of income, noise of 2.5 years.
TRUE_INTERCEPT_YEARS = 79.5
TRUE_AGE_EFFECT_YEARS_PER_YEAR = -0.92
TRUE_INCOME_EFFECT_YEARS_PER_DOLLAR = 4.5e-5
NOISE_SD_YEARS = 2.5

MAX_ITERATIONS = 20_000
REL_TOL = 1e-6
"""Converged when ``MSE - MSE* <= REL_TOL * MSE*`` (MSE* from the closed-form least squares)."""
STABILITY_MARGIN = 0.02
"""The stability check runs at ``(1 ± 2 %) × 2/λ_max``."""
VERIFY_ITERATIONS = 2_000
DIVERGENCE_FACTOR = 1e6
"""A run has diverged once its loss exceeds this many times its starting loss (or overflows)."""
PATH_POINTS_MAX = 400

FEATURES = ("age", "income")
TARGET = "remaining life expectancy (years)"
SCALINGS = ("raw", "minmax", "standardized")
SCALING_LABELS = {"raw": "raw features", "minmax": "min-max scaled", "standardized": "standardized"}


@dataclass(frozen=True)
class LifeData:
    age_years: np.ndarray
    income_dollars: np.ndarray
    remaining_years: np.ndarray

    @property
    def features(self) -> np.ndarray:
        return np.column_stack([self.age_years, self.income_dollars])


def make_life_expectancy_data(seed: int = DATA_SEED, n: int = N_PEOPLE) -> LifeData:
    """Seeded synthetic people: uniform ages, log-normal incomes mildly rising with age."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(MIN_AGE_YEARS, MAX_AGE_YEARS, n)
    log_income = np.log(MEDIAN_INCOME_DOLLARS) + 0.012 * (age - 50.0) + rng.normal(0.0, 0.55, n)
    income = np.clip(np.exp(log_income), MIN_INCOME_DOLLARS, MAX_INCOME_DOLLARS)
    remaining = (TRUE_INTERCEPT_YEARS + TRUE_AGE_EFFECT_YEARS_PER_YEAR * age
                 + TRUE_INCOME_EFFECT_YEARS_PER_DOLLAR * income + rng.normal(0.0, NOISE_SD_YEARS, n))
    return LifeData(age, income, remaining)


def design_matrix(features: np.ndarray) -> np.ndarray:
    """``[1, x1, x2]`` rows: the intercept is a parameter like the others."""
    return np.column_stack([np.ones(len(features)), features])


def mse_hessian(x: np.ndarray) -> np.ndarray:
    """Hessian of ``mean((Xw - y)^2)``: ``2 XᵀX / n`` (constant: the loss is quadratic)."""
    return 2.0 * x.T @ x / len(x)


@dataclass(frozen=True)
class DescentRun:
    scaling: str
    lr: float  # learning rate used for the convergence run: 1 / λ_max (half the stability limit)
    lr_max: float  # 2 / λ_max: the largest stable learning rate
    lambda_max: float
    lambda_min: float
    condition_number: float
    iterations: int  # steps taken (== MAX_ITERATIONS when not converged)
    converged: bool
    iterations_predicted: float  # from the eigen-decomposition: steps the quadratic needs to reach REL_TOL
    start_loss: float
    final_loss: float
    optimum_loss: float
    weights: tuple[float, ...]  # (intercept, w_age, w_income) in this scaling's units
    optimum_weights: tuple[float, ...]
    weights_original_units: tuple[float, ...]  # the final weights as years, years/year, years/$
    below_lr: float
    stable_below: bool
    above_lr: float
    diverged_above: bool
    diverged_at: int | None  # iteration at which the run above the limit blew up
    losses: tuple[float, ...]  # loss before each step, then the final loss
    path: tuple[tuple[float, float, float], ...]  # parameters along the way (subsampled)
    gram: tuple[tuple[float, ...], ...]  # XᵀX / n, XᵀY / n and mean(y²): MSE(w) = wᵀGw - 2wᵀm + mean(y²)
    moment: tuple[float, ...]
    mean_y_squared: float

    def mse(self, w: np.ndarray) -> np.ndarray:
        """MSE at parameters ``w`` (shape ``(3, ...)``: broadcast over grids), from the quadratic form."""
        g = np.asarray(self.gram)
        m = np.asarray(self.moment)
        w = np.asarray(w, dtype=np.float64)
        quad = np.einsum("i...,ij,j...->...", w, g, w)
        return quad - 2.0 * np.einsum("i...,i->...", w, m) + self.mean_y_squared

    @property
    def excess_ratio(self) -> float:
        return (self.final_loss - self.optimum_loss) / self.optimum_loss

    def to_dict(self) -> dict[str, object]:
        return {
            "scaling": self.scaling,
            "iterations": self.iterations,
            "converged": self.converged,
            "max_iterations": MAX_ITERATIONS,
            "iterations_predicted": self.iterations_predicted,
            "lr": self.lr,
            "lr_max": self.lr_max,
            "condition_number": self.condition_number,
            "hessian_eigenvalues": [self.lambda_min, self.lambda_max],
            "start_mse": self.start_loss,
            "final_mse": self.final_loss,
            "optimum_mse": self.optimum_loss,
            "excess_over_optimum": self.excess_ratio,
            "weights": list(self.weights),
            "optimum_weights": list(self.optimum_weights),
            "weights_original_units": {"intercept_years": self.weights_original_units[0],
                                       "age_years_per_year": self.weights_original_units[1],
                                       "income_years_per_dollar": self.weights_original_units[2]},
            "stability_check": {"lr_below": self.below_lr, "stable_below": self.stable_below,
                                "lr_above": self.above_lr, "diverged_above": self.diverged_above,
                                "diverged_at_iteration": self.diverged_at},
        }


@dataclass(frozen=True)
class FeatureScalingResult:
    runs: tuple[DescentRun, ...]  # raw, minmax, standardized
    n: int
    feature_ranges: tuple[tuple[float, float], ...]  # (min, max) of age, income
    summary: str

    def run(self, scaling: str) -> DescentRun:
        for r in self.runs:
            if r.scaling == scaling:
                return r
        raise KeyError(scaling)

    def to_dict(self) -> dict[str, object]:
        return {
            "data": {
                "n": self.n,
                "target": TARGET,
                "features": {name: {"min": lo, "max": hi}
                             for name, (lo, hi) in zip(("age_years", "income_dollars"), self.feature_ranges)},
                "loss": "MSE = mean((intercept + w·x - y)^2), Hessian 2·XᵀX/n",
                "tolerance": f"MSE - MSE* <= {REL_TOL:g}·MSE*",
            },
            "raw": self.run("raw").to_dict(),
            "scaled": self.run("standardized").to_dict(),
            "minmax": self.run("minmax").to_dict(),
            "summary": self.summary,
        }


def _mse(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    r = x @ w - y
    return float(r @ r) / len(y)


def gradient_descent(x: np.ndarray, y: np.ndarray, lr: float, max_iterations: int,
                     target_loss: float | None = None,
                     diverge_above: float | None = None) -> tuple[np.ndarray, list[float], list[np.ndarray], int | None]:
    """Plain batch gradient descent on the MSE from ``w = 0``.

    Stops when the loss reaches ``target_loss`` or exceeds ``diverge_above`` (returns the step at
    which it did). Returns final weights, the loss before every step (and at the end), the
    parameter path, and the divergence step (or ``None``).
    """
    n = len(y)
    w = np.zeros(x.shape[1])
    losses: list[float] = []
    path: list[np.ndarray] = []
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(max_iterations + 1):
            r = x @ w - y
            loss = float(r @ r) / n
            losses.append(loss)
            path.append(w.copy())
            if diverge_above is not None and not (math.isfinite(loss) and loss <= diverge_above):
                return w, losses, path, step
            if target_loss is not None and loss <= target_loss:
                break
            if step == max_iterations:
                break
            w = w - lr * (2.0 / n) * (x.T @ r)
    return w, losses, path, None


def _predicted_iterations(h: np.ndarray, lr: float, w_star: np.ndarray, tolerance_loss: float) -> float:
    """Steps GD from 0 needs on this quadratic: solve Σ λ_i/2 c_i² (1 - lr λ_i)^(2k) <= tol by bisection."""
    eigvals, eigvecs = np.linalg.eigh(h)
    c = eigvecs.T @ (-w_star)
    energy = 0.5 * eigvals * c**2
    factor = np.abs(1.0 - lr * eigvals)

    def excess(k: float) -> float:
        with np.errstate(under="ignore"):
            return float(np.sum(energy * factor ** (2.0 * k)))

    if excess(0.0) <= tolerance_loss:
        return 0.0
    lo, hi = 0.0, 1.0
    while excess(hi) > tolerance_loss:
        hi *= 2.0
        if hi > 1e18:
            return math.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if excess(mid) > tolerance_loss:
            lo = mid
        else:
            hi = mid
        if hi - lo < 0.5:
            break
    return float(math.ceil(hi - 1e-9))


def _subsample_path(path: list[np.ndarray]) -> tuple[tuple[float, float, float], ...]:
    if len(path) <= PATH_POINTS_MAX:
        picks = range(len(path))
    else:  # every early step (where the action is), then log-spaced
        early = list(range(60))
        late = np.unique(np.geomspace(60, len(path) - 1, PATH_POINTS_MAX - 60).astype(int)).tolist()
        picks = early + late
    return tuple((float(path[i][0]), float(path[i][1]), float(path[i][2])) for i in picks)


def _descend(scaling: str, features: np.ndarray, y: np.ndarray, to_original) -> DescentRun:
    x = design_matrix(features)
    h = mse_hessian(x)
    eigvals = np.linalg.eigvalsh(h)
    lam_min, lam_max = float(eigvals[0]), float(eigvals[-1])
    w_star, *_ = np.linalg.lstsq(x, y, rcond=None)
    optimum = _mse(x, y, w_star)
    tolerance_loss = REL_TOL * optimum
    lr_max = 2.0 / lam_max
    lr = 1.0 / lam_max
    w, losses, path, _ = gradient_descent(x, y, lr, MAX_ITERATIONS, target_loss=optimum + tolerance_loss)
    iterations = len(losses) - 1
    converged = losses[-1] - optimum <= tolerance_loss

    below_lr, above_lr = lr_max * (1 - STABILITY_MARGIN), lr_max * (1 + STABILITY_MARGIN)
    _, below_losses, _, below_div = gradient_descent(x, y, below_lr, VERIFY_ITERATIONS,
                                                     diverge_above=DIVERGENCE_FACTOR * losses[0])
    # Stable: never blew up, and the loss never rose (GD on a quadratic below 2/λ_max is monotone).
    stable_below = below_div is None and all(b <= a * (1 + 1e-12) for a, b in zip(below_losses, below_losses[1:]))
    _, _, _, above_div = gradient_descent(x, y, above_lr, VERIFY_ITERATIONS,
                                          diverge_above=DIVERGENCE_FACTOR * losses[0])
    return DescentRun(
        scaling=scaling, lr=lr, lr_max=lr_max, lambda_max=lam_max, lambda_min=lam_min,
        condition_number=lam_max / lam_min, iterations=iterations, converged=bool(converged),
        iterations_predicted=_predicted_iterations(h, lr, w_star, tolerance_loss),
        start_loss=losses[0], final_loss=losses[-1], optimum_loss=optimum,
        weights=tuple(float(v) for v in w), optimum_weights=tuple(float(v) for v in w_star),
        weights_original_units=tuple(float(v) for v in to_original(w)),
        below_lr=below_lr, stable_below=bool(stable_below), above_lr=above_lr,
        diverged_above=above_div is not None, diverged_at=above_div,
        losses=tuple(losses), path=_subsample_path(path),
        gram=tuple(tuple(float(v) for v in row) for row in x.T @ x / len(y)),
        moment=tuple(float(v) for v in x.T @ y / len(y)), mean_y_squared=float(y @ y) / len(y),
    )


def _affine_back(offset: np.ndarray, scale: np.ndarray):
    """Weights on ``(x - offset) / scale`` expressed per original unit."""

    def convert(w: np.ndarray) -> np.ndarray:
        slopes = w[1:] / scale
        return np.concatenate([[w[0] - slopes @ offset], slopes])

    return convert


def _fmt_iterations(run: DescentRun) -> str:
    if run.converged:
        return f"{run.iterations:,} iterations"
    return f"not converged after {run.iterations:,} iterations"


def _fmt_big(value: float) -> str:
    if not math.isfinite(value):
        return "∞"
    if value < 1e6:
        return f"{value:,.0f}"
    return f"{value:.1e}"


def _summary(raw: DescentRun, mm: DescentRun, st: DescentRun) -> str:
    raw_age = raw.weights_original_units[1]
    text = (
        f"Raw features (age in years, income in dollars) give a Hessian with condition number "
        f"{raw.condition_number:.2g}: the loss is a valley ~{math.sqrt(raw.condition_number):,.0f}× longer than "
        f"it is wide, and the largest stable learning rate is only {raw.lr_max:.2g}. "
        f"Gradient descent is {_fmt_iterations(raw)} (MSE {raw.final_loss:,.0f} vs the optimum "
        f"{raw.optimum_loss:.2f} years²; it would need about {_fmt_big(raw.iterations_predicted)}); "
        f"its age slope is still {raw_age:+.3f} instead of {raw.optimum_weights[1]:+.2f}. "
        f"Standardized features (StandardScaler) have condition number {st.condition_number:.2f}, "
        f"tolerate a learning rate of {st.lr_max:.2f} and converge in {st.iterations:,} iterations; "
        f"min-max scaling (no centering) is in between: κ = {mm.condition_number:.0f}, {_fmt_iterations(mm)}."
    )
    return text


def run_feature_scaling() -> FeatureScalingResult:
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    data = make_life_expectancy_data()
    raw = data.features
    y = data.remaining_years
    standard = StandardScaler().fit(raw)
    minmax = MinMaxScaler().fit(raw)
    runs = (
        _descend("raw", raw, y, _affine_back(np.zeros(2), np.ones(2))),
        _descend("minmax", minmax.transform(raw), y, _affine_back(minmax.data_min_, minmax.data_range_)),
        _descend("standardized", standard.transform(raw), y, _affine_back(standard.mean_, standard.scale_)),
    )
    for run in runs:
        log.debug("%s: kappa=%.3g iterations=%d converged=%s", run.scaling, run.condition_number,
                  run.iterations, run.converged)
    return FeatureScalingResult(
        runs=runs, n=len(y),
        feature_ranges=tuple((float(col.min()), float(col.max())) for col in raw.T),
        summary=_summary(*runs),
    )
