"""A writer killed with SIGKILL at random moments loses nothing it reported as committed."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from assistant.store import DB_NAME, Store

NOW = datetime(2026, 11, 26, 12, 0)
KILLS = 20

WRITER = """
import sys
from datetime import datetime
from assistant.store import Account, Store

store = Store.open(sys.argv[1])
admin = Account("admin", "admin")
now = datetime(2026, 11, 26, 12, 0)
i = 0
while True:
    eid = store.save_encounter(
        admin, "P1", {"complaint": "咳嗽" * 100, "n": i}, {"suggestions": []}, {"diagnoses": ["J00"]}, now
    )
    sys.stdout.write(f"{eid}\\n")  # only after COMMIT returned
    sys.stdout.flush()
    i += 1
"""


def test_sigkill_mid_transaction_never_loses_a_committed_record(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        admin = store.create_account(None, "admin", "admin", "crash-test-pw", NOW)
        store.upsert_patient(admin, {"patient_id": "P1", "village": "村", "programs": "hypertension"}, NOW)
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    rng = random.Random(20261126)
    committed: set[int] = set()
    started = time.perf_counter()
    for kill in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the writer is running and has committed at least once
        assert first.endswith("\n"), proc.stderr.read() if proc.stderr else ""
        time.sleep(rng.uniform(0.0, 0.08))
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate()
        assert proc.returncode == -signal.SIGKILL
        lines = (first + rest).split("\n")[:-1]  # a last line without its newline may be cut: ignore it
        reported = {int(x) for x in lines}
        assert reported, f"kill {kill}: nothing committed"
        committed |= reported

        conn = sqlite3.connect(data / DB_NAME)  # recovers the write-ahead log like any later opener
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            stored = {r[0] for r in conn.execute("SELECT id FROM encounters")}
            missing = committed - stored
            assert not missing, f"kill {kill}: committed encounters lost: {sorted(missing)[:10]}"
            # each transaction wrote the encounter and its audit row together, or neither
            audited = {
                int(r[0].split()[1])
                for r in conn.execute("SELECT detail FROM audit WHERE action = 'save_encounter'")
            }
            assert audited == stored
        finally:
            conn.close()
    assert len(committed) > KILLS
    assert time.perf_counter() - started < 60
