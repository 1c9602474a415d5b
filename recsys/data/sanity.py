"""Data sanity: what is odd in a release without being malformed, counted and flagged, never silent.

A line can be well-formed and still wrong for the analysis: a user listed twice in ``users.jsonl`` (which
of the two is true?), listening events of a user that ``users.jsonl`` does not know (no name, no city, no
favourite genres), a timestamp in year 0001 or 9999 (epoch seconds read as milliseconds, a default
date). Such rows are kept or dropped by a fixed rule, and each one is listed in the prepared folder's
``flagged.parquet`` (:data:`FLAG_COLUMNS`) and counted in the prepare report's ``sanity`` section
(:func:`sanity_report`), which the CLI prints as warnings and the Data page shows:

* ``duplicate_users`` / ``duplicate_tracks`` / ``duplicate_artists`` — later lines with an id already
  seen; the first line is kept, the others are dropped (flagged ``kept=False``);
* ``events_of_unknown_users`` — kept events whose user is not in ``users.jsonl`` (flagged ``kept=True``);
* ``implausible_timestamps`` — kept events outside :func:`timestamp_window` (flagged ``kept=True``);
* ``skipped_catalogue_lines`` — malformed lines of the catalogue files kept aside with
  ``--skip-malformed`` (flagged ``kept=False``; the sessions' own are in ``rejected.parquet``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.columns import one_array

__all__ = [
    "FLAG_COLUMNS",
    "PLAUSIBLE_START",
    "dedupe",
    "empty_flags",
    "event_flags",
    "malformed_flags",
    "sanity_report",
    "timestamp_window",
]

#: Columns of ``flagged.parquet``: the input file, its 1-based line, the flag, whether the row was kept,
#: and what is odd about it.
FLAG_COLUMNS: tuple[str, ...] = ("file", "line", "flag", "kept", "detail")
#: Earliest plausible listening time: the service's logs cannot be older than this.
PLAUSIBLE_START = datetime(2000, 1, 1)
# Clock skew allowed into the future before a timestamp is implausible.
_FUTURE_SLACK = timedelta(days=1)
_EXAMPLES = 10


def timestamp_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The plausible time of a listening event: from :data:`PLAUSIBLE_START` to a day after ``now``.

    Parameters
    ----------
    now : datetime, optional
        Naive UTC; the current time by default.
    """
    now = now if now is not None else datetime.now(UTC).replace(tzinfo=None)
    return PLAUSIBLE_START, now + _FUTURE_SLACK


def empty_flags() -> pd.DataFrame:
    """A flags table without rows (the schema of ``flagged.parquet``)."""
    return pd.DataFrame(
        {
            "file": pd.Series([], dtype=object),
            "line": pd.Series([], dtype="int64"),
            "flag": pd.Series([], dtype=object),
            "kept": pd.Series([], dtype=bool),
            "detail": pd.Series([], dtype=object),
        }
    )


def _flags(
    file: str, lines: Sequence[int] | np.ndarray, flag: str, kept: bool, details: Sequence[str]
) -> pd.DataFrame:
    if len(lines) == 0:
        return empty_flags()
    return pd.DataFrame(
        {
            "file": file,
            "line": np.asarray(lines, dtype=np.int64),
            "flag": flag,
            "kept": kept,
            "detail": list(details),
        }
    )


