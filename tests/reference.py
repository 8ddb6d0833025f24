"""An independent reference of the analysis: the definitions of docs/model.md in plain Python.

It reads the scenario's own numbers from the validated pydantic model and
nothing else of negosim: no compiled tables, no scoring function, no kernels
(a test scans this file's imports). Every package of the space is enumerated
and every quantity is computed from its definition, in exact rational
arithmetic where the docs say results are exact:

- weights are clipped to >= 0 and divided by their sum; each product
  ``w_pj * v_pjo`` and each linkage bonus is rounded to a multiple of
  ``QUANTUM`` = 2**-40 (docs/model.md, "Utilities"), so a weighted-sum
  utility is an exact multiple of the quantum, held here as a ``Fraction``;
- under ``mean_of_addressed`` the addressed products are divided by the sum of
  the addressed normalised weights, exactly (the engine divides in floating
  point: the two agree to ~1e-16, exactly where weights are binary fractions);
- a party accepts when no red line of it fires and ``u >= r - 1e-9``;
- a package touches a consent rule when it moves one of the rule's provisions
  off its status quo (every package touches a rule over ``all``); it is agreed
  when every party its vetoes need accepts and every rule it touches is
  satisfied by the parties that accept it: all members (unanimity), ``k`` of
  them (k_of_n), weights summing to the quota (weighted), shares of the members
  and of their population (double), numbers read as the decimals written
  (docs/model.md, "Consent rules"); the members of a touched unanimity rule
  count among the needed parties, and every member of a rule bargains;
- a reservation ``no_deal`` is the party's expected utility of the no-deal
  outcomes' packages (status quo where an outcome is silent; linkages count,
  red lines do not), with the probabilities clipped at 0 and divided by their
  sum, minus the party's cost (docs/model.md, "No deal"), exactly;
- gains, the four solution objectives and the Nash products of repairs are
  compared exactly, so a tie is a tie of the real numbers, broken as the docs
  say (Pareto-optimal maximisers, then the lowest package index).

The exact weighted Nash product needs rational powers: powers must be
multiples of 1/64 (the product ``prod g**pi`` is compared through its
``D``-th power, ``D`` the common denominator).

Example
-------
>>> ref = Reference.from_dict({
...     "negosim": 1, "name": "toy",
...     "provisions": {"p": {"label": "P", "options": {"a": {"label": "A", "status_quo": True},
...                                                   "b": {"label": "B"}}}},
...     "parties": {"x": {"reservation": 0.5, "weights": {"p": 1},
...                       "values": {"p": {"a": 0.0, "b": 1.0}}}},
...     "draft": {"p": "b"}})
>>> ref.zone, ref.solutions["nash"], ref.repair_size
([1], 1, 0)
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np

from negosim.scenario.schema import Scenario

#: Products w*v and bonuses are rounded to multiples of this (docs/model.md, "Utilities").
QUANTUM_BITS = 40
QUANTUM = Fraction(1, 2 ** QUANTUM_BITS)
#: Acceptance tolerance below the reservation (docs/model.md, "Acceptance").
TOLERANCE = 1e-9
SOLUTION_NAMES = ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")


def quanta(x: float) -> int:
    """``x`` rounded to the quantum grid, as an integer number of quanta (half to even)."""
    return round(x * 2 ** QUANTUM_BITS)


def point(num) -> float:
    """A number's point value: its value, else the midpoint of its range (docs/scenario-format.md)."""
    if num.value is not None:
        return num.value
    if num.dist is not None:
        raise NotImplementedError("the reference takes plain numbers and ranges only")
    return (num.low + num.high) / 2


def party_numbers(s: Scenario) -> dict[tuple, float]:
    """Every party number by document path, after the parameters' linear effects.

    The rule of docs/scenario-format.md: ``field += per_unit * value`` for each effect.
    """
    out: dict[tuple, float] = {}
    for name, p in s.parties.items():
        for f in ("reservation", "power", "discount", "drift"):
            if getattr(p, f) != "no_deal":
                out[(name, f)] = point(getattr(p, f))
        for prov, w in p.weights.items():
            out[(name, "weights", prov)] = point(w)
        for prov, vals in p.values.items():
            for opt, v in vals.items():
                out[(name, "values", prov, opt)] = point(v)
        for lk in p.linkages:
            out[(name, "linkages", lk.id)] = point(lk.bonus)
        if p.ratifier is not None:
            out[(name, "ratifier", "threshold")] = point(p.ratifier.threshold)
            for prov, w in (p.ratifier.weights or {}).items():
                out[(name, "ratifier", "weights", prov)] = point(w)
    if s.no_deal is not None:
        for o in s.no_deal.outcomes:
            out[("no_deal", "outcomes", o.id)] = point(o.p)
        for name, c in s.no_deal.cost.items():
            out[("no_deal", "cost", name)] = point(c)
    for prm in s.parameters.values():
        for eff in prm.effects:
            parts = eff.path.split(".")
            if parts[0] == "no_deal":  # no_deal.outcomes.ID.p, no_deal.cost.PARTY
                key = tuple(parts[:3])
            else:
                parts = parts[1:]  # drop "parties"
                key = tuple(parts[:-1]) if parts[1] == "linkages" else tuple(parts)
            out[key] += point(eff.per_unit) * point(prm.value)
    return out


