"""The Group builder's members: drawing, growing and adding them (button callbacks), keeping them in the
URL, and telling the person what happened.

Callbacks run before the page is drawn, so they cannot draw: what they have to say (a group size out of
range, a full group) is kept in the session and shown once by :func:`group_message`.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from recsys.app import group_builder as gb
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, RecsysError
from recsys.jsonable import to_plain
from recsys.ui.state import key

__all__ = [
    "MEMBERS_PARAM",
    "add_chosen",
    "add_exact_user",
    "group_message",
    "members_from_url",
    "members_to_url",
    "suggest_members",
]

MEMBERS_PARAM = "members"
"""The URL query parameter holding the group (``?members=101,205,318``), so a reload, a bookmark or a
link opens the same group."""


def _say(page: str, text: str, *, error: bool = False) -> None:
    st.session_state[key(page, "message")] = (error, text)


def group_message(page: str) -> None:
    """Show, once, what the last member callback had to say (an error in red, news in blue)."""
    found = st.session_state.pop(key(page, "message"), None)
    if found is not None:
        error, text = found
        (st.error if error else st.info)(text, icon=":material/error:" if error else ":material/group_add:")


def _next_seed(page: str) -> int:
    """The next seed of this session's draws: a random start per session (so two sessions, or a reload,
    do not all get the same "random" first group), then one more per draw (reproducible within it)."""
    seed_key = key(page, "seed")
    if seed_key not in st.session_state:
        st.session_state[seed_key] = secrets.randbits(31)
    st.session_state[seed_key] += 1
    return int(st.session_state[seed_key])


def suggest_members(page: str, members_key: str, history: Interactions, kind: str, size_key: str) -> None:
    """A suggestion button's callback: ``random`` draws a new group; ``similar``, ``divergent`` and
    ``outlier`` grow the current one (:func:`recsys.app.group_builder.grow_group`).

    Parameters
    ----------
    page : str
        The page's key prefix.
    members_key : str
        Session key of the members multiselect.
    history : Interactions
        Everyone's listening.
    kind : str
        One of :data:`recsys.app.group_builder.GROUP_KINDS`.
    size_key : str
        Session key of the group size input.
    """
    size = st.session_state.get(size_key)
    current = list(st.session_state.get(members_key, []))
    try:
        if size is None:  # the box was emptied
            raise ConfigError(f"enter a group size from {gb.MIN_GROUP_SIZE} to {gb.MAX_GROUP_SIZE}")
        active = int((np.diff(history.matrix.indptr) > 0).sum())  # listeners with a history
        wanted = gb.check_group_size(int(size), active)
        seed = _next_seed(page)
        if kind == "random" or not current:
            group = gb.suggest_group(history, kind, size=wanted, seed=seed)
        else:
            group = gb.grow_group(history, current, kind, size=wanted, seed=seed)
    except RecsysError as exc:
        _say(page, f"Could not suggest a {kind} group: {exc}", error=True)
        return
    st.session_state[members_key] = group
    added = len([m for m in group if m not in current])
    if current and kind != "random":
        _say(page, f"Added {added} {kind} listener{'s' if added != 1 else ''} to the group.")


def add_chosen(page: str, members_key: str, chosen: Sequence[Hashable]) -> None:
    """The "Add selected" button's callback: add the chosen search results, up to the largest group."""
    current = list(st.session_state.get(members_key, []))
    group = gb.add_members(current, chosen)
    if len(group) > gb.MAX_GROUP_SIZE:
        kept = group[: gb.MAX_GROUP_SIZE]
        _say(page, f"A group has at most {gb.MAX_GROUP_SIZE} members: added {len(kept) - len(current)} of "
                   f"the {len(group) - len(current)} selected.", error=True)
        group = kept
    st.session_state[members_key] = group


def add_exact_user(page: str, members_key: str, query_key: str, directory: pd.DataFrame) -> None:
    """The search box's callback: an exact user id (typed, then Enter) adds that one user."""
    uid = gb.exact_user(directory, st.session_state.get(query_key, ""))
    if uid is None:
        return
    current = list(st.session_state.get(members_key, []))
    if uid in current:
        _say(page, f"User {uid} is already in the group.")
    elif len(current) >= gb.MAX_GROUP_SIZE:
        _say(page, f"A group has at most {gb.MAX_GROUP_SIZE} members: remove one to add user {uid}.",
             error=True)
    else:
        st.session_state[members_key] = gb.add_members(current, [uid])
        _say(page, f"Added user {uid} to the group.")


def members_from_url(members_key: str, known: Mapping[Hashable, str], page: str = "group") -> None:
    """Restore the group from ``?members=`` when this session has none yet (a reload, a shared link).

    Parameters
    ----------
    members_key : str
        Session key of the members multiselect (set before it is drawn).
    known : mapping
        User id -> label of the dataset's users: ids not among them are left out.
    page : str
        The page's key prefix (where a message about a link with too many members is kept).
    """
    if members_key in st.session_state:
        return
    text = st.query_params.get(MEMBERS_PARAM)
    if not text:
        return
    by_text = {str(uid): uid for uid in known}
    found = [by_text[part.strip()] for part in str(text).split(",") if part.strip() in by_text]
    group = gb.add_members([], found)
    if len(group) > gb.MAX_GROUP_SIZE:
        _say(page, f"A group has at most {gb.MAX_GROUP_SIZE} members: the link names {len(group)}, so the "
                   f"first {gb.MAX_GROUP_SIZE} were kept.", error=True)
    st.session_state[members_key] = group[: gb.MAX_GROUP_SIZE]


def members_to_url(members: Sequence[Hashable]) -> None:
    """Write the group into the address (``?members=101,205``), or remove it for an empty group."""
    text = ",".join(str(to_plain(m)) for m in members)
    if text:
        if st.query_params.get(MEMBERS_PARAM) != text:
            st.query_params[MEMBERS_PARAM] = text
    elif MEMBERS_PARAM in st.query_params:
        del st.query_params[MEMBERS_PARAM]
