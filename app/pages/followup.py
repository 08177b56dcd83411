"""Follow-up: my patients due this week and overdue (most urgent and risky first); record a
visit and see the new status and next date at once."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from app import facade, ui

who = ui.require("followup")
store, lang, tr = ui.store(), ui.lang(), ui.tr
st.header(tr("page_followup"))

today = ui.today()
table = facade.followup_list(store, who, ui.now(), lang=lang)
COLS = ["patient_id", "name", "village", "program", "status", "last_visit", "due_date", "days_overdue", "risk",
        "reason"]  # fmt: skip
week_end = today + timedelta(days=6 - today.weekday())
due = pd.to_datetime(table["due_date"]).dt.date if len(table) else pd.Series(dtype=object)
overdue = table[table["days_overdue"] > 0] if len(table) else table
this_week = table[(table["days_overdue"] <= 0) & (due <= week_end)] if len(table) else table

st.subheader(f"{tr('overdue')} ({len(overdue)})")
st.dataframe(overdue[COLS], hide_index=True, width="stretch", key="fu_overdue")
st.subheader(f"{tr('due_this_week')} ({len(this_week)})")
if this_week.empty:
    st.info(tr("nothing_due"))
else:
    st.dataframe(this_week[COLS], hide_index=True, width="stretch", key="fu_week")
with st.expander(f"{tr('all_tasks')} ({len(table)})"):
    st.dataframe(table[COLS] if len(table) else table, hide_index=True, width="stretch")

if who.role in ("village_doctor", "admin") and len(table):
    st.subheader(tr("record_visit"))
    labels = {pid: f"{pid} {name}" for pid, name in zip(table["patient_id"], table["name"], strict=True)}
    pid = st.selectbox(tr("patient"), list(labels), format_func=labels.get, key="fu_patient")
    programs = sorted(table.loc[table["patient_id"] == pid, "program"].unique())
    with st.form("fu_visit"):
        program = st.selectbox(tr("program"), programs, key="fu_program")
        c1, c2, c3, c4 = st.columns(4)
        day = c1.date_input(tr("visit_date"), value=today, max_value=today, key="fu_date")
        sbp = c2.number_input(tr("systolic_bp"), value=None, step=1.0, key="fu_sbp")
        dbp = c3.number_input(tr("diastolic_bp"), value=None, step=1.0, key="fu_dbp")
        hr = c4.number_input(tr("heart_rate"), value=None, step=1.0, key="fu_hr")
        glucose = c1.number_input(tr("fasting_glucose"), value=None, step=0.1, key="fu_glucose")
        danger = c2.text_input(tr("danger_signs"), key="fu_danger")
        adverse = c3.checkbox(tr("adverse_reaction"), key="fu_adverse")
        complication = c4.checkbox(tr("new_complication"), key="fu_complication")
        referred = c4.checkbox(tr("referred"), key="fu_referred")
        submitted = st.form_submit_button(tr("save_visit"))
    if submitted:
        visit = {
            "patient_id": pid, "date": day.isoformat(), "program": program, "systolic_bp": sbp,
            "diastolic_bp": dbp, "heart_rate": hr, "fasting_glucose_mmol_l": glucose, "danger_signs": danger,
            "adverse_reaction": int(adverse), "new_complication": int(complication), "referred": int(referred),
        }  # fmt: skip
        try:
            facade.record_visit(store, who, visit, ui.now())
        except (facade.InputError, PermissionError) as exc:
            st.error(str(exc))
        else:
            after = facade.patient_followup(store, who, pid, ui.now(), lang=lang)
            st.success(tr("visit_saved"))
            st.dataframe(after[["program", "status", "last_visit", "due_date", "reason"]], hide_index=True,
                         key="fu_after")  # fmt: skip
