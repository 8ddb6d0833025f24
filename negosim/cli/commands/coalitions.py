"""``negosim coalitions FILE``: what the others can agree without each party whose consent is required.

For every set of parties whose consent some veto or consent rule requires
(each party with a veto; the members of each rule), the provisions that set
controls (its members' list vetoes and the listed provisions of every rule
with a member in it) are held at the status quo and its consent is not asked:
is there still a deal among the others, how large is that zone, and which
package is the Nash point? Every number comes from the engine's own analysis
of the restricted scenario (:func:`negosim.engine.compiled.held_at_status_quo`).
Then, for the file's draft, which parties are *pivotal*: the draft is agreed,
and would not be if that party switched to reject (docs/model.md, "Coalitions").

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> out = coalitions(random_scenario(parties=2, provisions=3, options=2, seed=1))
>>> [c["parties"] for c in out["coalitions"]]
[['p0'], ['p1']]
"""

from __future__ import annotations

import json
import sys

from . import add_scenario_args, parse_params


def add_parser(sub) -> None:
    p = sub.add_parser("coalitions", help="what the others can agree without each party or rule whose "
                                          "consent is required, and who is pivotal for the draft",
                       description="For each set of parties whose consent a veto or a consent rule requires "
                                   "(each party with a veto, the members of each rule), hold the provisions "
                                   "they control (their list vetoes and the listed provisions of their rules) "
                                   "at the status quo, leave their consent out, and analyse what the others "
                                   "can agree: whether a deal exists, the size of that zone and its Nash point. "
                                   "Then say which parties are pivotal for the draft: it is agreed and would "
                                   "not be if that party rejected it. Last, each party's veto power "
                                   "(Shapley-Shubik and Banzhaf indices, docs/model.md) over each rule's "
                                   "provisions and over the whole deal.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true",
                   help="print {coalitions: [{parties, why, held, space_size, zone_size, deal, nash}], "
                        "draft: {agreed, pivotal}, power: {GROUP: {PARTY: {shapley_shubik, banzhaf, "
                        "banzhaf_raw, swings}}}} as JSON (GROUP: a consent rule's id, or deal)")
    add_scenario_args(p)
    p.set_defaults(func=run)


def consent_sets(scenario) -> list[tuple[list[str], list[str]]]:
    """``(parties, why)`` for each set whose consent is required: a veto's party, a rule's members.

    Equal sets are listed once, with every reason (``veto`` or ``rule ID``).
    """
    found: dict[tuple[str, ...], list[str]] = {}
    for name, party in scenario.parties.items():
        if party.veto != "none" and party.veto != []:
            found.setdefault((name,), []).append("veto")
    for rule in scenario.consent:
        key = tuple(p for p in scenario.parties if p in rule.members())  # in the scenario's order
        found.setdefault(key, []).append(f"rule {rule.id}")
    return [(list(k), why) for k, why in found.items()]


def _held(scenario, who: set[str]) -> list[str]:
    """The provisions ``who`` controls: their list vetoes, the listed provisions of their rules."""
    held = set()
    for name in who:
        if isinstance(scenario.parties[name].veto, list):
            held |= set(scenario.parties[name].veto)
    for rule in scenario.consent:
        if who & set(rule.members()) and rule.provisions != "all":
            held |= set(rule.provisions)
    return [p for p in scenario.provisions if p in held]


def without(scenario, who: set[str], params=None):
    """The compiled scenario of the others: ``who``'s provisions at the status quo, its consent not asked.

    ``who``'s parties get ``veto: none`` and the rules with a member in ``who`` are set aside (those
    over listed provisions are untouched anyway once the provisions are held); numbers are unchanged.
    """
    from negosim.engine.compiled import compile_scenario, held_at_status_quo
    from negosim.scenario.schema import Scenario
    data = scenario.model_dump(mode="python", exclude_none=True, by_alias=True)
    for name in who:
        data["parties"][name]["veto"] = "none"
    data["consent"] = [r for r, rule in zip(data.get("consent", []), scenario.consent)
                       if not who & set(rule.members())]
    others = Scenario.model_validate(data)
    cs = compile_scenario(others, params)
    held = _held(scenario, who)
    return held_at_status_quo(cs, [cs.provision_ids.index(p) for p in held]), held


def pivotal(cs, package) -> tuple[bool, list[str]]:
    """Whether ``package`` (option indices) is agreed, and the parties whose rejection would undo it."""
    import numpy as np
    from negosim.engine.compiled import unanimous
    x = np.asarray(package, dtype=np.int64)[None, :]
    s = cs.score(x)
    ok = s.accepts[:, 0]

    def agreed(acc):
        return bool(unanimous(acc, s.needed[:, 0], axis=0, touched=s.touched[:, 0], consent=cs.consent))
    if not agreed(ok):
        return False, []
    out = []
    for i, p in enumerate(cs.party_ids):
        if ok[i]:
            flipped = ok.copy()
            flipped[i] = False
            if not agreed(flipped):
                out.append(p)
    return True, out


