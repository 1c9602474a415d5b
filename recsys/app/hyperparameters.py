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
from recsys.models.wmf_config import CONFIDENCES, ENGINES, REG_SCALINGS, SOLVERS, TRAINERS

__all__ = [
    "BOUNDS",
    "CHOICES",
    "ENGINE_ONLY",
    "ENGINES",
    "MAIN_SETTINGS",
    "NOTEBOOK_SETTINGS",
    "PLAIN_HELP",
    "TRAINER_ONLY",
    "Setting",
    "SettingValue",
    "settings_for",
]

SettingValue = int | float | bool | str | tuple[str, ...] | None
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
    "reg_scaling": REG_SCALINGS,
    "engine": ENGINES,
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

ENGINE_ONLY: dict[str, str] = {"spark_master": "spark", "spark_conf": "spark", "spark_blocks": "spark"}
"""Settings that only one WMF engine uses (``engine="spark"`` also needs ``reg_scaling="count"``, the ALS
trainer, no biases and no patience: :class:`~recsys.models.wmf_config.WMFConfig` names any other)."""

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
The Train page offers it as a preset ("the original prototype's settings") and names these values in the
help where our defaults differ."""

BOUNDS: dict[str, tuple[float, float]] = {
    # Wide enough for every sensible experiment, narrow enough that a slip of the keyboard (100,000
    # epochs, a negative regularisation) is refused by the widget instead of running for a day.
    "popularity_weight": (0.0, 1.0),
    "embedding_dim": (1, 1024),
    "epochs": (1, 1000),
    "learning_rate": (1e-6, 1.0),
    "reg": (0.0, 1e6),
    "alpha": (0.0, 1e4),
    "dropout_rate": (0.0, 0.95),
    "seed": (0, 2**31 - 1),
    "patience": (1, 1000),
    "eps": (1e-12, 1.0),
    "threshold": (0.0, 1e6),
    "batch_size": (1, 100_000),
    "weight_decay": (0.0, 1.0),
    "cg_steps": (1, 50),
    "woodbury_below": (1, 4096),
    "init_scale": (1e-6, 1.0),
    "spark_blocks": (1, 10_000),
}
"""Setting name -> (smallest, largest) value the Train page accepts."""

PLAIN_HELP: dict[str, str] = {
    "popularity_weight": "Weight of a track's popularity against the members' own plays: small, so "
                         "popularity only breaks ties and fills the list after the tracks the members "
                         "played.",
    "trainer": "How the model is fitted: ALS (alternating least squares: fast, exact steps) or AdamW "
               "(gradient steps, as in the original prototype).",
    "embedding_dim": "Hidden taste factors per listener and per track: more capture finer tastes, but train "
                     "slower and overfit small data.",
    "epochs": "Passes over the data (ALS sweeps or AdamW passes).",
    "learning_rate": "AdamW's step size. ALS ignores it.",
    "reg": "Regularisation: larger keeps the model cautious. It goes with the confidence settings: the "
           "default 10 suits linear confidence with scale 1; logarithmic confidence needs about 1,000.",
    "alpha": "Confidence scale: how much more a played track counts than an unplayed one.",
    "dropout_rate": "AdamW only: share of listener factors left out at random while fitting.",
    "bias": "Learn a popularity offset per listener and per track.",
    "sigmoid": "Kept from the original prototype's settings; it must stay off for this model.",
    "seed": "Seed of the random steps: the same seed gives the same model.",
    "patience": "Stop when the validation NDCG@10 has not improved for this many epochs, keeping the best "
                "epoch. Empty: train every epoch.",
    "eps": "Smoothing constant of the logarithmic confidence.",
    "confidence": "How plays become confidence: linear (every play counts) or logarithmic (as in the "
                  "original prototype; it gives every played track about the same weight, and scores "
                  "lower on new tracks).",
    "threshold": "A track counts as liked when its training score is at least this.",
    "batch_size": "AdamW: listeners per gradient step.",
    "weight_decay": "AdamW: extra weight decay (0 keeps the same objective as ALS).",
    "solver": "ALS: conjugate gradient (fast; converges over the epochs) or Cholesky (exact at every "
              "sweep, 3 to 5 times slower).",
    "cg_steps": "ALS with conjugate gradient: steps per listener or track at every sweep.",
    "woodbury_below": "ALS: listeners and tracks with fewer plays than this are solved exactly. Empty: "
                      "chosen from the number of factors.",
    "init_scale": "Starting factors are drawn between 0 and this.",
    "device": "Where to compute: auto (a GPU when there is one), CPU or GPU.",
    "reg_scaling": "none: one regularisation weight for everyone; count: weighted by each listener's and "
                   "track's number of plays (what Spark's ALS does).",
    "engine": "Where the model is fitted: here, or on an Apache Spark cluster.",
}
"""One plain sentence per setting for the Train page (the config docstrings are written for developers:
formulas and internal names); a setting without one falls back to its docstring."""


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
        :data:`PLAIN_HELP` (else the config's docstring), plus the original prototype's value where it
        differs.
    advanced : bool
        Not one of :data:`MAIN_SETTINGS`.
    trainer : str or None
        The only WMF trainer using it, if any.
    min_value, max_value : int, float or None
        The accepted range of a number (:data:`BOUNDS`); ``None`` where unbounded or not a number.
    """

    name: str
    type: str
    default: SettingValue
    choices: tuple[str, ...] = ()
    help: str = ""
    advanced: bool = False
    trainer: str | None = None
    min_value: int | float | None = None
    max_value: int | float | None = None


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
        help_text = PLAIN_HELP.get(f.name) or docs.get(f.name, "")
        if f.name in NOTEBOOK_SETTINGS and NOTEBOOK_SETTINGS[f.name] != default:
            help_text = f"{help_text} (the original prototype used {NOTEBOOK_SETTINGS[f.name]})".strip()
        widget = _widget_type(f.name, hints.get(f.name), default)
        low, high = _bounds(f.name, widget)
        out.append(
            Setting(
                name=f.name,
                type=widget,
                default=default,
                choices=CHOICES.get(f.name, ()),
                help=help_text,
                advanced=f.name not in MAIN_SETTINGS,
                trainer=TRAINER_ONLY.get(f.name) if kind == "wmf" else None,
                min_value=low,
                max_value=high,
            )
        )
    rank = {name: i for i, name in enumerate(MAIN_SETTINGS)}
    return sorted(out, key=lambda s: (s.advanced, rank.get(s.name, len(rank))))


def _bounds(name: str, widget: str) -> tuple[int | float | None, int | float | None]:
    """The range of a number setting as its widget wants it (ints for ints, floats for floats)."""
    if name not in BOUNDS or widget not in {"int", "optional_int", "float"}:
        return None, None
    low, high = BOUNDS[name]
    cast = float if widget == "float" else int
    return cast(low), cast(high)


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
