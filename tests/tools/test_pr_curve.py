"""Precision–recall operating points, recomputed independently from the held-out scores."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tools.charts.pr_curve import render_pr_curve
from tools.errors import UserInputError
from tools.pr_curve import PRECISION_TARGET, RECALL_TARGET, SCENARIOS, run_pr_curve


@pytest.fixture(scope="module", params=SCENARIOS)
def result(request):
    return run_pr_curve(request.param, seed=0)


def counts_at(y: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    """Confusion matrix at a threshold, by hand: positive when score >= threshold."""
    pred = scores >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    tn = int(np.sum(~pred & (y == 0)))
    return tp, fp, fn, tn


def tp_fp_at_many(y: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised TP and FP counts (score >= t) for many thresholds, via sorted scores."""
    pos, neg = np.sort(scores[y == 1]), np.sort(scores[y == 0])
    tp = len(pos) - np.searchsorted(pos, thresholds, side="left")
    fp = len(neg) - np.searchsorted(neg, thresholds, side="left")
    return tp, fp


def test_reported_precision_and_recall_match_the_confusion_matrix_at_each_threshold(result):
    for point in result.operating_points:
        tp, fp, fn, tn = counts_at(result.y_test, result.scores, point.threshold)
        assert (point.tp, point.fp, point.fn, point.tn) == (tp, fp, fn, tn)
        assert point.recall == pytest.approx(tp / (tp + fn))
        if tp + fp:
            assert point.precision == pytest.approx(tp / (tp + fp))
        else:
            assert point.precision is None
        data = next(d for d in result.to_dict()["operating_points"] if d["name"] == point.name)
        assert data["threshold"] == point.threshold and data["recall"] == point.recall


def test_high_recall_point_meets_the_target_at_the_highest_such_threshold(result):
    point = result.point("high-recall")
    assert point.recall >= RECALL_TARGET
    # no higher candidate threshold (a distinct score) still reaches the target
    higher = np.unique(result.scores[result.scores > point.threshold])
    tp, _ = tp_fp_at_many(result.y_test, result.scores, higher)
    assert np.all(tp / result.y_test.sum() < RECALL_TARGET)


def test_high_precision_point_is_the_lowest_threshold_meeting_the_target(result):
    point = result.point("high-precision")
    assert point.target_met
    assert point.precision >= PRECISION_TARGET
    lower = np.unique(result.scores[result.scores < point.threshold])
    tp, fp = tp_fp_at_many(result.y_test, result.scores, lower)
    assert np.all(tp / (tp + fp) < PRECISION_TARGET)


def test_high_precision_point_trades_recall_for_precision(result):
    hp, hr = result.point("high-precision"), result.point("high-recall")
    assert hp.threshold > hr.threshold
    assert hp.precision > hr.precision and hp.recall < hr.recall


def test_average_precision_beats_random_and_json_schema(result):
    data = result.to_dict()
    assert set(data) >= {"scenario", "average_precision", "operating_points", "summary"}
    assert result.positive_rate < data["average_precision"] <= 1
    names = [p["name"] for p in data["operating_points"]]
    assert {"high-precision", "high-recall"} <= set(names)
    for p in data["operating_points"]:
        assert set(p) == {"name", "threshold", "precision", "recall"}


def test_each_scenario_chooses_the_right_kind_of_point(result):
    expected = {"spam": "high-precision", "cancer": "high-recall", "fraud": "high-recall"}[result.scenario]
    assert result.chosen == expected
    assert expected in result.summary


def test_cancer_uses_the_real_breast_cancer_data():
    from sklearn.datasets import load_breast_cancer

    r = run_pr_curve("cancer", seed=3)
    n = len(load_breast_cancer().target)
    assert r.n_train + r.n_test == n
    assert r.n_positive_test == pytest.approx(r.n_test * 212 / 569, abs=1)  # 212 malignant of 569


def test_same_seed_same_result_and_different_seed_different_split():
    a, b, c = run_pr_curve("spam", seed=5), run_pr_curve("spam", seed=5), run_pr_curve("spam", seed=6)
    assert a.to_dict() == b.to_dict()
    assert a.average_precision != c.average_precision


@pytest.mark.parametrize("kwargs", [{"scenario": "email"}, {"scenario": ""}, {"seed": -1}, {"seed": 10**7},
                                    {"seed": 1.5}, {"seed": True}])
def test_bad_inputs_raise_user_input_error(kwargs):
    with pytest.raises(UserInputError):
        run_pr_curve(**kwargs)


def test_chart_is_a_real_png():
    png = render_pr_curve(run_pr_curve("fraud", seed=1))
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert 1000 <= img.width <= 1600 and 500 <= img.height <= 900
