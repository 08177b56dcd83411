"""Triage: manage here, refer, or urgent referral.

The level is the most severe of (1) the general red-flag rules in ``knowledge/triage_rules.yaml``
(vital-sign thresholds and danger findings), (2) the suggested conditions' own levels once their
probability passes the thresholds in that file's header, (3) a condition's own red flags
(conditions.yaml ``red_flags`` / ``vital_red_flags``) when that condition is plausible, and (4) the
assistant's own uncertainty: an uncertain case is never left at ``manage``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from ..knowledge import KNOWLEDGE_DIR, Condition, load_knowledge
from ..knowledge.base import Row, Table, load_table, read_yaml
from ..knowledge.conditions import Threshold

Level = Literal["manage", "refer", "urgent"]
LEVEL_ORDER: dict[str, int] = {"manage": 0, "refer": 1, "urgent": 2}
FILE = "triage_rules.yaml"


class TriageRule(Row):
    id: str = Field(pattern=r"^tr\.[a-z0-9_]+\.[a-z0-9_.]+$")
    level: Literal["refer", "urgent"]
    vital: str | None = None
    test: Threshold | None = None
    finding: str | None = None
    also_finding: str | None = None
    pregnant: bool | None = None
    age_min: float | None = None
    age_max: float | None = None
    reason_zh: str
    reason_en: str
    example_fires: dict[str, Any]
    example_quiet: dict[str, Any]

    @model_validator(mode="after")
    def _one_kind(self) -> TriageRule:
        if (self.vital is None) == (self.finding is None):
            raise ValueError("give exactly one of 'vital' (with 'test') or 'finding'")
        if self.vital is not None and self.test is None:
            raise ValueError("a 'vital' rule needs a 'test' such as '<90'")
        return self

    def fires(self, case: TriageCase) -> float | bool:
        """The measured value (vital rules) or True (finding rules) when the rule fires, else False."""
        if self.age_min is not None and (case.age_years is None or case.age_years < self.age_min):
            return False
        if self.age_max is not None and (case.age_years is None or case.age_years >= self.age_max):
            return False
        if self.pregnant is not None and bool(case.pregnant) != self.pregnant:
            return False
        if self.vital is not None:
            value = case.vitals.get(self.vital)
            assert self.test is not None
            return value if value is not None and self.test.fires(value) else False
        assert self.finding is not None
        if not case.findings.get(self.finding):
            return False
        return not (self.also_finding and not case.findings.get(self.also_finding))


@dataclass(frozen=True)
class TriageCase:
    """What triage looks at: vitals, findings understood, age and pregnancy."""

    vitals: Mapping[str, float]
    findings: Mapping[str, bool]
    age_years: float | None = None
    pregnant: bool = False

    @classmethod
    def from_example(cls, example: Mapping[str, Any]) -> TriageCase:
        return cls(
            vitals=dict(example.get("vitals", {})),
            findings=dict(example.get("findings", {})),
            age_years=example.get("age_years", 40.0),
            pregnant=bool(example.get("pregnant", False)),
        )


@dataclass(frozen=True)
class Reason:
    rule: str
    level: Level
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Triage:
    level: Level
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def to_dict(self, lang: str) -> dict[str, Any]:
        return {
            "level": self.level,
            "reasons": [r.text(lang) for r in self.reasons],
            "rules": [r.rule for r in self.reasons],
        }


@dataclass(frozen=True)
class TriagePolicy:
    rules: Table[TriageRule]
    urgent_probability: float
    refer_probability: float
    red_flag_probability: float

    @property
    def min_probability(self) -> float:
        """The lowest probability at which a suggested condition can change the level."""
        return min(self.urgent_probability, self.refer_probability, self.red_flag_probability)

    def candidates(self, case: TriageCase) -> list[TriageRule]:
        """The rules that can fire for ``case``, in file order: every vital-sign rule, and the
        finding rules of the findings present (the others cannot fire)."""
        vital, by_finding = self._index
        found = [i for code, present in case.findings.items() if present for i in by_finding.get(code, ())]
        return [self.rules.rows[i] for i in sorted([*vital, *found])]

    @cached_property
    def _index(self) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]]]:
        """Row positions of the vital-sign rules, and of the finding rules per finding code."""
        by: dict[str, list[int]] = {}
        for i, r in enumerate(self.rules.rows):
            if r.finding is not None:
                by.setdefault(r.finding, []).append(i)
        vital = tuple(i for i, r in enumerate(self.rules.rows) if r.finding is None)
        return vital, {k: tuple(v) for k, v in by.items()}


@lru_cache(maxsize=4)
def load_policy(directory: str | None = None) -> TriagePolicy:
    path = Path(directory or KNOWLEDGE_DIR) / FILE
    rules = load_table(path, TriageRule, key="id")
    meta = read_yaml(path)["meta"]
    thresholds = meta.get("condition_thresholds", {})
    return TriagePolicy(
        rules=rules,
        urgent_probability=float(thresholds.get("urgent", 0.1)),
        refer_probability=float(thresholds.get("refer", 0.3)),
        red_flag_probability=float(thresholds.get("red_flag", 0.1)),
    )


def _fmt(value: float | bool) -> str:
    if isinstance(value, bool):
        return ""
    return f"{value:g}"


def assign_triage(
    case: TriageCase,
    suggestions: Sequence[tuple[Condition, float]],
    *,
    uncertain: bool = False,
    policy: TriagePolicy | None = None,
) -> Triage:
    """Combine general red flags, the suggested conditions' levels and uncertainty into one level."""
    policy = policy or load_policy()
    reasons: list[Reason] = []
    for rule in policy.candidates(case):
        fired = rule.fires(case)
        if fired is False:
            continue
        value = _fmt(fired)
        reasons.append(Reason(rule.id, rule.level, rule.reason_zh.format(value=value), rule.reason_en.format(value=value)))

    for cond, p in suggestions:
        pct = f"{p:.0%}" if p >= 0.01 else "<1%"
        if cond.triage == "urgent" and p >= policy.urgent_probability:
            reasons.append(
                Reason(f"tr.condition.{cond.id}", "urgent", f"不能排除{cond.name_zh}（{pct}），需急诊处理",
                       f"cannot rule out {cond.name_en} ({pct}): emergency care")
            )
        elif cond.triage == "refer" and p >= policy.refer_probability:
            reasons.append(
                Reason(f"tr.condition.{cond.id}", "refer", f"{cond.name_zh}（{pct}）通常需转上级医院",
                       f"{cond.name_en} ({pct}) usually needs referral")
            )
        if p >= policy.red_flag_probability:
            flags = cond.red_flags_present(case.findings)
            fired_vitals = cond.fired_vital_flags(case.vitals, case.age_years)
            if flags or fired_vitals:
                findings = load_knowledge().findings
                vit = [f"{f.measurement} {f.value:g} ({f.threshold})" for f in fired_vitals]
                what_zh = "、".join([*(findings[c].name_zh if c in findings else c for c in flags), *vit])
                what_en = ", ".join([*(findings[c].name_en if c in findings else c for c in flags), *vit])
                reasons.append(
                    Reason(f"tr.condition_red_flag.{cond.id}", "urgent",
                           f"{cond.name_zh}可能（{pct}）并有危险征象：{what_zh}",
                           f"possible {cond.name_en} ({pct}) with danger signs: {what_en}")
                )
    if uncertain:
        reasons.append(
            Reason("tr.uncertain", "refer", "病情超出本助手把握范围，建议上级医院进一步诊治",
                   "outside what the assistant can judge with confidence: refer for assessment")
        )
    level: Level = "manage"
    for r in reasons:
        if LEVEL_ORDER[r.level] > LEVEL_ORDER[level]:
            level = r.level
    reasons.sort(key=lambda r: -LEVEL_ORDER[r.level])
    return Triage(level=level, reasons=tuple(reasons))
