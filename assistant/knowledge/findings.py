"""Findings: symptoms, signs, course and history items, with Chinese and English synonyms."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from .base import Row, Table, load_table

if TYPE_CHECKING:
    from . import Knowledge

FindingCategory = Literal["symptom", "sign", "history", "course", "vital"]


class Finding(Row):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    category: FindingCategory
    synonyms_zh: tuple[str, ...] = ()
    synonyms_en: tuple[str, ...] = ()


FILE = "findings.yaml"


def load(directory: Path) -> Table[Finding]:
    return load_table(directory / FILE, Finding, key="code")


def check(kb: Knowledge) -> list[str]:
    """Cross-file problems: none for findings, they reference nothing."""
    return []
