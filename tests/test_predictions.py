"""Facts that can fail: constraints apart from predictions, and mutations that must break predictions.

tests/test_retrodiction.py checks the shipped rounds against facts the articles
report. A fact is a **constraint** when it follows from a red line, or from
numbers set from the same passage or draft it reports: it shows that the numbers
were written down as intended, nothing more. A fact is a **prediction** when no
number was set from it. Only predictions count as retrodiction (docs/calibration.md,
"Constraints and predictions", lists the same split with the reasons).

Each mutation rebuilds the rounds with numbers that should be wrong and must
break at least one prediction that holds for the shipped numbers:

- ``wide_reservations``: each party's fallback replaced by a draw from a wide
  uniform range (0.05 to 0.95), the same draw for that party in every round;
  drawn 20 times with fixed seeds;
- ``permuted_weights``: each party's weights permuted at random among the
  provisions it weighs (its values kept), 20 fixed seeds;
- ``swapped_values``: Ukraine's and Russia's values swapped within each
  provision (weights, fallbacks and red lines kept).

A random mutation may by chance leave every prediction standing; the test counts
the draws that break one and requires at least ``MIN_BREAK_SHARE`` of them
(docs/calibration.md reports the counts).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from negosim.errors import NoDealUnusedWarning

from negosim.scenario.schema import Scenario
from test_retrodiction import FACT_NAMES, FACTS, KNOWN_MISSES, ROUNDS, SCENARIOS, failing
from negosim.scenario.yaml_io import load_scenario

#: Facts no number was set from, and why.
PREDICTIONS = {
    "kyiv_rejects_plan28_on_its_merits":
        "Kyiv's fallback is derived from what fighting on brings, not from the 28-point draft; its margin "
        "(not only its red line) must be negative",
    "moscow_values_plan28_highly":
        "Moscow's values come from its December demands (A004), not from the 28-point draft",
    "kyiv_rejects_moscows_version":
        "besides the Donbas red line, Kyiv's utility of Moscow's version must fall short of a fallback "
        "derived from fighting on",
    "framework20_is_closer_for_kyiv":
        "no number was set from Zelensky's remark; the gap follows from Kyiv's values of the two texts",
    "moscow_treats_framework20_as_a_starting_point":
        "Moscow's fallback is derived from fighting on, not bracketed by the 20-point text any more",
    "kyiv_accepts_a_bare_ceasefire_moscow_does_not":
        "the fallbacks are derived from fighting on, not bracketed by the ceasefire package any more",
    "kyiv_rejects_nato_restrictions_even_with_a_ceasefire":
        "Kyiv's fallback is derived from fighting on, not bracketed by this package any more",
    "kyiv_counterproposes_rather_than_accept_the_april_plan":
        "Kyiv's April fallback is derived from fighting on; nothing was set from the April draft",
    "washington_does_not_take_the_counterproposal_as_is":
        "Washington's fallback is derived from fighting on, not bracketed by the counterproposal any more",
}
#: Facts that follow from a red line or from numbers set from the same passage or draft, and which.
CONSTRAINTS = {
    "washington_accepts_plan28": "Washington's late-2025 values were set from the terms of the 28-point plan "
                                 "it drafted (A000, A001)",
    "kyiv_refuses_any_recognition_of_crimea": "Kyiv's red line no_recognition_of_crimea (A002)",
    "moscow_rejects_nato_country_troops": "Moscow's red line no_nato_country_troops (A002)",
    "moscow_rejects_kyivs_counterproposal": "the same red line: the counterproposal has the European contingent",
    "april_moscow_would_stop_at_the_line_for_crimea_and_nato":
        "April's Moscow model raised the Crimea and NATO-bar weights from this very passage (A002)",
    "moscow_gives_its_pledge_for_donbas":
        "Moscow's pledge weight was set small from this passage ('Moscow's small concession in the plan', A001)",
    "donetsk_is_the_demand_kyiv_minds_most":
        "Kyiv's Donbas weight was set 'among its largest' from this passage (A004), and its red line from the same",
}
#: Smallest share of a random mutation's draws that must break a prediction.
MIN_BREAK_SHARE = 0.5
SEEDS = range(20)


@pytest.fixture(scope="module")
def rounds() -> dict[str, Scenario]:
    return {k: load_scenario(SCENARIOS / f).scenario for k, f in ROUNDS.items()}


@pytest.fixture(scope="module")
def standing(rounds) -> set[str]:
    """The predictions that hold on the shipped rounds (only those can be broken)."""
    return set(PREDICTIONS) - set(failing(rounds))


def broken_predictions(mutated: dict[str, Scenario], standing: set[str]) -> set[str]:
    return standing & set(failing(mutated))


# --------------------------------------------------------------------------- mutations

def wide_reservations(sc: dict[str, Scenario], seed: int) -> dict[str, Scenario]:
    rng = np.random.default_rng(seed)
    parties = list(next(iter(sc.values())).parties)
    draw = {p: float(rng.uniform(0.05, 0.95)) for p in parties}
    out = {}
    for k, s in sc.items():
        d = s.model_dump(exclude_none=True)
        for p in parties:
            d["parties"][p]["reservation"] = draw[p]
        # Parameter effects may target a fallback's inputs (no-deal p and costs): they stay valid,
        # so the no_deal section stays, unused (its warning says so; not news here).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoDealUnusedWarning)
            out[k] = Scenario.model_validate(d)
    return out


def permuted_weights(sc: dict[str, Scenario], seed: int) -> dict[str, Scenario]:
    out = {}
    for k, s in sc.items():
        rng = np.random.default_rng(seed)  # the same permutation in every round
        d = s.model_dump(exclude_none=True)
        for name, party in s.parties.items():
            weighed = [p for p, w in party.weights.items() if w.point > 0]
            perm = rng.permutation(len(weighed))
            old = [d["parties"][name]["weights"][p] for p in weighed]
            for p, j in zip(weighed, perm):
                d["parties"][name]["weights"][p] = old[j]
        out[k] = Scenario.model_validate(d)
    return out


def swapped_values(sc: dict[str, Scenario], seed: int = 0) -> dict[str, Scenario]:
    out = {}
    for k, s in sc.items():
        d = s.model_dump(exclude_none=True)
        u, r = d["parties"]["ukraine"]["values"], d["parties"]["russia"]["values"]
        for prov in set(u) & set(r):
            u[prov], r[prov] = r[prov], u[prov]
        out[k] = Scenario.model_validate(d)
    return out


MUTATIONS = {"wide_reservations": (wide_reservations, SEEDS), "permuted_weights": (permuted_weights, SEEDS),
             "swapped_values": (swapped_values, [0])}


# --------------------------------------------------------------------------- tests

def test_every_fact_is_a_constraint_or_a_prediction():
    assert set(PREDICTIONS) | set(CONSTRAINTS) == set(FACT_NAMES)
    assert not set(PREDICTIONS) & set(CONSTRAINTS)
    # A known miss is a prediction that failed: a constraint cannot miss (it was set to hold).
    assert set(KNOWN_MISSES) <= set(PREDICTIONS)


def test_constraints_hold(rounds):
    assert not set(CONSTRAINTS) & set(failing(rounds))


def test_some_predictions_stand(standing):
    assert len(standing) >= 3, standing


# Known miss (measured on the shipped rounds, docs/calibration.md): the predictions that stand rest
# on rankings, red lines and the derived fallbacks; permuting a party's weights leaves them standing
# in 19 of 20 draws (the one it breaks is Moscow's preference for the 28-point plan). The trade-offs
# between provisions that the articles report were read for a prediction that weights decide (issue
# 13.7): each one's weights were set from its own passage (the two that hold are constraints, which
# permutations break in 13 and 17 of 20 draws but which this test does not count), so none is left.
PERMUTED_WEIGHTS_MISS = pytest.mark.xfail(strict=True, reason=(
    "permuted weights break a prediction in 1 of 20 draws only: no standing prediction tests the weights"))


@pytest.mark.parametrize("mutation", [pytest.param(m, marks=PERMUTED_WEIGHTS_MISS) if m == "permuted_weights" else m
                                      for m in MUTATIONS])
def test_mutation_breaks_a_prediction(rounds, standing, mutation):
    mutate, seeds = MUTATIONS[mutation]
    breaks = []
    for seed in seeds:
        mutated = mutate(rounds, seed)
        assert mutated != rounds
        breaks.append(broken_predictions(mutated, standing))
    share = sum(bool(b) for b in breaks) / len(breaks)
    print(f"{mutation}: {sum(bool(b) for b in breaks)} of {len(breaks)} draws break a prediction "
          f"({sorted(set().union(*breaks))})")
    assert share >= (MIN_BREAK_SHARE if len(breaks) > 1 else 1.0), \
        f"{mutation}: only {share:.0%} of draws break a prediction"


def test_mutations_change_what_they_say(rounds):
    s = rounds["plan28"]
    w = wide_reservations(rounds, 0)["plan28"]
    assert all(isinstance(p.reservation, type(w.parties["us"].reservation)) for p in w.parties.values())
    assert w.parties["ukraine"].reservation != s.parties["ukraine"].reservation
    pw = permuted_weights(rounds, 1)["plan28"]
    for name in s.parties:
        old = sorted(x.point for x in s.parties[name].weights.values())
        new = sorted(x.point for x in pw.parties[name].weights.values())
        assert old == new  # a permutation: the same weights, elsewhere
    assert any(pw.parties[n].weights != s.parties[n].weights for n in s.parties)
    sv = swapped_values(rounds)["plan28"]
    assert sv.parties["ukraine"].values["donbas"] == s.parties["russia"].values["donbas"]
    assert sv.parties["russia"].weights == s.parties["russia"].weights
