"""Where every number of a scenario comes from, and how well its evidence supports it.

:func:`provenance` lists each number a scenario states (weights, values,
reservations, linkage bonuses, parameter effects, no-deal terms, ...) with its
evidence: the source id and article file, the verbatim quote, what the quote
shows (claim), its confidence and its grade (``supports``), or the reason it is
an assumption. Each number has one grade (:data:`~negosim.scenario.numbers.GRADES`):

- ``states`` or ``implies``: the quote says what the number encodes, or it
  follows by the inference in ``claim``. Only these count as *sourced*;
- ``context``: the quote is background only, the size is an assumption (the
  number is a range or a distribution);
- ``assumption``: no quote, a stated reason instead;
- ``ungraded``: a quote without ``supports`` (a file written before grades):
  it is shown, but not counted as sourced;
- ``unsourced``: a bare number (the scenario format allows it, the shipped
  scenarios must not have any).

An item's ``status`` is ``sourced`` for the first two grades and the grade
otherwise. Numbers left at the format's neutral default (``power: 1``,
``discount: 1``, ``drift: 0``, a parameter's ``value: 0``) state nothing and are
counted apart as defaults. The **deciding numbers** (:func:`deciding_paths`)
are counted apart as well.

**Inert numbers** (:func:`inert_paths`) decide nothing in the round and are in
no count (``numbers``, ``sourced``, ``assumptions``, ``unsourced``, the shares,
the grades, by party, deciding); they stay in the items, marked ``inert``. The
rule follows the compiled tables (:meth:`NumberLayout.derive
<negosim.engine.compiled.NumberLayout.derive>`): a value enters a utility only
as ``weight * value``, the weight clipped at 0 and rescaled. So a value
``parties.P.values.PROV.OPT`` is inert exactly when P's weight of PROV is 0 in
every draw: every value it can take is 0 (a plain 0, or a range from 0 to 0;
no distribution reaching above 0) and no parameter effect targets it; and when P has a ratifier with its own weights
(the ratifier scores with P's values), the ratifier's weight of PROV is 0 in
the same sense. A ranged weight (even one whose point is 0) is not 0 in every
draw, so its values count. A weight is never inert (it is what says the
provision does not matter); red lines, linkages and no-deal terms do not
depend on values. "In the round" is the file with its parameters: a sweep axis
that sets such a weight (a separate file) makes the values count again.
:func:`quote_loads` still counts inert numbers (a quote cited for them is still
cited).

Every path is named as the other commands name it
(:func:`~negosim.scenario.numbers.dotted_name`): no-deal outcomes and
linkages by id (``no_deal.outcomes.front_holds.p``), parameter effects by
position (``parameters.pressure.effects.0.per_unit``).

The evidence of red lines, options and no-deal outcome packages (what fighting
on brings: :class:`PackageEntry`, one per ``provision: option`` of an outcome's
package) is listed beside the numbers, never counted with them.
:func:`quote_loads` counts how many numbers each
quote supports (the shipped scenarios allow at most three);
:func:`warn_unsourced` is the check ``negosim validate`` runs.

Example
-------
>>> from negosim.scenario.schema import Scenario
>>> s = Scenario.model_validate({
...     "negosim": 1, "name": "toy",
...     "sources": {"A": {"file": "a.txt"}},
...     "provisions": {"p": {"label": "P", "options": {"a": {"label": "A", "status_quo": True},
...                                                   "b": {"label": "B"}}}},
...     "parties": {"x": {"reservation": {"value": 0.5, "assumption": "no data"},
...                       "weights": {"p": 1},
...                       "values": {"p": {"a": {"value": 0.0, "source": "A", "quote": "no", "supports": "states"},
...                                        "b": {"value": 1.0, "source": "A", "quote": "yes"}}}}},
...     "draft": {"p": "b"}})
>>> r = provenance(s)
>>> r.numbers, r.sourced, r.assumptions, r.unsourced
(4, 1, 1, 1)
>>> r.grades()
{'states': 1, 'implies': 0, 'context': 0, 'assumption': 1, 'ungraded': 1, 'unsourced': 1}
>>> r.unsourced_paths(), r.deciding
(['parties.x.weights.p'], ['parties.x.reservation', 'parties.x.weights.p'])
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from negosim.errors import UnsourcedWarning
from .numbers import GRADES, SUPPORTED, Number, dotted_name, evidence_grade

#: Fields whose format default states nothing when left as is.
_DEFAULTS = {"power": Number(value=1.0), "discount": Number(value=1.0), "drift": Number(value=0.0),
             "value": Number(value=0.0)}
#: Most numbers one quote should support (the evidence backs a ranking, not a decimal).
MAX_NUMBERS_PER_QUOTE = 3
#: How many of each party's largest weights are deciding numbers.
DECIDING_WEIGHTS = 3
#: Every status an item can have: ``sourced`` (graded states or implies) or the grade.
STATUSES = ("sourced", "context", "assumption", "ungraded", "unsourced")


def status_of(grade: str) -> str:
    """The status of a number of this grade: ``sourced`` for states and implies, else the grade."""
    return "sourced" if grade in SUPPORTED else grade


@dataclass(frozen=True)
class Item:
    """One number and its evidence; ``status`` and ``grade`` as in the module doc."""

    path: str
    value: float
    low: float | None
    high: float | None
    status: str  # one of STATUSES
    source: str | None = None
    file: str | None = None
    quote: str | None = None
    claim: str | None = None
    confidence: str | None = None
    assumption: str | None = None
    supports: str | None = None
    grade: str = "unsourced"  # one of GRADES
    inert: bool = False  # decides nothing in this round (module doc): in no count

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Evidence:
    """The evidence of a red line or an option (not numbers; listed for reference)."""

    path: str
    source: str | None
    quote: str | None
    claim: str | None = None
    confidence: str | None = None
    assumption: str | None = None
    supports: str | None = None
    grade: str = "unsourced"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PackageEntry(Evidence):
    """One ``provision: option`` of a no-deal outcome's package, with the outcome's evidence.

    Not a number: the evidence backs what fighting on brings, and every entry of
    one outcome shares it. ``path`` names the outcome by its id
    (``no_deal.outcomes.front_holds.package.donbas``); an outcome whose package
    is empty (the status quo everywhere) but which carries evidence is one entry
    with ``provision`` and ``option`` None and the path ``...package``.
    """

    outcome: str = ""
    provision: str | None = None
    option: str | None = None
    file: str | None = None

    @property
    def status(self) -> str:
        return status_of(self.grade)


def count_grades(items) -> dict[str, int]:
    """How many of ``items`` have each grade, every grade of GRADES listed (0 included)."""
    out = dict.fromkeys(GRADES, 0)
    for it in items:
        out[it.grade] += 1
    return out


def owner(path: str) -> str:
    """Whose number a dotted path is: the party, or ``parameters`` / ``no_deal``.

    >>> owner("parties.us.weights.donbas"), owner("parameters.pressure.effects.0.per_unit"), owner("no_deal.cost.us")
    ('us', 'parameters', 'no_deal')
    """
    parts = path.split(".")
    return parts[1] if parts[0] == "parties" and len(parts) > 1 else parts[0]


@dataclass
class Report:
    """Result of :func:`provenance`; ``deciding`` holds the dotted paths of the deciding numbers.

    ``items`` lists every stated number, the inert ones too; every count is of
    :attr:`counted` (the items that are not inert).
    """

    items: list[Item]
    defaults: list[str]
    red_lines: list[Evidence] = field(default_factory=list)
    options: list[Evidence] = field(default_factory=list)
    deciding: list[str] = field(default_factory=list)
    outcome_packages: list[PackageEntry] = field(default_factory=list)

    @property
    def counted(self) -> list[Item]:
        """The items that are not inert: what every count counts."""
        return [it for it in self.items if not it.inert]

    @property
    def numbers(self) -> int:
        return len(self.counted)

    @property
    def inert(self) -> int:
        """Numbers that decide nothing in this round (see the module doc), in no other count."""
        return len(self.items) - self.numbers

    def _count(self, *statuses: str) -> int:
        return sum(it.status in statuses for it in self.counted)

    @property
    def sourced(self) -> int:
        """Numbers graded states or implies."""
        return self._count("sourced")

    @property
    def assumptions(self) -> int:
        """Numbers whose size is assumed: a stated assumption, or a quote graded context."""
        return self._count("assumption", "context")

    @property
    def unsourced(self) -> int:
        """Bare numbers: neither a quote nor an assumption."""
        return self._count("unsourced")

    @property
    def share_sourced(self) -> float:
        """Sourced numbers as a fraction of all stated numbers (1.0 when there are none)."""
        return self.sourced / self.numbers if self.numbers else 1.0

    def unsourced_paths(self) -> list[str]:
        return [it.path for it in self.counted if it.status == "unsourced"]

    def grades(self) -> dict[str, int]:
        """How many numbers have each grade (defaults and inert numbers left out)."""
        return count_grades(self.counted)

    def by_party(self) -> dict[str, dict[str, int]]:
        """:meth:`grades` for each party's numbers, then ``parameters`` and ``no_deal`` where present."""
        groups: dict[str, list[Item]] = {}
        for it in self.counted:
            groups.setdefault(owner(it.path), []).append(it)
        return {who: count_grades(items) for who, items in groups.items()}

    def deciding_summary(self) -> dict:
        """The grades of the deciding numbers, their supported share and their paths."""
        by_path = {it.path: it for it in self.counted}  # an inert number decides nothing
        items = [by_path[p] for p in self.deciding if p in by_path]
        grades = count_grades(items)
        supported = sum(grades[g] for g in SUPPORTED)
        return {"numbers": len(items), **grades, "share_supported": supported / len(items) if items else 1.0,
                "items": [it.path for it in items]}

    def to_json(self) -> dict:
        """The contract of ``negosim sources --json``.

        ``red_lines``, ``options`` and ``outcome_packages`` are evidence that is not a
        number: no count of the report includes them. ``inert`` counts the items
        marked inert, which no other count includes.
        """
        return {"numbers": self.numbers, "sourced": self.sourced, "assumptions": self.assumptions,
                "unsourced": self.unsourced, "inert": self.inert, "share_sourced": self.share_sourced,
                "grades": self.grades(), "by_party": self.by_party(), "deciding": self.deciding_summary(),
                "defaults": self.defaults, "items": [it.to_json() for it in self.items],
                "red_lines": [e.to_json() for e in self.red_lines],
                "options": [e.to_json() for e in self.options],
                "outcome_packages": [e.to_json() for e in self.outcome_packages]}


