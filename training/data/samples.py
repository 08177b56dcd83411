"""Regenerate the sample files in ``data_samples/`` (``python -m training.data.samples``).

- ``consultations_sample.csv``: ~300 synthetic consultations in the training-table schema (the
  diagnosis as its ICD-10 code, or the condition id where two conditions share a code);
- ``consultations_sample.jsonl``: the same consultations as encounters (CONTRACTS §1, so
  ``gp-assistant assess`` reads them), each with a ``synthetic`` block: the true condition, the
  latent findings, what was written and the exact posterior's top five.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from assistant.features.encode import KnowledgeLike

from ..generator import posterior
from ..generator.render import case_records
from .build import generate_training_set
from .table import table_from_records

__all__ = ["SAMPLE_DIR", "write_samples"]

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data_samples"


def write_samples(kb: KnowledgeLike, out_dir: Path = SAMPLE_DIR, *, n: int = 300, seed: int = 2025) -> list[Path]:
    """Write the two sample files; returns their paths."""
    g = generate_training_set(kb, n, seed, with_posterior=False)
    shared = Counter(c.icd10 for c in kb.conditions)
    diagnoses = [
        c.icd10 if shared[c.icd10] == 1 else c.id for c in (g.world.conditions[i] for i in g.sample.y)
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "consultations_sample.csv"
    table_from_records(g.encounters, diagnoses).to_csv(csv_path, index=False)
    jsonl_path = out_dir / "consultations_sample.jsonl"
    records = case_records(g.world, g.sample, g.encounters, posterior(g.world, g.sample))
    with jsonl_path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return [csv_path, jsonl_path]


if __name__ == "__main__":  # pragma: no cover
    from types import SimpleNamespace

    from assistant.knowledge import KNOWLEDGE_DIR
    from assistant.knowledge import conditions as _conditions
    from assistant.knowledge import findings as _findings

    kb = SimpleNamespace(findings=_findings.load(KNOWLEDGE_DIR), conditions=_conditions.load(KNOWLEDGE_DIR))
    for p in write_samples(kb):
        print(p)
