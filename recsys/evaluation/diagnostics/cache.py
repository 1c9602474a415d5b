"""The diagnosis stored beside the prepared tables, reused while the data is unchanged.

Layout of ``<prepared folder>/diagnostics/``: ``diagnosis.json`` holds ``key`` (the data's fingerprint,
the seed and ``n_boot``), ``diagnosis`` (:meth:`Diagnosis.to_dict`) and ``tables`` (per check name, chart
table name -> Parquet file name); one Parquet file per chart table sits beside it. The folder is written
whole and swapped in at once (:mod:`recsys.fileio`), so a reader never sees half of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from recsys.evaluation.diagnostics.check import Check, Diagnosis
from recsys.evaluation.diagnostics.verdict import diagnose
from recsys.fileio import kept_folder

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
    return kept_folder(
        Path(folder) / _CACHE_DIR, key, lambda: diagnose(prepared, seed=seed, n_boot=n_boot), _read, _write,
        meta=_CACHE_FILE,
    )


def _write(diagnosis: Diagnosis, staged: Path) -> dict[str, Any]:
    """One Parquet file per chart table in ``staged``; the diagnosis and the table index for the meta file."""
    tables: dict[str, dict[str, str]] = {}
    for i, check in enumerate(diagnosis.reasons):
        tables[check.name] = {}
        for j, (name, table) in enumerate(check.tables.items()):
            file = f"{i}-{j}.parquet"
            table.to_parquet(staged / file)
            tables[check.name][name] = file
    return {"diagnosis": diagnosis.to_dict(), "tables": tables}


def _read(target: Path, payload: dict[str, Any]) -> Diagnosis:
    """The diagnosis stored in ``target``, from its meta file's ``payload``."""
    stored = payload["diagnosis"]
    checks = []
    for item in stored["reasons"]:
        files = payload["tables"].get(item["name"], {})
        tables = {name: pd.read_parquet(target / file) for name, file in files.items()}
        fields = dict(item)
        fields["ci"] = tuple(fields["ci"])
        fields["effect_ci"] = tuple(fields["effect_ci"])
        checks.append(Check(**fields, tables=tables))
    return Diagnosis(verdict=stored["verdict"], reasons=checks, figures=stored["figures"])