def fires(combo: dict[int, set[int]], x: tuple[int, ...]) -> bool:
    """A red line or linkage fires when every listed provision's option is among the listed ones."""
    return all(x[j] in opts for j, opts in combo.items())


def decimal(x: float) -> Fraction:
    """A number of the file as the decimal written (0.55 is 11/20)."""
    return Fraction(repr(float(x)))


def members(rule) -> list[str]:
    """The parties a consent rule counts."""
    r = rule.rule
    if r.unanimity is not None:
        return list(r.unanimity)
    if r.k_of_n is not None:
        return list(r.k_of_n.of)
    return list(r.weighted.weights if r.weighted is not None else r.double.population_of)


def satisfied(rule, yes: set[str]) -> bool:
    """Whether the accepting parties ``yes`` satisfy a consent rule (docs/model.md, "Consent rules")."""
    r = rule.rule
    if r.unanimity is not None:
        return all(m in yes for m in r.unanimity)
    if r.k_of_n is not None:
        return sum(m in yes for m in r.k_of_n.of) >= r.k_of_n.k
    if r.weighted is not None:
        return sum((decimal(w) for m, w in r.weighted.weights.items() if m in yes), Fraction(0)) \
            >= decimal(r.weighted.quota)
    pop = {m: decimal(v) for m, v in r.double.population_of.items()}
    states = Fraction(sum(m in yes for m in pop), len(pop))
    share = sum((v for m, v in pop.items() if m in yes), Fraction(0)) / sum(pop.values())
    return states >= decimal(r.double.states) and share >= decimal(r.double.population)


def dominated(R: np.ndarray) -> np.ndarray:
    """Rows of R (exact ranks) that another row dominates: >= everywhere, > somewhere."""
    out = np.zeros(len(R), dtype=bool)
    for i in range(len(R)):
        ge = (R >= R[i]).all(axis=1)
        gt = (R > R[i]).any(axis=1)
        out[i] = (ge & gt).any()
    return out


