"""The command line: outputs, exit codes, and never a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"


def run(argv: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    res = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *argv], input=stdin, capture_output=True, text=True, cwd=ROOT
    )
    return res.returncode, res.stdout, res.stderr


@pytest.mark.parametrize("what", ["findings", "conditions", "drugs", "exams"])
def test_vocab_lists_codes_and_both_languages(what: str) -> None:
    out = io.StringIO()
    assert main(["vocab", what, "--format", "json"], out=out) == 0
    rows = json.loads(out.getvalue())
    assert len(rows) >= 17
    assert all(r["code"] and r["name_zh"] and r["name_en"] for r in rows)


def test_parse_shows_what_was_heard() -> None:
    out = io.StringIO()
    assert main(["parse", "咳嗽3天，发热39.2℃，无胸痛"], out=out) == 0
    parsed = json.loads(out.getvalue())
    assert parsed["findings"]["cough"] is True
    assert parsed["findings"]["chest_pain"] is False
    assert parsed["vitals"]["temperature_c"] == 39.2


def test_assess_sample_file_runs() -> None:
    code, stdout, stderr = run(["assess", str(SAMPLES / "encounter_zh.json")])
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["triage"]["level"] in {"manage", "refer", "urgent"}
    assert result["findings_used"]["cough"] is True
    assert "quality" in result


def test_assess_jsonl_gives_one_result_per_record() -> None:
    code, stdout, stderr = run(["assess", str(SAMPLES / "encounters.jsonl"), "--lang", "en"])
    assert code == 0, stderr
    results = json.loads(stdout)
    n = sum(1 for line in (SAMPLES / "encounters.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())
    assert isinstance(results, list) and len(results) == n


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ('{"patient": {"age_years": -3}, "complaint": "cough"}', "patient.age_years"),
        ('{"patient": {"sex": "x"}, "complaint": "cough"}', "patient.sex"),
        ('{"patient": {"age_years": 30}, "complaint": "cough", "vitals": {"spo2": "high"}}', "vitals.spo2"),
        ('{"patient": {"age_years": 30}}', "complaint"),
        ('{"patient": ', "line 1"),
    ],
)
def test_bad_input_exit_2_names_the_field_without_traceback(payload: str, field: str) -> None:
    code, stdout, stderr = run(["assess", "--date", "2026-11-26"], stdin=payload)
    assert code == 2
    assert field in stderr
    assert "Traceback" not in stderr and stdout == ""


def test_missing_file_and_bad_date_are_exit_2() -> None:
    code, _, stderr = run(["assess", "no/such/file.json"])
    assert code == 2 and "no such file" in stderr and "Traceback" not in stderr
    code, _, stderr = run(["assess", "--date", "26/11/2026"], stdin="{}")
    assert code == 2 and "--date" in stderr


def test_followup_schedule_reports_rejects_and_writes_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "due.xlsx"
    code, _, stderr = run([
        "followup", "schedule", "--patients", str(SAMPLES / "village/patients.csv"),
        "--visits", str(SAMPLES / "village/visits_with_errors.csv"), "--as-of", "2026-11-20", "--out", str(out),
    ])  # fmt: skip
    assert code == 0, stderr
    assert "line" in stderr and "rejected" in stderr
    assert out.stat().st_size > 1000


def test_followup_bad_as_of_is_exit_2() -> None:
    code, _, stderr = run([
        "followup", "schedule", "--patients", str(SAMPLES / "village/patients.csv"),
        "--visits", str(SAMPLES / "village/visits.csv"), "--as-of", "2026-13-01",
    ])  # fmt: skip
    assert code == 2 and "as_of" in stderr.replace("-", "_") and "Traceback" not in stderr


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    import datetime as dt

    from assistant.store import Store

    data = tmp_path / "data"
    store = Store.open(data)
    store.create_account(None, "admin", "admin", "a-long-password-1", dt.datetime(2026, 11, 26, 9))
    store.close()
    dest = tmp_path / "backup.db"
    code, out, err = run(["backup", str(dest), "--data", str(data)])
    assert code == 0, err
    assert dest.exists() and "checked" in out
    code, _, err = run(["backup", str(dest), "--data", str(data)])
    assert code == 2 and "exists" in err and "Traceback" not in err
    code, out, err = run(["restore", str(dest), "--data", str(data)])
    assert code == 0, err
    (tmp_path / "junk.db").write_bytes(b"not a database at all")
    code, _, err = run(["restore", str(tmp_path / "junk.db"), "--data", str(data)])
    assert code == 2 and "Traceback" not in err
