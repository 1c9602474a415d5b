"""The data pipeline: raw Pozytywka folder -> cleaned, split, scored Parquet tables.

:func:`prepare` loads the four JSON-lines files (:mod:`recsys.data.loading`), cleans the events
(:mod:`recsys.data.cleaning`), splits them (:mod:`recsys.data.splitting`), aggregates each split into one score
per (user, track) (:mod:`recsys.data.scoring`) and writes, into the output folder:

- ``train.parquet``, ``val.parquet``, ``test.parquet``: ``user_id, track_id, score`` (ids as in the
  input files; zero-score pairs kept, see :mod:`recsys.data.scoring`);
- ``events.parquet``: the cleaned events ``session_id, timestamp, user_id, track_id, event_type,
  split, line`` (``line`` = line number in ``sessions.jsonl``);
- ``rejected.parquet``: every row not kept, with ``line``, ``reason`` (a cleaning rule or
  ``malformed``), the values as read, and for malformed lines ``field`` and ``text``;
- ``tracks.parquet`` (with ``artist_name`` and ``genres`` from the artist), ``users.parquet``,
  ``artists.parquet``;
- ``manifest.json``: the input files' fingerprints, the settings and the report.

Files are written under temporary names and renamed into place, the manifest last, so a failure never
leaves a half-written dataset that looks complete. An input whose fingerprints and settings match the
manifest is not reprocessed (the report says ``"cached": true``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from recsys.data.cleaning import clean_events
from recsys.data.interactions import Interactions
from recsys.data.loading import file_fingerprint, read_records, read_sessions
from recsys.data.scoring import DEFAULT_WEIGHTS, aggregate_codes, validate_weights
from recsys.data.splitting import SPLIT_NAMES, assign_splits, validate_split_settings
from recsys.errors import ConfigError, DataError, UnknownUserError

__all__ = [
    "DEFAULT_PROCESSED_DIR",
    "INPUT_FILES",
    "OUTPUT_FILES",
    "STAGES",
    "PrepareSettings",
    "Prepared",
    "ensure_prepared",
    "is_prepared",
    "load_prepared",
    "prepare",
    "summarize",
]

#: Where :func:`prepare` writes when no ``out`` is given: ``data_files/processed/<data folder name>``.
DEFAULT_PROCESSED_DIR = Path(__file__).resolve().parents[2] / "data_files" / "processed"
#: Input files: name -> required.
INPUT_FILES: dict[str, bool] = {
    "sessions.jsonl": True,
    "tracks.jsonl": True,
    "users.jsonl": True,
    "artists.jsonl": True,
    "track_storage.jsonl": False,
}
#: Parquet outputs besides ``manifest.json``.
OUTPUT_FILES: tuple[str, ...] = (
    "train.parquet",
    "val.parquet",
    "test.parquet",
    "events.parquet",
    "rejected.parquet",
    "tracks.parquet",
    "users.parquet",
    "artists.parquet",
)
#: Stages reported to the ``progress`` callback, in order.
STAGES: tuple[str, ...] = ("load", "clean", "split", "score", "write")
_MANIFEST = "manifest.json"
_KIND = "recsys-prepared"
_VERSION = 1

Progress = Callable[[str, int, int], None]


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


# -- helpers --------------------------------------------------------------------------------------
def _input_paths(data_dir: Path) -> dict[str, Path]:
    if not data_dir.exists():
        raise DataError("data folder not found", file=str(data_dir))
    if not data_dir.is_dir():
        raise DataError("is not a folder", file=str(data_dir))
    paths: dict[str, Path] = {}
    for name, required in INPUT_FILES.items():
        path = data_dir / name
        if path.is_file():
            paths[name] = path
        elif required:
            raise DataError(f"required file {name} not found in the data folder", file=str(path))
    return paths


def _stat(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}


def _dataset_fingerprint(inputs: Mapping[str, Mapping[str, Any]], settings: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    for name in sorted(inputs):
        digest.update(f"{name}:{inputs[name]['sha256']}\n".encode())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def is_prepared(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a prepared dataset (a manifest written by :func:`prepare`)."""
    manifest = Path(folder) / _MANIFEST
    if not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text()).get("kind") == _KIND
    except (OSError, ValueError):
        return False