def _is_default(path: tuple, num: Number) -> bool:
    # Party scalars (power, discount, drift) and a parameter's own value.
    return path[0] in ("parties", "parameters") and len(path) == 3 and path[-1] in _DEFAULTS \
        and num == _DEFAULTS[path[-1]]


def deciding_paths(scenario) -> list[tuple]:
    """Document paths of the deciding numbers, each once, in the parties' order.

    For each party: its reservation when it is a number, or, when it is ``no_deal``,
    every no-deal outcome's probability and the party's own cost of fighting on;
    then its :data:`DECIDING_WEIGHTS` largest weights above 0 (by point value,
    ties in document order).

    >>> # e.g. [('parties', 'us', 'reservation'), ('parties', 'us', 'weights', 'donbas'), ...]
    """
    from .schema import iter_numbers
    s = getattr(scenario, "scenario", scenario)
    # Written against the paths iter_numbers yields, so the no-deal section needs no model of its own here.
    paths = [p for p, _ in iter_numbers(s)]
    outcome_ps = [p for p in paths if p[:2] == ("no_deal", "outcomes") and p[-1] == "p"]
    out: list[tuple] = []
    for name, party in s.parties.items():
        if isinstance(party.reservation, Number):
            out.append(("parties", name, "reservation"))
        else:  # reservation: no_deal
            out += outcome_ps + [p for p in paths if p == ("no_deal", "cost", name)]
        ranked = sorted((w for w in enumerate(party.weights.items()) if w[1][1].point > 0),
                        key=lambda w: (-w[1][1].point, w[0]))
        out += [("parties", name, "weights", prov) for _, (prov, _) in ranked[:DECIDING_WEIGHTS]]
    return list(dict.fromkeys(out))


