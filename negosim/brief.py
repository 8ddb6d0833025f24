"""The findings in words: labels for ids, and the brief that opens ``analyze`` and the report.

Everything a person reads names parties, provisions and options by their
labels ("Kyiv-held Donbas: Ceded to Russia"), not by the ids a scenario file
uses (``donbas=cede``): the ids stay in ``--json`` and in the muted lines that
show what to type. :func:`brief` turns an analysis (and, when given, each
party's distance to yes) into a few plain sentences: the verdict, why each
rejecting party rejects, the smallest repair, the single number that would
bring a rejecting party closest to yes, and whether any package is acceptable
to every needed party. Nothing here reads or writes a file.

The module sits with the outputs (beside :mod:`negosim.report`), not in the
engine: it reads results of the engine and of the uncertainty layer.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.engine.analysis import analyze
>>> s = random_scenario(parties=2, provisions=3, options=2, seed=0, reservation=0.3)
>>> lines = brief(s, analyze(s))
>>> lines[0].startswith(("Every party accepts", "The draft is rejected", "Every needed party"))
True
"""

from __future__ import annotations

#: Names of the solution points as a person reads them.
SOLUTION_TITLES = {"nash": "Nash", "kalai_smorodinsky": "Kalai–Smorodinsky", "egalitarian": "egalitarian",
                   "utilitarian": "utilitarian"}


def possessive(name: str) -> str:
    """``name``'s, or ``name``' for a plural ending in s ("European allies'").

    >>> possessive("Kyiv"), possessive("European allies")
    ("Kyiv's", "European allies'")
    """
    return f"{name}'" if name.endswith("s") and not name.endswith("ss") and " " in name else f"{name}'s"


def party_label(scenario, party: str) -> str:
    """A party's label, else its id.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> party_label(random_scenario(parties=2, provisions=2, options=2, seed=0), "p0")
    'p0'
    """
    p = scenario.parties.get(party)
    return (p.label or party) if p is not None else party


def provision_label(scenario, provision: str) -> str:
    """A provision's label, else its id."""
    p = scenario.provisions.get(provision)
    return (p.label or provision) if p is not None else provision


def option_text(scenario, provision: str, option: str) -> str:
    """``"Provision label: Option label"`` (ids where a label is missing).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=2, options=2, seed=0)
    >>> prov = next(iter(s.provisions)); opt = next(iter(s.provisions[prov].options))
    >>> option_text(s, prov, opt) == f"{s.provisions[prov].label}: {s.provisions[prov].options[opt].label}"
    True
    """
    prov = scenario.provisions.get(provision)
    opt = prov.options.get(option) if prov is not None else None
    return f"{provision_label(scenario, provision)}: {(opt.label or option) if opt is not None else option}"


def changes(scenario, package: dict[str, str], draft: dict[str, str]) -> list[tuple[str, str]]:
    """The ``(provision, option)`` pairs where ``package`` differs from ``draft``, in provision order."""
    return [(p, o) for p, o in package.items() if draft.get(p) != o]


def change_texts(scenario, pairs) -> list[str]:
    """Each ``(provision, option)`` pair as :func:`option_text`."""
    return [option_text(scenario, p, o) for p, o in pairs]


