"""Beyond accuracy: what the recommended lists look like, whatever their hits.

All functions take ``top``, a ``(lists, k)`` matrix of track indices (``-1`` = empty slot, ignored).

* catalog coverage: the share of the catalogue that appears in at least one list;
* novelty: mean self-information ``-log2 p(i)`` of the listed tracks, where ``p(i)`` is the share of
  training users who played track ``i``, smoothed as ``(users_i + 1) / (n_users + 1)`` so that a track
  nobody played has a finite (maximal) novelty;
* intra-list diversity: mean over the pairs of a list of ``1 - cosine`` of the tracks' genre vectors
  (binary track x genre); tracks without a known genre are left out of the pairs, and a list with
  fewer than two such tracks has no value (NaN);
* average popularity: mean popularity (training users per track) of the listed tracks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.errors import ConfigError

__all__ = [
    "genre_list",
    "track_genre_matrix",
    "catalog_coverage",
    "novelty",
    "intra_list_diversity",
    "average_popularity",
    "genre_matrix",
    "beyond_accuracy",
]


def _valid(top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(top, dtype=np.int64)
    if t.ndim != 2:
        raise ConfigError(f"top must be a (lists, k) matrix, got shape {t.shape}")
    return t, t >= 0


def catalog_coverage(top: np.ndarray, n_items: int) -> float:
    """Share of the ``n_items`` tracks listed at least once."""
    t, ok = _valid(top)
    if n_items < 1:
        raise ConfigError(f"n_items must be positive, got {n_items}")
    # distinct tracks by counting (numpy 2.4's hash-based np.unique is slow on many distinct values)
    return float(np.count_nonzero(np.bincount(t[ok], minlength=n_items)) / n_items)


def _per_list_mean(values: np.ndarray, top: np.ndarray) -> np.ndarray:
    t, ok = _valid(top)
    v = np.where(ok, values[np.where(ok, t, 0)], 0.0)
    counts = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, v.sum(axis=1) / np.maximum(counts, 1), np.nan)


def novelty(top: np.ndarray, popularity: np.ndarray, n_users: int) -> np.ndarray:
    """Per list, mean self-information (bits) of its tracks.

    Parameters
    ----------
    top : numpy.ndarray
        ``(lists, k)`` track indices.
    popularity : numpy.ndarray
        ``(n_items,)`` number of training users per track.
    n_users : int
        Number of training users.

    Returns
    -------
    numpy.ndarray
        ``(lists,)``; NaN for an empty list.
    """
    pop = np.asarray(popularity, dtype=np.float64)
    info = -np.log2((pop + 1.0) / (n_users + 1.0))
    return _per_list_mean(info, top)


def average_popularity(top: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Per list, mean popularity of its tracks (NaN for an empty list)."""
    return _per_list_mean(np.asarray(popularity, dtype=np.float64), top)


def genre_matrix(
    genres: Sequence[Sequence[str]] | Mapping[int, Sequence[str]] | sp.spmatrix, n_items: int | None = None
) -> sp.csr_matrix:
    """A binary ``(n_items, n_genres)`` track x genre matrix.

    Parameters
    ----------
    genres : sequence, mapping or sparse matrix
        Per track index, its genre names (a sequence in track order, or a mapping track index ->
        names; missing tracks have none), or an already built track x genre matrix.
    n_items : int, optional
        Number of tracks (needed for a mapping).

    Returns
    -------
    scipy.sparse.csr_matrix
    """
    if sp.issparse(genres):
        m = sp.csr_matrix(genres, dtype=np.float32)
        m.data[:] = 1.0
        return m
    if isinstance(genres, Mapping):
        if n_items is None:
            n_items = max(genres, default=-1) + 1
        lists = [genres.get(i) or () for i in range(n_items)]
    else:
        lists = [g if g is not None and not isinstance(g, float) else () for g in genres]
    names = sorted({str(g) for gs in lists for g in gs})
    pos = {name: j for j, name in enumerate(names)}
    rows = [i for i, gs in enumerate(lists) for _ in set(map(str, gs))]
    cols = [pos[g] for gs in lists for g in set(map(str, gs))]
    m = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(lists), max(len(names), 1))
    )
    return m


