"""Argument types for the ``negosim`` command line: every number and path a user types is checked here.

Each factory returns a callable for argparse's ``type=``: it turns the text
into a value or raises :class:`argparse.ArgumentTypeError` with a message a
person can act on (the CLI prints it as one line and exits with code 2). The
bounds are the documented limits (docs/limits.md); a command that needs a
larger value says which flag overrides the limit.

Example
-------
>>> seed("7")
7
>>> int_in(1, 10)("11")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: must be a whole number from 1 to 10 (got '11')
>>> finite_float(1, 2400)("nan")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: must be a finite number from 1 to 2400 (got 'nan')
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

from negosim.limits import MAX_SEED


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def int_in(lo: int, hi: int):
    """A whole number in ``[lo, hi]``; ``"1e3"`` is read as 1000 when it is whole."""

    def parse(text: str) -> int:
        value = _parse_int(text)
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {_fmt(lo)} to {_fmt(hi)} (got {text[:40]!r})")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its messages
    return parse


def _parse_int(text: str) -> int | None:
    text = text.strip()
    if len(text) > 40:  # a 5,000-digit integer is a typo, and int() on it is slow in Python 3.11+
        return None
    try:
        return int(text, 10)
    except ValueError:
        pass
    try:
        f = float(text)
    except ValueError:
        return None
    if math.isfinite(f) and f == int(f):
        return int(f)
    return None


def finite_float(lo: float = -math.inf, hi: float = math.inf):
    """A finite real number in ``[lo, hi]``."""

    def parse(text: str) -> float:
        try:
            value = float(text) if len(text) <= 40 else math.nan
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and lo <= value <= hi):
            raise argparse.ArgumentTypeError(
                f"must be a finite number from {_fmt(lo)} to {_fmt(hi)} (got {text[:40]!r})")
        return value

    parse.__name__ = "number"
    return parse


#: ``--seed``: a non-negative integer that numpy accepts.
seed = int_in(0, MAX_SEED)


def output_file(text: str) -> Path:
    """A file to write: not a directory, in a folder that exists and can be written.

    Checked when the command line is read, so a long run never fails only at its end.
    """
    path = Path(text)
    if text == "" or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file to write")
    if path.exists() and not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a regular file")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"folder {str(parent)!r} {what}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: permission denied")
    try:  # os.access says yes to root everywhere, also in /proc and /sys: make a file to be sure
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as e:
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {e.strerror or e}") from None
    os.close(fd)
    os.unlink(probe)
    return path
