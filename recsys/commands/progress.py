"""The CLI's progress bar for training: one tqdm bar per fit, fed by the model's epoch callback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from recsys.models.base import Recommender, TrainCallback

__all__ = ["epoch_bar"]


@contextmanager
def epoch_bar(model: Recommender) -> Iterator[TrainCallback]:
    """A progress bar on stderr over ``model``'s epochs; yields the ``callback(epoch, metrics)`` to pass
    to the training driver (it shows the latest losses beside the bar)."""
    with tqdm(
        total=int(getattr(model.config, "epochs", 1) or 1),
        desc=f"train {model.kind}",
        unit="epoch",
        file=sys.stderr,
        mininterval=0,
        dynamic_ncols=True,
    ) as bar:

        def callback(epoch: int, metrics: dict[str, float]) -> None:
            shown = {k: f"{float(v):.4g}" for k, v in metrics.items() if k != "seconds"}
            bar.set_postfix(shown, refresh=False)
            bar.update(1)

        yield callback
