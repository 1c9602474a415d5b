"""Background preparation: one job per dataset, progress from the pipeline, failures, the demo's setup."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from recsys.app import preparation
from recsys.errors import ConfigError, DataError


@pytest.fixture(autouse=True)
def _clean_registry():
    """Each test starts with an empty registry (it is process-wide by design)."""
    for job in preparation.list_preparations():
        job.wait(30)
        preparation.forget_preparation(job.name)
    yield
    for job in preparation.list_preparations():
        job.wait(30)
        preparation.forget_preparation(job.name)


def test_a_job_reports_the_pipelines_progress_and_ends(tmp_path: Path) -> None:
    release = threading.Event()
    seen: list[tuple[str, int, int]] = []

    def fake_prepare(folder: Path, out: Path, *, progress, force: bool) -> dict:
        progress("load", 1, 3)
        progress("clean", 2, 3)
        release.wait(10)
        progress("write", 3, 3)
        out.mkdir(parents=True)
        return {"folder": str(folder), "force": force}

    job = preparation.start_preparation(tmp_path / "rel1", out=tmp_path / "out", prepare_fn=fake_prepare)
    # a second start while it runs is the same job: a second click never prepares twice
    assert preparation.start_preparation(tmp_path / "rel1", prepare_fn=fake_prepare) is job
    deadline = threading.Event()
    while job.stage()[1] < 2 and not deadline.wait(0.01):
        pass
    seen.append(job.stage())
    assert seen == [("clean", 2, 3)] and job.fraction == pytest.approx(2 / 3) and not job.finished
    assert preparation.preparation_text(job).startswith("Preparing rel1: clean (step 2 of 3) · ")
    assert preparation.list_preparations(running_only=True) == [job]
    release.set()
    assert job.wait(10)
    assert job.status == "done" and job.report == {"folder": str(tmp_path / "rel1"), "force": False}
    assert job.fraction == 1.0 and preparation.preparation_text(job).startswith("rel1 prepared in ")
    assert preparation.get_preparation("rel1") is job
    assert preparation.list_preparations(running_only=True) == []


def test_a_failure_is_kept_with_its_message(tmp_path: Path) -> None:
    def bad(folder: Path, out: Path, *, progress, force: bool) -> dict:
        raise DataError("bad event type", file="sessions.jsonl", line=3, field="event_type")

    job = preparation.start_preparation(tmp_path / "broken", prepare_fn=bad)
    assert job.wait(10) and job.status == "failed"
    assert "sessions.jsonl" in job.error and "line 3" in job.error
    assert preparation.preparation_text(job).startswith("Preparing broken failed after ")
    # a failed job can be started again
    again = preparation.start_preparation(tmp_path / "broken", prepare_fn=bad)
    assert again is not job


def test_setup_runs_first_and_bad_names_are_refused(tmp_path: Path) -> None:
    order: list[str] = []

    def setup(progress) -> None:
        progress("generating", 1, 2)
        order.append("setup")

    def fake_prepare(folder: Path, out: Path, *, progress, force: bool) -> dict:
        order.append("prepare")
        return {}

    job = preparation.start_preparation(tmp_path / "demo", prepare_fn=fake_prepare, setup=setup, force=True)
    assert job.wait(10) and job.status == "done" and order == ["setup", "prepare"]
    with pytest.raises(ConfigError, match="invalid dataset name"):
        preparation.start_preparation(tmp_path / "processed")


def test_the_real_pipeline_in_the_background(tmp_path: Path) -> None:
    from recsys.app.workspace import dataset_info
    from recsys.data.demo import generate_dataset

    generate_dataset(tmp_path / "small", users=20, tracks=60, seed=2)
    job = preparation.start_preparation(tmp_path / "small", out=tmp_path / "processed" / "small")
    assert job.wait(120) and job.status == "done", job.error
    info = dataset_info(tmp_path / "small")
    assert info.prepared and info.fingerprint == job.report["fingerprint"]
