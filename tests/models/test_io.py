"""Model files: atomic writes, weights-only reads, a clear ModelError for every bad file."""

from __future__ import annotations

import ast
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from recsys import fileio
from recsys.errors import ModelError
from recsys.models import BasicModel, RandomModel, check_fingerprint, create_model, load_model
from recsys.models import io as model_io
from recsys.models.io import FORMAT, VERSION, read_model_payload, restore_state, write_model_file
from recsys.models.registry import model_from_payload, read_model_file


@pytest.fixture()
def model(train):
    return create_model("basic").fit(train)


@pytest.fixture()
def saved(model, tmp_path):
    model.fingerprint = "f" * 40
    return write_model_file(model, tmp_path / "basic.pt")


class _Evil:
    """Unpickling this would run code: the weights-only loader must refuse it."""

    def __reduce__(self):
        return (os.system, ("echo unpickled > /dev/null",))


def test_file_holds_only_plain_values_and_tensors(saved, model):
    payload = torch.load(saved, weights_only=True)
    assert payload["format"] == FORMAT and payload["version"] == VERSION == 1
    assert payload["kind"] == "basic"
    assert payload["config"] == {"popularity_weight": model.config.popularity_weight}
    assert payload["user_ids"] == model.user_ids.tolist()
    assert payload["item_ids"] == model.item_ids.tolist()
    assert set(payload["train"]) == {"indptr", "indices", "data", "shape"}
    assert payload["train"]["shape"] == [model.train.n_users, model.train.n_items]
    assert payload["history"] == model.history
    assert payload["fingerprint"] == "f" * 40
    assert payload["created"][:2] == "20"


def test_atomic_write_leaves_no_temp_files(model, tmp_path):
    path = tmp_path / "sub" / "m.pt"
    write_model_file(model, path)
    write_model_file(model, path)  # overwrite in place
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.pt"]


def test_failed_write_keeps_the_old_file_and_no_temp(model, tmp_path, monkeypatch):
    path = write_model_file(model, tmp_path / "m.pt")
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(ModelError, match="disk full"):
        write_model_file(model, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


def test_untrained_model_is_not_saved(tmp_path):
    with pytest.raises(ModelError, match="not trained"):
        BasicModel().save(tmp_path / "m.pt")


def _write_bytes(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "case, match",
    [
        ("missing", "does not exist"),
        ("folder", "is not a file"),
        ("empty", "empty or truncated"),
        ("text", "tensors and plain values"),
        ("truncated", "not a readable model file"),
        ("damaged", "not a readable model file"),
        ("zip", "not a readable model file"),
        ("plain_pickle", "tensors and plain values"),
        ("evil_torch", "tensors and plain values"),
        ("not_a_dict", "not a recsys model file"),
        ("other_format", "not a recsys model file"),
        ("version", "version 2"),
        ("kind", "unknown model kind 'svd'"),
        ("config", "no setting 'gamma'"),
        ("shape", "does not match"),
    ],
)
def test_bad_files_raise_model_error_naming_the_path(case, match, saved, tmp_path):
    good = saved.read_bytes()
    payload = torch.load(saved, weights_only=True)
    path = tmp_path / f"{case}.pt"
    if case == "folder":
        path.mkdir()
    elif case == "empty":
        _write_bytes(path, b"")
    elif case == "text":
        path.write_text("not a model\n")
    elif case == "truncated":
        _write_bytes(path, good[: len(good) // 2])
    elif case == "damaged":
        data = bytearray(good)
        data[len(data) // 3 : len(data) // 3 + 64] = b"\0" * 64
        _write_bytes(path, bytes(data))
    elif case == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("hello.txt", "hi")
    elif case == "plain_pickle":
        _write_bytes(path, pickle.dumps({"format": FORMAT}))
    elif case == "evil_torch":
        torch.save({**payload, "extra": _Evil()}, path)
    elif case == "not_a_dict":
        torch.save(torch.zeros(3), path)
    elif case == "other_format":
        torch.save({**payload, "format": "something-else"}, path)
    elif case == "version":
        torch.save({**payload, "version": 2}, path)
    elif case == "kind":
        torch.save({**payload, "kind": "svd"}, path)
    elif case == "config":
        torch.save({**payload, "config": {"gamma": 1.0}}, path)
    elif case == "shape":
        torch.save({**payload, "train": {**payload["train"], "shape": [3, 3]}}, path)
    with pytest.raises(ModelError, match=match) as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_weights_only_is_really_used(saved, tmp_path, monkeypatch):
    calls = []
    real = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    read_model_file(saved)
    assert calls == [True]
    # A file whose payload names a callable is refused without running it.
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pt"

    class Touch:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"format": FORMAT, "x": Touch()}, evil)
    with pytest.raises(ModelError, match="never unpickled"):
        read_model_file(evil)
    assert not marker.exists()


def test_load_restores_what_was_saved(saved, model):
    loaded = read_model_file(saved)
    assert isinstance(loaded, BasicModel)
    assert loaded.item_ids.dtype == object and loaded.user_ids.dtype == np.int64
    assert (loaded.train.matrix != model.train.matrix).nnz == 0
    assert loaded.fingerprint == "f" * 40


def test_load_as_wrong_class(saved):
    with pytest.raises(ModelError, match="not a RandomModel"):
        RandomModel.load(saved)


def test_fingerprint_warning(model):
    model.fingerprint = "aaaa1111"
    assert check_fingerprint(model, "aaaa1111") is None
    assert check_fingerprint(model, None) is None
    message = check_fingerprint(model, "bbbb2222", source="model_files/basic.pt")
    assert message is not None
    assert "model_files/basic.pt" in message and "other data" in message
    assert "aaaa1111" in message and "bbbb2222" in message
    model.fingerprint = None
    assert check_fingerprint(model, "bbbb2222") is None


def test_the_writer_goes_through_the_one_atomic_helper(model, tmp_path, monkeypatch):
    used = []
    real = fileio.atomic_file

    def spy(path):
        used.append(path)
        return real(path)

    monkeypatch.setattr(model_io, "atomic_file", spy)
    path = write_model_file(model, tmp_path / "m.pt")
    assert used == [path] and path.is_file()


def test_folder_that_cannot_be_made_is_a_model_error(model, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ModelError, match="cannot write model file"):
        write_model_file(model, blocker / "m.pt")


def test_payload_then_registry_gives_the_model(saved, model):
    payload = read_model_payload(saved)
    assert payload["kind"] == "basic" and payload["version"] == VERSION
    loaded = model_from_payload(payload, saved)
    assert isinstance(loaded, BasicModel) and loaded.fingerprint == "f" * 40
    # the format module restores state into a model the caller built: it never picks a class itself
    fresh = restore_state(BasicModel(loaded.config), payload)
    np.testing.assert_array_equal(fresh.item_ids, model.item_ids)
    assert fresh.recommend([model.user_ids[0]], 3).track_ids.tolist() == (
        model.recommend([model.user_ids[0]], 3).track_ids.tolist()
    )


def test_damaged_payload_names_the_source(saved):
    payload = read_model_payload(saved)
    del payload["train"]
    missing = r"src\.pt is not a readable model file: its 'train' entry is missing"
    with pytest.raises(ModelError, match=missing):
        model_from_payload(payload, "src.pt")


def test_io_does_not_import_the_registry():
    # the registry imports the model classes, which import base, which imports io: io must stay below
    # them, even inside functions (the format module never picks a model class)
    tree = ast.parse(Path(model_io.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    ours = {m for m in imported if m and m.startswith("recsys.models")}
    assert ours == {"recsys.models.base"}  # for annotations only, under TYPE_CHECKING
