"""Bounds on every number the command line takes, checked while the arguments are parsed.

Each ``type=`` of a numeric option is one of these checkers, so ``--k 1e9``, ``--threshold nan`` or
``--epochs -3`` ends like any other usage error: exit 2, one line naming the option, the value and the
allowed range, no traceback, before any data is read. Bounds that depend on the data (``k`` and ``n`` at
most the catalogue, a group no larger than the users) are checked by the library once the data is
loaded (:func:`recsys.evaluation.evaluate_model`, :meth:`recsys.models.base.Recommender.recommend`,
:func:`recsys.evaluation.groups.sample_groups`), which the dashboard goes through as well. Limits that
belong to a model or a check (``MAX_EMBEDDING_DIM``, the diagnosis' ``MAX_BOOT``) are imported by the
command that has them: this module imports nothing, so ``prepare`` never waits for torch.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = [
    "MAX_BOOT",
    "MAX_CUTOFF",
    "MAX_EVENTS",
    "MAX_GROUPS",
    "MAX_GROUP_SIZE",
    "MAX_PERMUTATIONS",
    "MAX_SEED",
    "MAX_USERS_OR_TRACKS",
    "finite_float",
    "fraction",
    "int_in",
    "non_negative_float",
    "positive_float",
    "seed",
]

#: Largest seed (numpy and torch both take any 32-bit unsigned integer).
MAX_SEED = 2**32 - 1
#: Largest cut-off ``k`` / list length ``n`` before the data is known (the catalogue bounds it after).
MAX_CUTOFF = 1_000_000
#: Most bootstrap resamples of ``evaluate`` / ``compare``.
MAX_BOOT = 100_000
#: Most sign flips of the permutation test.
MAX_PERMUTATIONS = 1_000_000
#: Most groups drawn by ``compare`` (each is a row of a groups x users table).
MAX_GROUPS = 100_000
#: Largest group.
MAX_GROUP_SIZE = 1_000
#: Largest demo dataset: users or tracks.
MAX_USERS_OR_TRACKS = 1_000_000
#: Most events of a demo dataset (100 M lines is about 14 GB of JSON).
MAX_EVENTS = 100_000_000


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting integers from ``low`` to ``high`` (inclusive)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {low:,} to {high:,}, got {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer from {low:,} to {high:,}, got {value:,}")
        return value

    parse.__name__ = "integer"
    return parse


def _float_in(
    low: float | None, high: float | None, *, low_open: bool = False, what: str
) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        ok = math.isfinite(value)
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value <= high
        if not ok:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def seed(text: str) -> int:
    """An argparse ``type`` for seeds: integers from 0 to :data:`MAX_SEED`."""
    return int_in(0, MAX_SEED)(text)


finite_float = _float_in(None, None, what="a finite number")
"""An argparse ``type``: any finite number (``nan`` and ``inf`` refused)."""
non_negative_float = _float_in(0.0, None, what="a finite number of at least 0")
"""An argparse ``type``: a finite number ``>= 0``."""
positive_float = _float_in(0.0, None, low_open=True, what="a finite number above 0")
"""An argparse ``type``: a finite number ``> 0``."""
fraction = _float_in(0.0, 1.0, what="a fraction from 0 to 1")
"""An argparse ``type``: a finite number from 0 to 1."""
