"""``negosim validate FILE...``: check scenario files."""

from __future__ import annotations

import os
import sys

from negosim.errors import NegosimError
from . import add_scenario_args


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check scenario files (and observation files)",
                       description="Check scenario files (and observation files for negosim calibrate): format, references, that every quote occurs in "
                                   "its article and lies in a passage usable for the party it supports. Warns "
                                   "of numbers with neither a source nor an assumption, and of a party whose "
                                   "values of a weighted provision do not run from 0 (worst option) to 1 "
                                   "(best). Exit code 2 if any file is invalid.")
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


def _is_observation_file(f: str) -> bool:
    """Whether ``f`` declares itself an observation file (``negosim_observations:`` at the top level)."""
    from negosim.calibration.observations import HEADER
    from negosim.scenario.yaml_io import read_regular_file
    try:
        raw = read_regular_file(f)
    except NegosimError:
        return False  # load_scenario says what is wrong with it
    return any(line.split(b":", 1)[0].strip() == HEADER.encode() and not line[:1].isspace()
               for line in raw.splitlines())


def _check(f: str, articles) -> str:
    """Load and check one file (a scenario, or an observation file for calibrate); the ``ok:`` line for it."""
    from negosim.scenario.provenance import warn_unsourced
    from negosim.scenario.yaml_io import load_scenario
    if _is_observation_file(f):
        from negosim.calibration.observations import load_observations
        obs = load_observations(f, articles=articles)
        used = sum(o.used for o in obs.items)
        return (f"ok: {f} (observations: {len(obs.items)}, {used} graded states or implies, "
                f"rounds {', '.join(obs.rounds)})")
    loaded = load_scenario(f, articles=articles)
    s = loaded.scenario
    warn_unsourced(s, f)  # numbers with neither a source nor an assumption
    warn_scale(loaded)
    warn_unused_costs(loaded)
    size = 1
    for p in s.provisions.values():
        size *= len(p.options)
    return f"ok: {f} ({len(s.provisions)} provisions, {len(s.parties)} parties, {size:,} packages)"


#: How far from 0 and 1 a party's worst and best values may lie and still keep the convention.
SCALE_TOLERANCE = 1e-9


def scale_problems(scenario) -> dict[str, list[tuple[str, float, float]]]:
    """For each party, its weighted provisions whose values do not run from 0 to 1.

    The format's convention (docs/model.md): a party's worst option of a provision is
    worth 0 and its best 1, so that its weights say how much each provision matters.
    Only provisions the party weighs above 0 (point value) are checked; each problem
    is ``(provision, lowest value, highest value)`` of the point values.

    >>> from negosim.scenario.schema import Scenario
    >>> s = Scenario.model_validate({"negosim": 1, "name": "t",
    ...     "provisions": {"p": {"label": "P", "options": {"a": {"label": "A"}, "b": {"label": "B"}}}},
    ...     "parties": {"x": {"reservation": 0.5, "weights": {"p": 1}, "values": {"p": {"a": 0.2, "b": 0.9}}}},
    ...     "draft": {"p": "a"}})
    >>> scale_problems(s)
    {'x': [('p', 0.2, 0.9)]}
    """
    out: dict[str, list[tuple[str, float, float]]] = {}
    for name, party in scenario.parties.items():
        for prov, w in party.weights.items():
            points = [v.point for v in party.values.get(prov, {}).values()]
            if w.point <= 0 or not points:
                continue
            lo, hi = min(points), max(points)
            if abs(lo) > SCALE_TOLERANCE or abs(hi - 1) > SCALE_TOLERANCE:
                out.setdefault(name, []).append((prov, lo, hi))
    return out


def warn_scale(loaded) -> int:
    """One :class:`~negosim.errors.ScaleConventionWarning` per party that breaks the scale convention.

    The warning points at the ``file:line:col`` of the party's ``values:`` key and
    lists each provision with its lowest and highest value. Returns how many
    parties were warned about.
    """
    import warnings
    from negosim.errors import ScaleConventionWarning
    from negosim.scenario.yaml_io import error_at
    problems = scale_problems(loaded.scenario)
    for name, provs in problems.items():
        listed = ", ".join(f"{prov} {lo:g}-{hi:g}" for prov, lo, hi in provs)
        message = (f"scale convention (best option 1, worst 0) not kept on {len(provs)} weighted "
                   f"provision{'s' if len(provs) > 1 else ''}: {listed}; see docs/scenario-format.md")
        path = ("parties", name, "values")
        where = str(error_at(loaded.node, path, message, key_mark=True)) if loaded.node is not None \
            else f"{loaded.path}: parties.{name}.values: {message}"
        warnings.warn(where, ScaleConventionWarning, stacklevel=2)
    return len(problems)


def warn_unused_costs(loaded) -> int:
    """One :class:`~negosim.errors.UnusedCostWarning` per no-deal cost of a party whose reservation is not no_deal.

    The warning points at the ``file:line:col`` of the cost (``no_deal.cost.PARTY``).
    Returns how many costs were warned about.
    """
    import warnings
    from negosim.errors import UnusedCostWarning
    from negosim.scenario.schema import unused_costs
    from negosim.scenario.yaml_io import error_at
    from negosim.scenario.yaml_io import locate

    def file_of(path):
        try:
            return locate(loaded.node, path).start_mark.name
        except Exception:  # no node for it (a scenario built in Python): no file to compare
            return None
    names = unused_costs(loaded.scenario)
    if loaded.node is not None:
        # A file that extends a round and sets a party's reservation to a number inherits the
        # round's cost for that party: the override is the point, not a slip (say nothing).
        names = [n for n in names if file_of(("no_deal", "cost", n)) == file_of(("parties", n, "reservation"))]
    for name in names:
        message = (f"a cost for '{name}', whose reservation is a number, not no_deal: it is not used "
                   f"(give '{name}' reservation: no_deal, or remove the cost)")
        path = ("no_deal", "cost", name)
        where = str(error_at(loaded.node, path, message, key_mark=True)) if loaded.node is not None \
            else f"{loaded.path}: no_deal.cost.{name}: {message}"
        warnings.warn(where, UnusedCostWarning, stacklevel=2)
    return len(names)
