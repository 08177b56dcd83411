"""The clinic's durable local store: one SQLite file in a data folder (DESIGN.md decisions 5 and 9).

Every method that touches a patient takes the acting :class:`Account` and ``now`` (the app passes
the time; nothing here reads the clock). The data layer itself enforces who may see what (see
:mod:`assistant.store.accounts`) and raises :class:`PermissionError` with a clear message otherwise;
the role and place are re-read from the database on each call. Every read and write of a patient
record, every refusal and every login appends a row to the audit log in the same transaction as
the data it describes; the audit table refuses UPDATE and DELETE (triggers).

The connection may be shared between threads (Streamlit): calls are serialised by a lock.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem
from .accounts import MIN_PASSWORD as _MIN_PASSWORD
from .accounts import (
    ROLES,
    Account,
    can_read_patient,
    can_write_patient,
    hash_password,
    verify_password,
)
from .report import ImportReport
from .schema import connect, migrate

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DB_NAME", "AuditEntry", "Store"]

DB_NAME = "gp-assistant.db"
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_DECISION_KEYS = ("diagnoses", "prescriptions", "orders", "followed_top_suggestion")
_PATIENT_OUT = (
    "patient_id", "name", "sex", "birth_date", "resident_id", "phone", "village", "township", "doctor",
    "programs", "enrolled_on", "lmp", "delivery_date", "created_at", "updated_at",
)  # fmt: skip
_DUMMY_HASH = "scrypt$32768$8$1$00000000000000000000000000000000$" + "00" * 32


@dataclass(frozen=True)
class AuditEntry:
    """One audit row: who (``actor``), when (``at``), what (``action``, ``patient_id``, ``detail``)."""

    id: int
    at: str
    actor: str
    action: str
    patient_id: str | None
    detail: str


def _ts(now: datetime) -> str:
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, got {type(now).__name__}")
    return now.isoformat(timespec="seconds")


def _json(value: Any, field: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError([Problem(field, f"cannot be stored as JSON: {exc} / 无法保存为JSON")]) from exc


def _code_or_name_matches(diagnosis: str, top: Mapping[str, Any]) -> bool:
    d = diagnosis.strip()
    code = str(top.get("icd10", "")).strip().upper()
    if code and d.upper() == code:
        return True
    if code and re.fullmatch(r"[A-Z]\d\d(\.\d+)?", d.upper()) and d.upper()[:3] == code[:3]:
        return True
    names = {str(top.get("name_zh", "")).strip(), str(top.get("name_en", "")).strip().casefold()}
    return bool(d) and (d in names or d.casefold() in names)


class Store:
    """The database of one clinic (or township). Open with :meth:`open`; close with :meth:`close`
    or use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, data_dir: str | Path) -> Store:
        """Open (creating the folder and file if needed) ``data_dir/gp-assistant.db`` and apply the
        missing schema migrations."""
        folder = Path(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / DB_NAME
        conn = connect(path)
        try:
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back otherwise."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @staticmethod
    def _audit(
        conn: sqlite3.Connection, at: str, actor: str, action: str, patient_id: str | None, detail: str = ""
    ) -> None:
        conn.execute(
            "INSERT INTO audit (at, actor, action, patient_id, detail) VALUES (?, ?, ?, ?, ?)",
            (at, actor, action, patient_id, detail),
        )

    def _who(self, actor: Account | None, at: str) -> Account:
        """The actor as the database knows them (role and place re-read), or PermissionError."""
        if actor is None:
            raise PermissionError("not signed in / 未登录")
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM accounts WHERE username = ? AND active = 1", (actor.username,)
            ).fetchone()
        if row is None:
            raise self._deny(
                actor.username, at, "denied", None, "unknown or disabled account / 账号不存在或已停用"
            )
        return Account.from_row(row)

    def _deny(
        self, actor: str, at: str, action: str, patient_id: str | None, message: str
    ) -> PermissionError:
        """Record a refusal in the audit log and return the error to raise."""
        with self._tx() as conn:
            self._audit(conn, at, actor, "denied", patient_id, f"{action}: {message}")
        return PermissionError(message)

    def _need(self, who: Account, at: str, roles: tuple[str, ...], action: str) -> None:
        if who.role not in roles:
            raise self._deny(
                who.username, at, action, None,
                f"{action} needs the role {' or '.join(roles)}; {who.username} is {who.role} / 权限不足",
            )  # fmt: skip

    def _patient_row(self, patient_id: str) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute("SELECT * FROM patients WHERE patient_id = ?", (patient_id,)).fetchone()

    def _readable(self, who: Account, at: str, patient_id: str, action: str) -> sqlite3.Row:
        row = self._patient_row(patient_id)
        if row is None:
            raise KeyError(f"no patient {patient_id!r} / 无此患者")
        if not can_read_patient(who, row["village"], row["township"]):
            raise self._deny(who.username, at, action, patient_id, self._scope_message(who, row, "read"))
        return row

    def _writable(self, who: Account, at: str, patient_id: str, action: str) -> sqlite3.Row:
        row = self._readable(who, at, patient_id, action)
        if not can_write_patient(who, row["village"], row["township"]):
            raise self._deny(who.username, at, action, patient_id, self._scope_message(who, row, "change"))
        return row

    @staticmethod
    def _scope_message(who: Account, row: Mapping[str, Any] | sqlite3.Row, verb: str) -> str:
        where = f"{row['village'] or '-'} ({row['township'] or '-'})"
        if who.role == "public_health" and verb == "change":
            return "public-health staff read patient records but do not change them / 公共卫生人员只能查看患者记录，不能修改"
        if who.role == "public_health":
            return (
                f"{who.username} (public health, {who.township or '-'}) may not {verb} patient "
                f"{row['patient_id']} of {where}: own township only / 只能查看本乡镇的患者"
            )
        return (
            f"{who.username} (village doctor, {who.village or '-'}) may not {verb} patient {row['patient_id']} "
            f"of {where}: own village only / 村医只能查看和修改本村的患者"
        )

    # ------------------------------------------------------------------ accounts
    def has_accounts(self) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    def create_account(
        self,
        actor: Account | None,
        username: str,
        role: str,
        password: str,
        now: datetime,
        *,
        village: str = "",
        township: str = "",
        display_name: str = "",
    ) -> Account:
        """Create an account. Only an admin may, except the very first account (``actor=None``),
        which must be an admin. A village doctor needs a village, public-health staff a township."""
        at = _ts(now)
        if actor is None and self.has_accounts():
            raise PermissionError("sign in as an admin to create accounts / 请以管理员身份登录后创建账号")
        if actor is None and role != "admin":
            raise PermissionError("the first account must be an admin / 第一个账号必须是管理员")
        creator = "(bootstrap)"
        if actor is not None:
            who = self._who(actor, at)
            self._need(who, at, ("admin",), "create_account")
            creator = who.username
        problems = []
        if not isinstance(username, str) or not _USERNAME.match(username):
            problems.append(
                Problem("username", "1-64 letters, digits or _ . @ - / 用户名为1~64位字母、数字或_.@-")
            )
        if role not in ROLES:
            problems.append(Problem("role", f"one of {', '.join(ROLES)} / 角色无效"))
        if role == "village_doctor" and not village.strip():
            problems.append(Problem("village", "a village doctor needs a village / 村医账号必须填写村"))
        if role == "public_health" and not township.strip():
            problems.append(Problem("township", "public-health staff need a township / 公卫账号必须填写乡镇"))
        if len(password) < _MIN_PASSWORD:
            problems.append(
                Problem("password", f"at least {_MIN_PASSWORD} characters / 密码至少{_MIN_PASSWORD}位")
            )
        if problems:
            raise InputError(problems)
        digest = hash_password(password)
        try:
            with self._tx() as conn:
                conn.execute(
                    "INSERT INTO accounts (username, role, village, township, display_name, password_hash, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (username, role, village.strip(), township.strip(), display_name.strip(), digest, at, at),
                )
                self._audit(conn, at, creator, "create_account", None, f"{username} ({role})")
        except sqlite3.IntegrityError as exc:
            raise InputError([Problem("username", f"{username!r} already exists / 用户名已存在")]) from exc
        return Account(username, role, village.strip(), township.strip(), display_name.strip())  # type: ignore[arg-type]

    def authenticate(self, username: str, password: str, now: datetime) -> Account | None:
        """The account when the password is right and the account active, else None. Audited."""
        at = _ts(now)
        name = str(username).strip()[:64]
        with self._lock:
            row = self._conn.execute("SELECT * FROM accounts WHERE username = ?", (name,)).fetchone()
        ok = verify_password(password, row["password_hash"] if row else _DUMMY_HASH)
        result = (
            "ok" if ok and row is not None and row["active"] else ("disabled" if ok and row else "failed")
        )
        with self._tx() as conn:
            self._audit(conn, at, name, "login", None, result)
        return Account.from_row(row) if result == "ok" and row is not None else None

    def list_accounts(self, actor: Account, now: datetime) -> list[Account]:
        """All accounts (admin only)."""
        at = _ts(now)
        who = self._who(actor, at)
        self._need(who, at, ("admin",), "list_accounts")
        with self._lock:
            rows = self._conn.execute("SELECT * FROM accounts ORDER BY username").fetchall()
        return [Account.from_row(r) for r in rows]

    def set_password(self, actor: Account, username: str, password: str, now: datetime) -> None:
        """Change a password: one's own, or anyone's for an admin."""
        at = _ts(now)
        who = self._who(actor, at)
        if who.username != username:
            self._need(who, at, ("admin",), "set_password")
        if len(password) < _MIN_PASSWORD:
            raise InputError(
                [Problem("password", f"at least {_MIN_PASSWORD} characters / 密码至少{_MIN_PASSWORD}位")]
            )
        digest = hash_password(password)
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE accounts SET password_hash = ?, updated_at = ? WHERE username = ?",
                (digest, at, username),
            )
            if cur.rowcount != 1:
                raise KeyError(f"no account {username!r} / 无此账号")
            self._audit(conn, at, who.username, "set_password", None, username)

    def set_active(self, actor: Account, username: str, active: bool, now: datetime) -> None:
        """Enable or disable an account (admin only; an admin cannot disable themself)."""
        at = _ts(now)
        who = self._who(actor, at)
        self._need(who, at, ("admin",), "set_active")
        if username == who.username and not active:
            raise InputError(
                [Problem("username", "an admin cannot disable their own account / 不能停用自己的账号")]
            )
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE accounts SET active = ?, updated_at = ? WHERE username = ?",
                (int(active), at, username),
            )
            if cur.rowcount != 1:
                raise KeyError(f"no account {username!r} / 无此账号")
            self._audit(
                conn, at, who.username, "enable_account" if active else "disable_account", None, username
            )

    # ------------------------------------------------------------------ patients
    def upsert_patient(
        self, actor: Account, patient: Mapping[str, Any], now: datetime, *, create_only: bool = False
    ) -> str:
        """Create or change a patient (the fields of patients.csv plus ``township``); a change may
        give only some fields. Returns the patient id. :class:`InputError` names each bad field
        (an invalid resident ID is refused; with ``create_only``, an id already registered);
        :class:`PermissionError` outside the actor's village."""
        from .checks import check_patient

        at = _ts(now)
        who = self._who(actor, at)
        pid = str(patient.get("patient_id") or "").strip()
        if not pid:
            raise InputError([Problem("patient_id", "required / 必填")])
        old = self._patient_row(pid)
        if create_only and old is not None:
            raise InputError([Problem("patient_id", f"{pid} is already registered / 该编号的患者已登记")])
        merged: dict[str, Any] = (
            {k: old[k] for k in _PATIENT_OUT if k not in ("created_at", "updated_at")} if old else {}
        )
        merged.update(patient)
        merged["patient_id"] = pid
        if who.role == "village_doctor":
            if not str(merged.get("village") or "").strip():
                merged["village"] = who.village
            if not str(merged.get("township") or "").strip():
                merged["township"] = who.township
        if old is not None and not can_write_patient(who, old["village"], old["township"]):
            raise self._deny(who.username, at, "update_patient", pid, self._scope_message(who, old, "change"))
        record = check_patient(merged, now.date())
        if not can_write_patient(who, record["village"], record["township"]):
            raise self._deny(
                who.username, at, "upsert_patient", pid, self._scope_message(who, record, "change")
            )
        with self._tx() as conn:
            self._write_patient(conn, record, at)
            changed = sorted(k for k in record if old is None or str(old[k]) != str(record[k]))
            self._audit(
                conn, at, who.username, "update_patient" if old else "create_patient", pid,
                "fields: " + ",".join(changed),
            )  # fmt: skip
        return pid

    @staticmethod
    def _write_patient(conn: sqlite3.Connection, record: Mapping[str, Any], at: str) -> None:
        cols = [c for c in _PATIENT_OUT if c not in ("created_at", "updated_at")]
        conn.execute(
            f"INSERT INTO patients ({', '.join(cols)}, created_at, updated_at) "
            f"VALUES ({', '.join('?' * len(cols))}, ?, ?) ON CONFLICT (patient_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
            + ", updated_at = excluded.updated_at",
            [record.get(c, "") or "" for c in cols] + [at, at],
        )

    def get_patient(self, actor: Account, patient_id: str, now: datetime) -> dict[str, Any]:
        """The full record (unmasked: screens show :func:`assistant.store.masked`). Audited."""
        at = _ts(now)
        who = self._who(actor, at)
        row = self._readable(who, at, patient_id, "read_patient")
        with self._tx() as conn:
            self._audit(conn, at, who.username, "read_patient", patient_id)
        return {k: row[k] for k in _PATIENT_OUT}

    def search_patients(
        self, actor: Account, text: str, now: datetime, *, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Patients the actor may see whose id, name, phone or resident ID contains ``text`` (all of
        them for an empty text), by id; at most ``limit``. One audit row per patient returned."""
        at = _ts(now)
        who = self._who(actor, at)
        where, args = self._scope_sql(who)
        needle = str(text or "").strip()
        if needle:
            like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where += (
                " AND ("
                + " OR ".join(
                    f"{c} LIKE ? ESCAPE '\\'" for c in ("patient_id", "name", "phone", "resident_id")
                )
                + ")"
            )
            args += [like] * 4
        with self._lock:
            rows = self._conn.execute(
                f"SELECT * FROM patients WHERE {where} ORDER BY patient_id LIMIT ?", [*args, int(limit)]
            ).fetchall()
        with self._tx() as conn:
            for r in rows:
                self._audit(
                    conn, at, who.username, "search_patients", r["patient_id"], f"query: {needle[:40]}"
                )
        return [{k: r[k] for k in _PATIENT_OUT} for r in rows]

    @staticmethod
    def _scope_sql(who: Account, prefix: str = "") -> tuple[str, list[Any]]:
        """SQL condition (on the patients table, aliased by ``prefix``) for what ``who`` may read."""
        if who.role == "admin":
            return "1 = 1", []
        if who.role == "public_health":
            return f"{prefix}township = ?", [who.township]
        if who.township:
            return f"{prefix}village = ? AND {prefix}township = ?", [who.village, who.township]
        return f"{prefix}village = ?", [who.village]

    # ------------------------------------------------------------------ encounters
    def save_encounter(
        self,
        actor: Account,
        patient_id: str,
        encounter_json: Mapping[str, Any],
        assessment_json: Mapping[str, Any],
        decision: Mapping[str, Any],
        now: datetime,
    ) -> int:
        """Store a consultation, the assistant's assessment and the doctor's final decision
        (``diagnoses``, ``prescriptions``, ``orders`` and optionally ``followed_top_suggestion``;
        when absent it is worked out from the top suggestion's ICD-10 code or name). Returns its id."""
        at = _ts(now)
        who = self._who(actor, at)
        unknown = sorted(set(decision) - set(_DECISION_KEYS))
        if unknown:
            raise InputError(
                [Problem("decision." + unknown[0], f"unknown field(s) {', '.join(unknown)} / 未知字段")]
            )
        diagnoses = [str(d) for d in decision.get("diagnoses") or []]
        prescriptions = list(decision.get("prescriptions") or [])
        orders = [str(o) for o in decision.get("orders") or []]
        raw_date = encounter_json.get("date")
        try:
            day = date.fromisoformat(str(raw_date)) if raw_date else now.date()
        except ValueError as exc:
            raise InputError(
                [Problem("date", f"not a date (use YYYY-MM-DD): {raw_date!r} / 日期格式不对")]
            ) from exc
        suggestions = assessment_json.get("suggestions") or []
        top = suggestions[0] if suggestions and isinstance(suggestions[0], Mapping) else None
        followed = decision.get("followed_top_suggestion")
        if followed is None and top is not None and diagnoses:
            followed = any(_code_or_name_matches(d, top) for d in diagnoses)
        texts = (
            _json(dict(encounter_json), "encounter"),
            _json(dict(assessment_json), "assessment"),
            _json(diagnoses, "decision.diagnoses"),
            _json(prescriptions, "decision.prescriptions"),
            _json(orders, "decision.orders"),
        )
        self._writable(who, at, patient_id, "save_encounter")
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO encounters (patient_id, date, doctor, encounter_json, assessment_json, diagnoses_json, "
                "prescriptions_json, orders_json, top_suggestion, followed_top_suggestion, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    patient_id, day.isoformat(), who.username, *texts,
                    str(top.get("icd10", "")) if top else "", None if followed is None else int(bool(followed)), at,
                ),
            )  # fmt: skip
            eid = int(cur.lastrowid or 0)
            self._audit(conn, at, who.username, "save_encounter", patient_id, f"encounter {eid}")
        return eid

    def encounters_of(self, actor: Account, patient_id: str, now: datetime) -> list[dict[str, Any]]:
        """The patient's consultations, newest first, with assessment and decision decoded. Audited."""
        at = _ts(now)
        who = self._who(actor, at)
        self._readable(who, at, patient_id, "read_encounters")
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM encounters WHERE patient_id = ? ORDER BY date DESC, id DESC", (patient_id,)
            ).fetchall()
        with self._tx() as conn:
            self._audit(conn, at, who.username, "read_encounters", patient_id, f"{len(rows)} encounter(s)")
        return [
            {
                "id": r["id"],
                "patient_id": r["patient_id"],
                "date": r["date"],
                "doctor": r["doctor"],
                "encounter": json.loads(r["encounter_json"]),
                "assessment": json.loads(r["assessment_json"]),
                "diagnoses": json.loads(r["diagnoses_json"]),
                "prescriptions": json.loads(r["prescriptions_json"]),
                "orders": json.loads(r["orders_json"]),
                "top_suggestion": r["top_suggestion"],
                "followed_top_suggestion": None
                if r["followed_top_suggestion"] is None
                else bool(r["followed_top_suggestion"]),
                "created_at": r["created_at"],
            }
            for r in rows
        ]

    # ------------------------------------------------------------------ follow-up visits
    def add_visit(self, actor: Account, visit: Mapping[str, Any], now: datetime) -> int:
        """Record a follow-up visit (the columns of visits.csv); a second visit of the same patient,
        day and program replaces the first. Validated like the CSV rows; returns the visit's id."""
        from .checks import check_visit

        at = _ts(now)
        who = self._who(actor, at)
        pid = str(visit.get("patient_id") or "").strip()
        if not pid:
            raise InputError([Problem("patient_id", "required / 必填")])
        row = self._writable(who, at, pid, "add_visit")
        record = check_visit(dict(row), {**visit, "patient_id": pid}, now.date())
        with self._tx() as conn:
            vid, new = self._write_visit(conn, record, who.username, at)
            self._audit(
                conn, at, who.username, "add_visit" if new else "update_visit", pid,
                f"visit {vid}: {record['program']} {record['date']}",
            )  # fmt: skip
        return vid

    _VISIT_COLS = (
        "systolic_bp", "diastolic_bp", "fasting_glucose_mmol_l", "heart_rate", "danger_signs",
        "adverse_reaction", "new_complication", "referred", "temperature_c", "danger_grade",
    )  # fmt: skip

    @classmethod
    def _write_visit(
        cls, conn: sqlite3.Connection, record: Mapping[str, Any], by: str, at: str
    ) -> tuple[int, bool]:
        key = (record["patient_id"], record["date"], record["program"])
        old = conn.execute(
            "SELECT id FROM visits WHERE patient_id = ? AND date = ? AND program = ?", key
        ).fetchone()
        values = [record.get(c) for c in cls._VISIT_COLS]
        if old is not None:
            conn.execute(
                f"UPDATE visits SET {', '.join(f'{c} = ?' for c in cls._VISIT_COLS)}, recorded_by = ?, updated_at = ? "
                "WHERE id = ?",
                [*values, by, at, old["id"]],
            )
            return int(old["id"]), False
        cur = conn.execute(
            f"INSERT INTO visits (patient_id, date, program, {', '.join(cls._VISIT_COLS)}, recorded_by, created_at, "
            f"updated_at) VALUES ({', '.join('?' * (len(cls._VISIT_COLS) + 6))})",
            [*key, *values, by, at, at],
        )
        return int(cur.lastrowid or 0), True

    def visits_of(self, actor: Account, patient_id: str, now: datetime) -> list[dict[str, Any]]:
        """The patient's follow-up visits, newest first. Audited."""
        at = _ts(now)
        who = self._who(actor, at)
        self._readable(who, at, patient_id, "read_visits")
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM visits WHERE patient_id = ? ORDER BY date DESC, program", (patient_id,)
            ).fetchall()
        with self._tx() as conn:
            self._audit(conn, at, who.username, "read_visits", patient_id, f"{len(rows)} visit(s)")
        return [dict(r) for r in rows]

    def followup_tables(self, actor: Account, now: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The patients and visits the actor may see, as text cells in exactly the shape of
        patients.csv and visits.csv (CONTRACTS.md §3, with the optional columns), ready for
        :func:`assistant.followup.schedule`. One audit row per patient."""
        import pandas as pd

        from .checks import PATIENT_FIELDS, VISIT_FIELDS

        at = _ts(now)
        who = self._who(actor, at)
        where, args = self._scope_sql(who)
        pwhere, _ = self._scope_sql(who, "p.")
        with self._lock:
            # walk-in patients (no program) are not followed up
            pats = self._conn.execute(
                f"SELECT * FROM patients WHERE ({where}) AND programs <> '' ORDER BY patient_id", args
            ).fetchall()
            vis = self._conn.execute(
                f"SELECT v.* FROM visits v JOIN patients p USING (patient_id) WHERE ({pwhere}) "
                "AND p.programs <> '' ORDER BY v.patient_id, v.date, v.program",
                args,
            ).fetchall()
        with self._tx() as conn:
            for r in pats:
                self._audit(conn, at, who.username, "followup_tables", r["patient_id"])
        pcols = [c for c in PATIENT_FIELDS if c != "township"]
        patients = pd.DataFrame({c: [r[c] for r in pats] for c in pcols}, dtype=object)
        visits = pd.DataFrame({c: [_text(r[c]) for r in vis] for c in VISIT_FIELDS}, dtype=object)
        return patients, visits

    # ------------------------------------------------------------------ import, audit, backup
    def import_csv(
        self,
        actor: Account,
        patients_path: str | Path | None,
        visits_path: str | Path | None,
        now: datetime,
        *,
        default_township: str | None = None,
    ) -> ImportReport:
        """Import patients.csv and/or visits.csv (CONTRACTS.md §3); see :mod:`assistant.store.importer`."""
        from .importer import import_csv

        return import_csv(self, actor, patients_path, visits_path, now, default_township=default_township)

    def record_unmasked(self, actor: Account, action: str, detail: str, now: datetime) -> None:
        """One audit row when full identifiers leave the masked default (``unmasked_view``,
        ``unmasked_export``): who saw or took them, when, and what (``detail``)."""
        if action not in ("unmasked_view", "unmasked_export"):
            raise ValueError(f"not an unmasking action: {action!r}")
        at = _ts(now)
        who = self._who(actor, at)
        with self._tx() as conn:
            self._audit(conn, at, who.username, action, None, detail)

    def audit_log(
        self,
        actor: Account,
        now: datetime,
        *,
        patient_id: str | None = None,
        username: str | None = None,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Audit rows, newest first, optionally for one patient or one actor (admin only; the
        reading itself is audited)."""
        at = _ts(now)
        who = self._who(actor, at)
        self._need(who, at, ("admin",), "audit_log")
        where, args = ["1 = 1"], []
        if patient_id is not None:
            where.append("patient_id = ?")
            args.append(patient_id)
        if username is not None:
            where.append("actor = ?")
            args.append(username)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
                [*args, int(limit)],
            ).fetchall()
        with self._tx() as conn:
            self._audit(conn, at, who.username, "read_audit", patient_id, f"{len(rows)} row(s)")
        return [
            AuditEntry(r["id"], r["at"], r["actor"], r["action"], r["patient_id"], r["detail"]) for r in rows
        ]

    def backup(self, dest_path: str | Path) -> Path:
        """A consistent copy of the open database (SQLite online backup), integrity-checked."""
        from .backup import backup_connection

        with self._lock:
            return backup_connection(self._conn, dest_path)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:g}"
    return str(value)
