"""prepare as a writer among others: the cache compares content, two processes never mix their outputs,
killed runs' leftovers go. The race tests run two real ``python -m recsys prepare`` processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from recsys.data.jsonl import file_fingerprint
from recsys.data.prepare import prepare
from recsys.data.prepared import load_prepared
from recsys.errors import BusyError
from recsys.fileio import file_lock, lock_path
from tests.data.malformed_cases import build_base

pytestmark = pytest.mark.realdata

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def releases(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different inputs: the clean cut (3,000 events) and the same with its last 1,000 events gone."""
    root = tmp_path_factory.mktemp("writers")
    a = build_base(real_data / "clean", root / "a")
    b = root / "b"
    shutil.copytree(a, b)
    lines = (b / "sessions.jsonl").read_bytes().splitlines(keepends=True)
    (b / "sessions.jsonl").write_bytes(b"".join(lines[:2000]))
    return a, b


def test_an_in_place_edit_with_the_same_size_and_mtime_is_not_served_stale(
    releases: tuple[Path, Path], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(releases[0], data)
    out = tmp_path / "out"
    first = prepare(data, out)
    sessions = data / "sessions.jsonl"
    st = sessions.stat()
    text = sessions.read_bytes()
    # one event's type changes from play to like (same length is kept by padding): same size, same mtime
    edited = text.replace(b'"event_type": "play"}', b'"event_type": "like"}', 1)
    assert len(edited) == len(text) and edited != text
    sessions.write_bytes(edited)
    os.utime(sessions, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert sessions.stat().st_size == st.st_size and sessions.stat().st_mtime_ns == st.st_mtime_ns
    second = prepare(data, out)
    assert second["cached"] is False
    assert second["events_by_type"]["like"] == first["events_by_type"]["like"] + 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["sessions.jsonl"]["sha256"] == file_fingerprint(sessions)["sha256"]
    # touched but unchanged: still served from the cache (content decides, not the clock)
    os.utime(sessions, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert prepare(data, out)["cached"] is True


def _start(data: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "recsys", "prepare", "--data", str(data), "--out", str(out), "--json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _first_line(proc: subprocess.Popen) -> str:
    assert proc.stderr is not None
    return proc.stderr.readline()


def test_two_processes_with_different_inputs_into_one_folder(
    releases: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = releases
    out = tmp_path / "out"
    # Both start while the folder is locked here, so both must wait; released, they run one at a time.
    waiting = f"waiting for pid {os.getpid()}, which is writing {out}"
    with file_lock(out):
        procs = [_start(a, out), _start(b, out)]
        errs = [_first_line(p) for p in procs]  # each says it waits, then keeps waiting
        assert all(waiting in e for e in errs), errs
        assert all(p.poll() is None for p in procs)
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    reports = [json.loads(stdout) for stdout, _ in results]
    assert {r["input_rows"] for r in reports} == {3000, 2000}
    # What is in place is one input's complete output: its manifest, its tables, nothing of the other.
    prepared = load_prepared(out)
    rows = prepared.report["input_rows"]
    source = a if rows == 3000 else b
    assert prepared.manifest["inputs"]["sessions.jsonl"]["sha256"] == file_fingerprint(
        source / "sessions.jsonl"
    )["sha256"]
    assert len(prepared.events) == prepared.report["kept_rows"] and prepared.events["line"].max() <= rows
    assert len(prepared.train) == prepared.report["splits"]["train"]["pairs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, staging or old folder left
    # And it is served as cached only for its own input: the other input is processed again.
    other = b if source is a else a
    assert prepare(source, out)["cached"] is True
    assert prepare(other, out)["cached"] is False


def test_a_busy_folder_is_a_clear_error_after_the_timeout(
    releases: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom recsys.fileio import file_lock\n"
         "with file_lock(sys.argv[1]):\n    print('in', flush=True); time.sleep(60)", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "in"
        with pytest.raises(BusyError, match=rf"being written by another process \(pid {holder.pid}\)"):
            prepare(releases[1], out, lock_timeout=0.5)
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_runs_staging_folder_is_removed_at_the_next_start(
    releases: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    prepare(releases[1], out)
    left = tmp_path / ".out.prepare-k1ll3d_x"
    left.mkdir()
    (left / "events.parquet").write_bytes(b"x" * 1000)
    stale_tmp = tmp_path / ".out.abcd1234.tmp"
    stale_tmp.write_bytes(b"y")
    for path in (left, stale_tmp):
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    lock_path(out).write_text("12345")  # the lock file a killed holder leaves
    report = prepare(releases[1], out)
    assert report["cached"] is True  # even a cached run cleans up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert isinstance(pd.read_parquet(out / "events.parquet"), pd.DataFrame)
