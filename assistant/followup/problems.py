"""Problems with rows of the follow-up files, reported with file, line and reason (zh and en)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from ..errors import Problem

__all__ = ["Action", "RowProblem", "problems_frame", "write_rejects"]

Action = Literal["rejected", "kept", "deferred"]
"""``rejected``: the row is not used; ``kept``: the row is used, the named value is ignored or only
noted; ``deferred``: the row is valid but lies after the as-of date (not used for that date)."""


@dataclass(frozen=True)
class RowProblem:
    """One problem with one row: ``line`` counts the header as line 1 (None for a row of a table
    that did not come from a file)."""

    file: str
    line: int | None
    field: str
    reason_en: str
    reason_zh: str
    action: Action
    patient_id: str = ""
    raw: str = ""  # the row's cells joined with commas (rejected rows only)

    def reason(self, lang: str = "zh") -> str:
        return self.reason_zh if lang == "zh" else self.reason_en

    def where(self) -> str:
        return f"{self.file} line {self.line}" if self.line is not None else self.file

    def to_problem(self, lang: str = "en") -> Problem:
        """As an :class:`~assistant.errors.Problem` (field ``file:line:column``)."""
        return Problem(f"{self.file}:{self.line}:{self.field}", f"{self.reason(lang)} ({self.action})")

    def __str__(self) -> str:
        return f"{self.where()}: {self.field}: {self.reason_en} / {self.reason_zh} [{self.action}]"


_COLUMNS = ["file", "line", "patient_id", "field", "action", "reason_zh", "reason_en", "raw"]


def problems_frame(problems: Iterable[RowProblem]) -> pd.DataFrame:
    """The problems as a table (one row per problem, in file and line order)."""
    rows = [asdict(p) for p in problems]
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    if not frame.empty:
        frame = frame.sort_values(["file", "line", "field"], kind="stable", na_position="first")
        frame = frame.reset_index(drop=True)
    frame["line"] = frame["line"].astype("Int64")
    return frame


def write_rejects(problems: Iterable[RowProblem], path: str | Path, *, only_rejected: bool = False) -> int:
    """Write the problems to a CSV file (UTF-8 with BOM, cells neutralised against formula
    injection) and return the number of rows written. ``only_rejected`` keeps the rejected rows."""
    from .export import write_csv

    frame = problems_frame(p for p in problems if p.action == "rejected" or not only_rejected)
    write_csv(frame, path)
    return len(frame)