def coalitions(scenario, params: dict[str, float] | None = None) -> dict:
    """Each consent set's deal among the others, and who is pivotal for the draft (see the module doc)."""
    import warnings
    from negosim.engine.analysis import analyze
    from negosim.engine.compiled import compile_scenario
    from negosim.errors import WeightsNormalizedWarning
    rows = []
    for who, why in consent_sets(scenario):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", WeightsNormalizedWarning)  # said once, when the file was loaded
            cs, held = without(scenario, set(who), params)
        a = analyze(cs, top=0, pareto=False)
        nash = a.solutions.get("nash")
        rows.append({"parties": who, "why": why, "held": held, "space_size": a.space_size,
                     "zone_size": a.zone_size, "deal": a.zone_size > 0,
                     "nash": None if nash is None else {"package": nash.package, "utilities": nash.utilities}})
    cs = compile_scenario(scenario, params)
    agreed, piv = pivotal(cs, cs.draft)
    return {"coalitions": rows, "draft": {"agreed": agreed, "pivotal": piv}, "power": power(scenario)}


def power(scenario) -> dict:
    """Shapley-Shubik and Banzhaf power of each party per consent rule's provisions and for the
    whole deal (``deal``), from :func:`negosim.engine.power.scenario_power`; ``{"error": why}``
    when the game is too large to compute exactly."""
    from negosim.engine.power import PowerError, scenario_power
    try:
        return {group: ix.as_dict() for group, ix in scenario_power(scenario).items()}
    except PowerError as e:
        return {"error": str(e)}


def run(args) -> int:
    from negosim.scenario.yaml_io import load_scenario
    ls = load_scenario(args.file, articles=args.articles)
    out = coalitions(ls.scenario, parse_params(args.param))
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
        return 0
    _print(ls.scenario, out)
    return 0


def _print(scenario, out) -> None:
    from rich.console import Console
    from rich.markup import escape
    con = Console(soft_wrap=False)

    def name(p):
        return escape(scenario.parties[p].label or p)

    def prov(p):
        return escape(scenario.provisions[p].label or p)
    if not out["coalitions"]:
        con.print("No party's consent is required by a veto or a consent rule.")
    for c in out["coalitions"]:
        who = ", ".join(name(p) for p in c["parties"])
        held = ", ".join(prov(p) for p in c["held"]) or "nothing"
        con.print(f"[bold]Without {who}[/bold] ({escape(', '.join(c['why']))}; held at the status quo: {held})")
        if not c["deal"]:
            con.print(f"  no deal among the others: none of {c['space_size']:,} packages is agreed")
            continue
        con.print(f"  a deal exists: {c['zone_size']:,} of {c['space_size']:,} packages are agreed")
        if c["nash"] is not None:
            # Only what the Nash point moves off the status quo (--json has the whole package).
            pkg = ", ".join(f"{prov(k)}: {escape(scenario.provisions[k].options[v].label)}"
                            for k, v in c["nash"]["package"].items()
                            if k not in c["held"] and v != scenario.provisions[k].status_quo)
            con.print(f"  Nash point, off the status quo: {pkg or 'nothing (the status quo)'}")
    d = out["draft"]
    if not d["agreed"]:
        con.print("The draft is not agreed, so nobody is pivotal for it.")
    elif d["pivotal"]:
        con.print("Pivotal for the draft (it would fail if that party rejected it): "
                  + ", ".join(name(p) for p in d["pivotal"]) + ".")
    else:
        con.print("The draft is agreed and no single party's rejection would undo it.")
    _print_power(con, scenario, out["power"], name)


def _print_power(con, scenario, power, name) -> None:
    """Veto power: a table with a row per party and a column per group (each cell
    Shapley-Shubik/Banzhaf), or one wrapped list per group where the table does not fit."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text
    from negosim.cli.render import fit_table, print_items
    if "error" in power:
        con.print(Text(f"Veto power not computed: {power['error']}"))
        return
    groups = list(power)

    def group_name(g):  # plain text: escaped where it goes into a table
        if g == "deal":
            return "whole deal"
        rule = next((r for r in scenario.consent if r.id == g), None)
        return rule.label if rule is not None and rule.label else g

    def plain(p):
        return scenario.parties[p].label or p

    def cell(g, p):  # one word, so that a column never splits it
        return f"{power[g][p]['shapley_shubik']:.3f}/{power[g][p]['banzhaf']:.3f}"
    con.print(Text("Veto power, Shapley-Shubik/Banzhaf (normalised), per consent rule's provisions and for "
                   "the whole deal (docs/model.md):"), soft_wrap=False)
    t = Table()
    t.add_column("party")
    for g in groups:
        t.add_column(escape(group_name(g)), justify="right")
    parties = list(power["deal"])
    for p in parties:
        t.add_row(name(p), *[cell(g, p) for g in groups])
    if fit_table(con, t):
        con.print(t)
        return
    for g in groups:
        print_items(con, [f"{plain(p)} {cell(g, p)}" for p in parties], f"  {group_name(g)}: ")
