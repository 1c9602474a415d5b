"""Pozytywka group recommendation analytics: data pipeline, models, evaluation, diagnostics.

The public names below are imported lazily (on first attribute access), so ``python -m recsys`` and
the dashboard start without loading torch until a model is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "RecsysError": "recsys.errors",
    "DataError": "recsys.errors",
    "ConfigError": "recsys.errors",
    "ModelError": "recsys.errors",
    "UnknownUserError": "recsys.errors",
    "TrainingError": "recsys.errors",
    # data
    "Interactions": "recsys.data.interactions",
    "PrepareSettings": "recsys.data.process",
    "Prepared": "recsys.data.prepared",
    "prepare": "recsys.data.prepare",
    "load_prepared": "recsys.data.prepared",
    "ensure_prepared": "recsys.app.workspace",
    "generate_dataset": "recsys.data.demo",
    # models
    "Recommender": "recsys.models",
    "MODELS": "recsys.models",
    "create_model": "recsys.models",
    "load_model": "recsys.models",
    "WMF": "recsys.models",
    "WMFConfig": "recsys.models",
    "BasicModel": "recsys.models",
    "PopularityModel": "recsys.models",
    "RandomModel": "recsys.models",
    "StopFlag": "recsys.models.training",
    "EarlyStopping": "recsys.models.training",
    # groups, evaluation, diagnostics
    "aggregate": "recsys.models.group",
    "STRATEGIES": "recsys.models.group",
    "evaluate_model": "recsys.evaluation",
    "compare_models": "recsys.evaluation",
    "make_groups": "recsys.evaluation",
    "evaluate_groups": "recsys.evaluation",
    "diagnose": "recsys.evaluation.diagnostics",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'recsys' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
