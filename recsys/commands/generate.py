"""``python -m recsys generate``: write a demo dataset in the Pozytywka format."""

from __future__ import annotations

import argparse
from typing import Any

from tqdm import tqdm

from recsys.commands.bounds import MAX_EVENTS, MAX_USERS_OR_TRACKS, int_in, non_negative_float, seed
from recsys.data.demo import generate_dataset

__all__ = ["HELP", "add_arguments", "run"]

HELP = "generate a demo dataset (all five Pozytywka files) with planted structure and realistic dirt"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``generate`` options to ``parser``."""
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument(
        "--users", type=int_in(1, MAX_USERS_OR_TRACKS), default=1000, help="number of users (default 1000)"
    )
    parser.add_argument(
        "--tracks", type=int_in(1, MAX_USERS_OR_TRACKS), default=5000, help="number of tracks (default 5000)"
    )
    parser.add_argument(
        "--events", type=int_in(1, MAX_EVENTS), default=None,
        help="lines in sessions.jsonl (default 300 per user)",
    )
    parser.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--taste-strength",
        type=non_negative_float,
        default=1.0,
        help="1 = clear listening structure (default), 0 = uniform noise",
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the dataset and return its summary (out, users, tracks, events, seconds, files)."""
    with tqdm(total=5, desc="generate", unit="step", leave=False) as bar:

        def progress(step: str, done: int, total: int) -> None:
            bar.set_postfix_str(step)
            bar.update(done - bar.n)

        return generate_dataset(
            args.out,
            users=args.users,
            tracks=args.tracks,
            events=args.events,
            seed=args.seed,
            taste_strength=args.taste_strength,
            progress=progress,
        )
