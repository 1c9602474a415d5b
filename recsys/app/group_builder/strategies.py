"""Every aggregation strategy side by side for the group on screen.

For the same members and model, each strategy's list and, per strategy:

* the least-satisfied member's affinity: each member's satisfaction is their mean affinity (normalised
  score, ``[0, 1]``) over the list's tracks; the lowest of these;
* the min/max ratio of the members' satisfactions (1: everyone equally served; 0 when nobody is);
* novelty: the mean self-information of the list's tracks, ``-log2((users who played it + 1) /
  (users + 1))`` bits (:func:`recsys.evaluation.beyond.novelty`);
* held-out hits: how many of the list's tracks each member actually played later, in the test split.
  Only for members the model was trained on: a member folded in from their whole history was scored
  from those very plays, so counting them would flatter the model;
* the overlap between every two strategies' lists (tracks in common).

Member weights enter the strategies that take them (:data:`recsys.models.group.WEIGHTED_STRATEGIES`);
the others make their list unweighted, and the table says so.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.app.group_builder.tracks import enrich_tracks
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, UnknownUserError
from recsys.evaluation.beyond import novelty
from recsys.models.base import Recommender
from recsys.models.group import STRATEGIES, STRATEGY_HELP, WEIGHTED_STRATEGIES, check_weights
from recsys.models.recommendation import GroupRecommendation

__all__ = ["STRATEGY_LABELS", "StrategyComparison", "compare_strategies", "strategy_label"]

STRATEGY_LABELS: dict[str, str] = {
    "average": "Average",
    "least_misery": "Least misery",
    "most_pleasure": "Most pleasure",
    "multiplicative": "Multiplicative",
    "borda": "Borda count",
    "average_without_misery": "Average without misery",
    "fairness": "Taking turns",
    "gfar": "GFAR",
    "epfuzzda": "EP-FuzzDA",
}
"""Each strategy's name on screen."""


def strategy_label(strategy: str) -> str:
    """The strategy's name on screen (its code name with spaces when it has no label)."""
    return STRATEGY_LABELS.get(strategy, strategy.replace("_", " ").capitalize())


@dataclass(frozen=True)
class StrategyComparison:
    """Every strategy's list for one group and model.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per strategy: ``strategy`` (code name), ``label``, ``least_satisfied``, ``min_max``,
        ``novelty``, ``heldout_hits`` (sum over the members counted; NaN when none is), ``weighted``
        (the member weights shaped this list), ``help`` (one line of plain words).
    satisfaction : pandas.DataFrame
        ``strategy, label, member, satisfaction``: each member's mean affinity over each list.
    hits : pandas.DataFrame
        Strategies (labels) x members (labels): held-out hits (NaN for a member not trained on).
    overlap : pandas.DataFrame
        Strategies x strategies (labels): tracks the two lists share.
    lists : dict
        Strategy -> :func:`~recsys.app.group_builder.tracks.enrich_tracks` table of its list.
    recommendations : dict
        Strategy -> its :class:`~recsys.models.recommendation.GroupRecommendation`.
    """

    summary: pd.DataFrame
    satisfaction: pd.DataFrame
    hits: pd.DataFrame
    overlap: pd.DataFrame
    lists: dict[str, pd.DataFrame]
    recommendations: dict[str, GroupRecommendation]


def _heldout_hits(rec: GroupRecommendation, heldout: Interactions | None) -> list[float]:
    """Per member, the list's tracks they played in ``heldout`` (NaN: not counted, see the module)."""
    out = []
    for member in rec.member_ids:
        if heldout is None or rec.status_of(member) != "trained":
            out.append(np.nan)
        elif not heldout.has_user(member):
            out.append(0.0)  # no later plays at all
        else:
            cols, _ = heldout.user_items(int(heldout.user_index([member])[0]))
            later = set(heldout.item_ids[cols].tolist())
            out.append(float(sum(t in later for t in rec.track_ids.tolist())))
    return out


def compare_strategies(
    model: Recommender,
    user_ids: Sequence[Hashable],
    tracks: pd.DataFrame,
    *,
    n: int = 10,
    history: Interactions | None = None,
    exclude_seen: bool = False,
    weights: Sequence[float] | None = None,
    heldout: Interactions | None = None,
    labels: Mapping[Hashable, str] | None = None,
    strategies: Sequence[str] = STRATEGIES,
) -> StrategyComparison:
    """Each strategy's list for the same group, with the figures of the module docstring.

    Parameters
    ----------
    model : Recommender
        A trained model.
    user_ids : sequence
        The members.
    tracks : pandas.DataFrame
        The catalogue (``id, name, artist_name, genres``).
    n : int
        Tracks per list.
    history : Interactions, optional
        Everyone's known listening (to fold in members the model was not trained on).
    exclude_seen : bool
        Leave out tracks any member heard.
    weights : sequence of float, optional
        One weight per member, for the strategies that take them.
    heldout : Interactions, optional
        The test split (later plays); without it held-out hits are NaN.
    labels : mapping, optional
        Member id -> label.
    strategies : sequence of str
        Which strategies (all by default).

    Returns
    -------
    StrategyComparison

    Raises
    ------
    UnknownUserError
        An empty group or an unknown member.
    ConfigError
        No strategy, an unknown one, or bad weights.
    """
    if len(user_ids) == 0:
        raise UnknownUserError("the group is empty: add at least one member")
    if not strategies:
        raise ConfigError("choose at least one strategy to compare")
    w = check_weights(weights, len(user_ids))  # None for no or equal weights
    member_labels = [(labels or {}).get(m, f"user {m}") for m in user_ids]
    recs: dict[str, GroupRecommendation] = {}
    summary, satisfaction, hits = [], [], {}
    train = model._fitted()
    for strategy in strategies:
        weighted = w is not None and strategy in WEIGHTED_STRATEGIES
        rec = model.recommend(list(user_ids), n, strategy=strategy, history=history,
                              exclude_seen=exclude_seen, weights=list(w) if weighted else None)
        recs[strategy] = rec
        sat = np.asarray(rec.member_scores, dtype=np.float64).mean(axis=1)
        top = train.item_index(rec.track_ids.tolist())[None, :]
        member_hits = _heldout_hits(rec, heldout)
        hits[strategy_label(strategy)] = member_hits
        counted = [h for h in member_hits if not np.isnan(h)]
        summary.append({
            "strategy": strategy,
            "label": strategy_label(strategy),
            "least_satisfied": float(sat.min()),
            "min_max": float(sat.min() / sat.max()) if sat.max() > 0 else 0.0,
            "novelty": float(novelty(top, train.item_popularity(), train.n_users)[0]),
            "heldout_hits": float(sum(counted)) if counted else np.nan,
            "weighted": bool(weighted),
            "help": STRATEGY_HELP.get(strategy, ""),
        })
        satisfaction += [
            {"strategy": strategy, "label": strategy_label(strategy), "member": lab, "satisfaction": float(s)}
            for lab, s in zip(member_labels, sat, strict=True)
        ]
    names = [strategy_label(s) for s in strategies]
    sets = [set(recs[s].track_ids.tolist()) for s in strategies]
    overlap = pd.DataFrame([[len(a & b) for b in sets] for a in sets], index=names, columns=names)
    return StrategyComparison(
        summary=pd.DataFrame(summary),
        satisfaction=pd.DataFrame(satisfaction, columns=["strategy", "label", "member", "satisfaction"]),
        hits=pd.DataFrame(hits, index=member_labels).T,
        overlap=overlap,
        lists={s: enrich_tracks(recs[s], tracks) for s in strategies},
        recommendations=recs,
    )
