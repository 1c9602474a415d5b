"""Model configs: frozen, checked once on creation, and the choice lists defined in one place."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from recsys.errors import ConfigError
from recsys.models import (
    BasicConfig,
    PopularityConfig,
    RandomConfig,
    WMFConfig,
    create_model,
    wmf_config,
    wmf_loss,
)
from recsys.models.wmf import CONFIDENCES, SOLVERS, TRAINERS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("config", [WMFConfig(), BasicConfig(), PopularityConfig(), RandomConfig()])
def test_configs_are_frozen(config):
    field = next(iter(dataclasses.fields(config)), None)
    if field is None:
        assert dataclasses.is_dataclass(config) and type(config).__dataclass_params__.frozen
        return
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(config, field.name, getattr(config, field.name))


def test_replace_checks_the_new_config():
    cfg = WMFConfig(epochs=3)
    assert dataclasses.replace(cfg, epochs=5).epochs == 5 and cfg.epochs == 3
    with pytest.raises(ConfigError, match="epochs must be from 1 to 10000, got 0"):
        dataclasses.replace(cfg, epochs=0)
    with pytest.raises(ConfigError, match="popularity_weight"):
        dataclasses.replace(BasicConfig(), popularity_weight=2.0)
    with pytest.raises(ConfigError, match="seed"):
        dataclasses.replace(RandomConfig(), seed=-3)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"embedding_dim": "64"}, "embedding_dim must be an integer, got '64'"),
        ({"epochs": 2.5}, "epochs must be an integer, got 2.5"),
        ({"epochs": True}, "epochs must be an integer"),
        ({"patience": "3"}, "patience must be an integer"),
        ({"reg": "10"}, "reg must be a number, got '10'"),
        ({"reg": float("nan")}, "reg must be finite, got nan"),
        ({"learning_rate": float("inf")}, "learning_rate must be finite"),
        ({"solver": "lu"}, "solver must be one of"),
        ({"device": 3}, "device"),
        ({"device": "no-such-device"}, "device"),
    ],
)
def test_wmf_config_names_the_bad_value(settings, match):
    with pytest.raises(ConfigError, match=match):
        WMFConfig(**settings)


def test_wmf_config_takes_numpy_and_integral_values():
    cfg = WMFConfig(embedding_dim=np.int64(8), epochs=4.0, reg=np.float64(2.0), patience=None)
    assert cfg.embedding_dim == 8 and cfg.epochs == 4.0


@pytest.mark.parametrize(
    ("cls", "settings", "match"),
    [
        (BasicConfig, {"popularity_weight": 1.0}, r"popularity_weight must be in \[0, 1\), got 1.0"),
        (BasicConfig, {"popularity_weight": "0.1"}, "popularity_weight"),
        (RandomConfig, {"seed": 1.5}, "seed must be a non-negative integer, got 1.5"),
    ],
)
def test_baseline_configs_check_themselves(cls, settings, match):
    with pytest.raises(ConfigError, match=match):
        cls(**settings)
    kind = {BasicConfig: "basic", RandomConfig: "random"}[cls]
    with pytest.raises(ConfigError, match=match):
        create_model(kind, **settings)


def test_choice_lists_are_defined_once():
    assert TRAINERS is wmf_config.TRAINERS and SOLVERS is wmf_config.SOLVERS
    assert CONFIDENCES is wmf_config.CONFIDENCES is wmf_loss.CONFIDENCES
    # the default comes first, as the Train page's widgets show the choices
    assert WMFConfig().trainer == TRAINERS[0] and WMFConfig().confidence == CONFIDENCES[0]
    assert WMFConfig().solver in SOLVERS


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", ["data", "models"])
def test_lower_layers_never_import_upper_ones(layer):
    upper = ("recsys.evaluation", "recsys.app", "recsys.ui", "recsys.commands")
    bad = {
        str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if n.startswith(upper))
        for path in sorted((ROOT / "recsys" / layer).rglob("*.py"))
    }
    assert {path: names for path, names in bad.items() if names} == {}
