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
    card = at.table[0].value  # the chosen patient, identifiers masked
    assert card.iloc[0, 0] == pid and "*" in str(card[t("resident_id", "zh")].iloc[0])
    at.text_area(key="complaint").input("发热咳嗽3天，咳黄痰，无胸痛").run()
    summary = _texts(at, "caption")
    assert "发热" in summary and "胸痛" in summary.split("无:")[-1]
    at.button(key="assess").click().run()
    assert not at.exception
    table = at.table[-1].value
    assert len(table) >= 5 and "J20.9" in set(table["ICD-10"][:3])
    assert list(table["#"]) == list(range(1, len(table) + 1))
    assert all(str(p).endswith("%") and str(p) != "100%" for p in table[t("probability", "zh")])
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
    probability = saved[0]["assessment"]["suggestions"][0]["probability"]
    assert isinstance(probability, float) and 0 < probability <= 1  # the JSON keeps the number


def _resident_id(body17: str) -> str:
    """A resident ID with its GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights, strict=True)) % 11]


def test_registering_a_patient_fills_birth_date_and_sex_and_chooses_them(store: Store) -> None:
    rid = _resident_id("34122219580214003")  # born 1958-02-14, odd 17th digit: male
    at = AppTest.from_file(str(APP / "pages" / "consultation.py"), default_timeout=TIMEOUT)
    at.session_state["user"] = facade.login(store, "doctor1", "doctor-demo-2026", NOW)
    at.session_state["clock"] = NOW
    at.session_state["cx_assessment"] = _assessment(0.9)  # of the consultation before, no patient chosen
    at.session_state["cx_assessed"] = 1
    at.run()
    assert len(at.table) == 1  # its suggestions
    at.text_input(key="reg_resident_id").input(rid).run()
    assert at.text_input(key=f"reg_birth_{rid}").value == "1958-02-14"
    assert at.selectbox(key=f"reg_sex_{rid}").value == "male"
    at.text_input(key="reg_patient_id").input("P80001")
    at.text_input(key="reg_name").input("新患者")
    at.text_input(key="reg_phone").input("13812345678")
    at.multiselect(key="reg_programs").select("hypertension").run()
    at.button(key="reg_save").click().run()
    assert not at.exception, at.exception
    assert "P80001" in _texts(at, "success"), _texts(at, "error")
    assert at.selectbox[0].value == "P80001"  # chosen at once
    assert len(at.table) == 1  # the patient's card; the suggestions of before are gone
    card = at.table[0].value
    assert card.iloc[0, 0] == "P80001" and card[t("phone", "zh")].iloc[0] == "138****5678"
    doctor = facade.login(store, "doctor1", "doctor-demo-2026", NOW)
    assert doctor is not None
    saved = store.get_patient(doctor, "P80001", NOW)
    assert (saved["birth_date"], saved["sex"], saved["village"]) == ("1958-02-14", "male", "李家村")


def _assessment(probability: float) -> dict[str, object]:
    suggestion = {"icd10": "J20.9", "name_zh": "急性支气管炎", "name_en": "Acute bronchitis", "supporting": [],
                  "opposing": []}  # fmt: skip
    return {
        "suggestions": [
            {**suggestion, "probability": probability},
            {**suggestion, "icd10": "J00", "probability": 0.0004},
            {**suggestion, "icd10": "J18.9", "probability": 0.42},
        ],
        "triage": {"level": "manage", "reasons": []},
        "uncertain": False,
    }


@pytest.mark.parametrize(("lang", "high", "low"), [("zh", "＞99%", "＜1%"), ("en", "> 99%", "< 1%")])
def test_a_very_confident_suggestion_shows_as_more_than_99_percent(
    store: Store, lang: str, high: str, low: str
) -> None:
    at = AppTest.from_file(str(APP / "pages" / "consultation.py"), default_timeout=TIMEOUT)
    at.session_state["user"] = facade.login(store, "doctor1", "doctor-demo-2026", NOW)
    at.session_state["clock"] = NOW
    at.session_state["lang"] = lang
    at.session_state["cx_assessment"] = _assessment(0.99962)
    at.session_state["cx_assessed"] = 1
    at.run()
    assert not at.exception
    shown = list(at.table[-1].value[t("probability", lang)])
    assert shown == [high, low, "42%"]
    assert "100%" not in shown and "0%" not in shown


def test_percent_never_rounds_to_certainty() -> None:
    from app.ui import percent

    assert [percent(p, "zh") for p in (1.0, 0.996, 0.995, 0.994, 0.5, 0.006, 0.004, 0.0)] == [
        "＞99%", "＞99%", "＞99%", "99%", "50%", "1%", "＜1%", "＜1%",
    ]  # fmt: skip
    assert percent(0.9999, "en") == "> 99%" and percent(0.001, "en") == "< 1%"


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


def test_followup_page_of_a_doctor_with_no_enrolled_patients(store: Store) -> None:
    """A new village doctor whose village has nobody enrolled yet gets empty lists, not an error."""
    admin = facade.login(store, "admin", "admin-demo-2026", NOW)
    fields = {"username": "doctor9", "role": "village_doctor", "password": "doctor9-pass-2026",
              "village": "新村", "township": "青山镇"}  # fmt: skip
    facade.create_account(store, admin, fields, NOW)
    at = _page("followup", store, "doctor9", "doctor9-pass-2026")
    assert not at.exception, at.exception
    assert t("nothing_due", "zh") in _texts(at, "info")


def test_followup_visit_shows_the_new_status_at_once(store: Store) -> None:
    at = _page("followup", store, "doctor1", "doctor-demo-2026")
    pid = at.selectbox(key="fu_patient").value
    program = at.selectbox(key="fu_program").value
    at.number_input(key="fu_sbp").set_value(185.0)
    at.number_input(key="fu_dbp").set_value(112.0)
    at.button(key="fu_save").click().run()
    assert not at.exception, at.exception
    assert t("visit_saved", "zh") in _texts(at, "success")
    after = at.table[-1].value
    shown_program = facade.program_names("zh")[program]  # programs and statuses in the page's language
    assert shown_program in set(after["program"]) and after["due_date"].notna().all()
    row = after[after["program"] == shown_program].iloc[0]
    if program in ("hypertension", "diabetes"):  # 185/112 is off target (or a crisis)
        assert row["status"] in {t(f"status_{s}", "zh") for s in ("uncontrolled", "refer", "urgent_referral")}
    assert str(row["last_visit"])[:10] == NOW.date().isoformat()
    doctor = facade.login(store, "doctor1", "doctor-demo-2026", NOW)
    assert store.visits_of(doctor, pid, NOW)[0]["date"] == NOW.date().isoformat()
    # the lists above are read again after the visit: the patient's row there shows it too
    listed = at.dataframe[-1].value
    assert (
        str(listed[(listed["patient_id"] == pid) & (listed["program"] == shown_program)]["last_visit"].iloc[0])[:10]
        == NOW.date().isoformat()
    )


def _reads(store: Store, action: str, username: str) -> int:
    admin = facade.login(store, "admin", "admin-demo-2026", NOW)
    return sum(
        1 for e in store.audit_log(admin, NOW, username=username, limit=1_000_000) if e.action == action
    )


def test_followup_reads_the_store_once_per_visit_not_per_rerun(store: Store) -> None:
    """Store.followup_tables audits every patient it returns: the page reads once per visit and
    after a recorded visit, not on each rerun (a change of the chosen patient reruns the page)."""
    before = _reads(store, "followup_tables", "doctor1")
    at = _page("followup", store, "doctor1", "doctor-demo-2026")
    first = _reads(store, "followup_tables", "doctor1") - before
    assert first > 0  # one audit row per patient of 李家村
    options = at.selectbox(key="fu_patient").options
    at.selectbox(key="fu_patient").select_index(len(options) - 1).run()
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.selectbox(key="fu_patient").index == len(options) - 1
    assert "Overdue" in " ".join(str(h.value) for h in at.subheader)
    assert _reads(store, "followup_tables", "doctor1") - before == first
    at.number_input(key="fu_sbp").set_value(128.0)
    at.number_input(key="fu_dbp").set_value(78.0)
    at.button(key="fu_save").click().run()
    assert _reads(store, "followup_tables", "doctor1") - before == 2 * first  # read again after the write


def test_consultation_searches_once_per_query_not_per_rerun(store: Store) -> None:
    before = _reads(store, "search_patients", "doctor2")
    at = _page("consultation", store, "doctor2", "doctor-demo-2026")
    pid = facade.search_patients(store, at.session_state["user"], "", NOW)[0]["patient_id"]
    assert _reads(store, "search_patients", "doctor2") - before > 1
    before = _reads(store, "search_patients", "doctor2")
    at.text_input(key="cx_query").input(pid).run()
    at.text_area(key="complaint").input("头痛2天").run()
    at.button(key="assess").click().run()
    assert not at.exception
    assert _reads(store, "search_patients", "doctor2") - before == 1


def test_public_health_shows_indicators_of_the_township(store: Store) -> None:
    at = _page("public_health", store, "health", "health-demo-2026")
    assert not at.exception
    assert [d.label for d in at.get("download_button")] == [t("download_csv", "zh"), t("download_xlsx", "zh")]
    table = at.dataframe[0].value
    assert len(table) > 0 and {"control_rate", "village"} <= set(table.columns)
    assert table["village"].nunique() > 1  # the whole township, not one village
    tasks = at.dataframe[-1].value
    ids = tasks["resident_id"].dropna().astype(str)
    ids = ids[ids != ""]
    assert len(ids) > 0
    assert ids.str.contains("*", regex=False).all()  # masked by default


def test_unmasked_identifiers_are_shown_and_exported_only_with_an_audit_row(store: Store) -> None:
    def unmasked() -> list[tuple[str, str]]:
        return [tuple(r) for r in store._conn.execute(
            "SELECT actor, action FROM audit WHERE action LIKE 'unmasked%' ORDER BY id").fetchall()]  # fmt: skip

    at = _page("public_health", store, "health", "health-demo-2026")
    assert unmasked() == []  # the masked default leaves no disclosure row
    at.checkbox(key="ph_unmask").check().run()
    assert not at.exception, at.exception
    ids = at.dataframe[-1].value["resident_id"].dropna().astype(str)
    assert (ids[ids != ""].str.contains("*", regex=False)).sum() == 0  # full identifiers on screen
    assert unmasked() == [("health", "unmasked_view")]
    who = facade.login(store, "health", "health-demo-2026", NOW)
    data = facade.export_list(store, who, at.dataframe[-1].value, "csv", NOW, unmasked=True)
    assert data and unmasked() == [("health", "unmasked_view"), ("health", "unmasked_export")]


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
