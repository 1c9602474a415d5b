"""``python -m recsys train``: train one model on prepared data and save it to a model file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from recsys.app.training import DEFAULT_VAL_USERS, train_and_save, val_users_setting
from recsys.app.workspace import ensure_prepared, model_path
from recsys.commands.bounds import int_in, non_negative_float, positive_float, seed
from recsys.commands.engine import add_engine_arguments, spark_settings
from recsys.commands.progress import epoch_bar
from recsys.errors import ConfigError
from recsys.models import MODELS, create_model
from recsys.models.wmf_config import CONFIDENCES, MAX_EMBEDDING_DIM, MAX_EPOCHS, REG_SCALINGS, TRAINERS

__all__ = ["HELP", "add_arguments", "run"]

HELP = "train a model (basic, popularity, random, wmf) on prepared data and save it"

# Flag -> config key. Only the flags given on the command line are passed on, so each model keeps its
# own defaults and a flag the chosen model does not have is a clear error, not silently ignored.
_SETTINGS = {
    "trainer": "trainer",
    "embedding_dim": "embedding_dim",
    "epochs": "epochs",
    "reg": "reg",
    "alpha": "alpha",
    "confidence": "confidence",
    "eps": "eps",
    "learning_rate": "learning_rate",
    "seed": "seed",
    "patience": "patience",
    "reg_scaling": "reg_scaling",
    "spark_blocks": "spark_blocks",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="prepared or raw data folder")
    parser.add_argument("--model", required=True, choices=sorted(MODELS), help="model kind")
    parser.add_argument("--trainer", choices=TRAINERS, help="WMF trainer (default als)")
    parser.add_argument(
        "--embedding-dim", type=int_in(1, MAX_EMBEDDING_DIM),
        help="WMF factors per user and track (default 64)"
    )
    parser.add_argument("--epochs", type=int_in(1, MAX_EPOCHS), help="WMF training epochs (default 15)")
    parser.add_argument("--reg", type=non_negative_float, help="WMF L2 regularisation (default 10)")
    parser.add_argument(
        "--alpha", type=non_negative_float, help="WMF confidence scale (default 1; the notebook's 40)"
    )
    parser.add_argument("--confidence", choices=CONFIDENCES,
                        help="WMF confidence: linear 1+alpha*score (default) or the notebook's log form")
    parser.add_argument("--eps", type=positive_float, help="WMF log-confidence epsilon (the notebook's 1e-8)")
    parser.add_argument("--learning-rate", type=positive_float, help="WMF AdamW learning rate")
    parser.add_argument("--seed", type=seed, help="random seed (wmf, random)")
    parser.add_argument(
        "--patience", type=int_in(1, MAX_EPOCHS), help="WMF early stopping: epochs without improvement"
    )
    parser.add_argument(
        "--reg-scaling", choices=REG_SCALINGS,
        help="WMF penalty: reg on every factor (none, the local default) or reg x each user's and track's "
             "count of positive pairs (count: ALS-WR, Spark's objective and the --engine spark default)",
    )
    parser.add_argument(
        "--spark-blocks", type=int_in(1, 100_000),
        help="WMF with --engine spark: ALS blocks per side (default 10, Spark's; about the cluster's cores)",
    )
    add_engine_arguments(parser, "wmf only: Spark MLlib's ALS, saved as an ordinary WMF model file")
    parser.add_argument("--out", type=Path, help="model file to write (default model_files/<kind>.pt)")
    parser.add_argument(
        "--val-users", type=_val_users, default=DEFAULT_VAL_USERS, metavar="N|auto|all",
        help="validation users the per-epoch NDCG@10 is measured on: a fixed seeded sample of N, auto "
             "(the default: a twentieth of them, at least 50 and at most 2,000) or all; the final metrics "
             "always use every user",
    )


def _val_users(text: str) -> int | str:
    """argparse type of ``--val-users``: a positive integer, ``auto`` or ``all`` (a usage error otherwise)."""
    try:
        value = val_users_setting(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return "all" if value is None else value


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prepare or load the data, train with a progress bar, save; return the ``--json`` object."""
    given = {flag: getattr(args, flag) for flag in _SETTINGS}
    settings = {_SETTINGS[flag]: value for flag, value in given.items() if value is not None}
    spark = spark_settings(args)
    if spark is not None:
        if args.model != "wmf":
            raise ConfigError(
                f"--engine spark trains the wmf model (Spark MLlib's ALS); {args.model} trains here, "
                "in seconds"
            )
        # Spark minimises ALS-WR: the count-scaled penalty is the objective it trains, unless told otherwise
        settings = {"reg_scaling": "count", **settings, "engine": "spark", "spark_master": spark.master,
                    "spark_conf": spark.conf}
    model = create_model(args.model, **settings)  # before loading data: a bad flag fails fast
    out = args.out if args.out is not None else model_path(args.model)
    if Path(out).suffix != ".pt":
        raise ConfigError(f"--out must name a .pt file, got {out}")
    prepared = ensure_prepared(args.data)
    with epoch_bar(model) as progress:
        return train_and_save(model, prepared, out, callback=progress, val_users=args.val_users)
