"""CSV loader: good files parse with the documented policy; every bad file is one UserInputError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tools.csv_loader as csv_loader
from tools.csv_loader import MAX_CSV_BYTES, MAX_CSV_COLUMNS, MIN_ROWS, BinaryCsv, load_binary_csv
from tools.errors import UserInputError


def make_csv(n: int = 12, header: str = "hours,sleep,passed", sep: str = ",") -> bytes:
    rows = [header.replace(",", sep)]
    for i in range(n):
        rows.append(sep.join([f"{i * 1.5:g}", f"{6 + i % 3}", "yes" if i % 2 else "no"]))
    return ("\n".join(rows) + "\n").encode()


def error_of(data: bytes, target: str = "passed") -> str:
    with pytest.raises(UserInputError) as err:
        load_binary_csv(data, target)
    message = str(err.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------------- good files

def test_parses_numbers_and_maps_yes_to_the_positive_class():
    table = load_binary_csv(make_csv(), "passed")
    assert table.feature_names == ("hours", "sleep")
    assert table.x.shape == (12, 2) and table.x.dtype == np.float64
    assert table.x[3].tolist() == [4.5, 6.0]
    assert table.y.tolist() == [i % 2 for i in range(12)]
    assert (table.positive_label, table.negative_label) == ("yes", "no")


@pytest.mark.parametrize("labels, positive", [(("0", "1"), "1"), (("1", "2"), "2"), (("false", "true"), "true"),
                                              (("benign", "malignant"), "malignant"), (("B", "A"), "B")])
def test_positive_class_rule(labels, positive):
    rows = ["x,label"] + [f"{i},{labels[i % 2]}" for i in range(10)]
    table = load_binary_csv("\n".join(rows).encode(), "label")
    assert table.positive_label == positive
    assert table.y.sum() == 5


def test_semicolon_tab_bom_crlf_and_quotes_are_accepted():
    for sep in (";", "\t"):
        assert load_binary_csv(make_csv(sep=sep), "passed").n_rows == 12
    text = '\ufeff"hours","sleep","passed"\r\n' + "".join(f'"{i}",{i % 4},"{"yes" if i % 2 else "no"}"\r\n'
                                                          for i in range(10))
    table = load_binary_csv(text.encode("utf-8"), "passed")
    assert table.feature_names == ("hours", "sleep") and table.n_rows == 10


def test_target_name_matches_case_insensitively():
    assert load_binary_csv(make_csv(), "PASSED").target == "passed"


def test_non_numeric_columns_are_dropped_with_a_note():
    rows = ["hours,city,passed"] + [f"{i},{'Oslo' if i % 3 else 'Rome'},{i % 2}" for i in range(12)]
    table = load_binary_csv("\n".join(rows).encode(), "passed")
    assert table.feature_names == ("hours",)
    assert any("non-numeric" in note and "city" in note for note in table.notes)


def test_rows_with_missing_values_are_dropped_with_a_note():
    rows = ["a,b,y"] + [f"{'' if i == 0 else i},{'NA' if i == 1 else i * 2},{'?' if i == 2 else i % 2}"
                        for i in range(14)]
    table = load_binary_csv("\n".join(rows).encode(), "y")
    assert table.n_rows == 11 and table.rows_read == 14
    assert any("dropped 3 of 14 rows" in note for note in table.notes)


def test_blank_lines_are_ignored():
    data = make_csv().replace(b"\n", b"\n\n")
    assert load_binary_csv(data, "passed").n_rows == 12


# --------------------------------------------------------------------------- bad files

def test_not_utf8():
    assert "UTF-8" in error_of("hours,passed\n1,ä\n".encode("latin-1") + make_csv())


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\n\r\n"])
def test_empty(data):
    assert "empty" in error_of(data)


def test_header_missing():
    rows = [f"{i},{i * 2},{i % 2}" for i in range(12)]
    assert "header" in error_of("\n".join(rows).encode(), "1")


def test_target_not_found_lists_the_columns():
    message = error_of(make_csv(), "outcome")
    assert "'outcome' not found" in message and "'hours', 'sleep', 'passed'" in message


def test_target_with_three_values_is_not_binary():
    rows = ["x,y"] + [f"{i},{'abc'[i % 3]}" for i in range(12)]
    assert "exactly two" in error_of("\n".join(rows).encode(), "y")


def test_single_class():
    rows = ["x,y"] + [f"{i},1" for i in range(12)]
    assert "single class" in error_of("\n".join(rows).encode(), "y")


def test_too_large():
    data = b"a,y\n" + b"1,0\n" * (MAX_CSV_BYTES // 4 + 1)
    assert "limit is 5.0 MB" in error_of(data, "y")


def test_too_many_columns():
    header = ",".join(f"c{i}" for i in range(MAX_CSV_COLUMNS + 1))
    assert "columns" in error_of((header + "\n").encode(), "c0")


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(csv_loader, "MAX_CSV_ROWS", 20)
    assert "more than 20" in error_of(make_csv(30))


def test_too_few_rows():
    assert f"at least {MIN_ROWS}" in error_of(make_csv(MIN_ROWS - 1))


def test_too_few_rows_after_dropping_missing_values():
    rows = ["a,y"] + [f"{'' if i < 5 else i},{i % 2}" for i in range(12)]
    assert "complete rows" in error_of("\n".join(rows).encode(), "y")


@pytest.mark.parametrize("data, fragment", [
    (b"PK\x03\x04rest-of-a-zip", "Excel"),
    (b"a,b\x00,c\n1,2,3\n", "not a CSV"),
    (b"just one column\n1\n2\n", "one column"),
    (b"a,a,y\n" + b"1,2,0\n" * 12, "twice"),
    (b"a,,y\n" + b"1,2,0\n" * 12, "no name"),
    (b"a,y\n1,0\n1,2,3\n" + b"1,0\n" * 12, "fields"),
    (b"name,y\n" + b"abc,0\nxyz,1\n" * 6, "no numeric feature"),
])
def test_malformed_files(data, fragment):
    assert fragment in error_of(data, "y")


def test_target_must_be_named():
    with pytest.raises(UserInputError):
        load_binary_csv(make_csv(), "  ")
    with pytest.raises(UserInputError):
        load_binary_csv(make_csv(), None)


# --------------------------------------------------------------------------- fuzzing

def _check_parsed_or_user_error(data: bytes, target: str) -> None:
    try:
        table = load_binary_csv(data, target)
    except UserInputError as err:
        assert "\n" not in str(err)
        return
    assert isinstance(table, BinaryCsv)
    assert table.x.shape == (len(table.y), len(table.feature_names))
    assert np.isfinite(table.x).all() and set(np.unique(table.y)) == {0, 1}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["y", "a", "", "Y"]))
def test_fuzz_arbitrary_bytes(data, target):
    _check_parsed_or_user_error(data, target)


_CELL = st.one_of(st.sampled_from(["", "NA", "1", "0", "-2.5", "1e3", "x", "1e999", '"1,2"', '"', " 3 ", "nan"]),
                  st.text(alphabet="0123456789.-eE+abc\"; \t", max_size=6))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=0, max_size=16),
       st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n", "\r"]))
def test_fuzz_csv_shaped_text(rows, sep, newline):
    text = sep.join(["a", "b", "y"]) + newline + newline.join(sep.join(row) for row in rows)
    _check_parsed_or_user_error(text.encode(), "y")


_NUMBER_CELL = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: f"{v:g}"),
                         st.integers(-1000, 1000).map(str))
_PROBLEM_CELL = st.sampled_from(["", "NA", "x", "1e999", " 2 ", "1e308", "yes", '"3"'])


@st.composite
def _tables(draw):
    """Clean numeric tables with a 0/1 target, then a few cells replaced by problem values, so both the
    happy path and each check get exercised."""
    n = draw(st.integers(8, 25))
    rows = [[draw(_NUMBER_CELL), draw(_NUMBER_CELL), draw(st.sampled_from(["0", "1"]))] for _ in range(n)]
    for _ in range(draw(st.integers(0, 3))):
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, 2))
        rows[i][j] = draw(_PROBLEM_CELL)
    return "a,b,y\n" + "\n".join(",".join(row) for row in rows)


@settings(max_examples=200, deadline=None)
@given(_tables())
def test_fuzz_rectangular_tables_reach_the_numeric_checks(text):
    _check_parsed_or_user_error(text.encode(), "y")
