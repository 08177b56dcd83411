"""One quality finding about a record (CONTRACTS.md §2 ``quality``), with its severity and category."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = ["CATEGORIES", "SEVERITIES", "Category", "QualityIssue", "Severity", "is_alarm", "sort_key"]

Severity = Literal["error", "warning", "info"]
Category = Literal[
    "completeness",
    "diagnosis_support",
    "contraindication",
    "allergy",
    "interaction",
    "dosage",
    "duplicate_exam",
    "antibiotic_use",
    "data_entry",
    "demographics",
]
SEVERITIES: tuple[str, ...] = get_args(Severity)
"""Most severe first: ``error`` (must be corrected before saving), ``warning`` (review),
``info`` (for the doctor's attention: something was not checked, or a caution)."""
CATEGORIES: tuple[str, ...] = get_args(Category)


@dataclass(frozen=True)
class QualityIssue:
    """A rule that fired on a record.

    ``rule`` is the stable dotted id of the rule-table row (``qc.allergy.penicillin``); the two
    messages are complete sentences; ``evidence`` maps the record's field paths (``prescriptions.0.
    drug``, ``labs.egfr``, ``patient.history.1``) and a few named facts (``tag``, ``limit_mg``) to
    the values that made the rule fire, so a screen can highlight the fields.
    """

    rule: str
    category: Category
    severity: Severity
    message_zh: str
    message_en: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON shape (CONTRACTS.md §2 ``quality`` item)."""
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "evidence": dict(self.evidence),
        }

    def message(self, lang: str) -> str:
        return self.message_zh if lang == "zh" else self.message_en


def is_alarm(issue: QualityIssue) -> bool:
    """Whether the issue interrupts the doctor (``error`` or ``warning``)."""
    return issue.severity != "info"


def sort_key(issue: QualityIssue) -> tuple[int, int, str]:
    """Most severe first, then in the contract's category order, then by rule id."""
    return (SEVERITIES.index(issue.severity), CATEGORIES.index(issue.category), issue.rule)
