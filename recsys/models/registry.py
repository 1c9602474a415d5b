"""Which models exist: model kinds, building a model from plain settings, turning a model file into a model.

``MODELS`` maps each model kind to its class; :func:`create_model` builds one from plain settings (the
CLI's flags, the dashboard's widgets) and :func:`load_model` reads a saved model file: the file's
format is :mod:`recsys.models.io`'s (it reads and checks the payload and restores the learned state),
which class its ``kind`` names is decided here only.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from recsys.errors import ConfigError, ModelError, RecsysError
from recsys.models.base import Recommender
from recsys.models.baselines import BasicModel, PopularityModel, RandomModel
from recsys.models.io import UnreadableModelFile, read_model_payload, restore_state
from recsys.models.wmf import WMF

__all__ = [
    "MODELS",
    "config_from_dict",
    "create_model",
    "load_model",
    "model_from_payload",
    "read_model_file",
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
        Naming a setting the model does not have (or ``error``, when given).
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
    except ConfigError as exc:
        if error is ConfigError:
            raise
        raise error(str(exc)) from exc
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


def model_from_payload(payload: dict[str, Any], source: str | Path) -> Recommender:
    """The trained model a model file's payload describes.

    Parameters
    ----------
    payload : dict
        From :func:`recsys.models.io.read_model_payload`.
    source : str or pathlib.Path
        Where the payload came from (named in every error).

    Returns
    -------
    Recommender
        A model of the class registered for the payload's ``kind``, ready to recommend.

    Raises
    ------
    UnreadableModelFile
        ``"<source> is not a readable model file: <reason>"``: an unknown kind, a bad config, or
        inconsistent or damaged contents (whatever the exception underneath).
    """
    kind = payload.get("kind")
    if not isinstance(kind, str) or kind not in MODELS:
        raise UnreadableModelFile(source, f"unknown model kind {kind!r} (known kinds: {', '.join(MODELS)})")
    cls = MODELS[kind]
    if "config" not in payload:
        raise UnreadableModelFile(source, "its 'config' entry is missing")
    try:
        return restore_state(cls(config_from_dict(cls, payload["config"], error=ModelError)), payload)
    except ModelError as exc:
        raise UnreadableModelFile(source, str(exc)) from exc
    except Exception as exc:  # why: any damage must end as one clear error, never a traceback or a bad model
        raise UnreadableModelFile(source, f"damaged '{kind}' model ({type(exc).__name__}: {exc})") from exc


def load_model(path: str | Path) -> Recommender:
    """Read a model file (written by :meth:`Recommender.save`; never unpickles arbitrary objects).

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.pt`` file.

    Returns
    -------
    Recommender
        The model, of the class registered for the file's ``kind``, ready to recommend.

    Raises
    ------
    UnreadableModelFile
        A :class:`~recsys.errors.ModelError` whose message is ``"<path> is not a readable model file:
        <reason>"``, whatever is wrong: the file is missing, empty, truncated, damaged (a checksum), not
        a torch file, holds objects other than tensors and plain values, is not a recsys model, has an
        unsupported version or an unknown kind, or its contents are inconsistent (duplicate ids, a
        tensor of the wrong shape, NaN or infinite values).
    """
    return model_from_payload(read_model_payload(path), Path(path))


read_model_file = load_model
"""The same as :func:`load_model` (the name the file functions had before the registry was split out)."""
