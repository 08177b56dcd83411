"""The same follow-up list and indicators on Dask, partition by partition.

The tables are split by a hash of ``patient_id`` (:func:`write_partitions`), so each patient's row
and all their visits sit in one partition and every partition is validated, classified and scored
on its own with the pandas functions; the driver only concatenates, sorts and masks (the list) or
adds up counts (the indicators). Results equal the pandas path on the same data, including the
problems and their line numbers (each partition keeps the rows' original ``_line``).

Dask is optional (``pip install gp-assistant[scale]``) and imported only here, inside functions.
Without ``scheduler`` a ``LocalCluster`` is started for the call; with an address
(``tcp://host:8786``) the existing cluster is used.
"""

from __future__ import annotations

import importlib
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, Problem
from .csvio import LINE
from .features import Scorer
from .problems import RowProblem
from .protocols import Protocols
from .schedule import Filters, TableSource, load_tables, schedule_part
from .workdays import WorkCalendar

__all__ = [
    "MANIFEST",
    "indicator_counts_dask",
    "partition_of",
    "schedule_dask",
    "write_partitions",
]

MANIFEST = "partitions.json"


def partition_of(patient_ids: pd.Series | Sequence[str], npartitions: int) -> np.ndarray:
    """Partition number of each ``patient_id`` (stable hash of the trimmed text)."""
    arr = pa.array(pd.Series(patient_ids, dtype=object).where(lambda s: s.notna(), ""), type=pa.string())
    trimmed = pc.utf8_trim_whitespace(arr).to_numpy(zero_copy_only=False).astype(object)
    h = pd.util.hash_array(trimmed, categorize=True)
    return (h % np.uint64(npartitions)).astype(np.int64)


def write_partitions(
    patients: TableSource, visits: TableSource, out_dir: str | Path, npartitions: int = 8
) -> tuple[Path, list[RowProblem]]:
    """Split both tables (paths to CSV or DataFrames) into ``npartitions`` Parquet files each,
    by patient. Cells stay text (validation happens per partition) and keep their ``_line``.
    Returns the folder and the problems met while reading the CSV files."""
    if npartitions < 1:
        raise InputError([Problem("npartitions", "must be 1 or more")])
    pats, vis, problems, pf, vf = load_tables(patients, visits)
    out = Path(out_dir)
    for name, frame in (("patients", pats), ("visits", vis)):
        frame = frame.rename(columns=lambda c: str(c).strip().lstrip("\ufeff").lower())
        if LINE not in frame.columns:
            frame = frame.assign(**{LINE: np.arange(2, len(frame) + 2, dtype=np.int64)})
        if "patient_id" not in frame.columns:
            raise InputError([Problem(pf if name == "patients" else vf, "missing column(s): patient_id")])
        part = partition_of(frame["patient_id"], npartitions)
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        cols = [c for c in frame.columns if c != LINE]
        text = frame[cols].astype(object).where(frame[cols].notna(), "").astype(str)
        text[LINE] = frame[LINE].to_numpy(dtype=np.int64)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(npartitions + 1))
        for i in range(npartitions):
            piece = text.iloc[order[bounds[i] : bounds[i + 1]]]
            piece.to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    (out / MANIFEST).write_text(
        json.dumps({"npartitions": npartitions, "patients_file": pf, "visits_file": vf}), encoding="utf-8"
    )
    return out, problems


@contextmanager
def _client(scheduler: str | None) -> Iterator[Any]:
    try:  # the optional 'scale' extra, loaded only when the dask engine is asked for
        distributed = importlib.import_module("dask.distributed")
        Client, LocalCluster = distributed.Client, distributed.LocalCluster
    except ImportError as exc:
        raise InputError(
            [Problem("engine", "the dask engine needs the 'scale' extra: pip install gp-assistant[scale]")]
        ) from exc
    if scheduler:
        with Client(scheduler) as client:
            yield client
    else:
        with (
            LocalCluster(host="127.0.0.1", threads_per_worker=1, dashboard_address="127.0.0.1:0") as cluster,
            Client(cluster) as client,
        ):
            yield client


