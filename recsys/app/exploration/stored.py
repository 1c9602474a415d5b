"""The Data page's overview stored beside the prepared tables, reused while the data is unchanged.

Computing :func:`~recsys.app.exploration.overview.overview` reads every cleaned event (10 million at a
real service's size: about ten seconds on two cores); a fresh dashboard server should not pay for it
again. Layout of ``<prepared folder>/overview/``: ``overview.json`` holds ``key`` (the data's
fingerprint and :data:`FORMAT`) and the summary's numbers; one Parquet file per table sits beside it.
The folder is written whole and swapped in at once (:mod:`recsys.fileio`, as the stored diagnosis), so
a reader never sees half of it; a folder that cannot be written (a read-only release) is not cached.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.app.exploration.overlap import PairOverlap, prepared_overlap
from recsys.app.exploration.overview import Overview, overview
from recsys.app.exploration.sparsity import SparsityMatrix, prepared_sparsity
from recsys.app.exploration.summary import DatasetSummary
from recsys.data.interactions import Interactions
from recsys.data.prepared import Prepared
from recsys.fileio import kept_folder

__all__ = ["FORMAT", "overview_cached", "stored_history", "stored_overlap", "stored_sparsity", "stored_table"]

T = TypeVar("T")

FORMAT = 1
"""The stored overview's format: a stored folder of another format is computed again."""
_DIR = "overview"
_META = "overview.json"
_TABLES = ("by_type", "over_time", "activity", "popularity", "genres", "rejected")
_STORED = "stored"  # <prepared folder>/stored/<name>/: one table each (stored_table)


def overview_cached(prepared: Prepared) -> Overview:
    """:func:`~recsys.app.exploration.overview.overview`, stored beside the prepared tables and reused.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        A prepared dataset (without a folder or a fingerprint nothing is stored).

    Returns
    -------
    Overview
        Equal to ``overview(prepared)``; the prepare report is always the manifest's own.
    """
    folder = getattr(prepared, "folder", None)
    fingerprint = getattr(prepared, "fingerprint", None)
    if folder is None or fingerprint is None:
        return overview(prepared)

    def read(target: Path, payload: dict[str, Any]) -> Overview | None:
        values = payload["summary"]
        if set(values) != {f.name for f in fields(DatasetSummary)}:
            return None
        tables = {name: pd.read_parquet(target / f"{name}.parquet") for name in _TABLES}
        for name in ("start", "end"):
            values[name] = None if values[name] is None else pd.Timestamp(values[name])
        # the prepare report is always the manifest's own
        return Overview(summary=DatasetSummary(**values), report=dict(prepared.report or {}), **tables)

    def write(result: Overview, staged: Path) -> dict[str, Any]:
        summary = asdict(result.summary)
        for name in ("start", "end"):
            summary[name] = None if summary[name] is None else pd.Timestamp(summary[name]).isoformat()
        for name in _TABLES:
            getattr(result, name).to_parquet(staged / f"{name}.parquet")
        return {"summary": summary}

    key = {"fingerprint": str(fingerprint), "format": FORMAT}
    return kept_folder(Path(folder) / _DIR, key, lambda: overview(prepared), read, write, meta=_META)


def stored_table(prepared: Prepared, name: str, compute: Callable[[Prepared], pd.DataFrame]) -> pd.DataFrame:
    """``compute(prepared)``, stored beside the prepared tables (``<prepared folder>/stored/<name>/``) and
    read back while the data's fingerprint is unchanged: for a table that takes seconds to derive from
    10 million events (the Group builder's user directory) and is small to keep.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        A prepared dataset (without a folder or a fingerprint nothing is stored).
    name : str
        The table's name (a folder name: letters, digits, ``-``).
    compute : callable
        Derives the table from the data.

    Returns
    -------
    pandas.DataFrame
        Equal to ``compute(prepared)`` (what Parquet keeps: columns, dtypes, values; not ``attrs``).
    """
    def read(target: Path) -> pd.DataFrame:
        return pd.read_parquet(target / "table.parquet")

    def write(table: pd.DataFrame, staged: Path) -> None:
        table.to_parquet(staged / "table.parquet", index=False)

    return _kept(prepared, name, lambda: compute(prepared), read, write)


