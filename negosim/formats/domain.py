"""A negotiation domain as the automated-negotiation field writes it, and its negosim scenario.

GENIUS XML and GeniusWeb JSON (:mod:`negosim.formats.genius`,
:mod:`negosim.formats.geniusweb`) both describe a *domain* (issues and their values) and *profiles* (one party each: a weight per issue, a utility in
[0, 1] per value, a reservation and a discount). A reader produces a
:class:`Domain`; :func:`to_scenario` turns it into a negosim scenario document
and :func:`from_scenario` turns a scenario back into a domain, refusing what
these formats cannot express.

The mapping (docs/genius.md):

- issue -> provision, value -> option, profile -> party (``veto: all``: a
  negotiation needs everyone's consent), reservation -> reservation (0 when
  the profile gives none), discount factor -> ``discount`` per round;
- negotiation domains have no draft and no status quo: the draft is every
  issue's first value, and no option is marked as the status quo;
- every number cites the file it comes from (``sources``, with ``articles:``
  pointing at the files' folder) and quotes the XML tag or JSON member that
  holds it, so ``negosim validate`` checks each one against the file.

Example
-------
>>> d = Domain("toy", [Issue("Price", ["low", "high"])],
...            [Profile("buyer", weights={"Price": 1.0}, values={"Price": {"low": 1.0, "high": 0.0}})])
>>> doc = to_scenario(d)
>>> doc["parties"]["buyer"]["values"]["price"]["low"]  # no file: a plain number
1.0
>>> from negosim.scenario.schema import Scenario
>>> from_scenario(Scenario.model_validate(doc)).profiles[0].values
{'Price': {'low': 1.0, 'high': 0.0}}
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from negosim.errors import NegosimError

#: Rounds of the bargaining protocol an imported domain gets (negosim's default deadline);
#: a GENIUS discount factor d applies over the whole session, so the per-round discount is
#: d ** (1 / (ROUNDS - 1)) (docs/genius.md).
ROUNDS = 50


@dataclass
class Evidence:
    """Where a number stands in its file: the verbatim text that holds it, and how it was read."""

    quote: str
    claim: str = ""  # empty: the quote states the number as it is


@dataclass
class Issue:
    """One issue: its name and its values, in the file's order."""

    name: str
    values: list[str]
    quotes: dict[str, str] = field(default_factory=dict)  # value -> its tag in the domain file


@dataclass
class Profile:
    """One party's utility profile (weights and values in [0, 1], as the format's rules give them)."""

    name: str
    weights: dict[str, float]
    values: dict[str, dict[str, float]]
    reservation: float | None = None
    discount: float | None = None  # the format's factor over the whole session (1 or None: none)
    file: str | None = None
    evidence: dict[tuple, Evidence] = field(default_factory=dict)  # ("weights", issue) ... -> Evidence
    #: (offset, factor): the file's utility is offset + factor * the imported one (NegMAS YAML rescales).
    scale: tuple[float, float] = (0.0, 1.0)


@dataclass
class Domain:
    """Issues and profiles; ``files`` are the files read (domain first)."""

    name: str
    issues: list[Issue]
    profiles: list[Profile]
    file: str | None = None
    fmt: str = "genius"
    notes: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """An id made of letters, digits and '_' (the scenario format's rule).

    >>> slug("Duration (weeks)"), slug("See, river, etc."), slug("1")
    ('duration_weeks', 'see_river_etc', '1')
    """
    s = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return s or "x"


def unique_ids(names: list[str]) -> list[str]:
    """Slugs of names, made unique by a suffix (``a``, ``a_2``, ...).

    >>> unique_ids(["A b", "a-b", "c"])
    ['a_b', 'a_b_2', 'c']
    """
    out, seen = [], set()
    for n in names:
        base = slug(n)
        sid, k = base, 1
        while sid in seen:
            k += 1
            sid = f"{base}_{k}"
        seen.add(sid)
        out.append(sid)
    return out


def party_ids(names: list[str]) -> list[str]:
    """Party ids from profile names: their common prefix (up to a separator) is dropped.

    >>> party_ids(["Kitchen-husband", "Kitchen-wife"]), party_ids(["adg_deal", "adg_deal2"])
    (['husband', 'wife'], ['deal', 'deal2'])
    """
    if len(names) > 1:
        prefix = os.path.commonprefix(names)
        cut = max(prefix.rfind("_"), prefix.rfind("-"), prefix.rfind(" "))
        short = [n[cut + 1:] for n in names]
        if cut >= 0 and all(short) and len(set(map(slug, short))) == len(short):
            return unique_ids(short)
    return unique_ids(names)


