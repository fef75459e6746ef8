"""The confusion-matrix parser: every accepted form, every rejected form, and fuzzing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.errors import UserInputError
from tools.matrix_parser import (
    MAX_CLASSES,
    MAX_COUNT,
    parse_count,
    parse_labels,
    parse_matrix,
    resolve_positive,
)

EXPECTED = np.array([[50, 10], [5, 35]])


@pytest.mark.parametrize("text", [
    "[[50,10],[5,35]]",
    " [[50, 10], [5, 35]] ",
    "[[50 10]\n [ 5 35]]",  # numpy's print form
    "[[50., 10.], [5., 35.]]",
    "50 10; 5 35",
    "50 10;5 35;",
    "50,10\n5,35",
    "50, 10\r\n5, 35\n",
    "50\t10\n\n5\t35",
    "5e1 1e1; 5 35",
])
def test_accepted_forms_parse_to_the_same_matrix(text):
    m = parse_matrix(text)
    assert m.dtype == np.int64
    assert np.array_equal(m, EXPECTED)


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("   \n ; ", "empty"),
    ("[]", "empty"),
    ("[[1,2],[3]]", "different lengths"),
    ("1 2; 3", "different lengths"),
    ("1 2 3; 4 5 6", "not square"),
    ("1 -2; 3 4", "negative"),
    ("[[1,2],[3,-4]]", "negative"),
    ("1 2.5; 3 4", "whole numbers"),
    ("1 2; 3 4e-1", "whole numbers"),
    ("1 2; 3 x", "not a number"),
    ("1 2; 3 nan", "not a number"),
    ("1 2; 3 inf", "not a number"),
    (f"1 2; 3 {MAX_COUNT + 1}", "at most"),
    ("1 2; 3 1e10", "at most"),
    ("1 2; 3 " + "9" * 5000, "too long"),
    ("[[1,2],[3,4]] extra", "after the matrix"),
    ("[[1,2],[3,4]]]", "after the matrix"),
    ("[[1,2],[3,4]", "ends too early"),
    ("[[1,,2],[3,4]]", "empty cell"),
    ("1,,2; 3,4", "empty cell"),
    ("[[[1,2]],[[3,4]]]", "list of rows"),
    ("[1, 2, 3, 4]", "expected a row"),
    ("1 2; [3 4]", "brackets"),
    ("7", "at least 2 classes"),
    ("0 0; 0 0", "every count is 0"),
    ("[[true, 1], [1, 1]]", "not a number"),
])
def test_bad_matrices_raise_one_line_naming_the_accepted_form(text, fragment):
    with pytest.raises(UserInputError) as err:
        parse_matrix(text)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message
    assert "rows = actual, columns = predicted" in message


def test_more_than_max_classes_is_rejected():
    n = MAX_CLASSES + 1
    text = json.dumps(np.ones((n, n), dtype=int).tolist())
    with pytest.raises(UserInputError, match=f"at most {MAX_CLASSES} classes|more than {MAX_CLASSES}"):
        parse_matrix(text)
    rows = "; ".join(" ".join("1" for _ in range(n)) for _ in range(n))
    with pytest.raises(UserInputError):
        parse_matrix(rows)


def test_largest_allowed_matrix_parses():
    m = np.full((MAX_CLASSES, MAX_CLASSES), MAX_COUNT)
    assert np.array_equal(parse_matrix(json.dumps(m.tolist())), m)


def test_parse_count_boundaries():
    assert parse_count("0") == 0
    assert parse_count("+7") == 7
    assert parse_count("-0") == 0
    assert parse_count(str(MAX_COUNT)) == MAX_COUNT
    for bad in ("-1", "0.5", "1e-3", "abc", "", "1_000"):
        with pytest.raises(UserInputError):
            parse_count(bad)


def test_labels_are_parsed_and_checked():
    assert parse_labels("cat, dog", 2) == ("cat", "dog")
    assert parse_labels(None, 3) == ("0", "1", "2")
    for bad, fragment in (("cat", "got 1 labels"), ("cat,dog,bird", "got 3 labels"), ("cat,Cat", "duplicate"),
                          ("cat,", "empty"), ("x" * 41 + ",dog", "longer than")):
        with pytest.raises(UserInputError, match=fragment):
            parse_labels(bad, 2)


def test_positive_label_resolution():
    labels = ("cat", "dog")
    assert resolve_positive("dog", labels) == 1
    assert resolve_positive("DOG", labels) == 1
    assert resolve_positive(None, labels) is None
    with pytest.raises(UserInputError, match="unknown positive class"):
        resolve_positive("bird", labels)


# ----------------------------------------------------------------------------------------- fuzzing

def _check_result_or_error(text: str) -> None:
    try:
        m = parse_matrix(text)
    except UserInputError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert isinstance(m, np.ndarray) and m.dtype == np.int64 and m.ndim == 2
    assert m.shape[0] == m.shape[1] and 2 <= m.shape[0] <= MAX_CLASSES
    assert (m >= 0).all() and (m <= MAX_COUNT).all() and m.sum() > 0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_any_text_parses_or_raises_user_input_error(text):
    _check_result_or_error(text)


_ALPHABET = st.sampled_from(list("0123456789 ,;[]\n\t.-+eE") + ["nan", "1e9", "10000000000", "x", "true"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_fuzz_matrix_like_text_parses_or_raises_user_input_error(text):
    _check_result_or_error(text)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 6).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, MAX_COUNT), min_size=n, max_size=n), min_size=n, max_size=n)),
    st.sampled_from(["json", "semicolon", "csv", "numpy"]))
def test_fuzz_round_trip_of_valid_matrices(rows, form):
    m = np.array(rows)
    if m.sum() == 0:
        m[0, 0] = 1
    text = {
        "json": json.dumps(m.tolist()),
        "semicolon": "; ".join(" ".join(map(str, r)) for r in m),
        "csv": "\n".join(",".join(map(str, r)) for r in m),
        "numpy": str(m),
    }[form]
    assert np.array_equal(parse_matrix(text), m)
