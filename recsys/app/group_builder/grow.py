"""Growing the group a person is building: similar or divergent listeners added to the current members.

A person who picked two friends and clicks "Similar" wants a third listener like them, not a new group of
strangers. The suggestion follows the evaluation's own group kinds
(:func:`recsys.evaluation.groups.make_groups`: greedy on the cosine similarity of listening histories,
each pick the closest to, or farthest from, the members so far), started from the current members
instead of a random first member.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import scipy.sparse as sp

from recsys.app.group_builder.suggest import suggest_group
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.groups import GROUP_KINDS
from recsys.jsonable import to_plain

__all__ = ["MAX_GROUP_SIZE", "MIN_GROUP_SIZE", "check_group_size", "grow_group"]

MIN_GROUP_SIZE = 2
"""The smallest group the Group builder suggests."""

MAX_GROUP_SIZE = 50
"""The largest group the Group builder builds (a party, a class, an office floor): past a few members the
page shows the member cards compactly, and beyond 50 a shared list serves no one in particular."""


def check_group_size(size: int, n_users: int | None = None) -> int:
    """``size`` if a group may have that many members, else a :class:`ConfigError` saying the range.

    Parameters
    ----------
    size : int
        The size asked for.
    n_users : int, optional
        Listeners with a history in the data (a group cannot be larger).

    Returns
    -------
    int

    Raises
    ------
    ConfigError
        Outside ``MIN_GROUP_SIZE .. min(MAX_GROUP_SIZE, n_users)``, naming both.
    """
    high = MAX_GROUP_SIZE if n_users is None else min(MAX_GROUP_SIZE, int(n_users))
    if not MIN_GROUP_SIZE <= int(size) <= high:
        raise ConfigError(f"a group has {MIN_GROUP_SIZE} to {high} members; {size} is out of range")
    return int(size)


def _unit_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit length (empty rows stay empty), so products are cosine similarities."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def grow_group(
    history: Interactions,
    members: Sequence[Hashable],
    kind: str,
    *,
    size: int,
    seed: int = 0,
) -> list[Hashable]:
    """The current members followed by suggested ones, up to ``size`` members (at least one added).

    Parameters
    ----------
    history : Interactions
        Every listener's known listening.
    members : sequence
        The group so far (ids not in ``history`` are kept, but cannot guide the choice).
    kind : str
        One of :data:`recsys.evaluation.groups.GROUP_KINDS`: ``similar`` adds the listeners closest to
        the members so far, ``divergent`` the farthest, ``outlier`` close ones then one far, ``random``
        any.
    size : int
        The group size wanted; when the group already has that many, one member is added (up to
        :data:`MAX_GROUP_SIZE`).
    seed : int
        Seed of the random parts (a random draw, ties); the same seed gives the same group.

    Returns
    -------
    list
        Plain member ids: ``members`` first, in their order.

    Raises
    ------
    ConfigError
        An unknown kind, a size out of range, a full group, or too few listeners left.
    """
    if kind not in GROUP_KINDS:
        raise ConfigError(f"unknown group kind {kind!r}; choose one of {list(GROUP_KINDS)}")
    current = [to_plain(m) for m in members]
    if len(current) >= MAX_GROUP_SIZE:
        raise ConfigError(f"the group already has {len(current)} members, the most the Group builder shows "
                          f"({MAX_GROUP_SIZE}): remove one first")
    matrix = sp.csr_matrix(history.matrix)
    active = np.flatnonzero(np.diff(matrix.indptr) > 0)
    target = max(check_group_size(size, active.size), len(current) + 1)
    index = {to_plain(u): i for i, u in enumerate(history.user_ids)}
    known = [index[m] for m in current if m in index]
    if not known:
        # nobody to grow from: a fresh group of the kind, after the members that have no history
        fresh = suggest_group(history, kind, size=target - len(current), seed=seed)
        return current + [u for u in fresh if u not in current][: target - len(current)]
    rng = np.random.default_rng(seed)
    taken = np.zeros(matrix.shape[0], dtype=bool)
    taken[known] = True
    free = active[~taken[active]]
    if free.size < target - len(current):
        raise ConfigError(f"only {free.size} more listeners with a history: the group cannot reach {target}")
    unit = _unit_rows(matrix)
    # ties (and the random kind) follow a seeded order, so a new seed can give another group
    order = rng.permutation(free.size)
    candidates = free[order]
    total = np.asarray((unit[candidates] @ unit[known].T).sum(axis=1)).ravel()
    chosen: list[int] = []
    left = np.ones(candidates.size, dtype=bool)
    for step in range(target - len(current)):
        if kind == "random":
            pick = int(np.flatnonzero(left)[0])
        else:
            last = step == target - len(current) - 1
            far = kind == "divergent" or (kind == "outlier" and last)
            key = np.where(left, -total if far else total, -np.inf)
            pick = int(np.argmax(key))  # ties: the first in the seeded order
        left[pick] = False
        chosen.append(int(candidates[pick]))
        total += np.asarray((unit[candidates] @ unit[candidates[pick]].T).todense()).ravel()
    return current + [to_plain(history.user_ids[i]) for i in chosen]