def dedupe(
    frame: pd.DataFrame, lines: np.ndarray, key: str, *, file: str, flag: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the first line of each ``key`` and flag the others as dropped.

    Parameters
    ----------
    frame : pandas.DataFrame
        Records of a catalogue file; ``lines`` their 1-based lines.
    key : str
        The id column.
    file, flag : str
        Named in the flags (``"users.jsonl"``, ``"duplicate_user"``).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The records without duplicates (index reset) and the flags of the dropped lines; each detail
        says whether the dropped line differs from the kept one.
    """
    if key not in frame.columns or frame.empty:
        return frame, empty_flags()
    dup = frame[key].duplicated(keep="first").to_numpy()
    if not dup.any():
        return frame, empty_flags()
    first_at = {}
    for pos, value in enumerate(frame[key].tolist()):
        first_at.setdefault(value, pos)
    records = frame.to_dict("records")
    details = []
    for pos in np.flatnonzero(dup):
        value = frame[key].iat[pos]
        kept = first_at[value]
        shown = value.item() if isinstance(value, np.generic) else value  # 101, not np.int64(101)
        same = _same(records[pos], records[kept])
        details.append(
            f"{key} {shown!r} already on line {int(lines[kept])}; this line "
            f"({'identical' if same else 'with different values'}) is dropped"
        )
    flags = _flags(file, lines[dup], flag, False, details)
    return frame.loc[~dup].reset_index(drop=True), flags


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def malformed_flags(file: str, malformed: pd.DataFrame) -> pd.DataFrame:
    """Flags of the malformed lines of a catalogue file that ``--skip-malformed`` kept aside."""
    if malformed.empty:
        return empty_flags()
    details = [
        reason if pd.isna(field) else f"field {field!r}: {reason}"
        for field, reason in zip(malformed["field"], malformed["reason"], strict=True)
    ]
    return _flags(file, malformed["line"].to_numpy(), "malformed", False, details)


def event_flags(
    events: pa.Table, user_ids: Sequence | np.ndarray, window: tuple[datetime, datetime]
) -> tuple[pd.DataFrame, list]:
    """Flags of kept events whose user is not in ``users.jsonl``, or whose time is implausible.

    Parameters
    ----------
    events : pyarrow.Table
        Cleaned events with ``line``, ``user_id`` and ``timestamp`` (``timestamp[ms]``).
    user_ids : sequence
        The ids of ``users.jsonl``.
    window : (datetime, datetime)
        The plausible time (:func:`timestamp_window`).

    Returns
    -------
    (pandas.DataFrame, list)
        The flags (by line) and the distinct unknown user ids, in order of first event.
    """
    if events.num_rows == 0:
        return empty_flags(), []
    lines = events["line"].to_numpy()
    users = one_array(events["user_id"])
    known = pa.array(list(user_ids))
    if known.type != users.type and len(known):
        # Ids typed differently in the two files (ints in one, strings in the other): compare as text.
        users, known = pc.cast(users, pa.string()), pc.cast(known, pa.string())
    unknown = ~pc.is_in(users, value_set=known).to_numpy(zero_copy_only=False)
    millis = one_array(events["timestamp"]).cast(pa.int64()).to_numpy(zero_copy_only=False)
    low, high = (_millis(t) for t in window)
    odd_time = (millis < low) | (millis > high)
    parts = [empty_flags()]
    unknown_ids: list = []
    if unknown.any():
        shown = one_array(events["user_id"]).filter(pa.array(unknown)).to_pylist()
        unknown_ids = list(dict.fromkeys(shown))
        parts.append(
            _flags("sessions.jsonl", lines[unknown], "unknown_user", True,
                   [f"user_id {u!r} is not in users.jsonl" for u in shown])
        )
    if odd_time.any():
        stamps = pd.to_datetime(millis[odd_time], unit="ms")
        parts.append(
            _flags("sessions.jsonl", lines[odd_time], "implausible_timestamp", True,
                   [f"timestamp {t.isoformat()} is outside {window[0]:%Y-%m-%d} to {window[1]:%Y-%m-%d}"
                    for t in stamps])
        )
    out = pd.concat([p for p in parts if len(p)] or parts, ignore_index=True)
    return out.sort_values(["file", "line"], kind="stable").reset_index(drop=True), unknown_ids


def _millis(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1)) // timedelta(milliseconds=1)


def sanity_report(
    flags: pd.DataFrame, window: tuple[datetime, datetime], unknown_user_ids: Sequence = ()
) -> dict[str, Any]:
    """The ``sanity`` section of the prepare report, from the flags of one preparation.

    Parameters
    ----------
    flags : pandas.DataFrame
        Every flag (:data:`FLAG_COLUMNS`).
    window : (datetime, datetime)
        The plausible time the timestamps were checked against.
    unknown_user_ids : sequence
        The distinct users of ``events_of_unknown_users`` (from :func:`event_flags`).

    Returns
    -------
    dict
        Counts (``duplicate_users``, ``duplicate_tracks``, ``duplicate_artists``,
        ``events_of_unknown_users``, ``unknown_users``, ``implausible_timestamps``,
        ``skipped_catalogue_lines``), ``timestamp_window`` (ISO strings), ``examples`` (a few ids or
        lines per count) and ``warnings`` (one sentence per non-zero count).
    """
    def rows(flag: str) -> pd.DataFrame:
        return flags[flags["flag"] == flag]

    unknown = rows("unknown_user")
    unknown_ids = [str(u) for u in unknown_user_ids]
    odd = rows("implausible_timestamp")
    skipped = rows("malformed")
    counts = {
        "duplicate_users": len(rows("duplicate_user")),
        "duplicate_tracks": len(rows("duplicate_track")),
        "duplicate_artists": len(rows("duplicate_artist")),
        "events_of_unknown_users": len(unknown),
        "unknown_users": len(unknown_ids),
        "implausible_timestamps": len(odd),
        "skipped_catalogue_lines": len(skipped),
    }
    examples = {
        "duplicate_users": rows("duplicate_user")["line"].head(_EXAMPLES).tolist(),
        "unknown_users": unknown_ids[:_EXAMPLES],
        "implausible_timestamps": odd["line"].head(_EXAMPLES).tolist(),
        "skipped_catalogue_lines": [
            f"{f} line {n}" for f, n in zip(skipped["file"].head(_EXAMPLES), skipped["line"].head(_EXAMPLES),
                                            strict=True)
        ],
    }
    warnings = []
    for what, file in (("users", "users.jsonl"), ("tracks", "tracks.jsonl"), ("artists", "artists.jsonl")):
        n = counts[f"duplicate_{what}"]
        if n:
            warnings.append(
                f"{n} line(s) of {file} repeat an id listed before: the first is kept, these are dropped"
            )
    if counts["events_of_unknown_users"]:
        warnings.append(
            f"{counts['events_of_unknown_users']} event(s) of {counts['unknown_users']} user(s) missing from "
            f"users.jsonl (e.g. {', '.join(unknown_ids[:3])}): kept, without name, city or genres"
        )
    if counts["implausible_timestamps"]:
        warnings.append(
            f"{counts['implausible_timestamps']} event(s) dated outside {window[0]:%Y-%m-%d} to "
            f"{window[1]:%Y-%m-%d} (e.g. sessions.jsonl line {int(odd['line'].iloc[0])}): kept, but check "
            "the clock or the unit (epoch seconds read as milliseconds?)"
        )
    if counts["skipped_catalogue_lines"]:
        warnings.append(
            f"{counts['skipped_catalogue_lines']} malformed catalogue line(s) skipped (--skip-malformed)"
        )
    return {
        **counts,
        "timestamp_window": [window[0].isoformat(), window[1].isoformat(timespec="seconds")],
        "examples": examples,
        "warnings": warnings,
    }
