"""Which saved models fit the dataset in use, which data the others were trained on, and what to call a
model trained anew on this data.

A model only makes sense on the data it was trained on: its user and track ids are that data's. Two
releases may share user ids by chance, so a model of other data would *run* and silently recommend the
wrong tracks ("unknown artist") and evaluate to ``nan``. Every model file stores the fingerprint of its
training data (:mod:`recsys.app.training`), every prepared dataset its fingerprint (the manifest): this
module matches them, so each page lists the models of the data on screen and names the dataset of the
others. No Streamlit here; the widgets are :mod:`recsys.ui.models`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from recsys.app.model_catalog import ModelEntry
from recsys.app.workspace import DatasetInfo, check_name
from recsys.errors import ConfigError

__all__ = [
    "DEFAULT_KINDS",
    "ModelsForData",
    "OtherDataModel",
    "dataset_names",
    "default_model_name",
    "missing_defaults",
    "models_for_data",
    "preferred_models",
    "preferred_pair",
    "retrain_name",
    "trained_on_text",
]

DEFAULT_KINDS: tuple[str, ...] = ("basic", "wmf")
"""The models every page can offer to train on new data: the notebook's basic model and WMF (what
``python -m recsys bootstrap`` trains, and what the Group builder compares side by side)."""

_MAX_NAME = 64  # workspace.check_name's limit


@dataclass(frozen=True)
class OtherDataModel:
    """A saved model trained on other data than the dataset in use.

    Attributes
    ----------
    entry : ModelEntry
        Its catalog entry.
    dataset : str or None
        The name of the dataset it was trained on, when that dataset is in the data root (prepared, with
        the same fingerprint); ``None`` when it is not (deleted, re-prepared, or another machine's).
    """

    entry: ModelEntry
    dataset: str | None

    @property
    def trained_on(self) -> str:
        """``"trained on demo"``, or ``"trained on other data"`` when the dataset is unknown."""
        return trained_on_text(self.dataset)


@dataclass(frozen=True)
class ModelsForData:
    """The saved models, split by whether they were trained on the dataset in use.

    Attributes
    ----------
    dataset : str
        The dataset in use.
    fingerprint : str or None
        Its fingerprint (``None`` when it is not prepared: then no model fits).
    fitting : list of ModelEntry
        Readable models trained on this data, in the catalog's order (newest first).
    others : list of OtherDataModel
        Readable models trained on other data (or of unknown data), with that data's name.
    unreadable : list of ModelEntry
        Files that could not be read (their ``error`` says why).
    """

    dataset: str
    fingerprint: str | None
    fitting: list[ModelEntry]
    others: list[OtherDataModel]
    unreadable: list[ModelEntry]

    @property
    def names(self) -> list[str]:
        """Names of the models trained on this data."""
        return [e.name for e in self.fitting]

    @property
    def all_names(self) -> list[str]:
        """Names of every saved model, readable or not (a new model's name must differ from them)."""
        return [e.name for e in self.fitting] + [o.entry.name for o in self.others] + [
            e.name for e in self.unreadable
        ]

    def kinds(self) -> set[str]:
        """The model kinds trained on this data."""
        return {str(e.kind) for e in self.fitting}


def dataset_names(datasets: Iterable[DatasetInfo]) -> dict[str, str]:
    """Fingerprint -> dataset name, over the prepared datasets (the first name wins for equal data).

    Parameters
    ----------
    datasets : iterable of DatasetInfo
        :func:`recsys.app.workspace.list_datasets`.

    Returns
    -------
    dict of str to str
    """
    out: dict[str, str] = {}
    for info in datasets:
        if info.fingerprint is not None:
            out.setdefault(str(info.fingerprint), info.name)
    return out


def trained_on_text(dataset: str | None) -> str:
    """``"trained on <dataset>"``, or ``"trained on other data"`` when the dataset is not known."""
    return f"trained on {dataset}" if dataset else "trained on other data"


def models_for_data(
    entries: Sequence[ModelEntry],
    fingerprint: str | None,
    dataset: str,
    names_by_fingerprint: Mapping[str, str],
) -> ModelsForData:
    """Split the saved models into those trained on the data in use and the others.

    Parameters
    ----------
    entries : sequence of ModelEntry
        :func:`recsys.app.model_catalog.list_models`.
    fingerprint : str or None
        The fingerprint of the data in use (``None``: not prepared, nothing fits).
    dataset : str
        The name of the data in use.
    names_by_fingerprint : mapping
        :func:`dataset_names` of the data root.

    Returns
    -------
    ModelsForData
        A model whose file has no fingerprint counts as other data: it is never used silently.
    """
    fitting, others, unreadable = [], [], []
    for entry in entries:
        if entry.error is not None:
            unreadable.append(entry)
        elif fingerprint is not None and entry.matches(fingerprint):
            fitting.append(entry)
        else:
            known = names_by_fingerprint.get(str(entry.fingerprint)) if entry.fingerprint else None
            others.append(OtherDataModel(entry=entry, dataset=known))
    return ModelsForData(dataset=dataset, fingerprint=fingerprint, fitting=fitting, others=others,
                         unreadable=unreadable)


def _with_suffix(base: str, suffix: str) -> str:
    """``<base>-<suffix>`` cut to the name limit (the suffix kept whole where possible)."""
    room = _MAX_NAME - len(suffix) - 1
    if room < 1:
        return f"{base}-{suffix}"[:_MAX_NAME]
    return f"{base[:room].rstrip('-.')}-{suffix}"


def retrain_name(model: str, dataset: str, taken: Iterable[str] = ()) -> str:
    """The name of ``model``'s settings trained anew on ``dataset``: ``<model>-<dataset>``.

    The other dataset's file is never overwritten: a name already taken gets ``-2``, ``-3``...

    Parameters
    ----------
    model : str
        The model trained on other data.
    dataset : str
        The dataset in use.
    taken : iterable of str
        Names already in the model store (and running jobs).

    Returns
    -------
    str
        A valid model name (:func:`recsys.app.workspace.check_name`) not in ``taken``.

    Raises
    ------
    ConfigError
        No valid name could be made (an invalid dataset name).
    """
    used = set(taken)
    base = model if model.endswith(f"-{dataset}") else _with_suffix(model, dataset)
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = _with_suffix(base, str(n))
    return check_name(candidate, "model")


def default_model_name(kind: str, found: ModelsForData, taken: Iterable[str] = ()) -> str:
    """What to call a default ``kind`` model trained on the data in use.

    The kind's own name (``wmf``, so ``make run``, the CLI and older bookmarks find it) unless a model
    of that name exists and was trained on other data: then ``<kind>-<dataset>`` (numbered when that too
    belongs to other data), so that data keeps its model. A name whose model was trained on this data is
    reused: training again replaces it.

    Parameters
    ----------
    kind : str
        A model kind (``basic``, ``wmf``).
    found : ModelsForData
        :func:`models_for_data` of the data in use.
    taken : iterable of str
        Further names in use (running jobs).

    Returns
    -------
    str
    """
    used = set(found.all_names) | set(taken)
    fits = {e.name for e in found.fitting}
    for candidate in (kind, _with_suffix(kind, found.dataset)):
        # retraining this data's own model replaces it; another data's model is never touched
        if candidate in fits or candidate not in used:
            return check_name(candidate, "model")
    return retrain_name(kind, found.dataset, used)


def missing_defaults(found: ModelsForData, kinds: Sequence[str] = DEFAULT_KINDS) -> list[str]:
    """The default kinds with no model trained on the data in use.

    Parameters
    ----------
    found : ModelsForData
        :func:`models_for_data` of the data in use.
    kinds : sequence of str
        The kinds wanted (:data:`DEFAULT_KINDS`).

    Returns
    -------
    list of str
        In the order of ``kinds``.
    """
    have = found.kinds()
    return [kind for kind in kinds if kind not in have]


def preferred_models(found: ModelsForData, kinds: Sequence[str] = DEFAULT_KINDS) -> list[str]:
    """The models a page shows by default: for each of ``kinds``, the model of that kind trained on this
    data (the one named after the kind if there is one, else the newest).

    Parameters
    ----------
    found : ModelsForData
        :func:`models_for_data` of the data in use.
    kinds : sequence of str
        The kinds wanted, in order (basic first, then WMF).

    Returns
    -------
    list of str
        One name per kind that has a fitting model; when none does, the newest fitting model (if any).
    """
    chosen = []
    for kind in kinds:
        of_kind = [e.name for e in found.fitting if e.kind == kind]
        if of_kind:
            chosen.append(kind if kind in of_kind else of_kind[0])
    if not chosen and found.fitting:
        chosen.append(found.fitting[0].name)
    return chosen


def preferred_pair(found: ModelsForData, kinds: tuple[str, str] = ("basic", "wmf")) -> tuple[int, int]:
    """Indices in ``found.names`` of the two models a side-by-side view shows by default: the basic model
    on the left and WMF on the right where this data has them (by kind, whatever their names), else the
    first other models.

    Parameters
    ----------
    found : ModelsForData
        :func:`models_for_data` of the data in use; it must have at least one fitting model.
    kinds : tuple of str
        The left and right kinds.

    Returns
    -------
    tuple of int
        Two indices (the same one twice when there is only one model).

    Raises
    ------
    ConfigError
        No model trained on this data.
    """
    names = found.names
    if not names:
        raise ConfigError(f"no saved model trained on {found.dataset}")

    def index_of(kind: str, exclude: int | None) -> int | None:
        of_kind = [i for i, e in enumerate(found.fitting) if e.kind == kind and i != exclude]
        named = [i for i in of_kind if names[i] == kind]
        return (named or of_kind or [None])[0]

    left = index_of(kinds[0], None)
    left = 0 if left is None else left
    right = index_of(kinds[1], left)
    if right is None:
        others = [i for i in range(len(names)) if i != left]
        right = others[0] if others else left
    return left, right
