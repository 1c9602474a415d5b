"""The one training driver: fit a model on prepared data, measure it the same way, save it.

The CLI's ``train``, ``bootstrap`` and the dashboard's Train page (through :mod:`recsys.app.jobs`, in a
worker thread) all call :func:`fit_and_save`, so every saved model carries the same headline metrics:

* the last epoch's own report (``train_loss``, ``val_loss``, ``val_ndcg@10`` on the validation sample),
  ``epochs`` and ``train_seconds``, when the model trains in epochs;
* ``ndcg@10``, ``precision@10``, ``recall@10`` of the final model on *every* validation user, in the
  discovery regime (training tracks excluded), computed by :func:`recsys.evaluation.evaluate_model`.

The per-epoch ``val_ndcg@10`` is computed by the evaluation's own function
(:func:`recsys.evaluation.validation.ndcg_validator`), passed into ``fit``: one NDCG for the live curve
and the Evaluate page.

One training per model file at a time, across processes: :func:`fit_and_save` holds the model file's
lock (:func:`recsys.fileio.file_lock`) from before the fit to after the save, so a second training of
the same file (another terminal, the dashboard) stops at once with a :class:`~recsys.errors.BusyError`
naming the first one's pid, instead of overwriting it minutes later. Taking the lock also removes the
temporary files of killed trainings of that file.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recsys.data.interactions import Interactions
from recsys.data.prepared import Prepared
from recsys.errors import ConfigError, ModelError, TrainingCancelled
from recsys.evaluation.evaluate import evaluate_model
from recsys.evaluation.validation import AUTO, auto_sample_size, ndcg_validator
from recsys.fileio import file_lock
from recsys.models.base import Recommender, TrainCallback
from recsys.models.training import StopFlag

__all__ = [
    "FINAL_K",
    "DEFAULT_VAL_USERS",
    "HEADLINE_METRICS",
    "fit_and_save",
    "headline_metrics",
    "train_and_save",
    "training_matrices",
    "val_users_setting",
]

FINAL_K = 10
"""Cut-off of the headline metrics measured after training."""

HEADLINE_METRICS: tuple[str, ...] = (
    f"ndcg@{FINAL_K}", f"precision@{FINAL_K}", f"recall@{FINAL_K}", "val_ndcg@10", "val_loss", "train_loss",
)
"""The metrics stored with every model, in the order the model tables show them."""


DEFAULT_VAL_USERS: int | str = AUTO
"""Validation users the per-epoch NDCG@10 is measured on: ``"auto"``, a fixed, seeded sample of a
twentieth of them, at least 50 and at most 2,000 (:func:`recsys.evaluation.validation.auto_sample_size`);
a number sets the size, ``"all"`` measures every one.

