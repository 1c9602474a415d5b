"""Evaluations of saved models: the computations the Evaluate page runs and caches per data version.

Each function takes the prepared data first and only hashable arguments after it (model file paths, their
versions, the split and settings), so the dashboard can cache it with ``ui.cached``; the file versions
only key that cache, so a rewritten model file is evaluated again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.app.exploration import user_overlap
from recsys.app.workspace import load_model
from recsys.data.interactions import Interactions
from recsys.data.prepared import Prepared
from recsys.errors import ConfigError
from recsys.evaluation.beyond import beyond_accuracy, track_genre_matrix
from recsys.evaluation.evaluate import Evaluation, evaluate_model
from recsys.evaluation.group_metrics import MEMBER_METRICS
from recsys.evaluation.groups import evaluate_groups
from recsys.models import Recommender

__all__ = [
    "GROUP_COLUMNS",
    "REGIMES",
    "SAMPLE_USERS",
    "SPLITS",
    "beyond_table",
    "beyond_table_of",
    "evaluable_models",
    "evaluate_models",
    "evaluate_regimes",
    "evaluate_saved",
    "group_protocol",
    "sample_users",
    "split_users",
    "user_overlap_of",
]

GROUP_COLUMNS = MEMBER_METRICS
"""The per-member group metrics :func:`group_protocol` reports after group precision."""
SPLITS = ("val", "test")
"""The splits a model can be evaluated on (training is what it learned from)."""
REGIMES = {"all tracks": False, "discovery": True}
"""Regime label -> ``exclude_seen``."""
SAMPLE_USERS = 1_000
"""Users the Evaluate page evaluates at first on a large release (a seeded sample, stated on screen; all
of them on request): the basic model scores every track for every user, so 50,000 users x 100,000 tracks
take a minute on two cores and a sample of 1,000 about a second; its 95% intervals say how close the
sample's means are."""


def split_users(prepared: Prepared, split: str = "val") -> int:
    """Users with at least one scored pair in ``split`` (those an evaluation can cover)."""
    frame = prepared.split(split)
    return int(frame.loc[frame["score"] != 0, "user_id"].nunique())


def sample_users(prepared: Prepared, split: str, size: int, seed: int = 0) -> np.ndarray | None:
    """A seeded sample of ``size`` user ids among those with a scored pair in ``split``.

    The same seed gives the same users, so every model and both regimes are evaluated on the same people
    (paired comparisons stay paired).

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data.
    split : {"val", "test"}
        The split to evaluate on.
    size : int
        Users in the sample.
    seed : int
        Seed of the draw.

    Returns
    -------
    numpy.ndarray or None
        The sampled ids, sorted; None when the split has no more than ``size`` users (every user is then
        evaluated).

    Raises
    ------
    ConfigError
        ``size`` below 1.
    """
    if size < 1:
        raise ConfigError(f"a sample of users needs at least one user, got {size}")
    frame = prepared.split(split)
    users = np.sort(frame.loc[frame["score"] != 0, "user_id"].unique())
    if len(users) <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(users, size=size, replace=False))


def _only(truth: Interactions, users: np.ndarray | None) -> Interactions:
    """``truth`` with the rows of users outside ``users`` emptied (evaluated users are those with a truth
    row), on the same indices, so the evaluation still takes its fast path."""
    if users is None:
        return truth
    keep = np.isin(truth.user_ids, users).astype(np.float32)
    matrix = sp.csr_matrix(sp.diags(keep) @ truth.matrix)
    matrix.eliminate_zeros()
    return Interactions(matrix=matrix, user_ids=truth.user_ids, item_ids=truth.item_ids)