def and_list(items: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``.

    >>> and_list(["Ukraine", "Russia", "Europe"])
    'Ukraine, Russia and Europe'
    """
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def number_label(scenario, path: tuple) -> str:
    """A number of the scenario in words: "Europe's weight of Sanctions", "Ukraine's fallback".

    Falls back on the dotted path for a number this does not know how to name.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=2, options=2, seed=0)
    >>> number_label(s, ("parties", "p0", "reservation"))
    "p0's fallback"
    """
    path = tuple(path)
    try:
        if path[0] == "parties":
            who = party_label(scenario, path[1])
            what = path[2]
            if what == "reservation":
                return f"{possessive(who)} fallback"
            if what == "weights":
                return f"{possessive(who)} weight of {provision_label(scenario, path[3])}"
            if what == "values":
                return f"{possessive(who)} value of {option_text(scenario, path[3], path[4])}"
            if what == "linkages":
                lk = scenario.parties[path[1]].linkages[path[3]]
                when = " with ".join(option_text(scenario, p, o if isinstance(o, str) else " or ".join(o))
                                     for p, o in lk.when.items())
                return f"{possessive(who)} bonus for {when}"
            if what in ("power", "discount", "drift"):
                return f"{possessive(who)} {what}"
        if path[:2] == ("no_deal", "outcomes"):
            out = scenario.no_deal.outcomes[path[2]]
            return f"the chance of '{out.label or out.id}' if fighting goes on"
        if path[:2] == ("no_deal", "cost"):
            return f"{possessive(party_label(scenario, path[2]))} cost of fighting on"
        if path[0] == "parameters" and path[2] == "value":
            return scenario.parameters[path[1]].label or path[1]
    except (KeyError, IndexError, AttributeError, TypeError):
        pass
    return ".".join(map(str, path))


def solution_groups(solutions: dict) -> list[tuple[list[str], object]]:
    """Solution points that are the same package, together: ``[(names, solution), ...]``
    in the order of their first name (None, a missing point, forms its own group)."""
    groups: list[tuple[list[str], object]] = []
    for name, s in solutions.items():
        for names, t in groups:
            if (s is None and t is None) or (s is not None and t is not None and s.index == t.index):
                names.append(name)
                break
        else:
            groups.append(([name], s))
    return groups


def solution_title(names: list[str]) -> str:
    """``"Nash = Kalai–Smorodinsky = egalitarian"``."""
    return " = ".join(SOLUTION_TITLES.get(n, n) for n in names)


def common_changes(repairs) -> list[tuple[str, str]]:
    """The ``(provision, option)`` changes every repair makes, in provision order."""
    if not repairs:
        return []
    first = list(repairs[0].changes.items())
    return [(p, o) for p, o in first if all(r.changes.get(p) == o for r in repairs[1:])]


def red_line_options(scenario, party: str, rid: str, draft: dict[str, str]) -> list[str]:
    """The options of the draft that together cross the party's red line ``rid``, by label."""
    p = scenario.parties.get(party)
    rl = next((r for r in (p.red_lines if p is not None else []) if r.id == rid), None)
    if rl is None:
        return [rid]
    return [option_text(scenario, prov, draft[prov]) for prov in rl.forbid if prov in draft]


def reason_text(scenario, v, draft: dict[str, str]) -> str:
    """Why one rejecting party rejects the draft: its red lines by their options' labels, or its shortfall.

    >>> from negosim.engine.analysis import Verdict
    >>> from negosim.engine.random_scenario import random_scenario
    >>> reason_text(random_scenario(parties=2, provisions=2, options=2, seed=0),
    ...             Verdict("p0", 0.308, 0.745, False, True, [], [], {}), {})
    'p0 rejects it as 0.437 short (0.308 against a fallback of 0.745)'
    """
    who = party_label(scenario, v.party)
    if v.red_lines:
        lines = [" with ".join(red_line_options(scenario, v.party, r, draft)) for r in v.red_lines]
        what = "a red line" if len(lines) == 1 else f"{len(lines)} red lines"
        return f"{who} rejects it on {what}, " + "; ".join(lines)
    return (f"{who} rejects it as {v.reservation - v.utility:.3f} short ({v.utility:.3f} against a fallback "
            f"of {v.reservation:.3f})")


