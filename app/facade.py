"""The app's only door into :mod:`assistant`: a thin facade the pages call.

Nothing here reads the clock: the page layer passes ``now`` (a datetime) or ``as_of`` (a date).
Patient records leave this module masked (resident ID, phone) unless a function says otherwise.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from assistant.assess import Assistant, default_assistant, models_dir
from assistant.errors import InputError, Problem
from assistant.followup import OUTPUT_COLUMNS, export_table, indicators, schedule
from assistant.followup.protocols import load_protocols
from assistant.followup.risk import RiskScorer, load_risk_scorer
from assistant.modelpack import ModelPackError, load_pack
from assistant.records import ResidentIdError, parse_encounter, validate_resident_id
from assistant.store import ROLES, Account, Store, masked, seed_demo
from assistant.text import parse_complaint

__all__ = [
    "DATA_ENV",
    "ROLES",
    "SAMPLES_DIR",
    "Account",
    "InputError",
    "ModelPackError",
    "Store",
    "assess",
    "control_over_time",
    "create_account",
    "data_dir",
    "encounters_of",
    "export_bytes",
    "export_list",
    "finding_names",
    "followup_list",
    "followup_tables",
    "indicator_table",
    "list_accounts",
    "login",
    "model_cards",
    "open_store",
    "patient_followup",
    "program_names",
    "read_complaint",
    "record_visit",
    "register_patient",
    "resident_id_facts",
    "save_consultation",
    "search_patients",
    "set_active",
    "warm_up",
]

DATA_ENV = "GP_ASSISTANT_DATA"
SAMPLES_DIR = Path(__file__).resolve().parents[1] / "data_samples" / "village"
CONTROL_PROGRAMS = ("hypertension", "diabetes")
Tables = tuple[pd.DataFrame, pd.DataFrame]
"""(patients, visits) as :meth:`Store.followup_tables` returns them."""

_LOADING = threading.Lock()  # the sessions of the app run in threads: load each model once


def data_dir() -> Path:
    """The app's data folder: ``$GP_ASSISTANT_DATA`` or ``./data`` (as ``gp-assistant backup``)."""
    return Path(os.environ.get(DATA_ENV) or "data")


def open_store(folder: str | Path, now: datetime) -> Store:
    """Open the embedded store; on the first run (no account yet) seed the demo accounts and the
    sample village from ``data_samples/village``."""
    store = Store.open(folder)
    if not store.has_accounts() and SAMPLES_DIR.is_dir():
        seed_demo(store, SAMPLES_DIR, now)
    return store


def login(store: Store, username: str, password: str, now: datetime) -> Account | None:
    """The account, or None for a wrong name or password (audited by the store)."""
    if not username or not password:
        return None
    return store.authenticate(username, password, now)


# ---------------------------------------------------------------------- patients
def search_patients(store: Store, who: Account, text: str, now: datetime) -> list[dict[str, Any]]:
    """Patients ``who`` may see matching ``text`` (id, name, phone, resident ID), masked."""
    return [masked(p) for p in store.search_patients(who, text, now, limit=50)]


def program_names(lang: str) -> dict[str, str]:
    """Follow-up program code → name in ``lang`` (the national programs of the protocol tables)."""
    programs = load_protocols().programs
    return {code: (p.spec.name_zh if lang == "zh" else p.spec.name_en) for code, p in programs.items()}


def resident_id_facts(resident_id: str, on: date) -> dict[str, Any]:
    """``birth_date`` (ISO) and ``sex`` encoded in a resident ID; :class:`InputError` when invalid."""
    try:
        rid = validate_resident_id(resident_id, on=on)
    except ResidentIdError as exc:
        raise InputError([Problem("resident_id", f"{exc} / 身份证号无效")]) from exc
    return {"birth_date": rid.birth_date.isoformat(), "sex": rid.sex, "resident_id": rid.value}


def register_patient(store: Store, who: Account, patient: Mapping[str, Any], now: datetime) -> str:
    """Register a new patient (a valid resident ID fills birth date and sex when blank); an id that
    is already registered is refused, never overwritten."""
    record = {k: v for k, v in patient.items() if v not in (None, "")}
    rid = str(record.get("resident_id") or "").strip()
    if rid:
        facts = resident_id_facts(rid, now.date())
        record.setdefault("birth_date", facts["birth_date"])
        record.setdefault("sex", facts["sex"])
        record["resident_id"] = facts["resident_id"]
    record.setdefault("enrolled_on", now.date().isoformat())
    return store.upsert_patient(who, record, now, create_only=True)


