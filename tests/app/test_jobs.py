"""Background training jobs: registry, history, progress, stop, save, failures."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.app import jobs, training, workspace
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, TrainingError
from recsys.models import create_model, load_model


@pytest.fixture(autouse=True)
def _clean_registry():
    """Each test starts with an empty registry (it is process-wide by design)."""
    for job in jobs.list_jobs():
        job.stop()
        job.wait(30)
        jobs.forget_job(job.name)
    yield
    for job in jobs.list_jobs():
        job.stop()
        job.wait(30)
        jobs.forget_job(job.name)


@pytest.fixture
def train() -> Interactions:
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3, 3, 4],
            "track_id": ["a", "b", "a", "c", "b", "c", "a"],
            "score": [2.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0],
        }
    )
    return Interactions.from_frame(frame, item_ids=np.array(["a", "b", "c", "d"], dtype=object))


def test_popularity_job_runs_records_history_and_saves(train: Interactions, tmp_path: Path) -> None:
    job = jobs.start_training("pop", create_model("popularity"), train, out_dir=tmp_path, fingerprint="fp1")
    assert job.wait(30)
    assert job.status == "done", job.error
    history = job.history()
    assert len(history) == 1 and history[0]["epoch"] == 1 and "seconds" in history[0]
    assert job.saved and (tmp_path / "pop.pt").is_file()
    loaded = load_model(tmp_path / "pop.pt")
    assert loaded.kind == "popularity" and loaded.fingerprint == "fp1"
    # popularity: a (3 users), b (2), c (2), d (0) -> a first, then b before c (lower index)
    assert loaded.recommend([1], 4).track_ids.tolist() == ["a", "b", "c", "d"]
    prog = job.progress()
    assert (prog.epochs_done, prog.epochs_total, prog.fraction, prog.remaining) == (1, 1, 1.0, 0.0)
    assert jobs.get_job("pop") is job and jobs.get_job("pop.pt") is job


def test_one_running_job_per_name(train: Interactions, tmp_path: Path) -> None:
    release = threading.Event()
    model = create_model("basic")
    real_fit = model.fit

    def slow_fit(*args, **kwargs):
        release.wait(30)  # hold the worker so the job is certainly still running
        return real_fit(*args, **kwargs)

    model.fit = slow_fit  # type: ignore[method-assign]
    job = jobs.start_training("same", model, train, out_dir=tmp_path)
    try:
        assert not job.finished and job.status == "running"
        with pytest.raises(TrainingError, match="already being trained"):
            jobs.start_training("same", create_model("basic"), train, out_dir=tmp_path)
        with pytest.raises(TrainingError, match="still training"):
            jobs.forget_job("same")
        # another name trains alongside
        other = jobs.start_training("other", create_model("basic"), train, out_dir=tmp_path)
        assert other.wait(30) and other.status == "done"
        assert [j.name for j in jobs.list_jobs(running_only=True)] == ["same"]
    finally:
        release.set()
    assert job.wait(30) and job.status == "done"
    # once finished, the name can be trained again
    again = jobs.start_training("same", create_model("basic"), train, out_dir=tmp_path)
    assert again.wait(30) and again.status == "done"
    assert jobs.get_job("same") is again


def test_failure_is_recorded_not_raised(train: Interactions, tmp_path: Path) -> None:
    model = create_model("basic")

    def broken_fit(*args, **kwargs):
        raise TrainingError("factors diverged at epoch 3")

    model.fit = broken_fit  # type: ignore[method-assign]
    job = jobs.start_training("bad", model, train, out_dir=tmp_path)
    assert job.wait(30)
    assert job.status == "failed" and job.error == "factors diverged at epoch 3"
    assert not job.saved and not (tmp_path / "bad.pt").exists()
    assert job.summary()["status"] == "failed"


@pytest.mark.parametrize("bad", ["", "../evil", "a/b", ".hidden", "x" * 65, "sp ace"])
def test_bad_names_are_refused(bad: str, train: Interactions, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid model name"):
        jobs.start_training(bad, create_model("basic"), train, out_dir=tmp_path)


def test_check_model_name_strips_suffix() -> None:
    assert workspace.check_name(" wmf-64.pt ") == "wmf-64"


def test_progress_estimates_time_left() -> None:
    job = jobs.TrainingJob("x", create_model("basic"), Path("x.pt"), epochs_total=4)
    assert job.progress().remaining is None and job.progress().fraction == 0.0
    job._record(1, {"train_loss": 1.0, "seconds": 2.0})
    job._record(2, {"train_loss": 0.5, "seconds": 4.0})
    prog = job.progress()
    # mean epoch 3 s x 2 epochs left
    assert prog.epochs_done == 2 and prog.fraction == 0.5 and prog.remaining == pytest.approx(6.0)
    assert job.history()[1] == {"epoch": 2, "train_loss": 0.5, "seconds": 4.0}
    assert training.headline_metrics(job.model, None, job.history()) == {
        "train_loss": 0.5, "epochs": 2.0, "train_seconds": 6.0
    }


def test_history_is_thread_safe() -> None:
    job = jobs.TrainingJob("x", create_model("basic"), Path("x.pt"), epochs_total=1000)
    threads = [
        threading.Thread(target=lambda s=s: [job._record(s * 100 + e, {"seconds": 0.0}) for e in range(100)])
        for s in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(row["epoch"] for row in job.history()) == list(range(800))


def test_time_left_uses_the_recent_epochs() -> None:
    # a slow first epoch (warm-up) must not swing the estimate: the last TIME_LEFT_WINDOW epochs count
    job = jobs.TrainingJob("x", create_model("basic"), Path("x.pt"), epochs_total=10)
    job._record(1, {"seconds": 60.0})
    for epoch in range(2, 7):
        job._record(epoch, {"seconds": 1.0})
    assert jobs.TIME_LEFT_WINDOW == 5
    assert job.progress().remaining == pytest.approx(4.0)  # 4 epochs left x 1 s
    assert "about 5 s left" in jobs.progress_text(job)
