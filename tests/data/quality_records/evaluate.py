"""Figures of the quality checks on the record sets (used by tests/test_quality_records.py and
bench/bench_quality.py).

- share of correct records with no warning or error (false alarms teach doctors to ignore alerts);
- per category, share of records with that fault injected that get a warning or error of that
  category (detection), and share whose new alarms are all of that category (attribution);
- time of one whole check (``check_quality`` on a parsed encounter, complaint reading included).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.quality import QualityIssue, check_quality, is_alarm
from assistant.records import Encounter, parse_encounter

HERE = Path(__file__).resolve().parent
DEFAULT_DATE = dt.date(2026, 3, 2)


def load_jsonl(name: str) -> list[dict[str, Any]]:
    with (HERE / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def correct_records() -> list[dict[str, Any]]:
    return load_jsonl("handwritten.jsonl") + load_jsonl("generated.jsonl")


def fault_records() -> list[dict[str, Any]]:
    return load_jsonl("faults.jsonl")


def encounter(item: dict[str, Any]) -> Encounter:
    return parse_encounter(item["record"], default_date=DEFAULT_DATE)


@dataclass
class Figures:
    correct: int = 0
    correct_quiet: int = 0
    false_alarms: list[tuple[str, list[str]]] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    detected: Counter[str] = field(default_factory=Counter)
    attributed: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def quiet_share(self) -> float:
        return self.correct_quiet / self.correct if self.correct else 0.0

    def detection(self, category: str) -> float:
        return self.detected[category] / self.injected[category] if self.injected[category] else 0.0

    def attribution(self, category: str) -> float:
        return self.attributed[category] / self.injected[category] if self.injected[category] else 0.0


def _alarms(issues: list[QualityIssue]) -> list[QualityIssue]:
    return [i for i in issues if is_alarm(i)]


def measure() -> Figures:
    """Run every record of the sets through the checks and count."""
    fig = Figures()
    base_alarms: dict[str, set[tuple[str, str]]] = {}
    for item in correct_records():
        alarms = _alarms(check_quality(encounter(item)))
        base_alarms[item["id"]] = {(i.rule, i.message_en) for i in alarms}
        fig.correct += 1
        if alarms:
            fig.false_alarms.append((item["id"], [f"{i.rule}: {i.message_en}" for i in alarms]))
        else:
            fig.correct_quiet += 1
    for item in fault_records():
        category = item["category"]
        alarms = _alarms(check_quality(encounter(item)))
        fig.injected[category] += 1
        if any(i.category == category for i in alarms):
            fig.detected[category] += 1
            new = [i for i in alarms if (i.rule, i.message_en) not in base_alarms.get(item["base"], set())]
            if all(i.category == category for i in new):
                fig.attributed[category] += 1
        else:
            fig.missed.append((item["id"], item["fault"], [i.rule for i in alarms]))
    return fig


def timings(repeat: int = 3) -> tuple[list[float], list[float]]:
    """Milliseconds of ``check_quality`` per record, every record of both sets, ``repeat`` times:
    wall-clock times and this thread's CPU times (the latter unaffected by other processes)."""
    encounters = [encounter(item) for item in correct_records() + fault_records()]
    for enc in encounters[:50]:  # warm the caches (name lookups, complaint reader)
        check_quality(enc)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        for enc in encounters:
            c0, t0 = time.thread_time(), time.perf_counter()
            check_quality(enc)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
    return wall, cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


__all__ = ["Figures", "correct_records", "fault_records", "measure", "percentile", "statistics", "timings"]
