"""``negosim export FILE --format genius|geniusweb -o DIR``: a scenario as GENIUS or GeniusWeb files."""

from __future__ import annotations

import sys
from pathlib import Path

from . import add_scenario_args


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write a scenario as a GENIUS or GeniusWeb domain and profiles",
                       description="Write a scenario as a GENIUS XML or GeniusWeb JSON domain and one profile per party. Only what those formats express can be written: weighted sums, no "
                                   "red lines, linkages, parameters, partial vetoes, drift or powers (exit 2 "
                                   "naming what cannot be expressed).")
    p.add_argument("file", metavar="FILE")
    from negosim.formats.files import FORMATS
    p.add_argument("--format", choices=list(FORMATS), required=True,
                   help="the format to write (genius: XML files; geniusweb: JSON files)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write the files into")
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.errors import NegosimError
    from negosim.formats.domain import from_scenario
    from negosim.formats.files import write_domain
    from negosim.scenario.yaml_io import load_scenario
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise NegosimError(f"{out}: exists and is not a folder")
    s = load_scenario(args.file, articles=args.articles).scenario
    if args.param:
        raise NegosimError("export writes the scenario as it is; --param is not supported")
    written = write_domain(from_scenario(s, args.format), args.format, out)
    print(f"wrote {len(written)} files to {out}", file=sys.stderr)
    return 0
