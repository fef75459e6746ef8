"""Confusion-matrix metrics checked against hand formulas (rows = actual, columns = predicted)."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tools.charts.confusion_matrix import render_confusion_matrix
from tools.confusion_matrix import run_confusion_matrix
from tools.errors import UserInputError


def hand_metrics(cm: np.ndarray, k: int) -> dict[str, float | None]:
    """Textbook formulas for class k, written out independently of the tool."""
    cm = np.asarray(cm, dtype=float)
    tp = cm[k, k]
    fp = cm[:, k].sum() - tp  # predicted k, actually something else
    fn = cm[k, :].sum() - tp  # actually k, predicted something else
    tn = cm.sum() - tp - fp - fn

    def div(a, b):
        return None if b == 0 else a / b

    precision = div(tp, tp + fp)
    recall = div(tp, tp + fn)
    f1 = div(2 * tp, 2 * tp + fp + fn)
    return {"precision": precision, "recall": recall, "f1": f1, "specificity": div(tn, tn + fp),
            "support": int(tp + fn)}


def close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, abs_tol=1e-12))


def test_binary_metrics_match_hand_formulas():
    r = run_confusion_matrix("[[50,10],[5,35]]", labels="cat,dog")
    dog = r.per_class[1]
    # dog: TP 35, FP 10 (cats predicted dog), FN 5 (dogs predicted cat), TN 50
    assert dog.precision == pytest.approx(35 / (35 + 10))
    assert dog.recall == pytest.approx(35 / (35 + 5))
    assert dog.f1 == pytest.approx(2 * (35 / 45) * (35 / 40) / (35 / 45 + 35 / 40))
    assert dog.specificity == pytest.approx(50 / (50 + 10))
    assert dog.support == 40
    cat = r.per_class[0]
    assert cat.precision == pytest.approx(50 / 55) and cat.recall == pytest.approx(50 / 60)
    assert r.accuracy == pytest.approx(85 / 100)


def test_multiclass_metrics_and_averages_match_hand_formulas():
    cm = np.array([[30, 5, 2], [4, 20, 6], [1, 3, 9]])
    r = run_confusion_matrix("30 5 2; 4 20 6; 1 3 9")
    hand = [hand_metrics(cm, k) for k in range(3)]
    for k, m in enumerate(r.per_class):
        for key in ("precision", "recall", "f1", "specificity"):
            assert close(getattr(m, key), hand[k][key]), (k, key)
        assert m.support == hand[k]["support"]
    assert r.accuracy == pytest.approx(np.trace(cm) / cm.sum())
    support = cm.sum(axis=1)
    for key in ("precision", "recall", "f1"):
        values = np.array([h[key] for h in hand])
        assert r.macro[key] == pytest.approx(values.mean())
        assert r.weighted[key] == pytest.approx((values * support).sum() / support.sum())


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 1000), min_size=n, max_size=n), min_size=n, max_size=n)))
def test_random_matrices_match_hand_formulas_and_never_give_nan(rows):
    cm = np.array(rows)
    if cm.sum() == 0:
        cm[0, 0] = 1
    r = run_confusion_matrix(cm)
    for k, m in enumerate(r.per_class):
        hand = hand_metrics(cm, k)
        for key in ("precision", "recall", "f1", "specificity"):
            assert close(getattr(m, key), hand[key]), (k, key)
    text = json.dumps(r.to_dict(), allow_nan=False)  # raises on NaN/inf
    assert "NaN" not in text


def test_undefined_metrics_are_null_with_a_reason():
    # class 1 is never predicted (no predicted positives); class 2 never occurs (no actual positives)
    r = run_confusion_matrix("10 0 0; 3 0 2; 0 0 0", labels="a,b,c")
    data = r.to_dict()
    b, c = data["per_class"][1], data["per_class"][2]
    assert b["precision"] is None and b["recall"] == 0.0
    assert c["recall"] is None and c["precision"] == 0.0 and c["support"] == 0
    notes = " ".join(data["notes"])
    assert "b: precision undefined" in notes and "never predicted" in notes
    assert "c: recall undefined" in notes and "no actual samples" in notes
    json.dumps(data, allow_nan=False)


def test_specificity_undefined_when_every_sample_is_one_class():
    r = run_confusion_matrix("[[0,0],[3,7]]")
    assert r.per_class[1].specificity is None
    assert any("specificity undefined" in n for n in r.notes)


def test_positive_class_summary_focuses_on_that_class():
    r = run_confusion_matrix("[[50,10],[5,35]]", labels="cat,dog", positive="dog")
    assert r.positive == 1
    assert "dog" in r.summary and "TP 35" in r.summary and "FP 10" in r.summary and "FN 5" in r.summary
    assert r.to_dict()["positive"] == {"label": "dog", "tp": 35, "fp": 10, "fn": 5, "tn": 50}


def test_summary_says_rows_are_actual():
    r = run_confusion_matrix("[[50,10],[5,35]]")
    assert "rows = actual" in r.summary


def test_json_schema():
    data = run_confusion_matrix("[[50,10],[5,35]]").to_dict()
    assert {"per_class", "accuracy", "macro", "weighted", "summary", "notes"} <= set(data)
    assert set(data["per_class"][0]) == {"label", "precision", "recall", "f1", "support", "specificity"}
    for average in ("macro", "weighted"):
        assert {"precision", "recall", "f1"} <= set(data[average])


@pytest.mark.parametrize("matrix, labels, positive", [
    ("[[1,2],[3]]", None, None),
    ("1 2; 3 4", "a,b,c", None),
    ("1 2; 3 4", "a,a", None),
    ("1 2; 3 4", "a,b", "z"),
])
def test_bad_inputs_raise_user_input_error(matrix, labels, positive):
    with pytest.raises(UserInputError):
        run_confusion_matrix(matrix, labels=labels, positive=positive)


def test_huge_counts_are_fine():
    r = run_confusion_matrix(f"{10**9} 1; 2 {10**9}")
    assert r.per_class[0].precision == pytest.approx(10**9 / (10**9 + 2))


@pytest.mark.parametrize("matrix, positive", [("[[50,10],[5,35]]", "1"), ("10 0 0 1; 3 0 2 1; 0 0 0 0; 1 1 1 9", None)])
def test_heatmap_is_a_real_png(matrix, positive):
    png = render_confusion_matrix(run_confusion_matrix(matrix, positive=positive))
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert 800 <= img.width <= 1800 and 400 <= img.height <= 1000


def test_large_matrix_renders_without_cell_text():
    rng = np.random.default_rng(0)
    cm = rng.integers(0, 5, (30, 30)) + np.eye(30, dtype=int) * 50
    png = render_confusion_matrix(run_confusion_matrix(cm))
    assert png.startswith(b"\x89PNG")
