"""Benchmark: the follow-up list on Dask against the pandas path, on the same data, by partitions.

    .venv/bin/python bench/bench_followup_dask.py [--patients 200000] [--visits 800000] [--parts 2 4 8 16]

Generates a village table (assistant.followup.synthetic), writes it as CSV, then measures in one run:
the pandas ``schedule`` on the CSV files, and for each partition count the Dask path on partitioned
Parquet (``write_partitions`` once per count, not timed; a LocalCluster of 2 single-threaded workers
started once, not timed). Prints wall seconds, rows per second, the ratio to pandas, and checks that
the lists are identical.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

from assistant.followup import schedule
from assistant.followup.dask_engine import write_partitions
from assistant.followup.synthetic import generate_village

AS_OF = date(2026, 11, 30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=200_000)
    ap.add_argument("--visits", type=int, default=800_000)
    ap.add_argument("--parts", type=int, nargs="+", default=[2, 4, 8, 16])
    args = ap.parse_args()
    from dask.distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        patients, visits = generate_village(args.patients, start=date(2025, 12, 1), end=AS_OF, seed=7)
        if len(visits) > args.visits:
            visits = visits.sample(n=args.visits, random_state=7).sort_values("date")
        pp, vp = work / "patients.csv", work / "visits.csv"
        patients.to_csv(pp, index=False)
        visits.to_csv(vp, index=False)
        print(f"{len(patients):,} patients, {len(visits):,} visits")

        t = time.perf_counter()
        base = schedule(pp, vp, AS_OF, problems=[])
        t_pandas = time.perf_counter() - t
        print(f"pandas: {t_pandas:.1f} s, {len(base) / t_pandas:,.0f} rows/s ({len(base):,} rows)")

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster):
            address = cluster.scheduler_address
            for k in args.parts:
                folder, _ = write_partitions(pp, vp, work / f"parts{k}", npartitions=k)
                t = time.perf_counter()
                got = schedule(folder, None, AS_OF, engine="dask", scheduler=address, problems=[])
                dt_ = time.perf_counter() - t
                same = got.reset_index(drop=True).equals(base.reset_index(drop=True))
                print(f"dask, {k:3d} partitions: {dt_:.1f} s, {len(got) / dt_:,.0f} rows/s, "
                      f"{t_pandas / dt_:.2f}x pandas, identical={same}")  # fmt: skip
                if not same:
                    pd.testing.assert_frame_equal(got.reset_index(drop=True), base.reset_index(drop=True))


if __name__ == "__main__":
    main()
