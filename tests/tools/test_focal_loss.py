"""Focal loss: hand formula, autograd vs analytic gradients, parser bounds, the experiment, CLI."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from tools.charts.focal_loss import render_focal_loss
from tools.errors import UserInputError
from tools.focal_loss import (MAX_GAMMAS, focal_loss_np, focal_loss_torch, parse_gammas, run_focal_loss,
                              validate_alpha)


@pytest.fixture(scope="module")
def result():
    return run_focal_loss()


def hand_focal(p: float, gamma: float, alpha: float = 1.0) -> float:
    return -alpha * (1.0 - p) ** gamma * math.log(p)


# --------------------------------------------------------------------------- the formula

def test_focal_is_one_percent_of_bce_at_p_09_gamma_2(result):
    row = next(r for r in result.table if r.p_t == 0.9)
    assert result.highlight_gamma == 2.0
    assert row.focal / row.bce == pytest.approx(0.01, rel=1e-12)
    assert row.bce == pytest.approx(-math.log(0.9), rel=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0, 10.0])
@pytest.mark.parametrize("alpha", [1.0, 0.25])
def test_focal_values_match_hand_formula(gamma, alpha):
    ps = [0.01, 0.1, 0.3, 0.5, 0.9, 0.99]
    got = focal_loss_np(np.array(ps), gamma, alpha)
    assert got == pytest.approx([hand_focal(p, gamma, alpha) for p in ps], rel=1e-12, abs=1e-300)


def test_gamma_zero_is_binary_cross_entropy():
    z = torch.linspace(-8, 8, 41, dtype=torch.float64)
    y = (torch.arange(41) % 2).double()
    expected = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
    assert torch.allclose(focal_loss_torch(z, y, 0.0), expected, rtol=1e-12, atol=1e-14)


def test_result_table_matches_hand_formula_for_every_gamma(result):
    for row in result.table:
        for gamma, value in row.by_gamma:
            assert value == pytest.approx(hand_focal(row.p_t, gamma), rel=1e-12)


@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_torch_loss_matches_hand_formula_for_both_classes(gamma, alpha):
    z = torch.linspace(-6, 6, 25, dtype=torch.float64)
    a = 1.0 if alpha is None else alpha
    pos = focal_loss_torch(z, torch.ones_like(z), gamma, alpha)
    neg = focal_loss_torch(z, torch.zeros_like(z), gamma, alpha)
    for zi, lp, ln in zip(z.tolist(), pos.tolist(), neg.tolist()):
        p = 1.0 / (1.0 + math.exp(-zi))
        assert lp == pytest.approx(hand_focal(p, gamma, a), rel=1e-10)
        assert ln == pytest.approx(hand_focal(1.0 - p, gamma, 1.0 - a if alpha is not None else 1.0), rel=1e-10)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
def test_autograd_gradient_wrt_logit_matches_analytic_derivative(gamma):
    alpha = 0.3
    z = torch.linspace(-7, 7, 57, dtype=torch.float64, requires_grad=True)
    for label in (1.0, 0.0):
        y = torch.full_like(z, label)
        (grad,) = torch.autograd.grad(focal_loss_torch(z, y, gamma, alpha).sum(), z)
        for zi, g in zip(z.detach().tolist(), grad.tolist()):
            u = zi if label == 1.0 else -zi  # z_t
            s = 1.0 / (1.0 + math.exp(-u))
            # d/du of -(1-σ(u))^γ log σ(u) = (1-σ)^γ (γ σ log σ - (1-σ))
            dg = (1 - s) ** gamma * (gamma * s * math.log(s) - (1 - s))
            expected = alpha * dg if label == 1.0 else -(1 - alpha) * dg
            assert g == pytest.approx(expected, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
def test_autograd_gradient_wrt_probability_matches_analytic_derivative(gamma):
    p = torch.tensor([0.05, 0.2, 0.5, 0.8, 0.95], dtype=torch.float64, requires_grad=True)
    loss = -(1 - p) ** gamma * torch.log(p)
    (grad,) = torch.autograd.grad(loss.sum(), p)
    for pi, g in zip(p.detach().tolist(), grad.tolist()):
        expected = gamma * (1 - pi) ** (gamma - 1) * math.log(pi) - (1 - pi) ** gamma / pi
        assert g == pytest.approx(expected, rel=1e-10)


def test_gradient_stays_finite_for_confident_examples_with_small_gamma():
    z = torch.tensor([40.0, -40.0, 700.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    (grad,) = torch.autograd.grad(focal_loss_torch(z, y, 0.5).sum(), z)
    assert torch.isfinite(grad).all()


# --------------------------------------------------------------------------- input validation

def test_gamma_list_parses_commas_spaces_and_semicolons():
    assert parse_gammas("0, 0.5 1;2  2") == (0.0, 0.5, 1.0, 2.0)
    assert parse_gammas("5,1e0") == (1.0, 5.0)
    assert parse_gammas([2, 0]) == (0.0, 2.0)


@pytest.mark.parametrize("text", ["", "   ", ",", "a", "1,x", "2;nan", "inf", "1e400", "-1", "10.5", "1+2",
                                  "0x1", "1_0", ",".join(str(i) for i in range(MAX_GAMMAS + 1)), "1," * 200])
def test_bad_gamma_lists_are_rejected_with_one_line(text):
    with pytest.raises(UserInputError) as err:
        parse_gammas(text)
    assert "\n" not in str(err.value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_gamma_parser_fuzz_parses_or_raises_user_error(text):
    try:
        gammas = parse_gammas(text)
    except UserInputError:
        return
    assert 1 <= len(gammas) <= MAX_GAMMAS and all(0 <= g <= 10 for g in gammas)


@pytest.mark.parametrize("alpha", [0, 0.0, -0.1, 1.01, float("nan"), float("inf"), True, "0.5"])
def test_alpha_out_of_range_is_rejected(alpha):
    with pytest.raises(UserInputError):
        validate_alpha(alpha)


def test_alpha_one_is_allowed():
    assert validate_alpha(1) == 1.0


def test_bad_seed_is_rejected():
    with pytest.raises(UserInputError):
        run_focal_loss(seed=-1)


# --------------------------------------------------------------------------- the experiment

def test_experiment_is_strongly_imbalanced_and_metrics_are_consistent(result):
    exp = result.experiment
    assert 0.02 <= exp.positive_rate <= 0.05
    assert [r.loss for r in exp.runs] == ["bce", "focal"]
    for run in exp.runs:
        assert 0 <= run.recall <= 1 and 0 <= run.precision <= 1
        # precision * predicted positives and recall * actual positives both count the true positives
        assert round(run.precision * run.predicted_positives) == round(run.recall * exp.test_positives)


def test_focal_loss_shrinks_the_share_of_easy_examples(result):
    exp = result.experiment
    bce_run, focal_run = exp.runs
    assert exp.same_model_easy_share_focal < exp.same_model_easy_share_bce
    assert focal_run.easy_loss_share < bce_run.easy_loss_share
    # Easy examples carry far less loss than their share of the data under either loss.
    assert bce_run.easy_loss_share < bce_run.easy_fraction


def test_experiment_is_reproducible_for_a_seed(result):
    again = run_focal_loss(seed=0)
    assert again.to_dict() == result.to_dict()


def test_summary_states_the_key_numbers(result):
    assert "100×" in result.summary and "recall" in result.summary


def test_chart_is_a_real_png(result):
    png = render_focal_loss(result)
    assert png.startswith(b"\x89PNG")
    with PILImage.open(io.BytesIO(png)) as img:
        assert 800 <= img.width <= 2000 and 300 <= img.height <= 1200


# --------------------------------------------------------------------------- command and CLI

def test_command_returns_tables_image_and_json():
    from bot.commands import invoke
    from bot.services import Services

    reply = invoke("demo focal-loss", Services(), {"gammas": "0 2", "alpha": "0.5", "seed": "1"})
    assert reply.images[0].png.startswith(b"\x89PNG")
    assert reply.data["table"][2]["p_t"] == 0.9
    assert set(reply.data["table"][0]) >= {"p_t", "bce", "focal"}
    assert {"table", "experiment", "summary"} <= set(reply.data)
    assert len(reply.text) <= 1500


@pytest.mark.parametrize("argv", [["--gamma", "1,x"], ["--gamma", "0,11"], ["--alpha", "0"], ["--alpha", "2"],
                                  ["--alpha", "abc"], ["--seed", "-3"]])
def test_cli_bad_input_exits_2_with_one_error_line(argv, capsys):
    from bot.frontends.cli import main

    assert main(["demo", "focal-loss", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    assert "Traceback" not in "\n".join(err)


def test_cli_json_and_png(tmp_path, capsys):
    from bot.frontends.cli import main

    out = tmp_path / "focal.png"
    assert main(["demo", "focal-loss", "--gamma", "0,1,2", "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["images"] == [str(out)] and out.read_bytes().startswith(b"\x89PNG")
    assert data["table"][2]["focal"] == pytest.approx(0.01 * data["table"][2]["bce"])
