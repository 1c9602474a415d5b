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
    "BusyError",
    "TrainingCancelled",
    "EngineError",
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

    Attributes
    ----------
    reason : str
        ``message`` without the file, line and field (to name the place differently).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = message
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


class BusyError(RecsysError):
    """Another process (or thread) is writing the same file or folder right now.

    Parameters
    ----------
    target : str
        The file or folder being written.
    pid : int, optional
        The process holding the lock, when it could be read.
    waited : float
        Seconds this process waited before giving up (0: it did not wait).
    """

    def __init__(self, target: str, pid: int | None = None, waited: float = 0.0) -> None:
        self.target = target
        self.pid = pid
        self.waited = waited
        holder = f"another process (pid {pid})" if pid is not None else "another process"
        tail = f"; still busy after waiting {waited:.3g} s" if waited > 0 else ""
        super().__init__(f"{target} is being written by {holder}{tail}: try again when it has finished")


class TrainingCancelled(TrainingError):
    """A training was stopped before it produced any model (a cancelled Spark job has no factors to keep).

    The training driver reports it as stopped, with nothing saved, rather than as a failure.
    """


class EngineError(RecsysError):
    """The compute engine asked for cannot run: Spark without pyspark, without a working Java runtime, or
    a Spark master that cannot be reached. The message names what to install or fix."""
