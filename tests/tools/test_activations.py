"""Activations: autograd derivatives against closed forms; JSON; rendering."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from tools.activations import ACTIVATIONS, GRID_MAX_X, GRID_MIN_X, LEAKY_RELU_SLOPE, run_activations
from tools.charts.activations import render_activations


@pytest.fixture(scope="module")
def result():
    return run_activations()


def test_sigmoid_slope_peaks_at_a_quarter_at_zero(result):
    sig = result.curve("sigmoid")
    assert sig.max_derivative == pytest.approx(0.25, abs=1e-12)
    assert sig.argmax_x == 0.0


def test_tanh_slope_peaks_at_one_at_zero(result):
    tanh = result.curve("tanh")
    assert tanh.max_derivative == pytest.approx(1.0, abs=1e-12)
    assert tanh.argmax_x == 0.0


def test_derivatives_match_closed_forms_on_the_grid(result):
    x = np.array(result.grid)
    s = 1.0 / (1.0 + np.exp(-x))
    np.testing.assert_allclose(result.curve("sigmoid").derivatives, s * (1 - s), atol=1e-12)
    np.testing.assert_allclose(result.curve("tanh").derivatives, 1 - np.tanh(x) ** 2, atol=1e-12)
    pdf = np.exp(-x**2 / 2) / math.sqrt(2 * math.pi)
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(result.curve("gelu").derivatives, cdf + x * pdf, atol=1e-9)
    away = np.abs(x) > 1e-9  # the kink: any subgradient is acceptable at exactly 0
    np.testing.assert_array_equal(np.array(result.curve("relu").derivatives)[away], (x[away] > 0).astype(float))
    np.testing.assert_allclose(np.array(result.curve("leaky-relu").derivatives)[away],
                               np.where(x[away] > 0, 1.0, LEAKY_RELU_SLOPE))


def test_values_match_numpy(result):
    x = np.array(result.grid)
    np.testing.assert_allclose(result.curve("sigmoid").values, 1 / (1 + np.exp(-x)), atol=1e-12)
    np.testing.assert_allclose(result.curve("tanh").values, np.tanh(x), atol=1e-12)
    np.testing.assert_allclose(result.curve("relu").values, np.maximum(x, 0), atol=0)


def test_gelu_slope_exceeds_one_slightly(result):
    gelu = result.curve("gelu")
    assert 1.12 < gelu.max_derivative < 1.14 and 1.3 < gelu.argmax_x < 1.6


def test_grid_covers_zero_and_bounds(result):
    assert result.grid[0] == GRID_MIN_X and result.grid[-1] == GRID_MAX_X and 0.0 in result.grid


def test_json_lists_every_activation(result):
    data = result.to_dict()
    assert set(data) == {"activations", "max_derivative", "grid", "summary"}
    assert [a["name"] for a in data["activations"]] == list(ACTIVATIONS)
    assert data["max_derivative"]["sigmoid"] == pytest.approx(0.25)
    json.dumps(data, allow_nan=False)
    assert "0.25" in result.summary


def test_rendered_chart_is_a_real_png(result):
    png = render_activations(result)
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert 1000 <= img.width <= 1400 and 450 <= img.height <= 700
