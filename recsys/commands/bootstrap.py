"""``python -m recsys bootstrap``: everything the dashboard needs on a first run.

``make run`` calls it before opening the dashboard. In order, each step only when its output is
missing: generate the demo dataset into ``--data`` (when the folder has no ``sessions.jsonl``), prepare
it (the pipeline skips unchanged input), and train the default models (``basic`` and ``wmf`` with default
settings) into ``--models`` when their files are absent. Run again, it only checks and is quick.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from recsys.app.exploration import overview_cached, stored_history, stored_overlap, stored_sparsity
from recsys.app.group_builder import directory_index_of
from recsys.app.training import train_and_save
from recsys.app.workspace import ensure_prepared, model_path
from recsys.commands.bounds import MAX_USERS_OR_TRACKS, int_in, seed
from recsys.commands.progress import epoch_bar
from recsys.data.demo import generate_dataset
from recsys.errors import ModelError
from recsys.evaluation.diagnostics import diagnose_cached
from recsys.models import MODELS, check_fingerprint, create_model, load_model

__all__ = ["HELP", "add_arguments", "run", "DEFAULT_KINDS"]

HELP = "generate the demo data if missing, prepare it and train the default models (used by make run)"

DEFAULT_KINDS: tuple[str, ...] = ("basic", "wmf")
"""Models trained on first run: the notebook's two group recommenders."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``bootstrap`` options to ``parser``."""
    parser.add_argument(
        "--data", type=Path, default=Path("data_files/demo"), help="raw data folder (default data_files/demo)"
    )
    parser.add_argument(
        "--prepared", type=Path, help="prepared folder (default data_files/processed/<data folder name>)"
    )
    parser.add_argument(
        "--models", type=Path, default=None, help="model folder (default model_files, or $RECSYS_MODEL_ROOT)"
    )
    parser.add_argument("--seed", type=seed, default=0, help="seed of the generated demo data (default 0)")
    parser.add_argument(
        "--users", type=int_in(1, MAX_USERS_OR_TRACKS), default=1000, help="demo users (default 1000)"
    )
    parser.add_argument(
        "--tracks", type=int_in(1, MAX_USERS_OR_TRACKS), default=5000, help="demo tracks (default 5000)"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the missing steps; return what was done (``--json`` object)."""
    start = time.perf_counter()
    data = Path(args.data)
    generated = False
    if not (data / "sessions.jsonl").is_file():
        _say(f"no sessions.jsonl in {data}: generating the demo dataset")
        generate_dataset(data, users=args.users, tracks=args.tracks, seed=args.seed)
        generated = True
    prepared = ensure_prepared(data, args.prepared)
    # Stored beside the tables, so the dashboard's first render does not wait for the bootstraps, nor
    # for the Data page's overview, sparsity and overlap and the Group builder's directory and history
    # (10 s, 2 s, 2 s and 5 s at 50,000 users on a fresh server otherwise).
    verdict = diagnose_cached(prepared).verdict
    overview_cached(prepared)
    stored_sparsity(prepared)
    stored_overlap(prepared)
    stored_history(prepared)
    directory_index_of(prepared)
    models: dict[str, dict[str, Any]] = {}
    for kind in DEFAULT_KINDS:
        if kind not in MODELS:
            models[kind] = {"status": "unavailable"}
            continue
        path = model_path(kind, args.models)
        reason = _needs_training(path, prepared.fingerprint)
        if reason is None:
            models[kind] = {"status": "exists", "path": str(path)}
            continue
        _say(f"training the {kind} model ({reason})")
        model = create_model(kind)
        with epoch_bar(model) as progress:
            report = train_and_save(model, prepared, path, callback=progress)
        models[kind] = {"status": "trained", "path": str(path), "reason": reason}
        models[kind]["seconds"] = report["seconds"]
    return {
        "data": str(data),
        "generated": generated,
        "prepared": str(prepared.folder),
        "fingerprint": prepared.fingerprint,
        "verdict": verdict,
        "models": models,
        "seconds": time.perf_counter() - start,
    }


def _needs_training(path: Path, fingerprint: str | None) -> str | None:
    """Why ``path`` must be (re)trained, or ``None`` when it is usable as it is.

    A model trained on other data is kept (the user may have trained it on purpose): the dashboard
    warns about it. Only a missing or unreadable file is replaced.
    """
    if not path.exists():
        return f"{path} does not exist"
    try:
        model = load_model(path)
    except ModelError as exc:
        return f"unreadable: {exc}"
    warning = check_fingerprint(model, fingerprint, source=path)
    if warning:
        _say(warning)
    return None


def _say(message: str) -> None:
    print(message, file=sys.stderr)
