"""Gradient flow: norms checked against independent computations; bounds; rendering."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tools.charts.gradient_flow import render_gradient_flow
from tools.errors import UserInputError
from tools.gradient_flow import (
    MAX_DEPTH,
    MAX_WEIGHTS,
    MAX_WIDTH,
    FlowConfig,
    build_mlp,
    linear_layers,
    make_batch,
    run_gradient_flow,
    validate_config,
)


def _numpy_sigmoid_mlp_grad_norms(weights, biases, x, y):
    """Hand-written backprop for Linear→sigmoid→…→Linear with mean softmax cross-entropy."""
    activations = [x]
    h = x
    for w, b in zip(weights[:-1], biases[:-1]):
        h = 1.0 / (1.0 + np.exp(-(h @ w.T + b)))
        activations.append(h)
    logits = h @ weights[-1].T + biases[-1]
    logits = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    delta = probs.copy()
    delta[np.arange(len(y)), y] -= 1.0
    delta /= len(y)  # d(mean CE)/d(logits)
    norms = []
    for i in range(len(weights) - 1, -1, -1):
        grad_w = delta.T @ activations[i]
        norms.append(np.linalg.norm(grad_w))
        if i > 0:
            a = activations[i]
            delta = (delta @ weights[i]) * a * (1.0 - a)  # back through sigmoid
    return norms[::-1]


def test_grad_norms_match_handwritten_numpy_backprop():
    config = FlowConfig(depth=4, width=5, activation="sigmoid", seed=7)
    result = run_gradient_flow(depth=4, width=5, activation="sigmoid", seed=7)
    layers = linear_layers(build_mlp(config))
    weights = [m.weight.detach().numpy() for m in layers]
    biases = [m.bias.detach().numpy() for m in layers]
    x, y = make_batch(config)
    expected = _numpy_sigmoid_mlp_grad_norms(weights, biases, x.numpy(), y.numpy())
    np.testing.assert_allclose(result.main.grad_norms, expected, rtol=1e-9)
    assert result.main.first_over_last == pytest.approx(expected[0] / expected[-1], rel=1e-9)


@pytest.mark.parametrize("activation,batchnorm,init", [
    ("tanh", True, "kaiming"), ("gelu", False, "xavier"), ("leaky-relu", False, "kaiming"), ("relu", True, "default"),
])
def test_grad_norms_match_torch_autograd_grad(activation, batchnorm, init):
    config = FlowConfig(depth=6, width=12, activation=activation, batchnorm=batchnorm, init=init, seed=3)
    result = run_gradient_flow(depth=6, width=12, activation=activation, batchnorm=batchnorm, init=init, seed=3)
    model = build_mlp(config)
    x, y = make_batch(config)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    grads = torch.autograd.grad(torch.nn.functional.cross_entropy(model(x), y), weights)
    expected = [float(torch.linalg.matrix_norm(g)) for g in grads]
    np.testing.assert_allclose(result.main.grad_norms, expected, rtol=1e-10)
    assert len(result.main.grad_norms) == 6


def test_layer_one_is_nearest_the_input():
    model = build_mlp(FlowConfig(depth=3, width=8))
    first, *_, last = linear_layers(model)
    assert first is model[0] and first.in_features == 8
    assert last.out_features == 10


def test_sigmoid_gradients_vanish_compared_with_relu_kaiming():
    sigmoid = run_gradient_flow(depth=10, activation="sigmoid", init="default")
    relu = run_gradient_flow(depth=10, activation="relu", init="kaiming")
    assert sigmoid.main.first_over_last < relu.main.first_over_last / 20
    assert "vanishing" in sigmoid.summary


def test_sigmoid_gradients_shrink_with_depth():
    shallow = run_gradient_flow(depth=4, width=32).main.first_over_last
    deep = run_gradient_flow(depth=16, width=32).main.first_over_last
    assert deep < shallow / 100


def test_deep_sigmoid_gradient_stays_representable_in_float64():
    result = run_gradient_flow(depth=100, width=16)
    assert 0 < result.main.grad_norms[0] < 1e-30


def test_seed_reproduces_and_changes_numbers():
    a = run_gradient_flow(depth=5, width=16, seed=11)
    b = run_gradient_flow(depth=5, width=16, seed=11)
    c = run_gradient_flow(depth=5, width=16, seed=12)
    assert a.to_dict() == b.to_dict()
    assert a.main.grad_norms != c.main.grad_norms


def test_build_does_not_touch_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run_gradient_flow(depth=3, width=8)
    assert torch.equal(torch.rand(3), expected)


def test_json_schema_single_and_compare():
    single = run_gradient_flow(depth=3, width=8).to_dict()
    assert set(single) == {"layers", "first_over_last", "summary"}
    assert [row["layer"] for row in single["layers"]] == [1, 2, 3]
    data = run_gradient_flow(depth=3, width=8, activation="gelu", init="xavier", compare=True).to_dict()
    assert set(data) == {"layers", "first_over_last", "summary", "compare"}
    labels = [c["label"] for c in data["compare"]]
    assert labels[:4] == ["sigmoid, default init", "tanh, Xavier init", "sigmoid, BatchNorm, default init",
                          "ReLU, Kaiming init"]
    assert labels[4] == "GELU, Xavier init"  # the user's own set-up is added when not in the roadmap
    for entry in data["compare"]:
        assert set(entry) == {"label", "layers", "first_over_last"} and len(entry["layers"]) == 3
    json.dumps(data, allow_nan=False)


def test_compare_does_not_duplicate_a_roadmap_config():
    data = run_gradient_flow(depth=4, width=8, activation="relu", init="kaiming", compare=True).to_dict()
    assert len(data["compare"]) == 4
    assert data["compare"][3]["layers"] == data["layers"]


def test_dead_last_layer_gives_null_ratio_not_infinity():
    result = run_gradient_flow(depth=10, width=1, activation="relu")
    assert result.main.grad_norms[-1] == 0 and result.main.first_over_last is None
    json.dumps(result.to_dict(), allow_nan=False)
    assert render_gradient_flow(result).startswith(b"\x89PNG")


@pytest.mark.parametrize("kwargs,fragment", [
    ({"depth": 0}, "depth"), ({"depth": MAX_DEPTH + 1}, "depth"), ({"depth": 2.5}, "depth"),
    ({"depth": True}, "depth"), ({"width": 0}, "width"), ({"width": MAX_WIDTH + 1}, "width"),
    ({"width": "64"}, "width"), ({"activation": "swish"}, "activation"), ({"init": "he"}, "init"),
    ({"seed": -1}, "seed"), ({"batchnorm": "yes"}, "batchnorm"), ({"compare": 1}, "compare"),
    ({"depth": 100, "width": 1024}, "depth × width²"),
])
def test_bad_input_raises_one_line_user_error(kwargs, fragment):
    with pytest.raises(UserInputError) as err:
        run_gradient_flow(**kwargs)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_largest_allowed_sizes_are_accepted():
    validate_config(depth=MAX_DEPTH, width=int(math.isqrt(MAX_WEIGHTS // MAX_DEPTH)))
    validate_config(depth=MAX_WEIGHTS // MAX_WIDTH**2, width=MAX_WIDTH)


@settings(max_examples=200, deadline=None)
@given(depth=st.one_of(st.integers(-5, 200), st.floats(allow_nan=True), st.text(max_size=5), st.none()),
       width=st.one_of(st.integers(-5, 3000), st.booleans()),
       activation=st.one_of(st.sampled_from(["sigmoid", "relu", "gelu"]), st.text(max_size=8)),
       seed=st.integers(-10, 2_000_000))
def test_validation_either_accepts_or_raises_user_error(depth, width, activation, seed):
    try:
        config = validate_config(depth=depth, width=width, activation=activation, seed=seed)
    except UserInputError:
        return
    assert 1 <= config.depth <= MAX_DEPTH and 1 <= config.width <= MAX_WIDTH


@pytest.mark.parametrize("kwargs", [{}, {"depth": 12, "compare": True}, {"depth": 1}, {"depth": 60, "width": 8}])
def test_rendered_chart_is_a_real_png(kwargs):
    png = render_gradient_flow(run_gradient_flow(**kwargs))
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert 800 <= img.width <= 1400 and 400 <= img.height <= 900