def provenance(scenario) -> Report:
    """Every number of a scenario with its evidence; see the module doc.

    Parameters
    ----------
    scenario : Scenario or LoadedScenario
    """
    from .schema import iter_numbers
    s = getattr(scenario, "scenario", scenario)
    files = {sid: src.file for sid, src in s.sources.items()}
    inert = inert_paths(s)
    items, defaults = [], []
    for path, num in iter_numbers(s):
        dotted = dotted_name(s, path)
        if _is_default(path, num):
            defaults.append(dotted)
            continue
        lo, hi = (num.low, num.high) if num.low is not None else (None, None)
        grade = evidence_grade(num)
        items.append(Item(dotted, num.point, lo, hi, status_of(grade), num.source, files.get(num.source),
                          num.quote, num.claim, num.confidence, num.assumption, num.supports, grade,
                          path in inert))
    red = [Evidence(dotted_name(s, ("parties", name, "red_lines", rl.id)), rl.source, rl.quote, rl.claim,
                    rl.confidence, rl.assumption, rl.supports, evidence_grade(rl))
           for name, party in s.parties.items() for rl in party.red_lines]
    opts = [Evidence(f"provisions.{pid}.options.{oid}", o.source, o.quote, supports=o.supports,
                     grade=evidence_grade(o))
            for pid, prov in s.provisions.items() for oid, o in prov.options.items()]
    return Report(items, defaults, red, opts, [dotted_name(s, p) for p in deciding_paths(s)],
                  package_entries(s, files))