@contextmanager
def _partitions(
    patients: TableSource, visits: TableSource | None, npartitions: int | None
) -> Iterator[tuple[Path, list[RowProblem]]]:
    if visits is None:
        folder = Path(patients)  # type: ignore[arg-type]
        if not (folder / MANIFEST).is_file():
            raise InputError([Problem("patients", f"{folder} is not a folder written by write_partitions")])
        yield folder, []
        return
    with tempfile.TemporaryDirectory(prefix="gp-followup-") as tmp:
        folder, problems = write_partitions(patients, visits, tmp, npartitions or 8)
        yield folder, problems


def _read_part(folder: str, i: int) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    pats = pd.read_parquet(Path(folder) / "patients" / f"part-{i:05d}.parquet")
    vis = pd.read_parquet(Path(folder) / "visits" / f"part-{i:05d}.parquet")
    return pats, vis, manifest["patients_file"], manifest["visits_file"]


def _schedule_partition(
    folder: str, i: int, as_of: date, filters: Filters | None, scorer: Scorer | None,
    protocols: Protocols | None, calendar: WorkCalendar | None,
) -> tuple[pd.DataFrame, list[RowProblem]]:  # fmt: skip
    pats, vis, pf, vf = _read_part(folder, i)
    return schedule_part(
        pats, vis, as_of, filters=filters, scorer=scorer, protocols=protocols, calendar=calendar,
        patients_file=pf, visits_file=vf,
    )  # fmt: skip


def _counts_partition(
    folder: str, i: int, as_of: date, start: date, by: list[str],
    protocols: Protocols | None, calendar: WorkCalendar | None,
) -> tuple[pd.DataFrame, list[RowProblem]]:  # fmt: skip
    from .indicators import indicator_counts
    from .validate import validate

    pats, vis, pf, vf = _read_part(folder, i)
    data = validate(pats, vis, as_of, protocols=protocols, patients_file=pf, visits_file=vf)
    return indicator_counts(data, start, by=by, protocols=protocols, calendar=calendar), data.problems


def _run(
    fn: Callable[..., tuple[pd.DataFrame, list[RowProblem]]],
    patients: TableSource,
    visits: TableSource | None,
    scheduler: str | None,
    npartitions: int | None,
    **kwargs: Any,
) -> tuple[list[pd.DataFrame], list[RowProblem]]:
    with _partitions(patients, visits, npartitions) as (folder, problems), _client(scheduler) as client:
        n = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["npartitions"]
        futures = client.map(fn, [str(folder)] * n, list(range(n)), pure=False, **kwargs)
        results = client.gather(futures)
    frames = [f for f, _ in results]
    for _, probs in results:
        problems.extend(probs)
    return frames, problems


def schedule_dask(
    patients: TableSource,
    visits: TableSource | None,
    as_of: date,
    *,
    filters: Filters | None = None,
    scorer: Scorer | None = None,
    protocols: Protocols | None = None,
    calendar: WorkCalendar | None = None,
    scheduler: str | None = None,
    npartitions: int | None = None,
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Unsorted, unmasked list and problems (see :func:`~assistant.followup.schedule.schedule`).
    ``patients``: a folder from :func:`write_partitions` (``visits=None``), or CSV paths /
    DataFrames that are partitioned first (``npartitions``, default 8)."""
    frames, problems = _run(
        _schedule_partition, patients, visits, scheduler, npartitions, as_of=as_of, filters=filters,
        scorer=scorer, protocols=protocols, calendar=calendar,
    )  # fmt: skip
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True), problems


def indicator_counts_dask(
    patients: TableSource,
    visits: TableSource | None,
    as_of: date,
    start: date,
    *,
    by: list[str],
    protocols: Protocols | None = None,
    calendar: WorkCalendar | None = None,
    scheduler: str | None = None,
    npartitions: int | None = None,
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Indicator counts summed over partitions (rates are computed by the caller)."""
    frames, problems = _run(
        _counts_partition, patients, visits, scheduler, npartitions, as_of=as_of, start=start, by=by,
        protocols=protocols, calendar=calendar,
    )  # fmt: skip
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True), problems
