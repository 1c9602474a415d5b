"""The user x track score matrix every model and metric works on.

A prepared split is a long table of ``(user_id, track_id, score)``; models and metrics need it as a
sparse matrix with stable integer indices. :class:`Interactions` holds that matrix together with the
two id lists that encode it (index -> original id), so a validation split can be laid on exactly the
same indices as the training split (:meth:`Interactions.align`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.errors import DataError, UnknownUserError

__all__ = ["Interactions"]


@dataclass(frozen=True)
class Interactions:
    """A users x tracks CSR matrix of scores with the ids behind its rows and columns.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        ``float32`` scores, shape ``(len(user_ids), len(item_ids))``; a pair absent from the split is
        an implicit zero. Duplicated pairs in the input are summed.
    user_ids : numpy.ndarray
        Original user id of each row.
    item_ids : numpy.ndarray
        Original track id of each column (normally the whole catalogue, so that every model ranks
        every track).
    source : str or None
        The Parquet table the pairs were read from (``user_id, track_id, score``; zero scores left out),
        when the matrix is exactly that table on these ids (:meth:`recsys.data.prepared.Prepared.matrix`
        sets it). An engine that reads files itself (Spark) reads it instead of the matrix in memory.
    """

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    source: str | None = field(default=None, compare=False)
    _user_pos: dict = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    _item_pos: dict = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.matrix.shape != (len(self.user_ids), len(self.item_ids)):
            raise ValueError(
                f"matrix shape {self.matrix.shape} does not match "
                f"{len(self.user_ids)} users x {len(self.item_ids)} items"
            )
        object.__setattr__(self, "_user_pos", {u: i for i, u in enumerate(self.user_ids.tolist())})
        object.__setattr__(self, "_item_pos", {t: i for i, t in enumerate(self.item_ids.tolist())})

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        user_ids: Sequence | np.ndarray | None = None,
        item_ids: Sequence | np.ndarray | None = None,
    ) -> Interactions:
        """Build the matrix from a ``user_id, track_id, score`` table.

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns ``user_id``, ``track_id``, ``score``.
        user_ids, item_ids : array-like, optional
            The encoders to use. When given, rows whose user or track is not listed are dropped (this
            is how a validation split is laid on the training split's indices). When omitted, the
            sorted unique ids of ``frame`` are used.

        Returns
        -------
        Interactions
        """
        missing = {"user_id", "track_id", "score"} - set(frame.columns)
        if missing:
            raise DataError(f"missing columns {sorted(missing)}", field=sorted(missing)[0])
        users = np.asarray(
            np.sort(frame["user_id"].unique()) if user_ids is None else user_ids
        )
        items = np.asarray(
            np.sort(frame["track_id"].unique()) if item_ids is None else item_ids
        )
        rows = _positions(pd.Index(users), frame["user_id"])
        cols = _positions(pd.Index(items), frame["track_id"])
        keep = (rows >= 0) & (cols >= 0)
        values = frame["score"].to_numpy(dtype=np.float32)[keep]
        matrix = sp.csr_matrix(
            (values, (rows[keep], cols[keep])), shape=(len(users), len(items)), dtype=np.float32
        )
        matrix.sum_duplicates()
        matrix.sort_indices()
        return cls(matrix=matrix, user_ids=users, item_ids=items)

    def align(self, frame: pd.DataFrame) -> Interactions:
        """Lay another split on this one's user and track indices (unknown ids are dropped)."""
        return Interactions.from_frame(frame, user_ids=self.user_ids, item_ids=self.item_ids)

    # -- lookups ------------------------------------------------------------------------------
    @property
    def n_users(self) -> int:
        """Number of rows (users)."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Number of columns (tracks)."""
        return len(self.item_ids)

    @property
    def nnz(self) -> int:
        """Number of stored (user, track) pairs."""
        return int(self.matrix.nnz)

    def has_user(self, user_id: object) -> bool:
        """Whether ``user_id`` has a row."""
        return user_id in self._user_pos

    def user_index(self, user_ids: Sequence | np.ndarray) -> np.ndarray:
        """Row indices of ``user_ids``.

        Raises
        ------
        UnknownUserError
            Naming the first id that has no row.
        """
        out = np.empty(len(user_ids), dtype=np.int64)
        for k, u in enumerate(user_ids):
            pos = self._user_pos.get(u)
            if pos is None:
                raise UnknownUserError(f"unknown user id {u!r}")
            out[k] = pos
        return out

    def item_index(self, item_ids: Sequence | np.ndarray) -> np.ndarray:
        """Column indices of ``item_ids`` (-1 for an id that is not a column)."""
        return np.array([self._item_pos.get(t, -1) for t in item_ids], dtype=np.int64)

    def item_popularity(self) -> np.ndarray:
        """Per track, the number of users with a positive score (``float32``)."""
        return np.asarray((self.matrix > 0).sum(axis=0), dtype=np.float32).ravel()

    def user_items(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and scores stored in row ``row``."""
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        return self.matrix.indices[start:end], self.matrix.data[start:end]

    def to_frame(self) -> pd.DataFrame:
        """The stored pairs back as a ``user_id, track_id, score`` table."""
        coo = self.matrix.tocoo()
        return pd.DataFrame(
            {
                "user_id": self.user_ids[coo.row],
                "track_id": self.item_ids[coo.col],
                "score": coo.data,
            }
        )


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """``index.get_indexer(values)``, hashing each distinct value once: the string track ids of a large
    release repeat millions of times (3.7 M lookups of 22-character ids took seconds through
    ``get_indexer``; factorizing first, then looking up the 100,000 distinct ids, a fraction)."""
    codes, uniques = pd.factorize(values)
    found = index.get_indexer(uniques)
    if len(found) == 0:
        return np.full(len(codes), -1, dtype=np.int64)
    return np.where(codes >= 0, found[np.maximum(codes, 0)], -1).astype(np.int64, copy=False)
