"""Parsers for single input values, shared by the record models.

Each parser takes what JSON (or a form) gives and returns the normalised value or raises
``PydanticCustomError`` with a plain reason that names what was expected and what came. Reasons
never quote a resident ID. Empty text ("" or spaces) counts as a missing value everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from pydantic_core import PydanticCustomError

_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


def json_type(value: object) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def show(value: object, limit: int = 40) -> str:
    """A short rendering of an input value for messages: text quoted and cut, containers by type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value) if abs(value) < 10**30 else f"a {len(str(abs(value)))}-digit number"
        return text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        cut = value if len(value) <= limit else value[: limit - 1] + "…"
        return repr(cut)
    return json_type(value)


def fmt(x: float) -> str:
    """A number as people write it: 120 not 120.0, 37.5, 0.25."""
    return f"{x:.6g}" if abs(x) < 1e15 else f"{x:.3e}"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_number(value: object, what: str = "a number") -> float | None:
    """A finite number from a JSON number or numeric text; None for missing. ``what`` names the unit."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise PydanticCustomError("number", "must be {what}, got {got}", {"what": what, "got": show(value)})
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    elif isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        number = float(value.strip())
    else:
        raise PydanticCustomError("number", "must be {what}, got {got}", {"what": what, "got": show(value)})
    if not math.isfinite(number):
        raise PydanticCustomError("number", "must be a finite number, got {got}", {"got": show(value)})
    return number


def to_date(value: object) -> dt.date | None:
    """An ISO date ``YYYY-MM-DD`` (a full ISO date-time is cut to its date); None for missing."""
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "date", "must be a date written YYYY-MM-DD, got {got}", {"got": json_type(value)}
        )
    m = _DATE_RE.match(value.strip())
    if not m:
        raise PydanticCustomError(
            "date", "must be a date written YYYY-MM-DD, got {got}", {"got": show(value)}
        )
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise PydanticCustomError("date", "{got} is not a real date", {"got": show(value)}) from None


def to_text(value: object) -> str | None:
    """Stripped text; None for missing or blank."""
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("text", "must be text (a string), got {got}", {"got": json_type(value)})
    return value.strip()


def to_id_text(value: object) -> str | None:
    """Text, or a whole number turned into text (a clinic's own patient number)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return to_text(value)


_TRUE = {"true", "yes", "y", "1", "是", "有", "阳性", "+"}
_FALSE = {"false", "no", "n", "0", "否", "无", "阴性", "-"}


def to_flag(value: object) -> bool | None:
    """true/false (also 1/0, yes/no, 是/否, 有/无); None for missing."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise PydanticCustomError("flag", "must be true or false, got {got}", {"got": show(value)})


def text_list(value: object) -> Any:
    """Checks that a list field got a list (None → empty); items are checked one by one afterwards."""
    if value is None:
        return []
    if isinstance(value, str):
        raise PydanticCustomError(
            "text_list",
            "must be a list of text, e.g. [{example}], got text {got}",
            {"example": '"…"', "got": show(value)},
        )
    if not isinstance(value, list | tuple):
        raise PydanticCustomError("text_list", "must be a list of text, got {got}", {"got": json_type(value)})
    return list(value)


def text_item(value: object) -> str:
    """One item of a list of text: stripped (blank items are dropped by the list afterwards)."""
    if not isinstance(value, str):
        raise PydanticCustomError("text", "must be text (a string), got {got}", {"got": json_type(value)})
    return value.strip()


def drop_blank(items: list[str]) -> list[str]:
    return [s for s in items if s]


def object_or_empty(value: object) -> Any:
    """None → {} for optional objects (vitals, labs, findings); anything else is checked by the model."""
    return {} if value is None else value


def list_or_empty(value: object) -> Any:
    """None → [] for optional lists of objects (prescriptions, prior_exams)."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise PydanticCustomError("list", "must be a list, got {got}", {"got": json_type(value)})
    return list(value)


__all__ = [
    "drop_blank",
    "fmt",
    "json_type",
    "list_or_empty",
    "object_or_empty",
    "show",
    "text_item",
    "text_list",
    "to_date",
    "to_flag",
    "to_id_text",
    "to_number",
    "to_text",
]
