"""Cleaning of loaded listening events, every rule counted and every rejected row kept.

The rules run in this order on the rows that the earlier rules kept; each row is rejected by the first
rule it breaks, so the counts per rule add up to the rows removed (``input = kept + rejected``):

1. ``non_listening`` — an event type that is not a listening event (``play``, ``skip``, ``like``):
   advertisements (whatever their track id), ``buy_premium`` and any other event.
2. ``null_event_type`` — no event type.
3. ``null_track`` — no track id (null or ``""``).
4. ``unknown_track`` — a track id that is not in ``tracks.jsonl``.
5. ``null_user`` — no user id, and the row's session gives none either. A session belongs to one
   user, so a null ``user_id`` is *repaired* (counted under ``repaired["user_from_session"]``) with the
   user of the session's other events (any event type, read as loaded); when the session has no user,
   or several different ones, the row is dropped. The repair count is of rule 5's step: a repaired row
   can still be dropped by rule 6.
6. ``duplicate`` — the same session, timestamp, user, track and event type as an earlier line (after
   the repair above); the first line is kept.

(Lines that could not be read at all are counted by the loader as ``malformed``.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.columns import one_array
from recsys.data.splitting import user_time_key, user_time_order

__all__ = ["LISTENING_EVENTS", "RULES", "CleanResult", "clean_events", "rejected_frame"]

#: Event types that are a user listening to (or judging) a track; everything else is dropped.
LISTENING_EVENTS: tuple[str, ...] = ("play", "skip", "like")

#: Rejection rules in the order they are applied (see the module docstring).
RULES: tuple[str, ...] = (
    "non_listening",
    "null_event_type",
    "null_track",
    "unknown_track",
    "null_user",
    "duplicate",
)


@dataclass
class CleanResult:
    """Outcome of :func:`clean_events`.

    Attributes
    ----------
    events : pyarrow.Table
        Kept rows in file order, columns as loaded (``line``, ``session_id``, ``timestamp``,
        ``user_id``, ``track_id``, ``event_type``); ``user_id`` repaired, no nulls left.
    rejected : pyarrow.Table
        Rejected rows as loaded (``user_id`` not repaired) with a ``reason`` column (a rule name).
    rejected_counts : dict
        Rule name -> rows removed, every rule present (zeros included), in :data:`RULES` order.
    repaired_counts : dict
        Repair name -> rows repaired (``user_from_session``).
    order : numpy.ndarray or None
        Indices of ``events`` ordered by (user, time, file position), the order the ``chrono`` split
        ranks by (:func:`recsys.data.splitting.user_time_order`), for
        :func:`~recsys.data.splitting.assign_splits`.
    """

    events: pa.Table
    rejected: pa.Table
    rejected_counts: dict[str, int]
    repaired_counts: dict[str, int]
    order: np.ndarray | None = None


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Dictionary codes (-1 for null) and the dictionary of a column."""
    if pa.types.is_dictionary(column.type) and column.num_chunks == 1:
        encoded = column.chunk(0)
    else:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        encoded = column.combine_chunks().dictionary_encode()
    # int32 as stored (not int64): two fewer 80 MB arrays at 10 million rows
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return codes, encoded.dictionary


_NULL = np.iinfo(np.int64).min


def _keys(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array | None]:
    """int64 keys of an id column (null -> a sentinel): the ids themselves, or dictionary codes of
    string ids together with the dictionary to map them back."""
    if pa.types.is_integer(column.type):
        return column.fill_null(_NULL).to_numpy().astype(np.int64, copy=False), None
    codes, names = _codes(column)
    codes = codes.astype(np.int64)
    codes[codes < 0] = _NULL
    return codes, names


