"""The cleaning report: what the preparation pipeline removed or repaired, as tables and a CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.prepared import Prepared

__all__ = [
    "CLEANING_ACTIONS",
    "action_totals",
    "cleaning_table",
    "prepared_rejected_csv",
    "rejected_by_reason",
    "rejected_csv",
    "removed_by_rule",
]

CLEANING_ACTIONS = ("removed", "repaired")
"""What a cleaning rule does to a row: drops it, or fixes it and keeps it."""


def rejected_by_reason(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per cleaning rule, most frequent first.

    Returns
    -------
    pandas.DataFrame
        Columns ``reason``, ``rows``.
    """
    if rejected is None or rejected.empty or "reason" not in rejected:
        return pd.DataFrame({"reason": pd.Series([], dtype=str), "rows": pd.Series([], dtype=np.int64)})
    counts = rejected["reason"].astype(str).value_counts()
    table = pd.DataFrame({"reason": counts.index.astype(str), "rows": counts.to_numpy(np.int64)})
    return table.sort_values(["rows", "reason"], ascending=[False, True], ignore_index=True)


def cleaning_table(report: dict) -> pd.DataFrame:
    """The prepare report's cleaning rules as a table.

    Parameters
    ----------
    report : dict
        The pipeline's report, with ``rejected`` and ``repaired`` (rule -> rows) objects.

    Returns
    -------
    pandas.DataFrame
        Columns ``rule``, ``action`` (``"removed"`` / ``"repaired"``), ``rows``; rules that touched no
        row are kept (a zero is information), removed before repaired, then by rows descending.
    """
    removed, repaired = CLEANING_ACTIONS
    parts = ((removed, report.get("rejected") or {}), (repaired, report.get("repaired") or {}))
    rows = [(str(rule), action, int(n)) for action, part in parts for rule, n in part.items()]
    table = pd.DataFrame(rows, columns=["rule", "action", "rows"]).astype({"rows": np.int64})
    table["_order"] = (table["action"] == repaired).astype(int)
    table = table.sort_values(["_order", "rows", "rule"], ascending=[True, False, True], ignore_index=True)
    return table.drop(columns="_order")


def action_totals(table: pd.DataFrame) -> dict[str, int]:
    """Rows per action of a :func:`cleaning_table`.

    Returns
    -------
    dict of str to int
        ``{"removed": n, "repaired": m}`` (0 for an action no rule took).
    """
    return {action: int(table.loc[table["action"] == action, "rows"].sum()) for action in CLEANING_ACTIONS}


def removed_by_rule(table: pd.DataFrame) -> pd.DataFrame:
    """The removing rules of a :func:`cleaning_table`, shaped like :func:`rejected_by_reason` (``reason``,
    ``rows``) for :func:`recsys.app.charts.rejected_chart`."""
    removed = table[table["action"] == CLEANING_ACTIONS[0]]
    return removed[["rule", "rows"]].rename(columns={"rule": "reason"}).reset_index(drop=True)


def rejected_csv(rejected: pd.DataFrame) -> bytes:
    """The rejected rows as UTF-8 CSV bytes (for a download button)."""
    return rejected.to_csv(index=False).encode("utf-8")


def prepared_rejected_csv(prepared: Prepared) -> bytes:
    """:func:`rejected_csv` of a prepared dataset's rejected rows (a named function, so the dashboard can
    cache the download per data version)."""
    return rejected_csv(prepared.rejected)
