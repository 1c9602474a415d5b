"""``python -m recsys evaluate``: per-user metrics of a saved model on the validation or test split."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from recsys.app.workspace import ensure_prepared
from recsys.commands.bounds import MAX_BOOT, MAX_CUTOFF, finite_float, int_in, seed
from recsys.commands.engine import add_engine_arguments, spark_settings
from recsys.data.interactions import Interactions
from recsys.data.prepared import Prepared
from recsys.evaluation import beyond_accuracy, evaluate_model
from recsys.evaluation.beyond import track_genre_matrix
from recsys.jsonable import to_plain
from recsys.models import Recommender, check_fingerprint, load_model

__all__ = ["HELP", "add_arguments", "run", "load_for_evaluation"]

HELP = "evaluate a saved model on every user: precision, recall, NDCG, MAP, MRR, hit rate with 95% CIs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``evaluate`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="prepared or raw data folder")
    parser.add_argument("--model", required=True, type=Path, help="model file (.pt) written by train")
    parser.add_argument("--split", choices=("val", "test"), default="val", help="truth split (default val)")
    parser.add_argument(
        "--k", type=int_in(1, MAX_CUTOFF), nargs="+", default=[5, 10, 30], help="cut-offs (default 5 10 30)"
    )
    parser.add_argument(
        "--threshold", type=finite_float, default=1.0, help="relevance: truth score >= this (default 1)"
    )
    parser.add_argument(
        "--exclude-seen",
        action="store_true",
        help="discovery regime: tracks heard in training are neither ranked nor relevant",
    )
    parser.add_argument("--seed", type=seed, default=0, help="seed of the bootstrap (default 0)")
    parser.add_argument(
        "--n-boot", type=int_in(0, MAX_BOOT), default=1000, help="bootstrap resamples (default 1000)"
    )
    add_engine_arguments(parser, "wmf models: every user's top-k in blocks on Spark, the same metrics")


def load_for_evaluation(
    data: str, model_path: Path, split: str
) -> tuple[Recommender, Prepared, Interactions, list[str]]:
    """Load a model and the data, lay ``split`` on the model's indices.

    Returns
    -------
    tuple
        ``(model, prepared, truth, warnings)``.
    """
    model = load_model(model_path)  # first: a bad model file fails before the data is read
    prepared = ensure_prepared(data)
    warning = check_fingerprint(model, prepared.fingerprint, source=model_path)
    if warning:
        print(warning, file=sys.stderr)
    truth = prepared.matrix(split, like=model.train)
    return model, prepared, truth, [warning] if warning else []


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate; return the ``--json`` object."""
    spark = spark_settings(args)
    model, prepared, truth, warnings = load_for_evaluation(args.data, args.model, args.split)
    options = dict(k=args.k, threshold=args.threshold, exclude_seen=args.exclude_seen, seed=args.seed,
                   n_boot=args.n_boot, progress=True)
    if spark is not None:
        # why here: the Spark evaluator loads pyspark; a local evaluation never does
        from recsys.evaluation.spark_eval import evaluate_on_spark

        ev = evaluate_on_spark(model, truth, spark=spark, **options)
    else:
        ev = evaluate_model(model, truth, **options)
    train = model.train
    popularity = model.popularity()
    genres = track_genre_matrix(getattr(prepared, "tracks", None), train.item_ids)
    beyond = {}
    for c in ev.k:
        figures = beyond_accuracy(
            ev.top[:, :c], n_items=train.n_items, popularity=popularity, n_users=train.n_users, genres=genres
        )
        beyond.update({f"{name}@{c}": v for name, v in figures.items()})
    return to_plain(
        {
            "model": str(args.model),
            "kind": model.kind,
            "split": args.split,
            "regime": ev.regime,
            "threshold": ev.threshold,
            "k": list(ev.k),
            "users": ev.users,
            "skipped_users": ev.skipped_users,
            "no_relevant_users": ev.no_relevant_users,
            "metrics": ev.metrics(),
            "ci": ev.cis(),
            "random": ev.random(),
            "beyond": beyond,
            "seconds": round(ev.seconds, 3),
            "engine": args.engine,
            "warnings": warnings,
        }
    )