def _sorted_pairs(users: np.ndarray, stamps: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order of ``rows`` by (user, time, position) and, along it, whether each row has the (user,
    time) of the next one. One packed key serves both where it exists (fewer row-sized arrays held)."""
    row_users, row_stamps = users[rows], stamps[rows]
    key = user_time_key(row_users, row_stamps)
    if key is None:
        order = user_time_order(row_users, row_stamps)
        sorted_users = row_users[order]
        same = sorted_users[1:] == sorted_users[:-1]
        del sorted_users
        sorted_stamps = row_stamps[order]
        same &= sorted_stamps[1:] == sorted_stamps[:-1]
        return order, same
    del row_users, row_stamps
    order = np.argsort(key, kind="stable")
    key = key[order]
    return order, key[1:] == key[:-1]


def clean_events(table: pa.Table, track_ids: Iterable | pa.Array) -> CleanResult:
    """Apply the cleaning rules to loaded sessions.

    Parameters
    ----------
    table : pyarrow.Table
        ``LoadedSessions.table`` (see :func:`recsys.data.loading.read_sessions`).
    track_ids : iterable or pyarrow.Array
        Ids of the catalogue (``tracks.jsonl``'s ``id``).

    Returns
    -------
    CleanResult
    """
    n = table.num_rows
    reason = np.zeros(n, dtype=np.int8)  # 0 = kept, k = RULES[k - 1]

    def reject(mask: np.ndarray, rule: str) -> None:
        reason[(reason == 0) & mask] = RULES.index(rule) + 1

    event_codes, event_names = _codes(table["event_type"])
    listening = np.array([name in LISTENING_EVENTS for name in event_names.to_pylist()] + [False])
    is_null_event = event_codes < 0
    reject(~is_null_event & ~listening[event_codes], "non_listening")
    reject(is_null_event, "null_event_type")

    track_codes, track_names = _codes(table["track_id"])
    reject(track_codes < 0, "null_track")
    catalogue = track_ids if isinstance(track_ids, pa.Array) else pa.array(list(track_ids))
    if catalogue.type != track_names.type:
        # Ids typed differently in the two files (ints in one, strings in the other): compare as text.
        catalogue = pc.cast(catalogue, pa.string())
        known_names = pc.cast(track_names, pa.string())
    else:
        known_names = track_names
    known = np.append(pc.is_in(known_names, value_set=catalogue).to_numpy(zero_copy_only=False), False)
    reject((track_codes >= 0) & ~known[track_codes], "unknown_track")

    # Repair null users from their session (the user of all the session's other rows, as loaded).
    # Only sessions that hold a row needing repair are grouped, which keeps this cheap.
    users = table["user_id"]
    sessions = table["session_id"]
    has_user = users.is_valid().to_numpy(zero_copy_only=False)
    needs = (reason == 0) & ~has_user
    user_key, user_names = _keys(users)
    session_key, _ = _keys(sessions)
    fixed_user = user_key.copy()
    repaired = np.zeros(n, dtype=bool)
    if needs.any():
        wanted = pa.array(np.unique(session_key[needs]))
        in_wanted = pc.is_in(pa.array(session_key), value_set=wanted).to_numpy(zero_copy_only=False)
        donors = in_wanted & has_user
        per_session = (
            pd.DataFrame({"s": session_key[donors], "u": user_key[donors]})
            .groupby("s", sort=False)["u"]
            .agg(["min", "max"])
        )
        single = per_session[per_session["min"] == per_session["max"]]["min"]
        found = pd.Index(single.index).get_indexer(session_key[needs])
        donor_users = np.append(single.to_numpy(), _NULL)[found]  # found == -1 -> the sentinel
        fixed_user[needs] = donor_users
        repaired[needs] = found >= 0
    reject(needs & ~repaired, "null_user")

    # Exact duplicates share their user and timestamp, so the rows sorted by (user, time, position) --
    # the order the chrono split ranks by, handed on to it -- put every duplicate next to its other
    # copies: only runs of rows with equal (user, time) are candidates, compared field by field in file
    # order (one sort serves both steps, and no hash is involved).
    alive = np.flatnonzero(reason == 0)
    stamps = one_array(table["timestamp"]).cast(pa.int64()).to_numpy(zero_copy_only=False)
    columns = (session_key, stamps, fixed_user, track_codes, event_codes)
    order, same = _sorted_pairs(fixed_user, stamps, alive)
    repeated = np.zeros(len(order), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    candidates = np.sort(order[repeated])
    del same, repeated
    dup = np.zeros(n, dtype=bool)
    if len(candidates):
        rows = alive[candidates]
        exact = pd.DataFrame({str(k): values[rows] for k, values in enumerate(columns)})
        dup[rows[exact.duplicated(keep="first").to_numpy()]] = True
    reject(dup, "duplicate")

    kept = reason == 0
    # the sorted alive rows without the duplicates, as indices of the kept rows (their rank among them)
    dup_alive = dup[alive]
    kept_rank = np.cumsum(~dup_alive) - 1
    kept_order = kept_rank[order[~dup_alive[order]]]
    # the row-sized arrays are not needed any more: freed before the tables are filtered (the peak)
    del dup_alive, kept_rank, order, alive, columns, stamps, session_key, user_key, track_codes, event_codes
    events = table.filter(pa.array(kept))
    if repaired.any():
        kept_users = fixed_user[kept]
        if user_names is not None:
            kept_users = user_names.take(pa.array(kept_users))
        events = events.set_column(events.column_names.index("user_id"), "user_id", pa.array(kept_users))
    rejected_mask = ~kept
    # the rule names through a dictionary (decoded by pyarrow), not a Python string per rejected row
    names = pa.array(("", *RULES), type=pa.string())
    reasons = pa.DictionaryArray.from_arrays(pa.array(reason[rejected_mask]), names).cast(pa.string())
    rejected = table.filter(pa.array(rejected_mask)).append_column("reason", reasons)
    counts = np.bincount(reason, minlength=len(RULES) + 1)
    return CleanResult(
        events=events,
        rejected=rejected,
        rejected_counts={rule: int(counts[i + 1]) for i, rule in enumerate(RULES)},
        repaired_counts={"user_from_session": int(repaired.sum())},
        order=kept_order,
    )


def rejected_frame(rejected: pa.Table, malformed: pd.DataFrame) -> pa.Table:
    """Rows rejected by cleaning plus malformed lines, in line order."""
    cleaned = rejected.append_column("field", pa.nulls(rejected.num_rows, pa.string()))
    cleaned = cleaned.append_column("detail", pa.nulls(rejected.num_rows, pa.string()))
    cleaned = cleaned.append_column("text", pa.nulls(rejected.num_rows, pa.string()))
    if malformed.empty:
        return cleaned
    bad = pa.table(
        {
            "line": pa.array(malformed["line"].to_numpy(), type=pa.int64()),
            "session_id": pa.nulls(len(malformed), cleaned.schema.field("session_id").type),
            "timestamp": pa.nulls(len(malformed), pa.timestamp("ms")),
            "user_id": pa.nulls(len(malformed), cleaned.schema.field("user_id").type),
            "track_id": pa.nulls(len(malformed), pa.string()),
            "event_type": pa.nulls(len(malformed), pa.string()),
            "reason": pa.array(["malformed"] * len(malformed), type=pa.string()),
            "field": pa.array(malformed["field"].astype(object).where(malformed["field"].notna(), None)),
            "detail": pa.array(malformed["reason"].astype(str).tolist(), type=pa.string()),
            "text": pa.array(malformed["text"].astype(object).where(malformed["text"].notna(), None)),
        }
    ).cast(cleaned.schema)
    both = pa.concat_tables([cleaned, bad])
    return both.take(pc.sort_indices(both["line"]))
