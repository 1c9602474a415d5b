"""Writing a prepared dataset: raw Pozytywka folder -> cleaned, split, scored Parquet tables.

:func:`prepare` runs :func:`recsys.data.process.process_inputs` (load, clean, split, score) and writes
the tables and the manifest whose layout :mod:`recsys.data.prepared` owns (and reads back). They are
written into a hidden staging folder beside the output, which then replaces the output folder as a whole
(:func:`recsys.fileio.swap_dir`), so a failure never leaves a half-written dataset that looks complete.
An input whose fingerprints and settings match the manifest is not reprocessed (the report says
``"cached": true``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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
from recsys.data.process import STAGES, PrepareSettings, Progress, input_paths, process_inputs
from recsys.data.splitting import SPLIT_NAMES
from recsys.errors import ConfigError, DataError
from recsys.fileio import staging_dir, swap_dir

__all__ = ["ensure_prepared", "prepare", "summarize"]


# -- helpers --------------------------------------------------------------------------------------
def _stat(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}


def _cached_report(out: Path, paths: Mapping[str, Path], settings: dict, skip_malformed: bool) -> dict | None:
    """The stored report when the manifest matches the inputs and settings, else ``None``."""
    manifest = read_manifest(out)
    if manifest is None or manifest.get("version") != FORMAT_VERSION:
        return None
    if manifest.get("settings") != settings or manifest.get("skip_malformed") != skip_malformed:
        return None
    stored = manifest.get("inputs", {})
    if set(stored) != set(paths):
        return None
    for name, path in paths.items():
        now = _stat(path)
        if {k: stored[name].get(k) for k in now} != now:
            return None
    if not all((out / name).is_file() for name in OUTPUT_FILES):
        return None
    return manifest.get("report")


def _write_table(folder: Path, name: str, table: pa.Table | pd.DataFrame) -> None:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(table, folder / name, compression="snappy")


def _check_out(out_dir: Path) -> None:
    """Refuse to replace a folder that is not a prepared dataset (the swap would delete its files)."""
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

    Returns
    -------
    dict
        The report: ``input_rows``, ``kept_rows``, ``rejected`` (rule -> rows, ``malformed``
        included), ``repaired``, ``splits`` (``train``/``val``/``test`` -> ``events``, ``pairs``,
        ``users``), ``tracks``, ``users``, ``seconds``, ``cached``, ``out``, ``fingerprint``, ...
        Always ``input_rows == kept_rows + sum(rejected.values())``.

    Raises
    ------
    DataError
        A missing folder or file, or malformed input (naming file, line and field).
    ConfigError
        Invalid settings.
    """
    started = time.perf_counter()
    settings = settings or PrepareSettings()
    settings.validate()
    data_dir = Path(data_dir)
    paths = input_paths(data_dir)
    out_dir = Path(out)
    if not force:
        cached = _cached_report(out_dir, paths, settings.to_dict(), skip_malformed)
        if cached is not None:
            if progress is not None:
                for i, stage in enumerate(STAGES):
                    progress(stage, i + 1, len(STAGES))
            return {**cached, "cached": True, "out": str(out_dir), "seconds": time.perf_counter() - started}
    done = process_inputs(
        paths, settings, skip_malformed=skip_malformed, progress=None if progress is None else progress
    )
    report = {**done.report, "data": str(data_dir), "out": str(out_dir), "cached": False}
    _check_out(out_dir)
    write_started = time.perf_counter()
    try:
        with staging_dir(out_dir.parent, f"{out_dir.name}.prepare") as staged:
            for name in SPLIT_NAMES:
                _write_table(staged, f"{name}.parquet", done.splits[name])
            events = done.events.select(
                ["session_id", "timestamp", "user_id", "track_id", "event_type", "split", "line"]
            )
            _write_table(staged, "events.parquet", events)
            _write_table(staged, "rejected.parquet", done.rejected)
            _write_table(staged, "tracks.parquet", done.tracks)
            _write_table(staged, "users.parquet", done.users)
            _write_table(staged, "artists.parquet", done.artists)
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
            # The whole folder is swapped at once: a reader sees the old dataset or the new one, never
            # the tables of one input with the manifest of another.
            swap_dir(staged, out_dir)
    except OSError as exc:
        raise DataError(f"cannot write the prepared tables: {exc}", file=str(out_dir)) from None
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
        ``events_by_type``, ``date_range``, ``rejected``, ``repaired``, ``splits``, ``fingerprint``.
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
