"""Writing a prepared dataset: raw Pozytywka folder -> cleaned, split, scored Parquet tables.

:func:`prepare` runs :func:`recsys.data.process.process_inputs` (load, clean, split, score) and writes
the tables and the manifest whose layout :mod:`recsys.data.prepared` owns (and reads back). They are
written into a hidden staging folder beside the output, which then replaces the output folder as a whole
(:func:`recsys.fileio.swap_dir`), so a failure never leaves a half-written dataset that looks complete.
An input whose content (size and SHA-256 of every file) and settings match the manifest is not
reprocessed (the report says ``"cached": true``); a file edited in place is always reprocessed, even
with the same size and modification time.

One writer at a time per output folder: :func:`prepare` holds the folder's lock
(:func:`recsys.fileio.file_lock`) from the cache check to the swap, so two runs with different inputs
never mix one's manifest with the other's tables; the second waits (up to ``lock_timeout`` seconds) and
then does its own work. Taking the lock also removes the staging folders of killed runs.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from recsys.data.jsonl import file_fingerprint
from recsys.data.prepared import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    OUTPUT_FILES,
    PREPARED_KIND,
    Prepared,
    is_prepared,
    load_prepared,
    read_manifest,
)
from recsys.data.process import (
    EVENT_COLUMNS,
    STAGES,
    PrepareSettings,
    Progress,
    input_paths,
    process_inputs,
)
from recsys.data.sanity import empty_flags
from recsys.data.spark_session import SparkSettings, check_engine
from recsys.data.splitting import SPLIT_NAMES
from recsys.errors import ConfigError, DataError
from recsys.fileio import file_lock, staging_dir, swap_dir

__all__ = ["DEFAULT_LOCK_TIMEOUT", "ensure_prepared", "prepare", "summarize"]

DEFAULT_LOCK_TIMEOUT = 600.0
"""Seconds a :func:`prepare` waits for another writer of the same output folder (a 3M-event release
takes seconds; ten minutes means the other run is stuck)."""


# -- helpers --------------------------------------------------------------------------------------
def _same_content(path: Path, stored: Mapping[str, object]) -> bool:
    """Whether ``path`` still has the size and SHA-256 recorded in the manifest.

    The size is compared first (free); the hash is what makes an in-place edit of the same size and
    modification time count as a change (0.3 s for a 420 MB file, see ``benchmarks/results/prepare.md``).
    """
    try:
        if path.stat().st_size != stored.get("size"):
            return False
        return file_fingerprint(path)["sha256"] == stored.get("sha256")
    except OSError:
        return False


def _cached_report(out: Path, paths: Mapping[str, Path], settings: dict, skip_malformed: bool) -> dict | None:
    """The stored report when the manifest matches the inputs' content and the settings, else ``None``."""
    manifest = read_manifest(out)
    if manifest is None or manifest.get("version") != FORMAT_VERSION:
        return None
    if manifest.get("settings") != settings or manifest.get("skip_malformed") != skip_malformed:
        return None
    stored = manifest.get("inputs", {})
    if not isinstance(stored, dict) or set(stored) != set(paths):
        return None
    if not all((out / name).is_file() for name in OUTPUT_FILES):
        return None
    if not all(isinstance(stored[n], dict) and _same_content(p, stored[n]) for n, p in paths.items()):
        return None
    return manifest.get("report")


# Columns of (nearly) all-distinct values: a Parquet dictionary of them is tried, overflows and is thrown
# away, so they are written plain from the start.
_PLAIN = frozenset({"line", "timestamp", "session_id"})
# Rows per row group: the 100,000-word dictionary of a track column is written once a group, so a few
# large groups instead of pyarrow's 1 Mi-row ones.
_ROW_GROUP = 4 << 20


def _write_table(folder: Path, name: str, table: pa.Table | pd.DataFrame) -> None:
    """One output table, snappy-compressed. Statistics are kept for the value columns only: min/max over
    the strings of a dictionary column cost half its writing time and no reader uses them. Writing the
    50,000-user events table went from 2.1 s to 0.8-1.1 s; the file reads back equal."""
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(
        table,
        folder / name,
        compression="snappy",
        use_dictionary=[column for column in table.column_names if column not in _PLAIN],
        write_statistics=[f.name for f in table.schema if not pa.types.is_dictionary(f.type)],
        row_group_size=_ROW_GROUP,
    )


