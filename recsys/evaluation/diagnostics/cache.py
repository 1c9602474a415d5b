"""The diagnosis stored beside the prepared tables, reused while the data is unchanged.

Layout of ``<prepared folder>/diagnostics/``: ``diagnosis.json`` holds ``key`` (the data's fingerprint,
the seed and ``n_boot``), ``diagnosis`` (:meth:`Diagnosis.to_dict`) and ``tables`` (per check name, chart
table name -> Parquet file name); one Parquet file per chart table sits beside it. The folder is written
whole and swapped in at once (:mod:`recsys.fileio`), so a reader never sees half of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from recsys.evaluation.diagnostics.check import Check, Diagnosis
from recsys.evaluation.diagnostics.verdict import diagnose
from recsys.fileio import staging_dir, swap_dir

if TYPE_CHECKING:
    from recsys.data.prepared import Prepared

__all__ = ["diagnose_cached"]

_CACHE_DIR = "diagnostics"
_CACHE_FILE = "diagnosis.json"


def diagnose_cached(prepared: Prepared, *, seed: int = 0, n_boot: int = 300) -> Diagnosis:
    """:func:`~recsys.evaluation.diagnostics.diagnose`, stored beside the prepared tables and reused.

    The diagnosis takes seconds (bootstraps over every user and track); a fresh dashboard server or a
    second CLI call should not pay for it again. The result lives in ``<prepared folder>/diagnostics/``
    (``diagnosis.json`` plus one Parquet file per chart table) keyed by the data's fingerprint, the
    seed and ``n_boot``. A folder that cannot be written (a read-only release) is simply not cached.

    Parameters
    ----------
    prepared : Prepared
        A prepared dataset (needs ``folder`` and ``fingerprint``; without them nothing is cached).
    seed, n_boot : int
        As for :func:`~recsys.evaluation.diagnostics.diagnose`.

    Returns
    -------
    Diagnosis
        Equal to ``diagnose(prepared, seed=seed, n_boot=n_boot)``.
    """
    # getattr: diagnose also takes duck-typed datasets (tests, notebooks) that have no folder
    key = {"fingerprint": getattr(prepared, "fingerprint", None), "seed": seed, "n_boot": n_boot}
    folder = getattr(prepared, "folder", None)
    if folder is None or key["fingerprint"] is None:
        return diagnose(prepared, seed=seed, n_boot=n_boot)
    target = Path(folder) / _CACHE_DIR
    stored = _read_cached(target, key)
    if stored is not None:
        return stored
    diagnosis = diagnose(prepared, seed=seed, n_boot=n_boot)
    try:
        _write_cached(diagnosis, key, Path(folder), target)
    except OSError:
        pass  # a read-only folder: the diagnosis is still right, only not kept
    return diagnosis


def _write_cached(diagnosis: Diagnosis, key: dict[str, Any], folder: Path, target: Path) -> None:
    """Write the cache folder whole in a staging folder, then swap it in place of ``target``."""
    with staging_dir(folder, _CACHE_DIR) as staged:
        tables: dict[str, dict[str, str]] = {}
        for i, check in enumerate(diagnosis.reasons):
            tables[check.name] = {}
            for j, (name, table) in enumerate(check.tables.items()):
                file = f"{i}-{j}.parquet"
                table.to_parquet(staged / file)
                tables[check.name][name] = file
        payload = {"key": key, "diagnosis": diagnosis.to_dict(), "tables": tables}
        (staged / _CACHE_FILE).write_text(json.dumps(payload))
        swap_dir(staged, target)


def _read_cached(target: Path, key: dict[str, Any]) -> Diagnosis | None:
    """The diagnosis stored in ``target`` for ``key``; None when missing, stale or unreadable."""
    meta = target / _CACHE_FILE
    if not meta.is_file():
        return None
    try:
        payload = json.loads(meta.read_text())
    except (OSError, ValueError):
        return None
    if payload.get("key") != key:
        return None
    stored = payload["diagnosis"]
    checks = []
    for item in stored["reasons"]:
        files = payload["tables"].get(item["name"], {})
        try:
            tables = {name: pd.read_parquet(target / file) for name, file in files.items()}
        except (OSError, ValueError):
            return None
        fields = dict(item)
        fields["ci"] = tuple(fields["ci"])
        fields["effect_ci"] = tuple(fields["effect_ci"])
        checks.append(Check(**fields, tables=tables))
    return Diagnosis(verdict=stored["verdict"], reasons=checks, figures=stored["figures"])
