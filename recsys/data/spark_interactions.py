"""A users x tracks matrix as a Spark table of its cells, read from its Parquet table when there is one.

The Spark trainer and the Spark evaluator both need an :class:`~recsys.data.interactions.Interactions`
matrix on Spark, with the matrix's own row and column numbers. When the matrix knows the prepared table it
was read from (``source``), Spark reads that Parquet file itself and numbers its ids by joining the
matrix's id lists (small beside the pairs); otherwise the cells in memory are handed over as Arrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.interactions import Interactions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["cells_frame", "id_array"]


def id_array(values: np.ndarray) -> pa.Array:
    """Ids as Arrow, typed as the prepared tables type them (integers stay int64, anything else text)."""
    array = pa.array(np.asarray(values).tolist())
    if pa.types.is_integer(array.type) or pa.types.is_string(array.type):
        return array
    return pc.cast(array, pa.string())


def cells_frame(session: SparkSession, matrix: Interactions) -> DataFrame:
    """The stored, non-zero cells of ``matrix`` as a Spark table ``(u, i, s)``.

    Parameters
    ----------
    session : pyspark.sql.SparkSession
    matrix : Interactions
        Read from ``matrix.source`` (by Spark) when set, else from memory.

    Returns
    -------
    pyspark.sql.DataFrame
        ``u`` (row) and ``i`` (column) as int, ``s`` the score as double; pairs of ids that are not rows or
        columns of the matrix are left out, as :meth:`Interactions.align` leaves them out.
    """
    from pyspark.sql import functions as F

    if matrix.source is not None:
        users = session.createDataFrame(
            pa.table({"user_id": id_array(matrix.user_ids), "u": np.arange(matrix.n_users, dtype=np.int32)})
        )
        items = session.createDataFrame(
            pa.table({"track_id": id_array(matrix.item_ids), "i": np.arange(matrix.n_items, dtype=np.int32)})
        )
        return (
            session.read.parquet(matrix.source)
            .where(F.col("score") != 0)
            .join(F.broadcast(users), "user_id")
            .join(F.broadcast(items), "track_id")
            .select("u", "i", F.col("score").cast("double").alias("s"))
        )
    coo = matrix.matrix.tocoo()
    keep = coo.data != 0
    return session.createDataFrame(
        pa.table(
            {
                "u": coo.row[keep].astype(np.int32),
                "i": coo.col[keep].astype(np.int32),
                "s": coo.data[keep].astype(np.float64),
            }
        )
    )
