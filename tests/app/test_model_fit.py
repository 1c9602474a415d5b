"""Which saved models fit the data in use, the dataset of the others, and the names of new models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.app import model_catalog, model_fit
from recsys.app.workspace import DatasetInfo, check_name
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.models import create_model


def _info(name: str, fingerprint: str | None) -> DatasetInfo:
    return DatasetInfo(name=name, path=Path(name), missing=(), prepared=fingerprint is not None,
                       prepared_path=Path("processed") / name, fingerprint=fingerprint, size_bytes=0)


def _entry(name: str, kind: str | None, fingerprint: str | None, error: str | None = None,
           **config: object) -> model_catalog.ModelEntry:
    return model_catalog.ModelEntry(name=name, path=Path(f"{name}.pt"), kind=kind, fingerprint=fingerprint,
                                    error=error, config=dict(config))


ENTRIES = [
    _entry("wmf", "wmf", "fp-demo", embedding_dim=64),
    _entry("basic", "basic", "fp-demo"),
    _entry("basic-rel1", "basic", "fp-rel1"),
    _entry("old", "popularity", "fp-gone"),
    _entry("legacy", "popularity", None),
    _entry("junk", None, None, error="not a readable model file"),
]
NAMES = model_fit.dataset_names([_info("demo", "fp-demo"), _info("rel1", "fp-rel1"), _info("raw", None)])


def test_dataset_names_by_fingerprint() -> None:
    assert NAMES == {"fp-demo": "demo", "fp-rel1": "rel1"}  # a raw dataset has no fingerprint yet


def test_models_split_by_the_data_they_were_trained_on() -> None:
    found = model_fit.models_for_data(ENTRIES, "fp-rel1", "rel1", NAMES)
    assert found.names == ["basic-rel1"]
    assert [(o.entry.name, o.dataset, o.trained_on) for o in found.others] == [
        ("wmf", "demo", "trained on demo"),
        ("basic", "demo", "trained on demo"),
        ("old", None, "trained on other data"),  # its dataset was re-prepared or deleted
        ("legacy", None, "trained on other data"),  # no fingerprint: never used silently
    ]
    assert [e.name for e in found.unreadable] == ["junk"]
    assert found.kinds() == {"basic"}
    assert sorted(found.all_names) == sorted(e.name for e in ENTRIES)
    # the same user ids in two releases do not make a model fit: only the data's fingerprint does
    demo = model_fit.models_for_data(ENTRIES, "fp-demo", "demo", NAMES)
    assert demo.names == ["wmf", "basic"]
    # data not prepared yet: nothing fits
    assert model_fit.models_for_data(ENTRIES, None, "raw", NAMES).names == []


def test_missing_and_preferred_defaults() -> None:
    rel1 = model_fit.models_for_data(ENTRIES, "fp-rel1", "rel1", NAMES)
    assert model_fit.missing_defaults(rel1) == ["wmf"]
    assert model_fit.preferred_models(rel1) == ["basic-rel1"]  # by kind, not by name
    demo = model_fit.models_for_data(ENTRIES, "fp-demo", "demo", NAMES)
    assert model_fit.missing_defaults(demo) == []
    assert model_fit.preferred_models(demo) == ["basic", "wmf"]  # basic on the left, WMF on the right
    nothing = model_fit.models_for_data(ENTRIES, "fp-new", "new", NAMES)
    assert model_fit.missing_defaults(nothing) == ["basic", "wmf"]
    assert model_fit.preferred_models(nothing) == []


def test_new_names_never_overwrite_another_datasets_model() -> None:
    rel1 = model_fit.models_for_data(ENTRIES, "fp-rel1", "rel1", NAMES)
    # wmf.pt is demo's: WMF trained on rel1 is wmf-rel1
    assert model_fit.default_model_name("wmf", rel1) == "wmf-rel1"
    # basic.pt is demo's, basic-rel1 is rel1's own: training again replaces rel1's own model
    assert model_fit.default_model_name("basic", rel1) == "basic-rel1"
    # a free name is the kind's own
    assert model_fit.default_model_name("random", rel1) == "random"
    demo = model_fit.models_for_data(ENTRIES, "fp-demo", "demo", NAMES)
    assert model_fit.default_model_name("wmf", demo) == "wmf"
    assert model_fit.retrain_name("wmf", "rel1") == "wmf-rel1"
    assert model_fit.retrain_name("wmf", "rel1", taken={"wmf-rel1", "wmf-rel1-2"}) == "wmf-rel1-3"
    assert model_fit.retrain_name("wmf-rel1", "rel1") == "wmf-rel1"  # not wmf-rel1-rel1
    long = model_fit.retrain_name("m" * 60, "release-2024-05")
    assert len(long) <= 64 and long.endswith("-release-2024-05") and check_name(long) == long


@pytest.fixture
def train() -> Interactions:
    frame = pd.DataFrame({"user_id": [1, 1, 2, 3], "track_id": [10, 11, 10, 12],
                          "score": [1.0, 2.0, 1.0, 1.0]})
    return Interactions.from_frame(frame, item_ids=np.array([10, 11, 12, 13]))


def test_catalog_names_the_training_data(train: Interactions, tmp_path: Path) -> None:
    for name, fingerprint in (("a", "fp-demo"), ("b", "fp-elsewhere")):
        model = create_model("popularity").fit(train)
        model.fingerprint = fingerprint
        model.save(tmp_path / f"{name}.pt")
    table = model_catalog.catalog_table(tmp_path, fingerprint="fp-demo", datasets=NAMES).set_index("name")
    assert table.loc["a", "trained_on"] == "demo" and bool(table.loc["a", "matches_data"])
    assert pd.isna(table.loc["b", "trained_on"]) and not bool(table.loc["b", "matches_data"])


def test_the_default_pair_is_basic_then_wmf_by_kind() -> None:
    entries = [_entry("wmf-rel1", "wmf", "fp-rel1"), _entry("pop", "popularity", "fp-rel1"),
               _entry("basic-rel1", "basic", "fp-rel1")]
    found = model_fit.models_for_data(entries, "fp-rel1", "rel1", NAMES)
    assert [found.names[i] for i in model_fit.preferred_pair(found)] == ["basic-rel1", "wmf-rel1"]
    only = model_fit.models_for_data(entries[1:2], "fp-rel1", "rel1", NAMES)
    assert model_fit.preferred_pair(only) == (0, 0)
    no_wmf = model_fit.models_for_data(entries[1:], "fp-rel1", "rel1", NAMES)
    assert [no_wmf.names[i] for i in model_fit.preferred_pair(no_wmf)] == ["basic-rel1", "pop"]
    with pytest.raises(ConfigError, match="no saved model trained on rel1"):
        model_fit.preferred_pair(model_fit.models_for_data([], "fp-rel1", "rel1", NAMES))
