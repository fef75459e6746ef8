"""Parse a confusion matrix typed by a student, and its class labels: never ``eval``.

Accepted forms (rows = actual class, columns = predicted class):

* JSON / Python / NumPy style: ``[[50,10],[5,35]]``, ``[[50 10] [5 35]]``
* rows separated by semicolons or new lines, cells by commas and/or spaces:
  ``50 10; 5 35``, ``50,10\\n5,35``

Cells are whole numbers from 0 to :data:`MAX_COUNT`; ``50.0`` counts as 50, ``5.5`` does not.
Every problem raises :class:`~tools.errors.UserInputError` with one line naming the accepted form.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal, InvalidOperation

import numpy as np

from tools.errors import UserInputError

log = logging.getLogger(__name__)

MAX_CLASSES = 50
MIN_CLASSES = 2
MAX_COUNT = 10**9
MAX_MATRIX_CHARS = 40_000  # 50 x 50 cells of 10 digits plus separators fit comfortably
MAX_LABEL_CHARS = 40
MAX_LABELS_CHARS = 2_500

ACCEPTED_FORM = ('a square matrix of counts (rows = actual, columns = predicted), '
                 'e.g. "[[50,10],[5,35]]" or "50 10; 5 35"')

_BRACKET_TOKEN = re.compile(r"\[|\]|,|[^\s\[\],]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
_CELL_SPLIT = re.compile(r"[,\s]+")
_ROW_SPLIT = re.compile(r"[;\n\r]+")


def _fail(problem: str) -> UserInputError:
    return UserInputError(f"{problem}; expected {ACCEPTED_FORM}")


def _show(token: str) -> str:
    return repr(token if len(token) <= 20 else token[:17] + "...")


def parse_count(token: str) -> int:
    """One cell: a whole number from 0 to MAX_COUNT (``50.0`` and ``1e3`` are whole numbers)."""
    if not _NUMBER.fullmatch(token):
        raise _fail(f"{_show(token)} is not a number")
    if len(token) > 40:
        raise _fail(f"{_show(token)} is too long for a count (at most {MAX_COUNT:,})")
    try:
        value = Decimal(token)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise _fail(f"{_show(token)} is not a number") from None
    if value < 0:
        raise _fail(f"counts cannot be negative (got {_show(token)})")
    if value != value.to_integral_value():
        raise _fail(f"counts must be whole numbers (got {_show(token)})")
    if value > MAX_COUNT:
        raise _fail(f"counts must be at most {MAX_COUNT:,} (got {_show(token)})")
    return int(value)


def _parse_bracketed(text: str) -> list[list[str]]:
    """``[[a, b], [c, d]]`` with optional commas (JSON, Python and NumPy print forms)."""
    matches = list(_BRACKET_TOKEN.finditer(text))
    tokens = [m.group(0) for m in matches]
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal pos
        tok = peek()
        if tok is None:
            raise _fail("the matrix ends too early (missing ']')")
        if expected is not None and tok != expected:
            raise _fail(f"expected {expected!r} but found {_show(tok)}")
        pos += 1
        return tok

    take("[")
    rows: list[list[str]] = []
    while True:
        tok = peek()
        if tok == "]":
            take()
            break
        if tok == "," and rows:
            take()
            continue
        if tok != "[":
            if tok is None:
                raise _fail("the matrix ends too early (missing ']')")
            raise _fail(f"expected a row like [50, 10] but found {_show(tok)}")
        take("[")
        row: list[str] = []
        while True:
            tok = peek()
            if tok == "]":
                take()
                break
            if tok == "," and row:
                take()
                if peek() in ("]", ","):
                    raise _fail("a row has an empty cell")
                continue
            if tok is None:
                raise _fail("the matrix ends too early (missing ']')")
            if tok in ("[", ","):
                raise _fail("the matrix must be a list of rows of numbers (found nested or empty cells)")
            row.append(take())
            if len(row) > MAX_CLASSES:
                raise _fail(f"a row has more than {MAX_CLASSES} cells (at most {MAX_CLASSES} classes)")
        rows.append(row)
        if len(rows) > MAX_CLASSES:
            raise _fail(f"more than {MAX_CLASSES} rows (at most {MAX_CLASSES} classes)")
    if pos < len(tokens):
        raise _fail(f"unexpected text after the matrix: {_show(text[matches[pos].start():].strip())}")
    return rows


def _parse_rows(text: str) -> list[list[str]]:
    """``50 10; 5 35`` or CSV / whitespace rows on separate lines."""
    rows: list[list[str]] = []
    for line in _ROW_SPLIT.split(text):
        line = line.strip()
        if not line:
            continue  # blank lines and a trailing ';' are fine
        if "[" in line or "]" in line:
            raise _fail("brackets must enclose the whole matrix")
        if re.search(r",\s*,|^,|,$", line):
            raise _fail("a row has an empty cell")
        rows.append([c for c in _CELL_SPLIT.split(line) if c])
        if len(rows) > MAX_CLASSES:
            raise _fail(f"more than {MAX_CLASSES} rows (at most {MAX_CLASSES} classes)")
    return rows


def parse_matrix(text: str) -> np.ndarray:
    """A validated square ``int64`` matrix of counts from ``text``; rows = actual, columns = predicted."""
    if not isinstance(text, str):
        raise _fail(f"the matrix must be text (got {type(text).__name__})")
    if len(text) > MAX_MATRIX_CHARS:
        raise _fail(f"the matrix text is too long ({len(text):,} characters; at most {MAX_MATRIX_CHARS:,})")
    stripped = text.strip()
    if not stripped:
        raise _fail("the matrix is empty")
    cells = _parse_bracketed(stripped) if stripped.startswith("[") else _parse_rows(stripped)
    if not cells or all(not row for row in cells):
        raise _fail("the matrix is empty")
    widths = {len(row) for row in cells}
    if len(widths) != 1:
        lengths = ", ".join(str(len(r)) for r in cells[:8])
        raise _fail(f"rows have different lengths ({lengths}{', ...' if len(cells) > 8 else ''})")
    n_rows, n_cols = len(cells), widths.pop()
    if n_cols > MAX_CLASSES:
        raise _fail(f"{n_cols} columns is more than {MAX_CLASSES} classes")
    values = [[parse_count(tok) for tok in row] for row in cells]
    if n_rows != n_cols:
        raise _fail(f"the matrix is {n_rows}x{n_cols}, not square")
    if n_rows < MIN_CLASSES:
        raise _fail(f"a confusion matrix needs at least {MIN_CLASSES} classes (got {n_rows})")
    matrix = np.asarray(values, dtype=np.int64)
    if matrix.sum() == 0:
        raise _fail("every count is 0, so there is nothing to measure")
    return matrix


def parse_labels(text: str | None, n_classes: int) -> tuple[str, ...]:
    """Class names from a comma list (``cat,dog``); default ``0``, ``1``, ... in matrix order."""
    if text is None or not text.strip():
        return tuple(str(i) for i in range(n_classes))
    form = f"{n_classes} distinct comma-separated names, e.g. --labels " + ",".join(
        ("cat", "dog", "bird", "fish")[:n_classes] if n_classes <= 4 else ("a", "b", "c", "..."))
    if len(text) > MAX_LABELS_CHARS:
        raise UserInputError(f"labels are too long ({len(text):,} characters); expected {form}")
    labels = tuple(part.strip() for part in text.split(","))
    if len(labels) != n_classes:
        raise UserInputError(f"got {len(labels)} labels for a {n_classes}-class matrix; expected {form}")
    seen: dict[str, str] = {}
    for label in labels:
        if not label:
            raise UserInputError(f"a label is empty; expected {form}")
        if len(label) > MAX_LABEL_CHARS:
            raise UserInputError(f"label {_show(label)} is longer than {MAX_LABEL_CHARS} characters; expected {form}")
        if not label.isprintable():
            raise UserInputError(f"label {_show(label)} has control characters; expected {form}")
        key = label.casefold()
        if key in seen:
            raise UserInputError(f"duplicate label {label!r}; expected {form}")
        seen[key] = label
    return labels


def resolve_positive(positive: str | None, labels: tuple[str, ...]) -> int | None:
    """Index of the ``--positive`` class (exact name, then case-insensitive), or ``None``."""
    if positive is None or not positive.strip():
        return None
    name = positive.strip()
    if name in labels:
        return labels.index(name)
    folded = [label.casefold() for label in labels]
    if name.casefold() in folded:
        return folded.index(name.casefold())
    shown = ", ".join(labels[:10]) + (", ..." if len(labels) > 10 else "")
    raise UserInputError(f"unknown positive class {_show(name)}; expected one of the labels: {shown}")
