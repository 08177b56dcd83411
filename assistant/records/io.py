"""Reading encounters from JSON text: one object, an array of objects, or JSON Lines.

Good and bad records in one input: :func:`read_encounters` is all-or-nothing. When any record is
bad it raises one :class:`~assistant.errors.InputError` listing the problems of every bad record
(so the CLI reports them all and exits 2, and nothing is half-processed); when all are good it
returns them in input order. A caller that wants to process the good records anyway (a batch
import, the app's upload page) uses :func:`read_encounters_partial`, which returns the good
encounters with their record numbers and the problems of the others, and decides itself.

Problems of a record in an array or JSON Lines are :class:`RecordProblem` and print as
``record 2 (line 3): patient.sex: must be male or female, got 'x'`` (records count from 1, lines are
those of the text). A single object's problems print without the prefix. Invalid JSON is reported
with its line and column.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, Problem
from .encounter import Encounter, parse_encounter


@dataclass(frozen=True)
class RecordProblem(Problem):
    """A problem in one record of several: ``field`` is the path inside the record."""

    record: int
    line: int | None

    def __str__(self) -> str:
        where = f"record {self.record}" + (f" (line {self.line})" if self.line is not None else "")
        return f"{where}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class ReadRecord:
    number: int  # 1-based position in the input
    line: int | None  # line of the text where the record starts
    encounter: Encounter


@dataclass(frozen=True)
class ReadResult:
    """Outcome of :func:`read_encounters_partial`: the good records and the problems of the others."""

    records: tuple[ReadRecord, ...]
    problems: tuple[Problem, ...]
    total: int  # records found in the input (good and bad); 0 when the text is not valid JSON

    @property
    def encounters(self) -> list[Encounter]:
        return [r.encounter for r in self.records]


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _json_problem(exc: json.JSONDecodeError, line_offset: int = 0) -> str:
    return f"line {exc.lineno + line_offset} column {exc.colno}: {exc.msg}"


def _loads(text: str) -> Any:
    """json.loads; failures are JSONDecodeError (with position) or ValueError with a plain reason."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as exc:
        if "digits" in str(exc):  # Python's limit on integer length
            raise ValueError("a number has too many digits") from None
        raise


def _array_positions(text: str) -> list[int]:
    """Start offsets of the elements of the top-level JSON array in ``text`` (already known valid)."""
    decoder = json.JSONDecoder()
    positions: list[int] = []
    i = text.index("[") + 1
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] == "]":
            return positions
        positions.append(i)
        _, i = decoder.raw_decode(text, i)


def _looks_like_json_lines(text: str) -> bool:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return len(lines) >= 2 and all(ln.startswith("{") for ln in lines)


def _split(text: str) -> tuple[list[tuple[int | None, Any]], list[Problem], bool]:
    """The raw records with their line numbers, the JSON problems, and whether there are several."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return [], [Problem("(input)", "no encounter found: the input is empty")], False
    try:
        data = _loads(text)
    except json.JSONDecodeError as exc:
        if not _looks_like_json_lines(text):
            return [], [Problem("(input)", f"not valid JSON: {_json_problem(exc)}")], False
        return _split_lines(text)
    except ValueError as exc:  # e.g. an integer with more than 4300 digits
        return [], [Problem("(input)", f"not valid JSON: {exc}")], False
    if isinstance(data, list):
        try:
            lines: list[int | None] = [_line_col(text, p)[0] for p in _array_positions(text)]
        except (ValueError, RecursionError):  # pragma: no cover - the text parsed already
            lines = [None] * len(data)
        if len(lines) != len(data):  # pragma: no cover - defensive
            lines = [None] * len(data)
        if not data:
            return [], [Problem("(input)", "no encounter found: the array is empty")], True
        return list(zip(lines, data, strict=True)), [], True
    return [(None, data)], [], False


def _split_lines(text: str) -> tuple[list[tuple[int | None, Any]], list[Problem], bool]:
    items: list[tuple[int | None, Any]] = []
    problems: list[Problem] = []
    number = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        number += 1
        try:
            items.append((lineno, _loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(
                RecordProblem("(json)", f"not valid JSON: column {exc.colno}: {exc.msg}", number, lineno)
            )
            items.append((lineno, _BAD))
        except ValueError as exc:
            problems.append(RecordProblem("(json)", f"not valid JSON: {exc}", number, lineno))
            items.append((lineno, _BAD))
    return items, problems, True


_BAD = object()  # placeholder for a JSON Lines record that did not parse


def read_encounters_partial(text: str, *, default_date: dt.date) -> ReadResult:
    """Read every record and keep the good ones; never raises for bad input (see module doc)."""
    if not isinstance(text, str):
        raise TypeError("read_encounters_partial needs the decoded text (str)")
    items, problems, several = _split(text)
    records: list[ReadRecord] = []
    for number, (line, raw) in enumerate(items, start=1):
        if raw is _BAD:
            continue
        try:
            enc = parse_encounter(raw, default_date=default_date)
        except InputError as exc:
            if several:
                problems.extend(RecordProblem(p.field, p.reason, number, line) for p in exc.problems)
            else:
                problems.extend(exc.problems)
            continue
        records.append(ReadRecord(number, line, enc))
    # JSON Lines syntax problems were found first; list everything in record order
    problems.sort(key=lambda p: p.record if isinstance(p, RecordProblem) else 0)
    return ReadResult(tuple(records), tuple(problems), len(items))


def read_encounters(text: str, *, default_date: dt.date) -> list[Encounter]:
    """All encounters in ``text`` (object, array or JSON Lines), or :class:`InputError` listing the
    problems of every bad record. ``default_date`` is the date of records without one."""
    result = read_encounters_partial(text, default_date=default_date)
    if result.problems:
        raise InputError(list(result.problems))
    return result.encounters


def decode_input(raw: bytes) -> str:
    """Bytes from a file or stdin as text: UTF-8 (with or without BOM), else GB18030 (files saved by
    Chinese Windows software). Raises :class:`InputError` when neither fits."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError([Problem("(input)", "cannot be decoded: save the file as UTF-8")])


__all__ = [
    "ReadRecord",
    "ReadResult",
    "RecordProblem",
    "decode_input",
    "read_encounters",
    "read_encounters_partial",
]
