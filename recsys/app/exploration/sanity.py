"""The Data page's data sanity section: what is odd in the release, counted, explained, downloadable.

The counts come from the prepare report's ``sanity`` section and the rows from ``flagged.parquet``
(:mod:`recsys.data.sanity`); this module only shapes them into a table and a CSV for the page.
"""

from __future__ import annotations

import pandas as pd

from recsys.data.prepared import Prepared
from recsys.data.sanity import FLAG_COLUMNS
from recsys.errors import DataError

__all__ = ["SANITY_CHECKS", "prepared_flagged_csv", "sanity_table"]

#: Report key -> (label, what it means and whether the rows were kept), in the order the page lists them.
SANITY_CHECKS: dict[str, tuple[str, str]] = {
    "duplicate_users": ("Repeated users", "users.jsonl lines whose user_id was listed before: first kept"),
    "duplicate_tracks": ("Repeated tracks", "tracks.jsonl lines whose id was listed before: first kept"),
    "duplicate_artists": ("Repeated artists", "artists.jsonl lines whose id was listed before: first kept"),
    "events_of_unknown_users": ("Events of unknown users",
                                "kept events whose user is missing from users.jsonl (no name, city, genres)"),
    "implausible_timestamps": ("Implausible times", "kept events dated outside the plausible window"),
    "skipped_catalogue_lines": ("Skipped catalogue lines", "malformed catalogue lines (--skip-malformed)"),
}


def sanity_table(report: dict) -> pd.DataFrame:
    """One row per sanity check: ``check``, ``rows``, ``meaning`` (zeros included, nothing hidden).

    Parameters
    ----------
    report : dict
        A prepare report; one prepared before the sanity checks existed gives no rows.
    """
    sanity = report.get("sanity") or {}
    rows = [
        {"check": label, "rows": int(sanity.get(name, 0)), "meaning": meaning}
        for name, (label, meaning) in SANITY_CHECKS.items()
        if name in sanity
    ]
    return pd.DataFrame(rows, columns=["check", "rows", "meaning"])


def prepared_flagged_csv(prepared: Prepared) -> bytes:
    """The flagged rows (``file, line, flag, kept, detail``) of a prepared dataset as UTF-8 CSV bytes."""
    try:
        flagged = prepared.flagged
    except DataError:  # a folder prepared before flagged.parquet existed has none
        flagged = pd.DataFrame(columns=list(FLAG_COLUMNS))
    return flagged.to_csv(index=False).encode("utf-8")
