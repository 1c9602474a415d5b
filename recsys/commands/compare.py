"""``python -m recsys compare``: two saved models on the same users and groups, with random alongside."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from recsys.commands.bounds import (
    MAX_BOOT,
    MAX_CUTOFF,
    MAX_GROUP_SIZE,
    MAX_GROUPS,
    MAX_PERMUTATIONS,
    finite_float,
    int_in,
    seed,
)
from recsys.commands.evaluate import load_for_evaluation
from recsys.errors import ConfigError
from recsys.evaluation import compare_groups, compare_models
from recsys.evaluation.groups import GROUP_KINDS, PROTOCOLS
from recsys.jsonable import to_plain
from recsys.models import load_model
from recsys.models.group import STRATEGIES

__all__ = ["HELP", "add_arguments", "run"]

HELP = "compare two saved models: paired differences with 95% CIs and p-values, per user and per group"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``compare`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="prepared or raw data folder")
    parser.add_argument(
        "--models", required=True, nargs=2, type=Path, metavar=("A", "B"), help="two model files"
    )
    parser.add_argument("--split", choices=("val", "test"), default="val", help="truth split (default val)")
    parser.add_argument(
        "--k", type=int_in(1, MAX_CUTOFF), nargs="+", default=[10], help="cut-offs (default 10)"
    )
    parser.add_argument(
        "--threshold", type=finite_float, default=1.0, help="relevance: truth score >= this (default 1)"
    )
    parser.add_argument(
        "--exclude-seen", action="store_true", help="discovery regime (heard tracks excluded)"
    )
    parser.add_argument(
        "--groups", type=int_in(0, MAX_GROUPS), default=1000, help="random groups to compare on (0: none)"
    )
    parser.add_argument(
        "--group-size", type=int_in(1, MAX_GROUP_SIZE), default=5, help="members per group (default 5)"
    )
    parser.add_argument("--group-kind", choices=GROUP_KINDS, default="random", help="how groups are drawn")
    parser.add_argument("--strategy", choices=STRATEGIES, default="average", help="group aggregation")
    # No --weights: member weights belong to the members of one given group; these groups are drawn at
    # random, so a weight per position in a group would weigh arbitrary people.
    parser.add_argument(
        "--protocol", choices=PROTOCOLS, default="coupled",
        help="group truth: coupled (held-out plays, default) or decoupled (each member's own ranking)",
    )
    parser.add_argument("--seed", type=seed, default=0, help="seed of groups, bootstrap, permutations")
    parser.add_argument(
        "--n-boot", type=int_in(0, MAX_BOOT), default=1000, help="bootstrap resamples (default 1000)"
    )
    parser.add_argument(
        "--n-perm", type=int_in(0, MAX_PERMUTATIONS), default=5000, help="sign flips of the permutation test"
    )


def _names(a: Path, b: Path) -> tuple[str, str]:
    na, nb = a.stem, b.stem
    if na == nb:
        na, nb = f"A:{na}", f"B:{nb}"
    return na, nb


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Compare; return the ``--json`` object."""
    if args.groups < 0:
        raise ConfigError(f"--groups must be 0 or more, got {args.groups}")
    path_a, path_b = args.models
    model_a, _, truth, warnings = load_for_evaluation(args.data, path_a, args.split)
    model_b = load_model(path_b)
    names = _names(path_a, path_b)
    stats = dict(seed=args.seed, n_boot=args.n_boot, n_perm=args.n_perm, progress=True)
    users, ea, _ = compare_models(
        model_a,
        model_b,
        truth,
        names=names,
        k=args.k,
        threshold=args.threshold,
        exclude_seen=args.exclude_seen,
        **stats,
    )
    out: dict[str, Any] = {
        "models": {names[0]: str(path_a), names[1]: str(path_b)},
        "kinds": {names[0]: model_a.kind, names[1]: model_b.kind},
        "split": args.split,
        "regime": ea.regime,
        "k": list(ea.k),
        "users": users.units,
        "per_user": users.to_dict()["metrics"],
        "vs_random": users.to_dict()["vs_random"],
    }
    if args.groups:
        groups, ga, _ = compare_groups(
            model_a,
            model_b,
            truth,
            names=names,
            n_groups=args.groups,
            size=args.group_size,
            kind=args.group_kind,
            k=args.k,
            strategy=args.strategy,
            threshold=args.threshold,
            exclude_seen=args.exclude_seen,
            protocol=args.protocol,
            **stats,
        )
        out["groups"] = {
            "n": groups.units,
            "size": ga.size,
            "kind": ga.kind,
            "strategy": ga.strategy,
            "protocol": ga.protocol,
            **groups.to_dict(),
        }
    out["warnings"] = warnings
    return to_plain(out)