def inert_paths(scenario) -> set[tuple]:
    """Document paths of the values that decide nothing in this round (the rule: module doc).

    A party's values of a provision are inert when every weight that scores them
    (the party's, and its ratifier's own where it has one) is 0 in every draw and
    moved by no parameter effect.

    Example
    -------
    >>> from negosim.scenario.schema import Scenario
    >>> opts = {"a": {"label": "A", "status_quo": True}, "b": {"label": "B"}}
    >>> s = Scenario.model_validate({"negosim": 1, "name": "toy",
    ...     "provisions": {"p": {"label": "P", "options": opts}, "q": {"label": "Q", "options": opts},
    ...                    "r": {"label": "R", "options": opts}},
    ...     "parties": {"x": {"reservation": 0.5, "weights": {"p": 1, "q": 0, "r": {"low": 0, "high": 0.2}},
    ...                       "values": {k: {"a": 0, "b": 1} for k in "pqr"}}},
    ...     "draft": {"p": "b", "q": "a", "r": "a"}})
    >>> sorted(inert_paths(s))
    [('parties', 'x', 'values', 'q', 'a'), ('parties', 'x', 'values', 'q', 'b')]
    """
    from .schema import resolve_path
    s = getattr(scenario, "scenario", scenario)
    # Any effect may move its target (a parameter's value is swept or set by --param), whatever its size.
    moved = {resolve_path(s, eff.path) for prm in s.parameters.values() for eff in prm.effects}

    def always_zero(path: tuple, w: Number) -> bool:
        # derive() clips weights at 0: a weight whose every draw is <= 0 weighs 0 (the bounds allow only 0).
        return w.support[1] <= 0 and path not in moved

    out: set[tuple] = set()
    for name, party in s.parties.items():
        own = party.ratifier.weights if party.ratifier is not None else None  # None: the party's weights
        for prov, vals in party.values.items():
            if not always_zero(("parties", name, "weights", prov), party.weights[prov]):
                continue
            if own is not None and not always_zero(("parties", name, "ratifier", "weights", prov), own[prov]):
                continue
            out.update(("parties", name, "values", prov, oid) for oid in vals)
    return out


