"""Background training jobs for the dashboard.

A Streamlit page re-runs its script on every interaction, so training cannot run inside the script: it
runs in a worker thread, and the page polls the job. The registry of jobs is module-level, so every
browser tab served by the same process sees the same jobs: a second tab finds the running job instead of
starting a clashing one (one training at a time per model name).

Nothing here imports Streamlit. The worker runs the one training driver
(:func:`recsys.app.training.fit_and_save`), whose callback appends each epoch's metrics to the job's
history (under a lock); the driver stores the headline metrics and writes the model atomically.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recsys.app.formatting import time_left_text
from recsys.app.training import DEFAULT_VAL_USERS, fit_and_save, val_users_setting
from recsys.app.workspace import check_name, model_path
from recsys.data.interactions import Interactions
from recsys.errors import RecsysError, TrainingError
from recsys.models.base import Recommender
from recsys.models.training import StopFlag

__all__ = [
    "JOB_STATUSES",
    "TIME_LEFT_WINDOW",
    "JobProgress",
    "TrainingJob",
    "start_training",
    "get_job",
    "list_jobs",
    "forget_job",
    "progress_text",
    "format_seconds",
    "numbered",
]

JOB_STATUSES = ("running", "done", "stopped", "failed")
"""A job's life: ``running`` until the fit returns; then ``done``, ``stopped`` (the Stop button ended it
after an epoch) or ``failed`` (the fit raised; ``error`` holds the message)."""

TIME_LEFT_WINDOW = 5
"""Epochs whose mean duration estimates the time left (the most recent ones)."""

_REGISTRY: dict[str, TrainingJob] = {}
_REGISTRY_LOCK = threading.Lock()


@dataclass(frozen=True)
class JobProgress:
    """Where a job stands.

    Attributes
    ----------
    epochs_done, epochs_total : int
        Epochs finished and planned (``epochs_total`` is 1 for models trained in one pass).
    elapsed : float
        Seconds since the job started (until it ended, once finished).
    remaining : float or None
        Estimated seconds left (mean time of the last :data:`TIME_LEFT_WINDOW` epochs, validation
        included, x epochs left); ``None`` before the first epoch ends.
    fraction : float
        ``epochs_done / epochs_total`` in ``[0, 1]``; 1 once the job finished.
    """

    epochs_done: int
    epochs_total: int
    elapsed: float
    remaining: float | None
    fraction: float


class TrainingJob:
    """One model being trained in a worker thread.

    Create jobs with :func:`start_training`, not directly.

    Attributes
    ----------
    name : str
        The model name; the model is saved to ``<out_dir>/<name>.pt``.
    model : Recommender
        The model being fitted.
    path : pathlib.Path
        Where the model is (or will be) saved.
    status : str
        One of :data:`JOB_STATUSES`.
    error : str or None
        The failure's message, when ``status == "failed"``.
    saved : bool
        Whether the model file was written.
    fingerprint : str or None
        The fingerprint of the data it is trained on (set by :func:`start_training`).
    """

    def __init__(
        self,
        name: str,
        model: Recommender,
        path: Path,
        *,
        epochs_total: int,
        save_on_stop: bool = True,
    ) -> None:
        self.name = name
        self.model = model
        self.path = path
        self.epochs_total = max(int(epochs_total), 1)
        self.save_on_stop = save_on_stop
        self.status = "running"
        self.error: str | None = None
        self.saved = False
        self.stop_flag = StopFlag()
        self.started_at = time.time()
        self.finished_at: float | None = None
        # the data it trains on, so a page lists only the trainings of the data on screen
        self.fingerprint: str | None = None
        self._history: list[dict[str, float]] = []
        self._stamps: list[float] = []  # when each epoch was recorded: its wall time includes validation
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what the page reads ---------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """The model's kind (``basic``, ``wmf``...)."""
        return self.model.kind

    @property
    def finished(self) -> bool:
        """Whether the worker has ended (done, stopped or failed)."""
        return self._done.is_set()

    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self.stop_flag.is_set()

    def history(self) -> list[dict[str, float]]:
        """A copy of the per-epoch metrics so far, each with its ``epoch`` (1-based)."""
        with self._lock:
            return [dict(row) for row in self._history]

    def progress(self) -> JobProgress:
        """Epochs done, elapsed time and the estimated time left."""
        with self._lock:
            done = len(self._history)
            seconds = [float(row.get("seconds", float("nan"))) for row in self._history]
            stamps = [self.started_at, *self._stamps]
        end = self.finished_at if self.finished_at is not None else time.time()
        elapsed = max(end - self.started_at, 0.0)
        remaining: float | None = None
        if self.finished:
            remaining = 0.0
        elif done:
            # The last few epochs only: the first ones pay warm-up costs, and one slow epoch must not
            # swing the estimate by minutes.
            known = [s for s in seconds[-TIME_LEFT_WINDOW:] if s == s]  # NaN-free epoch times
            per_epoch = sum(known) / len(known) if known else elapsed / done
            # an epoch's own "seconds" leave out the per-epoch validation: the wall time between the last
            # epochs' reports includes it, so the larger of the two is the honest estimate
            recent = stamps[-(TIME_LEFT_WINDOW + 1):]
            per_epoch = max(per_epoch, (recent[-1] - recent[0]) / (len(recent) - 1))
            remaining = per_epoch * max(self.epochs_total - done, 0)
        fraction = 1.0 if self.finished else min(done / self.epochs_total, 1.0)
        return JobProgress(
            epochs_done=done,
            epochs_total=self.epochs_total,
            elapsed=elapsed,
            remaining=remaining,
            fraction=fraction,
        )

    def summary(self) -> dict[str, Any]:
        """Plain values describing the job (for tables and ``--json``-like displays)."""
        prog = self.progress()
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "epochs_done": prog.epochs_done,
            "epochs_total": prog.epochs_total,
            "elapsed": prog.elapsed,
            "path": str(self.path),
            "saved": self.saved,
            "error": self.error,
        }

    # -- what the page does ----------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the training to end cleanly after the current epoch."""
        self.stop_flag.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (or ``timeout`` seconds pass); return whether it ended."""
        return self._done.wait(timeout)

    # -- the worker ------------------------------------------------------------------------------
    def _record(self, epoch: int, metrics: dict[str, float]) -> None:
        row = {"epoch": int(epoch)}
        row.update({str(k): float(v) for k, v in metrics.items()})
        with self._lock:
            self._history.append(row)
            self._stamps.append(time.time())

    def _run(
        self,
        train: Interactions,
        val: Interactions | None,
        fingerprint: str | None,
        val_users: int | str | None = DEFAULT_VAL_USERS,
    ) -> None:
        try:
            report = fit_and_save(
                self.model, train, val, self.path, fingerprint=fingerprint, callback=self._record,
                stop=self.stop_flag, save_on_stop=self.save_on_stop, val_users=val_users,
            )
            self.saved = report["model"] is not None
            self.status = "stopped" if report["stopped"] else "done"
        except RecsysError as exc:
            self.status, self.error = "failed", str(exc)
        except Exception as exc:  # a bug in a model must still end the job visibly, not hang the page
            self.status = "failed"
            self.error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        finally:
            self.finished_at = time.time()
            self._done.set()


def start_training(
    name: str,
    model: Recommender,
    train: Interactions,
    *,
    val: Interactions | None = None,
    out_dir: str | Path = "model_files",
    fingerprint: str | None = None,
    save_on_stop: bool = True,
    val_users: int | str | None = DEFAULT_VAL_USERS,
) -> TrainingJob:
    """Start fitting ``model`` in a background thread and register the job under ``name``.

    Parameters
    ----------
    name : str
        Model name; the model is saved to ``<out_dir>/<name>.pt`` when the fit ends.
    model : Recommender
        An untrained model (``create_model(kind, **config)``).
    train, val : Interactions
        The training matrix and, optionally, the validation matrix on the same indices.
    out_dir : str or pathlib.Path
        Folder of the model files.
    fingerprint : str, optional
        The data's fingerprint, stored in the model file.
    save_on_stop : bool
        Save the model also when the Stop button ended it early (its epochs so far).
    val_users : int, str or None
        The per-epoch validation sample: a number of users or ``"all"``
        (:func:`recsys.app.training.val_users_setting`; checked here, before the thread starts).

    Returns
    -------
    TrainingJob

    Raises
    ------
    TrainingError
        A job with this name is still running (one training at a time per model name).
    ConfigError
        The name is not a valid file name.
    """
    name = check_name(name, "model")
    val_users_setting(val_users)  # a bad sample size fails here, not in the worker thread
    path = model_path(name, out_dir)
    epochs = int(getattr(model.config, "epochs", 1) or 1)
    with _REGISTRY_LOCK:
        current = _REGISTRY.get(name)
        if current is not None and not current.finished:
            raise TrainingError(
                f"model {name!r} is already being trained (epoch {current.progress().epochs_done}"
                f" of {current.epochs_total}): wait for it or stop it first"
            )
        job = TrainingJob(name, model, path, epochs_total=epochs, save_on_stop=save_on_stop)
        job.fingerprint = fingerprint
        _REGISTRY[name] = job
    path.parent.mkdir(parents=True, exist_ok=True)
    thread = threading.Thread(
        target=job._run, args=(train, val, fingerprint, val_users), name=f"train-{name}", daemon=True
    )
    job._thread = thread
    thread.start()
    return job


def get_job(name: str) -> TrainingJob | None:
    """The latest job registered under ``name`` (running or finished), or ``None``."""
    with _REGISTRY_LOCK:
        return _REGISTRY.get(str(name).removesuffix(".pt"))


def list_jobs(*, running_only: bool = False) -> list[TrainingJob]:
    """Every registered job, newest first."""
    with _REGISTRY_LOCK:
        jobs = list(_REGISTRY.values())
    if running_only:
        jobs = [job for job in jobs if not job.finished]
    return sorted(jobs, key=lambda job: job.started_at, reverse=True)


def forget_job(name: str) -> None:
    """Drop a finished job from the registry.

    Raises
    ------
    TrainingError
        The job is still running.
    """
    with _REGISTRY_LOCK:
        job = _REGISTRY.get(name)
        if job is None:
            return
        if not job.finished:
            raise TrainingError(f"model {name!r} is still training: stop it before forgetting it")
        del _REGISTRY[name]


def format_seconds(seconds: float | None) -> str:
    """``"1 h 02 min"``, ``"3 min 05 s"``, ``"12 s"``, ``"0.4 s"``; ``"?"`` for ``None``."""
    if seconds is None or seconds != seconds:
        return "?"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def progress_text(job: TrainingJob) -> str:
    """One line for a progress bar: status, epochs, elapsed and time left, last losses."""
    prog = job.progress()
    parts = [f"{job.name} ({job.kind}): epoch {prog.epochs_done}/{prog.epochs_total}"]
    if job.finished:
        parts.append(f"{job.status} in {format_seconds(prog.elapsed)}")
    else:
        parts.append(f"{format_seconds(prog.elapsed)} elapsed")
        parts.append(time_left_text(prog.remaining))
        if job.stop_requested:
            parts.append("stopping after this epoch")
    history = job.history()
    if history:
        last = history[-1]
        parts.extend(f"{k.replace('_', ' ')} {last[k]:.4g}" for k in ("train_loss", "val_loss", "val_ndcg@10")
                     if k in last)
    return " · ".join(parts)


def numbered(history: list[dict[str, float]]) -> list[dict[str, float]]:
    """A saved model's history with each epoch's number (``epoch``, 1-based) where it is missing."""
    return [{"epoch": i + 1, **row} for i, row in enumerate(history)]
