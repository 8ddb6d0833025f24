"""Where every number of a scenario comes from.

:func:`provenance` lists each number a scenario states (weights, values,
reservations, linkage bonuses, parameter effects, ...) with its evidence: the
source id and article file, the verbatim quote, what the quote shows (claim) and
its confidence, or the reason it is an assumption. A number is

- *sourced* when it cites a source with a quote,
- an *assumption* when it says why it is assumed instead,
- *unsourced* otherwise (a bare number: the scenario format allows it, the
  shipped scenarios must not have any).

Numbers left at the format's neutral default (``power: 1``, ``discount: 1``,
``drift: 0``, a parameter's ``value: 0``) state nothing and are counted apart
as defaults. :func:`quote_loads` counts how many numbers each quote supports
(the shipped scenarios allow at most three); :func:`warn_unsourced` is the
check ``negosim validate`` runs.

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
...                       "values": {"p": {"a": {"value": 0.0, "source": "A", "quote": "no"},
...                                        "b": 1.0}}}},
...     "draft": {"p": "b"}})
>>> r = provenance(s)
>>> r.numbers, r.sourced, r.assumptions, r.unsourced
(4, 1, 1, 2)
>>> r.unsourced_paths()
['parties.x.weights.p', 'parties.x.values.p.b']
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from negosim.errors import UnsourcedWarning, format_path
from .numbers import Number

#: Fields whose format default states nothing when left as is.
_DEFAULTS = {"power": Number(value=1.0), "discount": Number(value=1.0), "drift": Number(value=0.0),
             "value": Number(value=0.0)}
#: Most numbers one quote should support (the evidence backs a ranking, not a decimal).
MAX_NUMBERS_PER_QUOTE = 3


@dataclass(frozen=True)
class Item:
    """One number and its evidence."""

    path: str
    value: float
    low: float | None
    high: float | None
    status: str  # "sourced", "assumption" or "unsourced"
    source: str | None = None
    file: str | None = None
    quote: str | None = None
    claim: str | None = None
    confidence: str | None = None
    assumption: str | None = None

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

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    """Result of :func:`provenance`."""

    items: list[Item]
    defaults: list[str]
    red_lines: list[Evidence] = field(default_factory=list)
    options: list[Evidence] = field(default_factory=list)

    @property
    def numbers(self) -> int:
        return len(self.items)

    def _count(self, status: str) -> int:
        return sum(it.status == status for it in self.items)

    @property
    def sourced(self) -> int:
        return self._count("sourced")

    @property
    def assumptions(self) -> int:
        return self._count("assumption")

    @property
    def unsourced(self) -> int:
        return self._count("unsourced")

    @property
    def share_sourced(self) -> float:
        """Sourced numbers as a fraction of all stated numbers (1.0 when there are none)."""
        return self.sourced / self.numbers if self.numbers else 1.0

    def unsourced_paths(self) -> list[str]:
        return [it.path for it in self.items if it.status == "unsourced"]

    def to_json(self) -> dict:
        """The contract of ``negosim sources --json``."""
        return {"numbers": self.numbers, "sourced": self.sourced, "assumptions": self.assumptions,
                "unsourced": self.unsourced, "share_sourced": self.share_sourced,
                "defaults": self.defaults, "items": [it.to_json() for it in self.items],
                "red_lines": [e.to_json() for e in self.red_lines],
                "options": [e.to_json() for e in self.options]}


def _status(num: Number) -> str:
    if num.sourced:
        return "sourced"
    if num.assumption:
        return "assumption"
    return "unsourced"


def _is_default(path: tuple, num: Number) -> bool:
    # Party scalars (power, discount, drift) and a parameter's own value.
    return path[-1] in _DEFAULTS and len(path) == 3 and num == _DEFAULTS[path[-1]]


def provenance(scenario) -> Report:
    """Every number of a scenario with its evidence; see the module doc.

    Parameters
    ----------
    scenario : Scenario or LoadedScenario
    """
    from .schema import iter_numbers
    s = getattr(scenario, "scenario", scenario)
    files = {sid: src.file for sid, src in s.sources.items()}
    items, defaults = [], []
    for path, num in iter_numbers(s):
        dotted = format_path(path)
        if _is_default(path, num):
            defaults.append(dotted)
            continue
        lo, hi = (num.low, num.high) if num.low is not None else (None, None)
        items.append(Item(dotted, num.point, lo, hi, _status(num), num.source, files.get(num.source),
                          num.quote, num.claim, num.confidence, num.assumption))
    red = [Evidence(format_path(("parties", name, "red_lines", rl.id)), rl.source, rl.quote, rl.claim,
                    rl.confidence, rl.assumption)
           for name, party in s.parties.items() for rl in party.red_lines]
    opts = [Evidence(f"provisions.{pid}.options.{oid}", o.source, o.quote)
            for pid, prov in s.provisions.items() for oid, o in prov.options.items()]
    return Report(items, defaults, red, opts)


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
