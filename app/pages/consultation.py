"""Consultation: find or register a patient, read the complaint, assess, record the decision,
see the quality alerts, save."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
import streamlit as st

from app import facade, ui

who = ui.require("consultation")
store, lang, tr = ui.store(), ui.lang(), ui.tr
st.header(tr("page_consultation"))


# ---------------------------------------------------------------------- patient
def _patient_label(p: dict[str, Any]) -> str:
    return f"{p['patient_id']} {p['name']} {tr(p['sex']) if p['sex'] else ''} {p['birth_date'] or ''}"


st.subheader(tr("patient"))
query = st.text_input(tr("search_patient"), key="cx_query").strip()
# one search (and its audit rows) per query, not per rerun of the page
found = (
    ui.cached("cx_search", lambda: facade.search_patients(store, who, query, ui.now()), query)
    if query
    else []
)
ids = [p["patient_id"] for p in found]
new_pid = st.session_state.get("cx_new_patient")
if new_pid and new_pid not in ids:
    fresh = ui.cached("cx_new", lambda: facade.search_patients(store, who, new_pid, ui.now()), new_pid)
    found = [*(p for p in fresh if p["patient_id"] == new_pid), *found]
    ids = [p["patient_id"] for p in found]
by_id = {p["patient_id"]: p for p in found}
patient_id = st.selectbox(
    tr("choose_patient"), ids, key="cx_patient_" + hashlib.sha256("|".join(ids).encode()).hexdigest()[:12], format_func=lambda pid: _patient_label(by_id[pid]),
    index=0 if ids else None,
)  # fmt: skip
patient = by_id.get(patient_id) if patient_id else None
if st.session_state.get("cx_for_patient", patient_id) != patient_id:  # another patient: not their results
    for stale in ("cx_assessment", "cx_checked"):
        st.session_state.pop(stale, None)
st.session_state["cx_for_patient"] = patient_id
flash = st.session_state.pop("cx_flash", None)
if flash:
    st.success(flash)
if patient:
    with st.container(key="cx_patient_card"):  # identifiers masked, as the search returned them
        st.table(pd.DataFrame([{
            tr("patient_id"): patient["patient_id"], tr("name"): patient["name"],
            tr("sex"): tr(patient["sex"]) if patient.get("sex") else "-", tr("birth_date"): patient.get("birth_date") or "-",
            tr("resident_id"): patient.get("resident_id") or "-", tr("phone"): patient.get("phone") or "-",
            tr("village"): patient.get("village") or "-", tr("programs_short"): patient.get("programs") or "-",
        }]), hide_index=True)  # fmt: skip

with st.expander(tr("register_patient"), expanded=False):
    rid = st.text_input(tr("resident_id"), key="reg_resident_id").strip()
    facts: dict[str, Any] = {}
    if rid:
        try:
            facts = facade.resident_id_facts(rid, ui.today())
        except facade.InputError as exc:
            st.error("; ".join(p.reason for p in exc.problems))
    c1, c2, c3 = st.columns(3)
    new_id = c1.text_input(tr("patient_id"), key="reg_patient_id")
    new_name = c2.text_input(tr("name"), key="reg_name")
    phone = c3.text_input(tr("phone"), key="reg_phone")
    birth = c1.text_input(tr("birth_date"), value=facts.get("birth_date", ""), key=f"reg_birth_{rid}")
    sexes = ["", "male", "female"]
    sex = c2.selectbox(tr("sex"), sexes, index=sexes.index(facts.get("sex", "")), key=f"reg_sex_{rid}",
                       format_func=lambda s: tr(s) if s else "-")  # fmt: skip
    program_names = facade.program_names(lang)
    programs = c3.multiselect(tr("programs_short"), list(program_names), format_func=program_names.get,
                              key="reg_programs", help=tr("programs_help"))  # fmt: skip
    if st.button(tr("save_patient"), key="reg_save"):
        try:
            pid = facade.register_patient(store, who, {
                "patient_id": new_id, "name": new_name, "resident_id": rid, "birth_date": birth, "sex": sex,
                "phone": phone, "programs": ";".join(programs),
            }, ui.now())  # fmt: skip
        except (facade.InputError, PermissionError) as exc:
            st.error(str(exc))
        else:
            ui.forget("cx_")  # the searches of this visit may show the patient as it was
            st.session_state["cx_new_patient"] = pid
            st.session_state["cx_flash"] = f"{tr('patient_saved')}: {pid}"
            st.rerun()  # draw the page again with the new patient chosen above

# ---------------------------------------------------------------------- complaint → findings
st.subheader(tr("complaint"))
complaint = st.text_area(tr("complaint"), key="complaint", label_visibility="collapsed")
VITALS = ("temperature_c", "systolic_bp", "diastolic_bp", "heart_rate", "respiratory_rate", "spo2")
if complaint != st.session_state.get("cx_parsed_text"):
    findings, vitals = facade.read_complaint(complaint)
    names = facade.finding_names(lang)
    st.session_state["cx_findings"] = pd.DataFrame({
        "code": pd.Series(list(findings), dtype=object),
        "name": pd.Series([names.get(c, c) for c in findings], dtype=object),
        "present": pd.Series(list(findings.values()), dtype=bool),
    })  # fmt: skip
    st.session_state["cx_editor_n"] = st.session_state.get("cx_editor_n", 0) + 1
    st.session_state["cx_parsed_text"] = complaint
    for k, v in vitals.items():
        if k in VITALS and st.session_state.get(f"vital_{k}") is None:
            st.session_state[f"vital_{k}"] = float(v)

st.caption(tr("findings_understood"))
edited = st.data_editor(
    st.session_state["cx_findings"], key=f"cx_editor_{st.session_state['cx_editor_n']}", num_rows="dynamic",
    hide_index=True, width="stretch", disabled=["name"],
    column_config={"code": tr("finding"), "name": tr("name"), "present": st.column_config.CheckboxColumn(tr("present"))},
)  # fmt: skip


def _present(value: Any) -> bool:
    """A tick of the findings table (a row the doctor added may have none yet: absent)."""
    return False if value is None or pd.isna(value) else bool(value)


def _finding_summary(table: pd.DataFrame) -> str:
    names = facade.finding_names(lang) if len(table) else {}
    rows = [(names.get(str(c).strip(), str(c).strip()), _present(p)) for c, p in zip(table["code"], table["present"],
            strict=True) if isinstance(c, str) and c.strip()] if len(table) else []  # fmt: skip
    sep = "、" if lang == "zh" else ", "
    present = sep.join(n for n, p in rows if p) or "-"
    absent = sep.join(n for n, p in rows if not p) or "-"
    return f"{tr('findings_present')}: {present} · {tr('findings_absent')}: {absent}"


with st.container(key="cx_findings_summary"):
    st.caption(_finding_summary(edited))

st.caption(tr("vitals"))
cols = st.columns(len(VITALS))
vitals_in = {
    k: cols[i].number_input(tr(k), value=None, key=f"vital_{k}", step=1.0) for i, k in enumerate(VITALS)
}
c1, c2, c3 = st.columns(3)
allergies = c1.text_input(tr("allergies"), key="cx_allergies")
history = c2.text_input(tr("history"), key="cx_history")
pregnant = c3.checkbox(tr("pregnant"), key="cx_pregnant")


def _split(text: str) -> list[str]:
    return [s.strip() for s in text.replace("，", ",").replace("\n", ",").split(",") if s.strip()]


def _problems(exc: Exception) -> str:
    if isinstance(exc, facade.InputError):
        return "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
    return str(exc)


def _encounter(decision: dict[str, Any] | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"id": patient_id or ""}
    if patient:
        if patient.get("birth_date"):
            p["birth_date"] = patient["birth_date"]
        if patient.get("sex"):
            p["sex"] = patient["sex"]
    p.update({"allergies": _split(allergies), "history": _split(history), "pregnant": pregnant})
    rows = edited.dropna(subset=["code"]) if len(edited) else edited
    enc: dict[str, Any] = {
        "date": ui.today().isoformat(), "patient": p, "complaint": complaint,
        "findings": {str(r["code"]).strip(): _present(r["present"]) for _, r in rows.iterrows() if str(r["code"]).strip()},
        "vitals": {k: v for k, v in vitals_in.items() if v is not None},
    }  # fmt: skip
    return {**enc, **(decision or {})}


def _show_assessment(assessment: dict[str, Any]) -> None:
    level = assessment["triage"]["level"]
    show = {"urgent": st.error, "refer": st.warning}.get(level, st.success)
    with st.container(key="cx_triage"):
        show(f"{tr('triage')}: {tr('triage_' + level)}")
        for reason in assessment["triage"].get("reasons", []):
            st.markdown(f"- {reason if isinstance(reason, str) else json.dumps(reason, ensure_ascii=False)}")
    if assessment.get("uncertain"):
        st.info(tr("uncertain") + ": " + "; ".join(assessment.get("uncertain_reasons", [])))
    st.subheader(tr("suggestions"))
    suggestions = assessment["suggestions"]
    if not suggestions:
        st.info(tr("no_suggestions"))
        return
    name_key = "name_zh" if lang == "zh" else "name_en"
    sep = "、" if lang == "zh" else ", "
    table = pd.DataFrame([{
        "#": rank, "ICD-10": s["icd10"], tr("condition"): s[name_key], tr("probability"): ui.percent(s["probability"], lang),
        tr("supporting"): sep.join(e["name"] for e in s["supporting"]),
        tr("opposing"): sep.join(e["name"] for e in s["opposing"]),
    } for rank, s in enumerate(suggestions, start=1)])  # fmt: skip
    with st.container(key="cx_suggestions"):
        st.table(table, hide_index=True)


@st.fragment
def _assess_part() -> None:
    """The button and its result. A fragment: pressing the button reruns only this part, not the
    whole page, so the suggestions show sooner; any other change reruns the page and this with it."""
    if st.button(tr("assess"), key="assess", type="primary"):
        try:
            st.session_state["cx_assessment"] = facade.assess(_encounter(), ui.today(), lang)
        except (facade.InputError, facade.ModelPackError) as exc:
            st.session_state.pop("cx_assessment", None)
            st.error(_problems(exc))
        else:
            st.session_state["cx_assessed"] = st.session_state.get("cx_assessed", 0) + 1
    assessment = st.session_state.get("cx_assessment")
    if assessment:
        # a new key for each press of the button: the browser test and the benchmark wait for it
        with st.container(key=f"cx_result_{st.session_state.get('cx_assessed', 0)}"):
            _show_assessment(assessment)


_assess_part()

# ---------------------------------------------------------------------- decision, quality, save
st.subheader(tr("decision"))
diagnoses = st.text_area(tr("diagnoses"), key="cx_diagnoses")
prescriptions_text = st.text_area(tr("prescriptions"), key="cx_prescriptions")
orders = st.text_area(tr("orders"), key="cx_orders")


def _prescriptions(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        parts = [s.strip() for s in line.replace("，", ",").split(",")]
        if not parts or not parts[0]:
            continue
        item: dict[str, Any] = {"drug": parts[0]}
        for key, value in zip(("dose_mg", "times_per_day", "days"), parts[1:4], strict=False):
            if value:
                item[key] = value
        if len(parts) > 4 and parts[4]:
            item["route"] = parts[4]
        out.append(item)
    return out


decision = {
    "diagnoses": [s.strip() for s in diagnoses.splitlines() if s.strip()],
    "prescriptions": _prescriptions(prescriptions_text),
    "orders": [s.strip() for s in orders.splitlines() if s.strip()],
}
digest = hashlib.sha256(json.dumps([_encounter(decision), patient_id], ensure_ascii=False, sort_keys=True,
                                   default=str).encode()).hexdigest()  # fmt: skip
if st.button(tr("check_quality"), key="check_quality"):
    if not patient_id:
        st.warning(tr("need_patient"))
    else:
        try:
            full = facade.assess(_encounter(decision), ui.today(), lang)
        except (facade.InputError, facade.ModelPackError) as exc:
            st.error(_problems(exc))
        else:
            st.session_state["cx_checked"] = (digest, full)

checked = st.session_state.get("cx_checked")
ready = bool(checked and checked[0] == digest)
if ready:
    alerts = checked[1].get("quality", [])
    with st.container(key="cx_quality"):
        st.caption(tr("quality_alerts"))
        if not alerts:
            st.success(tr("no_alerts"))
        for a in alerts:
            show = {"error": st.error, "warning": st.warning}.get(a["severity"], st.info)
            show(f"[{a['category']}] {a['message_zh'] if lang == 'zh' else a['message_en']}")
if st.button(tr("save"), key="save", disabled=not ready):
    enc, full = _encounter(decision), checked[1]
    try:
        eid = facade.save_consultation(store, who, patient_id, enc, full, decision, ui.now())
    except (facade.InputError, PermissionError) as exc:
        st.error(str(exc))
    else:
        saved = facade.encounters_of(store, who, patient_id, ui.now())[0]
        st.session_state.pop("cx_checked", None)
        followed = {True: tr("yes"), False: tr("no")}.get(saved["followed_top_suggestion"], "-")
        with st.container(key="cx_saved"):
            st.success(f"{tr('saved')} #{eid} · {tr('followed')}: {followed}")
