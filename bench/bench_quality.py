"""Benchmark: the quality checks on the record sets of tests/data/quality_records.

    .venv/bin/python bench/bench_quality.py            # figures and timing
    .venv/bin/python bench/bench_quality.py --misses   # also list false alarms and missed faults

Prints: the share of correct records (hand-written and generated) with no warning or error
(target 98 % or more); per category, the detection of injected faults with the right category
(target 95 % or more) and their attribution (every new alarm of the injected category); and p50 /
p99 milliseconds of one whole ``check_quality`` (complaint reading and every check; records already
parsed), wall clock and thread CPU time, plus parse + check for comparison. Target: p50 at most
2 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.quality import CATEGORIES, check_quality, load_rules  # noqa: E402

SETS = ROOT / "tests" / "data" / "quality_records"


def _evaluate():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("quality_records_evaluate", SETS / "evaluate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--misses", action="store_true", help="list false alarms and missed faults")
    ap.add_argument("--repeat", type=int, default=3, help="timing passes over all records")
    args = ap.parse_args()
    ev = _evaluate()

    t0 = time.perf_counter()
    rules = load_rules()
    print(
        f"rule tables: {len(rules)} rules in {len(rules.tables)} tables (loaded in {time.perf_counter() - t0:.2f} s)"
    )
    t0 = time.perf_counter()
    fig = ev.measure()
    print(
        f"checked {fig.correct} correct and {sum(fig.injected.values())} faulty records in {time.perf_counter() - t0:.1f} s"
    )
    print()
    print(
        f"correct records with no warning/error: {fig.correct_quiet}/{fig.correct} = {fig.quiet_share:.1%}  (target >= 98%)"
    )
    print()
    print(f"{'category':<20} {'injected':>8} {'detected':>9} {'detection':>10} {'attribution':>12}")
    worst = 1.0
    for c in CATEGORIES:
        worst = min(worst, fig.detection(c))
        print(
            f"{c:<20} {fig.injected[c]:>8} {fig.detected[c]:>9} {fig.detection(c):>10.1%} {fig.attribution(c):>12.1%}"
        )
    print(f"lowest detection: {worst:.1%}  (target >= 95% in every category)")
    print()

    ms, cpu = ev.timings(repeat=args.repeat)
    print(f"check_quality per record ({len(ms)} runs): p50 {ev.percentile(ms, 50):.3f} ms, "
          f"p99 {ev.percentile(ms, 99):.3f} ms, max {max(ms):.2f} ms  (target p50 <= 2 ms)")  # fmt: skip
    print(f"  same, thread CPU time: p50 {ev.percentile(cpu, 50):.3f} ms, p99 {ev.percentile(cpu, 99):.3f} ms "
          f"(wall-clock p99 above this is the machine preempting the process)")  # fmt: skip
    items = ev.correct_records() + ev.fault_records()
    both: list[float] = []
    for item in items:
        t0 = time.perf_counter()
        check_quality(ev.encounter(item))
        both.append((time.perf_counter() - t0) * 1000)
    print(f"parse_encounter + check_quality ({len(both)} runs): p50 {ev.percentile(both, 50):.3f} ms, "
          f"p99 {ev.percentile(both, 99):.3f} ms")  # fmt: skip

    if args.misses:
        print()
        for rid, alarms in fig.false_alarms:
            print(f"FALSE ALARM {rid}: {alarms}")
        for rid, what, rules_found in fig.missed:
            print(f"MISSED {rid} ({what}): {rules_found}")


if __name__ == "__main__":
    main()
