"""Session state the pages share: page-private keys, the dataset in use, per-user metrics between pages.

Everything a page remembers lives in ``st.session_state`` under a key made by :func:`key`, so two pages
never overwrite each other's widgets; the two values that *are* shared between pages (the dataset in
use, and per-user metric tables the Evaluate page computed for the Data page) have their own functions.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from recsys.app import workspace

__all__ = ["current_dataset", "key", "per_user_metrics", "set_dataset", "store_per_user_metrics"]

DATASET_KEY = "app.dataset"
"""Session-state key of the raw dataset folder in use (a string; absent until one is chosen)."""

PER_USER_KEY = "shared.per_user_metrics"
"""Session-state key of the per-user metric tables: ``(model, fingerprint) -> table``."""


def key(page: str, name: str) -> str:
    """A session-state / widget key private to one page.

    Parameters
    ----------
    page : str
        Short page name (``"home"``, ``"data"``, ``"train"``...).
    name : str
        The value's name within the page.

    Returns
    -------
    str
        ``"<page>.<name>"``, so two pages never overwrite each other's state.
    """
    return f"{page}.{name}"


def current_dataset() -> Path:
    """The raw dataset folder in use this session (the demo data until another is chosen).

    Returns
    -------
    pathlib.Path
        A folder under the data root, or wherever :func:`set_dataset` pointed.
    """
    chosen = st.session_state.get(DATASET_KEY)
    return Path(chosen) if chosen else workspace.dataset_folder(workspace.DEMO_NAME)


def set_dataset(folder: str | Path) -> None:
    """Use ``folder`` (a raw dataset folder) on every page from now on.

    Parameters
    ----------
    folder : str or pathlib.Path
        The raw dataset folder.
    """
    st.session_state[DATASET_KEY] = str(folder)


def store_per_user_metrics(model: str, fingerprint: str, per_user: pd.DataFrame) -> None:
    """Remember a model's per-user metric table (the Evaluate page calls this) for the Data page.

    Parameters
    ----------
    model : str
        The saved model's name.
    fingerprint : str
        The fingerprint of the data it was evaluated on.
    per_user : pandas.DataFrame
        :attr:`recsys.evaluation.evaluate.Evaluation.per_user`.
    """
    st.session_state.setdefault(PER_USER_KEY, {})[(model, fingerprint)] = per_user


def per_user_metrics(fingerprint: str) -> dict[str, pd.DataFrame]:
    """Per-user metric tables stored this session for the data ``fingerprint``.

    Parameters
    ----------
    fingerprint : str
        The data's fingerprint: tables of other data are left out.

    Returns
    -------
    dict of str to pandas.DataFrame
        Model name -> its per-user table.
    """
    stored = st.session_state.get(PER_USER_KEY, {})
    return {model: table for (model, fp), table in stored.items() if fp == fingerprint}