def evaluate_models(
    models: Mapping[str, Recommender],
    prepared: Prepared,
    *,
    split: str = "val",
    k: Sequence[int] = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
    users: np.ndarray | None = None,
    truths: Mapping[str, Interactions] | None = None,
) -> dict[str, Evaluation]:
    """Evaluate each model on a split of the prepared data.

    Parameters
    ----------
    models : mapping
        Name -> trained model.
    prepared : recsys.data.prepared.Prepared
        The data; the truth is ``prepared.matrix(split, like=model.train)``.
    split : {"val", "test"}
        The split to evaluate on.
    k, threshold, exclude_seen, n_boot, seed
        As :func:`recsys.evaluation.evaluate.evaluate_model`.
    users : numpy.ndarray, optional
        Evaluate only these users (e.g. :func:`sample_users`); every user by default.
    truths : mapping, optional
        Each model's truth matrix, already laid (several regimes of the same split share them);
        ``split`` and ``users`` are then not used.

    Returns
    -------
    dict
        Name -> :class:`~recsys.evaluation.evaluate.Evaluation`, in the order given.

    Raises
    ------
    ConfigError
        An unknown split, or no models.
    """
    if not models:
        raise ConfigError("choose at least one model to evaluate")
    if truths is None:
        truths = _truths(models, prepared, split, users)
    return {
        name: evaluate_model(model, truths[name], k=tuple(k), threshold=threshold, exclude_seen=exclude_seen,
                             n_boot=n_boot, seed=seed)
        for name, model in models.items()
    }


