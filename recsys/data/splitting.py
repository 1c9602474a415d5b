"""Splitting cleaned events into train / validation / test.

Three methods, all taking the validation and test fractions as settings (train gets the rest):

- ``chrono`` (default): per user, chronologically. Each user's earliest ``1 - val - test`` of events go
  to train, the next ``val`` to validation and the last ``test`` to test, so the test set is every
  user's future. A user with ``n`` events gives ``floor(n * test)`` (the latest) to test and
  ``floor(n * val)`` to validation, the rest to train: 100 events split 70/15/15, 10 split 8/1/1, and a
  user with very few events keeps them all in train (one event has no future to test).
- ``time``: one global time cut for everybody. The cut times are the timestamps at the
  ``train`` and ``train + val`` quantiles of all events; events before the first cut are train, before
  the second validation, the rest test (events at the same instant always land together).
- ``random``: per user, the same proportions as ``chrono`` but over a seeded random order of the
  user's events.

Ties in time are broken by position in the input (file order), so the result is deterministic.
"""

from __future__ import annotations

import math

import numpy as np

from recsys.errors import ConfigError

__all__ = [
    "ROUNDING_EPS", "SPLIT_METHODS", "SPLIT_NAMES", "assign_splits", "rank_shares", "time_cut_ranks",
    "user_time_key", "user_time_order", "validate_split_settings",
]

#: The splitting methods, default first.
SPLIT_METHODS: tuple[str, ...] = ("chrono", "time", "random")
#: Split names by code (the codes :func:`assign_splits` returns).
SPLIT_NAMES: tuple[str, ...] = ("train", "val", "test")

ROUNDING_EPS = 1e-9
"""Added before flooring a count: 0.7 * 10 is 6.999..., and no event may be lost to float rounding."""
_EPS = ROUNDING_EPS


def rank_shares(val_frac: float, test_frac: float) -> tuple[float, float]:
    """The validation and test shares a per-user split floors (``chrono``, ``random``).

    They are derived from the cut points ``1 - val - test`` and ``1 - test`` exactly as the split computes
    them (so ``0.15`` may come back as ``0.15000000000000002``): another engine that applies
    ``floor(n * share + ROUNDING_EPS)`` with these values assigns every event the same split.
    """
    train_end = 1.0 - val_frac - test_frac
    val_end = 1.0 - test_frac
    return val_end - train_end, 1.0 - val_end


def time_cut_ranks(n: int, val_frac: float, test_frac: float) -> tuple[int, int]:
    """0-based ranks, in the time-sorted events, of the ``time`` split's two cut timestamps (``n > 0``)."""
    train_end = 1.0 - val_frac - test_frac
    val_end = 1.0 - test_frac
    return min(math.floor(n * train_end + _EPS), n - 1), min(math.floor(n * val_end + _EPS), n - 1)


