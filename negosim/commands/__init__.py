"""Subcommands of the ``negosim`` CLI, one module each (see :mod:`negosim.cli`)."""

from __future__ import annotations

import argparse

from ..errors import NegosimError


def add_scenario_args(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that read a scenario."""
    p.add_argument("--articles", metavar="DIR",
                   help="folder of the article files (default: the scenario's 'articles' key)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a named parameter (repeatable)")


def parse_params(items: list[str]) -> dict[str, float]:
    """``["us_pressure=0.5"]`` -> ``{"us_pressure": 0.5}``."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise NegosimError(f"--param expects NAME=VALUE (got '{item}')")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise NegosimError(f"--param {name}: '{value}' is not a number") from None
    return out
