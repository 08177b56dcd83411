"""Why a condition is suggested: the findings understood that raise or lower its likelihood.

Each observed finding is weighed by its likelihood ratio under the knowledge base's findings model
(conditions.yaml: P(finding | condition) against the background rate of findings not typical of
the condition). Present findings with a ratio above 1 support; negated findings that the
condition usually has (and present findings it usually lacks) oppose.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..knowledge import Condition, Knowledge
from ..knowledge.conditions import conditions_meta

# Log-likelihood ratio a finding must reach (either way) to be listed: ratio 1.5 or 1/1.5.
MIN_LOG_RATIO = math.log(1.5)


@dataclass(frozen=True)
class Evidence:
    code: str
    present: bool
    log_ratio: float

    def to_dict(self, kb: Knowledge, lang: str) -> dict[str, object]:
        f = kb.findings.get(self.code)
        name_zh = f.name_zh if f else self.code
        name_en = f.name_en if f else self.code
        return {
            "code": self.code,
            "present": self.present,
            "name": name_zh if lang == "zh" else name_en,
            "name_zh": name_zh,
            "name_en": name_en,
            "weight": round(self.log_ratio, 2),
        }


class Explainer:
    """Supporting and opposing findings per condition (built once per knowledge base)."""

    def __init__(self, kb: Knowledge) -> None:
        self.kb = kb
        meta = conditions_meta(kb.conditions)
        self._background = {f.code: meta.background(f.category) for f in kb.findings}
        # per condition: code -> (log ratio when present, log ratio when negated), computed once
        self._ratios: dict[str, dict[str, tuple[float, float]]] = {}

    def _table(self, cond: Condition) -> dict[str, tuple[float, float]]:
        table = self._ratios.get(cond.id)
        if table is None:
            table = {}
            for code, p in {**cond.findings, **cond.history}.items():
                bg = self._background.get(code, 0.03)
                table[code] = (math.log(p / bg), math.log((1 - p) / (1 - bg)))
            self._ratios[cond.id] = table
        return table

    def weigh(self, cond: Condition, findings: Mapping[str, bool]) -> tuple[list[Evidence], list[Evidence]]:
        supporting: list[Evidence] = []
        opposing: list[Evidence] = []
        table = self._table(cond)
        for code, present in findings.items():
            ratios = table.get(code)
            if ratios is None:
                continue  # not characteristic of this condition either way
            lr = ratios[0] if present else ratios[1]
            if lr >= MIN_LOG_RATIO:
                supporting.append(Evidence(code, present, lr))
            elif lr <= -MIN_LOG_RATIO:
                opposing.append(Evidence(code, present, lr))
        supporting.sort(key=lambda e: -e.log_ratio)
        opposing.sort(key=lambda e: e.log_ratio)
        return supporting, opposing
