"""Public health: indicators per village and doctor, control over time, follow-up lists to
CSV/XLSX (identifiers masked by default)."""

from __future__ import annotations

import streamlit as st

from app import facade, ui

who = ui.require("public_health")
store, lang, tr = ui.store(), ui.lang(), ui.tr
st.header(tr("page_public_health"))
today = ui.today()
# The store is read (and each patient's read audited) once per visit of the page; changing a
# grouping or a filter reruns the page on the tables already read.
tables = ui.cached("ph_tables", lambda: facade.followup_tables(store, who, ui.now()), today)

st.subheader(tr("indicators"))
by = st.multiselect(
    tr("group_by"), ["program", "village", "doctor"], default=["program", "village"], key="ph_by"
)
groups = tuple(by or ["program"])
table = ui.cached(
    "ph_indicators",
    lambda: facade.indicator_table(store, who, ui.now(), groups, tables=tables),
    today,
    groups,
)
st.dataframe(table, hide_index=True, width="stretch", key="ph_indicators")

st.subheader(tr("control_over_time"))
trend = ui.cached("ph_trend", lambda: facade.control_over_time(store, who, ui.now(), tables=tables), today)
if len(trend):
    st.line_chart(trend.pivot(index="month", columns="program", values="control_rate"))

st.subheader(tr("lists"))
unmask = st.checkbox(tr("unmask"), key="ph_unmask", value=False)
tasks = ui.cached(
    "ph_list",
    lambda: facade.followup_list(store, who, ui.now(), lang=lang, unmasked=unmask, tables=tables),
    today,
    lang,
    unmask,
)
c1, c2 = st.columns(2)
status = c1.multiselect(
    tr("filter_status"), sorted(tasks["status"].unique()) if len(tasks) else [], key="ph_status"
)
villages = c2.multiselect(tr("filter_village"), sorted(tasks["village"].unique()) if len(tasks) else [],
                          key="ph_village")  # fmt: skip
if status:
    tasks = tasks[tasks["status"].isin(status)]
if villages:
    tasks = tasks[tasks["village"].isin(villages)]
st.dataframe(tasks, hide_index=True, width="stretch", key="ph_tasks")
st.caption(f"{tr('rows')}: {len(tasks)}")
d1, d2 = st.columns(2)
# the files are made when a button is pressed (not on every rerun), from the list as shown
d1.download_button(
    tr("download_csv"), lambda: facade.export_list(store, who, tasks, "csv", ui.now(), unmasked=unmask), file_name=f"followup-{today}.csv",
    mime="text/csv", key="ph_csv", on_click="ignore",
)  # fmt: skip
d2.download_button(
    tr("download_xlsx"), lambda: facade.export_list(store, who, tasks, "xlsx", ui.now(), unmasked=unmask),
    file_name=f"followup-{today}.xlsx", key="ph_xlsx", on_click="ignore",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)  # fmt: skip
