"""Benchmark of the whole assessment (issue 3 targets), measured in one run.

Prints:
- single-case ``assess`` latency in-process on one thread (p50, p99; target p50 ≤ 5 ms, p99 ≤ 20 ms);
- batch throughput of 10,000 cases (target ≥ 2,000 cases/s on 2 cores), in one process and with two
  worker processes;
- triage on generated cases: recall of ``urgent`` for emergencies (target ≥ 0.99) on a dedicated
  sample of every urgent condition (``--per-emergency`` cases each, drawn from the generator's
  exact P(case | condition)) and on the natural mix, and how often cases of conditions managed in
  the village are sent on;
- top-1/top-3 of the shipped pack on the same generated cases.

Run: ``.venv/bin/python bench/bench_assess.py [--cases 10000] [--seed 7] [--per-emergency 100]``
(needs models/diagnosis).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from assistant.assess import Assistant
from assistant.knowledge import load_knowledge
from assistant.records import parse_encounter
from training.data import generate_training_set
from training.generator import (
    build_vocabulary,
    render_encounters,
    sample_condition_cases,
    world_from_knowledge,
)

_WORKER: Assistant | None = None


def _init_worker() -> None:
    global _WORKER
    _WORKER = Assistant(threads=1)


def _assess_chunk(raw: list[dict]) -> int:
    assert _WORKER is not None
    encs = [parse_encounter(e, default_date=dt.date(2026, 1, 1)) for e in raw]
    return len(_WORKER.assess(encs))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-emergency", type=int, default=100)
    args = ap.parse_args()

    kb = load_knowledge()
    t0 = time.perf_counter()
    gen = generate_training_set(kb, args.cases, args.seed, with_posterior=False)
    print(f"generated {args.cases} cases in {time.perf_counter() - t0:.1f} s")
    raw = gen.encounters
    truth = [kb.conditions.rows[i] for i in gen.sample.y]
    encs = [parse_encounter(e, default_date=dt.date(2026, 1, 1)) for e in raw]

    assistant = Assistant(threads=1)
    assistant.assess(encs[:50])  # warm-up
    lat = []
    for enc in encs[:1000]:
        t = time.perf_counter()
        assistant.assess([enc])
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[int(0.99 * len(lat)) - 1]
    print(f"single case, 1 thread: p50 {p50:.2f} ms, p99 {p99:.2f} ms (n={len(lat)})")

    t = time.perf_counter()
    results = assistant.assess(encs)
    one = len(encs) / (time.perf_counter() - t)
    print(f"batch of {len(encs)}, one process: {one:,.0f} cases/s")

    chunks = [raw[i : i + 500] for i in range(0, len(raw), 500)]
    with ProcessPoolExecutor(max_workers=2, initializer=_init_worker) as pool:
        list(pool.map(_assess_chunk, chunks[:2]))  # start-up and warm-up outside the timing
        t = time.perf_counter()
        done = sum(pool.map(_assess_chunk, chunks))
        two = done / (time.perf_counter() - t)
    print(f"batch of {done} (from JSON dicts: validate + assess), two processes: {two:,.0f} cases/s")

    urgent_true = [i for i, c in enumerate(truth) if c.triage == "urgent"]
    manage_true = [i for i, c in enumerate(truth) if c.triage == "manage"]
    levels = [r["triage"]["level"] for r in results]
    if urgent_true:
        rec = sum(levels[i] == "urgent" for i in urgent_true) / len(urgent_true)
        print(f"emergencies: {len(urgent_true)} cases, urgent recall {rec:.4f}")
        missed = [truth[i].id for i in urgent_true if levels[i] != "urgent"]
        if missed:
            print("  missed:", dict(zip(*np.unique(missed, return_counts=True), strict=True)))
    if manage_true:
        m = [levels[i] for i in manage_true]
        print(
            f"village-managed conditions: {len(m)} cases: manage {m.count('manage') / len(m):.3f}, "
            f"refer {m.count('refer') / len(m):.3f}, urgent {m.count('urgent') / len(m):.3f}"
        )
    top1 = np.mean([r["suggestions"][0]["condition"] == c.id for r, c in zip(results, truth, strict=True)])
    top3 = np.mean([c.id in [s["condition"] for s in r["suggestions"][:3]] for r, c in zip(results, truth, strict=True)])
    unc = np.mean([r["uncertain"] for r in results])
    print(f"generated cases: top-1 {top1:.4f}, top-3 {top3:.4f}, marked uncertain {unc:.3f}")

    world = world_from_knowledge(kb)
    counts = np.array([args.per_emergency if c.triage == "urgent" else 0 for c in world.conditions])
    em = sample_condition_cases(world, counts, args.seed + 1)
    em_raw = render_encounters(world, em, seed=args.seed + 1, vocabulary=build_vocabulary(world, kb))
    em_res = assistant.assess([parse_encounter(e, default_date=dt.date(2026, 1, 1)) for e in em_raw])
    em_levels = [r["triage"]["level"] for r in em_res]
    rec = float(np.mean([lv == "urgent" for lv in em_levels]))
    print(f"dedicated emergencies: {len(em_levels)} cases ({args.per_emergency} per urgent condition), urgent recall {rec:.4f}")
    missed = [world.condition_ids[y] for y, lv in zip(em.y, em_levels, strict=True) if lv != "urgent"]
    if missed:
        print("  missed:", dict(zip(*np.unique(missed, return_counts=True), strict=True)))
    print(f"cpu count {os.cpu_count()}")


if __name__ == "__main__":
    main()
