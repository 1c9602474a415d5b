"""Dataset folders: listing, status, names, and the all-or-nothing upload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recsys.app import datasets as ds
from recsys.app import workspace
from recsys.data.prepared import PREPARED_KIND
from recsys.errors import ConfigError, DataError

FILES = {name: b'{"x": 1}\n' for name in workspace.REQUIRED_FILES}


def _fake_prepare(data_dir: Path, out: Path, progress=None) -> dict:
    """Stands in for the pipeline: records the input it saw and writes a manifest."""
    out = Path(out)
    out.mkdir(parents=True)
    names = sorted(p.name for p in Path(data_dir).iterdir())
    manifest = {"kind": PREPARED_KIND, "fingerprint": "abc123", "files": names}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return {"kept_rows": 1}


def _failing_prepare(data_dir: Path, out: Path, progress=None) -> dict:
    Path(out).mkdir(parents=True)
    (Path(out) / "train.parquet").write_bytes(b"half")
    raise DataError("timestamp is not a time", file="sessions.jsonl", line=3, field="timestamp")


def test_list_datasets_status(tmp_path: Path) -> None:
    (tmp_path / "complete").mkdir()
    for name in workspace.REQUIRED_FILES:
        (tmp_path / "complete" / name).write_text("{}\n")
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "sessions.jsonl").write_text("{}\n")
    (tmp_path / "unrelated").mkdir()
    (tmp_path / ".upload-x-1234").mkdir()
    (tmp_path / ".upload-x-1234" / "sessions.jsonl").write_text("{}\n")
    prepared = tmp_path / "processed" / "complete"
    prepared.mkdir(parents=True)
    (prepared / "manifest.json").write_text(json.dumps({"kind": PREPARED_KIND, "fingerprint": "f00d"}))

    found = workspace.list_datasets(tmp_path)
    assert [d.name for d in found] == ["complete", "partial"]
    complete, partial = found
    assert complete.status == "prepared" and complete.fingerprint == "f00d"
    assert complete.size_bytes == 3 * len(workspace.REQUIRED_FILES)
    assert partial.status == "incomplete"
    assert partial.missing == ("tracks.jsonl", "users.jsonl", "artists.jsonl")
    assert workspace.list_datasets(tmp_path / "nope") == []


def test_raw_dataset_is_not_prepared(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    for name in workspace.REQUIRED_FILES:
        (tmp_path / "raw" / name).write_text("{}\n")
    info = workspace.dataset_info(tmp_path / "raw")
    assert info.status == "raw" and info.fingerprint is None
    assert info.prepared_path == tmp_path / "processed" / "raw"


@pytest.mark.parametrize("name", ["", "processed", "../evil", "a/b", ".hidden", "x" * 65, "sp ace"])
def test_bad_dataset_names(name: str) -> None:
    with pytest.raises(ConfigError, match="not allowed"):
        workspace.check_name(name, "dataset")


def test_good_dataset_name_is_stripped() -> None:
    assert workspace.check_name("  release-2024.05_b ", "dataset") == "release-2024.05_b"


def test_upload_saves_and_prepares(tmp_path: Path) -> None:
    files = {**FILES, "track_storage.jsonl": b'{"track_id": "t"}\n'}
    info = ds.save_uploaded_dataset(files, tmp_path, "mine", prepare_fn=_fake_prepare)
    assert info.status == "prepared" and info.fingerprint == "abc123"
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == sorted(files)
    manifest = json.loads((tmp_path / "processed" / "mine" / "manifest.json").read_text())
    assert manifest["files"] == sorted(files)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_rejected_upload_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"sessions.jsonl, line 3, field 'timestamp'"):
        ds.save_uploaded_dataset(FILES, tmp_path, "bad", prepare_fn=_failing_prepare)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({k: v for k, v in FILES.items() if k != "users.jsonl"}, "users.jsonl: required file missing"),
        ({**FILES, "notes.txt": b"hi"}, "notes.txt: unexpected file"),
        ({**FILES, "tracks.jsonl": b"  \n"}, "tracks.jsonl: file is empty"),
        ({**FILES, "sessions.jsonl": b"x" * 2048}, "sessions.jsonl: file is 0.0 MiB, over the 0 MiB limit"),
    ],
)
def test_upload_checks_files_before_writing(tmp_path: Path, files: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        ds.save_uploaded_dataset(files, tmp_path, "x", max_bytes=1024, prepare_fn=_fake_prepare)
    assert list(tmp_path.iterdir()) == []


def test_upload_refuses_an_existing_name(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(ConfigError, match="already exists"):
        ds.save_uploaded_dataset(FILES, tmp_path, "taken", prepare_fn=_fake_prepare)


def test_upload_through_the_real_pipeline(tmp_path: Path) -> None:
    """A generated dataset goes through; the same files with a broken line are rejected cleanly."""
    from recsys.data.demo import generate_dataset
    from recsys.data.prepare import ensure_prepared

    source = tmp_path / "source"
    generate_dataset(source, users=20, tracks=60, seed=1)
    files = {p.name: p.read_bytes() for p in source.iterdir() if p.suffix == ".jsonl"}
    root = tmp_path / "root"
    info = ds.save_uploaded_dataset(files, root, "good")
    assert info.status == "prepared"
    # the renamed prepared folder is the one the pipeline would use, and it is not reprocessed
    prepared = ensure_prepared(root / "good", out=root / "processed" / "good")
    assert prepared.fingerprint == info.fingerprint or info.fingerprint is None

    broken = dict(files)
    broken["sessions.jsonl"] = files["sessions.jsonl"] + b"{not json\n"
    with pytest.raises(DataError, match=r"sessions\.jsonl"):
        ds.save_uploaded_dataset(broken, root, "bad")
    assert sorted(p.name for p in root.iterdir()) == ["good", "processed"]
    assert sorted(p.name for p in (root / "processed").iterdir()) == ["good"]
