"""AppTest of the Train page: renders, trains a 2-epoch WMF in the background, saves, loads, deletes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from recsys.app import jobs, training
from tests.pages.conftest import DemoRoot, page

PAGE = "pages/2_Train.py"


@pytest.fixture
def models_copy(app_env: DemoRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private model folder (this test writes and deletes files)."""
    folder = tmp_path / "models"
    shutil.copytree(app_env.models, folder)
    monkeypatch.setenv("RECSYS_MODEL_ROOT", str(folder))
    yield folder
    for job in jobs.list_jobs():
        job.stop()
        job.wait(60)
        jobs.forget_job(job.name)


def test_renders_with_settings_and_saved_models(models_copy: Path) -> None:
    at = page(PAGE).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="train.kind").value == "wmf"
    # the WMF settings, with the config's defaults
    assert at.number_input(key="train.wmf.epochs").value == 15
    assert at.number_input(key="train.wmf.learning_rate").value == pytest.approx(0.005)
    assert at.number_input(key="train.wmf.alpha").value == pytest.approx(1.0)
    assert at.checkbox(key="train.wmf.sigmoid").value is False
    assert at.number_input(key="train.wmf.learning_rate").disabled  # the default ALS trainer ignores it
    saved = at.dataframe[0].value
    assert sorted(saved["name"]) == ["basic", "popularity"]


def test_two_epoch_training_records_history_and_saves(models_copy: Path) -> None:
    at = page(PAGE).run()
    at.number_input(key="train.wmf.epochs").set_value(2)
    at.number_input(key="train.wmf.embedding_dim").set_value(8)
    at.text_input(key="train.name.wmf").input("tiny")
    at.button(key="train.start").click().run()
    assert not at.exception and not at.error
    job = jobs.get_job("tiny")
    assert job is not None and job.kind == "wmf"
    assert job.wait(120), "the 2-epoch training did not finish"
    assert job.status == "done", job.error
    history = job.history()
    assert [row["epoch"] for row in history] == [1, 2]
    assert all({"train_loss", "val_loss", "val_ndcg@10", "seconds"} <= set(row) for row in history)
    assert (models_copy / "tiny.pt").is_file()
    at.run()
    assert not at.exception
    assert any("epoch 2/2" in s.value and "saved" in s.value for s in at.success)
    saved = at.dataframe[0].value.set_index("name")
    assert saved.loc["tiny", "kind"] == "wmf" and saved.loc["tiny", "epochs"] == 2
    assert bool(saved.loc["tiny", "matches_data"]) is True


@pytest.mark.parametrize(("choice", "number", "want"), [
    ("Automatic: a twentieth, 50 to 2,000", None, "auto"), ("All", None, "all"),
    ("A number of users", 30, 30),
])
def test_the_validation_sample_reaches_the_job(
    models_copy: Path, monkeypatch: pytest.MonkeyPatch, choice: str, number: int | None, want: object
) -> None:
    seen: list[object] = []
    real = jobs.start_training

    def spy(*args, **kwargs):
        seen.append(kwargs.get("val_users"))
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "start_training", spy)
    at = page(PAGE).run()
    assert at.selectbox(key="train.val_users_mode").value.startswith("Automatic")  # the default
    at.selectbox(key="train.val_users_mode").set_value(choice).run()
    assert (number is not None) == any(n.key == "train.val_users" for n in at.number_input)
    if number is not None:
        at.number_input(key="train.val_users").set_value(number)
    at.number_input(key="train.wmf.epochs").set_value(1)
    at.number_input(key="train.wmf.embedding_dim").set_value(4)
    at.text_input(key="train.name.wmf").input(f"sample-{want}")
    at.button(key="train.start").click().run()
    assert not at.exception and not at.error
    assert seen == [want]


def test_second_tab_sees_the_running_job(models_copy: Path) -> None:
    import os
    import threading

    from recsys.data.prepared import load_prepared
    from recsys.models import create_model

    release = threading.Event()
    model = create_model("basic")
    real_fit = model.fit
    model.fit = lambda *a, **k: (release.wait(60), real_fit(*a, **k))[1]  # type: ignore[method-assign]
    prepared_folder = Path(os.environ["RECSYS_DATA_ROOT"]) / "processed" / "demo"
    train, val = training.training_matrices(load_prepared(prepared_folder))
    job = jobs.start_training("basic", model, train, val=val, out_dir=models_copy)
    try:
        other_tab = page(PAGE).run()
        assert not other_tab.exception
        assert any("Training now" in i.value and "basic" in i.value for i in other_tab.info)
        other_tab.selectbox(key="train.kind").select("basic").run()
        assert other_tab.button(key="train.start").disabled
        assert any("being trained" in w.value for w in other_tab.warning)
    finally:
        release.set()
        job.wait(60)
    assert job.status == "done"


def test_load_and_delete(models_copy: Path) -> None:
    at = page(PAGE).run()
    at.selectbox(key="train.picked").select("popularity")
    at.button(key="train.load").click().run()
    assert not at.exception and not at.error
    assert any("popularity" in m.value and "users" in m.value for m in at.markdown)
    at.toggle(key="train.confirm_delete").set_value(True).run()
    at.button(key="train.delete").click().run()
    assert not at.exception and not at.error
    assert not (models_copy / "popularity.pt").exists()
    assert sorted(at.dataframe[0].value["name"]) == ["basic"]


def test_notebook_preset_then_defaults(models_copy: Path) -> None:
    at = page(PAGE).run()
    at.button(key="train.preset_notebook").click().run()
    assert not at.exception and not at.warning
    assert at.session_state["train.wmf.trainer"] == "adamw"
    assert at.number_input(key="train.wmf.embedding_dim").value == 32
    assert at.number_input(key="train.wmf.alpha").value == pytest.approx(40.0)
    assert at.selectbox(key="train.wmf.confidence").value == "log"
    assert not at.number_input(key="train.wmf.learning_rate").disabled  # AdamW uses it
    at.button(key="train.preset_defaults").click().run()
    assert at.session_state["train.wmf.trainer"] == "als"
    assert at.number_input(key="train.wmf.embedding_dim").value == 64
    assert at.number_input(key="train.wmf.alpha").value == pytest.approx(1.0)


@pytest.mark.parametrize("damage", ["random bytes", "flipped byte", "nan factors"])
def test_loading_a_damaged_model_file_is_an_error_message(models_copy: Path, damage: str) -> None:
    """Random bytes once made the loader raise IndexError/KeyError, an uncaught exception on this page."""
    import random

    import torch

    good = (models_copy / "popularity.pt").read_bytes()
    target = models_copy / "damaged.pt"
    if damage == "random bytes":
        rng = random.Random(3)
        target.write_bytes(bytes(rng.getrandbits(8) for _ in range(3000)))
    elif damage == "flipped byte":
        flipped = bytearray(good)
        flipped[200] ^= 0x10  # inside the archive's first member (its pickle), which a checksum covers
        target.write_bytes(bytes(flipped))
    else:
        payload = torch.load(models_copy / "popularity.pt", weights_only=True)
        payload["train"]["data"][0] = float("nan")
        torch.save(payload, target)
    at = page(PAGE).run()
    at.selectbox(key="train.picked").select("damaged")
    at.button(key="train.load").click().run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith(f"Could not load damaged: {target} is not a readable model file: ")
