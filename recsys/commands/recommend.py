"""``python -m recsys recommend``: a group's track list from a saved model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.errors import UnknownUserError
from recsys.jsonable import to_plain
from recsys.models import check_fingerprint, load_model
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
    from recsys.data.prepare import ensure_prepared

    if not args.users:
        raise UnknownUserError("the group is empty: give at least one user id after --users")
    model = load_model(args.model)  # first: a bad model file fails before the data is read
    prepared = ensure_prepared(args.data)
    warning = check_fingerprint(model, prepared.fingerprint, source=args.model)
    if warning:
        print(warning, file=sys.stderr)
    users = prepared.resolve_users(list(args.users))
    options = {} if args.threshold is None else {"threshold": args.threshold}
    frame = model.recommend(
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
        "members": {str(uid): status for uid, status in frame.attrs["members"].items()},
        "warnings": [warning] if warning else [],
        "recommendations": recommendation_records(frame, prepared.tracks),
    }


def recommendation_records(frame: pd.DataFrame, tracks: pd.DataFrame | None) -> list[dict[str, Any]]:
    """A :meth:`Recommender.recommend` frame as plain records with track names.

    Parameters
    ----------
    frame : pandas.DataFrame
        The group list (``rank``, ``track_id``, ``score``, ``score[<id>]``, ``rank[<id>]``).
    tracks : pandas.DataFrame or None
        The catalogue (``id``, ``name``, ``artist_name``); missing names are ``None``.

    Returns
    -------
    list of dict
        ``rank``, ``track_id``, ``name``, ``artist``, ``score`` and ``members``
        (member id -> ``{"score", "rank"}``), best first.
    """
    names: dict[Any, tuple[Any, Any]] = {}
    if tracks is not None and "id" in tracks.columns:
        cat = tracks.drop_duplicates("id").set_index("id")
        wanted = cat.index.intersection(pd.Index(frame["track_id"]))
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
        for rank, tid, score in zip(frame["rank"], frame["track_id"], frame["score"], strict=True)
    ]
    for uid in frame.attrs.get("members", {}):
        scores = frame[f"score[{uid}]"].to_numpy()
        ranks = frame[f"rank[{uid}]"].to_numpy()
        for rec, s, r in zip(records, scores, ranks, strict=True):
            rec["members"][str(uid)] = {"score": float(s), "rank": int(r)}
    return records


