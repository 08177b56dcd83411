"""Benchmark: the follow-up list for a province, 1,000,000 patients and 4,000,000 visits.

    .venv/bin/python bench/bench_followup.py                       # 1M patients, 4M visits
    .venv/bin/python bench/bench_followup.py --patients 100000 --visits 400000   # quicker
    .venv/bin/python bench/bench_followup.py --reuse               # reuse the CSV files of the last run

Generates the two CSV files with :mod:`assistant.followup.synthetic` (a year of visits, sampled
down to exactly ``--visits`` rows) into ``--workdir``, then measures, in a fresh process so the
generator's memory does not count: reading both CSV files, validating every row, classifying with
the protocol tables, working-day due dates, reasons, sorting and masking, i.e. the whole
``gp-assistant followup schedule`` minus writing the output. Prints wall time per stage, total time
and peak memory (ru_maxrss of the measuring process). Target: <= 60 s and <= 4 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AS_OF = date(2026, 11, 30)


def generate(workdir: Path, n_patients: int, n_visits: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from assistant.followup.synthetic import generate_village

    t0 = time.perf_counter()
    patients, visits = generate_village(n_patients, start=date(2025, 12, 1), end=AS_OF, seed=7)
    if len(visits) > n_visits:
        keep = np.sort(np.random.default_rng(7).choice(len(visits), n_visits, replace=False))
        visits = visits.iloc[keep].reset_index(drop=True)
    workdir.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(pa.Table.from_pandas(patients, preserve_index=False), workdir / "patients.csv")
    pacsv.write_csv(pa.Table.from_pandas(visits, preserve_index=False), workdir / "visits.csv")
    print(
        f"generated {len(patients):,} patients and {len(visits):,} visits in {time.perf_counter() - t0:.1f} s"
    )


def measure(workdir: Path) -> dict[str, float]:
    """Runs in the child process: each stage timed, peak memory at the end."""
    from assistant.followup.csvio import read_csv_table
    from assistant.followup.engine import classify
    from assistant.followup.schedule import finalize_schedule, release_memory
    from assistant.followup.validate import validate

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    patients, _ = read_csv_table(workdir / "patients.csv")
    visits, _ = read_csv_table(workdir / "visits.csv")
    out["read_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    data = validate(patients, visits, AS_OF)
    del patients, visits
    release_memory()  # as schedule() does
    out["validate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    frame = classify(data)
    out["classify_s"] = time.perf_counter() - t
    t = time.perf_counter()
    holder = [frame]
    del frame
    frame = finalize_schedule(holder)
    out["sort_mask_s"] = time.perf_counter() - t
    out["total_s"] = time.perf_counter() - t0
    out["rows"] = float(len(frame))
    out["problems"] = float(len(data.problems))
    out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--visits", type=int, default=4_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/gp-bench-followup"))
    ap.add_argument("--reuse", action="store_true", help="reuse the CSV files in --workdir")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.workdir)))
        return 0
    if not (args.reuse and (args.workdir / "visits.csv").is_file()):
        generate(args.workdir, args.patients, args.visits)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--workdir", str(args.workdir)],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    sizes = {p: (args.workdir / p).stat().st_size / 1e6 for p in ("patients.csv", "visits.csv")}
    print(
        f"input: {sizes['patients.csv']:.0f} MB patients.csv, {sizes['visits.csv']:.0f} MB visits.csv; cores: {os.cpu_count()}"
    )
    for k in ("read_s", "validate_s", "classify_s", "sort_mask_s"):
        print(f"  {k[:-2]:<10} {result[k]:6.1f} s")
    print(f"total {result['total_s']:.1f} s for {int(result['rows']):,} rows (patient x program), "
          f"{int(result['problems']):,} problems; peak memory {result['peak_gb']:.2f} GB")  # fmt: skip
    ok = result["total_s"] <= 60 and result["peak_gb"] <= 4
    print("target (<= 60 s, <= 4 GB):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
