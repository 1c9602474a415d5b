"""Processing a raw Pozytywka folder with Spark SQL: the same tables and report as :mod:`recsys.data.process`.

:func:`process_inputs_spark` is the Spark engine's :func:`~recsys.data.process.process_inputs`. Spark reads
``sessions.jsonl`` (99% of a release's bytes) straight from its lines, in parallel, and does the work there:

* **load** (:mod:`recsys.data.spark_read`): every line numbered, parsed and typed as the local reader
  types it; malformed lines judged by the local reader itself;
* **clean**: the rules of :mod:`recsys.data.cleaning` in their order, the null-user repair from the
  session's other rows, exact duplicates by a window over the five fields (the first line kept);
* **split**: a window per user ordered by (time, line) with the same floors as
  :mod:`recsys.data.splitting` (``rank_shares``), or the global time cuts, or the seeded random order;
* **score**: one sum of event weights per (split, user, track).

The results come back to the driver as Arrow and are written by the same writer
(:func:`recsys.data.prepare.prepare`), so the Parquet tables, the rejected rows with their reasons, the
manifest and the report are those of the local engine, row for row (the tests check it on the demo and the
real releases). The catalogue files (a few MB) are read on the driver by the same reader as locally.

Scores are sums of weights: with the default weights (whole numbers) they are exact in any order; weights
like 0.1 may differ from the local sums in the last bit, because Spark adds in another order.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.cleaning import LISTENING_EVENTS, RULES
from recsys.data.process import (
    STAGES,
    PrepareSettings,
    Processed,
    Progress,
    assemble,
    check_sanity,
    read_catalogue,
    rejected_frame,
)
from recsys.data.spark_read import Fingerprint, SparkRead, read_sessions_spark, track_dictionary
from recsys.data.spark_session import SparkSettings, spark_session
from recsys.data.splitting import ROUNDING_EPS, SPLIT_NAMES, rank_shares, time_cut_ranks

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["assign_splits_spark", "process_inputs_spark"]

def process_inputs_spark(
    paths: Mapping[str, Path],
    settings: PrepareSettings,
    *,
    skip_malformed: bool,
    progress: Progress | None,
    spark: SparkSettings | None = None,
) -> Processed:
    """Load, clean, split and score with Spark; the same result as :func:`recsys.data.process.process_inputs`.

    Parameters
    ----------
    paths : mapping
        Input file name -> path (:func:`recsys.data.process.input_paths`); Spark's executors must see
        the same paths (this machine, or a file system every node mounts).
    settings : PrepareSettings
    skip_malformed : bool
        Keep malformed lines aside instead of failing on the first.
    progress : callable, optional
        ``progress(stage, done, total)`` after each of :data:`~recsys.data.process.STAGES` but ``write``.
    spark : SparkSettings, optional
        Master and settings (the running session by default).

    Returns
    -------
    Processed

    Raises
    ------
    DataError
        Malformed input (naming file, line and field), as the local engine.
    EngineError
        Spark cannot start (pyspark or Java missing).
    """
    from pyspark import StorageLevel

    stage_seconds: dict[str, float] = {}
    clock = [time.perf_counter()]

    def step(i: int) -> None:
        now = time.perf_counter()
        stage_seconds[STAGES[i]] = round(now - clock[0], 3)
        clock[0] = now
        if progress is not None:
            progress(STAGES[i], i + 1, len(STAGES))

    session = spark_session(spark)
    path = Path(paths["sessions.jsonl"]).resolve()
    hashing = Fingerprint(path)
    hashing.start()
    try:
        read = read_sessions_spark(session, path, skip_malformed=skip_malformed)
    finally:
        hashing.join()
    try:
        catalogue = read_catalogue(paths, skip_malformed=skip_malformed)
        fingerprint = read.fingerprint if read.fingerprint is not None else hashing.result()
        inputs = {"sessions.jsonl": fingerprint, **catalogue.fingerprints}
        dictionary = track_dictionary(read.loaded)
        step(0)

        # Spark plans lazily: cleaning and splitting run when the rows are collected, in one job (so the
        # "clean" stage is the plan's making, and "split" holds the work of both)
        cleaned = _clean(session, read.loaded, catalogue.tracks["id"])
        step(1)
        labelled = assign_splits_spark(session, cleaned, settings).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            codes = _codes(session, dictionary)
            rows = _collect_rows(labelled, codes, read.event_names)
            events, rejected, rule_counts, repaired = _tables(rows, read, dictionary)
            sanity = check_sanity(events, catalogue)
            step(2)
            splits, split_report = _score(labelled, codes, settings, dictionary, events)
            step(3)
        finally:
            labelled.unpersist()
    finally:
        read.parsed.unpersist()

    return assemble(
        input_rows=read.input_rows,
        events=events,
        rejected=rejected_frame(rejected, read.malformed),
        rejected_counts={"malformed": len(read.malformed), **rule_counts},
        repaired_counts={"user_from_session": repaired},
        splits=splits,
        split_report=split_report,
        catalogue=catalogue,
        inputs=inputs,
        settings=settings,
        skip_malformed=skip_malformed,
        stage_seconds=stage_seconds,
        sanity=sanity,
    )


# -- clean ----------------------------------------------------------------------------------------------
def _clean(session: SparkSession, loaded: DataFrame, track_ids: Any) -> DataFrame:
    """The cleaning rules in :data:`~recsys.data.cleaning.RULES` order: ``reason`` 0 (kept) or rule + 1."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    catalogue = pa.array(list(track_ids))
    if catalogue.type != pa.string():
        catalogue = pc.cast(catalogue, pa.string())  # ids typed differently in the two files: as text
    known = session.createDataFrame(pa.table({"_known": pc.unique(catalogue)}))
    event = F.col("event_type")
    pre = (
        F.when(event.isNotNull() & ~event.isin(*LISTENING_EVENTS), 1)
        .when(event.isNull(), 2)
        .when(F.col("track_id").isNull(), 3)
        .when(F.col("_known").isNull(), 4)
        .otherwise(0)
    )
    # A null user is repaired with the user of all the session's other rows (any type, as loaded).
    donors = (
        loaded.where(F.col("user_id").isNotNull())
        .groupBy("session_id")
        .agg(F.min("user_id").alias("_umin"), F.max("user_id").alias("_umax"))
    )
    rows = (
        loaded.join(F.broadcast(known), F.col("track_id") == F.col("_known"), "left")
        .withColumn("_pre", pre)
        .join(donors, "session_id", "left")
    )
    needs = (F.col("_pre") == 0) & F.col("user_id").isNull()
    repaired = needs & F.coalesce(F.col("_umin") == F.col("_umax"), F.lit(False))
    rows = rows.select(
        "*",
        repaired.alias("repaired"),
        F.coalesce(F.col("user_id"), F.when(repaired, F.col("_umin"))).alias("fixed_user"),
        F.when(F.col("_pre") > 0, F.col("_pre")).when(needs & ~repaired, 5).otherwise(0).alias("_alive"),
    )
    # Exact duplicates among the rows still kept (after the repair): the first line stays.
    same = Window.partitionBy("_alive", "session_id", "ts", "fixed_user", "track_id", "event_type").orderBy(
        "line"
    )
    duplicate = (F.col("_alive") == 0) & (F.row_number().over(same) > 1)
    reason = F.when(F.col("_alive") > 0, F.col("_alive")).when(duplicate, 6).otherwise(0)
    return rows.select(
        "line", "session_id", "ts", "user_id", "fixed_user", "track_raw", "track_id", "event_type",
        "repaired", reason.alias("reason"),
    )


