"""The durable local store: schema, roles in the data layer, audit log, CSV import, backup/restore."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from assistant.errors import InputError
from assistant.followup import mask_phones, schedule
from assistant.records.resident_id import check_character, mask_resident_id
from assistant.store import (
    DB_NAME,
    DEMO_PASSWORDS,
    DEMO_TOWNSHIP,
    LATEST_VERSION,
    Account,
    BackupError,
    SchemaError,
    Store,
    backup,
    integrity_problems,
    mask_phone,
    masked,
    restore,
    seed_demo,
)
from assistant.store.accounts import hash_password, verify_password
from assistant.store.schema import connect, migrate, schema_version

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "village"
NOW = datetime(2026, 11, 26, 9, 30)
LATER = datetime(2026, 11, 26, 9, 45)
ADMIN = Account("admin", "admin")
LIJIA = Account("doctor1", "village_doctor", "李家村", DEMO_TOWNSHIP)  # P00005 lives here
HEKOU = Account("doctor3", "village_doctor", "河口村", DEMO_TOWNSHIP)  # P00002 lives here
HEALTH = Account("health", "public_health", "", DEMO_TOWNSHIP)


def rid(first17: str) -> str:
    return first17 + check_character(first17)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store (accounts + sample village), built once and copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    with Store.open(folder / "data") as store:
        report = seed_demo(store, SAMPLES, NOW)
        assert report is not None and report.patients_new == 300
        return store.backup(folder / "template.db")


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    (tmp_path / "data").mkdir()
    shutil.copy(template, tmp_path / "data" / DB_NAME)
    with Store.open(tmp_path / "data") as s:
        yield s


def audit_rows(store: Store, **where: str) -> list[sqlite3.Row]:
    sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(f"{k} = ?" for k in where) if where else "")
    return store._conn.execute(sql + " ORDER BY id", list(where.values())).fetchall()


# ----------------------------------------------------------------------------- schema
def test_open_sets_durability_pragmas_and_migrations_are_idempotent(tmp_path: Path) -> None:
    with Store.open(tmp_path) as s:
        conn = s._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        tables = conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
        assert migrate(conn) == []
    with Store.open(tmp_path) as s:
        assert schema_version(s._conn) == LATEST_VERSION
        assert s._conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() == tables
        assert s._conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST_VERSION


def test_a_database_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    conn = connect(tmp_path / DB_NAME)
    conn.execute("INSERT INTO schema_version VALUES (?, 'future')", (LATEST_VERSION + 1,))
    conn.close()
    with pytest.raises(SchemaError, match="newer"):
        Store.open(tmp_path)


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store._conn.execute(
            "INSERT INTO visits (patient_id, date, program, recorded_by, created_at, updated_at) "
            "VALUES ('NOBODY', '2026-01-01', 'hypertension', 'admin', 'x', 'x')"
        )


# ----------------------------------------------------------------------------- accounts
def test_passwords_are_salted_scrypt_hashes() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("correct horse", a) and not verify_password("correct hors", a)
    assert not verify_password("correct horse", "garbage")


def test_accounts_bootstrap_and_admin_only(tmp_path: Path) -> None:
    with Store.open(tmp_path) as s:
        with pytest.raises(PermissionError, match="admin"):
            s.create_account(None, "doc", "village_doctor", "password1", NOW, village="A")
        admin = s.create_account(None, "root", "admin", "password1", NOW)
        with pytest.raises(PermissionError):  # bootstrap is only for the first account
            s.create_account(None, "root2", "admin", "password1", NOW)
        doc = s.create_account(admin, "doc", "village_doctor", "password1", NOW, village="A", township="T")
        with pytest.raises(PermissionError, match="admin"):
            s.create_account(doc, "doc2", "village_doctor", "password1", NOW, village="A")
        with pytest.raises(InputError) as err:
            s.create_account(admin, "x y", "village_doctor", "short", NOW)
        assert {p.field for p in err.value.problems} == {"username", "village", "password"}
        assert s.authenticate("doc", "password1", LATER) == doc
        assert s.authenticate("doc", "wrong-password", LATER) is None
        assert s.authenticate("nobody", "password1", LATER) is None
        s.set_active(admin, "doc", False, LATER)
        assert s.authenticate("doc", "password1", LATER) is None
        with pytest.raises(PermissionError):  # a disabled account can do nothing, even with its object
            s.search_patients(doc, "", LATER)
        logins = [(r["actor"], r["detail"]) for r in audit_rows(s, action="login")]
        assert logins == [("doc", "ok"), ("doc", "failed"), ("nobody", "failed"), ("doc", "disabled")]


# ----------------------------------------------------------------------------- roles
def test_village_doctor_sees_and_changes_only_their_village(store: Store) -> None:
    assert store.get_patient(LIJIA, "P00005", NOW)["village"] == "李家村"
    with pytest.raises(PermissionError, match="own village"):
        store.get_patient(LIJIA, "P00002", NOW)
    with pytest.raises(PermissionError):
        store.upsert_patient(LIJIA, {"patient_id": "P00002", "phone": "13800000000"}, NOW)
    with pytest.raises(PermissionError):  # nor move one of theirs to another village
        store.upsert_patient(LIJIA, {"patient_id": "P00005", "village": "河口村"}, NOW)
    with pytest.raises(PermissionError):
        store.add_visit(LIJIA, {"patient_id": "P00002", "date": "2026-11-20", "program": "hypertension"}, NOW)
    found = store.search_patients(LIJIA, "", NOW, limit=1000)
    assert len(found) == 63 and {p["village"] for p in found} == {"李家村"}
    pats, vis = store.followup_tables(LIJIA, NOW)
    assert set(pats["village"]) == {"李家村"} and set(vis["patient_id"]) <= set(pats["patient_id"])
    denied = audit_rows(store, action="denied", actor="doctor1")
    assert [r["patient_id"] for r in denied] == ["P00002", "P00002", "P00005", "P00002"]
    assert (
        store._conn.execute("SELECT village FROM patients WHERE patient_id = 'P00005'").fetchone()[0]
        == "李家村"
    )


def test_public_health_reads_their_township_and_changes_nothing(store: Store) -> None:
    store.upsert_patient(
        ADMIN,
        {
            "patient_id": "X1",
            "name": "外镇",
            "village": "远村",
            "township": "别的镇",
            "programs": "hypertension",
        },
        NOW,
    )
    assert store.get_patient(HEALTH, "P00002", NOW)["patient_id"] == "P00002"
    with pytest.raises(PermissionError, match="township"):
        store.get_patient(HEALTH, "X1", NOW)
    with pytest.raises(PermissionError, match="do not change"):
        store.upsert_patient(HEALTH, {"patient_id": "P00002", "phone": "13800000000"}, NOW)
    with pytest.raises(PermissionError):
        store.import_csv(HEALTH, SAMPLES / "patients.csv", None, NOW)
    with pytest.raises(PermissionError):
        store.audit_log(HEALTH, NOW)
    pats, _ = store.followup_tables(HEALTH, NOW)
    assert len(pats) == 300 and "X1" not in set(pats["patient_id"])
    assert "X1" in {p["patient_id"] for p in store.search_patients(ADMIN, "X1", NOW)}


def test_a_walk_in_patient_without_a_program_is_stored_but_not_followed_up(store: Store) -> None:
    good = rid("34122219900215123")
    walk_in = {"patient_id": "W1", "name": "路过", "village": "李家村", "programs": "", "resident_id": good}
    store.upsert_patient(LIJIA, walk_in, NOW)
    saved = store.get_patient(LIJIA, "W1", NOW)
    assert saved["programs"] == "" and saved["birth_date"] == "1990-02-15"
    pats, _ = store.followup_tables(LIJIA, NOW)
    assert "W1" not in set(pats["patient_id"]) and len(pats) > 0
    # still checked like everyone else: a wrong resident ID is refused
    with pytest.raises(InputError) as err:
        store.upsert_patient(LIJIA, {**walk_in, "patient_id": "W2", "resident_id": good[:-1] + "X"}, NOW)
    assert [p.field for p in err.value.problems] == ["resident_id"]


def test_registering_an_existing_id_is_refused_and_changes_nothing(store: Store) -> None:
    before = store.get_patient(LIJIA, "P00026", NOW)
    with pytest.raises(InputError) as err:
        store.upsert_patient(LIJIA, {"patient_id": "P00026", "name": "别人", "village": "李家村"}, NOW, create_only=True)
    assert [p.field for p in err.value.problems] == ["patient_id"]
    assert store.get_patient(LIJIA, "P00026", NOW) == before


def test_a_forged_account_object_grants_nothing(store: Store) -> None:
    forged = Account("doctor1", "admin")  # role claimed by the caller; the database says village doctor
    with pytest.raises(PermissionError):
        store.get_patient(forged, "P00002", NOW)
    with pytest.raises(PermissionError):
        store.audit_log(forged, NOW)
    with pytest.raises(PermissionError):
        store.get_patient(Account("ghost", "admin"), "P00002", NOW)


# ----------------------------------------------------------------------------- patients
def test_invalid_resident_id_is_refused_with_its_field(store: Store) -> None:
    good = rid("34122219800101123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    new = {
        "patient_id": "N1",
        "name": "新",
        "village": "李家村",
        "programs": "hypertension",
        "resident_id": bad,
    }
    with pytest.raises(InputError) as err:
        store.upsert_patient(LIJIA, new, NOW)
    assert [p.field for p in err.value.problems] == ["resident_id"]
    assert "check" in err.value.problems[0].reason and bad not in str(err.value)
    with pytest.raises(KeyError):
        store.get_patient(ADMIN, "N1", NOW)
    store.upsert_patient(LIJIA, {**new, "resident_id": good}, NOW)
    saved = store.get_patient(LIJIA, "N1", NOW)
    assert saved["birth_date"] == "1980-01-01" and saved["sex"] == "male"  # from the resident ID
    assert saved["township"] == DEMO_TOWNSHIP  # the doctor's township
    with pytest.raises(InputError) as err:
        store.upsert_patient(LIJIA, {"patient_id": "N1", "enrolled_on": "2027-01-01", "colour": "red"}, NOW)
    assert {p.field for p in err.value.problems} == {"colour"}


def test_masked_for_screens() -> None:
    r = rid("34122219800101123")
    shown = masked({"patient_id": "P1", "resident_id": r, "phone": "13812345678", "name": "张三"})
    assert shown == {
        "patient_id": "P1",
        "resident_id": r[:6] + "********" + r[-4:],
        "phone": "138****5678",
        "name": "张三",
    }
    assert masked({"resident_id": "12345", "phone": ""}) == {"resident_id": "*****", "phone": ""}
    phones = ["13812345678", "021-12345678", "1234567", "+8613812345678", ""]
    assert [mask_phone(p) for p in phones] == list(mask_phones(pd.Series(phones)))
    assert mask_resident_id(r) == masked({"resident_id": r})["resident_id"]


# ----------------------------------------------------------------------------- audit
def test_every_read_and_write_is_audited_and_the_log_is_append_only(store: Store) -> None:
    before = store._conn.execute("SELECT MAX(id) FROM audit").fetchone()[0]
    store.get_patient(LIJIA, "P00005", NOW)
    store.upsert_patient(LIJIA, {"patient_id": "P00005", "phone": "13900001111"}, LATER)
    store.add_visit(LIJIA, {"patient_id": "P00005", "date": "2026-11-25", "program": "hypertension",
                            "systolic_bp": "128", "diastolic_bp": "78"}, LATER)  # fmt: skip
    store.visits_of(LIJIA, "P00005", LATER)
    store.search_patients(LIJIA, "P00005", LATER)
    new = store._conn.execute(
        "SELECT at, actor, action, patient_id, detail FROM audit WHERE id > ?", (before,)
    )
    rows = [tuple(r) for r in new.fetchall()]
    assert [r[:4] for r in rows] == [
        ("2026-11-26T09:30:00", "doctor1", "read_patient", "P00005"),
        ("2026-11-26T09:45:00", "doctor1", "update_patient", "P00005"),
        ("2026-11-26T09:45:00", "doctor1", "add_visit", "P00005"),
        ("2026-11-26T09:45:00", "doctor1", "read_visits", "P00005"),
        ("2026-11-26T09:45:00", "doctor1", "search_patients", "P00005"),
    ]
    assert rows[1][4] == "fields: phone"  # which fields changed, never their values
    log = store.audit_log(ADMIN, LATER, patient_id="P00005")
    assert [e.action for e in log[:5]] == [
        "search_patients",
        "read_visits",
        "add_visit",
        "update_patient",
        "read_patient",
    ]
    assert audit_rows(store, action="read_audit")[-1]["actor"] == "admin"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store._conn.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store._conn.execute("DELETE FROM audit")
    assert store._conn.execute("SELECT COUNT(*) FROM audit WHERE id > ?", (before,)).fetchone()[0] == 6


# ----------------------------------------------------------------------------- encounters and visits
def test_encounters_keep_assessment_and_the_doctors_decision(store: Store) -> None:
    encounter = {"date": "2026-11-26", "patient": {"id": "P00005", "sex": "male"}, "complaint": "咳嗽发热3天"}
    assessment = {"suggestions": [{"icd10": "J18.9", "name_zh": "肺炎", "name_en": "Pneumonia"},
                                  {"icd10": "J20.9", "name_zh": "急性支气管炎", "name_en": "Acute bronchitis"}]}  # fmt: skip
    followed = store.save_encounter(LIJIA, "P00005", encounter, assessment, {"diagnoses": ["J18"]}, NOW)
    other = store.save_encounter(
        LIJIA, "P00005", {**encounter, "date": "2026-11-27"}, assessment,
        {"diagnoses": ["急性支气管炎"], "prescriptions": [{"drug": "amoxicillin", "dose_mg": 500}], "orders": ["胸片"]},
        LATER,
    )  # fmt: skip
    got = store.encounters_of(LIJIA, "P00005", LATER)
    assert [e["id"] for e in got] == [other, followed]
    assert got[1]["followed_top_suggestion"] is True and got[0]["followed_top_suggestion"] is False
    assert got[0]["prescriptions"] == [{"drug": "amoxicillin", "dose_mg": 500}] and got[0]["orders"] == [
        "胸片"
    ]
    assert got[0]["encounter"]["complaint"] == "咳嗽发热3天" and got[0]["top_suggestion"] == "J18.9"
    with pytest.raises(PermissionError):
        store.save_encounter(HEKOU, "P00005", encounter, assessment, {"diagnoses": []}, NOW)
    with pytest.raises(InputError, match="decision.diagnosis"):
        store.save_encounter(LIJIA, "P00005", encounter, assessment, {"diagnosis": ["J18"]}, NOW)


def test_a_bad_visit_is_refused_with_its_field(store: Store) -> None:
    visit = {"patient_id": "P00005", "date": "2026-11-25", "program": "hypertension"}
    for extra, field in (
        ({"systolic_bp": "80", "diastolic_bp": "95"}, "systolic_bp"),
        ({"systolic_bp": "500"}, "systolic_bp"),
        ({"program": "diabetes"}, "program"),
        ({"date": "2026-11-30"}, "date"),  # after today
        ({"referred": "2"}, "referred"),
    ):
        with pytest.raises(InputError) as err:
            store.add_visit(LIJIA, {**visit, **extra}, NOW)
        assert [p.field for p in err.value.problems] == [field]
    first = store.add_visit(LIJIA, {**visit, "systolic_bp": 150, "diastolic_bp": 95}, NOW)
    again = store.add_visit(LIJIA, {**visit, "systolic_bp": 132, "diastolic_bp": 84}, LATER)
    assert first == again  # same patient, day and program: the later record replaces the first
    row = store._conn.execute(
        "SELECT systolic_bp, diastolic_bp FROM visits WHERE id = ?", (first,)
    ).fetchone()
    assert tuple(row) == (132.0, 84.0)


def test_followup_tables_give_the_same_schedule_as_the_csv_files(store: Store) -> None:
    as_of = date(2026, 11, 26)
    pats, vis = store.followup_tables(ADMIN, NOW)
    assert list(pats.columns) == ["patient_id", "name", "sex", "birth_date", "resident_id", "phone", "village",
                                  "doctor", "programs", "enrolled_on", "lmp", "delivery_date"]  # fmt: skip
    assert list(vis.columns)[:11] == ["patient_id", "date", "program", "systolic_bp", "diastolic_bp",
                                      "fasting_glucose_mmol_l", "heart_rate", "danger_signs", "adverse_reaction",
                                      "new_complication", "referred"]  # fmt: skip
    from_store = schedule(pats, vis, as_of, problems=(p1 := []))
    from_csv = schedule(SAMPLES / "patients.csv", SAMPLES / "visits.csv", as_of, problems=(p2 := []))
    key = ["patient_id", "program", "last_visit", "status", "due_date", "days_overdue"]
    assert len(from_store) == len(from_csv) > 300
    pd.testing.assert_frame_equal(
        from_store[key].sort_values(key[:2]).reset_index(drop=True),
        from_csv[key].sort_values(key[:2]).reset_index(drop=True),
    )
    assert p1 == [] and all(p.action == "deferred" for p in p2)  # only visits after the import day


# ----------------------------------------------------------------------------- import
def test_import_reports_rejected_rows_with_lines_and_is_idempotent(store: Store) -> None:
    def counts() -> tuple[int, ...]:
        return tuple(
            store._conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("patients", "visits")
        )

    start = counts()
    rep = store.import_csv(ADMIN, None, SAMPLES / "visits_with_errors.csv", LATER)
    expected = {22: "patient_id", 23: "date", 24: "systolic_bp", 25: "program", 26: "program",
                27: "systolic_bp", 28: "systolic_bp", 29: "adverse_reaction", 30: "(row)", 33: "date"}  # fmt: skip
    assert {p.line: p.field for p in rep.rejected} == expected
    assert all(
        p.file == "visits_with_errors.csv" and p.reason_en and p.reason_zh and p.raw for p in rep.rejected
    )
    assert (rep.visits_new, rep.visits_updated) == (1, 20)  # line 32 (2026/03/12) is new; lines 2-21 known
    assert counts() == (start[0], start[1] + 1)
    again = store.import_csv(ADMIN, None, SAMPLES / "visits_with_errors.csv", LATER)
    assert counts() == (start[0], start[1] + 1) and again.visits_new == 0
    assert [(p.line, p.field) for p in again.rejected] == [(p.line, p.field) for p in rep.rejected]


def test_import_refuses_invalid_resident_ids_and_other_villages(store: Store, tmp_path: Path) -> None:
    good, other = rid("34122219700505123"), rid("34122219600606456")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    (tmp_path / "p.csv").write_text(
        "patient_id,name,sex,birth_date,resident_id,phone,village,doctor,programs,enrolled_on\n"
        f"N1,甲,male,1970-05-05,{good},,李家村,戴春生,hypertension,2026-01-01\n"
        f"N2,乙,male,1970-05-05,{bad},,李家村,戴春生,hypertension,2026-01-01\n"
        f"N3,丙,female,1960-06-06,{other},,河口村,韦强杰,hypertension,2026-01-01\n"
        "N4,丁,female,,,,李家村,戴春生,nothing,2026-01-01\n",
        encoding="utf-8",
    )
    (tmp_path / "v.csv").write_text(
        "patient_id,date,program,systolic_bp,diastolic_bp,fasting_glucose_mmol_l,heart_rate,danger_signs,"
        "adverse_reaction,new_complication,referred\n"
        "N1,2026-11-01,hypertension,150,92,,70,,0,0,0\n"
        "N2,2026-11-01,hypertension,150,92,,70,,0,0,0\n"
        "P00002,2026-11-02,hypertension,150,92,,70,,0,0,0\n"
        "P00005,2026-11-02,hypertension,150,92,,70,,0,0,0\n",
        encoding="utf-8",
    )
    rep = store.import_csv(LIJIA, tmp_path / "p.csv", tmp_path / "v.csv", LATER)
    got = {(p.file, p.line, p.field) for p in rep.rejected}
    assert got == {("p.csv", 3, "resident_id"), ("p.csv", 4, "village"), ("p.csv", 5, "programs"),
                   ("v.csv", 3, "patient_id"), ("v.csv", 4, "patient_id")}  # fmt: skip
    assert (rep.patients_new, rep.visits_new) == (1, 2)
    ids = {r[0] for r in store._conn.execute("SELECT patient_id FROM patients WHERE patient_id LIKE 'N%'")}
    assert ids == {"N1"}
    assert store.get_patient(LIJIA, "N1", LATER)["township"] == DEMO_TOWNSHIP
    assert [r["detail"] for r in audit_rows(store, action="import_patient")][-1] == "p.csv line 2"


# ----------------------------------------------------------------------------- backup and restore
def test_backup_and_restore_round_trip(store: Store, tmp_path: Path) -> None:
    copy = store.backup(tmp_path / "backups" / "b1.db")
    assert integrity_problems(copy) == []
    with pytest.raises(FileExistsError):
        store.backup(copy)
    store.upsert_patient(ADMIN, {"patient_id": "AFTER", "village": "李家村", "programs": "diabetes"}, LATER)
    data = Path(store.path).parent
    store.close()
    aside = restore(copy, data)
    assert aside is not None and aside.name == f"{DB_NAME}.before-restore-1"
    with Store.open(data) as s:
        with pytest.raises(KeyError):
            s.get_patient(ADMIN, "AFTER", LATER)
        assert s.get_patient(ADMIN, "P00005", LATER)["village"] == "李家村"
        assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    kept = sqlite3.connect(aside)  # the database that was replaced is complete on its own
    assert kept.execute("SELECT COUNT(*) FROM patients WHERE patient_id = 'AFTER'").fetchone()[0] == 1
    kept.close()
    second = backup(data, tmp_path / "backups" / "b2.db")  # the command's form, from the data folder
    assert integrity_problems(second) == []


def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(store: Store, tmp_path: Path) -> None:
    data = Path(store.path).parent
    good = store.backup(tmp_path / "good.db")
    store.close()
    damaged = tmp_path / "damaged.db"
    raw = bytearray(good.read_bytes())
    raw[4096 : 4096 * 3] = b"\xff" * (4096 * 2)  # overwrite pages of the tables
    damaged.write_bytes(bytes(raw))
    assert integrity_problems(damaged) != []
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    for src in (damaged, foreign):
        with pytest.raises(BackupError):
            restore(src, data)
    assert sorted(p.name for p in data.iterdir() if "before-restore" in p.name) == []
    with Store.open(data) as s:
        assert s.get_patient(ADMIN, "P00005", LATER)["patient_id"] == "P00005"


def test_seed_demo_runs_only_once_and_its_passwords_work(store: Store) -> None:
    assert seed_demo(store, SAMPLES, LATER) is None
    assert store.authenticate("admin", DEMO_PASSWORDS["admin"], LATER) == Account(
        "admin", "admin", display_name="管理员 Admin"
    )
    assert store.authenticate("doctor1", DEMO_PASSWORDS["village_doctor"], LATER).village == "李家村"  # type: ignore[union-attr]
    assert store.authenticate("health", DEMO_PASSWORDS["public_health"], LATER).township == DEMO_TOWNSHIP  # type: ignore[union-attr]
