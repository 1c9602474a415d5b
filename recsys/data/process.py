"""Processing raw Pozytywka files in memory: load, clean, split, score (no files written).

:func:`process_inputs` is the pipeline's work; :mod:`recsys.data.prepare` writes its result. The
settings (:class:`PrepareSettings`) and the dataset fingerprint are defined here, because they define
what the processing produces.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.cleaning import clean_events, rejected_frame
from recsys.data.columns import one_array
from recsys.data.jsonl import file_fingerprint
from recsys.data.loading import read_sessions
from recsys.data.rawfile import check_file
from recsys.data.records import enrich_tracks, read_catalogue_file
from recsys.data.sanity import (
    dedupe,
    empty_flags,
    event_flags,
    malformed_flags,
    sanity_report,
    timestamp_window,
)
from recsys.data.scoring import DEFAULT_WEIGHTS, score_splits, validate_weights
from recsys.data.splitting import SPLIT_NAMES, assign_splits, validate_split_settings
from recsys.errors import ConfigError, DataError

__all__ = [
    "EVENT_COLUMNS", "INPUT_FILES", "STAGES", "Catalogue", "Progress", "Sink", "PrepareSettings", "Processed",
    "assemble", "build_report", "dataset_fingerprint", "enrich_tracks", "input_paths", "process_inputs",
    "read_catalogue", "rejected_frame",
    "Sanity",
    "check_sanity",
]

#: Input files: name -> required.
INPUT_FILES: dict[str, bool] = {
    "sessions.jsonl": True,
    "tracks.jsonl": True,
    "users.jsonl": True,
    "artists.jsonl": True,
    "track_storage.jsonl": False,
}
#: Stages reported to the ``progress`` callback, in order.
STAGES: tuple[str, ...] = ("load", "clean", "split", "score", "write")

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)`` after each of :data:`STAGES`."""

Sink = Callable[[str, pa.Table], None]
"""``sink(file_name, table)``: an output table of :func:`process_inputs`, final, to be written."""

#: The columns of ``events.parquet``, in order.
EVENT_COLUMNS: tuple[str, ...] = (
    "session_id", "timestamp", "user_id", "track_id", "event_type", "split", "line",
)  # fmt: skip


@dataclass(frozen=True)
class PrepareSettings:
    """Settings of :func:`prepare` (stored in the manifest; a change means reprocessing).

    Attributes
    ----------
    split : {"chrono", "time", "random"}
        Splitting method (see :mod:`recsys.data.splitting`).
    val_frac, test_frac : float
        Fractions of events for validation and test; train gets the rest.
    seed : int
        Seed of the ``random`` split.
    weights : dict
        Event type -> weight of the score aggregation (see :mod:`recsys.data.scoring`).
    default_weight : float
        Weight of an event type not in ``weights``.
    """

    split: str = "chrono"
    val_frac: float = 0.15
    test_frac: float = 0.15
    seed: int = 0
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    default_weight: float = 0.0

    def validate(self) -> None:
        """Raise :class:`~recsys.errors.ConfigError` naming the first bad setting."""
        validate_split_settings(self.split, self.val_frac, self.test_frac, self.seed)
        if not isinstance(self.weights, Mapping):
            raise ConfigError(f"weights must be a mapping of event type -> weight, got {self.weights!r}")
        validate_weights(self.weights)
        validate_weights({"default_weight": self.default_weight})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        out = asdict(self)
        out["weights"] = validate_weights(self.weights)
        out["val_frac"] = float(self.val_frac)
        out["test_frac"] = float(self.test_frac)
        out["default_weight"] = float(self.default_weight)
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PrepareSettings:
        """Settings from :meth:`to_dict` output (unknown keys raise ConfigError)."""
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown prepare settings {unknown}")
        return cls(**dict(values))


def input_paths(data_dir: Path) -> dict[str, Path]:
    """The input files present in ``data_dir`` (name -> path).

    Raises
    ------
    DataError
        The folder or a required file is missing; an input name that is there but is not a regular
        readable file (a folder, a broken link, a pipe, a compressed file...) is named as such.
    """
    if not data_dir.exists():
        raise DataError("data folder not found", file=str(data_dir))
    if not data_dir.is_dir():
        raise DataError("is not a folder", file=str(data_dir))
    paths: dict[str, Path] = {}
    for name, required in INPUT_FILES.items():
        path = data_dir / name
        if os.path.lexists(path):
            if required or not path.is_file():
                check_file(path)  # a folder, device, pipe, broken link or compressed file says so
            paths[name] = path
        elif required:
            packed = sorted(p.name for p in data_dir.glob(f"{name}.*") if p.suffix in _PACKED)
            hint = f" (found {packed[0]}: decompress it first)" if packed else ""
            raise DataError(f"required file {name} not found in the data folder{hint}", file=str(path))
    return paths


