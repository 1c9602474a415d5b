"""The Evaluate page's linked views: the per-user chart (brush to filter the table, click a user to open
them) and the group-kinds study."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import pandas as pd
import streamlit as st

from recsys.app.altair_charts import brush_bounds, clicked, group_study_chart, per_user_chart, users_in_range
from recsys.app.evaluation_report import (
    SAMPLE_USERS,
    UserDetail,
    group_study_of_saved,
    metric_long,
    split_users,
    study_table,
    user_detail,
)
from recsys.app.group_builder import strategy_label
from recsys.data.prepared import Prepared
from recsys.evaluation.evaluate import Evaluation
from recsys.evaluation.group_lists import PROTOCOLS
from recsys.evaluation.group_study import STUDY_SIZES
from recsys.evaluation.groups import GROUP_KINDS
from recsys.models.group import STRATEGIES
from recsys.ui.cache import cached, load_model
from recsys.ui.feedback import show_error
from recsys.ui.state import key

__all__ = [
    "evaluation_sample", "group_study_section", "per_user_chart_view", "sample_note", "user_detail_view",
]

PAGE = "evaluate"
_STUDY_DEFAULT = ("average", "least_misery", "gfar", "epfuzzda")
_PROTOCOL_WORDS = {"coupled": "played later", "decoupled": "own list"}
_PROTOCOL_HELP = ("played later: a member's relevant tracks are the ones they played in the held-out split; "
                  "own list: the ones their own list would have held, so only what sharing a list costs "
                  "them is measured")


def evaluation_sample(page: str, prepared: Prepared, split: str) -> tuple[int | None, int]:
    """How many users to evaluate: a seeded sample of :data:`~recsys.app.evaluation_report.SAMPLE_USERS`
    on a large release unless the person asks for every user (a toggle, drawn only then).

    Parameters
    ----------
    page : str
        The calling page's short name (prefixes the toggle's key).
    prepared : recsys.data.prepared.Prepared
        The data in use.
    split : {"val", "test"}
        The split evaluated on.

    Returns
    -------
    tuple
        ``(sample, users)``: the sample size to pass to the evaluation (None: every user) and the
        split's users.
    """
    users = int(cached(split_users, prepared, split))
    if users <= SAMPLE_USERS:
        return None, users
    everyone = st.toggle(f"Evaluate all {users:,} users", key=key(page, "all_users"),
                         help=f"A seeded sample of {SAMPLE_USERS:,} users is evaluated by default: "
                              "every user takes about a minute per model at this size. The intervals show "
                              "how close the sample's means are.")
    return (None if everyone else SAMPLE_USERS), users


def sample_note(sample: int | None, users: int) -> str:
    """The sentence saying which users the figures are over (empty when every user is evaluated)."""
    if sample is None:
        return ""
    return (f" Figures are over a seeded sample of {sample:,} of the {users:,} users (the same users for "
            "every model); switch on *Evaluate all users* for every one.")


def per_user_chart_view(
    evaluations: Mapping[str, Evaluation], metric: str
) -> tuple[set | None, Hashable | None]:
    """The per-user chart: a brush picks a range of values, a click picks a user.

    Parameters
    ----------
    evaluations : mapping
        Model name -> its evaluation.
    metric : str
        The metric drawn (e.g. ``"ndcg@10"``).

    Returns
    -------
    tuple
        The users inside the brushed range (None without a brush) and the clicked user (None without
        a click).
    """
    long = metric_long(evaluations, metric)
    event = st.altair_chart(per_user_chart(long, metric), on_select="rerun", key=key(PAGE, "user_chart"),
                            width="stretch")
    selection = getattr(event, "selection", None)
    users = clicked(selection, "user", "user_id")
    return users_in_range(long, brush_bounds(selection)), (users[0] if users else None)


def user_detail_view(prepared: Prepared, names: Sequence[str], user_id: Hashable, *, split: str, n: int,
                     exclude_seen: bool) -> UserDetail | None:
    """One user opened: their history, their held-out tracks and each model's list for them.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data.
    names : sequence of str
        The models shown.
    user_id : hashable
        The user.
    split : str
        The evaluated split.
    n : int
        Tracks per list.
    exclude_seen : bool
        The discovery regime.

    Returns
    -------
    UserDetail or None
        None when the user could not be opened (the error is shown).
    """
    with show_error(f"Could not open user {user_id}"):
        detail = user_detail(prepared, {name: load_model(name) for name in names}, user_id, split=split,
                             n=n, exclude_seen=exclude_seen)
        with st.container(border=True):
            st.markdown(f"**User {detail.user_id}**")
            history_col, later_col, *list_cols = st.columns(2 + len(detail.recommendations))
            history_col.markdown("Listened to (training)")
            history_col.dataframe(detail.history, hide_index=True, key=key(PAGE, "user.history"))
            later_col.markdown(f"Played later ({'validation' if split == 'val' else 'test'})")
            later_col.dataframe(detail.heldout, hide_index=True, key=key(PAGE, "user.later"))
            for col, (name, table) in zip(list_cols, detail.recommendations.items(), strict=True):
                col.markdown(f"{name} recommends")
                col.dataframe(table, hide_index=True, key=key(PAGE, f"user.list.{name}"),
                              column_config={"held_out": st.column_config.CheckboxColumn(
                                  "played later", help="The user played this track in the evaluated split")})
        return detail
    return None


def group_study_section(prepared: Prepared, paths: tuple[str, ...], versions: tuple[int, ...], *, split: str,
                        k: int, threshold: float, exclude_seen: bool) -> pd.DataFrame | None:
    """The group-kinds study: settings, a chart of min-NDCG and zero-recall with 95% intervals, a table.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data.
    paths, versions : tuple
        The chosen model files and their versions (the cache key).
    split, k, threshold, exclude_seen
        The page's evaluation settings.

    Returns
    -------
    pandas.DataFrame or None
        The study's table once run.
    """
    st.markdown("#### Group kinds study")
    st.caption("Random, similar, divergent and one-outlier groups of each size: how the worst-served "
               "member fares and how many members find nothing relevant, per strategy and model.")
    strat_col, size_col, n_col, protocol_col = st.columns([3, 2, 1, 1.4])
    strategies = strat_col.multiselect("Strategies", STRATEGIES, default=list(_STUDY_DEFAULT),
                                       format_func=strategy_label, key=key(PAGE, "study.strategies"))
    sizes = size_col.multiselect("Group sizes", list(STUDY_SIZES), default=list(STUDY_SIZES),
                                 key=key(PAGE, "study.sizes"))
    n_groups = n_col.number_input("Groups each", 10, 1000, 50, step=10, key=key(PAGE, "study.n"),
                                  help="Groups drawn per kind and size (the same for every strategy)")
    protocol = protocol_col.selectbox("Relevant means", PROTOCOLS, key=key(PAGE, "study.protocol"),
                                      format_func=_PROTOCOL_WORDS.get, help=_PROTOCOL_HELP)
    if not st.toggle("Run the group kinds study", key=key(PAGE, "study.run")):
        return None
    if not strategies or not sizes:
        st.info("Pick at least one strategy and one group size.", icon=":material/info:")
        return None
    with show_error("Could not run the group kinds study"), st.spinner("Drawing groups and scoring lists..."):
        study = cached(group_study_of_saved, prepared, paths, versions, split, k, threshold, exclude_seen,
                       tuple(GROUP_KINDS), tuple(sorted(int(s) for s in sizes)), tuple(strategies),
                       int(n_groups), protocol)
        st.altair_chart(group_study_chart(study), key=key(PAGE, "study.chart"))
        st.caption("Lines: mean over the groups; bars: 95% bootstrap intervals; dashes tell the models "
                   "apart. Click a strategy in the legend to highlight it.")
        st.dataframe(study_table(study), hide_index=True, key=key(PAGE, "study.table"))
        return study
    return None
