"""Drugs (STUB: to be completed by the drugs-and-exams work)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from .base import Row, Table, load_table

if TYPE_CHECKING:
    from . import Knowledge


class Drug(Row):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class DrugBook:
    drugs: Table[Drug]


FILE = "drugs.yaml"


def load(directory: Path) -> DrugBook:
    return DrugBook(drugs=load_table(directory / FILE, Drug, key="code"))


def check(kb: Knowledge) -> list[str]:
    return []