def rejection(scenario, v, draft: dict[str, str], cs=None, distance=None) -> str:
    """One sentence on one rejecting party: why it rejects; with ``cs`` (the compiled scenario) the
    one change of the draft that brings it closest to yes; with ``distance`` (its
    :class:`~negosim.uncertainty.distance_to_yes.PartyDistance`) the one number that would."""
    parts = [reason_text(scenario, v, draft)]
    best = closest_change(cs, v.party) if cs is not None else None
    one_change = False
    if best is not None:
        (prov, opt), margin, one_change = best
        text = option_text(scenario, prov, opt)
        parts.append(f"it would accept with one change, {text}" if one_change else
                     f"its best single change, {text}, leaves it {-margin:.3f} short")
    if distance is not None and not distance.accepts:
        f = distance.flip
        if f is not None:
            parts.append(f"it would accept if {number_label(scenario, f.path)} moved from {f.point:.4g} to "
                         f"{f.to:.4g} ({100 * f.share:.0f} % of its evidence range)")
        elif not v.red_lines and not (one_change and not hasattr(distance.beyond, "flips")):
            # A pair of numbers that brings it to yes is said; where no number does but one change
            # of the text does, the change is the way there and the nearest number stays in the
            # distance-to-yes section (so the 28-point brief keeps to 12 lines at 80 columns).
            parts.append(beyond_text(scenario, distance.beyond) if distance.beyond is not None else
                         "no single number within its evidence range brings it to yes")
    text = "; ".join(parts)
    if not v.needed:
        text += " (its consent is not needed)"
    return text + "."


def beyond_text(scenario, beyond) -> str:
    """Where no single number brings a party to yes: the pair that would
    (:class:`~negosim.uncertainty.distance_to_yes.Pair`), or the nearest single change
    (:class:`~negosim.uncertainty.distance_to_yes.Nearest`), in words (a clause of a sentence).

    >>> from negosim.uncertainty.distance_to_yes import Flip, Nearest
    >>> beyond_text(None, Nearest(Flip(("x",), "x", 0.125, 0.2, (0.05, 0.2)), 0.0741))
    'no one or two numbers in their evidence ranges bring it to yes (nearest: x at 0.200, from 0.125, the end of its range, still 0.074 short)'
    """
    def name(f):
        return number_label(scenario, f.path) if scenario is not None else f.name
    if hasattr(beyond, "flips"):
        f, g = beyond.flips
        return (f"no single number within its evidence range brings it to yes, but two together would: "
                f"{name(f)} from {f.point:.3f} to {f.to:.3f} and {name(g)} from {g.point:.3f} to {g.to:.3f} "
                f"({100 * beyond.share:.0f} % of each one's range)")
    f = beyond.flip
    return (f"no one or two numbers in their evidence ranges bring it to yes (nearest: {name(f)} at "
            f"{f.to:.3f}, from {f.point:.3f}, the end of its range, still {beyond.shortfall:.3f} short)")


def _verdict_sentence(scenario, a) -> str:
    vs = list(a.draft.values())
    yes = [party_label(scenario, v.party) for v in vs if v.accepts]
    no = [party_label(scenario, v.party) for v in vs if not v.accepts]
    if not no:
        return "Every party accepts the draft."
    tail = f"{and_list(no)} {'rejects' if len(no) == 1 else 'reject'} it"
    if yes:
        tail += f"; {and_list(yes)} {'accepts' if len(yes) == 1 else 'accept'}"
    if a.draft_accepted:
        return f"Every needed party accepts the draft: {tail}."
    return f"Rejected: {tail}."


def _repair_sentence(scenario, a) -> str:
    if a.repair_size is None:  # the zone is empty: said once, by the zone's sentence
        return ""
    if a.repair_size == 0:
        return "No repair is needed: the draft is in the zone of agreement."
    n = a.repair_size
    text = (f"The smallest repair changes {n} provision{'s' if n != 1 else ''} "
            f"({a.repair_count:,} such repair{'s' if a.repair_count != 1 else ''})")
    if not a.repairs:
        return text + "."
    if len(a.repairs) == 1:
        return text + ": " + ", ".join(change_texts(scenario, a.repairs[0].changes.items())) + "."
    common = common_changes(a.repairs)
    which = f"all {len(a.repairs)}" if len(a.repairs) == a.repair_count else f"the best {len(a.repairs)}"
    best_rest = [(p, o) for p, o in a.repairs[0].changes.items() if (p, o) not in common]
    if common:
        text += f"; {which} set " + ", ".join(change_texts(scenario, common))
        if best_rest:
            text += "; the best adds " + ", ".join(change_texts(scenario, best_rest))
    else:
        text += "; the best: " + ", ".join(change_texts(scenario, a.repairs[0].changes.items()))
    return text + "."


