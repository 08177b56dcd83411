"""The database schema as numbered migrations, and the connection settings.

Each migration is SQL text applied once, in order, inside one ``BEGIN IMMEDIATE`` transaction that
also records its number in ``schema_version``; opening a database that is already current changes
nothing. A database written by a newer version of the program is refused rather than guessed at.
Never edit a migration that has shipped: append a new one.

Connection settings (DESIGN.md decision 5): ``journal_mode=WAL`` (readers never block the writer),
``synchronous=FULL`` (a committed transaction survives a crash of the process or of the machine),
``foreign_keys=ON``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["LATEST_VERSION", "MIGRATIONS", "SchemaError", "connect", "migrate", "schema_version"]


class SchemaError(RuntimeError):
    """The database cannot be used by this version of the program."""


MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "accounts, patients, encounters, visits, append-only audit log",
        """
        CREATE TABLE accounts (
            username      TEXT PRIMARY KEY,
            role          TEXT NOT NULL CHECK (role IN ('village_doctor', 'public_health', 'admin')),
            village       TEXT NOT NULL DEFAULT '',
            township      TEXT NOT NULL DEFAULT '',
            display_name  TEXT NOT NULL DEFAULT '',
            password_hash TEXT NOT NULL,
            active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL
        );

        CREATE TABLE patients (
            patient_id    TEXT PRIMARY KEY CHECK (patient_id <> ''),
            name          TEXT NOT NULL DEFAULT '',
            sex           TEXT NOT NULL DEFAULT '' CHECK (sex IN ('', 'male', 'female')),
            birth_date    TEXT NOT NULL DEFAULT '',
            resident_id   TEXT NOT NULL DEFAULT '',
            phone         TEXT NOT NULL DEFAULT '',
            village       TEXT NOT NULL DEFAULT '',
            township      TEXT NOT NULL DEFAULT '',
            doctor        TEXT NOT NULL DEFAULT '',
            programs      TEXT NOT NULL DEFAULT '',
            enrolled_on   TEXT NOT NULL DEFAULT '',
            lmp           TEXT NOT NULL DEFAULT '',
            delivery_date TEXT NOT NULL DEFAULT '',
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL
        );
        CREATE INDEX patients_village ON patients (village);
        CREATE INDEX patients_township ON patients (township);

        CREATE TABLE encounters (
            id                      INTEGER PRIMARY KEY AUTOINCREMENT,
            patient_id              TEXT NOT NULL REFERENCES patients (patient_id),
            date                    TEXT NOT NULL,
            doctor                  TEXT NOT NULL REFERENCES accounts (username),
            encounter_json          TEXT NOT NULL,
            assessment_json         TEXT NOT NULL,
            diagnoses_json          TEXT NOT NULL,
            prescriptions_json      TEXT NOT NULL,
            orders_json             TEXT NOT NULL,
            top_suggestion          TEXT NOT NULL DEFAULT '',
            followed_top_suggestion INTEGER CHECK (followed_top_suggestion IN (0, 1)),
            created_at              TEXT NOT NULL
        );
        CREATE INDEX encounters_patient ON encounters (patient_id, date);

        CREATE TABLE visits (
            id                     INTEGER PRIMARY KEY AUTOINCREMENT,
            patient_id             TEXT NOT NULL REFERENCES patients (patient_id),
            date                   TEXT NOT NULL,
            program                TEXT NOT NULL,
            systolic_bp            REAL,
            diastolic_bp           REAL,
            fasting_glucose_mmol_l REAL,
            heart_rate             REAL,
            danger_signs           TEXT NOT NULL DEFAULT '',
            adverse_reaction       INTEGER CHECK (adverse_reaction IN (0, 1)),
            new_complication       INTEGER CHECK (new_complication IN (0, 1)),
            referred               INTEGER CHECK (referred IN (0, 1)),
            temperature_c          REAL,
            danger_grade           INTEGER CHECK (danger_grade BETWEEN 0 AND 5),
            recorded_by            TEXT NOT NULL,
            created_at             TEXT NOT NULL,
            updated_at             TEXT NOT NULL,
            UNIQUE (patient_id, date, program)
        );

        CREATE TABLE audit (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            at         TEXT NOT NULL,
            actor      TEXT NOT NULL,
            action     TEXT NOT NULL,
            patient_id TEXT,
            detail     TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_patient ON audit (patient_id);
        CREATE INDEX audit_actor ON audit (actor);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only / 审计日志只能追加');
        END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only / 审计日志只能追加');
        END;
        """,
    ),
)
LATEST_VERSION = MIGRATIONS[-1][0]


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with the project's settings."""
    if read_only:
        conn = sqlite3.connect(
            f"{Path(path).resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    if not read_only:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.close()
            raise SchemaError(f"{path}: cannot switch to WAL journal mode (got {mode!r})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _statements(script: str) -> list[str]:
    """Split SQL text into complete statements (trigger bodies stay whole)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise SchemaError(f"incomplete SQL statement in a migration: {buf.strip()[:60]!r}")
    return out


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied (0 for an empty database)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply the missing migrations in one transaction; returns the numbers applied (empty when
    the database is current). Raises :class:`SchemaError` for a database newer than the program."""
    conn.execute("BEGIN IMMEDIATE")  # re-read the version under the write lock: two openers are safe
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
        )
        current = schema_version(conn)
        if current > LATEST_VERSION:
            raise SchemaError(
                f"the database is at schema version {current}, newer than this program "
                f"({LATEST_VERSION}): update gp-assistant / 数据库版本比程序新，请升级程序"
            )
        applied = []
        for version, description, sql in MIGRATIONS:
            if version <= current:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description) VALUES (?, ?)", (version, description)
            )
            applied.append(version)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return applied