def _truths(
    models: Mapping[str, Recommender], prepared: Prepared, split: str, users: np.ndarray | None
) -> dict[str, Interactions]:
    """Each model's truth matrix (``split`` laid on its training rows and columns, kept to ``users``), laid
    once for models trained on the same users and tracks (a second of work per model at 10 M events)."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; choose one of {list(SPLITS)}")
    out: dict[str, Interactions] = {}
    laid: list[tuple[Interactions, Interactions]] = []  # (a model's training matrix, its truth)
    for name, model in models.items():
        train = model._fitted()
        same = next((truth for other, truth in laid if np.array_equal(other.user_ids, train.user_ids)
                     and np.array_equal(other.item_ids, train.item_ids)), None)
        out[name] = same if same is not None else _only(prepared.matrix(split, like=train), users)
        laid.append((train, out[name]))
    return out


def evaluate_regimes(
    prepared: Prepared,
    paths: tuple[str, ...],
    split: str = "val",
    k: tuple[int, ...] = (5, 10, 30),
    threshold: float = 1.0,
    regimes: Sequence[bool] = (True, False),
    sample: int | None = None,
) -> list[dict[str, Evaluation]]:
    """:func:`evaluate_saved` in several regimes, each model file read and each truth laid only once.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data.
    paths : tuple of str
        Saved model files (named by file stem).
    split, k, threshold
        As :func:`evaluate_models`.
    regimes : sequence of bool
        ``exclude_seen`` of each evaluation.
    sample : int, optional
        Evaluate a seeded sample of that many users (:func:`sample_users`), the same in every regime.

    Returns
    -------
    list of dict
        Per regime, in the order given: name -> evaluation.
    """
    models = {Path(p).stem: load_model(p) for p in paths}
    if not models:
        raise ConfigError("choose at least one model to evaluate")
    users = sample_users(prepared, split, sample) if sample is not None else None
    truths = _truths(models, prepared, split, users)
    return [
        evaluate_models(models, prepared, k=k, threshold=threshold, exclude_seen=regime, truths=truths)
        for regime in regimes
    ]


def user_overlap_of(prepared: Prepared, threshold: float, split: str = "val", sample: int | None = None
                    ) -> pd.DataFrame:
    """:func:`~recsys.app.exploration.user_overlap` of the training and validation splits, for the users
    of :func:`sample_users` when ``sample`` is given (the per-user table's "already heard" column: a
    second of work over every user of a large release, a few milliseconds over the sample)."""
    train, val = prepared.train, prepared.val
    users = sample_users(prepared, split, sample) if sample is not None else None
    if users is not None:
        train, val = train[train["user_id"].isin(users)], val[val["user_id"].isin(users)]
    return user_overlap(train, val, threshold=threshold)



def evaluate_saved(
    prepared: Prepared,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    k: tuple[int, ...] = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
    sample: int | None = None,
) -> dict[str, Evaluation]:
    """:func:`evaluate_models` of saved model files (named by file stem).

    ``versions`` (the files' modification times) only key the dashboard's cache: a rewritten file is
    evaluated again. ``sample``: evaluate a seeded sample of that many users (:func:`sample_users`)
    instead of every user.
    """
    return evaluate_regimes(prepared, paths, split, k, threshold, (exclude_seen,), sample)[0]


def group_protocol(
    prepared: Prepared,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    kind: str = "random",
    size: int = 5,
    n_groups: int = 200,
    k: int = 10,
    strategy: str = "average",
    threshold: float = 1.0,
    exclude_seen: bool = False,
    protocol: str = "coupled",
) -> pd.DataFrame:
    """The notebook's group protocol for saved models, on the same groups where the models allow.

    ``protocol`` is :func:`recsys.evaluation.groups.evaluate_groups`'s: ``coupled`` judges the lists by
    held-out plays, ``decoupled`` by each member's own ranking.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model, groups, precision@k`` (group precision: relevant = union of the
        members'), then the members' view of the list (:data:`GROUP_COLUMNS`: ``ndcg_mean@k``,
        ``ndcg_min@k`` (the worst-served member), ``ndcg_minmax@k``, ``ndcg_jain@k``, ``recall_mean@k``,
        ``recall_min@k``, ``zero_recall@k``, ``dfh@k``), each with ``<col> ci_low`` / ``<col> ci_high``,
        and ``random precision@k``.
    """
    rows = []
    shared = None
    first_users = None
    for path in paths:
        model = load_model(path)
        train = model._fitted()
        same = first_users is not None and np.array_equal(train.user_ids, first_users)
        ge = evaluate_groups(
            model, prepared.matrix(split, like=train), n_groups=n_groups, size=size, kind=kind, k=(k,),
            strategy=strategy, threshold=threshold, exclude_seen=exclude_seen,
            groups=shared if same else None, n_boot=300, protocol=protocol,
        )
        if first_users is None:
            first_users, shared = train.user_ids, ge.groups
        row: dict[str, str | int | float] = {"model": Path(path).stem, "groups": len(ge.per_group)}
        for col in (f"{name}@{k}" for name in ("precision", *GROUP_COLUMNS)):
            s = ge.summary.loc[col]
            row[col] = float(s["mean"])
            row[f"{col} ci_low"] = float(s["ci_low"])
            row[f"{col} ci_high"] = float(s["ci_high"])
        row[f"random precision@{k}"] = float(ge.summary.loc[f"precision@{k}", "random"])
        rows.append(row)
    return pd.DataFrame(rows)


def beyond_table(prepared: Prepared, evaluations: Mapping[str, Evaluation]) -> pd.DataFrame:
    """Beyond-accuracy figures of each model's evaluated top lists.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model, coverage, novelty, avg_popularity, diversity`` (genre intra-list
        diversity), from :func:`recsys.evaluation.beyond.beyond_accuracy`.
    """
    train = prepared.matrix("train")
    popularity = train.item_popularity()
    genres = track_genre_matrix(prepared.tracks, train.item_ids)
    rows = []
    for name, ev in evaluations.items():
        figures = beyond_accuracy(ev.top, n_items=train.n_items, popularity=popularity, n_users=train.n_users,
                                  genres=genres)
        rows.append({"model": name, **figures})
    return pd.DataFrame(rows)


def beyond_table_of(
    prepared: Prepared,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    k: tuple[int, ...] = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
    sample: int | None = None,
) -> pd.DataFrame:
    """:func:`beyond_table` of saved models' evaluated lists (see :func:`evaluate_saved`)."""
    evaluations = evaluate_saved(prepared, paths, versions, split, k, threshold, exclude_seen, sample)
    return beyond_table(prepared, evaluations)


def evaluable_models(table: pd.DataFrame, *, matching_only: bool = False) -> list[str]:
    """Names of the saved models that can be evaluated: readable files, optionally only those trained on
    the data in use.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`recsys.app.model_catalog.catalog_table` (``name``, ``error``, ``matches_data``).
    matching_only : bool
        Keep only models whose fingerprint matches the data (``matches_data``).

    Returns
    -------
    list of str
        In the table's order.
    """
    if table.empty:
        return []
    keep = table["error"].isna()
    if matching_only:
        keep &= table["matches_data"].fillna(False).astype(bool)
    return table.loc[keep, "name"].tolist()
