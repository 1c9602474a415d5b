"""A group's recommended list, typed: what :meth:`Recommender.recommend` returns.

Callers read the arrays (tracks, group scores, each member's normalised score and own rank) and the
members' statuses directly; :meth:`GroupRecommendation.to_frame` lays them out as one table, only for
display and export.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recsys.errors import UnknownUserError

__all__ = ["GroupRecommendation"]


@dataclass(frozen=True, eq=False)
class GroupRecommendation:
    """One group's list of tracks, best first, with how each member sees each track.

    ``eq=False``: instances compare by identity (element-wise array equality has no single truth
    value); compare two lists with :meth:`to_frame` or their arrays.

    Attributes
    ----------
    track_ids : numpy.ndarray
        ``(n,)`` original track ids, best first (fewer than asked only when fewer tracks are candidates).
    scores : numpy.ndarray
        ``float64`` ``(n,)`` the group's aggregated score of each track (see
        :func:`recsys.models.group.aggregate`).
    member_ids : list
        The members, in the order asked.
    member_scores : numpy.ndarray
        ``float64`` ``(m, n)`` each member's normalised score (``[0, 1]``) of each listed track.
    member_ranks : numpy.ndarray
        ``int64`` ``(m, n)`` 1-based rank of each listed track in that member's own list.
    statuses : dict
        Member id -> ``"trained"``, ``"folded_in"`` or ``"fallback"`` (see
        :class:`~recsys.models.base.MemberScores`).
    strategy : str
        The aggregation strategy used.
    details : dict
        Strategy-specific per-track arrays (``vetoed``, ``for_member``, ``gain``), as
        :class:`~recsys.models.group.GroupResult` gives them.
    weights : numpy.ndarray or None
        ``(m,)`` the member weights the list was made with, rescaled to average 1 (None: everyone
        counted the same).
    """

    track_ids: np.ndarray
    scores: np.ndarray
    member_ids: list
    member_scores: np.ndarray
    member_ranks: np.ndarray
    statuses: dict[Hashable, str]
    strategy: str = "average"
    details: dict[str, np.ndarray] = field(default_factory=dict)
    weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        # A list whose per-member tables do not match its tracks would silently mislabel columns.
        shape = (len(self.member_ids), len(self.track_ids))
        for name in ("member_scores", "member_ranks"):
            got = np.shape(getattr(self, name))
            if got != shape:
                raise ValueError(f"{name} must be {shape} (members x tracks), got {got}")
        if len(self.scores) != len(self.track_ids):
            raise ValueError(f"scores has {len(self.scores)} values for {len(self.track_ids)} tracks")
        if self.weights is not None and len(self.weights) != len(self.member_ids):
            raise ValueError(f"weights has {len(self.weights)} values for {len(self.member_ids)} members")

    def __len__(self) -> int:
        """Number of tracks on the list."""
        return len(self.track_ids)

    @property
    def ranks(self) -> np.ndarray:
        """``int64`` ``(n,)`` the list's ranks, ``1..n``."""
        return np.arange(1, len(self.track_ids) + 1, dtype=np.int64)

    def member_index(self, user_id: Hashable) -> int:
        """Row of ``user_id`` in :attr:`member_scores` and :attr:`member_ranks`.

        Raises
        ------
        UnknownUserError
            ``user_id`` is not a member of the group.
        """
        try:
            return self.member_ids.index(user_id)
        except ValueError:
            raise UnknownUserError(f"user {user_id!r} is not a member of this group") from None

    def status_of(self, user_id: Hashable) -> str:
        """How the model knew ``user_id``: ``"trained"``, ``"folded_in"`` or ``"fallback"``.

        Raises
        ------
        UnknownUserError
            ``user_id`` is not a member of the group.
        """
        if user_id not in self.statuses:
            raise UnknownUserError(f"user {user_id!r} is not a member of this group")
        return self.statuses[user_id]

    def scores_of(self, user_id: Hashable) -> np.ndarray:
        """``(n,)`` one member's normalised score of each listed track."""
        return self.member_scores[self.member_index(user_id)]

    def ranks_of(self, user_id: Hashable) -> np.ndarray:
        """``(n,)`` the rank of each listed track in one member's own list."""
        return self.member_ranks[self.member_index(user_id)]

    def to_frame(self) -> pd.DataFrame:
        """The list as one table, for display and export.

        Returns
        -------
        pandas.DataFrame
            One row per track, best first: ``rank`` (1-based), ``track_id``, ``score``, then per member
            ``score[<user_id>]`` and ``rank[<user_id>]``. ``attrs["members"]`` maps each member id to its
            status, ``attrs["strategy"]`` names the strategy.
        """
        # Every column is gathered first and the frame built once: adding member columns one at a
        # time copies the frame each time, which is quadratic in the group's size.
        columns: dict[str, np.ndarray] = {
            "rank": self.ranks,
            "track_id": self.track_ids,
            "score": self.scores,
        }
        for k, uid in enumerate(self.member_ids):
            columns[f"score[{uid}]"] = self.member_scores[k]
            columns[f"rank[{uid}]"] = self.member_ranks[k]
        frame = pd.DataFrame(columns)
        frame.attrs["members"] = dict(self.statuses)
        frame.attrs["strategy"] = self.strategy
        return frame