class Reference:
    """Everything ``analyze`` reports, recomputed from the definitions.

    Attributes
    ----------
    parties, provisions : list of ids; ``options[j]`` the option ids of provision j.
    packages : every package as a tuple of option indices, in package-index order
        (mixed radix, the first provision most significant, docs/model.md "Notation").
    util[i][p] : Fraction, party p's utility of package i.
    red[i][p] : ids of p's red lines that package i crosses; ``links[i][p]`` its linkages.
    needed[i][p], accepts[i][p] : bool.
    rules[i] : consent rule id -> None (package i does not touch it) or whether it is satisfied.
    zone : package indices of the zone; front : those of its Pareto front.
    solutions : name -> package index or None.
    repair_size, repair_count, repairs : the minimal repairs, best first.
    """

    def __init__(self, s: Scenario, top: int = 5):
        self.provisions = list(s.provisions)
        self.options = [list(p.options) for p in s.provisions.values()]
        self.parties = list(s.parties)
        J, P = len(self.provisions), len(self.parties)
        nums = party_numbers(s)
        sq = [next((k for k, o in enumerate(p.options.values()) if o.status_quo), None)
              for p in s.provisions.values()]
        absent = [[o.absent for o in p.options.values()] for p in s.provisions.values()]

        def combo(mapping):
            # an option reference is one id or a list of ids meaning "any of these"
            return {self.provisions.index(prov): {self.options[self.provisions.index(prov)].index(o)
                                                  for o in ([ref] if isinstance(ref, str) else ref)}
                    for prov, ref in mapping.items()}

        self.reservation, self.power, self.bargainer = [], [], []
        wq, weight, reds, links, veto = [], [], [], [], []
        for name, party in s.parties.items():
            w = [max(nums[(name, "weights", prov)], 0.0) for prov in self.provisions]
            total = sum(w)
            if total <= 0:
                raise ValueError(f"parties.{name}.weights are all zero")
            # the exact normalised weights (the denominators of mean_of_addressed) ...
            weight.append([Fraction(x) / sum(map(Fraction, w)) for x in w])
            # ... and the products w*v of the float weights, rounded as docs/model.md says
            w = [x / total for x in w]
            # w*v rounded to the quantum; values clipped to [0, 1]; no value (weight 0) counts 0
            wq.append([[quanta(w[j] * min(max(nums.get((name, "values", prov, o), 0.0), 0.0), 1.0))
                        for o in self.options[j]] for j, prov in enumerate(self.provisions)])
            reds.append([(r.id, combo(r.forbid)) for r in party.red_lines])
            links.append([(lk.id, combo(lk.when), quanta(nums[(name, "linkages", lk.id)]))
                          for lk in party.linkages])
            veto.append(party.veto if party.veto in ("all", "none")
                        else {self.provisions.index(prov) for prov in party.veto})
            self.reservation.append(nums.get((name, "reservation")))  # None: no_deal, set below
            self.power.append(nums[(name, "power")])
            self.bargainer.append(party.veto != "none" or any(name in members(r) for r in s.consent))
        if not any(self.bargainer):  # nobody holds a veto: everyone bargains
            self.bargainer = [True] * P
        self.draft = tuple(self.options[j].index(s.draft[prov]) for j, prov in enumerate(self.provisions))

        def touches(rule, x) -> bool:
            """A package touches a rule when it moves one of the rule's provisions off its status quo."""
            if rule.provisions == "all":
                return True
            return any(x[self.provisions.index(prov)] != sq[self.provisions.index(prov)] for prov in rule.provisions)

        self.packages = list(itertools.product(*[range(len(o)) for o in self.options]))
        self.util, self.red, self.links, self.needed, self.accepts = [], [], [], [], []
        for x in self.packages:
            u, red, lk, need = [], [], [], []
            for p in range(P):
                if s.aggregation == "mean_of_addressed":
                    addressed = [j for j in range(J) if not absent[j][x[j]]]
                    den = sum((weight[p][j] for j in addressed), Fraction(0))
                    num = Fraction(sum(wq[p][j][x[j]] for j in addressed)) * QUANTUM
                    base = num / den if den > 0 else Fraction(0)
                else:
                    base = Fraction(sum(wq[p][j][x[j]] for j in range(J))) * QUANTUM
                fired = [(i, b) for i, c, b in links[p] if fires(c, x)]
                up = base + sum(b for _, b in fired) * QUANTUM
                crossed = [i for i, c in reds[p] if fires(c, x)]
                if veto[p] == "all":
                    n = True
                elif veto[p] == "none":
                    n = False
                else:  # needed when a listed provision moves off its status quo
                    n = any(x[j] != sq[j] for j in veto[p])
                # a touched unanimity rule needs each of its members' consent
                n = n or any(r.rule.unanimity is not None and self.parties[p] in r.rule.unanimity
                             and touches(r, x) for r in s.consent)
                u.append(up)
                red.append(crossed)
                lk.append([(i, float(b * QUANTUM)) for i, b in fired])
                need.append(n)
            self.util.append(u)
            self.red.append(red)
            self.links.append(lk)
            self.needed.append(need)
        self._no_deal(s, nums)
        self.accepts = [[not self.red[i][p] and float(self.util[i][p]) >= self.reservation[p] - TOLERANCE
                         for p in range(P)] for i in range(len(self.packages))]
        # rule id -> None (not touched) or whether the accepting parties satisfy it, per package
        self.rules = []
        for i in range(len(self.packages)):
            yes = {self.parties[p] for p in range(P) if self.accepts[i][p]}
            self.rules.append({r.id: (satisfied(r, yes) if touches(r, self.packages[i]) else None)
                               for r in s.consent})
        self.zone = [i for i in range(len(self.packages))
                     if all(self.accepts[i][p] or not self.needed[i][p] for p in range(P))
                     and all(ok is not False for ok in self.rules[i].values())]
        self.front = self._front()
        self.solutions = self._solutions()
        self._repairs(top)
        self._ratification(s, nums, absent)

    def _ratification(self, s: Scenario, nums: dict, absent) -> None:
        """Ratifiers (docs/model.md, "Ratification"): ``ratifier_util[i][p]`` (None without a ratifier),
        ``approves[i][p]`` (True without one) and ``ratified``, the packages in the zone whose every
        needed party's ratifier approves.

        A ratifier scores a package as its party does (same values, same linkages, the same
        rounding) but with its own weights, clipped at 0 and divided by their sum (default: the
        party's); it approves when that utility is at least its threshold minus the tolerance.
        """
        J = len(self.provisions)
        self.ratifier_util = [[None] * len(self.parties) for _ in self.packages]
        self.approves = [[True] * len(self.parties) for _ in self.packages]
        for p, (name, party) in enumerate(s.parties.items()):
            rat = party.ratifier
            if rat is None:
                continue
            key = (name, "ratifier", "weights") if rat.weights is not None else (name, "weights")
            w = [max(nums[key + (prov,)], 0.0) for prov in self.provisions]
            total = sum(w)
            exact = [Fraction(x) / sum(map(Fraction, w)) for x in w]
            wq = [[quanta(w[j] / total * min(max(nums.get((name, "values", prov, o), 0.0), 0.0), 1.0))
                   for o in self.options[j]] for j, prov in enumerate(self.provisions)]
            threshold = nums[(name, "ratifier", "threshold")]
            for i, x in enumerate(self.packages):
                if s.aggregation == "mean_of_addressed":
                    addressed = [j for j in range(J) if not absent[j][x[j]]]
                    den = sum((exact[j] for j in addressed), Fraction(0))
                    num = Fraction(sum(wq[j][x[j]] for j in addressed)) * QUANTUM
                    base = num / den if den > 0 else Fraction(0)
                else:
                    base = Fraction(sum(wq[j][x[j]] for j in range(J))) * QUANTUM
                # the same linkages fire as for the party (they depend on the package only)
                u = base + Fraction(sum(quanta(b) for _, b in self.links[i][p])) * QUANTUM
                self.ratifier_util[i][p] = u
                self.approves[i][p] = float(u) >= threshold - TOLERANCE
        self.ratified = [i for i in self.zone
                         if all(self.approves[i][p] or not self.needed[i][p] for p in range(len(self.parties)))]

    def _no_deal(self, s: Scenario, nums: dict) -> None:
        """The reservations ``no_deal``: sum_o p_o U(x_o) - cost, exactly (a Fraction)."""
        if s.no_deal is None:
            return
        p = [Fraction(max(nums[("no_deal", "outcomes", o.id)], 0.0)) for o in s.no_deal.outcomes]
        if sum(p) <= 0:
            raise ValueError("no_deal.outcomes' probabilities are all zero")
        p = [x / sum(p) for x in p]
        # an outcome's package: the options it names, the status quo elsewhere
        sq = {prov: k for prov, p in s.provisions.items() for k, opt in p.options.items() if opt.status_quo}
        packages = [tuple(self.options[j].index(o.package[prov] if prov in o.package else sq[prov])
                          for j, prov in enumerate(self.provisions)) for o in s.no_deal.outcomes]
        self.no_deal_packages = [self.packages.index(x) for x in packages]
        for k, (name, party) in enumerate(s.parties.items()):
            if party.reservation == "no_deal":
                expected = sum((pk * self.util[i][k] for pk, i in zip(p, self.no_deal_packages)), Fraction(0))
                self.reservation[k] = expected - Fraction(nums[("no_deal", "cost", name)])

    @classmethod
    def from_dict(cls, data: dict, top: int = 5) -> "Reference":
        return cls(Scenario.model_validate(data), top)

    # -- definitions --------------------------------------------------------
    def gain(self, i: int, p: int) -> Fraction:
        return self.util[i][p] - Fraction(self.reservation[p])

    def _front(self) -> list[int]:
        """Zone packages that no zone package dominates (equal vectors all stay)."""
        if not self.zone:
            return []
        # Exact utilities replaced by their rank per party: dominance only needs the order.
        R = np.zeros((len(self.zone), len(self.parties)), dtype=np.int64)
        for p in range(len(self.parties)):
            levels = sorted({self.util[i][p] for i in self.zone})
            rank = {v: k for k, v in enumerate(levels)}
            R[:, p] = [rank[self.util[i][p]] for i in self.zone]
        return [i for i, d in zip(self.zone, dominated(R)) if not d]

    def nash_key(self, i: int):
        """A number ordered like the weighted Nash product ``prod_B max(g, 0)**pi`` (its D-th power)."""
        B = [p for p in range(len(self.parties)) if self.bargainer[p]]
        pw = [Fraction(self.power[p]) for p in B]
        D = math.lcm(*(f.denominator for f in pw))
        if D > 64:
            raise NotImplementedError("the reference needs powers that are multiples of 1/64")
        key = Fraction(1)
        for p, f in zip(B, pw):
            g = self.gain(i, p)
            if g <= 0:
                return Fraction(0)
            key *= g ** int(f * D)
        return key

    def objectives(self) -> dict[str, dict[int, Fraction] | None]:
        """Each solution's objective on every zone package (None: undefined)."""
        B = [p for p in range(len(self.parties)) if self.bargainer[p]]
        Z = self.zone
        out: dict[str, dict[int, Fraction] | None] = {}
        nash = {i: self.nash_key(i) for i in Z}
        out["nash"] = nash if any(v > 0 for v in nash.values()) else None
        ideal = {p: max(self.gain(i, p) for i in Z) for p in B} if Z else {}
        Bplus = [p for p in B if ideal[p] > 0]
        out["kalai_smorodinsky"] = ({i: min(self.gain(i, p) / ideal[p] for p in Bplus) for i in Z}
                                    if Bplus else None)
        out["egalitarian"] = {i: min(self.gain(i, p) for p in B) for i in Z}
        out["utilitarian"] = {i: sum(self.util[i]) for i in Z}
        return out

    def _solutions(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {name: None for name in SOLUTION_NAMES}
        if not self.zone:
            return out
        front = set(self.front)
        for name, obj in self.objectives().items():
            if obj is None:
                continue
            best = max(obj.values())
            # ties: the Pareto-optimal maximisers, then the lowest package index
            out[name] = min(i for i, v in obj.items() if v == best and i in front)
        return out

    def nash_product(self, i: int) -> float:
        """The weighted Nash product of package i, as a float (for display comparisons)."""
        return math.prod(max(float(self.gain(i, p)), 0.0) ** self.power[p]
                         for p in range(len(self.parties)) if self.bargainer[p])

    def distance(self, i: int) -> int:
        return sum(a != b for a, b in zip(self.packages[i], self.draft))

    def _repairs(self, top: int) -> None:
        if not self.zone:
            self.repair_size, self.repair_count, self.repairs = None, 0, []
            return
        self.repair_size = min(self.distance(i) for i in self.zone)
        at = [i for i in self.zone if self.distance(i) == self.repair_size]
        self.repair_count = len(at)
        # largest Nash product first, ties by package index
        self.all_repairs = sorted(at, key=lambda i: (-self.nash_key(i), i))
        self.repairs = self.all_repairs[:top]

    # -- convenience ----------------------------------------------------------
    def index(self, package: dict[str, str]) -> int:
        """Package index of a ``{provision: option}`` mapping."""
        x = tuple(self.options[j].index(package[prov]) for j, prov in enumerate(self.provisions))
        return self.packages.index(x)

    def draft_index(self) -> int:
        return self.packages.index(self.draft)

    def transfer_zone(self, s: Scenario) -> list[int]:
        """The zone with side payments (docs/model.md, "Side payments"), from its definition.

        Package i is in it when some split ``s >= 0`` of at most the amount ``t`` available under
        its option of the transferable provision makes every needed party accept:
        ``u_p + v_p s_p >= r_p - 1e-9`` and no red line. For each package the split is built
        (each needed party gets exactly what it lacks, nobody else anything) and the definition
        checked on it, exactly; any split that works gives every needed party at least that much,
        so when the built one spends more than ``t`` none exists.
        """
        (j, prov), = [(j, p) for j, p in enumerate(s.provisions.values()) if p.transferable is not None]
        t = prov.transferable
        opts = list(prov.options)
        value = [Fraction(point(t.value_per_unit[name])) if name in t.value_per_unit else Fraction(0)
                 for name in self.parties]
        out = []
        for i, x in enumerate(self.packages):
            amount = Fraction(point(t.total)) if t.options is None or opts[x[j]] in t.options else Fraction(0)
            split = []
            for p in range(len(self.parties)):
                lack = Fraction(self.reservation[p]) - Fraction(TOLERANCE) - self.util[i][p]
                split.append(lack / value[p] if self.needed[i][p] and lack > 0 and value[p] > 0 else Fraction(0))
            ok = sum(split) <= amount and all(
                not self.red[i][p] and self.util[i][p] + value[p] * split[p] >= Fraction(self.reservation[p])
                - Fraction(TOLERANCE) for p in range(len(self.parties)) if self.needed[i][p])
            if ok:
                out.append(i)
        return out
