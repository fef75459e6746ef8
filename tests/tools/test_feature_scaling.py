"""Feature scaling: condition numbers, stability limits and convergence checked independently."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image as PILImage
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from tools.charts.feature_scaling import render_feature_scaling
from tools.feature_scaling import MAX_ITERATIONS, REL_TOL, make_life_expectancy_data, run_feature_scaling


@pytest.fixture(scope="module")
def result():
    return run_feature_scaling()


@pytest.fixture(scope="module")
def data():
    d = make_life_expectancy_data()
    return d.features, d.remaining_years


def _design(features: np.ndarray, scaling: str) -> np.ndarray:
    if scaling == "standardized":
        features = StandardScaler().fit_transform(features)
    elif scaling == "minmax":
        features = MinMaxScaler().fit_transform(features)
    return np.column_stack([np.ones(len(features)), features])


def _my_gd(x: np.ndarray, y: np.ndarray, lr: float, steps: int) -> list[float]:
    w = np.zeros(x.shape[1])
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            r = x @ w - y
            losses.append(float(np.mean(r**2)))
            if not np.isfinite(losses[-1]):
                break
            w = w - lr * 2 * x.T @ r / len(y)
    return losses


def test_data_has_realistic_very_different_scales(data):
    x, y = data
    assert 20 <= x[:, 0].min() and x[:, 0].max() <= 80
    assert 10_000 <= x[:, 1].min() and x[:, 1].max() <= 200_000
    assert x[:, 1].std() / x[:, 0].std() > 500
    assert 0 < y.min() and y.max() < 80


@pytest.mark.parametrize("scaling", ["raw", "minmax", "standardized"])
def test_condition_number_matches_numpy_cond_of_gram_matrix(result, data, scaling):
    x = _design(data[0], scaling)
    expected = np.linalg.cond(x.T @ x / len(x))
    assert result.run(scaling).condition_number == pytest.approx(expected, rel=1e-5)


def test_raw_features_are_catastrophically_ill_conditioned(result):
    assert result.run("raw").condition_number > 1e8
    assert result.run("standardized").condition_number < 5


@pytest.mark.parametrize("scaling", ["raw", "minmax", "standardized"])
def test_largest_stable_learning_rate_is_two_over_top_hessian_eigenvalue(result, data, scaling):
    x = _design(data[0], scaling)
    # Hessian of mean((Xw - y)^2) by autograd, not by the tool's formula
    xt = torch.tensor(x)
    yt = torch.tensor(data[1])
    w0 = torch.zeros(3, dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(lambda w: torch.mean((xt @ w - yt) ** 2), w0).numpy()
    assert result.run(scaling).lr_max == pytest.approx(2 / np.linalg.eigvalsh(hessian)[-1], rel=1e-8)


@pytest.mark.parametrize("scaling", ["raw", "standardized"])
def test_descent_just_below_the_limit_is_stable_and_just_above_diverges(result, data, scaling):
    run = result.run(scaling)
    assert run.stable_below and run.diverged_above
    x = _design(data[0], scaling)
    below = _my_gd(x, data[1], 0.98 * run.lr_max, 400)
    assert all(b <= a * (1 + 1e-12) for a, b in zip(below, below[1:]))
    above = _my_gd(x, data[1], 1.02 * run.lr_max, 2000)
    assert not np.isfinite(above[-1]) or above[-1] > 1e3 * above[0]


def test_optimum_matches_sklearn_linear_regression(result, data):
    x, y = data
    model = LinearRegression().fit(x, y)
    optimum_mse = mean_squared_error(y, model.predict(x))
    raw = result.run("raw")
    assert raw.optimum_loss == pytest.approx(optimum_mse, rel=1e-9)
    assert raw.optimum_weights[1:] == pytest.approx(model.coef_, rel=1e-6)
    assert raw.optimum_weights[0] == pytest.approx(model.intercept_, rel=1e-6)


def test_standardized_descent_converges_quickly_to_the_sklearn_fit(result, data):
    run = result.run("standardized")
    assert run.converged and run.iterations < 100
    assert run.final_loss - run.optimum_loss <= REL_TOL * run.optimum_loss
    model = LinearRegression().fit(*data)
    intercept, age, income = run.weights_original_units
    assert age == pytest.approx(model.coef_[0], rel=1e-2)
    assert income == pytest.approx(model.coef_[1], rel=1e-2)
    assert intercept == pytest.approx(model.intercept_, rel=1e-3)


def test_raw_descent_reports_non_convergence_honestly(result):
    run = result.run("raw")
    assert not run.converged
    assert run.iterations == MAX_ITERATIONS
    assert run.final_loss > 10 * run.optimum_loss
    assert run.iterations_predicted > 100 * MAX_ITERATIONS
    assert "not converged" in result.summary
    assert result.to_dict()["raw"]["converged"] is False


def test_min_max_scaling_sits_between_raw_and_standardized(result):
    raw, mm, st = (result.run(s) for s in ("raw", "minmax", "standardized"))
    assert st.condition_number < mm.condition_number < raw.condition_number
    assert mm.converged and st.iterations < mm.iterations


@pytest.mark.parametrize("scaling", ["minmax", "standardized"])
def test_eigenvalue_prediction_matches_the_actual_iteration_count(result, scaling):
    run = result.run(scaling)
    assert abs(run.iterations_predicted - run.iterations) <= 1


def test_loss_history_starts_at_mean_of_squared_targets(result, data):
    for run in result.runs:
        assert run.losses[0] == pytest.approx(float(np.mean(data[1] ** 2)), rel=1e-12)


def test_json_has_the_documented_shape(result):
    d = result.to_dict()
    for key in ("raw", "scaled"):
        assert {"iterations", "converged", "lr", "condition_number", "lr_max"} <= set(d[key])
    assert d["scaled"]["scaling"] == "standardized"
    assert isinstance(d["summary"], str) and 2 <= d["summary"].count(". ") + 1 <= 5


def test_chart_is_a_real_png(result):
    png = render_feature_scaling(result)
    assert png.startswith(b"\x89PNG")
    with PILImage.open(io.BytesIO(png)) as img:
        assert 800 <= img.width <= 2000 and 600 <= img.height <= 1600
