"""Page tests of the Streamlit app with AppTest, on a fresh store seeded from data_samples/."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import facade
from app.i18n import t
from assistant.store import Store

APP = Path(__file__).resolve().parents[1] / "app"
NOW = datetime(2026, 3, 2, 10, 0)
TIMEOUT = 30


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """AppTest replaces ``sys.modules['__main__']`` with the page script and leaves it there; later
    tests that spawn processes (a Dask LocalCluster) would re-run that page in each child."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("app-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(facade.DATA_ENV, str(folder))
        facade.open_store(folder, NOW).close()  # seeds the demo accounts and village
        yield folder


@pytest.fixture(scope="module")
def store(data: Path) -> Iterator[Store]:
    s = Store.open(data)
    yield s
    s.close()


def _page(name: str, store: Store, username: str, password: str) -> AppTest:
    at = AppTest.from_file(str(APP / "pages" / f"{name}.py"), default_timeout=TIMEOUT)
    who = facade.login(store, username, password, NOW)
    assert who is not None
    at.session_state["user"] = who
    at.session_state["clock"] = NOW
    return at.run()


def _texts(at: AppTest, kind: str) -> str:
    return " ".join(str(e.value) for e in getattr(at, kind))


def test_login_refuses_a_wrong_password_and_accepts_a_demo_account(data: Path) -> None:
    at = AppTest.from_file(str(APP / "main.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    at.text_input(key="login_username").input("doctor1")
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    assert t("login_failed", "zh") in _texts(at, "error")
    assert "user" not in at.session_state
    at.text_input(key="login_password").input("doctor-demo-2026")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"].username == "doctor1"
    assert at.session_state["user"].village == "李家村"


def test_consultation_assesses_then_saves_the_doctors_decision(store: Store) -> None:
    doctor = facade.login(store, "doctor1", "doctor-demo-2026", NOW)
    assert doctor is not None
    pid = facade.search_patients(store, doctor, "", NOW)[0]["patient_id"]
    at = _page("consultation", store, "doctor1", "doctor-demo-2026")
    assert not at.exception
    at.text_input(key="cx_query").input(pid).run()
    assert at.selectbox[0].value == pid
    at.text_area(key="complaint").input("发热咳嗽3天，咳黄痰，无胸痛").run()
    at.button(key="assess").click().run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert len(table) >= 5 and "J20.9" in set(table["ICD-10"][:3])
    top = str(table["ICD-10"].iloc[0])
    assert t("triage", "zh") in _texts(at, "success") + _texts(at, "warning") + _texts(at, "error")

    at.text_area(key="cx_diagnoses").input(top).run()
    at.text_area(key="cx_prescriptions").input("amoxicillin,500,3,5,oral").run()
    assert at.button(key="save").disabled  # quality alerts come before saving
    at.button(key="check_quality").click().run()
    assert t("quality_alerts", "zh") in _texts(at, "caption")
    at.button(key="save").click().run()
    assert not at.exception
    assert t("saved", "zh") in _texts(at, "success")
    saved = store.encounters_of(doctor, pid, NOW)
    assert saved and saved[0]["diagnoses"] == [top]
    assert saved[0]["followed_top_suggestion"] is True
    assert saved[0]["prescriptions"][0]["drug"] == "amoxicillin"


def test_followup_lists_only_the_doctors_village(store: Store) -> None:
    at = _page("followup", store, "doctor1", "doctor-demo-2026")
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    rows = sum(len(f) for f in frames)
    assert rows > 0
    for f in frames:
        if "village" in f:
            assert set(f["village"]) <= {"李家村"}
    overdue = at.dataframe[0].value
    assert (overdue["days_overdue"] > 0).all()


def test_followup_visit_shows_the_new_status_at_once(store: Store) -> None:
    at = _page("followup", store, "doctor1", "doctor-demo-2026")
    pid = at.selectbox(key="fu_patient").value
    program = at.selectbox(key="fu_program").value
    at.number_input(key="fu_sbp").set_value(185.0)
    at.number_input(key="fu_dbp").set_value(112.0)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert t("visit_saved", "zh") in _texts(at, "success")
    after = at.dataframe[-1].value
    assert program in set(after["program"]) and after["due_date"].notna().all()
    row = after[after["program"] == program].iloc[0]
    if program in ("hypertension", "diabetes"):  # 185/112 is off target (or a crisis)
        assert row["status"] in ("uncontrolled", "refer", "urgent_referral")
    assert str(row["last_visit"])[:10] == NOW.date().isoformat()
    doctor = facade.login(store, "doctor1", "doctor-demo-2026", NOW)
    assert store.visits_of(doctor, pid, NOW)[0]["date"] == NOW.date().isoformat()


def test_public_health_shows_indicators_of_the_township(store: Store) -> None:
    at = _page("public_health", store, "health", "health-demo-2026")
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) > 0 and {"control_rate", "village"} <= set(table.columns)
    assert table["village"].nunique() > 1  # the whole township, not one village
    tasks = at.dataframe[-1].value
    ids = tasks["resident_id"].dropna().astype(str)
    ids = ids[ids != ""]
    assert len(ids) > 0
    assert ids.str.contains("*", regex=False).all()  # masked by default


def test_models_page_shows_the_diagnosis_card(store: Store) -> None:
    at = _page("models", store, "doctor1", "doctor-demo-2026")
    assert not at.exception
    assert "Model card: diagnosis" in _texts(at, "markdown")
    assert "Intended use" in _texts(at, "markdown")


def test_launcher_binds_localhost_without_usage_statistics() -> None:
    from app.launch import streamlit_command

    cmd = " ".join(streamlit_command(8600))
    assert "--server.address 127.0.0.1" in cmd and "--server.port 8600" in cmd
    assert "--browser.gatherUsageStats false" in cmd and "--server.headless true" in cmd


def test_a_village_doctor_cannot_open_accounts_but_an_admin_can(store: Store) -> None:
    at = _page("accounts", store, "doctor1", "doctor-demo-2026")
    assert t("no_permission", "zh") in _texts(at, "error")
    assert len(at.dataframe) == 0
    at = _page("accounts", store, "admin", "admin-demo-2026")
    assert not at.exception
    assert "doctor1" in set(at.dataframe[0].value.iloc[:, 0])
