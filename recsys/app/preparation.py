"""Background preparation of datasets for the dashboard.

Preparing a real release takes seconds to minutes. Run inside a page's script it dies with the script:
a click elsewhere (another page, another widget) stops the script and the preparation with it, without
a word. So, like training (:mod:`recsys.app.jobs`), it runs in a worker thread, and every page only
reads where it stands. The registry is module-level: every browser tab served by the same process sees
the same preparations, and one dataset is prepared by one job at a time.

The worker calls the pipeline's :func:`recsys.data.prepare.prepare` into the workspace's prepared folder
(:func:`recsys.app.workspace.prepared_folder`); its ``progress(stage, done, total)`` callback is what
the pages show. Nothing here imports Streamlit.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recsys.app.formatting import format_duration
from recsys.app.workspace import check_name, prepared_folder
from recsys.data.prepare import prepare
from recsys.errors import RecsysError

__all__ = [
    "PREPARATION_STATUSES",
    "PreparationJob",
    "forget_preparation",
    "get_preparation",
    "list_preparations",
    "preparation_text",
    "start_preparation",
]

PREPARATION_STATUSES = ("running", "done", "failed")
"""A preparation's life: ``running`` until the pipeline returns, then ``done`` or ``failed`` (``error``
holds the pipeline's message)."""

_REGISTRY: dict[str, PreparationJob] = {}
_REGISTRY_LOCK = threading.Lock()


class PreparationJob:
    """One dataset being prepared in a worker thread.

    Create jobs with :func:`start_preparation`, not directly.

    Attributes
    ----------
    name : str
        The dataset's folder name.
    folder : pathlib.Path
        Its raw folder.
    out : pathlib.Path
        Its prepared folder.
    status : str
        One of :data:`PREPARATION_STATUSES`.
    error : str or None
        Why it failed, when ``status == "failed"``.
    report : dict or None
        The pipeline's report once done.
    started_at, finished_at : float
        ``time.time()`` at start and end (``finished_at`` is ``None`` while running).
    """

    def __init__(self, folder: Path, out: Path) -> None:
        self.name = folder.name
        self.folder = folder
        self.out = out
        self.status = "running"
        self.error: str | None = None
        self.report: dict[str, Any] | None = None
        self.started_at = time.time()
        self.finished_at: float | None = None
        self._stage = "starting"
        self._done_steps = 0
        self._total_steps = 0
        self._lock = threading.Lock()
        self._done = threading.Event()

    @property
    def finished(self) -> bool:
        """Whether the worker has ended (done or failed)."""
        return self._done.is_set()

    def stage(self) -> tuple[str, int, int]:
        """The last stage the pipeline reported, with the steps done and planned (0 before the first)."""
        with self._lock:
            return self._stage, self._done_steps, self._total_steps

    @property
    def fraction(self) -> float:
        """Share of the pipeline's stages done, in ``[0, 1]`` (1 once finished)."""
        if self.finished:
            return 1.0
        _, done, total = self.stage()
        return min(done / total, 1.0) if total else 0.0

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the preparation ends (or ``timeout`` seconds pass); return whether it ended."""
        return self._done.wait(timeout)

    def _progress(self, *args: Any) -> None:
        """The pipeline's ``progress(stage, done, total)``; other progress styles only update the stage."""
        texts = [a for a in args if isinstance(a, str)]
        numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
        with self._lock:
            if texts:
                self._stage = texts[0]
            if len(numbers) >= 2:
                self._done_steps, self._total_steps = int(numbers[0]), int(numbers[1])

    def _run(
        self,
        prepare_fn: Callable[..., dict[str, Any]],
        options: dict[str, Any],
        setup: Callable[[Callable[..., None]], object] | None,
    ) -> None:
        try:
            if setup is not None:
                setup(self._progress)
            self.report = prepare_fn(self.folder, self.out, progress=self._progress, **options)
            self.status = "done"
        except RecsysError as exc:
            self.status, self.error = "failed", str(exc)
        except Exception as exc:  # a bug must still end the job visibly, not leave a page waiting forever
            self.status, self.error = "failed", f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        finally:
            self.finished_at = time.time()
            self._done.set()


def start_preparation(
    folder: str | Path,
    *,
    out: str | Path | None = None,
    force: bool = False,
    prepare_fn: Callable[..., dict[str, Any]] | None = None,
    setup: Callable[[Callable[..., None]], object] | None = None,
) -> PreparationJob:
    """Prepare the raw dataset ``folder`` in a background thread, or return the job already doing it.

    Parameters
    ----------
    folder : str or pathlib.Path
        A raw dataset folder (its name must pass :func:`recsys.app.workspace.check_name`).
    out : path, optional
        Where to write; default :func:`recsys.app.workspace.prepared_folder` of ``folder``.
    force : bool
        Prepare again even when the input has not changed (the pipeline skips unchanged input).
    prepare_fn : callable, optional
        ``prepare(folder, out, progress=..., force=...)``; default :func:`recsys.data.prepare.prepare`.
    setup : callable, optional
        ``setup(progress)`` run first in the same thread, e.g. generating the demo data into ``folder``
        (its progress is shown like the pipeline's).

    Returns
    -------
    PreparationJob
        A new job, or the running one of the same dataset (a second click never starts a second one).

    Raises
    ------
    ConfigError
        The folder's name is not a valid dataset name.
    """
    folder = Path(folder)
    name = check_name(folder.name, "dataset")
    target = Path(out) if out is not None else prepared_folder(folder)
    with _REGISTRY_LOCK:
        current = _REGISTRY.get(name)
        if current is not None and not current.finished:
            return current
        job = PreparationJob(folder, target)
        _REGISTRY[name] = job
    thread = threading.Thread(
        target=job._run, args=(prepare_fn or prepare, {"force": force}, setup), name=f"prepare-{name}",
        daemon=True,
    )
    thread.start()
    return job


def get_preparation(name: str) -> PreparationJob | None:
    """The latest preparation of dataset ``name`` (running or finished), or ``None``."""
    with _REGISTRY_LOCK:
        return _REGISTRY.get(Path(str(name)).name)


def list_preparations(*, running_only: bool = False) -> list[PreparationJob]:
    """Every registered preparation, newest first (only the running ones with ``running_only``)."""
    with _REGISTRY_LOCK:
        found = list(_REGISTRY.values())
    if running_only:
        found = [job for job in found if not job.finished]
    return sorted(found, key=lambda job: job.started_at, reverse=True)


def forget_preparation(name: str) -> None:
    """Drop a finished preparation from the registry (a running one stays: it cannot be stopped)."""
    with _REGISTRY_LOCK:
        job = _REGISTRY.get(name)
        if job is not None and job.finished:
            del _REGISTRY[name]


def preparation_text(job: PreparationJob) -> str:
    """One line for a progress bar: ``"Preparing demo: cleaning (step 2 of 5) · 12 s"``."""
    stage, done, total = job.stage()
    end = job.finished_at if job.finished_at is not None else time.time()
    elapsed = format_duration(max(end - job.started_at, 0.0))
    if job.status == "failed":
        return f"Preparing {job.name} failed after {elapsed}: {job.error}"
    if job.finished:
        return f"{job.name} prepared in {elapsed}"
    step = f" (step {done} of {total})" if total else ""
    return f"Preparing {job.name}: {stage.replace('_', ' ')}{step} · {elapsed}"
