"""Reading ``sessions.jsonl`` with Spark: numbered lines, typed fields, and the local reader as the judge.

The load stage of the Spark engine (:mod:`recsys.data.spark_prepare`). Each line of the file gets its
1-based number (per-split row counts, so numbering stays exact across Spark's parallel splits), is parsed
into a variant (``try_parse_json``) and typed field by field as the local reader types it: ids integer or
string, timestamps ISO-8601 (read in UTC) or epoch milliseconds, event names lower-case with
``advertisment`` read as ``advertisement``, ``""`` track ids null.

Malformed lines have one authority, the local reader (:func:`recsys.data.loading.read_sessions`). Spark
flags every line it cannot read cleanly (not JSON, not an object, a field of the wrong type, a missing or
unreadable time, an overlong line, invalid UTF-8); when there is any, the local reader reads the file and
decides (raising its error, or keeping the lines aside with ``skip_malformed``), and Spark leaves out the
lines it named. A clean file is never read on the driver.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.jsonl import empty_malformed, file_fingerprint
from recsys.data.loading import _EVENT_ALIASES, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, read_sessions
from recsys.data.rawfile import MAX_LINE_BYTES
from recsys.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkRead", "Fingerprint", "read_sessions_spark", "track_dictionary"]

_FIELDS = ("session_id", "timestamp", "user_id", "track_id", "event_type")
# The ISO-8601 shapes Python's datetime.fromisoformat reads (the local reader's rule); Spark's own cast
# would also take "2023" or "2023-7-2", which the local reader calls malformed.
_ISO = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"


class Fingerprint(threading.Thread):
    """SHA-256 of a file in a thread, beside Spark's work (hashlib releases the GIL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.value: dict | None = None
        self.error: OSError | None = None

    def run(self) -> None:
        try:
            self.value = file_fingerprint(self.path)
        except OSError as exc:  # reported by result()
            self.error = exc

    def result(self) -> dict:
        """The fingerprint, after ``join()`` (a :class:`~recsys.errors.DataError` if it was unreadable)."""
        if self.value is None:
            raise DataError(f"cannot read: {self.error}", file=str(self.path))
        return self.value


@dataclass
class SparkRead:
    """What the load stage gives: the typed rows, the lines' count, the malformed lines, the id types."""

    loaded: DataFrame  # line, session_id, ts (epoch ms), user_id, track_raw, track_id, event_type
    parsed: DataFrame  # the persisted parse behind it (released when the work is done)
    input_rows: int
    malformed: Any  # pandas DataFrame of the local reader's malformed lines (line, field, reason, text)
    fingerprint: dict | None  # set when the local reader read the file
    session_type: pa.DataType
    user_type: pa.DataType
    event_names: list[str]  # the loaded event types, sorted: the local reader's dictionary


def _numbered_lines(session: SparkSession, path: Path) -> DataFrame:
    """``(line, value)`` for every line of the file, numbered from 1 as an editor numbers them.

    Spark reads the file in parallel splits; within a split rows keep their order, so a line's number is
    the rows of the splits before it plus its position in its own split.
    """
    from pyspark.sql import functions as F

    raw = session.read.text(str(path)).select(
        "value", F.input_file_block_start().alias("_block"), F.monotonically_increasing_id().alias("_id")
    )
    if raw.rdd.getNumPartitions() <= 1:  # one split (any file under Spark's split size): no counting job
        return raw.select((F.col("_id") + 1).alias("line"), "value")
    blocks = sorted(
        raw.groupBy("_block").agg(F.count(F.lit(1)).alias("n"), F.min("_id").alias("first")).collect(),
        key=lambda row: row["_block"],
    )
    offsets, total = [], 0
    for row in blocks:
        offsets.append((int(row["_block"]), int(row["first"]), total))
        total += int(row["n"])
    table = session.createDataFrame(offsets, "_block long, _first long, _offset long")
    return raw.join(F.broadcast(table), "_block").select(
        (F.col("_offset") + F.col("_id") - F.col("_first") + 1).alias("line"), "value"
    )


def _kind(field: str) -> str:
    """SQL: the JSON type of a top-level field (missing, null, integer, number, string, boolean, other)."""
    got = f"variant_get(_v, '$.{field}')"
    schema = f"schema_of_variant({got})"
    return (
        f"CASE WHEN {got} IS NULL THEN 'missing' WHEN {schema} = 'VOID' THEN 'null' "
        f"WHEN {schema} IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'integer' "
        f"WHEN {schema} = 'STRING' THEN 'string' WHEN {schema} = 'BOOLEAN' THEN 'boolean' "
        f"WHEN {schema} IN ('DOUBLE', 'FLOAT') OR {schema} LIKE 'DECIMAL%' THEN 'number' ELSE 'other' END"
    )


