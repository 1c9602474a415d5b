"""The foundation's writer locks, leftover cleaning and folder swap (recsys.fileio), with real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from recsys import fileio
from recsys.errors import BusyError, RecsysError
from recsys.fileio import file_lock, lock_path, remove_stale, staging_dir, stale_paths, swap_dir

ROOT = Path(__file__).resolve().parents[1]

_HOLDER = """
import sys, time
from recsys.fileio import file_lock
with file_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(target: Path, seconds: float) -> subprocess.Popen:
    """A separate process holding ``target``'s lock for ``seconds`` (started when it says so)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(target), str(seconds)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_process_is_refused_naming_the_holder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    holder = _hold(target, 30)
    try:
        assert lock_path(target).read_text() == str(holder.pid)
        with pytest.raises(BusyError) as info, file_lock(target, timeout=0):
            pass
        assert isinstance(info.value, RecsysError)
        assert f"{target} is being written by another process (pid {holder.pid})" in str(info.value)
        waiting = pytest.raises(BusyError, match=r"still busy after waiting 0\.\d+ s")
        with waiting, file_lock(target, timeout=0.3):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_writer_gets_the_lock_when_the_holder_ends(tmp_path: Path) -> None:
    target = tmp_path / "out"
    holder = _hold(target, 1.0)
    told: list[str] = []
    start = time.monotonic()
    with file_lock(target, timeout=30, on_wait=told.append) as path:
        waited = time.monotonic() - start
        assert path == tmp_path / ".out.lock" and path.read_text() == str(os.getpid())
    holder.wait()
    assert 0.3 < waited < 30
    assert told == [f"waiting for pid {holder.pid}, which is writing {target} (up to 30 s)"]
    assert not path.exists()  # released: the lock file goes


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    target = tmp_path / "out"
    holder = _hold(target, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock_path(target).exists()  # its file stays, but the kernel dropped the flock
    with file_lock(target, timeout=0):
        assert lock_path(target).read_text() == str(os.getpid())
    assert not lock_path(target).exists()


def test_reentrant_in_a_thread_exclusive_between_threads(tmp_path: Path) -> None:
    target = tmp_path / "model.pt"
    errors: list[BaseException] = []
    with file_lock(target), file_lock(target):  # the same thread again: no self-deadlock

        def other() -> None:
            try:
                with file_lock(target, timeout=0):
                    pass
            except BusyError as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert lock_path(target).exists()  # the inner release kept the outer lock
    assert len(errors) == 1 and f"pid {os.getpid()}" in str(errors[0])
    assert not lock_path(target).exists()


def _touch(path: Path, age: float, *, folder: bool = False) -> Path:
    if folder:
        path.mkdir()
    else:
        path.write_bytes(b"x")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_remove_stale_takes_only_this_targets_old_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "wmf.pt"
    target.write_bytes(b"model")
    old_tmp = _touch(tmp_path / ".wmf.pt.k2j4_x9q.tmp", 60)
    old_staging = tmp_path / ".wmf.pt.prepare-ab12cd34"
    old_staging.mkdir()
    (old_staging / "train.parquet").write_bytes(b"half")
    os.utime(old_staging, (time.time() - 60, time.time() - 60))
    old_swap = _touch(tmp_path / ".wmf.pt.old-4242-deadbeef", 60, folder=True)
    fresh = _touch(tmp_path / ".wmf.pt.zzzzzzzz.tmp", 0)  # a live writer's, made after `before`
    other = _touch(tmp_path / ".wmf.pt.x.pt.abcdefgh.tmp", 60)  # the temp file of model "wmf.pt.x"
    lock = _touch(tmp_path / ".wmf.pt.lock", 60)
    unrelated = _touch(tmp_path / "notes.tmp", 60)
    assert stale_paths(target) == sorted([old_tmp, old_staging, old_swap, fresh])
    removed = remove_stale(target, before=time.time() - 5)
    assert sorted(removed) == sorted([old_tmp, old_staging, old_swap])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (target, fresh, other, lock, unrelated)
    )


def test_a_swap_cut_between_its_renames_is_undone(tmp_path: Path) -> None:
    # The fallback swap renames the old folder aside first; killed right then, no target is left. The
    # next lock holder puts the complete old folder back instead of deleting it.
    target = tmp_path / "prepared"
    aside = _touch(tmp_path / ".prepared.old-99-0badf00d", 60, folder=True)
    (aside / "manifest.json").write_text("{}")
    with file_lock(target):
        assert (target / "manifest.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prepared"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_swap_dir_replaces_the_folder_as_a_whole(tmp_path: Path, monkeypatch, exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(fileio, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with staging_dir(tmp_path, "out.prepare") as staged:
        assert staged.name.startswith(".out.prepare-") and staged in stale_paths(target)
        (staged / "new.txt").write_text("new")
        swap_dir(staged, target)
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_renameat2_is_used_on_linux(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    if not fileio._exchange(a, b):
        pytest.skip("this kernel or file system has no RENAME_EXCHANGE (the two-rename fallback is tested)")
    assert (b / "x").read_text() == "a" and not (a / "x").exists()


def test_kept_folder_reads_back_its_key_and_computes_otherwise(tmp_path: Path, monkeypatch) -> None:
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return f"value-{len(calls)}"

    def read(target: Path, payload: dict) -> str | None:
        text = (target / "value.txt").read_text()
        return None if text == "refuse" else text

    def write(value: str, staged: Path) -> dict:
        (staged / "value.txt").write_text(value)
        return {"length": len(value)}

    target = tmp_path / "kept"
    keep = lambda key: fileio.kept_folder(target, key, compute, read, write, meta="meta.json")  # noqa: E731
    assert keep({"k": 1}) == "value-1"
    assert json.loads((target / "meta.json").read_text()) == {"key": {"k": 1}, "length": 7}
    assert keep({"k": 1}) == "value-1" and len(calls) == 1  # read back
    assert keep({"k": 2}) == "value-2" and len(calls) == 2  # another key: computed, replaced whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]
    (target / "value.txt").write_text("refuse")
    assert keep({"k": 2}) == "value-3"  # read gave up: computed again
    (target / "meta.json").write_text("{not json")
    assert keep({"k": 2}) == "value-4"  # a damaged meta file: computed again

    def refuse(staged: Path, where: Path) -> None:
        raise PermissionError("read-only release")

    monkeypatch.setattr(fileio, "swap_dir", refuse)
    assert keep({"k": 3}) == "value-5"  # not kept, no staging folder left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]
    assert json.loads((target / "meta.json").read_text())["key"] == {"k": 2}
