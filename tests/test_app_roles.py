"""Every page of the app checks who is asking: signed out or without the role, it refuses and shows
nothing else; a village doctor sees only their own village's patients, public-health staff only
their township's; a refusal of the data layer is shown, not raised (AppTest, fresh seeded store)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import facade
from app.i18n import t
from app.ui import PAGE_ROLES
from assistant.store import Store

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
NOW = datetime(2026, 3, 2, 10, 0)
TIMEOUT = 30
PASSWORDS = {"admin": "admin-demo-2026", "doctor1": "doctor-demo-2026", "doctor2": "doctor-demo-2026",
             "health": "health-demo-2026"}  # fmt: skip
ROLE_OF = {"admin": "admin", "doctor1": "village_doctor", "health": "public_health"}
with open(ROOT / "data_samples" / "village" / "patients.csv", encoding="utf-8-sig", newline="") as _fh:
    VILLAGE_OF = {r["patient_id"]: r["village"] for r in csv.DictReader(_fh)}
OTHER_TOWNSHIP = "P90001"  # created below, in another township


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    main = sys.modules["__main__"]  # AppTest leaves the page script there (see tests/test_app.py)
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("app-roles")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(facade.DATA_ENV, str(folder))
        s = facade.open_store(folder, NOW)  # seeds the demo accounts and village
        admin = _account(s, "admin")
        facade.register_patient(s, admin, {
            "patient_id": OTHER_TOWNSHIP, "name": "外乡患者", "sex": "male", "birth_date": "1950-01-01",
            "village": "白云村", "township": "白云镇", "programs": "hypertension",
        }, NOW)  # fmt: skip
        yield s
        s.close()


def _account(store: Store, username: str) -> facade.Account:
    who = facade.login(store, username, PASSWORDS.get(username, "doctor-demo-2026"), NOW)
    assert who is not None
    return who


def _run(page: str, who: facade.Account | None) -> AppTest:
    at = AppTest.from_file(str(APP / "pages" / f"{page}.py"), default_timeout=TIMEOUT)
    if who is not None:
        at.session_state["user"] = who
    at.session_state["clock"] = NOW
    return at.run()


def _texts(at: AppTest, kind: str) -> str:
    return " ".join(str(e.value) for e in getattr(at, kind))


def _shows_nothing_else(at: AppTest) -> None:
    assert not at.exception
    assert len(at.header) == 0 and len(at.dataframe) == 0 and len(at.table) == 0
    assert len(at.button) == 0 and len(at.text_input) == 0 and len(at.selectbox) == 0
    assert len(at.get("download_button")) == 0


def _audit_count(store: Store, username: str) -> int:
    admin = _account(store, "admin")
    return len(store.audit_log(admin, NOW, username=username, limit=1_000_000))


# ---------------------------------------------------------------------- role checks, every page
def test_every_page_is_in_the_role_table() -> None:
    pages = {p.stem for p in (APP / "pages").glob("*.py")}
    assert pages == set(PAGE_ROLES)


@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_signed_out_every_page_asks_to_sign_in_and_shows_nothing(store: Store, page: str) -> None:
    at = _run(page, None)
    assert t("not_signed_in", "zh") in _texts(at, "warning")
    _shows_nothing_else(at)


REFUSED = [
    (page, user) for page in sorted(PAGE_ROLES) for user in ROLE_OF if ROLE_OF[user] not in PAGE_ROLES[page]
]
ALLOWED = [
    (page, user) for page in sorted(PAGE_ROLES) for user in ROLE_OF if ROLE_OF[user] in PAGE_ROLES[page]
]


def test_the_refusals_include_the_ones_that_matter() -> None:
    assert {("accounts", "doctor1"), ("accounts", "health"), ("public_health", "doctor1"),
            ("consultation", "health")} <= set(REFUSED)  # fmt: skip
    assert all(user == "admin" for page, user in ALLOWED if page == "accounts")


@pytest.mark.parametrize(("page", "username"), REFUSED)
def test_a_role_without_the_page_is_refused_and_reads_nothing(store: Store, page: str, username: str) -> None:
    who = _account(store, username)
    before = _audit_count(store, username)
    at = _run(page, who)
    assert t("no_permission", "zh") in _texts(at, "error")
    _shows_nothing_else(at)
    assert _audit_count(store, username) == before  # no patient record was read


def _listed(at: AppTest) -> set[str]:
    return {str(pid) for d in at.dataframe if "patient_id" in d.value for pid in d.value["patient_id"]}


@pytest.mark.parametrize(("page", "username"), ALLOWED)
def test_a_role_with_the_page_opens_it_on_its_own_patients(store: Store, page: str, username: str) -> None:
    who = _account(store, username)
    at = _run(page, who)
    assert not at.exception, at.exception
    assert t("no_permission", "zh") not in _texts(at, "error")
    assert t("not_signed_in", "zh") not in _texts(at, "warning")
    assert [h.value for h in at.header] == [t(f"page_{page}", "zh")]
    listed = _listed(at)
    if page in ("followup", "public_health"):  # the pages that list patients
        assert listed
        if who.role == "village_doctor":
            assert {VILLAGE_OF.get(pid) for pid in listed} == {who.village}
        elif who.role == "public_health":  # the whole township (every sample village), no other
            assert OTHER_TOWNSHIP not in listed and {VILLAGE_OF[p] for p in listed} == set(
                VILLAGE_OF.values()
            )
        else:
            assert OTHER_TOWNSHIP in listed  # the admin sees everyone
    else:
        assert not listed


# ---------------------------------------------------------------------- who sees which patients
@pytest.mark.parametrize("username", ["doctor1", "doctor2"])
def test_a_village_doctor_finds_only_their_villages_patients(store: Store, username: str) -> None:
    who = _account(store, username)
    at = _run("consultation", who)
    at.text_input(key="cx_query").input("P0").run()
    ids = at.selectbox[0].options
    villages = {VILLAGE_OF[label.split()[0]] for label in ids}
    assert ids and villages == {who.village}
    stranger = next(pid for pid, village in VILLAGE_OF.items() if village != who.village)
    at.text_input(key="cx_query").input(stranger).run()
    assert at.selectbox[0].options == []
    at.text_input(key="cx_query").input(OTHER_TOWNSHIP).run()
    assert at.selectbox[0].options == []


@pytest.mark.parametrize("username", ["doctor1", "doctor2"])
def test_a_village_doctors_followup_lists_only_their_village(store: Store, username: str) -> None:
    who = _account(store, username)
    at = _run("followup", who)
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    assert sum(len(f) for f in frames) > 0
    for frame in frames:
        assert set(frame["village"]) == {who.village}
    choices = {label.split()[0] for label in at.selectbox(key="fu_patient").options}
    assert choices and {VILLAGE_OF.get(pid) for pid in choices} == {who.village}


def test_public_health_staff_cannot_record_a_visit(store: Store) -> None:
    at = _run("followup", _account(store, "health"))
    assert not at.exception
    assert len(at.get("form_submit_button")) == 0 and len(at.selectbox) == 0


# ---------------------------------------------------------------------- the data layer refuses too
def test_a_disabled_account_is_refused_by_the_data_layer_and_the_page_says_so(store: Store) -> None:
    """The page lets a signed-in role in; the store re-reads the account on each call and refuses
    one disabled meanwhile. The app (main.py, around every page) shows that refusal."""
    admin = _account(store, "admin")
    fields = {
        "username": "health9",
        "role": "public_health",
        "password": "health9-pass-2026",
        "township": "青山镇",
    }
    facade.create_account(store, admin, fields, NOW)
    who = facade.login(store, "health9", "health9-pass-2026", NOW)
    assert who is not None
    facade.set_active(store, admin, "health9", False, NOW)  # while health9 is still signed in
    at = AppTest.from_file(str(APP / "main.py"), default_timeout=TIMEOUT)
    at.session_state["user"] = who
    at.session_state["clock"] = NOW
    at.run()  # the first page of public-health staff: follow-up, which reads the store
    assert not at.exception, at.exception
    assert t("no_permission", "zh") in _texts(at, "error")
    assert "disabled" in _texts(at, "error")
    assert len(at.dataframe) == 0
