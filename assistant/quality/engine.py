"""``check_quality``: every check over one record, messages filled in, most severe first."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..knowledge import load_knowledge
from ..knowledge.base import KnowledgeError
from ..records import Encounter, parse_encounter
from .checks import CHECKS, Hit
from .context import RecordContext
from .issue import QualityIssue, sort_key
from .resolve import resolver_for
from .tables import EXAMPLE_BASE, QualityRules, Rule, load_rules

if TYPE_CHECKING:
    from ..knowledge import Knowledge

__all__ = ["check_quality", "example_encounter", "run_example"]


class _Strict(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        raise KnowledgeError(f"quality rule message uses {{{key}}}, which its check does not provide")


def _issue(h: Hit) -> QualityIssue:
    params = _Strict(h.params)
    try:
        zh = h.rule.message_zh.format_map(params)
        en = h.rule.message_en.format_map(params)
    except KnowledgeError as exc:
        raise KnowledgeError(f"{h.rule.TABLE} ({h.rule.id}): {exc}") from exc
    en = en.strip()
    if en[:1].islower() and not en[1:2].isupper():  # "barium meal is ..." -> "Barium meal is ..."
        en = en[0].upper() + en[1:]
    return QualityIssue(h.rule.id, h.rule.category, h.rule.severity, zh.strip(), en, h.evidence)  # type: ignore[arg-type]


def check_quality(
    encounter: Encounter,
    *,
    findings: Mapping[str, bool] | None = None,
    model_scores: Mapping[str, tuple[float, int]] | None = None,
    knowledge: Knowledge | None = None,
    rules: QualityRules | None = None,
) -> list[QualityIssue]:
    """Quality issues of one consultation record, most severe first (errors, warnings, info).

    ``encounter``: as returned by :func:`assistant.records.parse_encounter` (its date is the
    consultation date; the clock is never read). ``findings``: what the assistant understood
    (``findings_used``), else the complaint and structured findings are read here.
    ``model_scores``: the diagnosis model's condition id → (probability, rank) for the diagnosis
    support check (rank 1 = most likely); without it only the rule part runs. ``knowledge`` /
    ``rules``: defaults are the shipped knowledge base and quality tables.

    A record with nothing wrong gets no ``error`` or ``warning``; ``info`` tells the doctor what
    was not checked (unknown names) or deserves care (cautions, moderate interactions).
    """
    kb = knowledge if knowledge is not None else load_knowledge()
    qr = rules if rules is not None else load_rules()
    ctx = RecordContext(encounter, kb, qr, resolver_for(kb, qr), findings=findings, model_scores=model_scores)
    issues: list[QualityIssue] = []
    seen: set[tuple[str, str]] = set()
    for run in CHECKS:
        for h in run(ctx):
            issue = _issue(h)
            key = (issue.rule, issue.message_en)
            if key not in seen:
                seen.add(key)
                issues.append(issue)
    issues.sort(key=sort_key)
    return issues


# -- rule examples ------------------------------------------------------------------------------


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def example_encounter(example: Mapping[str, Any]) -> tuple[Encounter, dict[str, tuple[float, int]] | None]:
    """A rule example as an encounter (merged onto :data:`EXAMPLE_BASE`) and its model scores."""
    data = _merge(EXAMPLE_BASE, {k: v for k, v in example.items() if k != "model_scores"})
    scores = example.get("model_scores")
    model = {k: (float(v[0]), int(v[1])) for k, v in scores.items()} if scores else None
    return parse_encounter(data, default_date=dt.date.fromisoformat(EXAMPLE_BASE["date"])), model


def run_example(rule: Rule, which: str, *, knowledge: Knowledge | None = None,
                rules: QualityRules | None = None) -> list[QualityIssue]:  # fmt: skip
    """All issues of ``rule``'s ``example_fires`` or ``example_quiet`` record."""
    example = rule.example_fires if which == "fires" else rule.example_quiet
    encounter, scores = example_encounter(example)
    return check_quality(encounter, model_scores=scores, knowledge=knowledge, rules=rules)
