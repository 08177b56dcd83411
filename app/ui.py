"""Session helpers shared by the pages: the store, the clock, the language, who is signed in, the
role check every page makes first, and the per-visit cache of what a page read from the store.

The facade (and with it pandas, onnxruntime and the knowledge base) is imported on first use, not
here: the sign-in form is drawn before it is loaded, so the first page shows sooner.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import streamlit as st

from app.i18n import t

if TYPE_CHECKING:
    from app import facade

__all__ = [
    "PAGE_ROLES",
    "cached",
    "enter_page",
    "forget",
    "lang",
    "now",
    "percent",
    "require",
    "store",
    "today",
    "tr",
    "user",
    "warm_up",
]

T = TypeVar("T")

PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "consultation": ("village_doctor", "admin"),
    "followup": ("village_doctor", "public_health", "admin"),
    "public_health": ("public_health", "admin"),
    "models": ("village_doctor", "public_health", "admin"),
    "accounts": ("admin",),
}
"""Which roles may open each page (the navigation shows only these; each page checks again)."""

_CACHE = "_cache_"
_PAGE = "_ui_page"


def _facade() -> Any:
    from app import facade

    return facade


@st.cache_resource(show_spinner=False)
def _open_store(folder: str) -> facade.Store:
    return _facade().open_store(folder, datetime.now())  # type: ignore[no-any-return]


def store() -> facade.Store:
    """The embedded store of ``$GP_ASSISTANT_DATA`` (opened once per process, seeded on first run)."""
    return _open_store(str(_facade().data_dir().resolve()))


@st.cache_resource(show_spinner=False)
def _warm(folder: str) -> str | None:
    _open_store(folder)
    # Streamlit compiles its emoji table on the first alert box (st.success...), ~0.1 s: do it now
    # rather than on the doctor's first press of the assess button.
    with contextlib.suppress(ImportError):
        importlib.import_module("streamlit.emojis")
    return _facade().warm_up()  # type: ignore[no-any-return]


def warm_up() -> None:
    """Open (and on the first run seed) the store and load the models once per process, so that the
    first consultation does not wait for them. Call it after the page has been drawn."""
    _warm(str(_facade().data_dir().resolve()))


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


def percent(probability: float, lang: str = "zh") -> str:
    """A probability as whole percent for the screen; never "100%" or "0%", which would present a
    model's estimate as a certainty: ``＞99%`` / ``> 99%`` and ``＜1%`` / ``< 1%`` instead."""
    whole = round(float(probability) * 100)
    if whole >= 100:
        return "＞99%" if lang == "zh" else "> 99%"
    if whole <= 0:
        return "＜1%" if lang == "zh" else "< 1%"
    return f"{whole}%"


def user() -> facade.Account | None:
    who = st.session_state.get("user")
    if who is None:
        return None
    return who if isinstance(who, _facade().Account) else None


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


# ---------------------------------------------------------------------- per-visit cache
def enter_page(page: str) -> None:
    """Called before a page runs: opening another page (or the same one anew) drops what the last
    page cached, so each visit reads the store once and a rerun of the same page reads nothing."""
    if st.session_state.get(_PAGE) != page:
        forget()
        st.session_state[_PAGE] = page


def forget(prefix: str = "") -> None:
    """Drop the cached values whose name starts with ``prefix`` (all of them by default); call it
    after a write that changes what they show, and when someone signs in or out."""
    for key in [k for k in st.session_state if str(k).startswith(_CACHE + prefix)]:
        del st.session_state[key]


def cached(name: str, compute: Callable[[], T], *depends: Hashable) -> T:
    """``compute()`` once per page visit and per ``depends`` (the user, the language, a filter...):
    a rerun of the page with the same ``depends`` gets the stored value back."""
    key = _CACHE + name
    who = user()
    parts: tuple[Any, ...] = (who.username if who else None, *depends)
    hit = st.session_state.get(key)
    if isinstance(hit, tuple) and len(hit) == 2 and hit[0] == parts:
        return hit[1]  # type: ignore[no-any-return]
    value = compute()
    st.session_state[key] = (parts, value)
    return value
