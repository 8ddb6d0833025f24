"""Subcommands of the ``negosim`` CLI, one module each (see :mod:`negosim.cli.main`)."""

from __future__ import annotations

import argparse

from negosim.errors import NegosimError


def add_scenario_args(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that read a scenario."""
    p.add_argument("--articles", metavar="DIR",
                   help="folder of the article files (default: the scenario's 'articles' key)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a named parameter (repeatable)")


def parse_params(items: list[str]) -> dict[str, float]:
    """``["us_pressure=0.5"]`` -> ``{"us_pressure": 0.5}``; each value must be a finite number.

    >>> parse_params(["a=0.5", " b = -1e-3"])
    {'a': 0.5, 'b': -0.001}
    """
    from negosim.cli.argtypes import finite_float
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise NegosimError(f"--param expects NAME=VALUE (got {item[:60]!r})")
        try:
            # nan, inf and 1e309 parse as floats but make no scenario number: refused like text
            out[name.strip()] = finite_float()(value.strip())
        except argparse.ArgumentTypeError:
            raise NegosimError(f"--param {name.strip()[:40]}: {value.strip()[:40]!r} is not a finite number") from None
    return out
