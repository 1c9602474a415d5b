"""The saved-model catalog: metadata table, unreadable files, matches-data flag, deletion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.app import jobs, model_catalog
from recsys.data.interactions import Interactions
from recsys.errors import ModelError
from recsys.models import create_model


@pytest.fixture
def train() -> Interactions:
    frame = pd.DataFrame(
        {"user_id": [1, 1, 2, 3], "track_id": [10, 11, 10, 12], "score": [1.0, 2.0, 1.0, 1.0]}
    )
    return Interactions.from_frame(frame, item_ids=np.array([10, 11, 12, 13, 14]))


def _save(folder: Path, name: str, kind: str, train: Interactions, fingerprint: str, **metrics) -> Path:
    model = create_model(kind).fit(train)
    model.fingerprint = fingerprint
    model.metrics = dict(metrics)
    return model.save(folder / f"{name}.pt")


def test_table_lists_models_with_metadata(train: Interactions, tmp_path: Path) -> None:
    _save(tmp_path, "basic", "basic", train, "abc123", **{"ndcg@10": 0.25})
    _save(tmp_path, "pop", "popularity", train, "other")
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    (tmp_path / "notes.txt").write_text("ignored")
    table = model_catalog.catalog_table(tmp_path, fingerprint="abc123")
    assert sorted(table["name"]) == ["basic", "junk", "pop"]
    row = table.set_index("name").loc["basic"]
    assert row["kind"] == "basic" and row["users"] == 3 and row["tracks"] == 5 and row["epochs"] == 1
    assert row["fingerprint"] == "abc123" and bool(row["matches_data"]) is True
    assert row["ndcg@10"] == pytest.approx(0.25)
    assert row["created"] and pd.isna(row["error"]) and row["size_mb"] > 0
    pop = table.set_index("name").loc["pop"]
    assert bool(pop["matches_data"]) is False and pd.isna(pop["ndcg@10"])
    junk = table.set_index("name").loc["junk"]
    assert pd.isna(junk["kind"]) and junk["error"] == "not a readable model file: not a torch model archive"
    assert "popularity" not in table.columns  # only headline metrics become columns


def test_entry_cache_follows_file_changes(train: Interactions, tmp_path: Path) -> None:
    path = _save(tmp_path, "m", "basic", train, "one")
    assert model_catalog.read_entry(path).fingerprint == "one"
    assert model_catalog.read_entry(path) is model_catalog.read_entry(path)  # cached
    _save(tmp_path, "m", "popularity", train, "two-longer-fingerprint")
    entry = model_catalog.read_entry(path)
    assert entry.kind == "popularity" and entry.fingerprint == "two-longer-fingerprint"
    assert entry.matches("two-longer-fingerprint") and entry.matches(None) is None


def test_empty_or_missing_folder(tmp_path: Path) -> None:
    assert model_catalog.list_models(tmp_path / "nope") == []
    table = model_catalog.catalog_table(tmp_path)
    assert table.empty and "name" in table.columns


def test_delete_model(train: Interactions, tmp_path: Path) -> None:
    path = _save(tmp_path, "gone", "basic", train, "x")
    assert model_catalog.delete_model("gone", tmp_path) == path
    assert not path.exists() and model_catalog.list_models(tmp_path) == []
    with pytest.raises(ModelError, match="no model named 'gone'"):
        model_catalog.delete_model("gone", tmp_path)
    with pytest.raises(ModelError, match="invalid model name"):
        model_catalog.delete_model("../etc/passwd", tmp_path)


def test_cannot_delete_a_model_being_trained(train: Interactions, tmp_path: Path) -> None:
    import threading

    path = _save(tmp_path, "busy", "basic", train, "x")
    release = threading.Event()
    model = create_model("basic")
    real_fit = model.fit
    model.fit = lambda *a, **k: (release.wait(30), real_fit(*a, **k))[1]  # type: ignore[method-assign]
    job = jobs.start_training("busy", model, train, out_dir=tmp_path)
    try:
        with pytest.raises(ModelError, match="being trained"):
            model_catalog.delete_model("busy", tmp_path)
    finally:
        release.set()
        job.wait(30)
        jobs.forget_job("busy")
    assert path.exists()
    model_catalog.delete_model("busy", tmp_path)
