"""Backup and restore of the store with SQLite's online backup and an integrity check.

- :func:`backup` (``gp-assistant backup DEST [--data DIR]``): a consistent copy of the live
  database, taken while the app may be writing; the copy is written beside ``DEST``, checked with
  ``PRAGMA integrity_check`` and only then renamed to ``DEST`` (an existing ``DEST`` is refused).
- :func:`restore` (``gp-assistant restore SRC [--data DIR]``): checks ``SRC`` first (integrity and
  that it is a gp-assistant database this program can read), copies it into the data folder, checks
  the copy, moves the current database (with its ``-wal``/``-shm`` files) aside as
  ``gp-assistant.db.before-restore-N`` and puts the copy in its place. Run it with the app stopped.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from ..errors import InputError, Problem
from .schema import LATEST_VERSION, connect, migrate, schema_version

__all__ = ["BackupError", "backup", "backup_connection", "integrity_problems", "restore"]


class BackupError(RuntimeError):
    """A backup or restore that could not be made safely; nothing was replaced."""


def integrity_problems(path: str | Path) -> list[str]:
    """What ``PRAGMA integrity_check`` reports for the database file (empty when it is ``ok``)."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"not a readable SQLite database: {exc}"]
    return [] if rows == ["ok"] else rows


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _copy(src: sqlite3.Connection, dest: Path) -> None:
    out = sqlite3.connect(str(dest))
    try:
        src.backup(out)
        out.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        out.commit()
    finally:
        out.close()
    with open(dest, "rb+") as fh:
        os.fsync(fh.fileno())


def backup_connection(conn: sqlite3.Connection, dest_path: str | Path) -> Path:
    """Copy the database behind ``conn`` to ``dest_path`` (must not exist); returns the path."""
    dest = Path(dest_path)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists: choose a new file name / 备份文件已存在")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(conn, partial)
        problems = integrity_problems(partial)
        if problems:
            raise BackupError(
                f"the copy failed the integrity check: {'; '.join(problems[:5])} / 备份校验失败"
            )
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    _fsync_dir(dest.parent)
    return dest


def backup(data_dir: str | Path, dest_path: str | Path) -> Path:
    """Back up ``data_dir/gp-assistant.db`` to ``dest_path`` (the app may keep running)."""
    from .db import DB_NAME

    src = Path(data_dir) / DB_NAME
    if not src.exists():
        raise InputError([Problem("--data", f"no database at {src} / 数据目录中没有数据库")])
    conn = connect(src)
    try:
        return backup_connection(conn, dest_path)
    finally:
        conn.close()


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the main file, so the file moved aside is complete by itself."""
    with contextlib.suppress(sqlite3.DatabaseError):
        conn = sqlite3.connect(str(path))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def _aside_name(folder: Path, name: str) -> Path:
    n = 1
    while (folder / f"{name}.before-restore-{n}").exists():
        n += 1
    return folder / f"{name}.before-restore-{n}"


def restore(src_path: str | Path, data_dir: str | Path) -> Path | None:
    """Replace the data folder's database with the backup ``src_path``. Returns where the previous
    database was moved (None when there was none). Raises :class:`BackupError` (nothing changed)
    when the backup is damaged, not a gp-assistant database or newer than this program."""
    from .db import DB_NAME

    src = Path(src_path)
    if not src.is_file():
        raise InputError([Problem("SRC", f"no such file: {src} / 文件不存在")])
    problems = integrity_problems(src)
    if problems:
        raise BackupError(f"{src} failed the integrity check: {'; '.join(problems[:5])} / 备份文件已损坏")
    probe = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
    try:
        version = schema_version(probe)
        has_patients = probe.execute("SELECT 1 FROM sqlite_master WHERE name = 'patients'").fetchone()
        if version < 1 or not has_patients:
            raise BackupError(f"{src} is not a gp-assistant database / 不是本系统的备份文件")
        if version > LATEST_VERSION:
            raise BackupError(
                f"{src} is from a newer gp-assistant (schema {version}) / 备份来自更新版本的程序"
            )
        folder = Path(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / DB_NAME
        incoming = folder / f"{DB_NAME}.restoring"
        incoming.unlink(missing_ok=True)
        _copy(probe, incoming)
    finally:
        probe.close()
    try:
        problems = integrity_problems(incoming)
        if problems:
            raise BackupError(f"the restored copy failed the integrity check: {'; '.join(problems[:5])}")
        aside = None
        if target.exists():
            _checkpoint(target)
            aside = _aside_name(folder, DB_NAME)
            for suffix in ("-wal", "-shm", ""):  # the main file last: it names the others
                part = Path(str(target) + suffix)
                if part.exists():
                    os.replace(part, Path(str(aside) + suffix))
        os.replace(incoming, target)
    finally:
        incoming.unlink(missing_ok=True)
    _fsync_dir(folder)
    conn = connect(target)  # back to WAL, and bring an older backup's schema up to date
    try:
        migrate(conn)
    finally:
        conn.close()
    return aside
