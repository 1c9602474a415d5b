"""The error family of the library.

Every error a user can cause (bad input files, unknown user ids, a corrupt model file) is a
:class:`RecsysError`. The CLI turns them into exit code 2 with the message on stderr; the dashboard
shows them with ``st.error``. Anything else is a bug (exit code 1).
"""

from __future__ import annotations

__all__ = [
    "RecsysError",
    "DataError",
    "ConfigError",
    "ModelError",
    "UnknownUserError",
    "TrainingError",
]


class RecsysError(Exception):
    """Base class of every error caused by input the user gave (files, ids, settings)."""


class DataError(RecsysError):
    """A data file is missing, empty or malformed.

    Parameters
    ----------
    message : str
        What is wrong, naming the bad value.
    file : str, optional
        The file's path.
    line : int, optional
        1-based line number in that file.
    field : str, optional
        The column / JSON field concerned.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        where = []
        if file is not None:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigError(RecsysError):
    """A setting has an invalid value (a negative fraction, an unknown strategy name...)."""


class ModelError(RecsysError):
    """A model file is missing, corrupt, or does not fit the data it is used with."""


class UnknownUserError(RecsysError):
    """A user id that is not in the dataset was asked for."""


class TrainingError(RecsysError):
    """Training diverged (NaN or exploding factors) or was configured impossibly."""
