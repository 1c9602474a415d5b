"""The Group builder's data, read from the prepared data (what the page caches per dataset version).

Each function takes the :class:`~recsys.data.prepared.Prepared` data as its one argument, so the
Streamlit adapter can cache it keyed by the data's folder and fingerprint (``recsys.ui.cached``).
"""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from recsys.app.group_builder.search import user_directory, user_labels
from recsys.data.interactions import Interactions
from recsys.data.prepared import Prepared

__all__ = ["history_frame", "history_matrix", "user_directory_of", "user_labels_of"]


def history_frame(prepared: Prepared) -> pd.DataFrame:
    """Every split's ``user_id, track_id, score`` pairs together (a user's whole known listening).

    Parameters
    ----------
    prepared : Prepared
        The prepared data.

    Returns
    -------
    pandas.DataFrame
        The train, validation and test pairs, in that order.
    """
    return pd.concat([prepared.train, prepared.val, prepared.test], ignore_index=True)


def history_matrix(prepared: Prepared) -> Interactions:
    """All splits, all users, as one matrix (for folding in members a model was not trained on).

    Parameters
    ----------
    prepared : Prepared
        The prepared data.

    Returns
    -------
    Interactions
        ``prepared.history()``.
    """
    return prepared.history()


def user_directory_of(prepared: Prepared) -> pd.DataFrame:
    """:func:`~recsys.app.group_builder.search.user_directory` of prepared data, with track counts.

    Parameters
    ----------
    prepared : Prepared
        The prepared data.

    Returns
    -------
    pandas.DataFrame
        One row per user, with the distinct tracks of their whole history.
    """
    return user_directory(prepared.users, history_frame(prepared))


def user_labels_of(prepared: Prepared) -> dict[Hashable, str]:
    """:func:`~recsys.app.group_builder.search.user_labels` of prepared data.

    Parameters
    ----------
    prepared : Prepared
        The prepared data.

    Returns
    -------
    dict
        User id -> picker label.
    """
    return user_labels(user_directory(prepared.users))
