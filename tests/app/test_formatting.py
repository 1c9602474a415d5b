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


def test_markdown_sensitive_names_are_escaped() -> None:
    from recsys.app.formatting import escape_markdown

    # "$...$" would be typeset as maths, "*" and "_" as emphasis
    assert escape_markdown("L$D — A$AP Rocky") == r"L\$D — A\$AP Rocky"
    assert escape_markdown("*NSYNC_") == r"\*NSYNC\_"
    assert escape_markdown(574) == "574"
    assert escape_markdown("[link](x)") == r"\[link\](x)"
    assert escape_markdown("no-such-release") == "no-such-release"  # a hyphen inside a line is text
    assert escape_markdown("1. Intro") == r"1\. Intro" and escape_markdown("# x") == r"\# x"


def test_file_names_have_no_spaces() -> None:
    from recsys.app.formatting import file_slug

    assert file_slug("per-user", "val", "all tracks") == "per-user-val-all-tracks"
    assert file_slug("playlist", "wmf", "least misery") == "playlist-wmf-least-misery"
    assert file_slug("a/b", "", "  c  ") == "a-b-c"
    assert file_slug("") == "download"


def test_numbers_intervals_and_p_values_for_people() -> None:
    from recsys.app.formatting import interval_text, number_text, p_value_text

    assert number_text(0.14321) == "0.143" and number_text(12.54) == "12.5"
    assert number_text(12345.6) == "12,346"
    assert number_text(None) == "—" and number_text(float("nan")) == "—" and number_text(0) == "0"
    assert interval_text(0.04531, 0.06112, signed=True) == "+0.045 to +0.061"
    assert interval_text(0.412, 0.4519) == "0.412 to 0.452"
    assert interval_text(float("nan"), 1.0) == "—"
    assert p_value_text(0.0001) == "p < 0.001" and p_value_text(0.0312) == "p = 0.031"


def test_time_left_is_rounded_so_it_does_not_jump() -> None:
    from recsys.app.formatting import format_duration, time_left_text

    assert time_left_text(None) == "estimating time left"
    assert time_left_text(3) == "about 5 s left" and time_left_text(38) == "about 40 s left"
    assert time_left_text(61) == time_left_text(89) == "about 1 min left"
    assert time_left_text(4 * 60 + 20) == "about 4 min left"
    assert time_left_text(3600 + 25 * 60) == "about 1 h 20 min left"
    assert time_left_text(21 * 3600 + 60) == "about 21 h left"
    assert format_duration(125) == "2 min 05 s" and format_duration(4.25) == "4.2 s"
