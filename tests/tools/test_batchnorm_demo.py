"""Batch-norm demo: normalisation checked from hooks, training progress, reproducibility, bounds."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import log_loss

from tools.batchnorm_demo import (
    DEFAULT_STEPS,
    HIDDEN_LAYERS,
    MAX_STEPS,
    MIN_STEPS,
    build_net,
    load_data,
    run_batchnorm_demo,
    train_model,
)
from tools.charts.batchnorm_demo import render_batchnorm_demo, render_batchnorm_layer_stats
from tools.errors import UserInputError


@pytest.fixture(scope="module")
def data():
    return load_data(seed=0)


@pytest.fixture(scope="module")
def result():
    return run_batchnorm_demo(steps=150, seed=0)


def _bn_io(model: torch.nn.Module, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor, torch.nn.BatchNorm1d]]:
    """Run ``x`` through ``model`` in train mode; return (input, output, module) of every BatchNorm1d."""
    seen = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: seen.append((inp[0].detach(), out.detach(), mod)))
             for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    model.train()
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return seen


def test_bn_preactivations_are_normalised_per_feature_at_init(data):
    model = build_net(batchnorm=True, seed=0)
    seen = _bn_io(model, data.x_train[:256])
    assert len(seen) == HIDDEN_LAYERS
    for _, out, _ in seen:
        z = out.double()
        np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-5)
        np.testing.assert_allclose(z.std(0, unbiased=False), 1.0, atol=1e-3)  # eps = 1e-5 in the variance


def test_bn_preactivations_stay_normalised_after_training(data):
    model, _ = train_model(batchnorm=True, steps=30, seed=0, data=data)
    for inp, out, bn in _bn_io(model, data.x_train[:256]):
        x = inp.double()
        gamma, beta = bn.weight.detach().double(), bn.bias.detach().double()
        x_hat = (out.double() - beta) / gamma  # undo the learned affine part
        np.testing.assert_allclose(x_hat.mean(0), 0.0, atol=1e-4)
        np.testing.assert_allclose(x_hat.std(0, unbiased=False), 1.0, atol=1e-3)
        manual = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + bn.eps) * gamma + beta
        np.testing.assert_allclose(out.double(), manual, atol=1e-4)
        assert not torch.allclose(gamma, torch.ones_like(gamma))  # it really trained


def test_recorded_statistics_show_normalised_bn_layers(result):
    first_step_std = result.with_bn.pre_std[0]
    first_step_mean = result.with_bn.pre_mean[0]
    np.testing.assert_allclose(first_step_std, 1.0, atol=0.01)
    np.testing.assert_allclose(first_step_mean, 0.0, atol=1e-4)
    assert result.with_bn.std_drift < result.without_bn.std_drift


def test_both_variants_start_from_identical_weights():
    plain, with_bn = build_net(False, seed=4), build_net(True, seed=4)
    plain_linear = [m for m in plain if isinstance(m, torch.nn.Linear)]
    bn_linear = [m for m in with_bn if isinstance(m, torch.nn.Linear)]
    assert len(plain_linear) == len(bn_linear) == HIDDEN_LAYERS + 1
    for a, b in zip(plain_linear, bn_linear):
        assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)


def test_initial_loss_matches_sklearn_log_loss(result, data):
    model = build_net(batchnorm=False, seed=0).eval()
    with torch.no_grad():
        probs = torch.softmax(model(data.x_train), dim=1).double().numpy()
    probs /= probs.sum(axis=1, keepdims=True)  # float32 softmax: renormalise for sklearn
    assert result.without_bn.initial_loss == pytest.approx(log_loss(data.y_train.numpy(), probs, labels=range(10)),
                                                           rel=1e-4)


def test_training_reduces_loss_and_bn_trains_faster(result):
    for run in (result.with_bn, result.without_bn):
        assert run.final_loss < run.initial_loss
        assert np.mean(run.step_losses[-20:]) < np.mean(run.step_losses[:5])
    assert result.with_bn.final_loss < result.without_bn.final_loss
    assert result.with_bn.accuracy > 0.9


def test_test_accuracy_is_fraction_of_correct_predictions(data):
    model, run = train_model(batchnorm=True, steps=20, seed=0, data=data)
    model.eval()
    with torch.no_grad():
        predicted = model(data.x_test).argmax(1).numpy()
    assert run.accuracy == pytest.approx(float(np.mean(predicted == data.y_test.numpy())))


def test_seeds_reproduce_and_differ():
    a = run_batchnorm_demo(steps=MIN_STEPS, seed=3).to_dict()
    b = run_batchnorm_demo(steps=MIN_STEPS, seed=3).to_dict()
    c = run_batchnorm_demo(steps=MIN_STEPS, seed=4).to_dict()
    assert a == b
    assert a["with_bn"]["loss_curve"] != c["with_bn"]["loss_curve"]


def test_thread_count_is_restored():
    before = torch.get_num_threads()
    run_batchnorm_demo(steps=MIN_STEPS)
    assert torch.get_num_threads() == before


def test_json_schema(result):
    data = result.to_dict()
    assert set(data) == {"with_bn", "without_bn", "settings", "summary"}
    for key in ("with_bn", "without_bn"):
        run = data[key]
        assert {"final_loss", "accuracy", "initial_loss", "test_loss", "std_drift", "layers", "loss_curve"} <= set(run)
        assert [layer["layer"] for layer in run["layers"]] == list(range(1, HIDDEN_LAYERS + 1))
        assert run["loss_curve"][0]["step"] == 1 and run["loss_curve"][-1]["step"] == 150
        assert len(run["loss_curve"]) <= 101
    json.dumps(data, allow_nan=False)
    assert f"{result.with_bn.accuracy:.1%}" in result.summary


@pytest.mark.parametrize("kwargs", [
    {"steps": MIN_STEPS - 1}, {"steps": MAX_STEPS + 1}, {"steps": 50.0}, {"steps": True}, {"steps": "300"},
    {"seed": -1}, {"seed": 10**6}, {"seed": None},
])
def test_bad_input_raises_one_line_user_error(kwargs):
    with pytest.raises(UserInputError) as err:
        run_batchnorm_demo(**kwargs)
    assert "\n" not in str(err.value) and ("steps" in str(err.value) or "seed" in str(err.value))


def test_rendered_charts_are_real_pngs(result):
    for png in (render_batchnorm_demo(result), render_batchnorm_layer_stats(result)):
        assert png.startswith(b"\x89PNG")
        with Image.open(io.BytesIO(png)) as img:
            assert 900 <= img.width <= 1400 and 450 <= img.height <= 900


@pytest.mark.slow
def test_the_default_run_draws_both_charts():
    # how long it takes is a figure of bench/tools.py, not a test
    res = run_batchnorm_demo(steps=DEFAULT_STEPS)
    for png in (render_batchnorm_demo(res), render_batchnorm_layer_stats(res)):
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.width >= 600 and image.height >= 300
