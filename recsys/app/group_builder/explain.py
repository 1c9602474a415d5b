"""Why each track is on the group's list, and for whom: the Group builder's explanation view.

For every track of a list and every member: the member's affinity (normalised score) and own rank of
the track, and a sentence in plain words built from
:func:`recsys.models.explain.explain_recommendation` ("for Anna: because they listened to A, B, C"),
plus the member the track serves best (the highest affinity; ties to the better own rank).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.app.group_builder.tracks import track_info
from recsys.data.interactions import Interactions
from recsys.jsonable import to_plain
from recsys.models.base import Recommender
from recsys.models.explain import TrackExplanation, explain_recommendation
from recsys.models.recommendation import GroupRecommendation

__all__ = ["TrackWhy", "explain_list", "reason_text", "serves_best"]


@dataclass(frozen=True)
class TrackWhy:
    """Why one track is on the list.

    Attributes
    ----------
    track_id : hashable
        The track.
    name : str
        Its name (the id when the catalogue has none).
    rank : int
        Its place on the group's list.
    best_member : hashable
        The member it serves best.
    best_label : str
        That member's label.
    sentences : list of str
        One per member, in the group's order: ``"for <member>: because they listened to A, B, C"``.
    table : pandas.DataFrame
        One row per member: ``member``, ``affinity`` (``[0, 1]``), ``own_rank``, ``reason``
        (the sentence without the member) and ``because`` (the history track names).
    """

    track_id: Hashable
    name: str
    rank: int
    best_member: Hashable
    best_label: str
    sentences: list[str]
    table: pd.DataFrame


def serves_best(recommendation: GroupRecommendation) -> np.ndarray:
    """Per track of the list, the row of the member it serves best.

    Parameters
    ----------
    recommendation : GroupRecommendation
        The list.

    Returns
    -------
    numpy.ndarray
        ``int64`` ``(n,)`` member rows: the highest normalised score, ties to the better own rank,
        then to the earlier member.
    """
    scores = np.asarray(recommendation.member_scores, dtype=np.float64)
    ranks = np.asarray(recommendation.member_ranks, dtype=np.int64)
    out = np.empty(scores.shape[1], dtype=np.int64)
    for t in range(scores.shape[1]):
        # lexsort: last key first; the rank and then the member order break ties in the score
        out[t] = np.lexsort((np.arange(scores.shape[0]), ranks[:, t], -scores[:, t]))[0]
    return out


def reason_text(explanation: TrackExplanation, names: Mapping[Hashable, str], top: int = 3) -> str:
    """The reason in plain words, without the member (``"because they listened to A, B, C"``).

    Parameters
    ----------
    explanation : TrackExplanation
        One member's explanation of one track.
    names : mapping
        Track id -> name.
    top : int
        History tracks named at most.

    Returns
    -------
    str
    """
    kind = explanation.kind
    if explanation.status == "fallback":
        return "no listening history, so popular tracks stand in for their taste"
    if kind == "history":
        because = [names.get(tid, str(tid)) for tid, _ in explanation.because(top)]
        if not because:
            return "nothing they played points to it strongly"
        return "because they listened to " + ", ".join(because)
    if kind == "own_plays":
        return "they played it themselves"
    if kind == "popularity":
        return "they have not played it: it is here because it is popular"
    if kind == "chance":
        return "picked at random (the random baseline)"
    return "this model does not say why"


def explain_list(
    model: Recommender,
    recommendation: GroupRecommendation,
    tracks: pd.DataFrame,
    *,
    history: Interactions | None = None,
    labels: Mapping[Hashable, str] | None = None,
    top: int = 3,
) -> list[TrackWhy]:
    """Explain every track of a list for every member.

    Parameters
    ----------
    model : Recommender
        The model that made the list.
    recommendation : GroupRecommendation
        The list.
    tracks : pandas.DataFrame
        The catalogue (``id``, ``name``).
    history : Interactions, optional
        The history the list was made with.
    labels : mapping, optional
        Member id -> label (default ``"user <id>"``).
    top : int
        History tracks named per member.

    Returns
    -------
    list of TrackWhy
        In the list's order.
    """
    explained = explain_recommendation(model, recommendation, history=history)
    info = track_info(tracks)
    names = {
        tid: (str(n) if n is not None else str(tid)) for tid, n in zip(info["id"], info["name"], strict=True)
    }
    label = {m: (labels or {}).get(m, f"user {m}") for m in recommendation.member_ids}
    best = serves_best(recommendation)
    out = []
    for t, tid in enumerate(recommendation.track_ids):
        rows = []
        for k, member in enumerate(recommendation.member_ids):
            exp = explained[member][t]
            rows.append({
                "member": label[member],
                "affinity": float(recommendation.member_scores[k, t]),
                "own_rank": int(recommendation.member_ranks[k, t]),
                "reason": reason_text(exp, names, top),
                "because": ", ".join(names.get(h, str(h)) for h, _ in exp.because(top)),
            })
        table = pd.DataFrame(rows, columns=["member", "affinity", "own_rank", "reason", "because"])
        member = recommendation.member_ids[int(best[t])]
        out.append(TrackWhy(
            track_id=to_plain(tid),
            name=names.get(tid, str(tid)),
            rank=t + 1,
            best_member=to_plain(member),
            best_label=label[member],
            sentences=[f"for {r['member']}: {r['reason']}" for r in rows],
            table=table,
        ))
    return out
