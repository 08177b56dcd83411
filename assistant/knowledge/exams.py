"""Examinations (STUB: to be completed by the drugs-and-exams work)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from .base import Row, Table, load_table

if TYPE_CHECKING:
    from . import Knowledge


class Exam(Row):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str


FILE = "exams.yaml"


def load(directory: Path) -> Table[Exam]:
    return load_table(directory / FILE, Exam, key="code")


def check(kb: Knowledge) -> list[str]:
    return []
