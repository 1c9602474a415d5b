"""The dashboard's short texts and file version tokens, as plain functions."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from recsys.app.formatting import date_range_text, days_text
from recsys.app.versions import file_version, folder_listing, prepared_version


def test_date_range_and_days_count_both_ends() -> None:
    start, end = pd.Timestamp("2024-01-03 23:59"), pd.Timestamp("2024-06-30 00:01")
    assert date_range_text(start, end) == "2024-01-03 – 2024-06-30"
    assert days_text(start, end) == "180 days"  # calendar days, both included, whatever the hours
    assert days_text(pd.Timestamp("2020-01-01"), pd.Timestamp("2023-12-31")) == "1,461 days"


def test_missing_dates_show_a_dash() -> None:
    assert date_range_text(None, pd.Timestamp("2024-01-01")) == "—"
    assert days_text(pd.Timestamp("2024-01-01"), None) == "—"


def test_versions_change_when_files_change(tmp_path: Path) -> None:
    assert file_version(tmp_path / "absent.pt") == 0
    assert folder_listing(tmp_path / "absent") == ()
    model = tmp_path / "a.pt"
    model.write_bytes(b"x")
    os.utime(model, ns=(1_000, 1_000))
    (tmp_path / "notes.txt").write_text("not a model")
    assert folder_listing(tmp_path, "*.pt") == (("a.pt", 1_000),)
    os.utime(model, ns=(2_000, 2_000))
    assert folder_listing(tmp_path, "*.pt") == (("a.pt", 2_000),)
    assert prepared_version(tmp_path) == "0"  # no manifest yet
    (tmp_path / "manifest.json").write_text("{}")
    assert prepared_version(tmp_path) != "0"