def _cached_report(out: Path, paths: Mapping[str, Path], settings: dict, skip_malformed: bool) -> dict | None:
    """The stored report when the manifest matches the inputs and settings, else ``None``."""
    manifest_path = out / _MANIFEST
    if not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("kind") != _KIND or manifest.get("version") != _VERSION:
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


def _factorize(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Dense codes 0..k-1 of an id column and the ids behind them (int ids hash fast in pandas)."""
    if pa.types.is_integer(column.type):
        codes, uniques = pd.factorize(column.to_numpy(), sort=True)
        return codes.astype(np.int64, copy=False), pa.array(uniques, type=column.type)
    encoded = column.combine_chunks().dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


def _enrich_tracks(tracks: pd.DataFrame, artists: pd.DataFrame) -> pd.DataFrame:
    """Add ``artist_name`` and ``genres`` (a list, empty when the artist is unknown)."""
    out = tracks.copy()
    if "id_artist" not in out.columns or not {"id", "name"} <= set(artists.columns):
        out["artist_name"] = None
        out["genres"] = [[] for _ in range(len(out))]
        return out
    first = artists.drop_duplicates("id", keep="first").set_index("id")
    key = out["id_artist"].astype(str) if first.index.dtype != out["id_artist"].dtype else out["id_artist"]
    if first.index.dtype != out["id_artist"].dtype:
        first.index = first.index.astype(str)
    out["artist_name"] = key.map(first["name"]).astype(object).where(key.isin(first.index), None)
    if "genres" in first.columns:
        genres = key.map(first["genres"])
        out["genres"] = [
            [str(g) for g in value] if isinstance(value, (list, tuple, np.ndarray)) else []
            for value in genres
        ]
    else:
        out["genres"] = [[] for _ in range(len(out))]
    return out


def _rejected_frame(rejected: pa.Table, malformed: pd.DataFrame) -> pa.Table:
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


class _Writer:
    """Writes files under temporary names in ``out`` and renames them all at the end."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tag = f".tmp-{os.getpid()}-{time.time_ns()}"
        self.pending: list[tuple[Path, Path]] = []

    def _temp(self, name: str) -> Path:
        final = self.out / name
        temp = self.out / f".{name}{self.tag}"
        self.pending.append((temp, final))
        return temp

    def table(self, name: str, table: pa.Table | pd.DataFrame) -> None:
        if isinstance(table, pd.DataFrame):
            table = pa.Table.from_pandas(table, preserve_index=False)
        pq.write_table(table, self._temp(name), compression="snappy")

    def json(self, name: str, value: Any) -> None:
        self._temp(name).write_text(json.dumps(value, indent=2, default=str))

    def commit(self) -> None:
        # The manifest goes last: until it is in place the folder is not a (new) prepared dataset.
        manifest = self.out / _MANIFEST
        if manifest.exists():
            manifest.unlink()
        for temp, final in sorted(self.pending, key=lambda p: p[1].name == _MANIFEST):
            os.replace(temp, final)
        self.pending = []

    def abort(self) -> None:
        for temp, _ in self.pending:
            temp.unlink(missing_ok=True)
        self.pending = []


# -- the pipeline ---------------------------------------------------------------------------------
@dataclass
class _Processed:
    report: dict
    inputs: dict
    events: pa.Table
    rejected: pa.Table
    splits: dict[str, pa.Table]
    tracks: pd.DataFrame
    users: pd.DataFrame
    artists: pd.DataFrame


def _process(
    paths: Mapping[str, Path],
    settings: PrepareSettings,
    *,
    skip_malformed: bool,
    progress: Progress | None,
) -> _Processed:
    stage_seconds: dict[str, float] = {}
    clock = [time.perf_counter()]

    def step(i: int) -> None:
        now = time.perf_counter()
        stage_seconds[STAGES[i]] = round(now - clock[0], 3)
        clock[0] = now
        if progress is not None:
            progress(STAGES[i], i + 1, len(STAGES))

    sessions = read_sessions(paths["sessions.jsonl"], skip_malformed=skip_malformed)
    tracks, bad_tracks = read_records(
        paths["tracks.jsonl"], required=["id"], id_field="id", skip_malformed=skip_malformed
    )
    users, bad_users = read_records(
        paths["users.jsonl"], required=["user_id"], id_field="user_id", skip_malformed=skip_malformed
    )
    artists, bad_artists = read_records(
        paths["artists.jsonl"], required=["id"], id_field="id", skip_malformed=skip_malformed
    )
    duplicate_tracks = int(tracks["id"].duplicated().sum())
    tracks = tracks.drop_duplicates("id", keep="first").reset_index(drop=True)
    inputs = {"sessions.jsonl": sessions.fingerprint}
    for name, path in paths.items():
        if name != "sessions.jsonl":
            inputs[name] = file_fingerprint(path)
    step(0)

    cleaned = clean_events(sessions.table, pa.array(tracks["id"].tolist()))
    events = cleaned.events
    step(1)

    user_codes, user_uniques = _factorize(events["user_id"])
    track_column = events["track_id"].combine_chunks()
    track_codes = track_column.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    track_names = track_column.dictionary
    codes = assign_splits(
        user_codes,
        events["timestamp"].combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False),
        method=settings.split,
        val_frac=settings.val_frac,
        test_frac=settings.test_frac,
        seed=settings.seed,
    )
    split_names = pa.array(list(SPLIT_NAMES), type=pa.string())
    events = events.append_column(
        "split", pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int8()), split_names)
    )
    step(2)

    event_column = events["event_type"].combine_chunks()
    event_names = event_column.dictionary.to_pylist()
    event_codes = event_column.indices.to_numpy(zero_copy_only=False)
    weights = settings.to_dict()["weights"]
    weight_of = np.array([weights.get(name, settings.default_weight) for name in event_names] + [0.0])
    event_weights = weight_of[event_codes]
    splits: dict[str, pa.Table] = {}
    split_report: dict[str, dict[str, int]] = {}
    for code, name in enumerate(SPLIT_NAMES):
        rows = np.flatnonzero(codes == code)
        pair_users, pair_tracks, scores = aggregate_codes(
            user_codes[rows], track_codes[rows], event_weights[rows], len(track_names)
        )
        splits[name] = pa.table(
            {
                "user_id": user_uniques.take(pa.array(pair_users)),
                "track_id": track_names.take(pa.array(pair_tracks)),
                "score": pa.array(scores, type=pa.float64()),
            }
        )
        split_report[name] = {
            "events": len(rows),
            "pairs": len(scores),
            "users": int(np.count_nonzero(np.bincount(user_codes[rows], minlength=1))),
        }
    step(3)

    rejected_counts = {"malformed": len(sessions.malformed), **cleaned.rejected_counts}
    event_types = dict(
        zip(event_names, np.bincount(event_codes, minlength=len(event_names)).tolist(), strict=True)
    )
    stamps = events["timestamp"]
    first, last = (pc.min(stamps).as_py(), pc.max(stamps).as_py()) if len(events) else (None, None)
    report: dict[str, Any] = {
        "input_rows": int(sessions.input_rows),
        "kept_rows": int(events.num_rows),
        "rejected": rejected_counts,
        "repaired": cleaned.repaired_counts,
        "splits": split_report,
        "tracks": len(tracks),
        "users": len(users),
        "artists": len(artists),
        "event_users": len(user_uniques),
        "event_tracks": int(np.count_nonzero(np.bincount(track_codes, minlength=1))),
        "events_by_type": {str(k): int(v) for k, v in event_types.items() if v},
        "date_range": [
            None if first is None else first.isoformat(),
            None if last is None else last.isoformat(),
        ],
        "skipped_lines": {
            "tracks.jsonl": len(bad_tracks),
            "users.jsonl": len(bad_users),
            "artists.jsonl": len(bad_artists),
        },
        "duplicate_track_ids": duplicate_tracks,
        "stage_seconds": stage_seconds,
        "settings": settings.to_dict(),
        "skip_malformed": skip_malformed,
        "fingerprint": _dataset_fingerprint(inputs, settings.to_dict()),
    }
    assert report["input_rows"] == report["kept_rows"] + sum(rejected_counts.values()), "row accounting"
    return _Processed(
        report=report,
        inputs=inputs,
        events=events,
        rejected=_rejected_frame(cleaned.rejected, sessions.malformed),
        splits=splits,
        tracks=_enrich_tracks(tracks, artists),
        users=users,
        artists=artists,
    )


