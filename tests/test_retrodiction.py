"""Retrodiction: the shipped scenarios must reproduce what the articles report.

Each fact is a check over the round scenarios (loaded from scenarios/) and cites the
article and the verbatim quote it rests on. ``guided`` says whether the fact was used to
set a number (a reservation bracket or a red line) or was only checked afterwards; see
docs/calibration.md, which lists the same facts.

The mutation tests rebuild the scenarios with Ukraine's and Russia's numbers swapped,
with all weights equal, and with every provision's option values reversed, and show that
each mutation breaks at least one fact: the facts test the numbers, not only the format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from negosim.engine.analysis import verdict
from negosim.engine.compiled import compile_scenario
from negosim.scenario.evidence import normalize
from negosim.scenario.schema import Scenario
from negosim.scenario.yaml_io import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ROUNDS = {
    "freeze": "freeze_2025_04.yaml",
    "counter": "ukraine_counter_2025_04.yaml",
    "plan28": "plan28_2025_11.yaml",
    "framework20": "framework20_2025_12.yaml",
    "framework20_russia": "framework20_russia_2025_12.yaml",
}


# --------------------------------------------------------------------------- helpers

def draft_verdicts(s: Scenario, changes: dict[str, str] | None = None):
    """Each party's verdict on the scenario's draft, optionally with some provisions changed."""
    cs = compile_scenario(s)
    package = dict(s.draft)
    package.update(changes or {})
    return verdict(cs, cs.package_from_dict(package))


def status_quo(s: Scenario, **changes: str) -> dict[str, str]:
    """The no-deal package (every provision at its status quo), with some provisions changed."""
    out = {pid: p.status_quo for pid, p in s.provisions.items()}
    out.update(changes)
    return out


def package_verdicts(s: Scenario, package: dict[str, str]):
    cs = compile_scenario(s)
    return verdict(cs, cs.package_from_dict(package))


def judged_by(sc: dict[str, Scenario], model: str, draft: str):
    """Verdicts on round ``draft``'s draft by the parties as round ``model`` describes them.

    Comparing drafts of different rounds under one model of the parties keeps a change of
    the party's position (Moscow hardened between April and December) apart from a change
    of the draft.
    """
    return package_verdicts(sc[model], sc[draft].draft)


def rejects_all_with(s: Scenario, party: str, provision: str, option: str, n: int = 3000, seed: int = 0) -> bool:
    """Whether ``party`` rejects every package that sets ``provision`` to ``option``.

    Checked on ``n`` random such packages plus the one the party likes best (each other
    provision at its own best option), and only if the party accepts some package at all
    (otherwise the check would be vacuous).
    """
    cs = compile_scenario(s)
    i = cs.party_ids.index(party)
    j = cs.provision_ids.index(provision)
    rng = np.random.default_rng(seed)
    X = np.stack([rng.integers(0, r, size=n) for r in cs.radix], axis=1)
    best = np.array([int(np.argmax(cs.wv[i, k, :cs.radix[k]])) for k in range(cs.n_provisions)])
    free_best = cs.score(best[None, :]).accepts[i, 0]
    X = np.vstack([X, best[None, :]])
    X[:, j] = cs.option_ids[j].index(option)
    return bool(free_best and not cs.score(X).accepts[i].any())


# --------------------------------------------------------------------------- the facts

@dataclass(frozen=True)
class Fact:
    name: str
    source: str
    quote: str
    guided: bool
    check: Callable[[dict[str, Scenario]], bool]


FACTS: list[Fact] = []


def fact(source: str, quote: str, guided: bool):
    """Register a fact: a function of the round scenarios that returns whether it holds."""
    def register(fn):
        FACTS.append(Fact(fn.__name__, source, quote, guided, fn))
        return fn
    return register


@fact("A000", "American officials say Ukraine would still reject the deal because it demands huge sacrifices for Kyiv.",
      guided=False)
def kyiv_rejects_plan28_on_its_merits(sc) -> bool:
    """Kyiv rejects the 28-point draft, and would even without its red lines (utility below reservation)."""
    v = draft_verdicts(sc["plan28"])["ukraine"]
    return not v.accepts and v.margin < 0


@fact("A000", "offers Russia few concessions, the only major one being a break from the pledge to annex the entire country",
      guided=False)
def moscow_values_plan28_highly(sc) -> bool:
    """Moscow accepts the 28-point draft; of the drafts tabled by Washington or Kyiv it values it
    most (judged by its November model), and its margin on it is far above Kyiv's."""
    russia = {k: judged_by(sc, "plan28", k)["russia"] for k in ("freeze", "counter", "plan28", "framework20")}
    kyiv = draft_verdicts(sc["plan28"])["ukraine"]
    return (russia["plan28"].accepts and max(russia, key=lambda k: russia[k].utility) == "plan28"
            and russia["plan28"].margin > kyiv.margin + 0.3)