def _number(value: float, source: str | None, ev: Evidence | None) -> dict | float:
    if source is None or ev is None:
        return float(value)
    out = {"value": float(value), "source": source, "quote": ev.quote}
    if ev.claim:
        out.update(supports="implies", claim=ev.claim)
    else:
        out["supports"] = "states"
    return out


def _weights(prof: Profile, issue_ids: list[str], issues: list[Issue], src: str | None) -> dict:
    """The weights, rescaled to sum to 1 where the profile's do not (the claim says so)."""
    total = math.fsum(prof.weights[i.name] for i in issues)
    out = {}
    for iid, i in zip(issue_ids, issues):
        w, ev = prof.weights[i.name], prof.evidence.get(("weights", i.name))
        if total > 0 and not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-9):
            # negosim rescales weights that do not sum to 1 (with a warning); writing them rescaled
            # keeps validate quiet and says what was done.
            if ev is not None:
                ev = Evidence(ev.quote, f"{w:.12g} / {total:.12g}: the profile's weights sum to {total:.12g}, "
                                        "negosim's to 1")
            w = w / total
        out[iid] = _number(w, src, ev)
    return out


def to_scenario(domain: Domain, out: str | Path | None = None) -> dict:
    """The negosim scenario document of a domain (see the module doc for the mapping).

    Parameters
    ----------
    domain : the domain and its profiles.
    out : where the YAML will be written; the ``articles:`` folder and the source
        files are given relative to it (default: the current folder).
    """
    if not domain.profiles:
        raise NegosimError(f"{domain.file or domain.name}: no utility profile found (a domain needs at least one)")
    issue_ids = unique_ids([i.name for i in domain.issues])
    opt_ids = {i.name: dict(zip(i.values, unique_ids(i.values))) for i in domain.issues}
    files = [f for f in [domain.file] + [p.file for p in domain.profiles] if f]
    sources, folder = {}, None
    if files:
        folder = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
        base = os.path.dirname(os.path.abspath(out)) if out else os.getcwd()
    dom_src = None
    if domain.file:
        dom_src = "domain"
        sources[dom_src] = {"file": os.path.relpath(os.path.abspath(domain.file), folder),
                            "title": f"{domain.fmt} domain {domain.name}", "confidence": "high"}
    pids = party_ids([p.name for p in domain.profiles])
    provisions = {}
    for iid, issue in zip(issue_ids, domain.issues):
        options = {}
        for v in issue.values:
            o = {"label": v}
            if dom_src and v in issue.quotes:
                o.update(source=dom_src, quote=issue.quotes[v])
            options[opt_ids[issue.name][v]] = o
        provisions[iid] = {"label": issue.name, "options": options}
    parties = {}
    for pid, prof in zip(pids, domain.profiles):
        src = None
        if prof.file:
            src = f"profile_{pid}"
            sources[src] = {"file": os.path.relpath(os.path.abspath(prof.file), folder),
                            "title": f"{domain.fmt} profile {prof.name}", "confidence": "high"}
        ev = prof.evidence
        if prof.reservation is None:
            res = {"value": 0.0, "assumption": "the profile gives no reservation value; 0 (no agreement is "
                                               "worth nothing: every package is acceptable)"}
        else:
            res = _number(prof.reservation, src, ev.get(("reservation",)))
        party = {"label": prof.name, "veto": "all", "reservation": res}
        if prof.discount is not None and 0 < prof.discount < 1:
            per_round = prof.discount ** (1.0 / (ROUNDS - 1))
            d_ev = ev.get(("discount",))
            if d_ev is not None:
                d_ev = Evidence(d_ev.quote, f"{prof.discount:g} over the whole session = {per_round:.6g} per "
                                            f"round over {ROUNDS} rounds")
            party["discount"] = _number(per_round, src, d_ev)
        party["weights"] = _weights(prof, issue_ids, domain.issues, src)
        party["values"] = {iid: {opt_ids[i.name][v]: _number(prof.values[i.name][v], src,
                                                              ev.get(("values", i.name, v)))
                                 for v in i.values}
                           for iid, i in zip(issue_ids, domain.issues)}
        parties[pid] = party
    doc = {"negosim": 1, "name": slug(domain.name),
           "description": (f"The {domain.fmt} domain {domain.name} with {len(domain.profiles)} profiles, imported "
                           "by negosim import. A negotiation domain has no draft and no status quo: the draft "
                           "is each issue's first value, every party's consent is needed, and a party's "
                           "reservation is what no agreement is worth to it (docs/genius.md)."
                           + "".join(" " + n for n in domain.notes))}
    if folder is not None:
        doc["articles"] = os.path.relpath(folder, base)
        doc["sources"] = sources
    doc.update(provisions=provisions, parties=parties,
               draft={iid: next(iter(provisions[iid]["options"])) for iid in issue_ids},
               protocol={"name": "alternating_offers", "rounds": ROUNDS})
    return doc


