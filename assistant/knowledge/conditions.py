"""Conditions (STUB: to be completed by the conditions work)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from .base import Row, Table, load_table

if TYPE_CHECKING:
    from . import Knowledge

Triage = Literal["manage", "refer", "urgent"]


class Condition(Row):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    icd10: str
    name_zh: str
    name_en: str
    triage: Triage


FILE = "conditions.yaml"


def load(directory: Path) -> Table[Condition]:
    return load_table(directory / FILE, Condition, key="id")


def check(kb: Knowledge) -> list[str]:
    return []
