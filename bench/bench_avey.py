"""The 400 English Avey vignettes (../shared/eval): complaint understanding and honest uncertainty.

For the vignettes whose diagnosis is in the coverage list (mapped to our condition ids by name with
the knowledge base's lookup, plus the few overrides below), prints top-1/top-3 and how often the case
is marked uncertain; for the rest, how often the assistant says ``uncertain`` or refers instead of
confidently naming a covered condition at ``manage``.

Run: ``.venv/bin/python bench/bench_avey.py [--path ../shared/eval/avey_vignettes.jsonl] [--show N]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

from assistant.assess import Assistant
from assistant.knowledge import load_knowledge
from assistant.knowledge.conditions import ConditionIndex
from assistant.records import parse_encounter

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "avey_vignettes.jsonl"
# Names the lookup maps wrongly or misses (None: not a covered condition).
OVERRIDES: dict[str, str | None] = {
    "Rotator Cuff Injury": None,
    "Bacterial Tonsilitis": "acute_tonsillitis",
    "Typical Pneumonia": "pneumonia",
}


def encounter(v: dict) -> dict:
    m = re.match(r"\s*(\d+(?:\.\d+)?)\s*(year|month|week|day)", v.get("demographics", ""), re.I)
    age = 40.0
    if m:
        n, unit = float(m.group(1)), m.group(2).lower()
        age = n if unit == "year" else n / {"month": 12, "week": 52, "day": 365}[unit]
    sex = "female" if re.search(r"\bfemale\b", v.get("demographics", ""), re.I) else "male"
    parts = [v.get("chief_complaints", ""), v.get("presentation", ""), v.get("absent_findings", "")]
    hist = v.get("physical_history", "")
    if hist and hist.strip() not in {"-", "None", "none"}:
        parts.append("Past history: " + hist)
    return {"patient": {"age_years": min(age, 120), "sex": sex}, "complaint": ". ".join(p for p in parts if p)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", type=Path, default=DEFAULT)
    ap.add_argument("--show", type=int, default=0, help="print N misses of the covered subset")
    args = ap.parse_args()
    kb = load_knowledge()
    index = ConditionIndex.build(kb.conditions)
    rows = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    truth: list[str | None] = []
    for v in rows:
        name = v["correct_diagnosis"].strip()
        if name in OVERRIDES:
            truth.append(OVERRIDES[name])
        else:
            c = index.find(name)
            truth.append(c.id if c else None)
    encs = [parse_encounter(encounter(v), default_date=dt.date(2026, 6, 1)) for v in rows]
    results = Assistant().assess(encs, lang="en")

    covered = [i for i, t in enumerate(truth) if t]
    outside = [i for i, t in enumerate(truth) if not t]
    top1 = sum(results[i]["suggestions"][0]["condition"] == truth[i] for i in covered if results[i]["suggestions"])
    top3 = sum(truth[i] in [s["condition"] for s in results[i]["suggestions"][:3]] for i in covered)
    unc_cov = sum(results[i]["uncertain"] for i in covered)
    print(f"covered vignettes: {len(covered)}: top-1 {top1 / len(covered):.3f}, top-3 {top3 / len(covered):.3f}, "
          f"marked uncertain {unc_cov / len(covered):.3f}")  # fmt: skip
    unc = sum(results[i]["uncertain"] for i in outside)
    cautious = sum(results[i]["uncertain"] or results[i]["triage"]["level"] != "manage" for i in outside)
    print(f"outside coverage: {len(outside)}: uncertain {unc / len(outside):.3f}, "
          f"uncertain or referred {cautious / len(outside):.3f}, "
          f"confidently managed as a covered condition {1 - cautious / len(outside):.3f}")  # fmt: skip
    levels = Counter(results[i]["triage"]["level"] for i in outside)
    print("  triage outside coverage:", dict(levels))
    shown = 0
    for i in covered:
        if shown >= args.show:
            break
        got = [s["condition"] for s in results[i]["suggestions"][:3]]
        if truth[i] not in got:
            shown += 1
            print(f"- {rows[i]['correct_diagnosis']} ({truth[i]}): got {got}")


if __name__ == "__main__":
    main()
