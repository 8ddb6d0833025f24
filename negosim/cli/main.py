"""The ``negosim`` command.

Each subcommand lives in its own module under :mod:`negosim.cli.commands` with an
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

from negosim.errors import NegosimError

#: Subcommand modules, in the order ``negosim --help`` lists them.
COMMAND_MODULES = ["validate", "analyze", "run", "sweep", "explore", "plot", "report", "sources", "compare", "schema",
                   "import_", "export", "calibrate", "coalitions"]


def _showwarning(message, category, filename, lineno, file=None, line=None):
    where = f"{filename}: " if filename and not str(filename).endswith(".py") else ""
    print(f"warning: {where}{message}", file=sys.stderr)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``negosim run: error: argument --seed: ...``.

    argparse prints the usage before its error line; a person (or a script reading stderr)
    gets the one line that says what is wrong, and ``--help`` still prints the usage.
    Subparsers are made with the parser's own class, so every subcommand parser is one too.
    """

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class _Version(argparse._VersionAction):
    """``--version``, with the version read only when asked for: importlib.metadata costs
    milliseconds that every other start of the command would pay."""

    def __call__(self, parser, namespace, values, option_string=None):
        from negosim import __version__
        self.version = f"negosim {__version__}"
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="negosim",
        description="Negotiation scenarios for the 2025 peace plans for the war in Ukraine: "
                    "who accepts a draft, why, and which packages everyone could accept.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f".commands.{name}", __package__).add_parser(sub)
    return parser


def os_error_line(e: OSError) -> str:
    """One line for an operating-system failure: what failed, on which file, and the system's words.

    >>> os_error_line(PermissionError(13, "Permission denied", "/root/x.png"))
    "cannot use '/root/x.png': Permission denied"
    >>> os_error_line(BlockingIOError(11, "Resource temporarily unavailable"))
    'system error: Resource temporarily unavailable [EAGAIN] (too many processes or open files? try fewer workers)'
    """
    import errno
    words = e.strerror or str(e) or e.__class__.__name__
    if e.filename is not None:
        other = f" -> '{e.filename2}'" if e.filename2 is not None else ""
        return f"cannot use '{e.filename}'{other}: {words}"
    name = errno.errorcode.get(e.errno, "") if e.errno is not None else ""
    hint = {"EAGAIN": " (too many processes or open files? try fewer workers)",
            "ENOMEM": " (out of memory: try a smaller scenario or fewer workers)",
            "EMFILE": " (too many open files: try fewer workers)",
            "ENOSPC": " (the disk is full)"}.get(name, "")
    return f"system error: {words}" + (f" [{name}]" if name else "") + hint


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "(no message)"


def _reconfigure_streams() -> None:
    # A label with a lone surrogate or a character the terminal's encoding lacks must not
    # crash a print: write it as a backslash escape instead.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):  # not a text file (replaced by a test, closed)
            pass


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a negative result, 2 bad input, 130 interrupted)."""
    _reconfigure_streams()
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help, --version or a bad flag (already printed as one line)
            return e.code if isinstance(e.code, int) else 0
        warnings.showwarning = _showwarning
        return int(args.func(args) or 0)
    except NegosimError as e:
        print(_one_line(e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except (OSError, MemoryError, RecursionError) as e:  # the machine said no (fork, disk, memory): not a bug
        if os.environ.get("NEGOSIM_DEBUG"):
            raise
        print(_one_line(resource_error_line(e)), file=sys.stderr)
        return 2
    except Exception as e:  # a bug, not a user error: one line unless asked for the traceback
        if os.environ.get("NEGOSIM_DEBUG"):
            raise
        print(_one_line(f"internal error: {e.__class__.__name__}: {e} (set NEGOSIM_DEBUG=1 for the traceback)"),
              file=sys.stderr)
        return 1


def resource_error_line(e: BaseException) -> str:
    """The one line for a failure of the machine rather than of negosim: out of memory, too deep, OS refusal.

    >>> resource_error_line(MemoryError())
    'out of memory: the input needs more memory than this machine has; try a smaller scenario, fewer samples or fewer workers'
    >>> resource_error_line(RecursionError("maximum recursion depth exceeded"))
    "input nested too deeply (Python's recursion limit was reached)"
    """
    if isinstance(e, MemoryError):
        said = f" ({e})" if str(e) else ""  # numpy says how much it could not allocate
        return (f"out of memory{said}: the input needs more memory than this machine has; try a smaller "
                "scenario, fewer samples or fewer workers")
    if isinstance(e, RecursionError):
        return "input nested too deeply (Python's recursion limit was reached)"
    return os_error_line(e)


def _silence_stdout() -> None:
    # The reader went away (``negosim schema | head``): flushing at exit would fail again and
    # print a traceback, so point stdout at /dev/null.
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def run() -> None:  # pragma: no cover - console-script entry
    sys.exit(main())
