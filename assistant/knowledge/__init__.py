"""The clinical knowledge base: findings, conditions, drugs and examinations as validated data.

Each file in this folder names its source and edition in its ``meta`` header and is validated on
load; :func:`load_knowledge` also checks the references between files (a condition's red flag must
be a known finding, a drug's class must exist, ...). Problems raise :class:`KnowledgeError` naming
file, row and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import conditions as _conditions
from . import drugs as _drugs
from . import exams as _exams
from . import findings as _findings
from .base import KNOWLEDGE_DIR, KnowledgeError, Meta, Table
from .conditions import Condition
from .drugs import DrugBook
from .exams import Exam
from .findings import Finding


@dataclass(frozen=True)
class Knowledge:
    """Everything the assistant knows, loaded from one folder."""

    directory: Path
    findings: Table[Finding]
    conditions: Table[Condition]
    drugs: DrugBook
    exams: Table[Exam]


def load_knowledge_from(directory: Path) -> Knowledge:
    """Load and validate every knowledge file in ``directory`` (not cached)."""
    directory = Path(directory)
    kb = Knowledge(
        directory=directory,
        findings=_findings.load(directory),
        conditions=_conditions.load(directory),
        drugs=_drugs.load(directory),
        exams=_exams.load(directory),
    )
    problems: list[str] = []
    for module in (_findings, _conditions, _drugs, _exams):
        problems.extend(module.check(kb))
    if problems:
        raise KnowledgeError("\n".join(problems))
    return kb


@lru_cache(maxsize=4)
def load_knowledge(directory: str | None = None) -> Knowledge:
    """The knowledge base shipped with the package (or in ``directory``), loaded once per process."""
    return load_knowledge_from(Path(directory) if directory else KNOWLEDGE_DIR)


__all__ = [
    "KNOWLEDGE_DIR",
    "Condition",
    "DrugBook",
    "Exam",
    "Finding",
    "Knowledge",
    "KnowledgeError",
    "Meta",
    "Table",
    "load_knowledge",
    "load_knowledge_from",
]
