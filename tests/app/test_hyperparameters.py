"""The Train page's settings, read from the models' config dataclasses."""

from __future__ import annotations

import pytest

from recsys.app.hyperparameters import (
    BOUNDS,
    CHOICES,
    MAIN_SETTINGS,
    PLAIN_HELP,
    _attribute_docs,
    settings_for,
)
from recsys.errors import ConfigError
from recsys.models import MODELS
from recsys.models.wmf import SOLVERS, TRAINERS
from recsys.models.wmf_loss import CONFIDENCES


def test_every_kind_has_its_config_fields() -> None:
    import dataclasses

    for kind, cls in MODELS.items():
        specs = settings_for(kind)
        assert {s.name for s in specs} == {f.name for f in dataclasses.fields(cls.config_class)}
        for s in specs:
            assert s.type in {"int", "float", "bool", "choice", "optional_int", "text"}


def test_basic_and_random() -> None:
    (pw,) = settings_for("basic")
    assert (pw.name, pw.type, pw.advanced) == ("popularity_weight", "float", True)
    assert pw.help.startswith("Weight")
    (seed,) = settings_for("random")
    assert (seed.name, seed.type, seed.default, seed.advanced) == ("seed", "int", 0, False)


def test_wmf_settings_follow_the_config() -> None:
    assert "wmf" in MODELS
    specs = {s.name: s for s in settings_for("wmf")}
    order = [s.name for s in settings_for("wmf") if not s.advanced]
    assert order == [n for n in MAIN_SETTINGS if n in specs]
    assert specs["trainer"].type == "choice" and specs["trainer"].choices == ("als", "adamw")
    assert specs["embedding_dim"].type == "int"
    assert "original prototype used 32" in specs["embedding_dim"].help
    assert specs["learning_rate"].default == 0.005 and specs["learning_rate"].trainer == "adamw"
    assert specs["alpha"].default == 1.0 and specs["alpha"].type == "float"
    assert "original prototype used 40.0" in specs["alpha"].help
    assert "original prototype used log" in specs["confidence"].help
    assert specs["bias"].type == "bool" and specs["sigmoid"].default is False
    assert specs["patience"].type == "optional_int"
    assert specs["solver"].advanced and specs["solver"].trainer == "als"


def test_choices_are_the_models_own_lists() -> None:
    # one definition in the models layer: the page offers exactly what the config accepts
    assert CHOICES["trainer"] is TRAINERS and CHOICES["solver"] is SOLVERS
    assert CHOICES["confidence"] is CONFIDENCES
    specs = {s.name: s for s in settings_for("wmf")}
    assert specs["confidence"].choices == CONFIDENCES and specs["solver"].choices == SOLVERS


def test_unknown_kind() -> None:
    with pytest.raises(ConfigError, match="unknown model kind 'svd'"):
        settings_for("svd")


def test_attribute_docs_parser() -> None:
    doc = """Settings.

    Attributes
    ----------
    a, b : float
        Two together,
        over two lines.
    c : int
        Alone.
    """
    both = "Two together, over two lines."
    assert _attribute_docs(doc) == {"a": both, "b": both, "c": "Alone."}


def test_numbers_have_bounds_and_help_in_plain_words() -> None:
    specs = {s.name: s for s in settings_for("wmf")}
    # 100,000 epochs ("about 21 h left") or a negative regularisation are refused by the widget
    assert (specs["epochs"].min_value, specs["epochs"].max_value) == (1, 1000)
    assert isinstance(specs["epochs"].max_value, int)
    assert specs["reg"].min_value == 0.0 and isinstance(specs["reg"].max_value, float)
    assert specs["patience"].type == "optional_int" and specs["patience"].min_value == 1
    assert specs["trainer"].min_value is None  # not a number
    for spec in settings_for("wmf") + settings_for("basic") + settings_for("random"):
        if spec.type in {"int", "float", "optional_int"} and spec.name in BOUNDS:
            assert spec.min_value <= (spec.default if spec.default is not None else spec.min_value)
            assert spec.max_value >= (spec.default if spec.default is not None else spec.max_value)
        if spec.name in PLAIN_HELP:
            # no formulas, code names or "the notebook" in what the page shows
            assert "``" not in spec.help and "notebook" not in spec.help and "^" not in spec.help