# One SQL statement (analysed once, which is most of the cost on small files) types every line as the
# local reader does; a line it cannot type cleanly gets _bad and goes to the local reader's judgement.
_PARSE = """
WITH parsed AS (
  SELECT line, value,
         try_parse_json(CASE WHEN line = 1 THEN regexp_replace(value, :bom, '') ELSE value END) AS _v
  FROM {lines} WHERE NOT value RLIKE :blank
), kinds AS (
  SELECT line, value, _v, KINDS,
         lower(regexp_replace(try_variant_get(_v, '$.event_type', 'string'), :strip, '')) AS _event,
         trim(try_variant_get(_v, '$.timestamp', 'string')) AS _stamp
  FROM parsed
), typed AS (
  SELECT line, _k_session_id, _k_timestamp, _k_user_id, _k_track_id, _k_event_type,
    CASE _k_timestamp
      WHEN 'integer' THEN try_variant_get(_v, '$.timestamp', 'bigint')
      WHEN 'number' THEN try_cast(try_variant_get(_v, '$.timestamp', 'double') AS BIGINT)
      -- ISO-8601 read in UTC (the session's zone), cut to milliseconds as the local reader's cast cuts
      WHEN 'string' THEN
        CASE WHEN _stamp RLIKE :iso THEN unix_micros(try_cast(_stamp AS TIMESTAMP)) div 1000 END
    END AS ts,
    CASE WHEN _k_session_id = 'integer' THEN try_variant_get(_v, '$.session_id', 'bigint') END AS _sid_long,
    try_variant_get(_v, '$.session_id', 'string') AS _sid_text,
    CASE WHEN _k_user_id = 'integer' THEN try_variant_get(_v, '$.user_id', 'bigint') END AS _uid_long,
    CASE WHEN _k_user_id IN ('integer', 'string') THEN try_variant_get(_v, '$.user_id', 'string') END
      AS _uid_text,
    CASE WHEN _k_track_id = 'string' THEN try_variant_get(_v, '$.track_id', 'string') END AS track_raw,
    CASE WHEN _k_event_type = 'string' THEN EVENT END AS event_type,
    _v IS NULL OR NOT coalesce(schema_of_variant(_v) LIKE 'OBJECT%', false)
      OR octet_length(value) > :max_bytes OR contains(value, :replacement) AS _unreadable
  FROM kinds
)
SELECT line, _k_session_id, _k_timestamp, _k_user_id, _k_track_id, _k_event_type, ts, _sid_long, _sid_text,
  _uid_long, _uid_text, track_raw, event_type,
  coalesce(_unreadable OR _k_session_id NOT IN ('integer', 'string') OR ts IS NULL
    OR ts NOT BETWEEN :min_ts AND :max_ts
    OR _k_user_id NOT IN ('missing', 'null', 'integer', 'string')
    OR _k_track_id NOT IN ('missing', 'null', 'string')
    OR _k_event_type NOT IN ('missing', 'null', 'string'), true) AS _bad
FROM typed
"""


def _parsed(session: SparkSession, path: Path) -> DataFrame:
    """Every non-blank line's typed fields and ``_bad`` (the line needs the local reader's judgement)."""
    event = "_event"
    args: dict[str, Any] = {
        "bom": "^\ufeff",  # a byte-order mark is allowed before the first line only, as locally
        "blank": r"^\s*$",
        "strip": r"^\s+|\s+$",  # str.strip()
        "iso": _ISO,
        "max_bytes": MAX_LINE_BYTES,
        # the text Spark decodes holds U+FFFD where the bytes were not UTF-8 (the local reader refuses them)
        "replacement": "\ufffd",
        "min_ts": MIN_TIMESTAMP_MS,
        "max_ts": MAX_TIMESTAMP_MS,
    }
    for i, (alias, canonical) in enumerate(_EVENT_ALIASES.items()):
        event = f"CASE WHEN _event = :alias{i} THEN :canonical{i} ELSE {event} END"
        args |= {f"alias{i}": alias, f"canonical{i}": canonical}
    query = _PARSE.replace("KINDS", ", ".join(f"{_kind(f)} AS _k_{f}" for f in _FIELDS))
    return session.sql(query.replace("EVENT", event), args=args, lines=_numbered_lines(session, path))


