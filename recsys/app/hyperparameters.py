"""What the Train page lets a user set for each model kind, described from the config dataclasses.

Each model's settings live in one ``@dataclass`` config (``WMFConfig``, ``BasicConfig``...); this module
turns its fields into :class:`Setting` descriptions (type, default, choices, help text taken from the
config's numpydoc ``Attributes`` section), so the page draws its widgets from the model itself and a new
setting appears in the UI without touching the page.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass

from recsys.errors import ConfigError
from recsys.models import MODELS
from recsys.models.wmf_config import CONFIDENCES, SOLVERS, TRAINERS

__all__ = [
    "CHOICES",
    "MAIN_SETTINGS",
    "NOTEBOOK_SETTINGS",
    "TRAINER_ONLY",
    "Setting",
    "SettingValue",
    "settings_for",
]

SettingValue = int | float | bool | str | None
"""What one setting holds: the plain values a model config accepts (and a widget returns)."""

MAIN_SETTINGS = (
    "trainer",
    "embedding_dim",
    "epochs",
    "learning_rate",
    "reg",
    "alpha",
    "dropout_rate",
    "bias",
    "sigmoid",
    "seed",
    "patience",
)
"""Settings shown up front (the notebook's keys); the others go under "advanced"."""

CHOICES: dict[str, tuple[str, ...]] = {
    # The WMF choice lists are the models layer's, so a new trainer or solver needs one edit there.
    "trainer": TRAINERS,
    "confidence": CONFIDENCES,
    "solver": SOLVERS,
    # The config accepts any torch device name; the page offers the three that make sense on one machine.
    "device": ("auto", "cpu", "cuda"),
}
"""Allowed values of the text settings."""

TRAINER_ONLY: dict[str, str] = {
    "learning_rate": "adamw",
    "dropout_rate": "adamw",
    "batch_size": "adamw",
    "weight_decay": "adamw",
    "solver": "als",
    "cg_steps": "als",
}
"""Settings that only one WMF trainer uses (the page disables them for the other)."""

NOTEBOOK_SETTINGS: dict[str, SettingValue] = {
    "trainer": "adamw",
    "embedding_dim": 32,
    "epochs": 15,
    "learning_rate": 0.005,
    "reg": 0.0,
    "weight_decay": 0.005,
    "alpha": 40.0,
    "eps": 1e-8,
    "confidence": "log",
    "dropout_rate": 0.0,
    "bias": False,
}
"""The customer's notebook's WMF: AdamW with weight decay 0.005, 32 factors, log confidence (alpha 40).
The Train page offers it as a preset and names these values in the help where our defaults differ."""


@dataclass(frozen=True)
class Setting:
    """One hyperparameter as the Train page shows it.

    Attributes
    ----------
    name : str
        The config field.
    type : {"int", "float", "bool", "choice", "optional_int", "text"}
        Widget kind.
    default : int, float, bool, str or None
        The config's default.
    choices : tuple of str
        For ``"choice"``.
    help : str
        From the config's docstring (plus the notebook's value when it differs).
    advanced : bool
        Not one of :data:`MAIN_SETTINGS`.
    trainer : str or None
        The only WMF trainer using it, if any.
    """

    name: str
    type: str
    default: SettingValue
    choices: tuple[str, ...] = ()
    help: str = ""
    advanced: bool = False
    trainer: str | None = None


def settings_for(kind: str) -> list[Setting]:
    """The settings of model ``kind``, main ones first in :data:`MAIN_SETTINGS` order.

    Parameters
    ----------
    kind : str
        A key of :data:`recsys.models.MODELS`.

    Returns
    -------
    list of Setting

    Raises
    ------
    ConfigError
        Unknown kind.
    """
    cls = MODELS.get(kind)
    if cls is None:
        raise ConfigError(f"unknown model kind {kind!r}: choose one of {', '.join(MODELS)}")
    config_class = cls.config_class
    docs = _attribute_docs(config_class.__doc__ or "")
    hints = typing.get_type_hints(config_class)
    out = []
    for f in dataclasses.fields(config_class):
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        help_text = docs.get(f.name, "")
        if f.name in NOTEBOOK_SETTINGS and NOTEBOOK_SETTINGS[f.name] != default:
            help_text = f"{help_text} (the notebook used {NOTEBOOK_SETTINGS[f.name]})".strip()
        out.append(
            Setting(
                name=f.name,
                type=_widget_type(f.name, hints.get(f.name), default),
                default=default,
                choices=CHOICES.get(f.name, ()),
                help=help_text,
                advanced=f.name not in MAIN_SETTINGS,
                trainer=TRAINER_ONLY.get(f.name) if kind == "wmf" else None,
            )
        )
    rank = {name: i for i, name in enumerate(MAIN_SETTINGS)}
    return sorted(out, key=lambda s: (s.advanced, rank.get(s.name, len(rank))))


def _widget_type(name: str, hint: object, default: SettingValue) -> str:
    """The widget kind of a config field, from its type hint (``int | None`` -> ``"optional_int"``)."""
    if name in CHOICES:
        return "choice"
    args = typing.get_args(hint)
    optional = isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    if base is bool or isinstance(default, bool):
        return "bool"
    if base is int or (isinstance(default, int) and not isinstance(default, bool)):
        return "optional_int" if optional else "int"
    if base is float or isinstance(default, float):
        return "float"
    return "text"


def _attribute_docs(doc: str) -> dict[str, str]:
    """``name -> description`` from a numpydoc ``Attributes`` section (``a, b : type`` lines too)."""
    lines = doc.splitlines()
    out: dict[str, str] = {}
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Attributes") + 2
    except StopIteration:
        return out
    names: list[str] = []
    text: list[str] = []
    head = re.compile(r"^\s{0,4}([A-Za-z_][\w, ]*?)\s*:\s*\S")

    def flush() -> None:
        for n in names:
            out[n] = " ".join(text).strip()

    for line in lines[start:]:
        if not line.strip():
            continue
        match = head.match(line)
        if match and len(line) - len(line.lstrip()) <= 4:
            flush()
            names = [n.strip() for n in match.group(1).split(",") if n.strip()]
            text = []
        else:
            text.append(line.strip())
    flush()
    return out