def closest_change(cs, party: str) -> tuple[tuple[str, str], float, bool] | None:
    """The one change of the draft that gives ``party`` the most utility without crossing its red lines.

    Returns ``((provision, option), margin, accepts)`` (margin: utility minus
    reservation after the change), or None when every single change crosses one.
    Every package one change from the draft is scored (one row per option).
    """
    import numpy as np
    i = cs.party_ids.index(party)
    rows, what = [], []
    for j, prov in enumerate(cs.provision_ids):
        for k, opt in enumerate(cs.option_ids[j]):
            if k != cs.draft[j]:
                x = np.array(cs.draft, dtype=np.int64)
                x[j] = k
                rows.append(x)
                what.append((prov, opt))
    if not rows:
        return None
    X = np.stack(rows)
    s = cs.score(X)
    best = None
    for n, x in enumerate(X):
        if cs.red_lines_hit(x)[party]:
            continue
        margin = float(s.util[i, n] - cs.reservation[i])
        if best is None or margin > best[1]:
            best = (what[n], margin, bool(s.accepts[i, n]))
    return best


def _zone_sentence(a) -> str:
    if a.zone_size == 0:
        return ("No repair exists: the zone of agreement is empty (no package is acceptable to every "
                "needed party, whatever the draft).")
    share = 100 * a.zone_size / a.space_size if a.space_size else 0.0
    return (f"The zone of agreement holds {a.zone_size:,} of the {a.space_size:,} packages ({share:.3g} %), "
            "whatever the draft.")


# --------------------------------------------------------------------------- consent rules in words

def _share(x: float) -> str:
    """A share as a percentage, without trailing zeros (``0.55`` -> ``'55 %'``)."""
    return f"{100 * float(x):.4g} %"


def _names(scenario, parties) -> str:
    return ", ".join(party_label(scenario, p) for p in parties)


def rule_in_words(scenario, rule, accepting: list[str]) -> str:
    """A consent rule's quota and the members that accept, in words (labels).

    ``accepting``: the members that accept the package, in the rule's order.

    >>> from negosim.scenario.schema import ConsentRule
    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=3, provisions=2, options=2, seed=0)
    >>> r = ConsentRule.model_validate({"id": "c", "provisions": "all", "rule": {"k_of_n": {"k": 2, "of": ["p0", "p1", "p2"]}}})
    >>> rule_in_words(s, r, ["p0", "p2"])
    '2 of 3: p0, p2 accept; p1 does not'
    """
    members = rule.members()
    r = rule.rule
    if r.unanimity is not None:
        quota = f"every one of {len(members)}" if len(members) > 1 else "1 of 1"
    elif r.k_of_n is not None:
        quota = f"{r.k_of_n.k} of {len(members)}"
    elif r.weighted is not None:
        w = r.weighted.weights
        quota = (f"weight {r.weighted.quota:g} of {sum(w.values()):g} "
                 f"({sum(w[m] for m in accepting):g} accept)")
    else:
        d = r.double
        pop = d.population_of
        quota = (f"{_share(d.states)} of {len(members)} members and {_share(d.population)} of their population "
                 f"({len(accepting)} of {len(members)}, {_share(sum(pop[m] for m in accepting) / sum(pop.values()))}"
                 " accept)")
    rest = [m for m in members if m not in accepting]
    who = (f"{_names(scenario, accepting)} accept{'s' if len(accepting) == 1 else ''}" if accepting
           else "none accepts")
    if accepting and rest:
        who += f"; {_names(scenario, rest)} do{'es' if len(rest) == 1 else ''} not"
    return f"{quota}: {who}"