class _Writer:
    """Writes the output tables into a staging folder beside ``out_dir``, on background threads.

    Called as :data:`~recsys.data.process.Sink`: each table is written as soon as it is final, while
    the rest is computed (pyarrow encodes Parquet without the GIL, so the events table is written on
    the second core while the scores are summed). The staging folder is made at the first table and
    removed by ``stack`` on failure, after the running write has finished.
    """

    def __init__(self, stack: ExitStack, out_dir: Path) -> None:
        self._stack, self._out_dir = stack, out_dir
        self._folder: Path | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []
        self.written: set[str] = set()

    def _open(self) -> tuple[Path, ThreadPoolExecutor]:
        if self._folder is None or self._pool is None:
            self._folder = self._stack.enter_context(
                staging_dir(self._out_dir.parent, f"{self._out_dir.name}.prepare")
            )
            # entered after the folder: on the way out the writes end before the folder is removed. Two
            # writers: the last tables are written on both cores once the processing is done.
            self._pool = self._stack.enter_context(ThreadPoolExecutor(max_workers=2))
            # on a failure the writes not yet started are dropped (the folder is removed anyway)
            self._stack.callback(lambda: [pending.cancel() for pending in self._pending])
        return self._folder, self._pool

    def __call__(self, name: str, table: pa.Table | pd.DataFrame) -> None:
        folder, pool = self._open()
        self.written.add(name)
        self._pending.append(pool.submit(_write_table, folder, name, table))

    def wait(self) -> Path:
        """Wait for every write (raising the first one's error); returns the staging folder."""
        folder, _ = self._open()
        for pending in self._pending:
            pending.result()
        return folder


def _check_out(out_dir: Path) -> None:
    """Refuse to replace a file, or a folder that is not a prepared dataset (the swap would delete it)."""
    if os.path.lexists(out_dir) and not out_dir.is_dir():
        raise DataError("the output path exists and is not a folder; choose a new or empty folder",
                        file=str(out_dir))
    if out_dir.is_dir() and any(out_dir.iterdir()) and not is_prepared(out_dir):
        raise DataError(
            "the output folder exists and is not a prepared dataset; choose a new or empty folder",
            file=str(out_dir),
        )