def genre_list(value: Any) -> list[str]:
    """A genres cell (list, numpy array, JSON text, comma text or missing) as a list of strings.

    Parquet gives lists back as numpy arrays, uploads may carry JSON or comma text; every reader of a
    ``genres`` / ``favourite_genres`` column goes through this one function.
    """
    if value is None:
        return []
    if isinstance(value, float) and np.isnan(value):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return [str(v) for v in json.loads(text)]
            except ValueError:
                pass
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def track_genre_matrix(tracks: pd.DataFrame | None, item_ids: Sequence | np.ndarray) -> sp.csr_matrix | None:
    """The track x genre matrix of ``tracks`` (``id``, ``genres``) in the column order ``item_ids``.

    Returns ``None`` when there is no genre data; a track id not in ``tracks`` has no genre.
    """
    if tracks is None or "genres" not in tracks.columns or "id" not in tracks.columns:
        return None
    # A catalogue repeats a few thousand genre lists over its tracks (4,829 over 100,000): each distinct
    # value is parsed once, and the items take their rows of the small matrix of those values.
    by_id = dict(zip(tracks["id"], tracks["genres"], strict=True))  # a repeated id: the last row wins
    slot: dict[Any, int] = {}
    lists: list[list[str]] = []
    rows = np.empty(len(item_ids), dtype=np.int64)
    for i, track in enumerate(item_ids):
        value = by_id.get(track)
        key = tuple(value) if isinstance(value, (list, np.ndarray)) else value
        try:
            row = slot.setdefault(key, len(lists))
        except TypeError:  # an unhashable cell: parsed on its own
            row = len(lists)
        if row == len(lists):
            lists.append(genre_list(value))
        rows[i] = row
    return sp.csr_matrix(genre_matrix(lists)[rows])


def intra_list_diversity(top: np.ndarray, genres: sp.spmatrix) -> np.ndarray:
    """Per list, mean ``1 - cosine`` of genre vectors over its pairs of tracks with a genre.

    Uses ``sum_{i<j} cos(i, j) = (|sum_i u_i|^2 - n) / 2`` over unit vectors ``u_i``, so no pair is
    formed explicitly.

    Parameters
    ----------
    top : numpy.ndarray
        ``(lists, k)`` track indices.
    genres : scipy.sparse matrix
        ``(n_items, n_genres)`` from :func:`genre_matrix`.

    Returns
    -------
    numpy.ndarray
        ``(lists,)``; NaN for a list with fewer than two tracks that have a genre.
    """
    t, ok = _valid(top)
    g = sp.csr_matrix(genres, dtype=np.float64)
    norms = np.sqrt(np.asarray(g.multiply(g).sum(axis=1)).ravel())
    has = norms > 0
    unit = sp.csr_matrix(sp.diags(np.where(has, 1.0 / np.maximum(norms, 1e-30), 0.0)) @ g)
    use = ok & has[np.where(ok, t, 0)]
    n_lists = t.shape[0]
    rows = np.repeat(np.arange(n_lists), t.shape[1])[use.ravel()]
    indicator = sp.csr_matrix(
        (np.ones(rows.size), (rows, t.ravel()[use.ravel()])), shape=(n_lists, g.shape[0])
    )
    summed = indicator @ unit
    sq = np.asarray(summed.multiply(summed).sum(axis=1)).ravel()
    n = use.sum(axis=1).astype(np.float64)
    pairs = n * (n - 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_cos = (sq - n) / 2 / pairs
    return np.where(n >= 2, 1.0 - mean_cos, np.nan)


def beyond_accuracy(
    top: np.ndarray,
    *,
    n_items: int,
    popularity: np.ndarray,
    n_users: int,
    genres: sp.spmatrix | None = None,
) -> dict[str, float]:
    """All beyond-accuracy figures of a set of lists, averaged over lists.

    Returns
    -------
    dict
        ``coverage``, ``novelty``, ``avg_popularity`` and, with ``genres``, ``diversity``.
    """
    nan = float("nan")
    out = {
        "coverage": catalog_coverage(top, n_items),
        "novelty": float(np.nanmean(novelty(top, popularity, n_users))) if len(top) else nan,
        "avg_popularity": float(np.nanmean(average_popularity(top, popularity))) if len(top) else nan,
    }
    if genres is not None:
        div = intra_list_diversity(top, genres)
        out["diversity"] = float(np.nanmean(div)) if np.isfinite(div).any() else float("nan")
    return out