@fact("A001", "NBC News reports that the US president has approved a plan reportedly comprising 28 points", guided=True)
def washington_accepts_plan28(sc) -> bool:
    return draft_verdicts(sc["plan28"])["us"].accepts


@fact("A002", "Zelensky has said Kyiv would not cede any territory, including Crimea, to Russia as part of a peace deal.",
      guided=True)
def kyiv_refuses_any_recognition_of_crimea(sc) -> bool:
    """Kyiv rejects every package in which it recognises Crimea as Russian, in every round."""
    return all(rejects_all_with(s, "ukraine", "crimea_kyiv", "recognised") for s in sc.values())


@fact("A002", "Russia has rejected some of the suggestions, like military presence for NATO countries in Ukraine",
      guided=True)
def moscow_rejects_nato_country_troops(sc) -> bool:
    """Moscow rejects every package with a European (NATO countries') contingent, in every round."""
    return all(rejects_all_with(s, "russia", "foreign_troops", "european_contingent") for s in sc.values())


@fact("A003", 'a "European security contingent" supported by the United States will be deployed on the territory of Ukraine',
      guided=False)
def moscow_rejects_kyivs_counterproposal(sc) -> bool:
    """Moscow rejects Kyiv's counterproposal, and the European contingent is why."""
    v = draft_verdicts(sc["counter"])["russia"]
    return not v.accepts and "no_nato_country_troops" in v.red_lines


@fact("A004", "While the Kremlin has not formally endorsed the document, it is reportedly treating it as a starting point for future negotiations.",
      guided=True)
def moscow_treats_framework20_as_a_starting_point(sc) -> bool:
    """Moscow does not accept the 20-point text as is, but crosses no red line on it, and it is
    closer to Moscow's fallback than Kyiv's counterproposal, whether Moscow is modelled as in
    December or as in April."""
    fw = draft_verdicts(sc["framework20"])["russia"]
    closer = all(judged_by(sc, m, "framework20")["russia"].margin > judged_by(sc, m, "counter")["russia"].margin
                 for m in ("framework20", "counter"))
    return not fw.accepts and not fw.red_lines and closer


@fact("A004", "Ukrainian concessions of territory in eastern Donetsk that Russian forces have not yet captured—a demand Kyiv has firmly rejected",
      guided=True)
def kyiv_rejects_moscows_version(sc) -> bool:
    """Kyiv rejects the framework with Moscow's changes (its utility falls short too)."""
    v = draft_verdicts(sc["framework20_russia"])["ukraine"]
    return not v.accepts and v.margin < 0


@fact("A004", 'negotiations had "moved significantly closer to finalizing the documents."', guided=False)
def framework20_is_closer_for_kyiv(sc) -> bool:
    """The December text is much better for Kyiv than the November one."""
    fw = judged_by(sc, "framework20", "framework20")["ukraine"]
    p28 = judged_by(sc, "framework20", "plan28")["ukraine"]
    return fw.utility > p28.utility + 0.1


@fact("A003", "Territorial issues can be discussed after a full and unconditional ceasefire", guided=True)
def kyiv_accepts_a_bare_ceasefire_moscow_does_not(sc) -> bool:
    """A full ceasefire with everything else left as it is: Kyiv accepts, Moscow (which has agreed
    only to 'temporary and partial ceasefires', A002) does not."""
    s = sc["framework20"]
    v = package_verdicts(s, status_quo(s, sequencing="ceasefire_first"))
    return v["ukraine"].accepts and not v["russia"].accepts


@fact("A003", "US officials said they understood that Ukraine would not accept any restrictions on joining NATO.",
      guided=True)
def kyiv_rejects_nato_restrictions_even_with_a_ceasefire(sc) -> bool:
    s = sc["framework20"]
    v = package_verdicts(s, status_quo(s, sequencing="ceasefire_first", nato_constitution="removed",
                                       nato_pledge="never"))
    return not v["ukraine"].accepts


@fact("A002", "In return, Putin wants its control of Crimea recognized internationally and an agreement that Ukraine is barred from joining NATO.",
      guided=True)
def april_moscow_would_stop_at_the_line_for_crimea_and_nato(sc) -> bool:
    """In April, Moscow accepts the US proposals with Crimea recognised internationally, NATO
    barred, and the European force replaced by monitors unconnected to NATO."""
    v = draft_verdicts(sc["freeze"], {"crimea_intl": "recognised", "nato_pledge": "never",
                                      "foreign_troops": "non_nato_monitors"})
    return v["russia"].accepts


