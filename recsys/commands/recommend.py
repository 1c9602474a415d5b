"""``python -m recsys recommend``: a group's track list from a saved model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.app.workspace import ensure_prepared
from recsys.errors import UnknownUserError
from recsys.jsonable import to_plain
from recsys.models import GroupRecommendation, check_fingerprint, load_model
from recsys.models.group import STRATEGIES

__all__ = ["HELP", "add_arguments", "run", "recommendation_records"]

HELP = "recommend tracks to a group of users with a saved model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``recommend`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="prepared or raw data folder")
    parser.add_argument("--model", required=True, type=Path, help="model file (.pt) written by train")
    # nargs="*" (not "+"): an empty group reaches run() and gets the library's clear error.
    parser.add_argument("--users", required=True, nargs="*", metavar="ID", help="the group's user ids")
    parser.add_argument("--n", type=int, default=10, help="length of the list (default 10)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="average", help="group aggregation")
    parser.add_argument("--threshold", type=float, help="veto threshold of average_without_misery")
    parser.add_argument(
        "--exclude-seen", action="store_true", help="leave out tracks any member has already heard"
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
    rec = model.recommend(
        users,
        args.n,
        strategy=args.strategy,
        history=prepared.history(),
        exclude_seen=args.exclude_seen,
        **options,
    )
    return {
        "model": str(args.model),
        "kind": model.kind,
        "strategy": args.strategy,
        "n": args.n,
        "exclude_seen": bool(args.exclude_seen),
        "members": {str(uid): status for uid, status in rec.statuses.items()},
        "warnings": [warning] if warning else [],
        "recommendations": recommendation_records(rec, prepared.tracks),
    }


def recommendation_records(
    recommendation: GroupRecommendation, tracks: pd.DataFrame | None
) -> list[dict[str, Any]]:
    """A group list as plain records with track names (the ``recommendations`` of ``--json``).

    Parameters
    ----------
    recommendation : GroupRecommendation
        From :meth:`Recommender.recommend <recsys.models.base.Recommender.recommend>`.
    tracks : pandas.DataFrame or None
        The catalogue (``id``, ``name``, ``artist_name``); missing names are ``None``.

    Returns
    -------
    list of dict
        ``rank``, ``track_id``, ``name``, ``artist``, ``score`` and ``members``
        (member id as text -> ``{"score", "rank"}``), best first.
    """
    names: dict[Any, tuple[Any, Any]] = {}
    if tracks is not None and "id" in tracks.columns:
        cat = tracks.drop_duplicates("id").set_index("id")
        wanted = cat.index.intersection(pd.Index(recommendation.track_ids))
        for tid in wanted:
            row = cat.loc[tid]
            names[tid] = (to_plain(row.get("name")), to_plain(row.get("artist_name")))
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
    return records