def from_scenario(s, fmt: str = "genius") -> Domain:
    """A domain from a scenario, or a NegosimError naming what the format cannot express.

    The formats hold weighted sums of per-issue values, one reservation and one
    discount per party (what GENIUS's per-issue scaling further needs is checked
    by :func:`negosim.formats.genius.write`).
    """
    what = []
    if s.aggregation != "weighted_sum":
        what.append(f"aggregation {s.aggregation}")
    if s.parameters:
        what.append("parameters")
    for pid, p in s.parties.items():
        if p.red_lines:
            what.append(f"red lines (party '{pid}')")
        if p.linkages:
            what.append(f"linkages (party '{pid}')")
        if p.veto != "all":
            what.append(f"a veto other than 'all' (party '{pid}')")
        if p.reservation == "no_deal" or not hasattr(p.reservation, "point"):
            what.append(f"a reservation that is not a number (party '{pid}')")
        if p.drift.point != 0:
            what.append(f"drift (party '{pid}')")
        if p.power.point != 1:
            what.append(f"bargaining power (party '{pid}')")
    if what:
        raise NegosimError(f"the {fmt} format cannot express: " + "; ".join(dict.fromkeys(what)))
    issues = [Issue(prov.label or pid, [o.label or oid for oid, o in prov.options.items()])
              for pid, prov in s.provisions.items()]
    labels = [i.name for i in issues]
    if len(set(labels)) < len(labels):
        raise NegosimError(f"the {fmt} format cannot express: two provisions with the same label")
    for i in issues:
        if len(set(i.values)) < len(i.values):
            raise NegosimError(f"the {fmt} format cannot express: two options of '{i.name}' with the same label")
    names = [p.label or pid for pid, p in s.parties.items()]
    if len(set(names)) < len(names):
        raise NegosimError(f"the {fmt} format cannot express: two parties with the same label")
    rounds = s.protocol.rounds if s.protocol is not None else ROUNDS
    profiles = []
    for name, (pid, p) in zip(names, s.parties.items()):
        total = math.fsum(w.point for w in p.weights.values())
        weights = {i.name: p.weights[prov].point / total for i, prov in zip(issues, s.provisions)}
        values = {i.name: {lab: (p.values.get(prov, {}).get(oid).point if oid in p.values.get(prov, {}) else 0.0)
                           for lab, oid in zip(i.values, s.provisions[prov].options)}
                  for i, prov in zip(issues, s.provisions)}
        d = p.discount.point
        profiles.append(Profile(name, weights, values, reservation=p.reservation.point,
                                discount=None if d == 1 else d ** (rounds - 1 if rounds > 1 else 1)))
    return Domain(s.name, issues, profiles, fmt=fmt)


def bare(s) -> dict:
    """A scenario's content without its evidence and provenance: what a round trip must keep.

    Numbers become their point values (rounded to 12 significant digits, as the
    discount goes through a power and back); sources, quotes and the description drop out.
    """
    from negosim.scenario.schema import iter_numbers
    nums = {path: float(f"{n.point:.12g}") for path, n in iter_numbers(s)}
    return {"provisions": {pid: [(oid, o.label) for oid, o in p.options.items()] for pid, p in s.provisions.items()},
            "labels": {pid: p.label for pid, p in s.provisions.items()},
            "parties": {pid: (p.label, p.veto) for pid, p in s.parties.items()},
            "draft": dict(s.draft), "numbers": nums}