# ---------------------------------------------------------------------- consultation
def read_complaint(text: str) -> tuple[dict[str, bool], dict[str, float]]:
    """Findings (code → present) and vital signs understood from a complaint."""
    parsed = parse_complaint(text)
    return dict(parsed.findings), dict(parsed.vitals)


def _assistant() -> Assistant:
    with _LOADING:
        return default_assistant()


def warm_up() -> str | None:
    """Load the complaint lexicon, the diagnosis model and the follow-up risk model now (each once
    per process), so that the first consultation of the day does not wait for them. Returns the
    problem of a diagnosis pack that cannot be loaded, else None (the consultation page then shows
    that problem when the button is pressed)."""
    with _LOADING:
        parse_complaint("发热 fever")
    _scorer()
    try:
        assess(_WARM_UP, date(2026, 1, 1))  # a whole assessment: ONNX, explanations, triage, quality
    except ModelPackError as exc:
        return str(exc)
    return None


_WARM_UP: dict[str, Any] = {
    "patient": {"id": "warm-up", "age_years": 40, "sex": "female"},
    "complaint": "发热咳嗽3天 fever and cough",
    "vitals": {"temperature_c": 38.2},
    "diagnoses": ["J20.9"],
    "prescriptions": [{"drug": "amoxicillin", "dose_mg": 500, "times_per_day": 3, "days": 5}],
}


def finding_names(lang: str) -> dict[str, str]:
    """Finding code → name in ``lang``, for the editable findings table."""
    kb = _assistant().kb
    return {f.code: (f.name_zh if lang == "zh" else f.name_en) for f in kb.findings}


def assess(encounter: Mapping[str, Any], today: date, lang: str = "zh") -> dict[str, Any]:
    """The assessment (CONTRACTS.md §2) of one encounter; :class:`InputError` for bad input."""
    enc = parse_encounter(dict(encounter), default_date=today)
    return _assistant().assess([enc], lang=lang)[0]


def save_consultation(
    store: Store,
    who: Account,
    patient_id: str,
    encounter: Mapping[str, Any],
    assessment: Mapping[str, Any],
    decision: Mapping[str, Any],
    now: datetime,
) -> int:
    """Store the consultation, the assessment and the doctor's decision; the store records
    whether the top suggestion was followed. Returns the encounter id."""
    return store.save_encounter(who, patient_id, encounter, assessment, decision, now)


def encounters_of(store: Store, who: Account, patient_id: str, now: datetime) -> list[dict[str, Any]]:
    return store.encounters_of(who, patient_id, now)


# ---------------------------------------------------------------------- follow-up
_SCORER: list[RiskScorer | None] = []


def _scorer() -> RiskScorer | None:
    with _LOADING:
        if not _SCORER:
            try:
                _SCORER.append(load_risk_scorer())
            except ModelPackError:
                _SCORER.append(None)
        return _SCORER[0]


def followup_tables(store: Store, who: Account, now: datetime) -> Tables:
    """The patients and visits ``who`` may see (one audit row per patient): read them once per
    visit of a page and pass them as ``tables=`` to the functions below."""
    return store.followup_tables(who, now)


def followup_list(
    store: Store,
    who: Account,
    now: datetime,
    *,
    lang: str = "zh",
    due_within: int | None = None,
    unmasked: bool = False,
    tables: Tables | None = None,
) -> pd.DataFrame:
    """The follow-up list of the patients ``who`` may see, most urgent first (masked unless asked);
    ``tables`` from :func:`followup_tables` saves reading the store again."""
    patients, visits = tables if tables is not None else store.followup_tables(who, now)
    as_of = now.date()
    if patients.empty:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    listing = schedule(
        patients, visits, as_of, lang=lang, scorer=_scorer(), due_within=due_within, unmasked=unmasked
    )
    if unmasked:
        store.record_unmasked(who, "unmasked_view", f"follow-up list, {len(listing)} rows", now)
    return listing


def patient_followup(
    store: Store,
    who: Account,
    patient_id: str,
    now: datetime,
    lang: str = "zh",
    *,
    tables: Tables | None = None,
) -> pd.DataFrame:
    """The follow-up rows of one patient (status and next date after the latest visit)."""
    table = followup_list(store, who, now, lang=lang, tables=tables)
    return table[table["patient_id"] == patient_id].reset_index(drop=True)


