"""Session helpers shared by the pages: the store, the clock, the language, who is signed in, and
the role check every page makes first."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from app import facade
from app.i18n import t

__all__ = ["PAGE_ROLES", "lang", "now", "require", "store", "today", "tr", "user"]

PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "consultation": ("village_doctor", "admin"),
    "followup": ("village_doctor", "public_health", "admin"),
    "public_health": ("public_health", "admin"),
    "models": ("village_doctor", "public_health", "admin"),
    "accounts": ("admin",),
}
"""Which roles may open each page (the navigation shows only these; each page checks again)."""


@st.cache_resource(show_spinner=False)
def _open_store(folder: str) -> facade.Store:
    return facade.open_store(folder, datetime.now())


def store() -> facade.Store:
    """The embedded store of ``$GP_ASSISTANT_DATA`` (opened once per process, seeded on first run)."""
    return _open_store(str(facade.data_dir().resolve()))


def now() -> datetime:
    """The time passed to the facade: the clock, or ``st.session_state["clock"]`` when set (tests)."""
    fixed = st.session_state.get("clock")
    return fixed if isinstance(fixed, datetime) else datetime.now()


def today() -> date:
    return now().date()


def lang() -> str:
    return "en" if st.session_state.get("lang") == "en" else "zh"


def tr(key: str) -> str:
    return t(key, lang())


def user() -> facade.Account | None:
    who = st.session_state.get("user")
    return who if isinstance(who, facade.Account) else None


def require(page: str) -> facade.Account:
    """The signed-in account when its role may open ``page``; otherwise a message and stop."""
    who = user()
    if who is None:
        st.warning(tr("not_signed_in"))
        st.stop()
    assert who is not None
    if who.role not in PAGE_ROLES[page]:
        st.error(tr("no_permission"))
        st.stop()
    return who
