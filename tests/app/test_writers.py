"""Uploads and trainings as writers among others, with two real processes: one dataset name and one model
file at a time; the second stops with a clear message and nothing of the first is lost or mixed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.app import datasets, training
from recsys.data.interactions import Interactions
from recsys.data.prepare import prepare
from recsys.errors import BusyError, ConfigError, DataError, ModelError
from recsys.models import create_model, load_model
from tests.data.malformed_cases import build_base

ROOT = Path(__file__).resolve().parents[2]

# A test-side uploader: it prepares for real, but says when it holds the name and waits for a go file.
_UPLOADER = """
import json, sys, time
from pathlib import Path
from recsys.app.datasets import save_uploaded_dataset
from recsys.data.prepare import prepare
from recsys.errors import RecsysError
source, root, name, go = sys.argv[1:5]

def slow_prepare(data, out, progress=None):
    print("preparing", flush=True)
    while go != "-" and not Path(go).exists():
        time.sleep(0.02)
    return prepare(data, out, progress=progress)

files = {p.name: open(p, "rb") for p in Path(source).iterdir()}
try:
    info = save_uploaded_dataset(files, root, name, prepare_fn=slow_prepare)
    print(json.dumps({"ok": True, "fingerprint": info.fingerprint}), flush=True)
except RecsysError as exc:
    print(json.dumps({"ok": False, "type": type(exc).__name__, "error": str(exc)}), flush=True)
"""


@pytest.fixture(scope="module")
def release(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_base(real_data / "clean", tmp_path_factory.mktemp("writers") / "release")


def _upload(source: Path, root: Path, name: str, go: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _UPLOADER, str(source), str(root), name, go],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )


@pytest.mark.realdata
def test_two_uploads_of_one_name_the_second_stops_and_nothing_is_deleted(
    release: Path, tmp_path: Path
) -> None:
    root, go = tmp_path / "root", tmp_path / "go"
    first = _upload(release, root, "same", str(go))
    assert first.stdout is not None and first.stdout.readline().strip() == "preparing"  # holds the name
    second = _upload(release, root, "same", "-")
    out, _ = second.communicate(timeout=120)
    refused = json.loads(out)
    assert refused["ok"] is False and refused["type"] == "BusyError"
    assert f"{root / 'same'} is being written by another process (pid {first.pid})" in refused["error"]
    go.touch()
    done = json.loads(first.communicate(timeout=120)[0].strip().splitlines()[-1])
    assert done["ok"] is True and done["fingerprint"]
    # The first upload is complete and prepared; the refused one removed nothing of it.
    assert sorted(p.name for p in (root / "same").iterdir()) == sorted(p.name for p in release.iterdir())
    assert (root / "processed" / "same" / "manifest.json").is_file()
    assert sorted(p.name for p in root.iterdir()) == ["processed", "same"]
    # A later upload of the name is told it exists, and changes nothing.
    again = _upload(release, root, "same", "-")
    later = json.loads(again.communicate(timeout=120)[0])
    assert later["type"] == "ConfigError" and "already exists" in later["error"]
    assert sorted(p.name for p in root.iterdir()) == ["processed", "same"]


def test_uploads_are_streamed_and_bounded_in_total(tmp_path: Path) -> None:
    files = {name: b'{"x": 1}\n' * 100 for name in ("sessions.jsonl", "tracks.jsonl", "users.jsonl")}

    class Stream:
        """A file object that refuses to be read whole (as a streamed upload must never be)."""

        def __init__(self, data: bytes) -> None:
            self.data, self.pos, self.size = data, 0, len(data)

        def read(self, n: int = -1) -> bytes:
            assert 0 < n <= 8 << 20, "read in bounded chunks"
            chunk = self.data[self.pos : self.pos + n]
            self.pos += len(chunk)
            return chunk

        def seek(self, pos: int, whence: int = 0) -> int:
            self.pos = pos
            return pos

    seen: list[bytes] = []

    def fake_prepare(data_dir: Path, out: Path, progress=None) -> dict:
        seen.append((Path(data_dir) / "artists.jsonl").read_bytes())
        Path(out).mkdir()
        (Path(out) / "manifest.json").write_text(json.dumps({"kind": "recsys-prepared", "fingerprint": "f"}))
        return {}

    upload = {**files, "artists.jsonl": Stream(b'{"id": "a"}\n' * 50)}
    datasets.save_uploaded_dataset(upload, tmp_path, "streamed", prepare_fn=fake_prepare)
    assert seen == [b'{"id": "a"}\n' * 50]
    with pytest.raises(DataError, match="over the upload's total 0 MiB limit"):
        datasets.save_uploaded_dataset(files | {"artists.jsonl": b"{}\n"}, tmp_path, "big",
                                       max_total_bytes=2000, prepare_fn=fake_prepare)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed", "streamed"]


@pytest.mark.realdata
def test_an_upload_error_names_the_uploaded_file_not_the_staging_folder(
    release: Path, tmp_path: Path
) -> None:
    files = {p.name: p.read_bytes() for p in release.iterdir()}
    files["users.jsonl"] += b'{"user_id": 151, "favourite_genres": "rock"}\n'
    with pytest.raises(DataError) as info:
        datasets.save_uploaded_dataset(files, tmp_path, "bad")
    assert str(info.value).startswith("users.jsonl, line 51, field 'favourite_genres': ")
    assert list(tmp_path.iterdir()) == []


# -- training ----------------------------------------------------------------------------------------
_TRAINER = """
import sys, time
from pathlib import Path
from recsys.app.training import train_and_save
from recsys.data.prepared import load_prepared
from recsys.models import create_model
data, out, go = sys.argv[1:4]

