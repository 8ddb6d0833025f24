"""Retrodiction under uncertainty: each fact of tests/test_retrodiction.py must hold in at
least 80 % of draws of the scenarios' uncertain numbers.

Every round is sampled with the same seed. Draws are keyed by a number's path, so a
number the rounds share (most come from scenarios/base.yaml) takes the same value in
every round of one draw: each draw is one coherent alternative world, and facts that
compare rounds compare like with like.
"""

from __future__ import annotations

import numpy as np
import pytest

from negosim.uncertainty.sampling import Sampler
from negosim.scenario.yaml_io import load_scenario

from test_retrodiction import FACT_NAMES, FACTS, ROUNDS, SCENARIOS
from test_retrodiction import KNOWN_MISSES as MIDPOINT_MISSES

#: Draws per round; the share of draws in which each fact must hold.
DRAWS = 50
SHARE = 0.8
SEED = 2025


@pytest.fixture(scope="module")
def samplers() -> dict[str, Sampler]:
    return {k: Sampler(load_scenario(SCENARIOS / f).scenario) for k, f in ROUNDS.items()}


@pytest.fixture(scope="module")
def holds(samplers) -> np.ndarray:
    """``[fact, draw]``: whether each fact holds in each drawn world."""
    worlds = {k: sm.scenarios(sm.draw(DRAWS, SEED)) for k, sm in samplers.items()}
    out = np.zeros((len(FACTS), DRAWS), bool)
    for i in range(DRAWS):
        sc = {k: worlds[k][i] for k in ROUNDS}
        for fi, f in enumerate(FACTS):
            out[fi, i] = f.check(sc)
    return out


def test_the_scenarios_are_uncertain_and_share_their_draws(samplers):
    """The test is not vacuous: every round has uncertain numbers, and a number that two
    rounds define alike is drawn alike in both."""
    for k, sm in samplers.items():
        assert sm.uncertain, f"{k} has no uncertain number"
    a, b = samplers["plan28"], samplers["framework20"]
    shared = [a.paths[k] for k in a.uncertain
              if a.paths[k] in b.index and b.numbers[b.index[a.paths[k]]] == a.numbers[k]]
    assert shared
    Va, Vb = a.draw(DRAWS, SEED), b.draw(DRAWS, SEED)
    for path in shared:
        assert np.array_equal(Va[:, a.index[path]], Vb[:, b.index[path]])
        assert np.ptp(Va[:, a.index[path]]) > 0


#: Facts that fail in most draws, and why (docs/calibration.md): those that fail at the midpoints
#: already (tests/test_retrodiction.py's known misses, since the no-deal fallbacks), and those that
#: hold at the midpoints but in fewer than SHARE of the draws (none at present).
KNOWN_MISSES = {name: "fails at the midpoints: " + why for name, why in MIDPOINT_MISSES.items()}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[n]))
                                  if n in KNOWN_MISSES else n for n in FACT_NAMES])
def test_fact_holds_in_most_draws(holds, name):
    fi = FACT_NAMES.index(name)
    f = FACTS[fi]
    share = holds[fi].mean()
    assert share >= SHARE, (f"{name} holds in only {share:.0%} of {DRAWS} draws "
                            f"({f.source}: {f.quote!r}); failing draws: {np.flatnonzero(~holds[fi]).tolist()}")
