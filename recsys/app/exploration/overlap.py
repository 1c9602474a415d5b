"""Train / validation overlap: how many validation pairs a user had already heard in training (the
notebook's finding: models score well on exactly those users)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.prepared import Prepared
from recsys.errors import ConfigError

__all__ = ["PairOverlap", "overlap_vs_metric", "pair_overlap", "prepared_overlap", "user_overlap"]


@dataclass(frozen=True)
class PairOverlap:
    """How many (user, track) pairs are in training only, validation only, or both (the notebook's count).

    Attributes
    ----------
    train_only, val_only, both : int
    """

    train_only: int
    val_only: int
    both: int

    @property
    def val_total(self) -> int:
        """Distinct validation pairs."""
        return self.val_only + self.both

    @property
    def val_share_seen(self) -> float:
        """Share of validation pairs already in training."""
        return self.both / self.val_total if self.val_total else 0.0


def _pair_index(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[["user_id", "track_id"]]).unique()


def pair_overlap(train: pd.DataFrame, val: pd.DataFrame) -> PairOverlap:
    """Count distinct (user, track) pairs in training only, validation only and both.

    Parameters
    ----------
    train, val : pandas.DataFrame
        Splits with ``user_id, track_id`` (score ignored: every listed pair counts).

    Returns
    -------
    PairOverlap
    """
    a, b = _pair_index(train), _pair_index(val)
    both = len(a.intersection(b))
    return PairOverlap(train_only=len(a) - both, val_only=len(b) - both, both=both)


def user_overlap(train: pd.DataFrame, val: pd.DataFrame, *, threshold: float | None = None) -> pd.DataFrame:
    """Per user, the share of validation tracks already heard in training.

    Parameters
    ----------
    train, val : pandas.DataFrame
        Splits with ``user_id, track_id, score``.
    threshold : float, optional
        Count only validation pairs with ``score >= threshold`` (the relevant ones); all when ``None``.

    Returns
    -------
    pandas.DataFrame
        Columns ``user_id``, ``val_tracks`` (distinct validation tracks), ``seen_in_train`` (of those,
        heard in training) and ``share`` (``seen_in_train / val_tracks``); one row per validation user
        with at least one counted track, sorted by user id.
    """
    if threshold is not None:
        val = val[val["score"] >= threshold]
    v = val[["user_id", "track_id"]].drop_duplicates()
    seen = pd.MultiIndex.from_frame(v).isin(_pair_index(train))
    table = (
        v.assign(seen_in_train=seen.astype(np.int64))
        .groupby("user_id", sort=True)
        .agg(val_tracks=("track_id", "size"), seen_in_train=("seen_in_train", "sum"))
        .reset_index()
    )
    table["val_tracks"] = table["val_tracks"].astype(np.int64)
    table["seen_in_train"] = table["seen_in_train"].astype(np.int64)
    table["share"] = table["seen_in_train"] / table["val_tracks"]
    return table


def overlap_vs_metric(overlap: pd.DataFrame, per_user: pd.DataFrame, metric: str = "ndcg@10") -> pd.DataFrame:
    """Join each user's overlap share with a per-user metric (the "overlap vs NDCG" chart).

    Parameters
    ----------
    overlap : pandas.DataFrame
        From :func:`user_overlap`.
    per_user : pandas.DataFrame
        A per-user metric table from :mod:`recsys.evaluation`: ``user_id`` and a ``metric`` column.
    metric : str
        The metric column to take.

    Returns
    -------
    pandas.DataFrame
        Columns ``user_id``, ``share``, ``val_tracks`` and ``metric``, for users in both tables,
        sorted by user id.

    Raises
    ------
    ConfigError
        ``metric`` is not a column of ``per_user``.
    """
    if metric not in per_user.columns:
        raise ConfigError(
            f"metric {metric!r} is not in the per-user table (columns: {list(per_user.columns)})"
        )
    joined = overlap[["user_id", "share", "val_tracks"]].merge(
        per_user[["user_id", metric]], on="user_id", how="inner"
    )
    return joined.sort_values("user_id", ignore_index=True)


def prepared_overlap(prepared: Prepared, threshold: float | None = None) -> tuple[PairOverlap, pd.DataFrame]:
    """:func:`pair_overlap` and :func:`user_overlap` of a prepared dataset's train and validation splits."""
    return pair_overlap(prepared.train, prepared.val), user_overlap(
        prepared.train, prepared.val, threshold=threshold
    )
