"""Entry point: ``streamlit run app/main.py`` (``gp-assistant app`` does it with safe flags).

Sign-in page until someone signs in, then the pages their role may open; language switch (Chinese
by default) in the sidebar.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

if __package__ in (None, ""):  # run as a script by streamlit: make `app` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import ui  # noqa: E402  (light: the facade is imported once the sign-in form is drawn)
from app.i18n import t  # noqa: E402

_PAGES = Path(__file__).resolve().parent / "pages"


def _login() -> None:
    st.title(ui.tr("app_title"))
    st.caption(ui.tr("offline_note"))
    with st.form("login"):
        username = st.text_input(ui.tr("username"), key="login_username")
        password = st.text_input(ui.tr("password"), type="password", key="login_password")
        submitted = st.form_submit_button(ui.tr("login"))
    if submitted:
        from app import facade

        who = facade.login(ui.store(), username.strip(), password, ui.now())
        if who is None:
            st.error(ui.tr("login_failed"))
        else:
            ui.forget()
            st.session_state["user"] = who
            st.rerun()
    ui.warm_up()  # the form is on screen: load the store and the models while the user types


def _sidebar() -> None:
    with st.sidebar:
        st.radio(
            t("language", "zh"), ["zh", "en"], key="lang", horizontal=True,
            format_func=lambda code: "中文" if code == "zh" else "English",
        )  # fmt: skip
        who = ui.user()
        if who is not None:
            st.caption(f"{ui.tr('signed_in_as')}: {who.display_name or who.username} "
                       f"({ui.tr('role_' + who.role)})")  # fmt: skip
            if st.button(ui.tr("logout"), key="logout"):
                ui.forget()
                st.session_state.pop("user", None)
                st.rerun()


def main() -> None:
    st.set_page_config(page_title=t("app_title", "zh"), layout="wide")
    _sidebar()
    who = ui.user()
    if who is None:
        nav = st.navigation([st.Page(_login, title=ui.tr("login"), url_path="login")])
    else:
        pages = [
            st.Page(str(_PAGES / f"{name}.py"), title=ui.tr(f"page_{name}"), url_path=name)
            for name, roles in ui.PAGE_ROLES.items()
            if who.role in roles
        ]
        nav = st.navigation(pages)
    ui.enter_page(nav.url_path)
    try:
        nav.run()
    except PermissionError as exc:  # the data layer refused (e.g. the account was disabled meanwhile)
        st.error(f"{ui.tr('no_permission')}: {exc}")


main()
