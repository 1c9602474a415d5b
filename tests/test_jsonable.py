"""to_plain: numpy / pandas values become JSON-safe plain values."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from recsys.jsonable import to_plain


def test_nested_values_become_plain_json() -> None:
    value = {
        1: np.float32(0.5),
        "a": (np.int64(3), float("nan"), math.inf),
        "b": np.array([1, 2]),
        "c": [pd.NA, None, True, "x"],
    }
    out = to_plain(value)
    assert out == {"1": 0.5, "a": [3, None, None], "b": [1, 2], "c": [None, None, True, "x"]}
    assert type(out["a"][0]) is int
    json.dumps(out, allow_nan=False)  # raises if anything non-JSON is left
