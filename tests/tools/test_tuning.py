"""Grid vs random vs Bayesian tuning: numbers checked against an independent sklearn CV."""

from __future__ import annotations

import io
import itertools
import json
import math

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import SVC

from tools.errors import UserInputError
from tools.tuning import (
    C_RANGE,
    GAMMA_RANGE,
    MAX_BUDGET_TRIALS,
    MIN_BUDGET_TRIALS,
    STRATEGIES,
    grid_shape,
    load_reference_surface,
    run_tuning,
)

BUDGET = 8


@pytest.fixture(scope="module")
def result():
    return run_tuning(budget=BUDGET, seed=3)


def independent_cv(C: float, gamma: float) -> float:
    """The problem as the tool documents it, rebuilt here: every 2nd digit, pixels / 16, 3-fold."""
    X, y = load_digits(return_X_y=True)
    X, y = X[::2] / 16.0, y[::2]
    return float(np.mean(cross_val_score(SVC(C=C, gamma=gamma), X, y, cv=StratifiedKFold(3))))


def test_every_strategy_runs_exactly_budget_trials(result):
    for name in STRATEGIES:
        assert len(result.strategies[name].trials) == BUDGET


@pytest.mark.parametrize("name", STRATEGIES)
def test_best_score_equals_independent_cross_validation_at_best_params(result, name):
    strat = result.strategies[name]
    assert strat.best_score == pytest.approx(independent_cv(strat.best_C, strat.best_gamma), abs=1e-12)


def test_best_score_is_the_maximum_over_trials(result):
    for strat in result.strategies.values():
        assert strat.best_score == max(t.score for t in strat.trials)
        assert np.all(np.diff(strat.best_so_far) >= 0)
        assert strat.best_so_far[-1] == strat.best_score


def test_grid_sampler_visits_only_grid_points_each_at_most_once(result):
    grid_points = set(itertools.product(result.grid_C, result.grid_gamma))
    visited = [(t.C, t.gamma) for t in result.strategies["grid"].trials]
    assert set(visited) <= grid_points
    assert len(set(visited)) == len(visited)
    assert len(grid_points) >= BUDGET


def test_grid_is_log_spaced_inside_the_search_range(result):
    for values, (low, high) in ((result.grid_C, C_RANGE), (result.grid_gamma, GAMMA_RANGE)):
        logs = np.log10(values)
        assert np.all(np.diff(logs) > 0)
        assert np.allclose(np.diff(logs), np.diff(logs)[0], atol=2e-3)  # equal steps (4 sig. digits)
        assert low <= min(values) and max(values) <= high


def test_random_and_bayesian_sample_inside_the_log_uniform_range(result):
    for name in ("random", "bayesian"):
        for t in result.strategies[name].trials:
            assert C_RANGE[0] <= t.C <= C_RANGE[1]
            assert GAMMA_RANGE[0] <= t.gamma <= GAMMA_RANGE[1]
    # log-uniform sampling: random search's points span several decades, not just the top one
    cs = [t.C for t in result.strategies["random"].trials]
    assert math.log10(max(cs)) - math.log10(min(cs)) > 1.0


def test_same_seed_gives_same_trials_and_scores(result):
    again = run_tuning(budget=BUDGET, seed=3)
    for name in STRATEGIES:
        assert again.strategies[name].trials == result.strategies[name].trials
        assert again.strategies[name].best_params == result.strategies[name].best_params
        assert again.strategies[name].best_score == result.strategies[name].best_score


def test_different_seed_changes_random_search_and_optuna_stays_quiet(result, capfd):
    other = run_tuning(budget=MIN_BUDGET_TRIALS, seed=4)
    assert other.strategies["random"].trials != result.strategies["random"].trials[:MIN_BUDGET_TRIALS]
    captured = capfd.readouterr()
    assert "Trial" not in captured.err and "Trial" not in captured.out  # optuna's per-trial INFO lines


def test_strategies_do_not_share_their_random_draws(result):
    # TPE's start-up trials are random: they must not copy random search's trials.
    first_random = [(t.C, t.gamma) for t in result.strategies["random"].trials[:3]]
    first_tpe = [(t.C, t.gamma) for t in result.strategies["bayesian"].trials[:3]]
    assert first_random != first_tpe


