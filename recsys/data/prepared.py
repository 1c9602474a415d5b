"""Reading a prepared dataset back: the one owner of the prepared folder's file names and manifest format.

A prepared folder (written by :func:`recsys.data.prepare.prepare`) holds:

- ``train.parquet``, ``val.parquet``, ``test.parquet``: ``user_id, track_id, score``;
- ``events.parquet``: the cleaned events ``session_id, timestamp, user_id, track_id, event_type,
  split, line`` (``line`` = line number in ``sessions.jsonl``);
- ``rejected.parquet``: every row not kept, with ``line`` and ``reason``;
- ``tracks.parquet`` (with ``artist_name`` and ``genres``), ``users.parquet``, ``artists.parquet``;
- ``flagged.parquet``: odd rows found by the data sanity checks, kept or dropped
  (:data:`recsys.data.sanity.FLAG_COLUMNS`: ``file, line, flag, kept, detail``);
- ``manifest.json``: ``kind`` (:data:`PREPARED_KIND`), ``version`` (:data:`FORMAT_VERSION`), the input
  files' fingerprints, the settings, the dataset ``fingerprint`` and the prepare ``report``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from recsys.data.interactions import Interactions
from recsys.data.splitting import SPLIT_NAMES
from recsys.errors import ConfigError, DataError, UnknownUserError

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "OUTPUT_FILES",
    "PREPARED_KIND",
    "Prepared",
    "is_prepared",
    "load_prepared",
    "read_manifest",
]

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
    "flagged.parquet",
)
#: The manifest's file name; it is written last, so a folder with it is complete.
MANIFEST_FILE = "manifest.json"
#: The manifest's ``kind``: what tells a prepared folder from any other folder.
PREPARED_KIND = "recsys-prepared"
#: The manifest's ``version``: a prepared folder of another version is prepared again. 2: the report has
#: a ``sanity`` section, the input fingerprints are compared by SHA-256, ``flagged.parquet`` is written.
FORMAT_VERSION = 2


def read_manifest(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The manifest of a prepared folder, or ``None`` when there is none or it is not ours."""
    path = Path(folder) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != PREPARED_KIND:
        return None
    return manifest


def is_prepared(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a prepared dataset (a manifest of :func:`recsys.data.prepare.prepare`)."""
    return read_manifest(folder) is not None


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
    def flagged(self) -> pd.DataFrame:
        """Odd rows of the input (duplicate ids, events of unknown users, implausible times...): ``file,
        line, flag, kept, detail`` (see :mod:`recsys.data.sanity`)."""
        return _read_parquet(self.folder / "flagged.parquet")

    @property
    def sanity(self) -> dict:
        """The report's data sanity section (empty for a folder prepared before it existed)."""
        return dict(self.report.get("sanity") or {})

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
        zeros = frame["score"].to_numpy() == 0
        if not keep_zeros and zeros.any():  # a filter copies every column (0.5 s at 2.8 M pairs)
            frame = frame[~zeros]
        if like is not None:
            matrix = like.align(frame)
        else:
            users = np.sort(frame["user_id"].unique())
            matrix = Interactions.from_frame(frame, user_ids=users, item_ids=self.track_ids)
        # the table on disk is this matrix (zero scores aside): Spark reads it instead of the memory copy
        return matrix if keep_zeros else replace(matrix, source=str(self.folder / f"{split}.parquet"))

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
    manifest_path = folder / MANIFEST_FILE
    if not manifest_path.is_file():
        raise DataError(
            "not a prepared data folder (no manifest.json); run `python -m recsys prepare --data ...`",
            file=str(folder),
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as exc:
        raise DataError(f"manifest is not valid JSON ({exc})", file=str(manifest_path)) from None
    if manifest.get("kind") != PREPARED_KIND:
        raise DataError("manifest was not written by `recsys prepare`", file=str(manifest_path))
    tables = {
        name: _read_parquet(folder / f"{name}.parquet")
        for name in ("train", "val", "test", "tracks", "users", "artists")
    }
    return Prepared(folder, manifest, tables)


