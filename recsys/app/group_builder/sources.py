"""The Group builder's data, read from the prepared data (what the page caches per dataset version).

Each function takes the :class:`~recsys.data.prepared.Prepared` data as its one argument, so the
Streamlit adapter can cache it keyed by the data's folder and fingerprint (``recsys.ui.cached``).
"""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from recsys.app.exploration import stored_history, stored_table
from recsys.app.group_builder.search import SearchIndex, search_index, user_directory, user_labels
from recsys.app.group_builder.tracks import track_info
from recsys.data.interactions import Interactions
from recsys.data.prepared import Prepared

__all__ = [
    "directory_index_of",
    "heldout_matrix",
    "history_frame",
    "history_matrix",
    "search_index_of",
    "track_info_of",
    "user_directory_of",
    "user_labels_of",
]


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
        ``prepared.history()``, stored beside the prepared tables
        (:func:`~recsys.app.exploration.stored_history`) so a fresh server reads it back.
    """
    return stored_history(prepared)


def heldout_matrix(prepared: Prepared) -> Interactions:
    """The test split over the catalogue: the plays that came after training and validation.

    Parameters
    ----------
    prepared : Prepared
        The prepared data.

    Returns
    -------
    Interactions
        ``prepared.matrix("test")`` (positive plays only).
    """
    return prepared.matrix("test")


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


def search_index_of(prepared: Prepared) -> SearchIndex:
    """:func:`~recsys.app.group_builder.search.search_index` of :func:`user_directory_of` (the page caches
    it per dataset, so a keystroke never lower-cases the directory again)."""
    return search_index(user_directory_of(prepared))


def track_info_of(prepared: Prepared) -> pd.DataFrame:
    """:func:`~recsys.app.group_builder.tracks.track_info` of the catalogue, to cache per dataset: member
    cards and playlists then take it as is instead of reading 100,000 genre cells on every rerun."""
    return track_info(prepared.tracks)


def directory_index_of(prepared: Prepared) -> tuple[pd.DataFrame, SearchIndex]:
    """:func:`user_directory_of` and its :func:`~recsys.app.group_builder.search.search_index`, the
    directory built once for both and stored beside the prepared tables
    (:func:`~recsys.app.exploration.stored_table`: it counts every user's distinct tracks, a second of work
    at 10 M pairs, so a fresh server reads it back)."""
    directory = stored_table(prepared, "user-directory", user_directory_of)
    return directory, search_index(directory)

