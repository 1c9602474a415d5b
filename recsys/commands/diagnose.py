"""``python -m recsys diagnose``: is there anything to learn in this data?"""

from __future__ import annotations

import argparse
from typing import Any

from recsys.diagnostics import diagnose_cached

__all__ = ["HELP", "add_arguments", "run"]

HELP = "signal diagnostics: verdict structured / weak / none, with the figure and CI behind each reason"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``diagnose`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="a prepared folder, or a raw one (prepared first)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstraps (default 0)")
    parser.add_argument("--n-boot", type=int, default=300, help="bootstrap replicates (default 300)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Diagnose the dataset; return ``verdict``, ``reasons`` (figure, CI, baseline, meaning), ``figures``."""
    from recsys.pipeline import ensure_prepared  # imported late: the pipeline pulls in pyarrow

    prepared = ensure_prepared(args.data)
    result = diagnose_cached(prepared, seed=args.seed, n_boot=args.n_boot).to_dict()
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
