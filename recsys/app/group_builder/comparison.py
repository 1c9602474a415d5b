"""Two models side by side: each model's list for the same group, their overlap, who each pick serves.

A list comes from a model as a typed :class:`~recsys.models.recommendation.GroupRecommendation`; the
tables here (the enriched list, the members x tracks affinity, the members' statuses) are built from it
for display and export only.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.app.group_builder.tracks import enrich_tracks
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, UnknownUserError
from recsys.jsonable import to_plain
from recsys.models.base import Recommender
from recsys.models.recommendation import GroupRecommendation

__all__ = [
    "Comparison",
    "GroupList",
    "affinity_matrix",
    "compare_models",
    "default_pair",
    "display_table",
    "member_status_table",
    "status_text",
]

_EXPLANATIONS = {
    "trained": "learned in training",
    "folded_in": "not in training: scored from their listening history (folded in)",
    "fallback": "no usable history: popularity fall-back",
}
_STATUS_WORDS = {"trained": "trained on", "folded_in": "folded in", "fallback": "fell back"}
_DISPLAY_COLUMNS = ("rank", "name", "artist", "genres", "score", "in_both")


def affinity_matrix(
    recommendation: GroupRecommendation,
    labels: Mapping[Hashable, str] | None = None,
    *,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Members x tracks predicted affinity of a recommended list.

    Parameters
    ----------
    recommendation : GroupRecommendation
        The list; its ``member_scores`` are each member's normalised score of each listed track.
    labels : mapping, optional
        Member id -> display label (e.g. the name); default ``"user <id>"``.
    names : sequence of str, optional
        The tracks' names, in the list's order (e.g. the ``name`` column of :func:`enrich_tracks`).

    Returns
    -------
    pandas.DataFrame
        Rows the members (in the group's order), columns the tracks (``"<rank>. <name>"`` with
        ``names``, else the track id), values in ``[0, 1]``.
    """
    if names is not None:
        columns = [f"{r}. {n}" for r, n in zip(recommendation.ranks, names, strict=True)]
    else:
        columns = [str(t) for t in recommendation.track_ids]
    index = [(labels or {}).get(m, f"user {m}") for m in recommendation.member_ids]
    return pd.DataFrame(np.asarray(recommendation.member_scores, dtype=float), index=index, columns=columns)


def member_status_table(
    recommendation: GroupRecommendation, labels: Mapping[Hashable, str] | None = None
) -> pd.DataFrame:
    """How the model knew each member: ``trained``, ``folded_in`` or ``fallback``.

    Parameters
    ----------
    recommendation : GroupRecommendation
        The list (its ``statuses``).
    labels : mapping, optional
        Member id -> display label; default ``"user <id>"``.

    Returns
    -------
    pandas.DataFrame
        ``user_id, member, status, explanation``, one row per member.
    """
    rows = [
        {
            "user_id": to_plain(uid),
            "member": (labels or {}).get(uid, f"user {uid}"),
            "status": status,
            "explanation": _EXPLANATIONS.get(status, status),
        }
        for uid, status in recommendation.statuses.items()
    ]
    return pd.DataFrame(rows, columns=["user_id", "member", "status", "explanation"])


@dataclass(frozen=True)
class GroupList:
    """One model's list for the group.

    Attributes
    ----------
    model : str
        The model's label.
    table : pandas.DataFrame
        :func:`enrich_tracks` output plus ``in_both`` (the track is also on the other list): what is
        shown and exported.
    affinity : pandas.DataFrame
        :func:`affinity_matrix` of the list.
    members : pandas.DataFrame
        :func:`member_status_table` of the list.
    recommendation : GroupRecommendation
        The model's typed list the tables were built from.
    """

    model: str
    table: pd.DataFrame
    affinity: pd.DataFrame
    members: pd.DataFrame
    recommendation: GroupRecommendation


@dataclass(frozen=True)
class Comparison:
    """Two models' lists for the same group and strategy.

    Attributes
    ----------
    lists : list of GroupList
        One per model, in the order given.
    overlap : list
        Track ids on every list, in the first list's order.
    strategy : str
        The aggregation strategy.
    user_ids : list
        The group.
    """

    lists: list[GroupList]
    overlap: list[Hashable]
    strategy: str
    user_ids: list[Hashable]

    @property
    def overlap_share(self) -> float:
        """Share of the first list's tracks also on the other list(s)."""
        first = self.lists[0].table
        return len(self.overlap) / len(first) if len(first) else 0.0