def wait_once(epoch, metrics):
    if epoch == 1:
        print("training", flush=True)
        while not Path(go).exists():
            time.sleep(0.02)

report = train_and_save(create_model("wmf", epochs=3, embedding_dim=8), load_prepared(data), out,
                        callback=wait_once)
print("saved", report["model"], flush=True)
"""


@pytest.mark.realdata
def test_two_trainings_of_one_model_file_the_second_stops(release: Path, tmp_path: Path) -> None:
    data = tmp_path / "prepared"
    prepare(release, data)
    out, go = tmp_path / "models" / "wmf.pt", tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", _TRAINER, str(data), str(out), str(go)],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None and first.stdout.readline().strip() == "training"
    second = subprocess.run(
        [sys.executable, "-m", "recsys", "train", "--data", str(data), "--model", "basic", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert second.returncode == 2 and "Traceback" not in second.stderr
    assert f"{out} is being written by another process (pid {first.pid})" in second.stderr
    assert not out.exists()  # the refused training wrote nothing
    go.touch()
    assert first.communicate(timeout=120)[0].strip() == f"saved {out}"
    assert load_model(out).kind == "wmf"  # the first one's model, complete
    assert sorted(p.name for p in out.parent.iterdir()) == ["wmf.pt"]


def test_training_removes_a_killed_trainings_temp_file(tmp_path: Path) -> None:
    pairs = pd.DataFrame({"user_id": [1, 1, 2, 3], "track_id": ["a", "b", "b", "c"], "score": [1.0] * 4})
    train = Interactions.from_frame(pairs, item_ids=np.array(["a", "b", "c"], dtype=object))
    out = tmp_path / "basic.pt"
    left = tmp_path / ".basic.pt.q7w8e9r0.tmp"
    left.write_bytes(b"\0" * 4096)  # what a SIGKILL during torch.save leaves
    os.utime(left, (time.time() - 600, time.time() - 600))
    training.fit_and_save(create_model("basic"), train, None, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["basic.pt"]


def test_a_model_file_being_trained_cannot_be_saved_over(tmp_path: Path) -> None:
    pairs = pd.DataFrame({"user_id": [1, 2], "track_id": ["a", "b"], "score": [1.0, 1.0]})
    items = np.array(["a", "b"], dtype=object)
    model = create_model("basic").fit(Interactions.from_frame(pairs, item_ids=items))
    out = tmp_path / "m.pt"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom recsys.fileio import file_lock\n"
         "with file_lock(sys.argv[1]):\n    print('in', flush=True); time.sleep(60)", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "in"
        with pytest.raises(BusyError, match=f"pid {holder.pid}"):
            training.fit_and_save(create_model("basic"), model.train, None, out)
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    with pytest.raises(ConfigError, match=r"must end in \.pt"):
        training.fit_and_save(create_model("basic"), model.train, None, tmp_path / "m.bin")


def test_an_unwritable_place_is_a_clear_error_for_training_and_uploads(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    pairs = pd.DataFrame({"user_id": [1, 2], "track_id": ["a", "b"], "score": [1.0, 1.0]})
    train = Interactions.from_frame(pairs, item_ids=np.array(["a", "b"], dtype=object))
    with pytest.raises(ModelError, match=f"cannot write model file {blocker / 'm.pt'}"):
        training.fit_and_save(create_model("basic"), train, None, blocker / "m.pt")
    names = ("sessions.jsonl", "tracks.jsonl", "users.jsonl", "artists.jsonl")
    files = {name: b'{"x": 1}\n' for name in names}
    with pytest.raises(DataError, match="cannot save the upload"):
        datasets.save_uploaded_dataset(files, blocker, "x")
