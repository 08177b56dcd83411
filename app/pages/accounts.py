"""Accounts (admin only): list, create, enable or disable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import facade, ui

who = ui.require("accounts")
store, tr = ui.store(), ui.tr
st.header(tr("page_accounts"))

accounts = facade.list_accounts(store, who, ui.now())
st.dataframe(pd.DataFrame([{
    tr("username"): a.username, tr("role"): tr("role_" + a.role), tr("village"): a.village,
    tr("township"): a.township, tr("display_name"): a.display_name,
} for a in accounts]), hide_index=True, width="stretch")  # fmt: skip

st.subheader(tr("new_account"))
with st.form("new_account"):
    c1, c2, c3 = st.columns(3)
    fields = {
        "username": c1.text_input(tr("username"), key="acc_username"),
        "password": c2.text_input(tr("password"), type="password", key="acc_password"),
        "role": c3.selectbox(
            tr("role"), list(facade.ROLES), format_func=lambda r: tr("role_" + r), key="acc_role"
        ),
        "village": c1.text_input(tr("village"), key="acc_village"),
        "township": c2.text_input(tr("township"), key="acc_township"),
        "display_name": c3.text_input(tr("display_name"), key="acc_display"),
    }
    if st.form_submit_button(tr("create")):
        try:
            facade.create_account(store, who, fields, ui.now())
        except (facade.InputError, PermissionError) as exc:
            st.error(str(exc))
        else:
            st.success(f"{tr('created_ok')}: {fields['username']}")

st.subheader(tr("toggle_active"))
c1, c2 = st.columns(2)
target = c1.selectbox(
    tr("username"), [a.username for a in accounts if a.username != who.username], key="acc_target"
)
active = c2.checkbox(tr("active"), value=True, key="acc_active")
if st.button(tr("toggle_active"), key="acc_toggle") and target:
    try:
        facade.set_active(store, who, target, active, ui.now())
    except (facade.InputError, PermissionError, KeyError) as exc:
        st.error(str(exc))
    else:
        st.success(f"{target}: {tr('active') if active else '-'}={active}")