@fact("A003", "which has been criticized for excessive concessions to Russia", guided=False)
def kyiv_counterproposes_rather_than_accept_the_april_plan(sc) -> bool:
    """Kyiv does not accept the April US proposals as they stand (it answered with a counterproposal)."""
    return not draft_verdicts(sc["freeze"])["ukraine"].accepts


@fact("A003", "There still seems to be room for concessions between Washington and Kyiv", guided=True)
def washington_does_not_take_the_counterproposal_as_is(sc) -> bool:
    return not draft_verdicts(sc["counter"])["us"].accepts


# Two trade-offs the articles report: which of two provisions a party gives up for the other.
# They compare weights, which no other fact does (issue 13.7); both weights they turn on were
# set from these passages, so they are constraints (tests/test_predictions.py), and the trade-offs
# the articles report whose numbers contradict them are listed in docs/calibration.md.

def changes_between(sc: dict[str, Scenario], before: str, after: str) -> dict[str, str]:
    """The provisions on which round ``after``'s draft differs from round ``before``'s, with ``after``'s options."""
    a, b = sc[before].draft, sc[after].draft
    return {p: b[p] for p in a if a[p] != b[p]}


def utilities(s: Scenario, party: str, packages: list[dict[str, str]]) -> list[float]:
    """``party``'s utility of each package (compiled once: the mutation tests call this often)."""
    cs = compile_scenario(s)
    X = np.stack([cs.package_from_dict(p) for p in packages])
    return [float(u) for u in cs.score(X).util[cs.party_ids.index(party)]]


@fact("A001", "In return, Moscow would promise not to attack Ukraine or any other European countries, officials said, "
              "and would formalize this commitment in law.", guided=True)
def moscow_gives_its_pledge_for_donbas(sc) -> bool:
    """In the plan it co-drafted Moscow pledges non-aggression in law in return for all of Donbas: it
    prefers the 28-point plan to the same plan with both halves of the exchange struck out."""
    s = sc["plan28"]
    plan, struck = utilities(s, "russia", [dict(s.draft), dict(s.draft, donbas="kyiv_holds", non_aggression="none")])
    return plan > struck


@fact("A004", "Ukrainian concessions of territory in eastern Donetsk that Russian forces have not yet captured—a demand "
              "Kyiv has firmly rejected", guided=True)
def donetsk_is_the_demand_kyiv_minds_most(sc) -> bool:
    """Of Moscow's demanded changes to the 20-point text (each applied alone), ceding the rest of
    Donetsk, the one Kyiv has firmly rejected, costs Kyiv the most utility."""
    s = sc["framework20"]
    demands = changes_between(sc, "framework20", "framework20_russia")
    u = utilities(s, "ukraine", [dict(s.draft)] + [dict(s.draft, **{p: o}) for p, o in demands.items()])
    loss = dict(zip(demands, u[0] - np.array(u[1:])))
    return all(loss["donbas"] > v for p, v in loss.items() if p != "donbas")


FACT_NAMES = [f.name for f in FACTS]


# --------------------------------------------------------------------------- loading and mutating

@pytest.fixture(scope="module")
def rounds() -> dict[str, Scenario]:
    return {k: load_scenario(SCENARIOS / f).scenario for k, f in ROUNDS.items()}


def failing(sc: dict[str, Scenario]) -> list[str]:
    return [f.name for f in FACTS if not f.check(sc)]


def swap_ukraine_russia(s: Scenario) -> Scenario:
    """Ukraine's and Russia's numbers swapped: weights, values, reservations, linkages, no-deal costs."""
    d = s.model_dump(exclude_none=True)
    u, r = d["parties"]["ukraine"], d["parties"]["russia"]
    for key in ("weights", "values", "reservation", "linkages"):
        u[key], r[key] = r.get(key, []), u.get(key, [])
    # With reservation: no_deal for both, the fallbacks differ only by each party's cost of
    # fighting on (and its values of the outcomes, swapped above): swap the costs too.
    cost = (d.get("no_deal") or {}).get("cost", {})
    if "ukraine" in cost and "russia" in cost:
        cost["ukraine"], cost["russia"] = cost["russia"], cost["ukraine"]
    return Scenario.model_validate(d)


def equal_weights(s: Scenario) -> Scenario:
    """Every party weighs each provision it weighs at all equally (zero weights stay zero:
    those provisions have no values to weigh)."""
    d = s.model_dump(exclude_none=True)
    for name, party in s.parties.items():
        weighed = [p for p, w in party.weights.items() if w.point > 0]
        d["parties"][name]["weights"] = {p: (1.0 / len(weighed) if p in weighed else 0.0) for p in party.weights}
    return Scenario.model_validate(d)


