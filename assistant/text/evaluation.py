"""Scoring the complaint reader against hand-annotated complaints (JSON Lines).

Each line: ``{"text": ..., "findings": {code: bool}, "vitals": {name: value}?, "duration_days": x?}``.
Findings are scored as micro precision and recall over (code, value) pairs: a predicted pair is
right when the annotation has the same code with the same value; an annotated pair is found when
the reader predicted it. Vitals and durations are compared when annotated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .parser import ComplaintParser

__all__ = ["Case", "Score", "load_cases", "score"]


@dataclass(frozen=True)
class Case:
    text: str
    findings: dict[str, bool]
    vitals: dict[str, float] = field(default_factory=dict)
    duration_days: float | None = None
    line: int = 0


@dataclass
class Score:
    """Counts over a set of cases, and the mistakes (for reading, not for asserting)."""

    cases: int = 0
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    vital_errors: list[str] = field(default_factory=list)
    duration_errors: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        predicted = self.true_pos + self.false_pos
        return self.true_pos / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        gold = self.true_pos + self.false_neg
        return self.true_pos / gold if gold else 1.0


def load_cases(path: Path) -> list[Case]:
    """Read annotated complaints; a malformed line raises ``ValueError`` naming the line."""
    cases: list[Case] = []
    with Path(path).open(encoding="utf-8") as fh:
        for i, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj: dict[str, Any] = json.loads(raw)
                findings = {str(k): bool(v) for k, v in obj["findings"].items()}
                vitals = {str(k): float(v) for k, v in obj.get("vitals", {}).items()}
                dur = obj.get("duration_days")
                cases.append(Case(str(obj["text"]), findings, vitals, None if dur is None else float(dur), i))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ValueError(f"{Path(path).name} line {i}: {exc}") from exc
    return cases


def score(cases: Iterable[Case], parser: ComplaintParser, *, duration_tolerance: float = 0.02) -> Score:
    """Micro precision and recall of ``parser`` over ``cases`` (see the module docstring)."""
    s = Score()
    for case in cases:
        s.cases += 1
        got = parser.parse(case.text)
        predicted = set(got.findings.items())
        gold = set(case.findings.items())
        tp = predicted & gold
        s.true_pos += len(tp)
        s.false_pos += len(predicted - gold)
        s.false_neg += len(gold - predicted)
        wrong = sorted(predicted - gold)
        missed = sorted(gold - predicted)
        if wrong or missed:
            s.mistakes.append(f"line {case.line}: {case.text!r} extra={wrong} missed={missed}")
        for name, value in case.vitals.items():
            if abs(got.vitals.get(name, float("nan")) - value) > 0.051 or name not in got.vitals:
                s.vital_errors.append(f"line {case.line}: {name} expected {value} got {got.vitals.get(name)}")
        if case.duration_days is not None:
            d = got.duration_days
            if d is None or abs(d - case.duration_days) > duration_tolerance * max(1.0, case.duration_days):
                s.duration_errors.append(f"line {case.line}: duration expected {case.duration_days} got {d}")
    return s


def summary(s: Score) -> Sequence[str]:
    return (
        f"cases={s.cases} precision={s.precision:.3f} recall={s.recall:.3f} "
        f"(tp={s.true_pos} fp={s.false_pos} fn={s.false_neg})",
        f"vital errors={len(s.vital_errors)} duration errors={len(s.duration_errors)}",
    )
