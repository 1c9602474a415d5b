"""Fault test: ``prepare`` and ``train`` killed with SIGKILL at several points. The old prepared data and
the old model stay intact (byte for byte), and the next run recovers and removes what the killed one left.

The kill points are found by watching the file system, not by hooks in the library: the writer's lock file
appearing (the run has started), its staging folder or temporary file appearing (it is writing), and a
fixed delay into the fit. Real processes, real signals (``python -m recsys ...``).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from recsys.data.prepared import load_prepared
from recsys.models import load_model

pytestmark = pytest.mark.realdata

ROOT = Path(__file__).resolve().parents[2]


def _recsys(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "recsys", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 120.0) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()``; False when it ended first (the point was not reached)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            return True
        if proc.poll() is not None:
            proc.communicate()
            return False
        time.sleep(0.001)
    proc.kill()
    raise AssertionError("the kill point was not reached in time")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _after(delay: float) -> Callable[[], bool]:
    start = time.monotonic()
    return lambda: time.monotonic() - start >= delay


@pytest.fixture(scope="module")
def release(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("faults") / "clean"
    shutil.copytree(real_data / "clean", folder)
    return folder


def test_prepare_killed_at_several_points(release: Path, tmp_path: Path) -> None:
    out = tmp_path / "prepared"
    # Each run writes the settings the folder does not hold yet, so a new output is told from the old.
    settings = [("--split", "chrono"), ("--split", "random", "--seed", "7")]
    assert _recsys("prepare", "--data", str(release), "--out", str(out), *settings[0]).wait(timeout=120) == 0
    points = {
        "started": lambda: (tmp_path / ".prepared.lock").exists(),
        "writing": lambda: any(p.name.startswith(".prepared.prepare-") for p in tmp_path.iterdir()),
        "after 0.5 s": None,
    }
    caught = []
    for turn, (name, ready) in enumerate(points.items()):
        old, held, wanted = _snapshot(out), settings[turn % 2], settings[(turn + 1) % 2]
        proc = _recsys("prepare", "--data", str(release), "--out", str(out), *wanted)
        killed = _kill_when(proc, ready if ready is not None else _after(0.5))
        if _snapshot(out) == old:
            caught.append(name) if killed else None
        else:  # killed after the swap: then it is the complete new dataset, never a mix
            prepared = load_prepared(out)
            assert prepared.manifest["settings"]["split"] == wanted[1] != held[1]
            assert len(prepared.events) == prepared.report["kept_rows"]
        # The next run recovers: it takes the lock a dead process left, removes the leftovers, and works.
        again = _recsys("prepare", "--data", str(release), "--out", str(out), *wanted, "--json")
        stdout, stderr = again.communicate(timeout=120)
        assert again.returncode == 0, stderr
        assert json.loads(stdout)["settings"]["split"] == wanted[1]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["prepared"]
    assert {"started", "writing"} <= set(caught), caught  # the old data survived those kills untouched


def test_train_killed_at_several_points(release: Path, tmp_path: Path) -> None:
    data = tmp_path / "prepared"
    assert _recsys("prepare", "--data", str(release), "--out", str(data)).wait(timeout=120) == 0
    models = tmp_path / "models"
    out = models / "wmf.pt"
    old_run = _recsys("train", "--data", str(data), "--model", "wmf", "--epochs", "2", "--embedding-dim", "8",
                      "--out", str(out))
    assert old_run.wait(timeout=300) == 0
    old = out.read_bytes()
    # A bigger model, so that writing it (about 23 MB of factors) takes long enough to be caught.
    new = ("--model", "wmf", "--epochs", "3", "--embedding-dim", "256", "--out", str(out))
    locked_at: list[float] = []

    def fitting() -> bool:  # 1.5 s after the run took the model file's lock: inside the fit
        if not locked_at and (models / ".wmf.pt.lock").exists():
            locked_at.append(time.monotonic())
        return bool(locked_at) and time.monotonic() - locked_at[0] >= 1.5

    points = {
        "started": lambda: (models / ".wmf.pt.lock").exists(),
        "fitting": fitting,
        "saving": lambda: any(p.name.endswith(".tmp") for p in models.iterdir()),
    }
    leftovers = {}
    for name, ready in points.items():
        killed = _kill_when(_recsys("train", "--data", str(data), *new), ready, timeout=300)
        if out.read_bytes() != old:  # killed after the rename: the complete new model, never a torn one
            assert load_model(out).config.embedding_dim == 256
            old = out.read_bytes()
        else:
            assert load_model(out).config.embedding_dim == 8
        leftovers[name] = (killed, sorted(p.name for p in models.iterdir() if p.name != "wmf.pt"))
    saving_killed, saving_left = leftovers["saving"]
    assert saving_killed and any(n.endswith(".tmp") for n in saving_left), leftovers  # the temp file stays...
    again = _recsys("train", "--data", str(data), *new, "--json")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert json.loads(stdout)["model"] == str(out)
    assert sorted(p.name for p in models.iterdir()) == ["wmf.pt"]  # ...until the next run removes it
    assert load_model(out).config.embedding_dim == 256