@pytest.mark.parametrize("budget", range(MIN_BUDGET_TRIALS, MAX_BUDGET_TRIALS + 1))
def test_grid_shape_is_the_smallest_near_square_grid_covering_the_budget(budget):
    n_c, n_g = grid_shape(budget)
    assert n_c * n_g >= budget
    assert n_c <= n_g <= 1.5 * n_c
    smallest = min(a * b for a in range(1, budget + 1) for b in range(a, math.floor(1.5 * a) + 1)
                   if a * b >= budget)
    assert n_c * n_g == smallest


@pytest.mark.parametrize("budget", [MIN_BUDGET_TRIALS - 1, MAX_BUDGET_TRIALS + 1, 0, -5, 10.5, True, "30", None])
def test_budget_out_of_range_or_not_whole_is_rejected(budget):
    with pytest.raises(UserInputError, match="budget"):
        run_tuning(budget=budget)


@pytest.mark.parametrize("seed", [-1, 10**6, 1.5, "1"])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(UserInputError, match="seed"):
        run_tuning(budget=MIN_BUDGET_TRIALS, seed=seed)


def test_json_has_exactly_the_documented_schema(result):
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == {"strategies", "summary"}
    assert set(data["strategies"]) == {"grid", "random", "bayesian"}
    for name, entry in data["strategies"].items():
        assert set(entry) == {"best_score", "best_params", "trials", "wall_time_s"}
        assert set(entry["best_params"]) == {"C", "gamma"}
        assert len(entry["trials"]) == BUDGET
        assert entry["best_score"] == max(t["score"] for t in entry["trials"])
        assert entry["wall_time_s"] > 0


def test_summary_reports_scores_budget_and_run_time(result):
    assert f"{BUDGET} trials per strategy" in result.summary
    assert f"{result.total_wall_time_s:.1f} s" in result.summary
    for strat in result.strategies.values():
        assert f"{strat.best_score:.2%}" in result.summary
    assert sum(s.wall_time_s for s in result.strategies.values()) <= result.total_wall_time_s + 1e-6


def test_bundled_score_surface_matches_a_fresh_cross_validation():
    surface = load_reference_surface()
    assert surface is not None
    scores = np.array(surface.scores)
    assert scores.shape == (len(surface.gamma), len(surface.C))
    for i, j in [(0, 0), (15, 15), (12, 20)]:  # a flat corner, the good region, the diagonal ridge
        assert scores[i, j] == pytest.approx(independent_cv(surface.C[j], surface.gamma[i]), abs=1e-4)


def test_chart_is_a_real_png(result):
    from tools.charts.tuning import render_tuning

    png = render_tuning(result)
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert 1000 <= img.width <= 1800 and 500 <= img.height <= 900


@pytest.fixture
def canned(result, monkeypatch):
    """The command layer's wiring is under test here, not the search: reuse the module's run."""
    import bot.commands.demo_tuning as command_module

    calls = []

    def fake_run_tuning(budget, seed):
        calls.append((budget, seed))
        return result

    monkeypatch.setattr(command_module, "run_tuning", fake_run_tuning)
    return calls


def test_command_returns_table_image_and_data(canned):
    from bot.commands import invoke
    from bot.services import Services

    reply = invoke("demo tuning", Services(), {"budget": "8", "seed": "2"})
    assert canned == [(8, 2)]
    assert reply.images[0].png.startswith(b"\x89PNG")
    assert len(reply.tables[0].rows) == 3
    assert set(reply.data) == {"strategies", "summary"}
    assert len(reply.text) <= 1500


def test_cli_json_output_and_png(canned, tmp_path, capsys):
    from bot.frontends.cli import main

    out = tmp_path / "tuning.png"
    code = main(["demo", "tuning", "--budget", "8", "--seed", "1", "--json", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert canned == [(8, 1)]
    data = json.loads(captured.out)
    assert set(data) == {"strategies", "summary", "images"}
    assert data["images"] == [str(out)]
    assert out.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("args", [["--budget", "4"], ["--budget", "201"], ["--budget", "abc"],
                                  ["--seed", "-3"], ["--seed", "x"]])
def test_cli_bad_values_exit_2_with_one_error_line(args, canned, capsys):
    from bot.frontends.cli import main

    code = main(["demo", "tuning", *args])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "Traceback" not in captured.err
    assert canned == []  # rejected before any search ran
