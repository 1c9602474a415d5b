"""The dashboard's pages and their navigation (``app.py`` runs :func:`navigation`)."""

from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage

__all__ = [
    "DATA_PAGE",
    "EVALUATE_PAGE",
    "GROUP_PAGE",
    "HOME_PAGE",
    "TRAIN_PAGE",
    "navigation",
]

HOME_PAGE = "pages/0_Home.py"
DATA_PAGE = "pages/1_Data.py"
TRAIN_PAGE = "pages/2_Train.py"
EVALUATE_PAGE = "pages/3_Evaluate.py"
GROUP_PAGE = "pages/4_Group_builder.py"
"""Page scripts, relative to the project root (what ``st.page_link`` and ``st.switch_page`` take)."""


def navigation() -> StreamlitPage:
    """The dashboard's pages, Home first, for ``app.py`` to run (``st.navigation``).

    Declared here rather than discovered from ``pages/`` so that the entry page is called "Home" in the
    sidebar and every page keeps a short address (``/Data``, ``/Group_builder``).

    Returns
    -------
    streamlit.navigation.page.StreamlitPage
        The page to show; ``.run()`` it.
    """
    return st.navigation([
        st.Page(HOME_PAGE, title="Home", icon=":material/home:", default=True),
        st.Page(DATA_PAGE, title="Data", icon=":material/bar_chart:", url_path="Data"),
        st.Page(TRAIN_PAGE, title="Train", icon=":material/model_training:", url_path="Train"),
        st.Page(EVALUATE_PAGE, title="Evaluate", icon=":material/analytics:", url_path="Evaluate"),
        st.Page(GROUP_PAGE, title="Group builder", icon=":material/groups:", url_path="Group_builder"),
    ])

