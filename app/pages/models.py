"""Models: each installed pack's card, version, metrics, intended use and limitations."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import facade, ui

ui.require("models")
tr = ui.tr
st.header(tr("page_models"))
cards = ui.cached("models_cards", facade.model_cards)  # each pack's sha256 is checked once per visit
if not cards:
    st.info(tr("no_models"))
for card in cards:
    st.subheader(card["name"])
    if "problem" in card:
        st.error(card["problem"])
        continue
    st.markdown(f"{tr('version')}: **{card['version']}** · {tr('created')}: {card['created']} · "
                f"sha256 `{card['sha256'][:16]}…`")  # fmt: skip
    if card["metrics"]:
        st.caption(tr("metrics"))
        st.dataframe(pd.DataFrame([card["metrics"]]), hide_index=True)
    with st.expander(f"{card['name']}: model card", expanded=len(cards) == 1):
        st.markdown(card["card"])
