"""``python -m recsys info``: summary of a prepared or raw Pozytywka dataset."""

from __future__ import annotations

import argparse
from typing import Any

from recsys.data.prepare import summarize

__all__ = ["HELP", "add_arguments", "run"]

HELP = "summarise a dataset: users, tracks, events by type, date range, cleaning report, fingerprint"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``info`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="a prepared folder, or a raw Pozytywka folder")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Summarise the dataset at ``--data``."""
    return summarize(args.data)
