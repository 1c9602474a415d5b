"""``python -m recsys diagnose``: is there anything to learn in this data?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from recsys.app.workspace import ensure_prepared
from recsys.commands.bounds import int_in, seed
from recsys.evaluation.diagnostics import Diagnosis, best_model_vs_random, diagnose_cached
from recsys.evaluation.diagnostics.check import MAX_BOOT
from recsys.models import load_model

__all__ = ["HELP", "add_arguments", "run"]

HELP = "signal diagnostics: verdict structured / weak / none, with the figure and CI behind each reason"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``diagnose`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="a prepared folder, or a raw one (prepared first)")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the bootstraps (default 0)")
    parser.add_argument(
        "--n-boot", type=int_in(10, MAX_BOOT), default=300, help="bootstrap replicates (default 300)"
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="PATH",
        help="a trained model file (repeatable): the best one is compared with random, with a CI",
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Diagnose the dataset; return ``verdict``, ``reasons`` (figure, CI, baseline, meaning), ``figures``."""
    prepared = ensure_prepared(args.data)
    diagnosis = diagnose_cached(prepared, seed=args.seed, n_boot=args.n_boot)
    if args.model:
        models = {Path(path).stem: load_model(path) for path in args.model}
        check = best_model_vs_random(models, prepared, seed=args.seed, n_boot=args.n_boot)
        # Reported beside the data checks; like popularity, it does not change the verdict.
        diagnosis = Diagnosis(diagnosis.verdict, [*diagnosis.reasons, check], diagnosis.figures)
    result = diagnosis.to_dict()
    if not args.json:
        # Readable form: one line per reason.
        result["reasons"] = [
            f"{r['name']}: {r['status']} - {r['figure']:.4g} (95% CI {r['ci'][0]:.4g} to {r['ci'][1]:.4g}) "
            f"vs {r['baseline']:.4g} without structure; {r['meaning']}"
            if r["figure"] is not None
            else f"{r['name']}: {r['status']} - {r['meaning']}"
            for r in result["reasons"]
        ]
    return result
