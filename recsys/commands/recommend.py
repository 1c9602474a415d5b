"""``python -m recsys recommend``: a group's track list from a saved model."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.app.workspace import ensure_prepared
from recsys.commands.bounds import MAX_CUTOFF, finite_float, int_in
from recsys.errors import ConfigError, UnknownUserError
from recsys.jsonable import to_plain
from recsys.models import GroupRecommendation, check_fingerprint, load_model
from recsys.models.explain import TrackExplanation, explain_recommendation
from recsys.models.group import STRATEGIES

__all__ = ["HELP", "add_arguments", "run", "recommendation_records"]

HELP = "recommend tracks to a group of users with a saved model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``recommend`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="prepared or raw data folder")
    parser.add_argument("--model", required=True, type=Path, help="model file (.pt) written by train")
    # nargs="*" (not "+"): an empty group reaches run() and gets the library's clear error.
    parser.add_argument("--users", required=True, nargs="*", metavar="ID", help="the group's user ids")
    parser.add_argument("--n", type=int_in(1, MAX_CUTOFF), default=10, help="length of the list (default 10)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="average", help="group aggregation")
    parser.add_argument("--threshold", type=finite_float, help="veto threshold of average_without_misery")
    parser.add_argument(
        "--exclude-seen", action="store_true", help="leave out tracks any member has already heard"
    )
    parser.add_argument(
        "--weights", type=float, nargs="+", metavar="W",
        help="one weight per member, in the order of --users (for the strategies that take weights)",
    )
    parser.add_argument(
        "--explain", action="store_true",
        help="add to each member of each track the history tracks that put it there ('because')",
    )
    parser.add_argument(
        "--explain-top", type=int, default=3, metavar="N", help="history tracks per 'because' (default 3)"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Load the model and the data, recommend; return the ``--json`` object."""

    if not args.users:
        raise UnknownUserError("the group is empty: give at least one user id after --users")
    model = load_model(args.model)  # first: a bad model file fails before the data is read
    prepared = ensure_prepared(args.data)
    warning = check_fingerprint(model, prepared.fingerprint, source=args.model)
    if warning:
        print(warning, file=sys.stderr)
    users = prepared.resolve_users(list(args.users))
    options = {} if args.threshold is None else {"threshold": args.threshold}
    explain_top = args.explain_top
    if explain_top < 1:
        raise ConfigError(f"--explain-top must be at least 1, got {explain_top}")
    history = prepared.history()
    weights = args.weights
    rec = model.recommend(
        users,
        args.n,
        strategy=args.strategy,
        history=history,
        exclude_seen=args.exclude_seen,
        weights=weights,
        **options,
    )
    explanations = None
    if args.explain:
        explanations = explain_recommendation(model, rec, history=history)
    # weights as given (the list itself uses them rescaled to average 1)
    given = None if weights is None else {str(u): float(w) for u, w in zip(users, weights, strict=True)}
    return {
        "model": str(args.model),
        "kind": model.kind,
        "strategy": args.strategy,
        "n": args.n,
        "exclude_seen": bool(args.exclude_seen),
        "members": {str(uid): status for uid, status in rec.statuses.items()},
        "weights": given,
        "warnings": [warning] if warning else [],
        "recommendations": recommendation_records(
            rec, prepared.tracks, explanations=explanations, explain_top=explain_top
        ),
    }


def _track_names(tracks: pd.DataFrame | None, ids: Any) -> dict[Any, tuple[Any, Any]]:
    """Track id -> (name, artist) for the ids found in the catalogue."""
    names: dict[Any, tuple[Any, Any]] = {}
    if tracks is not None and "id" in tracks.columns:
        cat = tracks.drop_duplicates("id").set_index("id")
        for tid in cat.index.intersection(pd.Index(ids)):
            row = cat.loc[tid]
            names[tid] = (to_plain(row.get("name")), to_plain(row.get("artist_name")))
    return names


def recommendation_records(
    recommendation: GroupRecommendation,
    tracks: pd.DataFrame | None,
    *,
    explanations: Mapping[Any, Sequence[TrackExplanation]] | None = None,
    explain_top: int = 3,
) -> list[dict[str, Any]]:
    """A group list as plain records with track names (the ``recommendations`` of ``--json``).

    Parameters
    ----------
    recommendation : GroupRecommendation
        From :meth:`Recommender.recommend <recsys.models.base.Recommender.recommend>`.
    tracks : pandas.DataFrame or None
        The catalogue (``id``, ``name``, ``artist_name``); missing names are ``None``.
    explanations : mapping, optional
        Member id -> one :class:`~recsys.models.explain.TrackExplanation` per track
        (:func:`~recsys.models.explain.explain_recommendation`).
    explain_top : int
        History tracks per ``because`` list.

    Returns
    -------
    list of dict
        ``rank``, ``track_id``, ``name``, ``artist``, ``score`` and ``members`` (member id as text ->
        ``{"score", "rank"}``, best first; with ``explanations`` also ``because``, a list of
        ``{"track_id", "name", "contribution"}`` (the member's history tracks that raise the score
        most), and ``explained_by``, what the score rests on: ``history``, ``own_plays``,
        ``popularity``, ``chance`` or ``opaque``).
    """
    names = _track_names(tracks, recommendation.track_ids)
    records = [
        {
            "rank": int(rank),
            "track_id": to_plain(tid),
            "name": names.get(tid, (None, None))[0],
            "artist": names.get(tid, (None, None))[1],
            "score": float(score),
            "members": {},
        }
        for rank, tid, score in zip(
            recommendation.ranks, recommendation.track_ids, recommendation.scores, strict=True
        )
    ]
    for uid, scores, ranks in zip(
        recommendation.member_ids, recommendation.member_scores, recommendation.member_ranks, strict=True
    ):
        for rec, s, r in zip(records, scores, ranks, strict=True):
            rec["members"][str(uid)] = {"score": float(s), "rank": int(r)}
    if explanations:
        reasons = {uid: [e.because(explain_top) for e in per] for uid, per in explanations.items()}
        heard = _track_names(tracks, [tid for per in reasons.values() for lst in per for tid, _ in lst])
        for uid, explained in explanations.items():
            for rec, exp, because in zip(records, explained, reasons[uid], strict=True):
                rec["members"][str(uid)]["because"] = [
                    {"track_id": to_plain(tid), "name": heard.get(tid, (None, None))[0],
                     "contribution": float(c)}
                    for tid, c in because
                ]
                rec["members"][str(uid)]["explained_by"] = exp.kind
    return records
