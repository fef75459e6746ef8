"""Load a user's CSV for a binary classifier: numeric features plus a named two-valued target.

Pure standard library + numpy (the ``csv`` module, no pandas). Every problem raises
:class:`~tools.errors.UserInputError` with one line saying what is wrong and what is accepted.

Policy (stated in the notes the result carries, so the user sees what happened):

* the target column must have exactly two distinct values; which one counts as "positive" is
  the larger number for numeric codes (0/1, 1/2), otherwise ``true``/``yes``/``positive`` when
  present, otherwise the later name alphabetically;
* non-numeric feature columns are **dropped with a note** (a model of numbers needs numbers);
* rows with a missing value (empty, ``NA``, ``NaN``, ``null``, ``?``…) in the target or in a kept
  feature column are **dropped with a note**;
* afterwards at least :data:`MIN_ROWS` rows and both classes must remain.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from dataclasses import dataclass

import numpy as np

from tools.errors import UserInputError

log = logging.getLogger(__name__)

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_COLUMNS = 50
MAX_CSV_ROWS = 100_000
MIN_ROWS = 10
MAX_FIELD_CHARS = 10_000
MAX_COLUMN_NAME_CHARS = 100
MAX_TARGET_NAME_CHARS = 100

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-", "missing"})
POSITIVE_TOKENS = ("true", "yes", "y", "positive", "pos")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
_DELIMITERS = (",", ";", "\t")
_LIST_COLUMNS_MAX = 12


@dataclass(frozen=True)
class BinaryCsv:
    """A cleaned table: ``x`` is ``(rows, features)`` float64, ``y`` is 0/1."""

    feature_names: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    target: str
    negative_label: str
    positive_label: str
    notes: tuple[str, ...]
    rows_read: int

    @property
    def n_rows(self) -> int:
        return len(self.y)


def _fmt_mb(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.1f} MB"


def _list(names: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(repr(n) for n in names[:_LIST_COLUMNS_MAX])
    more = len(names) - _LIST_COLUMNS_MAX
    return shown + (f" and {more} more" if more > 0 else "")


def _decode(data: bytes) -> str:
    if not isinstance(data, (bytes, bytearray)):
        raise UserInputError("the CSV must be given as file bytes")
    if len(data) > MAX_CSV_BYTES:
        raise UserInputError(f"the CSV is {_fmt_mb(len(data))}; the limit is {_fmt_mb(MAX_CSV_BYTES)}")
    if not data.strip():
        raise UserInputError("the CSV file is empty; expected a header row and at least "
                             f"{MIN_ROWS} data rows")
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UserInputError("this looks like an Excel/zip file, not CSV; save it as \"CSV UTF-8\" and try again")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserInputError("the file is not UTF-8 text; save it as \"CSV UTF-8\" and try again") from None
    if "\x00" in text or any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text[:10_000]):
        raise UserInputError("the file contains binary control characters, so it is not a CSV text file")
    return text


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _is_number(cell: str) -> bool:
    return bool(_NUMBER.fullmatch(cell)) and math.isfinite(float(cell))


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_TOKENS


def _read_rows(text: str) -> tuple[list[str], list[list[str]]]:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header: list[str] | None = None
    rows: list[list[str]] = []
    try:
        for record in reader:
            if not record or all(not cell.strip() for cell in record):
                continue  # blank line
            if any(len(cell) > MAX_FIELD_CHARS for cell in record):
                raise UserInputError(f"line {reader.line_num} has a field over {MAX_FIELD_CHARS:,} characters; "
                                     "is this really a CSV of numbers?")
            if header is None:
                header = [cell.strip() for cell in record]
                if len(header) > MAX_CSV_COLUMNS:
                    raise UserInputError(f"the CSV has {len(header)} columns; the limit is {MAX_CSV_COLUMNS}")
                continue
            if len(record) != len(header):
                raise UserInputError(f"line {reader.line_num} has {len(record)} fields but the header has "
                                     f"{len(header)}; every row needs one value per column")
            rows.append([cell.strip() for cell in record])
            if len(rows) > MAX_CSV_ROWS:
                raise UserInputError(f"the CSV has more than {MAX_CSV_ROWS:,} data rows; the limit is "
                                     f"{MAX_CSV_ROWS:,}")
    except csv.Error as err:
        raise UserInputError(f"not a valid CSV (line {reader.line_num}: {str(err)[:80]})") from None
    if header is None:
        raise UserInputError("the CSV file is empty; expected a header row and at least "
                             f"{MIN_ROWS} data rows")
    return header, rows


def _check_header(header: list[str]) -> None:
    if len(header) < 2:
        raise UserInputError("found only one column; expected comma-separated columns: a target column and at "
                             "least one numeric feature")
    if all(_is_number(name) for name in header if name):
        raise UserInputError("the header row is missing: the first row is all numbers; add a first row with "
                             "column names")
    seen: set[str] = set()
    for i, name in enumerate(header, 1):
        if not name:
            raise UserInputError(f"column {i} has no name; every column needs a name in the header row")
        if len(name) > MAX_COLUMN_NAME_CHARS:
            raise UserInputError(f"column {i}'s name is {len(name)} characters; the limit is {MAX_COLUMN_NAME_CHARS}")
        if name in seen:
            raise UserInputError(f"column name {name[:40]!r} appears twice; column names must be unique")
        seen.add(name)


def _find_target(header: list[str], target: str) -> int:
    if target in header:
        return header.index(target)
    folded = [i for i, name in enumerate(header) if name.casefold() == target.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise UserInputError(f"target column {target[:40]!r} not found; the columns are {_list(header)}")


def _positive_label(values: list[str]) -> str:
    if all(_is_number(v) for v in values):
        return max(values, key=float)  # 0/1, 1/2, -1/1: the larger code is the positive class
    lowered = {v.lower(): v for v in values}
    for token in POSITIVE_TOKENS:
        if token in lowered:
            return lowered[token]
    return sorted(values)[-1]


def load_binary_csv(data: bytes, target: str | None, filename: str = "data.csv") -> BinaryCsv:
    """Parse, validate and clean; raises :class:`UserInputError` for every problem."""
    if not isinstance(target, str) or not target.strip():
        raise UserInputError("name the target column (the one with two classes), e.g. target:diagnosis")
    target = target.strip()
    if len(target) > MAX_TARGET_NAME_CHARS:
        raise UserInputError(f"the target name is {len(target)} characters; the limit is {MAX_TARGET_NAME_CHARS}")
    text = _decode(data)
    header, rows = _read_rows(text)
    _check_header(header)
    t_idx = _find_target(header, target)
    target_name = header[t_idx]
    if len(rows) < MIN_ROWS:
        raise UserInputError(f"the CSV has {len(rows)} data rows; at least {MIN_ROWS} are needed")
    notes: list[str] = []

    feature_idx = [i for i in range(len(header)) if i != t_idx]
    numeric = [i for i in feature_idx if all(_is_missing(r[i]) or _is_number(r[i]) for r in rows)
               and any(not _is_missing(r[i]) for r in rows)]
    dropped_cols = [header[i] for i in feature_idx if i not in numeric]
    if not numeric:
        raise UserInputError(f"no numeric feature columns besides the target {target_name!r}; non-numeric "
                             f"columns are not used: {_list(dropped_cols)}")
    if dropped_cols:
        notes.append(f"dropped {len(dropped_cols)} non-numeric column(s): {_list(dropped_cols)}")

    keep = [r for r in rows if not _is_missing(r[t_idx]) and not any(_is_missing(r[i]) for i in numeric)]
    if len(keep) < len(rows):
        notes.append(f"dropped {len(rows) - len(keep)} of {len(rows)} rows with a missing value")
    if len(keep) < MIN_ROWS:
        raise UserInputError(f"only {len(keep)} complete rows (no missing values); at least {MIN_ROWS} are needed")

    labels = sorted({r[t_idx] for r in keep})
    if len(labels) == 1:
        raise UserInputError(f"target {target_name!r} has a single class ({labels[0][:30]!r}); a classifier "
                             "needs rows of both classes")
    if len(labels) > 2:
        raise UserInputError(f"target {target_name!r} has {len(labels)} distinct values "
                             f"({_list(labels[:5])}{', …' if len(labels) > 5 else ''}); it must have exactly two")
    positive = _positive_label(labels)
    negative = labels[0] if labels[1] == positive else labels[1]
    y = np.array([1 if r[t_idx] == positive else 0 for r in keep], dtype=np.int64)
    x = np.array([[float(r[i]) for i in numeric] for r in keep], dtype=np.float64)
    notes.append(f"positive class: {target_name} = {positive!r} ({int(y.sum())} rows); negative: "
                 f"{negative!r} ({int(len(y) - y.sum())} rows)")
    log.debug("loaded %s: %d rows, %d features", filename, len(y), len(numeric))
    return BinaryCsv(
        feature_names=tuple(header[i] for i in numeric), x=x, y=y, target=target_name,
        negative_label=negative, positive_label=positive, notes=tuple(notes), rows_read=len(rows),
    )
