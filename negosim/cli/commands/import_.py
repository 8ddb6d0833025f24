"""``negosim import FOLDER_OR_FILES -o scenario.yaml``: a GENIUS, GeniusWeb or NegMAS domain as a negosim scenario."""

from __future__ import annotations

import sys
import time

from negosim.cli.argtypes import int_in, output_file
from negosim.limits import MAX_BINS


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="read a GENIUS, GeniusWeb or NegMAS domain and its profiles into a scenario",
                       description="Read a GENIUS XML domain with its utility profiles, GeniusWeb JSON ones "
                                   "or a NegMAS YAML scenario folder (a folder, or the files), and write a negosim scenario: one party per "
                                   "profile, every number citing the file it comes from (docs/genius.md).")
    p.add_argument("paths", nargs="+", metavar="FOLDER_OR_FILE")
    p.add_argument("-o", "--output", type=output_file, required=True, metavar="FILE",
                   help="the scenario YAML to write")
    p.add_argument("--bins", type=int_in(2, MAX_BINS), default=None, metavar="K",
                   help="discretise each real-valued issue into K evenly spaced values (without it such "
                        f"issues are refused; at most {MAX_BINS:,})")
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.fileio import atomic_output
    from negosim.formats.domain import to_scenario
    from negosim.formats.files import read_domain
    from negosim.scenario.schema import Scenario
    from negosim.scenario.yaml_io import dump_yaml
    t = time.perf_counter()
    domain = read_domain(args.paths, bins=args.bins)
    scenario = Scenario.model_validate(to_scenario(domain, args.output))
    # Defaults left out: an imported domain has thousands of options, each with empty fields.
    text = dump_yaml(scenario.model_dump(mode="json", exclude_defaults=True), width=120)
    with atomic_output(args.output) as tmp:
        tmp.write_text(text, encoding="utf-8")
    size = 1
    for prov in scenario.provisions.values():
        size *= len(prov.options)
    print(f"wrote {args.output}: {len(scenario.provisions)} issues, {len(scenario.parties)} parties, "
          f"{size:,} packages ({time.perf_counter() - t:.2f} s)", file=sys.stderr)
    return 0
