"""``python -m recsys train``: train one model on prepared data and save it to a model file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from recsys.app.training import train_and_save
from recsys.app.workspace import ensure_prepared, model_path
from recsys.commands.progress import epoch_bar
from recsys.errors import ConfigError
from recsys.models import MODELS, create_model
from recsys.models.wmf_config import CONFIDENCES, TRAINERS

__all__ = ["HELP", "add_arguments", "run"]

HELP = "train a model (basic, popularity, random, wmf) on prepared data and save it"

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
    parser.add_argument("--trainer", choices=TRAINERS, help="WMF trainer (default als)")
    parser.add_argument("--embedding-dim", type=int, help="WMF factors per user and track (default 64)")
    parser.add_argument("--epochs", type=int, help="WMF training epochs (default 15)")
    parser.add_argument("--reg", type=float, help="WMF L2 regularisation (default 10)")
    parser.add_argument("--alpha", type=float, help="WMF confidence scale (default 1; the notebook's 40)")
    parser.add_argument("--confidence", choices=CONFIDENCES,
                        help="WMF confidence: linear 1+alpha*score (default) or the notebook's log form")
    parser.add_argument("--eps", type=float, help="WMF log-confidence epsilon (the notebook's 1e-8)")
    parser.add_argument("--learning-rate", type=float, help="WMF AdamW learning rate")
    parser.add_argument("--seed", type=int, help="random seed (wmf, random)")
    parser.add_argument("--patience", type=int, help="WMF early stopping: epochs without improvement")
    parser.add_argument("--out", type=Path, help="model file to write (default model_files/<kind>.pt)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prepare or load the data, train with a progress bar, save; return the ``--json`` object."""
    given = {flag: getattr(args, flag) for flag in _SETTINGS}
    settings = {_SETTINGS[flag]: value for flag, value in given.items() if value is not None}
    model = create_model(args.model, **settings)  # before loading data: a bad flag fails fast
    out = args.out if args.out is not None else model_path(args.model)
    if Path(out).suffix != ".pt":
        raise ConfigError(f"--out must name a .pt file, got {out}")
    prepared = ensure_prepared(args.data)
    with epoch_bar(model) as progress:
        return train_and_save(model, prepared, out, callback=progress)
