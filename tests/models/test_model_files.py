"""Hostile and damaged model files: every one ends in "<path> is not a readable model file: <reason>",
never another exception and never a silently wrong model; NaN/inf is refused at load and at save."""

from __future__ import annotations

import random
import re
import zipfile

import numpy as np
import pytest
import torch

from recsys.errors import ModelError
from recsys.models import create_model, load_model
from recsys.models.io import UnreadableModelFile

from .conftest import SMALL


@pytest.fixture(scope="module")
def wmf(train):
    return create_model("wmf", **SMALL["wmf"]).fit(train)


@pytest.fixture(scope="module")
def good(wmf, tmp_path_factory):
    return wmf.save(tmp_path_factory.mktemp("files") / "wmf.pt")


def _payload(path):
    return torch.load(path, weights_only=True)


def _state_equal(a, b) -> bool:
    sa, sb = a._state(), b._state()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_fuzzed_files_are_refused_or_load_unchanged(good, wmf, tmp_path) -> None:
    """300 files: random bytes, flipped bits, truncations. Each is refused with the one message, or (a bit
    flipped where no checksum reaches: zip padding) loads exactly the saved model."""
    data = good.read_bytes()
    rng = random.Random(0)
    outcomes = {"refused": 0, "identical": 0}
    for i in range(300):
        if i % 3 == 0:
            blob = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 4000)))
        elif i % 3 == 1:
            flipped = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            blob = bytes(flipped)
        else:
            blob = data[: rng.randrange(len(data))]
        path = tmp_path / f"f{i}.pt"
        path.write_bytes(blob)
        try:
            loaded = load_model(path)
        except ModelError as exc:
            assert isinstance(exc, UnreadableModelFile), repr(exc)
            assert str(exc).startswith(f"{path} is not a readable model file: "), str(exc)
            outcomes["refused"] += 1
        else:
            assert _state_equal(loaded, wmf), f"case {i} loaded a different model"
            outcomes["identical"] += 1
    assert outcomes["refused"] >= 270


def test_a_flipped_byte_in_a_tensor_is_a_checksum_error(good, tmp_path) -> None:
    with zipfile.ZipFile(good) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("data/1"))
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(good.read_bytes())
    data[start + info.compress_size // 2] ^= 0x40
    path = tmp_path / "flipped.pt"
    path.write_bytes(bytes(data))
    damaged = r"the archive is damaged \(checksum mismatch in .*data/1\)"
    with pytest.raises(UnreadableModelFile, match=damaged):
        load_model(path)


def _write(tmp_path, payload, name="crafted.pt"):
    path = tmp_path / name
    torch.save(payload, path)
    return path


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("nan-factors", "tensor 'user_factors' holds NaN or infinite values"),
        ("inf-bias", None),
        ("short-factors", r"user_factors have shape \(11, 8\), not \(12, 8\)"),
        ("wrong-dim", r"item_factors have shape \(30, 4\), not \(30, 8\)"),
        ("missing-tensor", "tensor 'item_factors' is missing"),
        ("extra-tensor", "unexpected tensor 'spare'"),
        ("int-tensor", "holds torch.int64 values, not floating point"),
        ("not-a-tensor", "is a list, not a tensor"),
        ("duplicate-user", "duplicate user id 3"),
        ("duplicate-track", "duplicate track id 't05'"),
        ("float-id", "ids are integers or strings"),
        ("index-out-of-range", "names a track column outside 0..29"),
        ("short-indptr", "row pointers"),
        ("float-indices", "holds torch.float32 values, not integers"),
        ("nan-train", "training matrix 'data' holds NaN"),
        ("no-train", "its 'train' entry is missing"),
        ("tensors-not-dict", "its 'tensors' entry is a list, not a dict"),
        ("history-not-list", "'history' entry is not a list"),
        ("kind-number", "unknown model kind 5"),
        ("no-config", "its 'config' entry is missing"),
    ],
)
def test_inconsistent_files_are_named_with_the_reason(good, tmp_path, case, reason) -> None:
    p = _payload(good)
    t, tr = dict(p["tensors"]), dict(p["train"])
    if case == "nan-factors":
        t["user_factors"] = t["user_factors"].clone()
        t["user_factors"][2, 3] = float("nan")
    elif case == "inf-bias":
        p["config"] = {**p["config"], "bias": True}
        t["user_bias"] = torch.zeros(12)
        t["item_bias"] = torch.full((30,), float("inf"))
        reason = "tensor 'item_bias' holds NaN or infinite values"
    elif case == "short-factors":
        t["user_factors"] = t["user_factors"][:11]
    elif case == "wrong-dim":
        t["item_factors"] = t["item_factors"][:, :4]
    elif case == "missing-tensor":
        del t["item_factors"]
    elif case == "extra-tensor":
        t["spare"] = torch.zeros(3)
    elif case == "int-tensor":
        t["user_factors"] = t["user_factors"].long()
    elif case == "not-a-tensor":
        t["user_factors"] = [1.0, 2.0]
    elif case == "duplicate-user":
        p["user_ids"] = [*p["user_ids"][:5], 3, *p["user_ids"][6:]]
    elif case == "duplicate-track":
        p["item_ids"] = [*p["item_ids"][:6], "t05", *p["item_ids"][7:]]
    elif case == "float-id":
        p["user_ids"] = [1.5, *p["user_ids"][1:]]
    elif case == "index-out-of-range":
        tr["indices"] = tr["indices"].clone()
        tr["indices"][0] = 30
    elif case == "short-indptr":
        tr["indptr"] = tr["indptr"][:-1]
    elif case == "float-indices":
        tr["indices"] = tr["indices"].float()
    elif case == "nan-train":
        tr["data"] = tr["data"].clone()
        tr["data"][0] = float("nan")
    elif case == "no-train":
        del p["train"]
    elif case == "tensors-not-dict":
        t = [1]  # type: ignore[assignment]
    elif case == "history-not-list":
        p["history"] = "epochs"
    elif case == "kind-number":
        p["kind"] = 5
    elif case == "no-config":
        del p["config"]
    if case != "no-train":
        p["train"] = tr
    p["tensors"] = t
    path = _write(tmp_path, p)
    with pytest.raises(UnreadableModelFile) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f"{path} is not a readable model file: ")
    assert re.search(reason, message), message


def test_a_model_with_nan_factors_is_never_saved(wmf, tmp_path) -> None:
    broken = create_model("wmf", **SMALL["wmf"])
    broken.train = wmf.train
    state = {k: v.clone() for k, v in wmf._state().items()}
    state["item_factors"][0, 0] = float("inf")
    broken._set_state(state)
    path = tmp_path / "m.pt"
    refused = "refusing to save the wmf model: its item_factors hold NaN or infinite"
    with pytest.raises(ModelError, match=refused):
        broken.save(path)
    assert list(tmp_path.iterdir()) == []


def test_a_good_file_still_loads_identically(good, wmf) -> None:
    loaded = load_model(good)
    assert _state_equal(loaded, wmf) and np.array_equal(loaded.user_ids, wmf.user_ids)