def read_sessions_spark(session: SparkSession, path: Path, *, skip_malformed: bool) -> SparkRead:
    """Type the sessions in Spark; let the local reader judge the file when any line is not clean.

    Parameters
    ----------
    session : pyspark.sql.SparkSession
    path : pathlib.Path
        ``sessions.jsonl`` (a path Spark's executors can read).
    skip_malformed : bool
        Keep malformed lines aside (as the local reader does) instead of failing on the first.

    Returns
    -------
    SparkRead
        ``loaded`` is lazy over a persisted parse (``parsed``): release it with ``parsed.unpersist()``.

    Raises
    ------
    DataError
        The local reader's error for the file (empty, a required column missing, a malformed line without
        ``skip_malformed``), or a line the local reader accepts and Spark cannot read.
    """
    from pyspark import StorageLevel

    parsed = _parsed(session, path).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return _typed(session, path, parsed, skip_malformed=skip_malformed)
    except BaseException:
        parsed.unpersist()  # the caller releases it only when it gets it
        raise


def _typed(session: SparkSession, path: Path, parsed: DataFrame, *, skip_malformed: bool) -> SparkRead:
    """The rest of :func:`read_sessions_spark`, on the persisted parse."""
    from pyspark.sql import functions as F

    # over the lines kept: the id columns' types and the event names (the local reader's dictionary)
    kept_stats = [
        *[
            F.sum((~F.col("_bad") & (F.col(f"_k_{f}") == "string")).cast("long")).alias(f"text_{f}")
            for f in ("session_id", "user_id")
        ],
        F.collect_set(F.when(~F.col("_bad"), F.col("event_type"))).alias("events"),
    ]
    stats = parsed.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.col("_bad").cast("long")).alias("bad"),
        *[F.sum((F.col(f"_k_{f}") != "missing").cast("long")).alias(f"has_{f}") for f in _FIELDS],
        *kept_stats,
    ).collect()[0]
    rows = int(stats["rows"])
    malformed = empty_malformed()
    fingerprint = None
    good = parsed.where(~F.col("_bad"))
    if rows == 0 or stats["bad"] or any(not stats[f"has_{f}"] for f in _FIELDS):
        # The local reader is the one authority on malformed lines: it raises the error (naming file,
        # line and field) or, with skip_malformed, says which lines to keep aside and why.
        local = read_sessions(path, skip_malformed=skip_malformed)
        malformed, fingerprint, rows = local.malformed, local.fingerprint, local.input_rows
        excluded = session.createDataFrame(
            pa.table({"line": pa.array(malformed["line"].to_numpy(), type=pa.int64())})
        )
        unexplained = parsed.where(F.col("_bad")).join(F.broadcast(excluded), "line", "left_anti")
        first = unexplained.agg(F.min("line")).collect()[0][0]
        if first is not None:
            raise DataError(
                "the Spark engine cannot read this line, which the local reader accepts: prepare this "
                "folder with --engine local",
                file=str(path),
                line=int(first),
            )
        good = good.join(F.broadcast(excluded), "line", "left_anti")
        stats = good.withColumn("_bad", F.lit(False)).agg(*kept_stats).collect()[0]
    session_text, user_text = bool(stats["text_session_id"]), bool(stats["text_user_id"])
    loaded = good.select(
        "line",
        F.col("_sid_text" if session_text else "_sid_long").alias("session_id"),
        "ts",
        F.col("_uid_text" if user_text else "_uid_long").alias("user_id"),
        "track_raw",
        F.when(F.col("track_raw") != "", F.col("track_raw")).alias("track_id"),
        "event_type",
    )
    return SparkRead(
        loaded=loaded,
        parsed=parsed,
        input_rows=rows,
        malformed=malformed,
        fingerprint=fingerprint,
        session_type=pa.string() if session_text else pa.int64(),
        user_type=pa.string() if user_text else pa.int64(),
        event_names=sorted(stats["events"] or []),
    )


def track_dictionary(loaded: DataFrame) -> pa.Array:
    """Track ids in order of first appearance (``""`` included): the dictionary the local reader builds."""
    from pyspark.sql import functions as F

    first = (
        loaded.where(F.col("track_raw").isNotNull())
        .groupBy("track_raw")
        .agg(F.min("line").alias("first"))
        .toArrow()
    )
    order = pc.sort_indices(first, [("first", "ascending")])
    return first["track_raw"].take(order).combine_chunks().cast(pa.string())
