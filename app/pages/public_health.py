"""Public health: indicators per village and doctor, control over time, follow-up lists to
CSV/XLSX (identifiers masked by default)."""

from __future__ import annotations

import streamlit as st

from app import facade, ui

who = ui.require("public_health")
store, lang, tr = ui.store(), ui.lang(), ui.tr
st.header(tr("page_public_health"))
today = ui.today()

st.subheader(tr("indicators"))
by = st.multiselect(
    tr("group_by"), ["program", "village", "doctor"], default=["program", "village"], key="ph_by"
)
table = facade.indicator_table(store, who, ui.now(), by or ["program"])
st.dataframe(table, hide_index=True, width="stretch", key="ph_indicators")

st.subheader(tr("control_over_time"))
trend = facade.control_over_time(store, who, ui.now())
if len(trend):
    st.line_chart(trend.pivot(index="month", columns="program", values="control_rate"))

st.subheader(tr("lists"))
unmask = st.checkbox(tr("unmask"), key="ph_unmask", value=False)
tasks = facade.followup_list(store, who, ui.now(), lang=lang, unmasked=unmask)
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
d1, d2 = st.columns(2)
d1.download_button(tr("download_csv"), facade.export_bytes(tasks, "csv", unmasked=unmask),
                   file_name=f"followup-{today}.csv", mime="text/csv", key="ph_csv")  # fmt: skip
d2.download_button(
    tr("download_xlsx"), facade.export_bytes(tasks, "xlsx", unmasked=unmask), file_name=f"followup-{today}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ph_xlsx",
)  # fmt: skip
