"""Recommendation models behind one contract (:class:`~recsys.models.base.Recommender`).

``MODELS`` maps each model kind to its class; :func:`create_model` builds one from plain settings
(the CLI's flags, the dashboard's widgets) and :func:`load_model` reads a saved model file.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from recsys.errors import ConfigError, RecsysError
from recsys.models.base import MEMBER_STATUSES, MemberScores, Recommender, TrainCallback
from recsys.models.baselines import (
    BasicConfig,
    BasicModel,
    PopularityConfig,
    PopularityModel,
    RandomConfig,
    RandomModel,
)
from recsys.models.io import check_fingerprint, read_model_file, write_model_file
from recsys.models.wmf import WMF, WMFConfig

__all__ = [
    "MODELS",
    "MEMBER_STATUSES",
    "BasicConfig",
    "BasicModel",
    "MemberScores",
    "PopularityConfig",
    "PopularityModel",
    "RandomConfig",
    "RandomModel",
    "Recommender",
    "TrainCallback",
    "WMF",
    "WMFConfig",
    "check_fingerprint",
    "config_from_dict",
    "create_model",
    "load_model",
    "read_model_file",
    "write_model_file",
]

MODELS: dict[str, type[Recommender]] = {
    "basic": BasicModel,
    "popularity": PopularityModel,
    "random": RandomModel,
    "wmf": WMF,
}
"""Model kind -> class (the kinds the CLI's ``--model`` and the dashboard offer)."""


def config_from_dict(
    cls: type[Recommender], settings: dict[str, Any], *, error: type[RecsysError] = ConfigError
) -> Any:
    """Build ``cls``'s config dataclass from plain settings.

    Parameters
    ----------
    cls : type
        A model class (its ``config_class`` is used).
    settings : dict
        Setting name -> value; a setting left out keeps its default.
    error : type
        The error raised for a bad setting (:class:`ConfigError`; the file reader uses ``ModelError``).

    Returns
    -------
    object
        The config instance.

    Raises
    ------
    ConfigError
        Naming a setting the model does not have.
    """
    if not isinstance(settings, dict):
        raise error(f"the {cls.kind} model's config must be a dict, got {type(settings).__name__}")
    known = [f.name for f in fields(cls.config_class)]
    unknown = [k for k in settings if k not in known]
    if unknown:
        has = ", ".join(known) if known else "none"
        raise error(f"the {cls.kind} model has no setting {unknown[0]!r} (its settings: {has})")
    try:
        return cls.config_class(**settings)
    except (TypeError, ValueError) as exc:
        raise error(f"bad settings for the {cls.kind} model: {exc}") from exc


def create_model(kind: str, **config: Any) -> Recommender:
    """A new, untrained model of ``kind``.

    Parameters
    ----------
    kind : str
        One of :data:`MODELS`.
    **config
        Settings of that kind's config dataclass (others keep their defaults).

    Returns
    -------
    Recommender

    Raises
    ------
    ConfigError
        Unknown kind, or a setting that kind does not have.
    """
    cls = MODELS.get(kind)
    if cls is None:
        raise ConfigError(f"unknown model kind {kind!r}: choose one of {', '.join(MODELS)}")
    return cls(config_from_dict(cls, config))


def load_model(path: str | Path) -> Recommender:
    """Read a model file (see :mod:`recsys.models.io`).

    Raises
    ------
    ModelError
        Missing, corrupt or foreign file, naming the path.
    """
    return read_model_file(path)
