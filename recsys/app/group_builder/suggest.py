"""Forming the group: suggested groups (the evaluation's group kinds) and adding members by hand."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.groups import GROUP_KINDS, make_groups
from recsys.jsonable import to_plain

__all__ = ["GROUP_KINDS", "add_members", "suggest_group"]


def suggest_group(
    history: Interactions,
    kind: str = "random",
    *,
    size: int = 3,
    seed: int = 0,
    tracks: pd.DataFrame | None = None,
) -> list[Hashable]:
    """One suggested group of ``size`` users: random, similar, divergent or with one outlier.

    This is the evaluation's group protocol (:func:`recsys.evaluation.groups.make_groups`) asked for a
    single group, so the groups users build by hand are the kinds the evaluation measures.

    Parameters
    ----------
    history : Interactions
        Users' listening (the training matrix or the whole history).
    kind : str
        One of :data:`recsys.evaluation.groups.GROUP_KINDS` (``random``, ``similar``, ``divergent``,
        ``outlier``).
    size : int
        Members.
    seed : int
        Random seed; the same seed gives the same group.
    tracks : pandas.DataFrame, optional
        Unused by the protocol today; kept for kinds that look at genres.

    Returns
    -------
    list
        Member ids (plain original user ids).

    Raises
    ------
    ConfigError
        An unknown kind, or more members than users.
    """
    if kind not in GROUP_KINDS:
        raise ConfigError(f"unknown group kind {kind!r}; choose one of {list(GROUP_KINDS)}")
    if size < 1 or size > history.n_users:
        raise ConfigError(f"group size must be between 1 and {history.n_users} users, got {size}")
    # Only users with some listening can be judged similar or divergent.
    active = np.flatnonzero(np.diff(history.matrix.indptr) > 0)
    if active.size < size:
        raise ConfigError(f"a group of {size} needs {size} users with listening history, got {active.size}")
    groups = make_groups(active, 1, size, kind=kind, seed=seed, matrix=history.matrix)
    return [to_plain(u) for u in history.user_ids[np.asarray(groups[0])]]


def add_members(current: Sequence[Hashable], new: Sequence[Hashable]) -> list[Hashable]:
    """``current`` followed by the ids of ``new`` not already in it (order kept, no duplicates).

    Parameters
    ----------
    current : sequence
        The group so far.
    new : sequence
        Ids to add (numpy scalars are made plain).

    Returns
    -------
    list
        The new group.
    """
    out = [to_plain(u) for u in current]
    for uid in new:
        uid = to_plain(uid)
        if uid not in out:
            out.append(uid)
    return out