def prepare(
    data_dir: str | os.PathLike,
    out: str | os.PathLike,
    *,
    settings: PrepareSettings | None = None,
    skip_malformed: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    engine: str = "local",
    spark: SparkSettings | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Load, clean, split and score a raw Pozytywka folder and write the Parquet tables.

    Parameters
    ----------
    data_dir : path-like
        Folder with ``sessions.jsonl``, ``tracks.jsonl``, ``users.jsonl``, ``artists.jsonl``
        (``track_storage.jsonl`` optional).
    out : path-like, optional
        Output folder (created, or replaced as a whole). Where a dataset's prepared folder lives is
        the workspace's rule (:func:`recsys.app.workspace.prepared_folder`).
    settings : PrepareSettings, optional
        Split and scoring settings; defaults when omitted.
    skip_malformed : bool, default False
        Keep malformed lines aside (counted as ``rejected["malformed"]``) instead of failing.
    force : bool, default False
        Reprocess even when the manifest says the input is unchanged.
    progress : callable, optional
        Called as ``progress(stage, done, total)`` after each of :data:`STAGES`.
    engine : {"local", "spark"}, default "local"
        Who does the work: this process, or Spark (:mod:`recsys.data.spark_prepare`), which writes the
        same tables and report.
    spark : SparkSettings, optional
        With ``engine="spark"``: the master and settings (the running session, or ``local[*]``).
    lock_timeout : float
        Seconds to wait while another process writes the same output folder.
    on_wait : callable, optional
        Called with a message when this call starts waiting for that other writer.

    Returns
    -------
    dict
        The report (``engine`` says which one made it): ``input_rows``, ``kept_rows``, ``rejected``
        (rule -> rows, ``malformed`` included), ``repaired``, ``splits`` (``train``/``val``/``test`` ->
        ``events``, ``pairs``, ``users``), ``tracks``, ``users``, ``seconds``, ``cached``, ``out``,
        ``fingerprint``, ...
        Always ``input_rows == kept_rows + sum(rejected.values())``.

    Raises
    ------
    DataError
        A missing folder or file, or malformed input (naming file, line and field); nothing is written.
    ConfigError
        Invalid settings.
    BusyError
        Another process still writes ``out`` after ``lock_timeout`` seconds.
    """
    started = time.perf_counter()
    settings = settings or PrepareSettings()
    settings.validate()
    check_engine(engine)
    data_dir = Path(data_dir)
    paths = input_paths(data_dir)
    out_dir = Path(out)
    _check_out(out_dir)  # before the lock: a wrong --out fails without touching its folder
    try:
        with file_lock(out_dir, timeout=lock_timeout, on_wait=on_wait):
            return _prepare_locked(
                data_dir, paths, out_dir, settings, skip_malformed=skip_malformed, force=force,
                progress=progress, engine=engine, spark=spark, started=started,
            )
    except OSError as exc:
        raise DataError(f"cannot write the prepared tables: {exc}", file=str(out_dir)) from None


def _prepare_locked(
    data_dir: Path,
    paths: Mapping[str, Path],
    out_dir: Path,
    settings: PrepareSettings,
    *,
    skip_malformed: bool,
    force: bool,
    progress: Progress | None,
    engine: str,
    spark: SparkSettings | None,
    started: float,
) -> dict[str, Any]:
    """:func:`prepare`'s work, holding the output folder's lock: cache check, processing, swap."""
    if not force:
        cached = _cached_report(out_dir, paths, settings.to_dict(), skip_malformed)
        if cached is not None:
            if progress is not None:
                for i, stage in enumerate(STAGES):
                    progress(stage, i + 1, len(STAGES))
            return {**cached, "cached": True, "out": str(out_dir), "seconds": time.perf_counter() - started}
    # (an OSError of a failed write is turned into a DataError by prepare())
    with ExitStack() as stack:
        writer = _Writer(stack, out_dir)
        if engine == "spark":
            # why here: the Spark engine imports pyspark; the local path never loads it
            from recsys.data.spark_prepare import process_inputs_spark

            done = process_inputs_spark(
                paths, settings, skip_malformed=skip_malformed, progress=progress, spark=spark
            )
        else:
            done = process_inputs(
                paths, settings, skip_malformed=skip_malformed, progress=progress, sink=writer
            )
        report = {
            **done.report, "engine": engine, "data": str(data_dir), "out": str(out_dir), "cached": False
        }
        _check_out(out_dir)
        write_started = time.perf_counter()
        tables = {
            **{f"{name}.parquet": done.splits[name] for name in SPLIT_NAMES},
            "events.parquet": done.events.select(list(EVENT_COLUMNS)),
            "rejected.parquet": done.rejected,
            "tracks.parquet": done.tracks,
            "users.parquet": done.users,
            "artists.parquet": done.artists,
            "flagged.parquet": done.flagged if done.flagged is not None else empty_flags(),
        }
        for name, table in tables.items():
            if name not in writer.written:
                writer(name, table)
        staged = writer.wait()
        report["stage_seconds"]["write"] = round(time.perf_counter() - write_started, 3)
        report["seconds"] = time.perf_counter() - started
        manifest = {
            "kind": PREPARED_KIND,
            "version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_dir": str(data_dir.resolve()),
            "inputs": done.inputs,
            "settings": settings.to_dict(),
            "skip_malformed": skip_malformed,
            "fingerprint": report["fingerprint"],
            "report": report,
        }
        (staged / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str))
        # The whole folder is swapped at once (under the lock): a reader sees the old dataset or the new
        # one, never the tables of one input with the manifest of another.
        swap_dir(staged, out_dir)
    if progress is not None:
        progress(STAGES[-1], len(STAGES), len(STAGES))
    report["seconds"] = time.perf_counter() - started
    return report


def summarize(path: str | os.PathLike) -> dict[str, Any]:
    """Summary of a prepared folder (from its manifest) or of a raw folder (loaded and cleaned in memory).

    Parameters
    ----------
    path : path-like
        A folder written by :func:`prepare`, or a raw Pozytywka folder.

    Returns
    -------
    dict
        ``kind`` (``"prepared"`` or ``"raw"``), ``users``, ``tracks``, ``events`` (kept rows),
        ``events_by_type``, ``date_range``, ``rejected``, ``repaired``, ``splits``, ``fingerprint``,
        ``sanity`` (see :mod:`recsys.data.sanity`).
    """
    path = Path(path)
    manifest = read_manifest(path)
    if manifest is not None:
        report = manifest["report"]
        kind = "prepared"
    else:
        paths = input_paths(path)
        done = process_inputs(paths, PrepareSettings(), skip_malformed=True, progress=None)
        report = done.report
        kind = "raw"
    keys = (
        "input_rows",
        "kept_rows",
        "rejected",
        "repaired",
        "splits",
        "tracks",
        "users",
        "artists",
        "event_users",
        "event_tracks",
        "events_by_type",
        "date_range",
        "fingerprint",
        "settings",
        "sanity",
    )
    return {"kind": kind, "folder": str(path), **{k: report.get(k) for k in keys}}


def ensure_prepared(
    data_dir_or_prepared: str | os.PathLike,
    out: str | os.PathLike | None = None,
    **options: Any,
) -> Prepared:
    """A :class:`Prepared` for a prepared folder, or for a raw folder after preparing it (cached).

    Parameters
    ----------
    data_dir_or_prepared : path-like
        A folder written by :func:`prepare`, or a raw Pozytywka folder.
    out : path-like, optional
        Output folder when preparing (see :func:`prepare`); required for a raw folder.
    **options
        Passed to :func:`prepare` (``settings``, ``skip_malformed``, ``force``, ``progress``).

    Returns
    -------
    Prepared
    """
    path = Path(data_dir_or_prepared)
    if is_prepared(path):
        return load_prepared(path)
    if out is None:
        raise ConfigError(f"{path} is not a prepared folder: say where to prepare it (out=...)")
    report = prepare(path, out, **options)
    return load_prepared(report["out"])
