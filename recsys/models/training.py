"""Controls shared by iterative trainers: a stop flag and early stopping.

The dashboard trains in a worker thread and must be able to end a fit cleanly from the UI thread;
:class:`StopFlag` is that signal (checked by the trainer after every epoch). :class:`EarlyStopping`
watches a validation metric and says when it has stopped improving.
"""

from __future__ import annotations

import math
import threading

from recsys.errors import ConfigError

__all__ = ["StopFlag", "EarlyStopping"]


class StopFlag:
    """A thread-safe "please stop" signal.

    A trainer checks :meth:`is_set` after each epoch and, when set, ends training after that epoch
    with the factors it has (nothing is half-updated).
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Ask the trainer to stop after its current epoch."""
        self._event.set()

    def clear(self) -> None:
        """Withdraw the request (to reuse the flag for another fit)."""
        self._event.clear()

    def is_set(self) -> bool:
        """Whether a stop was asked for."""
        return self._event.is_set()


class EarlyStopping:
    """Stop when a metric has not improved for ``patience`` epochs.

    Parameters
    ----------
    patience : int
        Epochs without improvement tolerated before stopping (at least 1).
    mode : {"max", "min"}
        Whether a larger (``"max"``, e.g. NDCG) or smaller (``"min"``, e.g. a loss) value is better.
    min_delta : float
        Smallest change that counts as an improvement.

    Attributes
    ----------
    best : float
        Best value seen so far.
    best_epoch : int
        Epoch (1-based) of ``best``; 0 before any update.
    """

    def __init__(self, patience: int, *, mode: str = "max", min_delta: float = 0.0) -> None:
        if int(patience) < 1:
            raise ConfigError(f"patience must be at least 1, got {patience}")
        if mode not in ("max", "min"):
            raise ConfigError(f"mode must be 'max' or 'min', got {mode!r}")
        if min_delta < 0:
            raise ConfigError(f"min_delta must be non-negative, got {min_delta}")
        self.patience = int(patience)
        self.mode = mode
        self.min_delta = float(min_delta)
        self.best = -math.inf if mode == "max" else math.inf
        self.best_epoch = 0
        self._bad = 0

    def update(self, epoch: int, value: float) -> bool:
        """Record ``value`` for ``epoch``; return whether it is a new best.

        A NaN value never counts as an improvement.
        """
        better = (
            value > self.best + self.min_delta if self.mode == "max" else value < self.best - self.min_delta
        )
        if better:
            self.best = float(value)
            self.best_epoch = int(epoch)
            self._bad = 0
        else:
            self._bad += 1
        return better

    @property
    def should_stop(self) -> bool:
        """Whether ``patience`` epochs in a row failed to improve."""
        return self._bad >= self.patience