def reversed_values(s: Scenario) -> Scenario:
    """Every provision's option values reversed (the first option gets the last one's value...)."""
    d = s.model_dump(exclude_none=True)
    for name, party in d["parties"].items():
        for prov, vals in party["values"].items():
            opts = list(s.provisions[prov].options)
            old = [vals[o] for o in opts]
            party["values"][prov] = dict(zip(opts, reversed(old)))
    return Scenario.model_validate(d)


MUTATIONS = {"swap_ukraine_russia": swap_ukraine_russia, "equal_weights": equal_weights,
             "reversed_values": reversed_values}


# --------------------------------------------------------------------------- tests

def test_at_least_eight_facts_each_quoted_verbatim():
    texts = {}
    base = load_scenario(SCENARIOS / "base.yaml", check_quotes=False)
    folder = base.articles
    assert folder is not None and folder.is_dir(), f"article folder {folder} is missing"
    for f in FACTS:
        src = base.scenario.sources[f.source]
        texts.setdefault(f.source, normalize((folder / src.file).read_text(encoding="utf-8")))
        assert normalize(f.quote) in texts[f.source], f"{f.name}: quote not in {f.source}"
    assert len(FACTS) >= 8
    assert sum(not f.guided for f in FACTS) >= 4


def test_the_two_april_rounds_model_moscow_alike(rounds):
    # Both April files override Moscow's position the same way (they describe the same month).
    assert rounds["freeze"].parties == rounds["counter"].parties


# Facts the model no longer reproduces since every reservation is derived from what fighting on
# brings (the no_deal section of base.yaml and the round files, issue 13.3). The numbers were
# derived from the articles first and not retuned to restore these; docs/calibration.md says why
# each fails ("What changed with no_deal").
_MOSCOW_LOW = ("Moscow's derived fallback (0.03 in December, 0.04 in April) is below its utility of "
               "almost any package: its status-quo options are its worst on nearly every provision, and what "
               "fighting on can bring it (territory; with a 2 % chance, Kyiv's capitulation on Moscow's old terms, "
               "worth 0.43 to it) leaves sanctions, the allies' NATO pledge and the rest at the status quo, so "
               "fighting on is worth little to it")
_KYIV_LOW = ("Kyiv's derived fallback (0.53; 0.52 in April) is below its old bracket (0.70-0.79): fighting on "
             "risks the rest of Donbas and costs it, so Kyiv accepts more than the articles report")
KNOWN_MISSES = {
    "moscow_treats_framework20_as_a_starting_point": _MOSCOW_LOW + ": it accepts the 20-point text (+0.201)",
    "kyiv_accepts_a_bare_ceasefire_moscow_does_not": _MOSCOW_LOW + ": it accepts a bare ceasefire (+0.111)",
    "kyiv_rejects_nato_restrictions_even_with_a_ceasefire": _KYIV_LOW + ": the ceasefire with NATO renounced "
                                                            "(0.659) passes it",
    "kyiv_counterproposes_rather_than_accept_the_april_plan": _KYIV_LOW + ": it accepts the April US "
                                                              "proposals (+0.147)",
    "washington_does_not_take_the_counterproposal_as_is": (
        "Washington's derived April fallback (0.16: its status-quo options are its worst on most provisions) "
        "is below its April utility of Kyiv's counterproposal (0.36)"),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[n]))
                                  if n in KNOWN_MISSES else n for n in FACT_NAMES])
def test_fact_holds(rounds, name):
    f = FACTS[FACT_NAMES.index(name)]
    assert f.check(rounds), f"{f.name} fails ({f.source}: {f.quote!r})"


# Equal weights used to break no fact (since the values were rescaled to the 0-1 convention, every
# fact that held rested on rankings and red lines). The two trade-off facts (constraints) compare a
# party's weights on two provisions, so equal weights break both.
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_mutation_breaks_a_fact(rounds, mutation):
    mutated = {k: MUTATIONS[mutation](s) for k, s in rounds.items()}
    assert mutated != rounds
    # Only a fact that holds on the shipped rounds can be broken (the known misses fail anyway).
    broken = set(failing(mutated)) - set(failing(rounds))
    assert broken, f"no fact fails after {mutation}"


def test_mutations_change_what_they_say(rounds):
    s = rounds["plan28"]
    sw = swap_ukraine_russia(s)
    assert sw.parties["ukraine"].reservation == s.parties["russia"].reservation
    assert sw.parties["russia"].values["donbas"]["cede"] == s.parties["ukraine"].values["donbas"]["cede"]
    assert sw.no_deal.cost["ukraine"] == s.no_deal.cost["russia"] != s.no_deal.cost["ukraine"]
    eq = equal_weights(s)
    ws = {w.point for w in eq.parties["russia"].weights.values() if w.point > 0}
    assert len(ws) == 1
    rv = reversed_values(s)
    assert rv.parties["ukraine"].values["army"]["no_limit"] == s.parties["ukraine"].values["army"]["cap_600k"]
