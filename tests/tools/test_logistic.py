"""Logistic regression demo: coefficients, odds ratios and log loss against independent sklearn fits."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image as PILImage
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tools.charts.logistic import render_logistic
from tools.errors import UserInputError
from tools.logistic import DATASETS, log_loss_from_definition, reading, run_logistic


@pytest.fixture(scope="module")
def cancer():
    return run_logistic("breast_cancer")


@pytest.fixture(scope="module")
def reference():
    """An independent fit: sklearn pipeline on malignant = 1."""
    bunch = load_breast_cancer()
    y = (bunch.target == 0).astype(int)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)).fit(bunch.data, y)
    return bunch, y, pipe


def test_log_loss_from_definition_equals_sklearn_including_extreme_probabilities():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    p = rng.uniform(0, 1, 200)
    p[:4] = [0.0, 1.0, 1e-300, 1 - 1e-17]  # clipping must match sklearn's
    y[:4] = [1, 0, 1, 0]
    assert log_loss_from_definition(y, p) == pytest.approx(log_loss(y, p), rel=1e-12)


def test_log_loss_hand_computed_small_case():
    y = np.array([1, 0, 1])
    p = np.array([0.8, 0.3, 0.6])
    expected = -(math.log(0.8) + math.log(0.7) + math.log(0.6)) / 3
    assert log_loss_from_definition(y, p) == pytest.approx(expected, rel=1e-14)


def test_reported_log_loss_matches_sklearn(cancer, reference):
    bunch, y, pipe = reference
    assert cancer.log_loss == pytest.approx(cancer.log_loss_sklearn, rel=1e-12)
    assert cancer.log_loss == pytest.approx(log_loss(y, pipe.predict_proba(bunch.data)[:, 1]), rel=1e-6)


def test_coefficients_match_an_independent_pipeline(cancer, reference):
    bunch, y, pipe = reference
    scaler, model = pipe[0], pipe[1]
    by_name = {c.feature: c for c in cancer.coefficients}
    assert len(by_name) == 30
    for j, name in enumerate(bunch.feature_names):
        c = by_name[str(name)]
        assert c.std_coef == pytest.approx(model.coef_[0, j], rel=1e-5, abs=1e-8)
        assert c.coef == pytest.approx(model.coef_[0, j] / scaler.scale_[j], rel=1e-5, abs=1e-8)
        assert c.odds_ratio == pytest.approx(math.exp(c.coef), rel=1e-12)
        assert c.std_odds_ratio == pytest.approx(math.exp(c.std_coef), rel=1e-12)


def test_raw_coefficients_give_the_same_log_odds_as_the_standardized_model(cancer, reference):
    bunch, _, pipe = reference
    beta = np.array([next(c.coef for c in cancer.coefficients if c.feature == str(n)) for n in bunch.feature_names])
    scores = bunch.data @ beta
    # the intercept in raw units is whatever makes the means line up; slopes alone must match up to a constant
    diff = pipe.decision_function(bunch.data) - scores
    assert np.ptp(diff) < 1e-6 * np.ptp(scores)
    assert np.allclose(cancer.logits, pipe.decision_function(bunch.data), rtol=1e-5, atol=1e-6)


def test_accuracy_matches_sklearn(cancer, reference):
    bunch, y, pipe = reference
    assert cancer.accuracy == pytest.approx(accuracy_score(y, pipe.predict(bunch.data)))


def test_coefficients_sorted_by_absolute_standardized_size(cancer):
    sizes = [abs(c.std_coef) for c in cancer.coefficients]
    assert sizes == sorted(sizes, reverse=True)


def test_positive_class_is_malignant(cancer, reference):
    _, y, _ = reference
    assert cancer.positive_label == "malignant"
    assert list(cancer.labels) == y.tolist()


def test_plain_language_readings(cancer):
    top = cancer.coefficients[0]
    per_sd = reading(top, "malignant", standardized=True)
    per_unit = reading(top, "malignant", standardized=False)
    assert per_sd.startswith("one standard deviation more") and f"{top.std_odds_ratio:.3g}" in per_sd
    assert per_unit.startswith(f"one more unit of {top.feature} multiplies the odds of malignant by")
    assert "multiplies the odds" in cancer.summary


def test_odds_ratio_below_one_is_read_as_a_cut():
    iris = run_logistic("iris_binary")
    negative = next(c for c in iris.coefficients if c.std_coef < 0)
    assert "cuts them by" in reading(negative, "virginica", standardized=True)


@pytest.mark.parametrize("name", DATASETS)
def test_every_bundled_dataset_runs(name):
    result = run_logistic(name)
    assert result.n_rows > 100 and 0.8 < result.accuracy <= 1.0
    assert result.log_loss == pytest.approx(result.log_loss_sklearn, rel=1e-12)


def test_iris_matches_independent_fit():
    bunch = load_iris()
    y = (bunch.target == 2).astype(int)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(bunch.data, y)
    result = run_logistic("iris_binary")
    got = {c.feature: c.std_coef for c in result.coefficients}
    for j, name in enumerate(bunch.feature_names):
        assert got[name] == pytest.approx(pipe[1].coef_[0, j], rel=1e-4)


def test_csv_upload_runs_and_notes_dropped_columns():
    rng = np.random.default_rng(0)
    lines = ["hours,constant,city,passed"]
    for i in range(60):
        hours = rng.uniform(0, 10)
        passed = int(rng.random() < 1 / (1 + math.exp(-(hours - 5))))
        lines.append(f"{hours:.2f},7,{'Oslo' if i % 2 else 'Rome'},{passed}")
    result = run_logistic(csv_data="\n".join(lines).encode(), csv_name="study.csv", target="passed")
    assert result.dataset == "upload:study.csv"
    assert [c.feature for c in result.coefficients] == ["hours"]
    assert result.coefficients[0].coef > 0
    assert any("city" in n for n in result.notes) and any("constant" in n for n in result.notes)
    assert result.outcome == "passed = 1"


def test_unknown_dataset_and_stray_target_are_user_errors():
    with pytest.raises(UserInputError):
        run_logistic("titanic")
    with pytest.raises(UserInputError):
        run_logistic("breast_cancer", target="diagnosis")
    with pytest.raises(UserInputError):
        run_logistic(csv_data=b"a,y\n1,0\n", target=None)


def test_huge_feature_values_are_a_user_error():
    lines = ["a,y"] + [f"{'1e200' if i % 2 else '1'},{i % 2}" for i in range(12)]
    with pytest.raises(UserInputError):
        run_logistic(csv_data="\n".join(lines).encode(), target="y")


def test_json_has_the_documented_shape(cancer):
    d = cancer.to_dict()
    assert set(d) == {"dataset", "coefficients", "log_loss", "log_loss_sklearn", "accuracy", "summary"}
    assert set(d["coefficients"][0]) == {"feature", "coef", "odds_ratio", "std_coef", "std_odds_ratio"}


def test_chart_is_a_real_png(cancer):
    png = render_logistic(cancer)
    assert png.startswith(b"\x89PNG")
    with PILImage.open(io.BytesIO(png)) as img:
        assert 800 <= img.width <= 2000 and 300 <= img.height <= 1200