def compare_models(
    models: Mapping[str, Recommender],
    user_ids: Sequence[Hashable],
    tracks: pd.DataFrame,
    *,
    n: int = 10,
    strategy: str = "average",
    history: Interactions | None = None,
    exclude_seen: bool = False,
    labels: Mapping[Hashable, str] | None = None,
    weights: Sequence[float] | None = None,
) -> Comparison:
    """The same group's list from each model, side by side, with their overlap.

    Parameters
    ----------
    models : mapping
        Label -> trained :class:`~recsys.models.base.Recommender` (usually basic and WMF).
    user_ids : sequence
        The group's members.
    tracks : pandas.DataFrame
        ``id, name, artist_name, genres``.
    n : int
        Tracks per list.
    strategy : str
        Aggregation strategy (:data:`recsys.models.group.STRATEGIES`).
    history : Interactions, optional
        Everyone's known listening, to fold in members a model was not trained on.
    exclude_seen : bool
        Leave out tracks any member already heard (discovery).
    labels : mapping, optional
        Member id -> display label.
    weights : sequence of float, optional
        One weight per member, in the order of ``user_ids`` (see
        :func:`recsys.models.group.check_weights`; a strategy that takes no weights refuses unequal ones).

    Returns
    -------
    Comparison

    Raises
    ------
    UnknownUserError
        The group is empty, or a member is unknown to both the model and the history.
    ConfigError
        No models, or an invalid ``n`` / strategy.
    """
    if not models:
        raise ConfigError("give at least one model to compare")
    if len(user_ids) == 0:
        raise UnknownUserError("the group is empty: add at least one member")
    recs = {
        label: model.recommend(
            list(user_ids), n, strategy=strategy, history=history, exclude_seen=exclude_seen, weights=weights
        )
        for label, model in models.items()
    }
    id_sets = [set(rec.track_ids.tolist()) for rec in recs.values()]
    common = set.intersection(*id_sets) if len(id_sets) > 1 else set()
    first = next(iter(recs.values()))
    overlap = [to_plain(t) for t in first.track_ids if t in common]
    lists = []
    for label, rec in recs.items():
        table = enrich_tracks(rec, tracks)
        table.insert(table.columns.get_loc("score") + 1, "in_both", table["track_id"].isin(common))
        lists.append(
            GroupList(
                model=label,
                table=table,
                affinity=affinity_matrix(rec, labels, names=table["name"].tolist()),
                members=member_status_table(rec, labels),
                recommendation=rec,
            )
        )
    return Comparison(lists=lists, overlap=overlap, strategy=strategy, user_ids=list(user_ids))


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of a list shown on screen: ``rank, name, artist, genres, score, in_both``.

    Parameters
    ----------
    table : pandas.DataFrame
        A :attr:`GroupList.table`.

    Returns
    -------
    pandas.DataFrame
        Those of the columns the table has, in that order.
    """
    return table[[c for c in _DISPLAY_COLUMNS if c in table]]


def status_text(members: pd.DataFrame) -> str:
    """One line saying how the model knew the members.

    Parameters
    ----------
    members : pandas.DataFrame
        From :func:`member_status_table`.

    Returns
    -------
    str
        E.g. ``"trained on: Anna, Jan; fell back: Ola"`` (``"no members"`` for an empty table).
    """
    parts = []
    for status, label in _STATUS_WORDS.items():
        who = members.loc[members["status"] == status, "member"].tolist()
        if who:
            parts.append(f"{label}: {', '.join(who)}")
    return "; ".join(parts) if parts else "no members"


def default_pair(names: Sequence[str], preferred: tuple[str, str] = ("basic", "wmf")) -> tuple[int, int]:
    """Indices in ``names`` of the two models shown by default.

    Parameters
    ----------
    names : sequence of str
        The saved models' names.
    preferred : tuple of str
        The left and right models wanted (basic on the left, WMF on the right).

    Returns
    -------
    tuple of int
        The preferred models where saved, or else the first other models available (the same one twice
        when there is only one).

    Raises
    ------
    ConfigError
        No models at all.
    """
    names = list(names)
    if not names:
        raise ConfigError("no saved models to choose from")
    left = names.index(preferred[0]) if preferred[0] in names else 0
    if preferred[1] in names and names.index(preferred[1]) != left:
        return left, names.index(preferred[1])
    others = [i for i in range(len(names)) if i != left]
    return left, others[0] if others else left
