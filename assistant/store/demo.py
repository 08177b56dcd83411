"""Demo accounts and the sample village, for a first run of the app.

:func:`seed_demo` does something only on an empty store (no account yet). It creates:

=================  ====================  ===================================================
username           password              who
=================  ====================  ===================================================
``admin``          ``admin-demo-2026``   administrator (accounts, audit log, every patient)
``doctor1`` …      ``doctor-demo-2026``  one village doctor per village of the sample
``doctor5``                              (villages in Chinese alphabetical order, named after
                                         the sample's doctor of that village)
``health``         ``health-demo-2026``  public-health officer of the township (reads only)
=================  ====================  ===================================================

All sample villages lie in the fictional township :data:`DEMO_TOWNSHIP`. The patients and visits
of ``data_samples/village/*.csv`` are imported as the admin (rows dated after ``now`` are left out
and listed in the report). These passwords are public: change or disable the accounts before real
patients are entered.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from .db import Store
from .report import ImportReport

__all__ = ["DEMO_PASSWORDS", "DEMO_TOWNSHIP", "seed_demo"]

DEMO_TOWNSHIP = "青山镇"
DEMO_PASSWORDS: dict[str, str] = {
    "admin": "admin-demo-2026",
    "village_doctor": "doctor-demo-2026",
    "public_health": "health-demo-2026",
}


def _villages(patients_csv: Path) -> list[tuple[str, str]]:
    """(village, doctor) pairs of the sample, by village; the most frequent doctor of each."""
    counts: dict[str, dict[str, int]] = {}
    with open(patients_csv, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            village = (row.get("village") or "").strip()
            if village:
                doctors = counts.setdefault(village, {})
                doctor = (row.get("doctor") or "").strip()
                doctors[doctor] = doctors.get(doctor, 0) + 1
    return [(v, max(d, key=lambda k: (d[k], k))) for v, d in sorted(counts.items())]


def seed_demo(store: Store, samples_dir: str | Path, now: datetime) -> ImportReport | None:
    """Create the demo accounts and import the sample village on a store without accounts;
    returns the import report, or None when the store already had accounts (nothing done)."""
    if store.has_accounts():
        return None
    folder = Path(samples_dir)
    patients, visits = folder / "patients.csv", folder / "visits.csv"
    admin = store.create_account(
        None, "admin", "admin", DEMO_PASSWORDS["admin"], now, display_name="管理员 Admin"
    )
    for i, (village, doctor) in enumerate(_villages(patients), start=1):
        store.create_account(
            admin, f"doctor{i}", "village_doctor", DEMO_PASSWORDS["village_doctor"], now,
            village=village, township=DEMO_TOWNSHIP, display_name=doctor,
        )  # fmt: skip
    store.create_account(
        admin, "health", "public_health", DEMO_PASSWORDS["public_health"], now,
        township=DEMO_TOWNSHIP, display_name="公卫专员 Public health",
    )  # fmt: skip
    return store.import_csv(admin, patients, visits, now, default_township=DEMO_TOWNSHIP)