def stored_history(prepared: Prepared) -> Interactions:
    """``prepared.history()`` (every split, every user, scores summed), stored beside the prepared tables
    (``<prepared folder>/stored/history/``: the matrix as ``.npz``, its user and track ids as Parquet) and
    read back while the data's fingerprint is unchanged: building it reads the three splits and lays 10 M
    pairs on the catalogue (three seconds on two cores), reading it back a few tenths.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        A prepared dataset (without a folder or a fingerprint nothing is stored).

    Returns
    -------
    recsys.data.interactions.Interactions
        Equal to ``prepared.history()`` (matrix, user ids and track ids).
    """
    def read(target: Path) -> Interactions:
        matrix = sp.csr_matrix(sp.load_npz(target / "matrix.npz"))
        users = pd.read_parquet(target / "users.parquet")["id"].to_numpy()
        items = pd.read_parquet(target / "tracks.parquet")["id"].to_numpy()
        return Interactions(matrix=matrix, user_ids=users, item_ids=items)

    def write(history: Interactions, staged: Path) -> None:
        sp.save_npz(staged / "matrix.npz", history.matrix, compressed=False)
        pd.DataFrame({"id": history.user_ids}).to_parquet(staged / "users.parquet", index=False)
        pd.DataFrame({"id": history.item_ids}).to_parquet(staged / "tracks.parquet", index=False)

    return _kept(prepared, "history", prepared.history, read, write)


def stored_sparsity(prepared: Prepared, split: str = "train") -> SparsityMatrix:
    """:func:`~recsys.app.exploration.sparsity.prepared_sparsity` of ``split`` (the page's default bins),
    stored beside the prepared tables (``<prepared folder>/stored/sparsity-<split>/``) and read back while
    the data's fingerprint is unchanged: binning 6 M pairs of 50,000 users took the Sparsity tab's first
    open over 2 s, reading the bins back a tenth of that.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        A prepared dataset (without a folder or a fingerprint nothing is stored).
    split : str
        ``train``, ``val`` or ``test``.

    Returns
    -------
    SparsityMatrix
        Equal to ``prepared_sparsity(prepared, split)``.
    """
    arrays = ("counts", "cells", "user_edges", "track_edges")

    def read(target: Path) -> SparsityMatrix:
        with np.load(target / "bins.npz", allow_pickle=False) as stored:
            binned = {name: stored[name] for name in arrays}
        sizes = json.loads((target / "sizes.json").read_text())
        users = pd.read_parquet(target / "users.parquet")["id"].to_numpy()
        tracks = pd.read_parquet(target / "tracks.parquet")["id"].to_numpy()
        return SparsityMatrix(**binned, user_order=users, track_order=tracks, **sizes)

    def write(matrix: SparsityMatrix, staged: Path) -> None:
        np.savez(staged / "bins.npz", **{name: getattr(matrix, name) for name in arrays})
        sizes = {name: int(getattr(matrix, name)) for name in ("n_users", "n_tracks", "n_pairs")}
        (staged / "sizes.json").write_text(json.dumps(sizes))
        pd.DataFrame({"id": matrix.user_order}).to_parquet(staged / "users.parquet", index=False)
        pd.DataFrame({"id": matrix.track_order}).to_parquet(staged / "tracks.parquet", index=False)

    return _kept(prepared, f"sparsity-{split}", lambda: prepared_sparsity(prepared, split), read, write)


def stored_overlap(prepared: Prepared) -> tuple[PairOverlap, pd.DataFrame]:
    """:func:`~recsys.app.exploration.overlap.prepared_overlap`, stored beside the prepared tables
    (``<prepared folder>/stored/overlap/``) and read back while the data's fingerprint is unchanged
    (the overlap tab's first open joined 8 M pairs: 2 s at 50,000 users).

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        A prepared dataset (without a folder or a fingerprint nothing is stored).

    Returns
    -------
    tuple
        Equal to ``prepared_overlap(prepared)``: the pair counts and the per-user table.
    """
    def read(target: Path) -> tuple[PairOverlap, pd.DataFrame]:
        pairs = PairOverlap(**json.loads((target / "pairs.json").read_text()))
        return pairs, pd.read_parquet(target / "per_user.parquet")

    def write(value: tuple[PairOverlap, pd.DataFrame], staged: Path) -> None:
        pairs, per_user = value
        (staged / "pairs.json").write_text(json.dumps({k: int(v) for k, v in asdict(pairs).items()}))
        per_user.to_parquet(staged / "per_user.parquet", index=False)

    return _kept(prepared, "overlap", lambda: prepared_overlap(prepared), read, write)


def _kept(
    prepared: Prepared,
    name: str,
    compute: Callable[[], T],
    read: Callable[[Path], T],
    write: Callable[[T, Path], None],
) -> T:
    """``compute()``, kept in ``<prepared folder>/stored/<name>/`` under the data's fingerprint
    (:func:`recsys.fileio.kept_folder`); data without a folder or a fingerprint is not stored at all."""
    folder = getattr(prepared, "folder", None)
    fingerprint = getattr(prepared, "fingerprint", None)
    if folder is None or fingerprint is None:
        return compute()

    def laid(value: T, staged: Path) -> dict[str, Any]:
        write(value, staged)
        return {}

    key = {"fingerprint": str(fingerprint), "format": FORMAT, "name": name}
    target = Path(folder) / _STORED / name
    return kept_folder(target, key, compute, lambda where, _: read(where), laid, meta=_META)
