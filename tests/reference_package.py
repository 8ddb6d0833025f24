"""One package scored from the definitions, for spaces too large for tests/reference.py.

:class:`reference.Reference` enumerates the whole package space, which is fine for
the small scenarios of the tests but not for the shipped ones (127 million
packages). :func:`package_verdicts` applies the same definitions of docs/model.md
to one package only, with the reference's own building blocks (``party_numbers``
for the parameters' effects, ``quanta`` for the rounding of each product,
``fires`` for red lines and linkages). Like the reference it reads nothing of
negosim but the validated scenario model.

Example
-------
>>> from negosim.scenario.schema import Scenario
>>> opts = {"keep": {"label": "keep", "status_quo": True}, "cede": {"label": "cede"}}
>>> s = Scenario.model_validate({"negosim": 1, "name": "one package",
...     "provisions": {"land": {"label": "Land", "options": opts}},
...     "parties": {"kyiv": {"reservation": 0.25, "weights": {"land": 1},
...                          "values": {"land": {"keep": 1.0, "cede": 0.5}},
...                          "red_lines": [{"id": "no_cession", "forbid": {"land": "cede"}}]}},
...     "draft": {"land": "cede"}})
>>> v = package_verdicts(s, {"land": "cede"})["kyiv"]
>>> float(v["utility"]), v["accepts"], v["red_lines"]
(0.5, False, ['no_cession'])
"""

from __future__ import annotations

from fractions import Fraction

from reference import QUANTUM, TOLERANCE, fires, party_numbers, quanta


def package_verdicts(s, package: dict[str, str]) -> dict[str, dict]:
    """Each party's verdict on one package, from the definitions.

    Parameters
    ----------
    s : negosim.scenario.schema.Scenario
    package : ``{provision: option}`` for every provision.

    Returns
    -------
    dict
        party -> ``{"utility": Fraction, "red_lines": [ids], "linkages": [ids],
        "needed": bool, "accepts": bool, "reservation": float}``.
    """
    nums = party_numbers(s)
    provs = list(s.provisions)
    # A combination fires on the package: the same test as the reference's, on one package
    # encoded as option ids mapped to themselves (so no index bookkeeping is needed).
    x = {j: package[prov] for j, prov in enumerate(provs)}

    def combo(mapping):
        return {provs.index(prov): set([ref] if isinstance(ref, str) else ref) for prov, ref in mapping.items()}

    def utility(name, party, pkg):
        """Weighted values plus linkage bonuses of one package (docs/model.md, "Utilities")."""
        w = [max(nums[(name, "weights", prov)], 0.0) for prov in provs]
        total = sum(w)
        if s.aggregation == "mean_of_addressed":
            exact = [Fraction(v) / sum(map(Fraction, w)) for v in w]
            addressed = [j for j, prov in enumerate(provs) if not s.provisions[prov].options[pkg[prov]].absent]
        else:
            addressed = list(range(len(provs)))
        q = [quanta(w[j] / total * min(max(nums.get((name, "values", provs[j], pkg[provs[j]]), 0.0), 0.0), 1.0))
             for j in addressed]
        base = Fraction(sum(q)) * QUANTUM
        if s.aggregation == "mean_of_addressed":
            den = sum((exact[j] for j in addressed), Fraction(0))
            base = base / den if den > 0 else Fraction(0)
        at = {j: pkg[prov] for j, prov in enumerate(provs)}
        fired = [lk.id for lk in party.linkages if fires(combo(lk.when), at)]
        return base + sum(quanta(nums[(name, "linkages", i)]) for i in fired) * QUANTUM, fired

    def reservation(name, party):
        """A number, or for ``no_deal`` the expected utility of the outcomes less the cost
        (docs/model.md, "No deal"; probabilities clipped at 0 and renormalised; no red lines)."""
        if party.reservation != "no_deal":
            return nums[(name, "reservation")]
        ps = [Fraction(max(nums[("no_deal", "outcomes", o.id)], 0.0)) for o in s.no_deal.outcomes]
        sq = {prov: k for prov, pr in s.provisions.items() for k, opt in pr.options.items() if opt.status_quo}
        expected = sum((pk / sum(ps) * utility(name, party, {**sq, **o.package})[0]
                        for pk, o in zip(ps, s.no_deal.outcomes)), Fraction(0))
        return float(expected - Fraction(nums[("no_deal", "cost", name)]))

    out = {}
    for name, party in s.parties.items():
        u, fired = utility(name, party, package)
        red = [r.id for r in party.red_lines if fires(combo(r.forbid), x)]
        if party.veto in ("all", "none"):
            needed = party.veto == "all"
        else:  # needed when a listed provision leaves its status quo
            needed = any(not s.provisions[prov].options[package[prov]].status_quo for prov in party.veto)
        # A touched unanimity rule needs each of its members (docs/model.md, "Consent rules").
        moved = {prov for prov in provs if not s.provisions[prov].options[package[prov]].status_quo}
        needed = needed or any(r.rule.unanimity is not None and name in r.rule.unanimity
                               and (r.provisions == "all" or bool(moved & set(r.provisions))) for r in s.consent)
        res = reservation(name, party)
        out[name] = {"utility": u, "red_lines": red, "linkages": fired, "needed": needed,
                     "accepts": not red and float(u) >= res - TOLERANCE, "reservation": res}
    return out
