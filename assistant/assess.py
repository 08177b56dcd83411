"""The assistant's facade: an encounter in, an assessment (CONTRACTS.md §2) out.

``Assistant`` loads the knowledge base, the complaint reader, the feature encoder and the diagnosis
model pack once; :meth:`Assistant.assess` then works on a batch of validated encounters: encode all
at once, one ONNX call for the batch, then per case ranking, explanation, triage and quality checks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .diagnosis.explain import Explainer
from .diagnosis.triage import TriageCase, assign_triage, load_policy
from .features import FeatureSpecError, encoder_for
from .knowledge import Condition, Knowledge, load_knowledge
from .modelpack import ModelPack, ModelPackError, load_pack
from .records import Encounter, implausible_values

MODELS_ENV = "GP_ASSISTANT_MODELS"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DIAGNOSIS_PACK = "diagnosis"

MIN_SUGGESTIONS = 5
# A suggestion is "convincing" when the top probability reaches this; below it the case is uncertain.
# Chosen with bench/bench_avey.py and generated cases: 0.5 marks about half of the vignettes outside
# the coverage list uncertain while leaving about one generated (in-scope) case in nine uncertain.
CONFIDENT_TOP = 0.5
# Conditions take part in triage from the lowest probability at which triage_rules.yaml lets any of
# them act (TriagePolicy.min_probability; the urgent threshold, 0.5%: an emergency the model cannot
# put below 1 in 200 is not ruled out in a village clinic).
# Share of the patient's present symptoms and signs the top suggestions must account for.
MIN_EXPLAINED = 0.5
# Kind of implausible value (assistant.records) that is left out of triage.
IMPOSSIBLE = "out_of_range"


def models_dir() -> Path:
    """Where model packs live: ``$GP_ASSISTANT_MODELS`` or the project's ``models/`` folder."""
    env = os.environ.get(MODELS_ENV)
    return Path(env) if env else DEFAULT_MODELS_DIR


@dataclass(frozen=True)
class Suggestion:
    condition: Condition
    probability: float


