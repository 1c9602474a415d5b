"""Positions of ids in an index, fast for the millions of string ids of a large release.

``pd.Index.get_indexer`` hashes every value: 2.4 s for 2.8 M track ids of 22 characters. Factorizing
the values first (one hash pass in C, 0.3 s) and looking up only the distinct ones gives the same answer,
and a categorical column (the prepared events' ``track_id``) needs only its categories looked up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["positions"]


def positions(index: pd.Index, values: pd.Series | np.ndarray) -> np.ndarray:
    """``index.get_indexer(values)``: each value's position in ``index`` (unique), ``-1`` when absent.

    Parameters
    ----------
    index : pandas.Index
        Unique ids.
    values : pandas.Series or numpy.ndarray
        Ids to look up (missing values give ``-1``).

    Returns
    -------
    numpy.ndarray
        ``int64`` positions.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        found = index.get_indexer(values.cat.categories)
    else:
        codes, uniques = pd.factorize(values)
        found = index.get_indexer(uniques)
    out = np.where(codes >= 0, found[np.maximum(codes, 0)] if len(found) else -1, -1)
    return out.astype(np.int64, copy=False)
