"""Streamlit views of the Group builder: member cards and the group list's columns."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from recsys.app.group_builder import MemberCard

__all__ = ["member_card_view", "playlist_columns"]


def member_card_view(card: MemberCard, where: DeltaGenerator | None = None) -> None:
    """A bordered card for a member.

    Parameters
    ----------
    card : MemberCard
        From :func:`recsys.app.group_builder.member_card`.
    where : streamlit.delta_generator.DeltaGenerator, optional
        The column or container to draw in (default: the page).
    """
    box = (where or st).container(border=True)
    box.markdown(f"**{card.name or 'user'}** · `{card.user_id}`" + (f" · {card.city}" if card.city else ""))
    if card.favourite_genres:
        box.caption("Says they like: " + ", ".join(card.favourite_genres))
    if card.n_tracks == 0:
        box.caption("No listening history.")
        return
    box.markdown("Listens to: " + ", ".join(f"{g} ({s:.0%})" for g, s in card.top_genres))
    box.markdown("Top artists: " + ", ".join(a for a, _ in card.top_artists))
    box.markdown("Top tracks: " + "; ".join(f"{t} — {a}" for t, a, _ in card.top_tracks[:3]))
    box.caption(f"{card.n_tracks:,} tracks in their history")


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
