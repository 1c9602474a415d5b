"""The malformed-input matrix: every variant of the real clean release ends in exit 2 naming file, line and
field (or, with ``--skip-malformed``, a row kept aside with its reason), never a traceback, and writes
nothing. Variants users expect to work (CRLF, a byte-order mark, symlinks...) give the original's result.

The variants are built in ``malformed_cases.py`` from ``../shared/data/pozytywka-23z-50u/clean`` (cut to
3,000 events so the whole matrix runs in seconds); ``prepare`` runs in-process through the CLI's ``main``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from recsys.cli import main
from tests.data.malformed_cases import BAD, LAST, SKIPPED, TOLERATED, Bad, Skipped, Tolerated, build_base

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def base(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_base(real_data / "clean", tmp_path_factory.mktemp("malformed") / "base")


@pytest.fixture(scope="module")
def base_report(base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("base_out") / "prepared"
    assert main(["prepare", "--data", str(base), "--out", str(out), "--json"]) == 0
    return json.loads((out / "manifest.json").read_text())["report"]


def _variant(base: Path, tmp_path: Path, mutate) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(base, folder)
    mutate(folder)
    return folder


def _prepare(
    capsys: pytest.CaptureFixture[str], folder: Path, out: Path, *extra: str
) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["prepare", "--data", str(folder), "--out", str(out), "--json", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _line_count(path: Path) -> int:
    return len(path.read_bytes().splitlines())


def test_the_matrix_is_large_enough() -> None:
    assert len(BAD) >= 60 and len({case.id for case in BAD}) == len(BAD)
    assert len(SKIPPED) >= 10 and len(TOLERATED) >= 6


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_malformed_input_is_exit_2_naming_file_line_field(
    case: Bad, base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _variant(base, tmp_path, case.mutate)
    out = tmp_path / "out"
    before = sorted(os.listdir(tmp_path))
    code, stdout, err = _prepare(capsys, folder, out)
    assert code == 2, err
    assert "Traceback" not in err and stdout == ""
    assert err.startswith(f"error: {folder / case.file}") and err.count("\n") == 1, err
    line = _line_count(folder / case.file) if case.line == LAST else case.line
    if line is not None:
        assert f"{case.file}, line {line}" in err, err
    if case.field is not None:
        assert f"field '{case.field}'" in err, err
    assert re.search(case.pattern, err), err
    # nothing written: no output folder, no lock, staging folder or temporary file beside it
    assert not out.exists() and sorted(os.listdir(tmp_path)) == before


def test_malformed_input_leaves_an_existing_output_as_it_was(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, _ = _prepare(capsys, base, out)
    assert code == 0
    snapshot = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = _variant(base, tmp_path, BAD[[c.id for c in BAD].index("timestamp-minus-1e15")].mutate)
    code, _, err = _prepare(capsys, broken, out, "--force")
    assert code == 2 and "line 17, field 'timestamp'" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]


@pytest.mark.parametrize("case", SKIPPED, ids=[c.id for c in SKIPPED])
def test_skip_malformed_keeps_the_bad_rows_aside_with_reason(
    case: Skipped, base: Path, base_report: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _variant(base, tmp_path, case.mutate)
    out = tmp_path / "out"
    code, stdout, err = _prepare(capsys, folder, out, "--skip-malformed")
    assert code == 0 and "Traceback" not in err, err
    report = json.loads(stdout)
    lines = [_line_count(folder / case.file) if n == LAST else n for n in case.lines]
    assert report["input_rows"] == report["kept_rows"] + sum(report["rejected"].values())
    if case.file == "sessions.jsonl":
        rejected = pd.read_parquet(out / "rejected.parquet")
        bad = rejected[rejected["reason"] == "malformed"]
        assert bad["line"].tolist() == lines
        assert all(re.search(case.pattern, d) for d in bad["detail"][:1]), bad["detail"].tolist()
        assert report["rejected"]["malformed"] == len(lines)
    else:
        flagged = pd.read_parquet(out / "flagged.parquet")
        bad = flagged[(flagged["file"] == case.file) & (flagged["flag"] == "malformed")]
        assert bad["line"].tolist() == lines and not bad["kept"].any()
        assert re.search(case.pattern, bad["detail"].iloc[0]), bad["detail"].tolist()
        assert report["skipped_lines"][case.file] == len(lines)
        assert report["sanity"]["skipped_catalogue_lines"] == len(lines)
        assert report["kept_rows"] == base_report["kept_rows"]  # the sessions are untouched


@pytest.mark.parametrize("case", TOLERATED, ids=[c.id for c in TOLERATED])
def test_variants_users_expect_to_work_give_the_same_result(
    case: Tolerated, base: Path, base_report: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _variant(base, tmp_path, case.mutate)
    code, stdout, err = _prepare(capsys, folder, tmp_path / "out")
    assert code == 0, err
    report = json.loads(stdout)
    for key in ("input_rows", "kept_rows", "rejected", "splits", "tracks", "users", "artists"):
        assert report[key] == base_report[key], key
    assert report["sanity"]["warnings"] == []


def test_base_is_the_clean_release_cut(base: Path, base_report: dict) -> None:
    assert _line_count(base / "sessions.jsonl") == 3000 and base_report["input_rows"] == 3000
    assert base_report["users"] == 50 and base_report["rejected"]["malformed"] == 0
    assert base_report["sanity"]["duplicate_users"] == 0
    assert base_report["sanity"]["events_of_unknown_users"] == 0
    assert base_report["sanity"]["implausible_timestamps"] == 0
