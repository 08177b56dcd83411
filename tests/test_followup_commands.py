"""The functions behind ``gp-assistant followup schedule|indicators``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from assistant.errors import InputError
from assistant.followup import add_indicators_arguments, add_schedule_arguments, run_indicators, run_schedule

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "village"


def parse(add, argv: list[str]) -> argparse.Namespace:  # noqa: ANN001
    return add(argparse.ArgumentParser()).parse_args(argv)


def test_schedule_command_writes_list_and_rejects(tmp_path: Path) -> None:
    args = parse(add_schedule_arguments, [
        "--patients", str(SAMPLES / "patients.csv"), "--visits", str(SAMPLES / "visits_with_errors.csv"),
        "--as-of", "2026-03-31", "--out", str(tmp_path / "due.xlsx"), "--rejects", str(tmp_path / "rejects.csv"),
        "--due-within", "30", "--lang", "en",
    ])  # fmt: skip
    frame, problems = run_schedule(args)
    assert (tmp_path / "due.xlsx").is_file() and len(frame)
    rejects = pd.read_csv(tmp_path / "rejects.csv", encoding="utf-8-sig")
    assert len(rejects) == len(problems) and "rejected" in set(rejects["action"])
    assert (frame["reason"] == frame["reason_en"]).all()


def test_indicators_command(tmp_path: Path) -> None:
    args = parse(add_indicators_arguments, [
        "--patients", str(SAMPLES / "patients.csv"), "--visits", str(SAMPLES / "visits.csv"),
        "--as-of", "2026-11-30", "--by", "program", "village", "--out", str(tmp_path / "ind.csv"),
    ])  # fmt: skip
    frame, problems = run_indicators(args)
    assert problems == []
    back = pd.read_csv(tmp_path / "ind.csv", encoding="utf-8-sig")
    assert list(back.columns[:3]) == ["program", "program_zh", "village"]
    assert len(back) == len(frame)


@pytest.mark.parametrize("as_of", ["2026-13-01", "yesterday"])
def test_bad_date_is_an_input_error(as_of: str) -> None:
    args = parse(add_schedule_arguments, ["--patients", "p.csv", "--visits", "v.csv", "--as-of", as_of])
    with pytest.raises(InputError, match="as_of"):
        run_schedule(args)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    args = parse(add_schedule_arguments, ["--patients", str(tmp_path / "none.csv"), "--visits", "v.csv",
                                          "--as-of", "2026-01-01"])  # fmt: skip
    with pytest.raises(InputError, match="no such file"):
        run_schedule(args)


def test_missing_column_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("patient_id,name\nP1,王\n", encoding="utf-8")
    args = parse(add_schedule_arguments, ["--patients", str(tmp_path / "p.csv"), "--visits",
                                          str(SAMPLES / "visits.csv"), "--as-of", "2026-01-01"])  # fmt: skip
    with pytest.raises(InputError, match="programs"):
        run_schedule(args)