def consent_rows(scenario, a) -> list[dict]:
    """Every consent rule on the draft, one dict each: ``label``, ``provisions`` (labels),
    ``touched`` and ``met`` (None: not touched) from :attr:`Analysis.draft_rules`, and ``words``
    (:func:`rule_in_words`). Empty when the scenario has no consent rule.

    Shared by the report and ``negosim analyze``'s table, so both say the same.
    """
    rules = a.draft_rules or {}
    out = []
    for rule in scenario.consent:
        if rule.id not in rules:
            continue
        met = rules[rule.id]
        accepting = [m for m in rule.members() if m in a.draft and a.draft[m].accepts]
        provs = "all" if rule.provisions == "all" else ", ".join(provision_label(scenario, p) for p in rule.provisions)
        out.append({"id": rule.id, "label": rule.label or rule.id, "provisions": provs, "touched": met is not None,
                    "met": met, "words": rule_in_words(scenario, rule, accepting)})
    return out


def _consent_sentence(scenario, a) -> str:
    """The consent rules on the draft in one sentence: the rules not met first, each with the members
    that do not accept, then the rules met, with the members that accept, then how many the draft
    does not touch; "" when the draft touches none (facts from :attr:`Analysis.draft_rules`)."""
    rules = getattr(a, "draft_rules", None) or {}
    touched = [(r, rules[r.id]) for r in getattr(scenario, "consent", None) or [] if rules.get(r.id) is not None]
    if not touched:
        return ""

    def members(rule, accepts: bool) -> list[str]:
        return [party_label(scenario, m) for m in rule.members() if m in a.draft and a.draft[m].accepts == accepts]

    def named(rule) -> str:  # a label is a sentence of its own ("NATO decisions need every ally"): quote it
        return f'the rule "{rule.label or rule.id}"'

    parts = []
    for rule, _ in [t for t in touched if not t[1]]:
        no = members(rule, False)
        parts.append(f"{named(rule)} is not met ({and_list(no)} "
                     f"{'does' if len(no) == 1 else 'do'} not accept)" if no else f"{named(rule)} is not met")
    for rule, _ in [t for t in touched if t[1]]:
        yes = members(rule, True)
        parts.append(f"{named(rule)} is met ({and_list(yes)} accept{'s' if len(yes) == 1 else ''})"
                     if yes else f"{named(rule)} is met")
    n = len(rules) - len(touched)
    if n:
        parts.append(f"{n} rule{' is' if n == 1 else 's are'} not touched")
    return "Consent rules: " + "; ".join(parts) + "."


def brief(scenario, analysis, distance: dict | None = None) -> list[str]:
    """The findings of an analysis as a few plain sentences, in labels.

    Parameters
    ----------
    scenario : Scenario (for the labels; the analysis holds only ids)
    analysis : :class:`negosim.engine.analysis.Analysis`
    distance : optional ``{party: PartyDistance}`` from
        :func:`negosim.uncertainty.distance_to_yes.distance_to_yes`; adds, for each
        rejecting party, the one number that would bring it closest to yes.

    Returns
    -------
    list[str]
        The verdict; for each rejecting party why it rejects, the one change
        of the draft that brings it closest to yes and (with ``distance``) the
        one number that would; the consent rules the draft touches, met or
        not (when the scenario has any); the smallest repair; whether the zone of agreement is empty.
    """
    a = analysis
    draft = a.compiled.package_dict(a.compiled.draft)
    out = [_verdict_sentence(scenario, a)]
    out += [rejection(scenario, v, draft, a.compiled, (distance or {}).get(v.party))
            for v in a.draft.values() if not v.accepts]
    out += [x for x in (_consent_sentence(scenario, a), _repair_sentence(scenario, a), _zone_sentence(a)) if x]
    return out


