"""Command-line entry point: ``python -m recsys <command> ...``.

Each command lives in ``recsys/commands/<name>.py`` and exposes ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> dict``. The dict is printed as one JSON object with
``--json``, or as readable lines otherwise. Exit codes: 0 done, 2 bad input (a
:class:`~recsys.errors.RecsysError`, message on stderr; a number out of its bounds is refused by
argparse with exit 2 as well, see :mod:`recsys.commands.bounds`), 1 a bug. Output piped into a reader
that stops early (``| head``) ends quietly with exit 0, without a BrokenPipe traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from recsys.errors import RecsysError

__all__ = ["main", "COMMANDS"]

# Order is the order shown in --help.
COMMANDS: tuple[str, ...] = (
    "generate",
    "prepare",
    "info",
    "bootstrap",
    "train",
    "recommend",
    "evaluate",
    "compare",
    "diagnose",
)


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"recsys.commands.{name}")


def _build_parser(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    # Importing a command can pull in torch (seconds); a run of one command imports only that one.
    chosen = next((a for a in argv if not a.startswith("-")), None)
    names = (chosen,) if chosen in COMMANDS else COMMANDS
    parser = argparse.ArgumentParser(
        prog="python -m recsys",
        description="Pozytywka group recommendation analytics: data pipeline, models, evaluation.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules: dict[str, ModuleType] = {}
    for name in names:
        try:
            module = _load(name)
        except ModuleNotFoundError as exc:
            # A command whose module is not written yet is simply not offered.
            if exc.name == f"recsys.commands.{name}":
                continue
            raise
        modules[name] = module
        # argparse %-formats help strings; HELP texts are plain prose ("95% CIs").
        text = module.HELP.replace("%", "%%")
        cmd = sub.add_parser(name, help=text, description=module.HELP)
        module.add_arguments(cmd)
        cmd.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser, modules


def _print_human(result: dict[str, Any]) -> None:
    for key, value in result.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, default=str)
        print(f"{key}: {value}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 on success, 2 on bad input, 1 on an unexpected error.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(argv)
    except BrokenPipeError:
        # The reader closed the pipe (`... --json | head -c 100`): it has what it wanted. Exit quietly
        # as `head` expects; stdout goes to /dev/null so the interpreter's last flush cannot raise again.
        _silence_stdout()
        return 0


def _run(argv: list[str]) -> int:
    parser, modules = _build_parser(argv)
    args = parser.parse_args(argv)  # a usage error (a number out of its bounds...) exits 2 here
    module = modules[args.command]
    try:
        result = module.run(args)
    except RecsysError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result, default=_json_default))
    else:
        _print_human(result)
    sys.stdout.flush()  # a closed pipe is found here, inside main's handler, not at exit
    return 0


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (captured in a test)
        pass


def _json_default(value: Any) -> Any:
    # numpy scalars and paths appear in results; keep JSON output plain.
    if hasattr(value, "item"):
        return value.item()
    return str(value)
