"""The Evaluate page's group views: the group-kinds study of saved models, and one user opened.

:func:`group_study_of_saved` runs :func:`recsys.evaluation.group_study.group_kinds_study` on saved model
files (named by file stem), with the arguments the dashboard caches on; :func:`study_table` lays its
result out in plain words. :func:`user_detail` is what a click on a user in the per-user chart opens:
their listening history and each model's recommendations, with the held-out tracks they hit.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.app.altair_charts import metric_label
from recsys.app.group_builder.strategies import strategy_label
from recsys.app.group_builder.tracks import track_info
from recsys.app.workspace import load_model
from recsys.data.prepared import Prepared
from recsys.errors import ConfigError, UnknownUserError
from recsys.evaluation.group_study import group_kinds_study
from recsys.models import Recommender

__all__ = ["UserDetail", "group_study_of_saved", "study_table", "user_detail"]

_KEYS = ("model", "strategy", "group kind", "group size")
_KINDS = {"random": "random", "similar": "similar tastes", "divergent": "divergent tastes",
          "outlier": "one outlier"}


def group_study_of_saved(
    prepared: Prepared,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    k: int = 10,
    threshold: float = 1.0,
    exclude_seen: bool = False,
    kinds: tuple[str, ...] = ("random", "similar", "divergent", "outlier"),
    sizes: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8),
    strategies: tuple[str, ...] = ("average", "least_misery", "gfar", "epfuzzda"),
    n_groups: int = 50,
    protocol: str = "coupled",
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> pd.DataFrame:
    """The group-kinds study of saved models (min-NDCG and zero-recall with 95% intervals).

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data; each model's truth is ``prepared.matrix(split, like=model.train)``.
    paths : tuple of str
        Model files (named by file stem); they must be trained on the same users and tracks.
    versions : tuple of int
        The files' versions: they only key the dashboard's cache.
    split, k, threshold, exclude_seen
        The truth split, cut-off, relevance threshold and regime.
    kinds, sizes, strategies, n_groups, protocol, seed
        See :func:`recsys.evaluation.group_study.group_kinds_study`.
    progress : callable, optional
        ``progress(share_done, what)``.

    Returns
    -------
    pandas.DataFrame
        The study's table (:data:`recsys.evaluation.group_study.STUDY_COLUMNS`) plus ``strategy_label``.
    """
    if split not in ("val", "test"):
        raise ConfigError(f"unknown split {split!r}; choose val or test")
    models = {Path(p).stem: load_model(p) for p in paths}
    truth = {name: prepared.matrix(split, like=m._fitted()) for name, m in models.items()}
    out = group_kinds_study(models, truth, kinds=kinds, sizes=sizes, strategies=strategies,
                            metrics=("ndcg_min", "zero_recall"), n_groups=n_groups, k=k, threshold=threshold,
                            exclude_seen=exclude_seen, protocol=protocol, seed=seed, progress=progress)
    out["strategy_label"] = out["strategy"].map(strategy_label)
    return out


def study_table(study: pd.DataFrame) -> pd.DataFrame:
    """The study as a table in plain words: one row per model, strategy, kind and size.

    Parameters
    ----------
    study : pandas.DataFrame
        From :func:`group_study_of_saved`.

    Returns
    -------
    pandas.DataFrame
        ``model, strategy, group kind, group size`` then per metric its mean and ``[low, high]``
        interval as text, columns named in plain words.
    """
    rows: dict[tuple, dict[str, object]] = {}
    for r in study.itertuples(index=False):
        key = (r.model, strategy_label(r.strategy), _KINDS.get(r.kind, r.kind), int(r.size))
        row = rows.setdefault(key, dict(zip(_KEYS, key, strict=True)))
        name = metric_label(r.metric)
        row[name] = round(float(r.mean), 4)
        row[f"{name}, 95% interval"] = f"[{r.ci_low:.3f}, {r.ci_high:.3f}]"
    return pd.DataFrame(list(rows.values()))


@dataclass(frozen=True)
class UserDetail:
    """One user opened from the per-user chart.

    Attributes
    ----------
    user_id : hashable
        The user.
    history : pandas.DataFrame
        Their training plays, most played first: ``name, artist, score``.
    heldout : pandas.DataFrame
        Their tracks in the evaluated split: ``name, artist, score``.
    recommendations : dict
        Model name -> ``rank, name, artist, held_out`` (the track is in the evaluated split).
    """

    user_id: Hashable
    history: pd.DataFrame
    heldout: pd.DataFrame
    recommendations: dict[str, pd.DataFrame]


def _named(frame: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    cat = info.drop_duplicates("id").set_index("id")
    out = pd.DataFrame({
        "name": frame["track_id"].map(cat["name"]).fillna(frame["track_id"].astype(str)).astype(str),
        "artist": frame["track_id"].map(cat["artist_name"]).fillna("unknown artist").astype(str),
    })
    if "score" in frame:
        out["score"] = frame["score"].to_numpy()
    return out.reset_index(drop=True)


def user_detail(
    prepared: Prepared,
    models: Mapping[str, Recommender],
    user_id: Hashable,
    *,
    split: str = "val",
    n: int = 10,
    exclude_seen: bool = False,
    history_rows: int = 20,
) -> UserDetail:
    """A user's history and each model's list for them, marking the held-out tracks it hits.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data.
    models : mapping
        Name -> trained model.
    user_id : hashable
        The user (an id of the data).
    split : {"val", "test"}
        The evaluated split (the held-out tracks).
    n : int
        Recommendations per model.
    exclude_seen : bool
        The discovery regime (tracks heard in training are not recommended).
    history_rows : int
        Training plays shown at most.

    Returns
    -------
    UserDetail

    Raises
    ------
    UnknownUserError
        A user with no training plays (the per-user table lists only evaluated users).
    """
    train = prepared.train[prepared.train["user_id"] == user_id]
    if train.empty:
        raise UnknownUserError(f"user {user_id!r} has no training plays to show")
    info = track_info(prepared.tracks)
    held = prepared.split(split)
    held = held[(held["user_id"] == user_id) & (held["score"] > 0)]
    history = train.groupby("track_id", as_index=False)["score"].sum().sort_values(
        ["score", "track_id"], ascending=[False, True], kind="stable").head(history_rows)
    later = set(held["track_id"].tolist())
    recs = {}
    for name, model in models.items():
        rec = model.recommend([user_id], n, exclude_seen=exclude_seen)
        table = _named(pd.DataFrame({"track_id": rec.track_ids}), info)
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        table["held_out"] = [t in later for t in rec.track_ids.tolist()]
        recs[name] = table
    return UserDetail(user_id=user_id, history=_named(history, info), heldout=_named(held, info),
                      recommendations=recs)