class Assistant:
    """Everything needed to assess encounters, loaded once."""

    def __init__(self, kb: Knowledge | None = None, pack: ModelPack | None = None, *, threads: int = 1,
                 pack_path: Path | None = None) -> None:  # fmt: skip
        self.kb = kb or load_knowledge()
        self.encoder = encoder_for(self.kb)
        self.explainer = Explainer(self.kb)
        self.triage_policy = load_policy()
        self.pack_problem: str | None = None
        if pack is None:
            path = pack_path or models_dir() / DIAGNOSIS_PACK
            if path.is_dir():
                pack = load_pack(path, threads=threads)
            else:
                self.pack_problem = f"no diagnosis model pack at {path}"
        self.pack = pack
        self._label_conditions: list[Condition | None] = []
        if pack is not None:
            try:
                self.encoder.columns(pack.feature_spec)
            except FeatureSpecError as exc:
                raise ModelPackError(str(pack.path), "manifest.json", f"feature spec does not fit this "
                                     f"assistant: {exc}", f"特征规格与本程序不符：{exc}") from exc  # fmt: skip
            self._label_conditions = [self.kb.conditions.get(lab.id) for lab in pack.labels]

    # ------------------------------------------------------------------ public
    def assess(self, encounters: Sequence[Encounter], *, lang: str = "zh") -> list[dict[str, Any]]:
        """Assess a batch of validated encounters; one assessment dict per encounter, in order."""
        if not encounters:
            return []
        spec = self.pack.feature_spec if self.pack is not None else None
        batch = self.encoder.encode(encounters, spec)
        proba = self.pack.predict_proba(batch.X) if self.pack is not None else None
        out = []
        for i, enc in enumerate(encounters):
            row = proba[i] if proba is not None else None
            out.append(self._one(enc, batch.findings[i], batch.vitals[i], batch.unknown_history[i], row, lang))
        return out

    # ------------------------------------------------------------------ per case
    def _ranked(self, row: np.ndarray) -> list[Suggestion]:
        """Conditions by probability: at least the shown ones, then all that triage looks at."""
        order = np.argsort(-row, kind="stable")
        ranked: list[Suggestion] = []
        for j in order:
            p = float(row[j])
            if len(ranked) >= MIN_SUGGESTIONS and p < self.triage_policy.min_probability:
                break
            cond = self._label_conditions[j]
            if cond is None:
                continue
            ranked.append(Suggestion(cond, p))
        return ranked

    def _explained_share(self, findings: dict[str, bool], top: Sequence[Suggestion]) -> float:
        present = [
            c for c, v in findings.items()
            if v and c in self.kb.findings and self.kb.findings[c].category in ("symptom", "sign")
        ]  # fmt: skip
        if not present:
            return 0.0
        typical = set()
        for s in top:
            typical.update(code for code, p in s.condition.findings.items() if p >= 0.15)
        return sum(1 for c in present if c in typical) / len(present)

    def _one(self, enc: Encounter, findings: dict[str, bool], vitals: dict[str, float],
             unknown_history: list[str], row: np.ndarray | None, lang: str) -> dict[str, Any]:  # fmt: skip
        ranked = self._ranked(row) if row is not None else []
        notes: list[str] = []
        uncertain_why: list[str] = []
        if row is None:
            uncertain_why.append("no diagnosis model installed" if lang == "en" else "未安装诊断模型")
        if not any(findings.values()):
            uncertain_why.append("no symptom or sign understood" if lang == "en" else "未识别到任何症状或体征")
        if ranked:
            if ranked[0].probability < CONFIDENT_TOP:
                uncertain_why.append(
                    f"no convincing suggestion (top {ranked[0].probability:.0%})" if lang == "en"
                    else f"没有把握较大的诊断（最高{ranked[0].probability:.0%}）"
                )
            elif self._explained_share(findings, ranked[:3]) < MIN_EXPLAINED:
                uncertain_why.append(
                    "most findings are not typical of any suggested condition" if lang == "en"
                    else "多数症状不符合任何建议诊断的典型表现"
                )
        uncertain = bool(uncertain_why)

        suggestions = []
        for s in ranked[:MIN_SUGGESTIONS]:
            sup, opp = self.explainer.weigh(s.condition, findings)
            c = s.condition
            suggestions.append({
                "condition": c.id,
                "icd10": c.icd10,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "probability": round(s.probability, 4),
                "triage": c.triage,
                "supporting": [e.to_dict(self.kb, lang) for e in sup],
                "opposing": [e.to_dict(self.kb, lang) for e in opp],
            })

        # the encoder already left impossible values out (records.possible_vitals): a typing slip
        # (3.7 °C) sets off no red flag and no finding; the quality check flags it as data_entry
        impossible = sorted(
            iv.field.split(".", 1)[1]
            for iv in implausible_values(enc)
            if iv.kind == IMPOSSIBLE and iv.field.startswith("vitals.")
        )
        if impossible:
            notes.append(("impossible values left out of the assessment: " if lang == "en" else "数值不可能，未用于评估：")
                         + ", ".join(impossible))  # fmt: skip
        case = TriageCase(
            vitals=vitals, findings=findings, age_years=enc.patient.age_years, pregnant=bool(enc.patient.pregnant)
        )
        triage = assign_triage(
            case,
            [(s.condition, s.probability) for s in ranked if s.probability >= self.triage_policy.min_probability],
            uncertain=uncertain,
            policy=self.triage_policy,
        )
        if unknown_history:
            notes.append(
                ("history not understood: " if lang == "en" else "未能识别的既往史：") + "; ".join(unknown_history)
            )
        result: dict[str, Any] = {
            "patient_id": enc.patient.id,
            "date": enc.date.isoformat() if enc.date else None,
            "suggestions": suggestions,
            "triage": triage.to_dict(lang),
            "uncertain": uncertain,
            "uncertain_reasons": uncertain_why,
            "findings_used": findings,
            "vitals_used": vitals,
            "model": [self.pack.describe()] if self.pack is not None else [],
        }
        if notes:
            result["notes"] = notes
        if enc.diagnoses or enc.prescriptions or enc.orders:
            result["quality"] = self._quality(enc, findings, ranked)
        return result

    def _quality(self, enc: Encounter, findings: dict[str, bool], ranked: list[Suggestion]) -> list[dict[str, Any]]:
        try:
            from .quality import check_quality
        except ImportError:  # quality checks not installed in this build
            return []
        scores = {s.condition.id: (s.probability, rank) for rank, s in enumerate(ranked, start=1)}
        issues = check_quality(enc, findings=findings, model_scores=scores or None, knowledge=self.kb)
        return [issue.to_dict() for issue in issues]


@lru_cache(maxsize=1)
def default_assistant() -> Assistant:
    """The process-wide assistant on the shipped knowledge and model packs."""
    return Assistant()


def assess_many(encounters: Sequence[Encounter], *, lang: str = "zh") -> list[dict[str, Any]]:
    """Assess validated encounters with the default assistant."""
    return default_assistant().assess(encounters, lang=lang)
