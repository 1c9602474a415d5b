"""The Data page's composite sections: the signal check card, the cleaning report, and the
overlap-against-NDCG scatter (which may evaluate a saved model on request)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from recsys.app import charts, workspace
from recsys.app.evaluation_report import SAMPLE_USERS, evaluable_models, evaluate_saved, split_users
from recsys.app.exploration import (
    Overview,
    action_totals,
    cleaning_table,
    overlap_vs_metric,
    prepared_flagged_csv,
    prepared_rejected_csv,
    removed_by_rule,
    sanity_table,
)
from recsys.app.formatting import escape_markdown
from recsys.app.versions import file_version
from recsys.data.prepared import Prepared
from recsys.evaluation.diagnostics import Diagnosis
from recsys.ui.cache import cached, cached_diagnosis, model_table
from recsys.ui.state import key, per_user_metrics, store_per_user_metrics

__all__ = [
    "cleaning_report", "overlap_vs_ndcg_section", "sanity_banner", "sanity_section", "signal_check_card",
]

PAGE = "data"

# verdict -> (how to show it, icon, sentence)
_VERDICTS: dict[str, tuple[Callable[..., object], str, str]] = {
    "structured": (st.success, ":material/check_circle:", "structured — there is taste to learn"),
    "weak": (st.warning, ":material/warning:", "weak — some structure, treat model differences with care"),
    "none": (st.error, ":material/block:", "no detectable structure — differences between models are noise"),
}
_STATUS_ICONS = {
    "clear": ":green[:material/check_circle:]",
    "detected": ":orange[:material/check:]",
    "not detected": ":red[:material/cancel:]",
    "unavailable": ":gray[:material/remove:]",
}


def signal_check_card(prepared: Prepared) -> Diagnosis:
    """The signal card: the diagnostics' verdict, each check's meaning, and small charts.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data in use.

    Returns
    -------
    recsys.evaluation.diagnostics.Diagnosis
    """
    with st.spinner("Checking the data for learnable structure..."):
        diagnosis = cached_diagnosis(prepared)
    show, icon, text = _VERDICTS.get(diagnosis.verdict, (st.info, ":material/help:", diagnosis.verdict))
    with st.container(border=True):
        show(f"**Signal check: {text}**", icon=icon)
        for check in diagnosis.reasons:
            low, high = check.effect_ci
            st.markdown(
                f"{_STATUS_ICONS.get(check.status, '')} **{check.name.replace('_', ' ')}** ({check.status}): "
                f"{check.meaning}; effect {check.effect:+.3f} (95% CI {low:+.3f} to {high:+.3f})"
            )
        drawn = [c for c in diagnosis.reasons if c.name in charts.SIGNAL_CHARTS and c.tables]
        for column, check in zip(st.columns(max(len(drawn), 1)), drawn, strict=False):
            figure = charts.SIGNAL_CHARTS[check.name](check)
            column.plotly_chart(figure, key=key(PAGE, f"signal_{check.name}"))
    return diagnosis


def cleaning_report(prepared: Prepared, overview: Overview) -> None:
    """The cleaning report: input/kept/removed/repaired counts, rows per rule, rejected rows download.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data in use (its rejected rows are offered for download).
    overview : recsys.app.exploration.Overview
        Its overview (the prepare report).
    """
    report = overview.report
    table = cleaning_table(report)
    totals = action_totals(table)
    cols = st.columns(4)
    cols[0].metric("Input rows", f"{int(report.get('input_rows', 0)):,}")
    cols[1].metric("Kept", f"{int(report.get('kept_rows', 0)):,}")
    cols[2].metric("Removed", f"{totals['removed']:,}")
    cols[3].metric("Repaired", f"{totals['repaired']:,}",
                   help="kept after a fix (e.g. user id taken from the session)")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.rejected_chart(removed_by_rule(table)), key=key(PAGE, "rejected_chart"))
    right.dataframe(table, hide_index=True, key=key(PAGE, "cleaning_table"))
    n_rejected = len(prepared.rejected)
    right.download_button(
        f"Download the {n_rejected:,} rejected rows (CSV)",
        # made when clicked (1.6 M rejected rows are 100 MB of CSV: 40 s per first render otherwise)
        data=partial(prepared_rejected_csv, prepared),
        file_name=f"{prepared.folder.name}-rejected.csv",
        mime="text/csv",
        key=key(PAGE, "rejected_download"),
        disabled=n_rejected == 0,
        icon=":material/download:",
    )


def sanity_banner(report: dict) -> None:
    """One warning per odd finding of the data sanity checks, at the top of the page (none when clean)."""
    warnings = (report.get("sanity") or {}).get("warnings") or []
    if warnings:
        # The sentences quote ids from the data: escaped, so a crafted id cannot become a link or markup.
        text = " · ".join(escape_markdown(w) for w in warnings)
        st.warning(f"**Data sanity:** {text} — see the *Data sanity* tab.", icon=":material/warning:")


def sanity_section(prepared: Prepared, overview: Overview) -> None:
    """The data sanity section: each check with its count, the plausible time window, and the flagged
    rows (repeated ids dropped, unknown users and odd times kept) to download.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data in use (its flagged rows are offered for download).
    overview : recsys.app.exploration.Overview
        Its overview (the prepare report).
    """
    report = overview.report
    table = sanity_table(report)
    if table.empty:
        st.info("This dataset was prepared before the sanity checks existed: prepare it again to see them.",
                icon=":material/info:")
        return
    sanity = report.get("sanity") or {}
    start, end = (sanity.get("timestamp_window") or [None, None])[:2]
    if table["rows"].sum() == 0:
        st.success("Nothing odd found: no repeated ids, no events of unknown users, every event dated "
                   f"between {str(start)[:10]} and {str(end)[:10]}.", icon=":material/check_circle:")
    for warning in sanity.get("warnings") or []:
        st.warning(escape_markdown(warning), icon=":material/warning:")
    st.dataframe(table, hide_index=True, key=key(PAGE, "sanity_table"))
    st.caption(f"Plausible listening time: {str(start)[:10]} to {str(end)[:10]}. Repeated ids keep their "
               "first line; the other flagged rows are kept in the data and listed here.")
    st.download_button(
        f"Download the {int(table['rows'].sum()):,} flagged rows (CSV)",
        data=partial(prepared_flagged_csv, prepared),  # made when clicked, like the rejected rows
        file_name=f"{prepared.folder.name}-flagged.csv",
        mime="text/csv",
        key=key(PAGE, "flagged_download"),
        disabled=int(table["rows"].sum()) == 0,
        icon=":material/download:",
    )


def overlap_vs_ndcg_section(
    page: str, prepared: Prepared, user_overlap: pd.DataFrame, metric: str = "ndcg@10"
) -> None:
    """The overlap-vs-NDCG scatter: from per-user metrics the Evaluate page stored this session, or by
    evaluating a saved model here on request.

    Parameters
    ----------
    page : str
        The calling page's short name (prefixes the widget keys).
    prepared : recsys.data.prepared.Prepared
        The data in use.
    user_overlap : pandas.DataFrame
        :func:`recsys.app.exploration.user_overlap` of its train and validation splits.
    metric : str
        The per-user metric on the vertical axis.
    """
    fingerprint = str(prepared.fingerprint)
    tables = per_user_metrics(fingerprint)
    options = sorted(set(tables) | set(evaluable_models(model_table(fingerprint), matching_only=True)))
    if not options:
        st.info("Train a model on this dataset (Train page) to compare each user's overlap with its NDCG.",
                icon=":material/info:")
        return
    choice = st.selectbox("Model", options, key=key(page, "overlap_model"))
    if choice not in tables:
        path = workspace.model_path(choice)
        if not st.button(f"Evaluate {choice} on the validation split", key=key(page, "overlap_eval")):
            return
        with st.spinner(f"Evaluating {choice}..."):
            # The Evaluate page's evaluation of saved models: validation split, all tracks, threshold 1, on
            # its seeded sample of users on a large release (every user there takes a minute)
            sample = SAMPLE_USERS if cached(split_users, prepared, "val") > SAMPLE_USERS else None
            evaluations = cached(evaluate_saved, prepared, (str(path),), (file_version(path),), "val", (10,),
                                 1.0, False, sample)
            tables[choice] = evaluations[choice].per_user
        store_per_user_metrics(choice, fingerprint, tables[choice])
    joined = overlap_vs_metric(user_overlap, tables[choice], metric)
    st.plotly_chart(charts.overlap_vs_metric_chart(joined, metric, choice), key=key(page, "overlap_vs"))
