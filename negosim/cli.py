"""The ``negosim`` command.

Each subcommand lives in its own module under :mod:`negosim.commands` with an
``add_parser(subparsers)`` function that registers it and sets ``func``.
User errors (:class:`~negosim.errors.NegosimError`) become one line on
stderr and exit code 2; warnings become one ``warning:`` line each.

Example
-------
>>> main(["schema"]) == 0  # doctest: +ELLIPSIS
{...
True
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from .errors import NegosimError

#: Subcommand modules, in the order ``negosim --help`` lists them.
COMMAND_MODULES = ["validate", "analyze", "run", "sweep", "explore", "plot", "report", "sources", "compare", "schema"]


def _showwarning(message, category, filename, lineno, file=None, line=None):
    where = f"{filename}: " if filename and not str(filename).endswith(".py") else ""
    print(f"warning: {where}{message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = argparse.ArgumentParser(
        prog="negosim",
        description="Negotiation scenarios for the 2025 peace plans for the war in Ukraine: "
                    "who accepts a draft, why, and which packages everyone could accept.")
    parser.add_argument("--version", action="version", version=f"negosim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f".commands.{name}", __package__).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a negative result, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _showwarning
    try:
        return int(args.func(args) or 0)
    except NegosimError as e:
        print(str(e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug, not a user error: one line unless asked for the traceback
        if os.environ.get("NEGOSIM_DEBUG"):
            raise
        print(f"internal error: {e.__class__.__name__}: {e} (set NEGOSIM_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


def run() -> None:  # pragma: no cover - console-script entry
    sys.exit(main())
