"""``python -m recsys train``: train one model on prepared data and save it to a model file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from recsys.errors import ConfigError
from recsys.models import MODELS, Recommender, create_model

__all__ = ["HELP", "add_arguments", "run", "train_and_save", "DEFAULT_MODEL_DIR"]

HELP = "train a model (basic, popularity, random, wmf) on prepared data and save it"

DEFAULT_MODEL_DIR = Path("model_files")

# Flag -> config key. Only the flags given on the command line are passed on, so each model keeps its
# own defaults and a flag the chosen model does not have is a clear error, not silently ignored.
_SETTINGS = {
    "trainer": "trainer",
    "embedding_dim": "embedding_dim",
    "epochs": "epochs",
    "reg": "reg",
    "alpha": "alpha",
    "confidence": "confidence",
    "eps": "eps",
    "learning_rate": "learning_rate",
    "seed": "seed",
    "patience": "patience",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` options to ``parser``."""
    parser.add_argument("--data", required=True, help="prepared or raw data folder")
    parser.add_argument("--model", required=True, choices=sorted(MODELS), help="model kind")
    parser.add_argument("--trainer", choices=["als", "adamw"], help="WMF trainer (default als)")
    parser.add_argument("--embedding-dim", type=int, help="WMF factors per user and track (default 64)")
    parser.add_argument("--epochs", type=int, help="WMF training epochs (default 15)")
    parser.add_argument("--reg", type=float, help="WMF L2 regularisation (default 10)")
    parser.add_argument("--alpha", type=float, help="WMF confidence scale (default 1; the notebook's 40)")
    parser.add_argument("--confidence", choices=["linear", "log"],
                        help="WMF confidence: linear 1+alpha*score (default) or the notebook's log form")
    parser.add_argument("--eps", type=float, help="WMF log-confidence epsilon (the notebook's 1e-8)")
    parser.add_argument("--learning-rate", type=float, help="WMF AdamW learning rate")
    parser.add_argument("--seed", type=int, help="random seed (wmf, random)")
    parser.add_argument("--patience", type=int, help="WMF early stopping: epochs without improvement")
    parser.add_argument("--out", type=Path, help="model file to write (default model_files/<kind>.pt)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prepare or load the data, train, save; return the ``--json`` object."""
    from recsys.data.prepare import ensure_prepared

    given = {flag: getattr(args, flag) for flag in _SETTINGS}
    settings = {_SETTINGS[flag]: value for flag, value in given.items() if value is not None}
    model = create_model(args.model, **settings)  # before loading data: a bad flag fails fast
    prepared = ensure_prepared(args.data)
    out = args.out if args.out is not None else DEFAULT_MODEL_DIR / f"{args.model}.pt"
    return train_and_save(model, prepared, out)


def train_and_save(
    model: Recommender, prepared: Any, out: str | Path, *, progress: bool = True
) -> dict[str, Any]:
    """Fit ``model`` on ``prepared``'s train split (validating on val), save it, report.

    Parameters
    ----------
    model : Recommender
        An untrained model.
    prepared : recsys.data.prepare.Prepared
        The prepared data; its fingerprint is stored in the model.
    out : str or pathlib.Path
        Model file to write (atomically).
    progress : bool
        Show a per-epoch progress bar with the losses on stderr.

    Returns
    -------
    dict
        ``model`` (path), ``kind``, ``config``, ``seconds`` (the fit's wall time, data loading
        excluded), ``epochs``, ``history`` (the callback's dicts), ``metrics``, ``fingerprint``,
        ``data`` (the prepared folder).
    """
    out = Path(out)
    if out.suffix != ".pt":
        raise ConfigError(f"--out must name a .pt file, got {out}")
    from recsys.app.jobs import training_matrices

    train, val = training_matrices(prepared)
    history: list[dict[str, float]] = []
    total = int(getattr(model.config, "epochs", 1) or 1)
    bar = tqdm(
        total=total,
        desc=f"train {model.kind}",
        unit="epoch",
        file=sys.stderr,
        disable=not progress,
        mininterval=0,
        dynamic_ncols=True,
    )

    def callback(epoch: int, metrics: dict[str, float]) -> None:
        history.append({k: float(v) for k, v in metrics.items()})
        shown = {k: f"{float(v):.4g}" for k, v in metrics.items() if k != "seconds"}
        bar.set_postfix(shown, refresh=False)
        bar.update(1)

    try:
        start = time.perf_counter()
        model.fit(train, val=val, callback=callback)
        seconds = time.perf_counter() - start
    finally:
        bar.close()
    model.fingerprint = prepared.fingerprint
    path = model.save(out)
    return {
        "model": str(path),
        "kind": model.kind,
        "config": model.config_dict(),
        "seconds": seconds,
        "epochs": len(history),
        "history": history,
        "metrics": dict(model.metrics),
        "fingerprint": prepared.fingerprint,
        "data": str(prepared.folder),
    }