def record_visit(store: Store, who: Account, visit: Mapping[str, Any], now: datetime) -> int:
    """Record a follow-up visit (the columns of visits.csv); returns its id."""
    return store.add_visit(who, {k: v for k, v in visit.items() if v not in (None, "")}, now)


def indicator_table(
    store: Store, who: Account, now: datetime, by: Sequence[str], *, tables: Tables | None = None
) -> pd.DataFrame:
    """Management and control rates grouped by ``by`` (program, village, doctor)."""
    patients, visits = tables if tables is not None else store.followup_tables(who, now)
    as_of = now.date()
    if patients.empty:
        return pd.DataFrame()
    return indicators(patients, visits, as_of, by=list(by))


def control_over_time(
    store: Store, who: Account, now: datetime, months: int = 12, *, tables: Tables | None = None
) -> pd.DataFrame:
    """Control rate (hypertension, diabetes) at the end of each of the last ``months`` months:
    rows ``month``, ``program``, ``control_rate`` (year-to-date, as the indicator is defined)."""
    patients, visits = tables if tables is not None else store.followup_tables(who, now)
    as_of = now.date()
    rows: list[dict[str, Any]] = []
    if patients.empty:
        return pd.DataFrame(columns=["month", "program", "control_rate"])
    first = as_of.replace(day=1)
    for k in range(months - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - k, 12)
        start = date(y, m + 1, 1)
        end = min(as_of, (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
        table = indicators(patients, visits, end, by=["program"])
        for _, r in table[table["program"].isin(CONTROL_PROGRAMS)].iterrows():
            rows.append({"month": start.strftime("%Y-%m"), "program": r["program"],
                         "control_rate": r["control_rate"]})  # fmt: skip
    return pd.DataFrame(rows)


def export_list(
    store: Store, who: Account, frame: pd.DataFrame, kind: str, now: datetime, *, unmasked: bool = False
) -> bytes:
    """:func:`export_bytes` of a list the user downloads; a download with full identifiers is
    written to the audit log."""
    data = export_bytes(frame, kind, unmasked=unmasked)
    if unmasked:
        store.record_unmasked(who, "unmasked_export", f"{kind}, {len(frame)} rows", now)
    return data


def export_bytes(frame: pd.DataFrame, kind: str, *, unmasked: bool = False) -> bytes:
    """The table as ``csv`` (UTF-8 with BOM) or ``xlsx`` bytes, identifiers masked unless asked."""
    if kind not in ("csv", "xlsx"):
        raise InputError([Problem("format", "csv or xlsx")])
    with tempfile.TemporaryDirectory() as tmp:
        path = export_table(frame, Path(tmp) / f"export.{kind}", unmasked=unmasked)
        return path.read_bytes()


# ---------------------------------------------------------------------- models
def model_cards() -> list[dict[str, Any]]:
    """Each installed model pack: name, kind, version, created, sha256, test metrics and the
    card's markdown (intended use, data, limitations); a pack that cannot be trusted is listed
    with its problem instead."""
    out: list[dict[str, Any]] = []
    root = models_dir()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        try:
            pack = load_pack(folder)
        except ModelPackError as exc:
            out.append({"name": folder.name, "problem": str(exc)})
            continue
        m = pack.manifest
        test = m.metrics.get("test", {}) if isinstance(m.metrics, dict) else {}
        out.append({
            "name": m.name, "kind": m.kind, "version": m.version, "created": m.created.isoformat(),
            "sha256": m.onnx_sha256,
            "metrics": {k: v for k, v in test.items() if isinstance(v, int | float)},
            "card": pack.card(),
        })  # fmt: skip
    return out


# ---------------------------------------------------------------------- accounts (admin)
def list_accounts(store: Store, who: Account, now: datetime) -> list[Account]:
    return store.list_accounts(who, now)


def create_account(store: Store, who: Account, fields: Mapping[str, str], now: datetime) -> Account:
    return store.create_account(
        who, fields["username"], fields["role"], fields["password"], now,
        village=fields.get("village", ""), township=fields.get("township", ""),
        display_name=fields.get("display_name", ""),
    )  # fmt: skip


def set_active(store: Store, who: Account, username: str, active: bool, now: datetime) -> None:
    store.set_active(who, username, active, now)
