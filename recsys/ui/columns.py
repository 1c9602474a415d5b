"""Column labels for ``st.dataframe``: the evaluation's names (``ndcg_min@10``, ``n_relevant``) shown in
plain words (:func:`recsys.app.formatting.metric_label`), numbers to three decimals, shares as bars."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from recsys.app.formatting import metric_label

__all__ = ["labelled_columns", "per_user_columns"]

_SHARES = ("overlap_share", "zero_recall", "coverage", "diversity")


def labelled_columns(
    table: pd.DataFrame, *, hidden: Iterable[str] = (), help: dict[str, str] | None = None
) -> dict[str, ColumnConfig | None]:
    """Column settings giving every column of ``table`` a plain label.

    Parameters
    ----------
    table : pandas.DataFrame
        An evaluation table (per-user metrics, group protocol, beyond accuracy...).
    hidden : iterable of str
        Columns not to show.
    help : dict of str to str, optional
        Column -> tooltip.

    Returns
    -------
    dict
        Column name -> ``st.column_config`` column (``None`` hides it).
    """
    tips = help or {}
    out: dict[str, ColumnConfig | None] = {}
    for column in table.columns:
        label = metric_label(column)
        tip = tips.get(column)
        if column in set(hidden):
            out[column] = None
        elif column == "overlap_share":
            out[column] = st.column_config.ProgressColumn(label, min_value=0.0, max_value=1.0,
                                                          format="percent", help=tip)
        elif column == "user_id" or not pd.api.types.is_numeric_dtype(table[column]):
            out[column] = st.column_config.TextColumn(label, help=tip) if column != "user_id" else (
                st.column_config.Column(label, help=tip))
        elif pd.api.types.is_integer_dtype(table[column]):
            out[column] = st.column_config.NumberColumn(label, format="localized", help=tip)
        elif column.split("@")[0] in _SHARES:
            out[column] = st.column_config.NumberColumn(label, format="percent", help=tip)
        else:
            out[column] = st.column_config.NumberColumn(label, format="%.3f", help=tip)
    return out


def per_user_columns(table: pd.DataFrame) -> dict[str, ColumnConfig | None]:
    """:func:`labelled_columns` of the Evaluate page's per-user table.

    The validation-track count is hidden where it equals the relevant-track count in every row (it
    does at a relevance threshold of 1: two columns with the same numbers only confuse).
    """
    hidden = []
    if {"n_relevant", "val_tracks"} <= set(table.columns) and (
        table["n_relevant"].fillna(-1).to_numpy() == table["val_tracks"].fillna(-1).to_numpy()
    ).all():
        hidden.append("val_tracks")
    return labelled_columns(table, hidden=hidden, help={
        "n_relevant": "Tracks the user played in the evaluated split at or above the relevance threshold",
        "overlap_share": "Share of the user's validation tracks they had already heard in training",
        "seen_in_train": "Validation tracks already heard in training",
    })
