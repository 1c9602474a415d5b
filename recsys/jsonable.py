"""Plain JSON values out of numpy / pandas results (what every ``--json`` output needs)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["to_plain"]


def to_plain(value: Any) -> Any:
    """Numbers and containers as JSON-safe plain values.

    Dict keys become strings; tuples, lists and arrays become lists; numpy scalars become Python
    numbers; NaN, infinities and ``pd.NA`` become ``None`` (JSON has no NaN).

    Parameters
    ----------
    value : Any
        A scalar, dict, list, tuple or numpy array, nested freely.

    Returns
    -------
    Any
        The same structure made of ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``.
    """
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_plain(v) for v in value.tolist()]
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
