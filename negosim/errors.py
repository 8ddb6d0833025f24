"""The error and warning family that negosim raises for its users.

Every failure a user can cause (a bad scenario file, an unknown option id, a
malformed sweep) is a :class:`NegosimError`. The CLI prints its one-line
``str()`` and exits with code 2; it never shows a traceback for these.

Example
-------
>>> err = ScenarioError("weights must sum to 1", path=("parties", "us", "weights"))
>>> str(err)
'parties.us.weights: weights must sum to 1'
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """``text`` with its line breaks folded to spaces: the CLI prints every error as one line.

    >>> one_line("bad\\nvalue\\r\\n here")
    'bad value here'
    """
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


class NegosimError(Exception):
    """Base class of every error a user can act on; ``str()`` is always one line."""

    def __str__(self) -> str:
        return one_line(super().__str__())


class PathError(ValueError):
    """A validation problem at a path inside the scenario document.

    Raised from inside pydantic validators; the YAML loader reads ``path`` to
    point at the offending node's ``file:line:col``.
    """

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


def format_path(path: tuple) -> str:
    """Dotted form of a document path: ``("a", 0, "b")`` -> ``a[0].b``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class ScenarioError(NegosimError):
    """A scenario that cannot be loaded, with where and why.

    Parameters
    ----------
    message : str
        What is wrong, in words a user can act on.
    path : tuple, optional
        Path of the offending field inside the document.
    file, line, col : optional
        Location of the offending YAML node (1-based line and column).
    """

    def __init__(self, message: str, path: tuple = (), file: str | None = None,
                 line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = tuple(path)
        self.file = file
        self.line = line
        self.col = col

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}:{self.col}: " if self.line else f"{self.file}: "
        field = format_path(self.path)
        return one_line(f"{where}{field}: {self.message}" if field else f"{where}{self.message}")


class NegosimWarning(UserWarning):
    """Base class of negosim's warnings."""


class ArticlesMissingWarning(NegosimWarning):
    """The article folder is missing, so quotes could not be checked."""


class WeightsNormalizedWarning(NegosimWarning):
    """A party's weights did not sum to 1 and were rescaled."""


class UnsourcedWarning(NegosimWarning):
    """Numbers without a source or an explicit assumption."""


class NoDealUnusedWarning(NegosimWarning):
    """A scenario has a no_deal section but no party's reservation is ``no_deal``."""


class UnusedCostWarning(NegosimWarning):
    """A no-deal cost is given for a party whose reservation is not ``no_deal``: it is not used."""


class ScaleConventionWarning(NegosimWarning):
    """A party's values of a weighted provision do not run from 0 (its worst option) to 1 (its best)."""