def prepare(
    data_dir: str | os.PathLike,
    out: str | os.PathLike | None = None,
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
        Output folder (created); :data:`DEFAULT_PROCESSED_DIR` ``/ <data_dir name>`` by default.
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
    paths = _input_paths(data_dir)
    out_dir = Path(out) if out is not None else DEFAULT_PROCESSED_DIR / data_dir.resolve().name
    if not force:
        cached = _cached_report(out_dir, paths, settings.to_dict(), skip_malformed)
        if cached is not None:
            if progress is not None:
                for i, stage in enumerate(STAGES):
                    progress(stage, i + 1, len(STAGES))
            return {**cached, "cached": True, "out": str(out_dir), "seconds": time.perf_counter() - started}
    done = _process(
        paths, settings, skip_malformed=skip_malformed, progress=None if progress is None else progress
    )
    report = {**done.report, "data": str(data_dir), "out": str(out_dir), "cached": False}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the output folder: {exc.strerror}", file=str(out_dir)) from None
    writer = _Writer(out_dir)
    write_started = time.perf_counter()
    try:
        for name in SPLIT_NAMES:
            writer.table(f"{name}.parquet", done.splits[name])
        writer.table(
            "events.parquet",
            done.events.select(
                ["session_id", "timestamp", "user_id", "track_id", "event_type", "split", "line"]
            ),
        )
        writer.table("rejected.parquet", done.rejected)
        writer.table("tracks.parquet", done.tracks)
        writer.table("users.parquet", done.users)
        writer.table("artists.parquet", done.artists)
        report["stage_seconds"]["write"] = round(time.perf_counter() - write_started, 3)
        report["seconds"] = time.perf_counter() - started
        manifest = {
            "kind": _KIND,
            "version": _VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_dir": str(data_dir.resolve()),
            "inputs": done.inputs,
            "settings": settings.to_dict(),
            "skip_malformed": skip_malformed,
            "fingerprint": report["fingerprint"],
            "report": report,
        }
        writer.json(_MANIFEST, manifest)
        writer.commit()
    except OSError as exc:
        writer.abort()
        raise DataError(f"cannot write the prepared tables: {exc}", file=str(out_dir)) from None
    except BaseException:
        writer.abort()
        raise
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
    if is_prepared(path):
        manifest = json.loads((path / _MANIFEST).read_text())
        report = manifest["report"]
        kind = "prepared"
    else:
        paths = _input_paths(path)
        done = _process(paths, PrepareSettings(), skip_malformed=True, progress=None)
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


# -- reading back ---------------------------------------------------------------------------------
class Prepared:
    """A prepared dataset read back from its folder (see :func:`load_prepared`).

    Attributes
    ----------
    folder : pathlib.Path
    train, val, test : pandas.DataFrame
        ``user_id, track_id, score``.
    tracks, users, artists : pandas.DataFrame
        Catalogue tables; ``tracks`` has ``artist_name`` and ``genres``.
    manifest : dict
    events, rejected : pandas.DataFrame
        Read on first use (they are the large tables).
    """

    def __init__(self, folder: Path, manifest: dict, tables: dict[str, pd.DataFrame]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.train = tables["train"]
        self.val = tables["val"]
        self.test = tables["test"]
        self.tracks = tables["tracks"]
        self.users = tables["users"]
        self.artists = tables["artists"]

    def __repr__(self) -> str:
        return f"Prepared({str(self.folder)!r}, fingerprint={self.fingerprint!r})"

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the input files and settings."""
        return str(self.manifest.get("fingerprint", ""))

    @property
    def report(self) -> dict:
        """The prepare report (as ``prepare --json`` printed it)."""
        return dict(self.manifest.get("report", {}))

    @cached_property
    def events(self) -> pd.DataFrame:
        """Cleaned events: ``session_id, timestamp, user_id, track_id, event_type, split, line``."""
        return _read_parquet(self.folder / "events.parquet")

    @cached_property
    def rejected(self) -> pd.DataFrame:
        """Rejected rows with ``line`` and ``reason`` (and ``field``, ``detail``, ``text``)."""
        return _read_parquet(self.folder / "rejected.parquet")

    @cached_property
    def track_ids(self) -> np.ndarray:
        """Sorted catalogue track ids: the columns of every :meth:`matrix`."""
        return np.sort(self.tracks["id"].astype(object).to_numpy())

    def split(self, name: str) -> pd.DataFrame:
        """The ``train``, ``val`` or ``test`` table."""
        if name not in SPLIT_NAMES:
            raise ConfigError(f"unknown split {name!r}; choose one of {', '.join(SPLIT_NAMES)}")
        return getattr(self, name)

    def matrix(
        self, split: str = "train", *, like: Interactions | None = None, keep_zeros: bool = False
    ) -> Interactions:
        """A split as a users x tracks matrix over the whole catalogue.

        Parameters
        ----------
        split : {"train", "val", "test"}
        like : Interactions, optional
            Lay the split on these rows and columns (its users and tracks); pairs of other users are
            dropped. Without it the rows are the split's own users, sorted.
        keep_zeros : bool, default False
            Keep zero-score pairs (skip-only) as explicit zeros. By default they are left out, so a
            stored entry always means a positive interaction.

        Returns
        -------
        Interactions
        """
        frame = self.split(split)
        if not keep_zeros:
            frame = frame[frame["score"] != 0]
        if like is not None:
            return like.align(frame)
        users = np.sort(frame["user_id"].unique())
        return Interactions.from_frame(frame, user_ids=users, item_ids=self.track_ids)

    def history(self, *, keep_zeros: bool = False) -> Interactions:
        """All splits together (scores summed) for every user of the dataset, over the catalogue."""
        frame = pd.concat([self.train, self.val, self.test], ignore_index=True)
        if not keep_zeros:
            frame = frame[frame["score"] != 0]
        return Interactions.from_frame(frame, user_ids=self.all_user_ids, item_ids=self.track_ids)

    @cached_property
    def all_user_ids(self) -> np.ndarray:
        """Sorted ids of ``users.jsonl`` together with every user that has events."""
        ids = pd.concat(
            [self.train["user_id"], self.val["user_id"], self.test["user_id"]], ignore_index=True
        ).unique()
        if "user_id" in self.users.columns:
            listed = self.users["user_id"].dropna().unique()
            try:
                return np.union1d(np.asarray(listed), np.asarray(ids))
            except TypeError:  # ids typed differently in users.jsonl and sessions.jsonl
                pass
        return np.sort(np.asarray(ids))

    def resolve_users(self, raw: Sequence[str | int]) -> list:
        """Turn user ids typed by a person (strings) into the data's ids (ints stay ints).

        Raises
        ------
        UnknownUserError
            For the first id that is not a user of the dataset.
        """
        known = self.all_user_ids
        numeric = known.dtype.kind in "iu"
        lookup = set(known.tolist())
        out: list = []
        for value in raw:
            candidate: Any = value
            if numeric:
                try:
                    candidate = int(str(value).strip())
                except ValueError:
                    candidate = None
            else:
                candidate = str(value).strip()
            if candidate is None or candidate not in lookup:
                raise UnknownUserError(
                    f"unknown user id {value!r} (the dataset has {len(known)} users, e.g. "
                    f"{', '.join(map(str, known[:3].tolist()))})"
                )
            out.append(candidate)
        return out


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise DataError(
            "prepared table is missing; run `python -m recsys prepare` again", file=str(path)
        ) from None
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read prepared table: {exc}", file=str(path)) from None


def load_prepared(folder: str | os.PathLike) -> Prepared:
    """Read a folder written by :func:`prepare`.

    Parameters
    ----------
    folder : path-like

    Returns
    -------
    Prepared

    Raises
    ------
    DataError
        The folder is missing, has no manifest, or a table is missing or unreadable.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("prepared data folder not found", file=str(folder))
    manifest_path = folder / _MANIFEST
    if not manifest_path.is_file():
        raise DataError(
            "not a prepared data folder (no manifest.json); run `python -m recsys prepare --data ...`",
            file=str(folder),
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as exc:
        raise DataError(f"manifest is not valid JSON ({exc})", file=str(manifest_path)) from None
    if manifest.get("kind") != _KIND:
        raise DataError("manifest was not written by `recsys prepare`", file=str(manifest_path))
    tables = {
        name: _read_parquet(folder / f"{name}.parquet")
        for name in ("train", "val", "test", "tracks", "users", "artists")
    }
    return Prepared(folder, manifest, tables)


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
        Output folder when preparing (see :func:`prepare`).
    **options
        Passed to :func:`prepare` (``settings``, ``skip_malformed``, ``force``, ``progress``).

    Returns
    -------
    Prepared
    """
    path = Path(data_dir_or_prepared)
    if is_prepared(path):
        return load_prepared(path)
    report = prepare(path, out, **options)
    return load_prepared(report["out"])
