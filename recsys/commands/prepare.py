"""``python -m recsys prepare``: load, clean, split and score a raw Pozytywka folder into Parquet."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tqdm import tqdm

from recsys.app.workspace import prepared_folder
from recsys.commands.bounds import fraction, seed
from recsys.commands.engine import add_engine_arguments, spark_settings
from recsys.data.prepare import prepare
from recsys.data.process import STAGES, PrepareSettings
from recsys.data.scoring import DEFAULT_WEIGHTS
from recsys.data.splitting import SPLIT_METHODS
from recsys.errors import ConfigError

__all__ = ["HELP", "add_arguments", "run"]

HELP = "clean, split and score a raw Pozytywka data folder into Parquet tables"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``prepare`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="folder with sessions/tracks/users/artists .jsonl")
    parser.add_argument(
        "--out", default=None, help="output folder (default data_files/processed/<data name>)"
    )
    parser.add_argument(
        "--skip-malformed",
        action="store_true",
        help="keep malformed lines aside (counted and written to rejected.parquet) instead of failing",
    )
    parser.add_argument("--split", choices=SPLIT_METHODS, default="chrono", help="splitting method")
    parser.add_argument("--val-frac", type=fraction, default=0.15, help="fraction of events for validation")
    parser.add_argument("--test-frac", type=fraction, default=0.15, help="fraction of events for test")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the random split")
    parser.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="EVENT=W",
        help="score weight of an event type, repeatable (default play=1 like=1, others 0): --weight like=2",
    )
    parser.add_argument("--force", action="store_true", help="reprocess even if the input is unchanged")
    add_engine_arguments(parser, "Spark SQL reads the JSON lines in parallel; the same tables and report")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``prepare`` and return its report."""
    spark = spark_settings(args)  # before any work: a Spark flag without --engine spark fails fast
    settings = PrepareSettings(
        split=args.split,
        val_frac=args.val_frac,
        test_frac=args.test_frac,
        seed=args.seed,
        weights=_weights(args.weight),
    )
    show = not getattr(args, "json", False) and sys.stderr.isatty()
    bar = None
    if show:
        bar = tqdm(total=len(STAGES), desc="prepare", unit="step", file=sys.stderr)

    def progress(stage: str, done: int, total: int) -> None:
        if bar is not None:
            bar.set_postfix_str(stage)
            bar.n = done
            bar.refresh()

    try:
        report = prepare(
            args.data,
            args.out if args.out is not None else prepared_folder(args.data),
            settings=settings,
            skip_malformed=args.skip_malformed,
            force=args.force,
            progress=progress,
            on_wait=_say,
            engine=args.engine,
            spark=spark,
        )
    finally:
        if bar is not None:
            bar.close()
    # Odd but accepted rows (duplicate users, unknown users, implausible times) are never silent.
    for warning in (report.get("sanity") or {}).get("warnings", []):
        _say(f"warning: {warning} (see flagged.parquet)")
    return report


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _weights(pairs: list[str]) -> dict[str, float]:
    """The default weights with ``EVENT=W`` overrides (``ConfigError`` naming a malformed one)."""
    weights = dict(DEFAULT_WEIGHTS)
    for pair in pairs:
        event, sep, value = pair.partition("=")
        try:
            if not sep or not event.strip():
                raise ValueError
            weights[event.strip().lower()] = float(value)
        except ValueError:
            raise ConfigError(f"--weight expects EVENT=NUMBER, got {pair!r}") from None
    return weights
