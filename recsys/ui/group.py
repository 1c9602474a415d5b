"""Streamlit views of the Group builder: member cards, the group list's columns, member weights, why a
track is on the list, and every strategy side by side."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from recsys.app.altair_charts import clicked, strategy_chart
from recsys.app.formatting import escape_markdown
from recsys.app.group_builder import (
    CARDS_UP_TO,
    MemberCard,
    StrategyComparison,
    TrackWhy,
    member_table,
    strategy_label,
)
from recsys.models.group import STRATEGY_HELP
from recsys.ui.state import key

__all__ = [
    "explanation_view",
    "member_card_view",
    "member_cards_view",
    "playlist_columns",
    "strategy_comparison_view",
    "weight_sliders",
]


def member_card_view(card: MemberCard, where: DeltaGenerator | None = None) -> None:
    """A bordered card for a member.

    Parameters
    ----------
    card : MemberCard
        From :func:`recsys.app.group_builder.member_card`.
    where : streamlit.delta_generator.DeltaGenerator, optional
        The column or container to draw in (default: the page).
    """
    # names come from the data: "L$D — A$AP Rocky" must not be typeset as maths
    box = (where or st).container(border=True)
    box.markdown(f"**{escape_markdown(card.name or 'user')}** · `{card.user_id}`"
                 + (f" · {escape_markdown(card.city)}" if card.city else ""))
    if card.favourite_genres:
        box.caption("Says they like: " + escape_markdown(", ".join(card.favourite_genres)))
    if card.n_tracks == 0:
        box.caption("No listening history.")
        return
    box.markdown("Listens to: " + ", ".join(f"{escape_markdown(g)} ({s:.0%})" for g, s in card.top_genres))
    box.markdown("Top artists: " + ", ".join(escape_markdown(a) for a, _ in card.top_artists))
    box.markdown("Top tracks: " + "; ".join(f"{escape_markdown(t)} — {escape_markdown(a)}"
                                            for t, a, _ in card.top_tracks[:3]))
    box.caption(f"{card.n_tracks:,} tracks in their history")


def member_cards_view(cards: Sequence[MemberCard | str], page: str) -> None:
    """The members: a card each for a small group, one table (a row per member) for a larger one.

    Parameters
    ----------
    cards : sequence
        From :func:`recsys.app.group_builder.member_cards`: a card, or why a member has none.
    page : str
        The page's key prefix.
    """
    found = [c for c in cards if isinstance(c, MemberCard)]
    for reason in (c for c in cards if isinstance(c, str)):
        st.error(f"No card for a member: {reason}", icon=":material/person_off:")
    if len(found) <= CARDS_UP_TO:
        columns = st.columns(max(min(len(found), 4), 1))
        for i, card in enumerate(found):
            member_card_view(card, columns[i % len(columns)])
        return
    table = member_table(found)
    st.caption(f"{len(found)} members: one row each (cards up to {CARDS_UP_TO} members); click a column "
               "header to sort.")
    st.dataframe(table, hide_index=True, key=key(page, "member_table"), column_config={
        "user_id": st.column_config.TextColumn("id", width="small"),
        "name": st.column_config.TextColumn("name"),
        "city": st.column_config.TextColumn("city", width="small"),
        "top_genres": st.column_config.TextColumn("listens to"),
        "top_artists": st.column_config.TextColumn("top artists"),
        "top_tracks": st.column_config.TextColumn("top tracks"),
        "tracks": st.column_config.NumberColumn("tracks in history", format="%d", width="small"),
    })


def playlist_columns() -> dict[str, Any]:
    """Column settings of a group list on the Group builder page (narrow rank, score and overlap).

    Returns
    -------
    dict
        Column name -> ``st.column_config`` column, for ``st.dataframe(column_config=...)``.
    """
    return {
        "rank": st.column_config.NumberColumn("#", width="small"),
        "name": st.column_config.TextColumn("track", width="medium"),
        "artist": st.column_config.TextColumn("artist", width="small"),
        "genres": st.column_config.TextColumn("genres", width="small"),
        "score": st.column_config.NumberColumn("score", format="%.3f", width="small"),
        "in_both": st.column_config.CheckboxColumn("both", width="small",
                                                   help="Also on the other model's list"),
    }


def weight_sliders(members: Sequence[Hashable], labels: Mapping[Hashable, str], page: str) -> list[float]:
    """One slider per member: how much that member counts in the group list (1 = as much as anyone).

    Parameters
    ----------
    members : sequence
        The group, in order.
    labels : mapping
        Member id -> label.
    page : str
        The page's key prefix.

    Returns
    -------
    list of float
        One weight per member, in the group's order.
    """
    cols = st.columns(min(len(members), 4))
    return [
        float(cols[i % len(cols)].slider(
            labels.get(uid, f"user {uid}"), 0.0, 3.0, 1.0, 0.25, key=key(page, f"weight.{uid}"),
            help="How much this member counts: 2 counts twice as much as 1, 0 not at all."))
        for i, uid in enumerate(members)
    ]


def explanation_view(why: TrackWhy) -> None:
    """Why one track is on the list: one line per member and a small table.

    Parameters
    ----------
    why : TrackWhy
        From :func:`recsys.app.group_builder.explain_list`.
    """
    with st.container(border=True):
        st.markdown(f"**Why “{escape_markdown(why.name)}” (#{why.rank})** · serves "
                    f"**{escape_markdown(why.best_label)}** best")
        for sentence in why.sentences:
            st.markdown(f"- {escape_markdown(sentence)}")
        st.dataframe(
            why.table[["member", "affinity", "own_rank", "because"]], hide_index=True,
            column_config={
                "member": st.column_config.TextColumn("member"),
                "affinity": st.column_config.ProgressColumn("affinity", min_value=0.0, max_value=1.0,
                                                            format="%.2f",
                                                            help="1 = this member's favourite candidate"),
                "own_rank": st.column_config.NumberColumn("their own rank",
                                                          help="Place of the track in the member's own list"),
                "because": st.column_config.TextColumn("tracks of theirs behind it"),
            })


def strategy_comparison_view(comparison: StrategyComparison, page: str) -> str:
    """Every strategy side by side: a chart to click, the figures table, the clicked strategy's list.

    Parameters
    ----------
    comparison : StrategyComparison
        From :func:`recsys.app.group_builder.compare_strategies`.
    page : str
        The page's key prefix.

    Returns
    -------
    str
        The strategy selected (clicked in the chart; the first one until a click).
    """
    chosen_key = key(page, "strategies.chosen")
    strategies = comparison.summary["strategy"].tolist()
    current = st.session_state.get(chosen_key)
    current = current if current in strategies else strategies[0]
    event = st.altair_chart(strategy_chart(comparison.summary, current), on_select="rerun",
                            key=key(page, "strategies.chart"), width="stretch")
    picked = clicked(getattr(event, "selection", None), "strategy", "strategy")
    if picked and picked[0] in strategies and picked[0] != current:
        current = picked[0]
    st.session_state[chosen_key] = current
    table = comparison.summary.rename(columns={
        "label": "strategy name", "least_satisfied": "least satisfied member", "min_max": "worst over best",
        "novelty": "novelty (bits)", "heldout_hits": "played later", "weighted": "uses weights",
        "help": "how it works"})
    st.dataframe(table.drop(columns="strategy").style.apply(
        lambda row: ["font-weight: 700; background-color: rgba(255, 176, 0, 0.28)"
                     if row["strategy name"] == strategy_label(current) else ""] * len(row), axis=1)
        .format({"least satisfied member": "{:.3f}", "worst over best": "{:.3f}", "novelty (bits)": "{:.2f}",
                 "played later": "{:.0f}"}, na_rep=""), hide_index=True, key=key(page, "strategies.table"))
    st.caption("least satisfied member: the lowest of the members' average affinity over the list · "
               "worst over best: that lowest divided by the highest · novelty: how rarely the tracks "
               "were played (higher is rarer) · played later: list tracks the members played in the "
               "test period (members the model was trained on only)")
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{strategy_label(current)}**: {STRATEGY_HELP.get(current, '')}")
        st.dataframe(comparison.lists[current][["rank", "name", "artist", "score"]], hide_index=True,
                     key=key(page, "strategies.list"),
                     column_config={"score": st.column_config.NumberColumn("group score", format="%.3f")})
    with right:
        st.markdown("**Tracks each two lists share**")
        st.dataframe(comparison.overlap, key=key(page, "strategies.overlap"))
        st.markdown("**Later plays per member** (blank: not trained on)")
        st.dataframe(comparison.hits, key=key(page, "strategies.hits"))
    return current