# Suffixes of compressed copies of an input file, named in the "not found" message.
_PACKED = (".gz", ".bz2", ".xz", ".zst", ".zip")


def dataset_fingerprint(inputs: Mapping[str, Mapping[str, Any]], settings: Mapping[str, Any]) -> str:
    """The dataset's fingerprint: a hash of every input file's SHA-256 and of the settings."""
    digest = hashlib.sha256()
    for name in sorted(inputs):
        digest.update(f"{name}:{inputs[name]['sha256']}\n".encode())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _factorize(column: pa.ChunkedArray, order: np.ndarray | None = None) -> tuple[np.ndarray, pa.Array]:
    """Dense codes 0..k-1 of an id column and the ids behind them (int ids hash fast in pandas).

    Integer ids are coded in ascending order; given ``order``, the rows already sorted by id (the
    cleaning's sort), the codes are read off that order instead of hashing every id again."""
    if pa.types.is_integer(column.type) and order is not None and column.null_count == 0:
        ordered = column.to_numpy()[order]
        first = np.r_[True, ordered[1:] != ordered[:-1]] if len(ordered) else np.zeros(0, dtype=bool)
        codes = np.empty(len(ordered), dtype=np.int64)
        codes[order] = np.cumsum(first) - 1
        return codes, pa.array(ordered[first], type=column.type)
    if pa.types.is_integer(column.type):
        codes, uniques = pd.factorize(column.to_numpy(), sort=True)
        return codes.astype(np.int64, copy=False), pa.array(uniques, type=column.type)
    encoded = one_array(column).dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


@dataclass
class Catalogue:
    """The catalogue files as read (each de-duplicated by id), what was skipped, their fingerprints.

    ``flags`` lists the lines dropped as duplicates or (with ``skip_malformed``) as malformed
    (:data:`recsys.data.sanity.FLAG_COLUMNS`).
    """

    tracks: pd.DataFrame
    users: pd.DataFrame
    artists: pd.DataFrame
    skipped_lines: dict[str, int]
    duplicate_track_ids: int
    fingerprints: dict[str, dict]
    flags: pd.DataFrame = field(default_factory=empty_flags)


def read_catalogue(paths: Mapping[str, Path], *, skip_malformed: bool) -> Catalogue:
    """Read ``tracks.jsonl``, ``users.jsonl``, ``artists.jsonl``; fingerprint every file but the sessions.

    Both engines read the catalogue here, on the driver: it is small beside the sessions (22,000 tracks in a
    release), and one reader keeps the written catalogue tables identical. Each file is checked against
    its schema (:mod:`recsys.data.records`); a repeated id keeps its first line, the others are dropped
    and flagged (:func:`recsys.data.sanity.dedupe`).
    """
    tables: dict[str, pd.DataFrame] = {}
    flags: list[pd.DataFrame] = []
    skipped: dict[str, int] = {}
    for name, key, flag in (
        ("tracks.jsonl", "id", "duplicate_track"),
        ("users.jsonl", "user_id", "duplicate_user"),
        ("artists.jsonl", "id", "duplicate_artist"),
    ):
        read = read_catalogue_file(paths[name], required=[key], skip_malformed=skip_malformed)
        tables[name], dropped = dedupe(read.frame, read.lines, key, file=name, flag=flag)
        flags += [malformed_flags(name, read.malformed), dropped]
        skipped[name] = len(read.malformed)
    tracks = tables["tracks.jsonl"]
    return Catalogue(
        tracks=tracks,
        users=tables["users.jsonl"],
        artists=tables["artists.jsonl"],
        skipped_lines=skipped,
        duplicate_track_ids=sum(f["flag"].eq("duplicate_track").sum() for f in flags),
        fingerprints={name: file_fingerprint(p) for name, p in paths.items() if name != "sessions.jsonl"},
        flags=_concat_flags(flags),
    )


