"""The clinic's durable local store: SQLite in a data folder (DESIGN.md decisions 5 and 9).

- :class:`Store` (``Store.open(data_dir)``): accounts, patients, encounters with the assistant's
  assessment and the doctor's final decision, follow-up visits, an append-only audit log of every
  read and write of a patient record; roles enforced here, in the data layer.
- :func:`masked`: a patient record with resident ID and phone masked, for screens.
- :func:`backup` / :func:`restore`: online backup with an integrity check (``gp-assistant
  backup`` / ``restore``).
- :func:`seed_demo`: demo accounts (passwords in :mod:`assistant.store.demo`) and the sample village.

Every write takes ``now``; nothing here reads the clock. Importing this package does not import
pandas (validation and CSV import load it when first used).
"""

from __future__ import annotations

from .accounts import ROLES, Account, Role, can_read_patient, can_write_patient
from .backup import BackupError, backup, integrity_problems, restore
from .db import DB_NAME, AuditEntry, Store
from .demo import DEMO_PASSWORDS, DEMO_TOWNSHIP, seed_demo
from .privacy import mask_phone, masked
from .report import ImportReport
from .schema import LATEST_VERSION, SchemaError

__all__ = [
    "DB_NAME",
    "DEMO_PASSWORDS",
    "DEMO_TOWNSHIP",
    "LATEST_VERSION",
    "ROLES",
    "Account",
    "AuditEntry",
    "BackupError",
    "ImportReport",
    "Role",
    "SchemaError",
    "Store",
    "backup",
    "can_read_patient",
    "can_write_patient",
    "integrity_problems",
    "mask_phone",
    "masked",
    "restore",
    "seed_demo",
]