def package_entries(scenario, files: dict[str, str] | None = None) -> list[PackageEntry]:
    """Every entry of every no-deal outcome's package with the outcome's evidence (see :class:`PackageEntry`).

    ``files`` maps source ids to article files (default: the scenario's). A
    scenario without a ``no_deal`` section has none.

    Example
    -------
    >>> from negosim.scenario.schema import Scenario
    >>> opts = {"a": {"label": "A", "status_quo": True}, "b": {"label": "B"}}
    >>> s = Scenario.model_validate({"negosim": 1, "name": "toy", "provisions": {"p": {"label": "P", "options": opts}},
    ...     "parties": {"x": {"reservation": "no_deal", "weights": {"p": 1}, "values": {"p": {"a": 0, "b": 1}}}},
    ...     "draft": {"p": "b"}, "no_deal": {"cost": {"x": 0}, "outcomes": [
    ...         {"id": "hold", "p": 0.5}, {"id": "loss", "p": 0.5, "package": {"p": "b"}, "assumption": "a guess"}]}})
    >>> [(e.path, e.option, e.grade) for e in package_entries(s)]
    [('no_deal.outcomes.loss.package.p', 'b', 'assumption')]
    """
    s = getattr(scenario, "scenario", scenario)
    if files is None:
        files = {sid: src.file for sid, src in s.sources.items()}
    out = []
    for i, o in enumerate(s.no_deal.outcomes if s.no_deal else ()):
        grade = evidence_grade(o)
        # An empty package with evidence still shows that evidence; one with none has nothing to list.
        entries = list(o.package.items()) or ([(None, None)] if grade != "unsourced" else [])
        for prov, opt in entries:
            path = ("no_deal", "outcomes", i, "package") + ((prov,) if prov is not None else ())
            out.append(PackageEntry(dotted_name(s, path), o.source, o.quote, o.claim, o.confidence, o.assumption,
                                    o.supports, grade, outcome=o.id, provision=prov, option=opt,
                                    file=files.get(o.source)))
    return out


def quote_loads(scenario) -> dict[tuple[str, str], list[str]]:
    """Paths of the numbers each ``(source, normalised quote)`` supports."""
    from .evidence import normalize
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for it in provenance(scenario).items:
        if it.status == "sourced":
            out[(it.source, normalize(it.quote))].append(it.path)
    return dict(out)


def overused_quotes(scenario, limit: int = MAX_NUMBERS_PER_QUOTE) -> dict[tuple[str, str], list[str]]:
    """The quotes that support more than ``limit`` numbers, with those numbers."""
    return {k: v for k, v in quote_loads(scenario).items() if len(v) > limit}


def warn_unsourced(scenario, where: str | None = None) -> int:
    """Warn (:class:`~negosim.errors.UnsourcedWarning`) if numbers lack both a source and an assumption.

    Returns how many numbers are unsourced. ``where`` (a file name) prefixes the
    message.
    """
    report = provenance(scenario)
    paths = report.unsourced_paths()
    if paths:
        shown = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
        prefix = f"{where}: " if where else ""
        warnings.warn(f"{prefix}{len(paths)} of {report.numbers} numbers have neither a source nor an "
                      f"assumption ({shown}); see negosim sources", UnsourcedWarning, stacklevel=2)
    return len(paths)