# --------------------------------------------------------------------------- a bargaining run

def final_package(result) -> dict[str, str] | None:
    """The package a run ended on: its agreement, else the last text on the table (None if none was)."""
    if result.package is not None:
        return result.package
    rows = result.trace[result.trace["package"] >= 0] if len(result.trace) else result.trace
    if not len(rows) or result.model is None:
        return None
    cs = result.model.cs
    return cs.package_dict(cs.space.decode_one(int(rows["package"].iloc[-1])))


def _failures(scenario, cs, rows, package: dict[str, str]) -> list[str]:
    """Why each needed party in ``rows`` (one round of the trace) rejects ``package``, in labels."""
    import numpy as np
    x = np.array([cs.option_ids[j].index(package[p]) for j, p in enumerate(cs.provision_ids)], dtype=np.int64)
    reds = cs.red_lines_hit(x)
    out = []
    for r in rows.itertuples():
        if r.accepts or not r.needed:
            continue
        who = party_label(scenario, r.party)
        if reds.get(r.party):
            crossed = "; ".join(" with ".join(red_line_options(scenario, r.party, rid, package))
                                for rid in reds[r.party])
            out.append(f"{who} (red line: {crossed})")
        else:
            out.append(f"{who} ({r.threshold - r.utility:.3f} below its threshold {r.threshold:.3f})")
    return out


def run_summary(scenario, result) -> list[str]:
    """The closing sentences of a bargaining run: the outcome and round; without a deal, who
    blocked the last text and on what, and the closest text of the run and whom it still failed.

    The closest text is the one accepted by the most needed parties (ties: the smallest total
    shortfall of the others against their thresholds, then the latest round).
    """
    proto = result.protocol.replace("_", " ")
    cs = result.model.cs if result.model is not None else None
    draft = cs.package_dict(cs.draft) if cs is not None else {}
    if result.agreement:
        n = len(changes(scenario, result.package, draft))
        out = [f"Agreement in round {result.round} ({proto}, seed {result.seed}): every party whose consent "
               f"is needed accepts a text {n} change{'s' if n != 1 else ''} from the draft."]
        if getattr(result, "ratification", None) is not None:  # the ratification step's verdict
            out.append(f"Ratification: {result.ratification_detail}.")
        return out
    out = [f"No agreement ({proto}, seed {result.seed}): {result.reason}."]
    t = result.trace
    if cs is None or not len(t) or not (t["package"] >= 0).any():
        return out
    tabled = t[t["package"] >= 0]
    last_round = int(tabled["round"].iloc[-1])
    last = tabled[tabled["round"] == last_round]
    pkg = cs.package_dict(cs.space.decode_one(int(last["package"].iloc[0])))
    fails = _failures(scenario, cs, last, pkg)
    if fails:
        out.append(f"The last text (round {last_round}) was blocked by {and_list(fails)}.")
    best = None
    for rnd, g in tabled.groupby("round"):
        need = g[g["needed"]]
        yes = int(need["accepts"].sum())
        gap = float((need["threshold"] - need["utility"]).clip(lower=0)[~need["accepts"]].sum())
        key = (yes, -gap, int(rnd))
        if best is None or key > best[0]:
            best = (key, int(rnd), g)
    (yes, _, _), rnd, g = best
    if rnd != last_round:
        pkg = cs.package_dict(cs.space.decode_one(int(g["package"].iloc[0])))
        n = len(changes(scenario, pkg, draft))
        fails = _failures(scenario, cs, g, pkg)
        out.append(f"The closest text was round {rnd}'s ({n} change{'s' if n != 1 else ''} from the draft, "
                   f"accepted by {yes} of {int(g['needed'].sum())} needed parties); it still failed "
                   f"{and_list(fails)}.")
    else:
        out.append("It was also the closest text of the run (accepted by the most needed parties).")
    return out
