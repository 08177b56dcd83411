"""What a check returns (:class:`Hit`) and the helpers the checks share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..context import Fact, RecordContext, fmt
from ..tables import Rule

__all__ = ["OPS", "Hit", "Names", "drug_names", "finding_names", "fmt", "hit", "join_names", "pick"]

OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}

R = TypeVar("R", bound=Rule)


@dataclass(frozen=True)
class Hit:
    """A rule row that fired, the values for its message placeholders, and the evidence."""

    rule: Rule
    params: dict[str, str]
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Names:
    zh: str
    en: str


def pick(rows: Iterable[R], matches: Callable[[R], bool]) -> R | None:
    """The first row (specific rows come first) that ``matches``."""
    for row in rows:
        if matches(row):
            return row
    return None


def join_names(names: Iterable[Names]) -> Names:
    items = list(dict.fromkeys((n.zh, n.en) for n in names))
    return Names("、".join(zh for zh, _ in items), ", ".join(en for _, en in items))


def hit(rule: Rule, evidence: dict[str, Any], **params: Any) -> Hit:
    """A :class:`Hit`; ``Names`` values become ``<name>_zh`` / ``<name>_en``, :class:`Fact` values
    ``<name>_zh`` / ``<name>_en`` and their field in the evidence, numbers are formatted."""
    out: dict[str, str] = {}
    ev = dict(evidence)
    for key, value in params.items():
        if isinstance(value, Names):
            out[f"{key}_zh"], out[f"{key}_en"] = value.zh, value.en
        elif isinstance(value, Fact):
            out[f"{key}_zh"], out[f"{key}_en"] = value.zh, value.en
            ev.setdefault(value.path, value.value)
        elif isinstance(value, float | int) and not isinstance(value, bool):
            out[key] = fmt(float(value))
        else:
            out[key] = str(value)
    return Hit(rule, out, ev)


def drug_names(ctx: RecordContext, code: str) -> Names:
    d = ctx.kb.drugs.get(code)
    if d is not None:
        return Names(d.name_zh, d.name_en)
    c = ctx.kb.drugs.classes.get(code)
    return Names(c.name_zh, c.name_en) if c is not None else Names(code, code)


def finding_names(ctx: RecordContext, codes: Iterable[str]) -> Names:
    names = []
    for code in codes:
        row = ctx.kb.findings.get(code)
        names.append(Names(row.name_zh, row.name_en) if row is not None else Names(code, code))
    return join_names(names)