Per epoch this costs about ``users x tracks x factors`` multiply-adds plus a top-k per user, so a sample
keeps an epoch's validation a small share of the ALS update whatever the number of users (all 1,000 users
of the release cost as much as the update; 50,000 users would cost 25 times what 2,000 do); the final
headline metrics, measured once, use every user."""


def val_users_setting(value: int | str | None) -> int | str | None:
    """The per-epoch validation sample size from a setting: a positive integer, ``"auto"``, or
    ``"all"`` / None.

    Parameters
    ----------
    value : int, str or None
        ``2000``, ``"2000"``, ``"auto"``, ``"all"`` (any case) or None.

    Returns
    -------
    int, str or None
        The sample size; ``"auto"``; None for every validation user.

    Raises
    ------
    ConfigError
        Anything else, naming the value.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
        return None
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ConfigError(
                f"validation users must be a positive integer, 'auto' or 'all', got {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"validation users must be a positive integer, 'auto' or 'all', got {value!r}")
    return int(value)


def training_matrices(prepared: Prepared) -> tuple[Interactions, Interactions]:
    """The training matrix and the validation matrix on its indices, from prepared data."""
    train = prepared.matrix("train")
    return train, prepared.matrix("val", like=train)


def headline_metrics(
    model: Recommender, val: Interactions | None, history: list[dict[str, float]]
) -> dict[str, float]:
    """What is stored with a trained model (see the module docstring).

    Parameters
    ----------
    model : Recommender
        The fitted model.
    val : Interactions, optional
        The validation matrix on the model's training indices.
    history : list of dict
        The per-epoch reports, as the callback received them.

    Returns
    -------
    dict
        Metric name -> value.
    """
    out: dict[str, float] = {}
    if history:
        last = history[-1]
        out.update({k: float(v) for k, v in last.items() if k.startswith("val_") or k == "train_loss"})
        out["epochs"] = float(len(history))
        out["train_seconds"] = float(sum(row.get("seconds", 0.0) for row in history))
    if val is not None and val.nnz:
        final = evaluate_model(model, val, k=(FINAL_K,), exclude_seen=True, n_boot=0)
        if final.users:
            wanted = (f"ndcg@{FINAL_K}", f"precision@{FINAL_K}", f"recall@{FINAL_K}")
            out.update({name: value for name, value in final.metrics().items() if name in wanted})
            out["final_users"] = float(final.users)
    return out


def fit_and_save(
    model: Recommender,
    train: Interactions,
    val: Interactions | None,
    out: str | Path,
    *,
    fingerprint: str | None = None,
    callback: TrainCallback | None = None,
    stop: StopFlag | None = None,
    save_on_stop: bool = True,
    validate: Callable[..., dict[str, float]] | None = None,
    val_users: int | str | None = DEFAULT_VAL_USERS,
) -> dict[str, Any]:
    """Fit ``model``, store its headline metrics and fingerprint, save it atomically, and report.

    Parameters
    ----------
    model : Recommender
        An untrained model.
    train, val : Interactions
        The training matrix and the validation matrix on its indices (``val`` may be ``None``).
    out : str or pathlib.Path
        The ``.pt`` file to write (:func:`recsys.app.workspace.model_path` gives a store name's).
    fingerprint : str, optional
        The data's fingerprint, stored in the model.
    callback : callable, optional
        ``callback(epoch, metrics)`` after every epoch (a progress bar, a live chart).
    stop : StopFlag, optional
        Set to end the training after the current epoch.
    save_on_stop : bool
        Save the model also when ``stop`` ended it early.
    validate : callable, optional
        The per-epoch validation metric; by default
        :func:`recsys.evaluation.validation.ndcg_validator` on ``val_users`` users.
    val_users : int, str or None
        Size of the fixed, seeded sample of validation users the default per-epoch NDCG@10 is measured
        on (:data:`DEFAULT_VAL_USERS`: ``"auto"``); ``"all"`` or None for every one (see
        :func:`val_users_setting`). Each epoch's ``val_users`` in ``history`` is the number actually
        measured.

    Returns
    -------
    dict
        ``model`` (path, or ``None`` when stopped and not saved), ``kind``, ``config``, ``seconds`` (the
        fit's wall time), ``epochs``, ``history``, ``metrics``, ``fingerprint``, ``stopped``,
        ``val_users`` (the sample setting: a number, the one ``"auto"`` settled on, or ``"all"``),
        ``final_seconds`` (the headline
        metrics' evaluation of every validation user, after the fit).

    Raises
    ------
    BusyError
        Another process (or thread) is training or writing the same model file.
    """
    out = Path(out)
    if out.suffix != ".pt":
        raise ConfigError(f"a model file must end in .pt, got {out}")
    sample = val_users_setting(val_users)
    if validate is None:
        validate = ndcg_validator(sample_users=sample)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(file_lock(out, timeout=0))
        except OSError as exc:  # a folder that cannot be made or written: said before training for nothing
            raise ModelError(f"cannot write model file {out}: {exc}") from exc
        report = _fit_and_save_locked(
            model, train, val, out, fingerprint=fingerprint, callback=callback, stop=stop,
            save_on_stop=save_on_stop, validate=validate,
        )
    if sample == AUTO:  # the number the validator settled on; before any validation, the largest it can be
        sample = getattr(validate, "sample_size", None) or auto_sample_size(train.n_users)
    return {**report, "val_users": "all" if sample is None else sample}


def _fit_and_save_locked(
    model: Recommender,
    train: Interactions,
    val: Interactions | None,
    out: Path,
    *,
    fingerprint: str | None,
    callback: TrainCallback | None,
    stop: StopFlag | None,
    save_on_stop: bool,
    validate: Callable[..., dict[str, float]] | None,
) -> dict[str, Any]:
    """:func:`fit_and_save` holding the model file's lock."""
    history: list[dict[str, float]] = []

    def record(epoch: int, metrics: dict[str, float]) -> None:
        history.append({k: float(v) for k, v in metrics.items()})
        if callback is not None:
            callback(epoch, metrics)

    start = time.perf_counter()
    try:
        model.fit(train, val=val, callback=record, stop=stop,
                  validate=validate if validate is not None else ndcg_validator())
    except TrainingCancelled:
        # stopped before any model existed (a cancelled Spark job keeps no factors): nothing to save
        return {
            "model": None, "kind": model.kind, "config": model.config_dict(),
            "seconds": time.perf_counter() - start, "epochs": len(history), "history": history,
            "metrics": {}, "fingerprint": fingerprint, "stopped": True, "final_seconds": 0.0,
        }
    seconds = time.perf_counter() - start
    if fingerprint is not None:
        model.fingerprint = fingerprint
    final_start = time.perf_counter()
    model.metrics = {**model.metrics, **headline_metrics(model, val, history)}
    final_seconds = time.perf_counter() - final_start
    planned = int(getattr(model.config, "epochs", 1) or 1)
    stopped = stop is not None and stop.is_set() and len(history) < planned
    path: Path | None = None
    if not stopped or save_on_stop:
        path = model.save(out)
    return {
        "model": str(path) if path is not None else None,
        "kind": model.kind,
        "config": model.config_dict(),
        "seconds": seconds,
        "epochs": len(history),
        "history": history,
        "metrics": dict(model.metrics),
        "fingerprint": fingerprint,
        "stopped": stopped,
        "final_seconds": final_seconds,
    }


def train_and_save(
    model: Recommender,
    prepared: Prepared,
    out: str | Path,
    *,
    callback: TrainCallback | None = None,
    stop: StopFlag | None = None,
    val_users: int | str | None = DEFAULT_VAL_USERS,
) -> dict[str, Any]:
    """:func:`fit_and_save` on a prepared dataset's train split (validating on val).

    ``val_users`` is :func:`fit_and_save`'s: the per-epoch validation sample (a number, ``"auto"`` or
    ``"all"``).

    Returns
    -------
    dict
        :func:`fit_and_save`'s report plus ``data`` (the prepared folder).
    """
    train, val = training_matrices(prepared)
    report = fit_and_save(
        model, train, val, out, fingerprint=prepared.fingerprint, callback=callback, stop=stop,
        val_users=val_users,
    )
    return {**report, "data": str(prepared.folder)}
