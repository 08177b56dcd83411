"""Examinations: imaging, endoscopy, laboratory and function tests, with names and synonyms.

Each row of ``exams.yaml`` gives the examination's names (zh/en and the short forms doctors type:
``胸片``, ``CXR``, ``血常规``, ``B超``), how long a result stays valid before repeating it makes
sense (``validity_days``; 0 means serial testing is the protocol, never a duplicate), the findings
that justify an earlier repeat, property tags (``ionising_radiation``, ``iodinated_contrast``,
``barium``, ``invasive``, ``fasting_required``), the substances given to the patient (``agents``:
drug-class ids such as ``iodinated_contrast``, for allergy checks), and contraindication / caution
tags from the vocabulary in ``drugs.yaml``.

:func:`load` returns an :class:`ExamBook`, a :class:`~assistant.knowledge.base.Table` of
:class:`Exam` rows that also answers :meth:`ExamBook.find`, :meth:`ExamBook.matches_allergy`,
:meth:`ExamBook.interactions_with` and :meth:`ExamBook.repeat_too_soon`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .base import KnowledgeError, Row, Table, load_table
from .drugs import AllergyKind, AllergyMatch, DrugBook, Interaction, InteractionHit
from .names import EXAM_NAME_RULES, NameIndex

if TYPE_CHECKING:
    from . import Knowledge

__all__ = ["FILE", "TAG_AGENTS", "Exam", "ExamBook", "ExamTag", "check", "load", "validate"]

FILE = "exams.yaml"

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]
ExamTag = Literal["iodinated_contrast", "barium", "ionising_radiation", "invasive", "fasting_required"]
ExamCategory = Literal["imaging", "endoscopy", "laboratory", "function"]

TAG_AGENTS: dict[str, str] = {"iodinated_contrast": "iodinated_contrast", "barium": "barium_sulfate"}
"""Property tags that mean a substance is given: the tag and the agent must go together."""


class Exam(Row):
    code: Code
    name_zh: Text
    name_en: Text
    synonyms: tuple[Text, ...] = ()
    category: ExamCategory
    validity_days: int = Field(ge=0, le=3650)
    repeat_ok_findings: tuple[Code, ...] = ()
    tags: tuple[ExamTag, ...] = ()
    agents: tuple[Code, ...] = ()
    contraindications: tuple[Code, ...] = ()
    cautions: tuple[Code, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    note_zh: str = ""
    note_en: str = ""
    source: tuple[Code, ...] = Field(min_length=1)


@dataclass(frozen=True)
class ExamBook(Table[Exam]):
    """The examinations table with name lookup and allergy / interaction / repeat helpers."""

    names: NameIndex = field(default_factory=NameIndex, repr=False, compare=False)

    def find(self, name: str) -> Exam | None:
        """The examination called ``name`` (``胸片``, ``DR胸片``, ``CXR``, ``复查血常规``, ``CBC test``)."""
        code = self.names.lookup(name, EXAM_NAME_RULES)
        return self.index.get(code) if code else None

    def allergy_match(self, drugs: DrugBook, allergy_text: str, exam_code: str) -> AllergyMatch | None:
        """How an allergy entry concerns the substances the examination gives (``碘造影剂`` → 增强CT)."""
        agents = self.index[exam_code].agents
        return drugs.allergy_match_substances(allergy_text, agents) if agents else None

    def matches_allergy(self, drugs: DrugBook, allergy_text: str, exam_code: str) -> AllergyKind | None:
        """``same_class``, ``cross_reactive`` or ``None``."""
        m = self.allergy_match(drugs, allergy_text, exam_code)
        return m.kind if m else None

    def interactions_with(self, drugs: DrugBook, exam_code: str, drug_code: str) -> list[InteractionHit]:
        """Interactions of the examination (or its agents) with a drug the patient takes."""
        exam = self.index[exam_code]
        drug_nodes = drugs.nodes(drug_code)
        hits = [
            InteractionHit(i.severity, exam.code, i.target, i.reason_zh, i.reason_en)
            for i in exam.interactions
            if i.target in drug_nodes
        ]
        agent_nodes: set[str] = set()
        for a in exam.agents:
            agent_nodes |= drugs.nodes(a)
        if agent_nodes:
            hits.extend(drugs.interactions_between_nodes(agent_nodes, drug_nodes))
        hits.sort(key=lambda h: h.severity != "major")
        return hits

    def repeat_too_soon(
        self, exam_code: str, done_on: date, on: date, present_findings: Iterable[str] = ()
    ) -> bool:
        """Whether ordering the examination on ``on`` repeats one done on ``done_on`` too soon.

        False when serial testing is the protocol (``validity_days`` 0), when the earlier result is
        older than ``validity_days``, or when a finding in ``repeat_ok_findings`` is present.
        """
        exam = self.index[exam_code]
        if exam.validity_days == 0:
            return False
        if set(exam.repeat_ok_findings) & set(present_findings):
            return False
        elapsed = (on - done_on).days
        return 0 <= elapsed < exam.validity_days


def load(directory: Path) -> ExamBook:
    """Load ``exams.yaml``; a name that would point at two examinations is an error."""
    table = load_table(Path(directory) / FILE, Exam, key="code")
    names = NameIndex()
    problems: list[str] = []
    for i, e in enumerate(table.rows, start=1):
        label = f"{FILE} row {i} (code={e.code})"
        for fname, values in (("code", [e.code]), ("name_zh", [e.name_zh]), ("name_en", [e.name_en]),
                              ("synonyms", list(e.synonyms))):  # fmt: skip
            for v in values:
                msg = names.add(v, e.code, f"{label}: field '{fname}'")
                if msg:
                    problems.append(msg)
    if problems:
        raise KnowledgeError("\n".join(problems))
    return ExamBook(path=table.path, meta=table.meta, rows=table.rows, key=table.key, index=table.index, names=names)


def validate(exams: Table[Exam], drugs: DrugBook, finding_codes: Iterable[str] | None = None) -> list[str]:
    """Cross-references of the examinations: tags, agents, interaction targets, findings, sources."""
    p: list[str] = []
    known_findings = set(finding_codes) if finding_codes is not None else None
    sources = (exams.meta.model_extra or {}).get("sources")
    source_ids = set(sources) if isinstance(sources, dict) else set()
    if not source_ids:
        p.append(f"{FILE}: header field 'meta.sources': list the sources (id: citation) the rows refer to")
    for i, e in enumerate(exams.rows, start=1):
        label = f"{FILE} row {i} (code={e.code})"
        for fname in ("contraindications", "cautions"):
            for t in getattr(e, fname):
                if t not in drugs.tags:
                    p.append(f"{label}: field '{fname}': unknown tag {t!r} (see 'tags' in drugs.yaml)")
        for t in set(e.contraindications) & set(e.cautions):
            p.append(f"{label}: field 'cautions': tag {t!r} is also a contraindication")
        for a in e.agents:
            if a not in drugs.classes and a not in drugs.drugs:
                p.append(f"{label}: field 'agents': unknown drug or class {a!r}")
        for tag, agent in TAG_AGENTS.items():
            if (tag in e.tags) != (agent in e.agents):
                p.append(f"{label}: field 'agents': tag {tag!r} and agent {agent!r} must go together")
        if "ionising_radiation" in e.tags and "pregnancy" not in set(e.contraindications) | set(e.cautions):
            p.append(f"{label}: field 'cautions': an examination with ionising radiation must name 'pregnancy'")
        for j, it in enumerate(e.interactions):
            if it.target not in drugs.classes and it.target not in drugs.drugs:
                p.append(f"{label}: field 'interactions.{j}.target': unknown drug or class {it.target!r}")
        if known_findings is not None:
            for f in e.repeat_ok_findings:
                if f not in known_findings:
                    p.append(f"{label}: field 'repeat_ok_findings': unknown finding code {f!r} (see findings.yaml)")
        if e.validity_days == 0 and e.repeat_ok_findings:
            p.append(f"{label}: field 'repeat_ok_findings': validity_days is 0, a repeat is never a duplicate")
        if e.validity_days == 0 and not (e.note_zh and e.note_en):
            p.append(f"{label}: field 'note_zh': validity_days 0 needs a note (zh and en) saying why")
        for s in e.source:
            if source_ids and s not in source_ids:
                p.append(f"{label}: field 'source': unknown source {s!r} (see meta.sources)")
    return p


def check(kb: Knowledge) -> list[str]:
    """Cross-file problems of the examinations table."""
    return validate(kb.exams, kb.drugs, finding_codes=kb.findings.keys())
