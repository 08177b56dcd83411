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
# The store is read (and each patient's read audited) once per visit of the page and after a
# recorded visit, not on every rerun.
tables = ui.cached("fu_tables", lambda: facade.followup_tables(store, who, ui.now()), today)
table = ui.cached(
    "fu_list", lambda: facade.followup_list(store, who, ui.now(), lang=lang, tables=tables), today, lang
)
COLS = ["patient_id", "name", "village", "program", "status", "last_visit", "due_date", "days_overdue", "risk",
        "reason"]  # fmt: skip

# program names in the page's language, as the schedule itself gives them
program_name = dict(zip(table["program"], table[f"program_{'en' if lang == 'en' else 'zh'}"], strict=True))


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows as the user reads them: status and program in the page's language."""
    out = frame.copy()
    out["status"] = [tr(f"status_{s}") for s in out["status"]]
    out["program"] = [program_name.get(p, p) for p in out["program"]]
    return out


week_end = today + timedelta(days=6 - today.weekday())
due = pd.to_datetime(table["due_date"]).dt.date
overdue = table[table["days_overdue"] > 0]
this_week = table[(table["days_overdue"] <= 0) & (due <= week_end)]

st.subheader(f"{tr('overdue')} ({len(overdue)})")
st.dataframe(_shown(overdue[COLS]), hide_index=True, width="stretch", key="fu_overdue")
st.subheader(f"{tr('due_this_week')} ({len(this_week)})")
if this_week.empty:
    st.info(tr("nothing_due"))
else:
    st.dataframe(_shown(this_week[COLS]), hide_index=True, width="stretch", key="fu_week")
with st.expander(f"{tr('all_tasks')} ({len(table)})"):
    st.dataframe(_shown(table[COLS]), hide_index=True, width="stretch")


def _save_visit() -> None:
    """The form's callback: record the visit before the page reruns, so the lists above and the
    patient's new status are computed once, from the store as it now is."""
    ss = st.session_state
    pid = ss.get("fu_patient")
    visit = {
        "patient_id": pid, "date": (ss.get("fu_date") or ui.today()).isoformat(), "program": ss.get("fu_program"),
        "systolic_bp": ss.get("fu_sbp"), "diastolic_bp": ss.get("fu_dbp"), "heart_rate": ss.get("fu_hr"),
        "fasting_glucose_mmol_l": ss.get("fu_glucose"), "danger_signs": ss.get("fu_danger", ""),
        "adverse_reaction": int(bool(ss.get("fu_adverse"))), "new_complication": int(bool(ss.get("fu_complication"))),
        "referred": int(bool(ss.get("fu_referred"))),
    }  # fmt: skip
    try:
        facade.record_visit(store, who, visit, ui.now())
    except (facade.InputError, PermissionError, KeyError) as exc:
        ss["fu_result"] = ("error", pid, str(exc))
    else:
        ui.forget("fu_")
        ss["fu_result"] = ("saved", pid, "")


if who.role in ("village_doctor", "admin") and len(table):
    st.subheader(tr("record_visit"))
    labels = {pid: f"{pid} {name}" for pid, name in zip(table["patient_id"], table["name"], strict=True)}
    pid = st.selectbox(tr("patient"), list(labels), format_func=lambda p: labels.get(p, p), key="fu_patient")
    current = table[table["patient_id"] == pid]
    programs = sorted(current["program"].unique())
    with st.container(key="fu_current"):  # where the chosen patient stands now
        for _, task in current.iterrows():
            st.caption(f"{pid} · {program_name.get(task['program'], task['program'])}: "
                       f"{tr('status_' + task['status'])} · {tr('last_visit')} "
                       f"{str(task['last_visit'] or '-')[:10]} · {tr('due_date')} {task['due_date']}")  # fmt: skip
    with st.form("fu_visit"):
        st.selectbox(tr("program"), programs, format_func=lambda p: program_name.get(p, p), key="fu_program")
        c1, c2, c3, c4 = st.columns(4)
        c1.date_input(tr("visit_date"), value=today, max_value=today, key="fu_date")
        c2.number_input(tr("systolic_bp"), value=None, step=1.0, key="fu_sbp")
        c3.number_input(tr("diastolic_bp"), value=None, step=1.0, key="fu_dbp")
        c4.number_input(tr("heart_rate"), value=None, step=1.0, key="fu_hr")
        c1.number_input(tr("fasting_glucose"), value=None, step=0.1, key="fu_glucose")
        c2.text_input(tr("danger_signs"), key="fu_danger")
        c3.checkbox(tr("adverse_reaction"), key="fu_adverse")
        c4.checkbox(tr("new_complication"), key="fu_complication")
        c4.checkbox(tr("referred"), key="fu_referred")
        st.form_submit_button(tr("save_visit"), on_click=_save_visit, key="fu_save")
    result = st.session_state.pop("fu_result", None)
    if result is not None:
        kind, saved_pid, message = result
        if kind == "error":
            st.error(message)
        else:
            after = table[table["patient_id"] == saved_pid]
            with st.container(key="fu_after"):
                st.success(tr("visit_saved"))
                st.table(_shown(after[["program", "status", "last_visit", "due_date", "reason"]]), hide_index=True)