def validate_split_settings(method: str, val_frac: float, test_frac: float, seed: int | None = 0) -> None:
    """Check split settings.

    Parameters
    ----------
    method : str
        One of :data:`SPLIT_METHODS`.
    val_frac, test_frac : float
        Fractions in ``[0, 1)`` whose sum is below 1.
    seed : int, optional
        Seed of the ``random`` method (a non-negative integer).

    Raises
    ------
    ConfigError
        Naming the bad value.
    """
    if method not in SPLIT_METHODS:
        raise ConfigError(f"unknown split method {method!r}; choose one of {', '.join(SPLIT_METHODS)}")
    for name, value in (("val_frac", val_frac), ("test_frac", test_frac)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"{name} must be in [0, 1), got {value!r}")
    if val_frac + test_frac >= 1.0:
        raise ConfigError(
            f"val_frac + test_frac must be below 1 (train needs events), got {val_frac} + {test_frac}"
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")


def user_time_key(users: np.ndarray, stamps: np.ndarray) -> np.ndarray | None:
    """(user, time) packed into one int64 per row, ordered as the pairs; ``None`` when it cannot be.

    Possible when the users are integers and the span of users times the span of times stays below
    ``2**62``; equal keys are equal (user, time) pairs.
    """
    if len(users) and users.dtype.kind in "iu" and stamps.dtype.kind in "iu":
        low, high = int(stamps.min()), int(stamps.max())
        first_user, last_user = int(users.min()), int(users.max())
        if (last_user - first_user + 1) * (high - low + 1) < 2**62:
            key = users.astype(np.int64) - first_user
            key *= high - low + 1
            key += stamps.astype(np.int64, copy=False)
            key -= low
            return key
    return None


def user_time_order(users: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """Row order by (user, time, position): what the ``chrono`` split ranks each user's events by.

    A stable argsort of the packed :func:`user_time_key` (ties keep file order) where it exists, the
    slower three-key lexsort otherwise.

    Parameters
    ----------
    users : numpy.ndarray
        User of each row (any sortable dtype; integer ids or codes are fastest).
    stamps : numpy.ndarray
        Time of each row (integers).

    Returns
    -------
    numpy.ndarray
        Row indices, grouped by user, each user's rows by time, ties in file order.
    """
    key = user_time_key(users, stamps)
    if key is not None:
        return np.argsort(key, kind="stable")
    return np.lexsort((np.arange(len(users)), stamps, users))


def _by_rank(users: np.ndarray, order: np.ndarray, train_end: float, val_end: float) -> np.ndarray:
    """Assign codes from each row's rank within its user, given rows sorted by (user, order key)."""
    n = len(users)
    sorted_users = users[order]
    starts = np.flatnonzero(np.r_[True, sorted_users[1:] != sorted_users[:-1]]) if n else np.array([], int)
    del sorted_users
    sizes = np.diff(np.r_[starts, n])
    val_frac, test_frac = val_end - train_end, 1.0 - val_end  # what rank_shares gives
    # The counts per user, then where each user's validation and test rows start in the sorted order:
    # a row is train before the first, validation before the second (the same integers as comparing
    # each row's rank with its user's counts, without five row-sized arrays: 10 M events held 0.6 GB).
    n_test = np.floor(sizes * test_frac + _EPS).astype(np.int64)
    n_val = np.floor(sizes * val_frac + _EPS).astype(np.int64)
    n_train = sizes - n_val - n_test
    position = np.arange(n)
    codes_sorted = (position >= np.repeat(starts + n_train, sizes)).astype(np.int8)
    codes_sorted += position >= np.repeat(starts + n_train + n_val, sizes)
    codes = np.empty(n, dtype=np.int8)
    codes[order] = codes_sorted
    return codes


def assign_splits(
    users: np.ndarray,
    timestamps: np.ndarray,
    *,
    method: str = "chrono",
    val_frac: float = 0.15,
    test_frac: float = 0.15,
    seed: int = 0,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Split code (0 train, 1 validation, 2 test) of every event.

    Parameters
    ----------
    users : numpy.ndarray
        User of each event (any sortable dtype; integer codes are fastest).
    timestamps : numpy.ndarray
        Time of each event (datetime64 or integers), in file order.
    method : {"chrono", "time", "random"}, default "chrono"
        See the module docstring.
    val_frac, test_frac : float, default 0.15
        Fractions of validation and test events.
    seed : int, default 0
        Seed of the ``random`` method; the same seed gives the same split.
    order : numpy.ndarray, optional
        For ``chrono``: the rows already ordered by (user, time, position), as :func:`user_time_order`
        gives them (the cleaning sorts the rows that way to find duplicates, so the sort is not repeated).

    Returns
    -------
    numpy.ndarray
        int8 codes indexing :data:`SPLIT_NAMES`.

    Raises
    ------
    ConfigError
        Invalid settings.
    """
    validate_split_settings(method, val_frac, test_frac, seed)
    users = np.asarray(users)
    stamps = np.asarray(timestamps)
    if stamps.dtype.kind == "M":
        stamps = stamps.astype("datetime64[ms]").astype(np.int64)
    n = len(users)
    if len(stamps) != n:
        raise ValueError(f"{n} users but {len(stamps)} timestamps")
    train_end = 1.0 - val_frac - test_frac
    val_end = 1.0 - test_frac
    if method == "chrono":
        if order is None:
            order = user_time_order(users, stamps)
        elif len(order) != n:
            raise ValueError(f"{n} users but an order of {len(order)} rows")
        return _by_rank(users, order, train_end, val_end)
    if method == "random":
        noise = np.random.default_rng(seed).random(n)
        order = np.lexsort((np.arange(n), noise, users))
        return _by_rank(users, order, train_end, val_end)
    # time: one global cut
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    ordered = np.sort(stamps, kind="stable")
    first_rank, second_rank = time_cut_ranks(n, val_frac, test_frac)
    first_cut, second_cut = ordered[first_rank], ordered[second_rank]
    codes = np.where(stamps < first_cut, 0, np.where(stamps < second_cut, 1, 2)).astype(np.int8)
    if test_frac == 0:
        codes[codes == 2] = 1 if val_frac > 0 else 0
    if val_frac == 0:
        codes[codes == 1] = 2 if test_frac > 0 else 0
    return codes
