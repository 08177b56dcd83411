"""The checks, one module per concern; each turns a :class:`RecordContext` into :class:`Hit` s."""

from __future__ import annotations

from collections.abc import Callable

from ..context import RecordContext
from . import (
    allergy,
    antibiotic,
    completeness,
    contraindication,
    data_entry,
    demographics,
    dosage,
    duplicate_exam,
    interaction,
    support,
)
from .base import Hit

__all__ = ["CHECKS", "Hit"]

CHECKS: tuple[Callable[[RecordContext], list[Hit]], ...] = (
    data_entry.check,
    demographics.check,
    completeness.check,
    support.check,
    contraindication.check,
    allergy.check,
    interaction.check,
    dosage.check,
    duplicate_exam.check,
    antibiotic.check,
)