def _concat_flags(parts: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [p for p in parts if len(p)]
    return pd.concat(kept, ignore_index=True) if kept else empty_flags()


@dataclass
class Sanity:
    """The data sanity of one preparation: the report's ``sanity`` section and every flagged row."""

    report: dict[str, Any]
    flagged: pd.DataFrame


def check_sanity(events: pa.Table, catalogue: Catalogue) -> Sanity:
    """Flag kept events of users missing from ``users.jsonl`` or dated implausibly, add the catalogue's
    flags, and count them (see :mod:`recsys.data.sanity`).

    Parameters
    ----------
    events : pyarrow.Table
        The kept events with ``line``, ``user_id``, ``timestamp``.
    catalogue : Catalogue
        From :func:`read_catalogue`.
    """
    window = timestamp_window()
    users = catalogue.users["user_id"].tolist() if "user_id" in catalogue.users.columns else []
    odd_events, unknown = event_flags(events, users, window)
    flagged = _concat_flags([catalogue.flags, odd_events])
    return Sanity(report=sanity_report(flagged, window, unknown), flagged=flagged)


def build_report(
    *,
    input_rows: int,
    events: pa.Table,
    rejected_counts: dict[str, int],
    repaired_counts: dict[str, int],
    split_report: dict[str, dict[str, int]],
    catalogue: Catalogue,
    inputs: dict,
    settings: PrepareSettings,
    skip_malformed: bool,
    stage_seconds: dict[str, float],
    sanity: Sanity | None = None,
) -> dict[str, Any]:
    """The prepare report (the ``--json`` object) from the kept events and the counts: one definition for
    both engines.

    Parameters
    ----------
    input_rows : int
        Non-blank lines of ``sessions.jsonl``.
    events : pyarrow.Table
        The kept events: ``user_id``, ``track_id`` and ``event_type`` (dictionary arrays), ``timestamp``.
    rejected_counts, repaired_counts : dict
        Rows removed per rule (``malformed`` first) and rows repaired.
    split_report : dict
        ``train``/``val``/``test`` -> ``events``, ``pairs``, ``users``.
    catalogue : Catalogue
    inputs : dict
        File name -> fingerprint.
    settings : PrepareSettings
    skip_malformed : bool
    stage_seconds : dict
        Seconds per stage so far.
    sanity : Sanity, optional
        From :func:`check_sanity` (computed here when not given).
    """
    if sanity is None:
        sanity = check_sanity(events, catalogue)
    event_column = one_array(events["event_type"])
    event_names = event_column.dictionary.to_pylist()
    event_counts = np.bincount(
        event_column.indices.to_numpy(zero_copy_only=False), minlength=len(event_names)
    ).tolist()
    track_codes = one_array(events["track_id"]).indices.to_numpy(zero_copy_only=False)
    stamps = events["timestamp"]
    first, last = (pc.min(stamps).as_py(), pc.max(stamps).as_py()) if len(events) else (None, None)
    report: dict[str, Any] = {
        "input_rows": int(input_rows),
        "kept_rows": int(events.num_rows),
        "rejected": rejected_counts,
        "repaired": repaired_counts,
        "splits": split_report,
        "tracks": len(catalogue.tracks),
        "users": len(catalogue.users),
        "artists": len(catalogue.artists),
        "event_users": int(pc.count_distinct(events["user_id"]).as_py()) if len(events) else 0,
        "event_tracks": int(np.count_nonzero(np.bincount(track_codes, minlength=1))),
        "events_by_type": {str(k): int(v) for k, v in zip(event_names, event_counts, strict=True) if v},
        "date_range": [
            None if first is None else first.isoformat(),
            None if last is None else last.isoformat(),
        ],
        "skipped_lines": dict(catalogue.skipped_lines),
        "duplicate_track_ids": int(catalogue.duplicate_track_ids),
        "sanity": sanity.report,
        "stage_seconds": stage_seconds,
        "settings": settings.to_dict(),
        "skip_malformed": skip_malformed,
        "fingerprint": dataset_fingerprint(inputs, settings.to_dict()),
    }
    assert report["input_rows"] == report["kept_rows"] + sum(rejected_counts.values()), "row accounting"
    return report


@dataclass
class Processed:
    """What :func:`process_inputs` produced: the report, the input fingerprints and the tables.

    ``flagged`` lists the odd rows the sanity checks found (:mod:`recsys.data.sanity`).
    """

    report: dict
    inputs: dict
    events: pa.Table
    rejected: pa.Table
    splits: dict[str, pa.Table]
    tracks: pd.DataFrame
    users: pd.DataFrame
    artists: pd.DataFrame
    flagged: pd.DataFrame | None = None


def process_inputs(
    paths: Mapping[str, Path],
    settings: PrepareSettings,
    *,
    skip_malformed: bool,
    progress: Progress | None,
    sink: Sink | None = None,
) -> Processed:
    """Load, clean, split and score the raw files in memory (what :func:`recsys.data.prepare.prepare`
    writes).

    Parameters
    ----------
    paths : mapping
        Input file name -> path (:func:`input_paths`).
    settings : PrepareSettings
    skip_malformed : bool
        Keep malformed lines aside instead of failing.
    progress : callable, optional
        Called as ``progress(stage, done, total)`` after each stage.
    sink : callable, optional
        Called as ``sink(file_name, table)`` with each of the events, rejected and split tables as soon
        as it is final, so that a writer can store it while the rest is computed.

    Returns
    -------
    Processed
    """
    stage_seconds: dict[str, float] = {}
    clock = [time.perf_counter()]

    def step(i: int) -> None:
        now = time.perf_counter()
        stage_seconds[STAGES[i]] = round(now - clock[0], 3)
        clock[0] = now
        if progress is not None:
            progress(STAGES[i], i + 1, len(STAGES))

    sessions = read_sessions(paths["sessions.jsonl"], skip_malformed=skip_malformed)
    catalogue = read_catalogue(paths, skip_malformed=skip_malformed)
    inputs = {"sessions.jsonl": sessions.fingerprint, **catalogue.fingerprints}
    step(0)

    cleaned = clean_events(sessions.table, pa.array(catalogue.tracks["id"].tolist()))
    # the loaded table is split between cleaned.events and cleaned.rejected now: let it go (at 10
    # million lines it is half a gigabyte, held through the split and the scores otherwise). An empty
    # table, not a slice: a zero-row slice still holds every buffer of the table it was cut from.
    sessions.table = sessions.table.schema.empty_table()
    events = cleaned.events
    rejected = rejected_frame(cleaned.rejected, sessions.malformed)
    if sink is not None:  # final now: written while the events are split and scored
        sink("rejected.parquet", rejected)
    sanity = check_sanity(events, catalogue)
    step(1)

    user_codes, user_uniques = _factorize(events["user_id"], cleaned.order)
    track_column = one_array(events["track_id"])
    track_codes = track_column.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    track_names = track_column.dictionary
    codes = assign_splits(
        user_codes,
        one_array(events["timestamp"]).cast(pa.int64()).to_numpy(zero_copy_only=False),
        method=settings.split,
        val_frac=settings.val_frac,
        test_frac=settings.test_frac,
        seed=settings.seed,
        order=cleaned.order,  # the cleaning's (user, time) sort: not repeated
    )
    cleaned.order = None
    split_names = pa.array(list(SPLIT_NAMES), type=pa.string())
    events = events.append_column(
        "split", pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int8()), split_names)
    )
    step(2)

    if sink is not None:  # final now: written while the scores are computed
        sink("events.parquet", events.select(list(EVENT_COLUMNS)))
    event_column = one_array(events["event_type"])
    weights = settings.to_dict()["weights"]
    weight_of = np.array(
        [weights.get(name, settings.default_weight) for name in event_column.dictionary.to_pylist()] + [0.0]
    )
    splits, split_report = score_splits(
        codes, (user_codes, user_uniques), (track_codes, track_names),
        event_column.indices.to_numpy(zero_copy_only=False), weight_of, names=SPLIT_NAMES, sink=sink,
    )
    step(3)

    return assemble(
        input_rows=sessions.input_rows,
        events=events,
        rejected=rejected,
        rejected_counts={"malformed": len(sessions.malformed), **cleaned.rejected_counts},
        repaired_counts=cleaned.repaired_counts,
        splits=splits,
        split_report=split_report,
        catalogue=catalogue,
        inputs=inputs,
        settings=settings,
        skip_malformed=skip_malformed,
        stage_seconds=stage_seconds,
        sanity=sanity,
    )


def assemble(
    *, rejected: pd.DataFrame, splits: dict[str, pa.Table], sanity: Sanity, **report: Any
) -> Processed:
    """Both engines' last step: the :func:`build_report` of ``report`` (its keyword arguments, with
    ``sanity``) and the tables to write, the rejected rows and the split pairs among them."""
    catalogue, events = report["catalogue"], report["events"]
    return Processed(
        report=build_report(**report, sanity=sanity),
        inputs=report["inputs"],
        events=events,
        rejected=rejected,
        splits=splits,
        tracks=enrich_tracks(catalogue.tracks, catalogue.artists),
        users=catalogue.users,
        artists=catalogue.artists,
        flagged=sanity.flagged,
    )