# -- split ----------------------------------------------------------------------------------------------
def assign_splits_spark(session: SparkSession, cleaned: DataFrame, settings: PrepareSettings) -> DataFrame:
    """Spark's :func:`~recsys.data.splitting.assign_splits`: each kept row's ``split`` code.

    Parameters
    ----------
    session : pyspark.sql.SparkSession
    cleaned : pyspark.sql.DataFrame
        Rows with ``line`` (file order), ``ts`` (epoch ms), ``fixed_user`` and ``reason`` (0 = kept).
    settings : PrepareSettings
        The split method, fractions and seed.

    Returns
    -------
    pyspark.sql.DataFrame
        ``cleaned`` with ``split`` (byte: 0 train, 1 validation, 2 test; null for a rejected row), the code
        :func:`~recsys.data.splitting.assign_splits` gives the kept rows in file order.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    kept = F.col("reason") == 0
    val_frac, test_frac = settings.val_frac, settings.test_frac
    if settings.split in ("chrono", "random"):
        order = [F.col("ts"), F.col("line")]
        if settings.split == "random":
            # The local split draws numpy's noise for the kept events in file order; the same draws here
            # give the same split (the noise is made on the driver: one float per kept event).
            lines = np.sort(cleaned.where(kept).select("line").toArrow()["line"].to_numpy())
            noise = np.random.default_rng(settings.seed).random(len(lines))
            noise_table = session.createDataFrame(pa.table({"line": lines, "_noise": noise}))
            cleaned = cleaned.join(noise_table, "line", "left")
            order = [F.col("_noise"), F.col("line")]
        val_share, test_share = rank_shares(val_frac, test_frac)
        # rejected rows are windowed apart (their reason is part of the key) and get no code
        user = Window.partitionBy("reason", "fixed_user")
        size = F.count(F.lit(1)).over(user)
        rank = F.row_number().over(user.orderBy(*order)) - 1
        n_test = F.floor(size * F.lit(test_share) + F.lit(ROUNDING_EPS))
        n_val = F.floor(size * F.lit(val_share) + F.lit(ROUNDING_EPS))
        n_train = size - n_val - n_test
        code = F.when(rank < n_train, 0).when(rank < n_train + n_val, 1).otherwise(2)
    else:
        # sorted once and kept: the count and both cut timestamps read the same sorted rows
        stamps = cleaned.where(kept).select("ts").orderBy("ts").persist()
        n = stamps.count()
        code = F.lit(0)
        if n:
            ranks = time_cut_ranks(n, val_frac, test_frac)
            first, second = (stamps.offset(r).limit(1).collect()[0][0] for r in ranks)
            # the local split's adjustments when a fraction is zero, applied in its order
            final = {c: c for c in range(3)}
            if test_frac == 0:
                final = {c: (1 if val_frac > 0 else 0) if v == 2 else v for c, v in final.items()}
            if val_frac == 0:
                final = {c: (2 if test_frac > 0 else 0) if v == 1 else v for c, v in final.items()}
            ts = F.col("ts")
            code = F.when(ts < first, final[0]).when(ts < second, final[1]).otherwise(final[2])
        stamps.unpersist()
    return cleaned.withColumn("split", F.when(kept, code.cast("byte")))


# -- back to the driver ---------------------------------------------------------------------------------
def _codes(session: SparkSession, dictionary: pa.Array) -> DataFrame:
    """Track id -> its index in the track dictionary (what the local tables' dictionary columns hold)."""
    return session.createDataFrame(
        pa.table({"_track": dictionary, "_track_code": pa.array(np.arange(len(dictionary), dtype=np.int32))})
    )


def _event_code(event_names: list[str]) -> Column:
    from pyspark.sql import functions as F

    code = F.lit(None).cast("int")
    for i, name in enumerate(event_names):
        code = F.when(F.col("event_type") == name, F.lit(i)).otherwise(code)
    return code


def _dictionary_column(codes: pa.ChunkedArray, values: pa.Array) -> pa.DictionaryArray:
    indices = codes.combine_chunks().cast(pa.int32())
    return pa.DictionaryArray.from_arrays(indices, values)


def _collect_rows(labelled: DataFrame, codes: DataFrame, event_names: list[str]) -> pa.Table:
    """Every loaded row back on the driver (kept and rejected: they are the output tables), in file order,
    with its track and event codes, its rule and its split."""
    from pyspark.sql import functions as F

    got = (
        labelled.join(F.broadcast(codes), F.col("track_raw") == F.col("_track"), "left")
        .select(
            "line", "session_id", "ts", "user_id", "fixed_user",
            # a "" track id is null in the tables, though it has its place in the dictionary
            F.when(F.col("track_id").isNotNull(), F.col("_track_code")).alias("track_code"),
            _event_code(event_names).alias("event_code"), "reason", "repaired", "split",
        )
        .toArrow()
    )
    return got.take(pc.sort_indices(got, [("line", "ascending")]))


def _tables(
    rows: pa.Table, read: SparkRead, dictionary: pa.Array
) -> tuple[pa.Table, pa.Table, dict[str, int], int]:
    """The kept events and the rejected rows, typed and encoded as the local engine's tables, with the
    count of each rule and of repaired rows."""
    reason = rows["reason"].combine_chunks().to_numpy(zero_copy_only=False).astype(np.int64)
    events_of = pa.array(read.event_names, type=pa.string())

    def typed(part: pa.Table, user: str) -> dict[str, pa.Array]:
        return {
            "line": part["line"].combine_chunks().cast(pa.int64()),
            "session_id": part["session_id"].combine_chunks().cast(read.session_type),
            "timestamp": part["ts"].combine_chunks().cast(pa.int64()).cast(pa.timestamp("ms")),
            "user_id": part[user].combine_chunks().cast(read.user_type),
            "track_id": _dictionary_column(part["track_code"], dictionary),
            "event_type": _dictionary_column(part["event_code"], events_of),
        }

    kept = rows.filter(pa.array(reason == 0))
    events = pa.table(
        {
            **typed(kept, "fixed_user"),  # the repaired user
            "split": pa.DictionaryArray.from_arrays(
                kept["split"].combine_chunks().cast(pa.int8()), pa.array(list(SPLIT_NAMES), type=pa.string())
            ),
        }
    )
    dropped = rows.filter(pa.array(reason > 0))
    names = np.array(("", *RULES), dtype=object)
    rejected = pa.table(
        {
            **typed(dropped, "user_id"),  # as loaded, not repaired
            "reason": pa.array(names[reason[reason > 0]].tolist(), type=pa.string()),
        }
    )
    counts = np.bincount(reason, minlength=len(RULES) + 1)
    repaired = int(pc.sum(rows["repaired"].cast(pa.int64())).as_py() or 0)
    return events, rejected, {rule: int(counts[i + 1]) for i, rule in enumerate(RULES)}, repaired


def _score(
    labelled: DataFrame, codes: DataFrame, settings: PrepareSettings, dictionary: pa.Array, events: pa.Table
) -> tuple[dict[str, pa.Table], dict[str, dict[str, int]]]:
    """One score per (split, user, track) summed in Spark; the tables sorted as the local engine sorts."""
    from pyspark.sql import functions as F

    weight = F.lit(float(settings.default_weight))
    for name, value in settings.to_dict()["weights"].items():
        weight = F.when(F.col("event_type") == name, F.lit(float(value))).otherwise(weight)
    pairs = (
        labelled.where(F.col("reason") == 0)
        .withColumnRenamed("fixed_user", "_user")
        .groupBy("split", "_user", "track_id")
        .agg(F.sum(weight).alias("score"))
        .join(F.broadcast(codes), F.col("track_id") == F.col("_track"))
        .select("split", F.col("_user").alias("user_id"), "_track_code", "score")
        .toArrow()
    )
    users = events["user_id"]
    if pa.types.is_integer(users.type):
        pairs = pairs.append_column("_user_rank", pairs["user_id"])  # integer ids: sorted by value
    else:  # text ids: by first appearance among the kept events, as the local factorisation numbers them
        pairs = pairs.append_column("_user_rank", pc.index_in(pairs["user_id"], value_set=pc.unique(users)))
    split_codes = events["split"].combine_chunks().indices
    tables: dict[str, pa.Table] = {}
    report: dict[str, dict[str, int]] = {}
    for code, name in enumerate(SPLIT_NAMES):
        part = pairs.filter(pc.equal(pairs["split"], code))
        part = part.take(pc.sort_indices(part, [("_user_rank", "ascending"), ("_track_code", "ascending")]))
        tables[name] = pa.table(
            {
                "user_id": part["user_id"].combine_chunks().cast(users.type),
                "track_id": dictionary.take(part["_track_code"].combine_chunks()),
                "score": part["score"].combine_chunks().cast(pa.float64()),
            }
        )
        in_split = pc.equal(split_codes, code)
        report[name] = {
            "events": int(pc.sum(in_split.cast(pa.int64())).as_py() or 0),
            "pairs": part.num_rows,
            "users": int(pc.count_distinct(users.filter(in_split)).as_py()) if part.num_rows else 0,
        }
    return tables, report
