"""``negosim validate FILE...``: check scenario files."""

from __future__ import annotations

import os
import sys

from ..errors import NegosimError
from . import add_scenario_args


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check scenario files",
                       description="Check scenario files: format, references, and that every quote "
                                   "occurs in its article. Exit code 2 if any file is invalid.")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..provenance import warn_unsourced
    from ..yamlio import load_scenario
    bad = 0
    for f in args.files:
        try:
            ls = load_scenario(f, articles=args.articles)
        except NegosimError as e:
            print(str(e), file=sys.stderr)
            bad += 1
            continue
        except Exception as e:  # a bug: say so for this file, in one line, and check the others
            if os.environ.get("NEGOSIM_DEBUG"):
                raise
            text = " ".join(f"{e.__class__.__name__}: {e}".split())[:300]
            print(f"{f}: internal error: {text} (set NEGOSIM_DEBUG=1 for the traceback)", file=sys.stderr)
            bad += 1
            continue
        s = ls.scenario
        warn_unsourced(s, f)  # numbers with neither a source nor an assumption
        size = 1
        for p in s.provisions.values():
            size *= len(p.options)
        print(f"ok: {f} ({len(s.provisions)} provisions, {len(s.parties)} parties, {size:,} packages)")
    return 2 if bad else 0
