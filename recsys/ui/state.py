"""Session state the pages share: page-private keys, the dataset in use, per-user metrics between pages.

Everything a page remembers lives in ``st.session_state`` under a key made by :func:`key`, so two pages
never overwrite each other's widgets. The dataset in use is not session state alone: it is the sidebar's
dataset picker (:func:`recsys.ui.sidebar.dataset_picker`, drawn from ``app.py`` on every page), bound to
the URL's ``?dataset=<folder name>``, so a reload, a bookmark or a link sent to a colleague opens the
same dataset. :func:`current_dataset` reads it; :func:`set_dataset` changes it from the next run on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from recsys.app import workspace
from recsys.errors import ConfigError

__all__ = [
    "DATASET_PARAM",
    "current_dataset",
    "dataset_name",
    "default_dataset",
    "key",
    "per_user_metrics",
    "pending_dataset",
    "set_dataset",
    "store_per_user_metrics",
]

DATASET_PARAM = "dataset"
"""The URL query parameter naming the dataset in use, and the key of the sidebar picker bound to it."""

PENDING_KEY = "app.pending_dataset"
"""Session-state key of a dataset chosen by a button: the picker takes it over on the next run (a
widget's value can only be set before the widget is drawn)."""

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


def dataset_name() -> str:
    """The name of the dataset in use: the sidebar picker's value (``?dataset=`` in the URL), else the
    default (:func:`default_dataset`).

    A name that is not a valid dataset name (typed into the URL by hand) is never used: the default is.

    Returns
    -------
    str
        A folder name under the data root.
    """
    for chosen in (st.session_state.get(DATASET_PARAM), st.query_params.get(DATASET_PARAM)):
        if chosen:
            try:
                return workspace.check_name(str(chosen), "dataset")
            except ConfigError:
                continue
    return default_dataset()


def default_dataset() -> str:
    """The dataset used when none is chosen: the demo when it is there (or nothing is), else the first
    dataset folder of the data root."""
    names = [info.name for info in workspace.list_datasets()]
    if not names or workspace.DEMO_NAME in names:
        return workspace.DEMO_NAME
    return names[0]


def current_dataset() -> Path:
    """The raw dataset folder in use (``<data root>/<name>``, :func:`dataset_name`).

    Returns
    -------
    pathlib.Path
        A folder under the data root (it may not exist yet: the demo before it is generated).
    """
    return workspace.dataset_folder(dataset_name())


def set_dataset(folder: str | Path) -> None:
    """Use the dataset ``folder`` (a raw folder or a name) on every page from the next run on.

    The sidebar picker, bound to the URL, takes the value over before it is drawn; call ``st.rerun()``
    after this so the page shows the new dataset at once.

    Parameters
    ----------
    folder : str or pathlib.Path
        The raw dataset folder, or its name.
    """
    st.session_state[PENDING_KEY] = workspace.check_name(Path(folder).name, "dataset")


def pending_dataset() -> str | None:
    """Take the dataset :func:`set_dataset` chose (``None`` when there is none); it is then forgotten."""
    return st.session_state.pop(PENDING_KEY, None)


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
