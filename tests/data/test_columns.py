"""recsys.data.columns: one array out of a column, without copying a lone chunk."""

from __future__ import annotations

import pyarrow as pa

from recsys.data.columns import one_array


def test_a_lone_chunk_is_used_as_it_is() -> None:
    chunk = pa.array([3, 1, 2], type=pa.int64())
    column = pa.chunked_array([chunk])
    out = one_array(column)
    assert out.buffers()[1].address == chunk.buffers()[1].address  # the same memory, no copy
    assert out.to_pylist() == [3, 1, 2]


def test_chunks_are_combined_in_order_and_arrays_pass_through() -> None:
    column = pa.chunked_array([pa.array([1, None]), pa.array([4])])
    assert one_array(column).to_pylist() == [1, None, 4]
    plain = pa.array(["a", "b"])
    assert one_array(plain) is plain
    empty = pa.chunked_array([], type=pa.int64())
    assert len(one_array(empty)) == 0 and one_array(empty).type == pa.int64()
