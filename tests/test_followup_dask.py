"""The Dask engine gives the pandas results, problems included; Dask is imported lazily."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from assistant.followup import indicators, schedule
from assistant.followup.dask_engine import write_partitions

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "village"
AS_OF = date(2026, 9, 30)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_schedule_dask_equals_pandas(scheduler: str) -> None:
    pats, visits = SAMPLES / "patients.csv", SAMPLES / "visits_with_errors.csv"
    p_problems: list = []
    d_problems: list = []
    a = schedule(pats, visits, AS_OF, problems=p_problems, lang="en")
    b = schedule(
        pats, visits, AS_OF, problems=d_problems, lang="en", engine="dask", scheduler=scheduler, npartitions=5
    )
    pd.testing.assert_frame_equal(a, b)
    assert p_problems == d_problems and any(p.action == "rejected" for p in p_problems)


def test_schedule_dask_from_a_partition_folder(scheduler: str, tmp_path: Path) -> None:
    folder, problems = write_partitions(
        SAMPLES / "patients.csv", SAMPLES / "visits.csv", tmp_path, npartitions=3
    )
    assert problems == [] and len(list((folder / "visits").glob("*.parquet"))) == 3
    a = schedule(SAMPLES / "patients.csv", SAMPLES / "visits.csv", AS_OF, due_within=30, problems=[])
    b = schedule(folder, None, AS_OF, due_within=30, engine="dask", scheduler=scheduler, problems=[])  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a, b)


def test_indicators_dask_equals_pandas(scheduler: str) -> None:
    pats, visits = SAMPLES / "patients.csv", SAMPLES / "visits.csv"
    by = ["program", "village", "doctor"]
    a = indicators(pats, visits, AS_OF, by=by, problems=[])
    b = indicators(pats, visits, AS_OF, by=by, engine="dask", scheduler=scheduler, npartitions=4, problems=[])
    pd.testing.assert_frame_equal(a, b)


def test_runtime_does_not_import_dask() -> None:
    code = (
        "import sys, datetime, assistant.followup as f\n"
        "f.schedule('data_samples/village/patients.csv', 'data_samples/village/visits.csv', datetime.date(2026, 9, 30))\n"
        "bad = [m for m in ('dask', 'distributed', 'lightgbm', 'sklearn', 'mlflow') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
