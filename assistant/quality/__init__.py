"""Quality checks of the doctor's record before it is saved (CONTRACTS.md §2 ``quality``).

>>> import datetime as dt
>>> from assistant.records import parse_encounter
>>> from assistant.quality import check_quality
>>> enc = parse_encounter({"patient": {"age_years": 30, "sex": "female", "allergies": ["青霉素"]},
...                        "complaint": "咽痛3天，发热38.9℃，扁桃体脓性分泌物", "diagnoses": ["急性扁桃体炎"],
...                        "prescriptions": [{"drug": "阿莫西林", "dose_mg": 500, "times_per_day": 3}]},
...                       default_date=dt.date(2026, 3, 2))
>>> [(i.rule, i.severity) for i in check_quality(enc)]
[('qc.allergy.penicillin', 'error')]

The rules are rows of the tables in ``assistant/knowledge/quality/`` (one per concern, each row
with a stable dotted id, severity, Chinese and English message, guideline and an example that fires
and one that does not); :func:`load_rules` loads them, :func:`check_rules` checks their references
against the knowledge base.
"""

from __future__ import annotations

from .engine import check_quality, example_encounter, run_example
from .issue import CATEGORIES, SEVERITIES, Category, QualityIssue, Severity, is_alarm
from .tables import EXAMPLE_BASE, QUALITY_DIR, QualityRules, Rule, load_rules, load_rules_from
from .validate import check_rules

__all__ = [
    "CATEGORIES",
    "EXAMPLE_BASE",
    "QUALITY_DIR",
    "SEVERITIES",
    "Category",
    "QualityIssue",
    "QualityRules",
    "Rule",
    "Severity",
    "check_quality",
    "check_rules",
    "example_encounter",
    "is_alarm",
    "load_rules",
    "load_rules_from",
    "run_example",
]
