"""Telling the person what happened: errors as messages (not tracebacks) and progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from recsys.errors import RecsysError

__all__ = ["StreamlitProgress", "show_error"]


@contextmanager
def show_error(prefix: str | None = None) -> Iterator[None]:
    """Show a :class:`~recsys.errors.RecsysError` raised in the block as ``st.error``, not a traceback.

    Parameters
    ----------
    prefix : str, optional
        What was being done (``"Could not load the data"``), shown before the message.

    Notes
    -----
    The ``RecsysError`` family is caught, and ``MemoryError``: running out of memory on a large release
    is the data's size, not a bug, and must be said in the page (a server that swallowed it left the
    page blank). Anything else is a bug and must stay visible.
    """
    try:
        yield
    except RecsysError as exc:
        st.error(f"{prefix}: {exc}" if prefix else str(exc), icon=":material/error:")
    except MemoryError:
        text = ("out of memory: this dataset is too large for this step on this machine (a smaller release, "
                "or more memory, will do)")
        st.error(f"{prefix}: {text}" if prefix else text.capitalize(), icon=":material/memory:")


class StreamlitProgress:
    """A tqdm-like progress reporter drawing an ``st.progress`` bar.

    Accepts the calling styles the library's progress hooks use: ``progress(done, total)``,
    ``progress(fraction)``, ``progress(done, total, "message")``, and ``update(n)`` /
    ``set_description(text)`` as on a tqdm bar. Use it as a context manager to remove the bar when done.

    Parameters
    ----------
    text : str
        Label shown beside the bar.
    total : int, optional
        Number of steps, when updates come as ``update(n)``.
    container : streamlit.delta_generator.DeltaGenerator, optional
        Where to draw (default: the main area).
    """

    def __init__(self, text: str, total: int | None = None, container: DeltaGenerator | None = None) -> None:
        self.text = text
        self.total = total
        self.done: float = 0
        self._bar = (container or st).progress(0.0, text=text)

    def __call__(self, *args: str | float) -> None:
        """Report progress: ``(done, total)``, ``(fraction)``, ``(done, total, message)`` or
        ``(message, done, total)``; a string argument becomes the label, the numbers are taken in order.
        """
        numbers = [a for a in args if not isinstance(a, str)]
        for text in (a for a in args if isinstance(a, str)):
            self.text = text
        if len(numbers) >= 2 and numbers[1]:
            self.total = int(numbers[1])
        if numbers:
            self.done = numbers[0]
        self._draw()

    def update(self, n: float = 1) -> None:
        """Advance by ``n`` steps (tqdm style)."""
        self.done += n
        self._draw()

    def set_description(self, text: str) -> None:
        """Change the label (tqdm style)."""
        self.text = text
        self._draw()

    def _draw(self) -> None:
        if self.total:
            fraction = self.done / self.total
            label = f"{self.text} ({int(self.done):,}/{int(self.total):,})"
        else:
            fraction, label = float(self.done), self.text
        self._bar.progress(min(max(float(fraction), 0.0), 1.0), text=label)

    def close(self) -> None:
        """Remove the bar."""
        self._bar.empty()

    def __enter__(self) -> StreamlitProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
