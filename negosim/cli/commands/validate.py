"""``negosim validate FILE...``: check scenario files."""

from __future__ import annotations

import os
import sys

from negosim.errors import NegosimError
from . import add_scenario_args


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check scenario files",
                       description="Check scenario files: format, references, and that every quote "
                                   "occurs in its article. Exit code 2 if any file is invalid.")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    bad = 0
    for f in args.files:
        try:
            print(_check(f, args.articles))
        except NegosimError as e:
            print(str(e), file=sys.stderr)
            bad += 1
        except Exception as e:  # a bug: say so for this file, in one line, and check the others
            if os.environ.get("NEGOSIM_DEBUG"):
                raise
            text = " ".join(f"{e.__class__.__name__}: {e}".split())[:300]
            print(f"{f}: internal error: {text} (set NEGOSIM_DEBUG=1 for the traceback)", file=sys.stderr)
            bad += 1
    return 2 if bad else 0


def _check(f: str, articles) -> str:
    """Load and check one file; the ``ok:`` line for it."""
    from negosim.scenario.provenance import warn_unsourced
    from negosim.scenario.yaml_io import load_scenario
    s = load_scenario(f, articles=articles).scenario
    warn_unsourced(s, f)  # numbers with neither a source nor an assumption
    size = 1
    for p in s.provisions.values():
        size *= len(p.options)
    return f"ok: {f} ({len(s.provisions)} provisions, {len(s.parties)} parties, {size:,} packages)"
