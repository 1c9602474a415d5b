"""Recommendation models behind one contract (:class:`~recsys.models.base.Recommender`).

``MODELS`` maps each model kind to its class; :func:`create_model` builds one from plain settings
(the CLI's flags, the dashboard's widgets) and :func:`load_model` reads a saved model file (both in
:mod:`recsys.models.registry`). :meth:`Recommender.recommend` returns a
:class:`~recsys.models.recommendation.GroupRecommendation`.
"""

from recsys.models.base import MEMBER_STATUSES, MemberScores, Recommender, TrainCallback
from recsys.models.baselines import (
    BasicConfig,
    BasicModel,
    PopularityConfig,
    PopularityModel,
    RandomConfig,
    RandomModel,
)
from recsys.models.io import check_fingerprint, write_model_file
from recsys.models.recommendation import GroupRecommendation
from recsys.models.registry import MODELS, config_from_dict, create_model, load_model, read_model_file
from recsys.models.wmf import WMF, WMFConfig

__all__ = [
    "MODELS",
    "MEMBER_STATUSES",
    "BasicConfig",
    "BasicModel",
    "GroupRecommendation",
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
