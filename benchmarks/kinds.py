"""The three kinds of random scenario the benchmarks run.

- ``random``: independent random weights and values (the easy case: parties
  often want different provisions, so the zone of agreement is large).
- ``opposed``: the second party's values run against the first's, as
  Ukraine's and Russia's do; the zone shrinks and the front grows.
- ``linkage-heavy``: 12 linkages and 6 red lines across provisions, which
  forces the analysis to condition on provisions (see :mod:`negosim.engine.split`).

Example
-------
>>> s = make("opposed", parties=3, provisions=4, options=3, seed=1)
>>> len(s.parties), len(s.provisions)
(3, 4)
"""

from __future__ import annotations

from negosim import random_scenario

KINDS: dict[str, dict] = {
    "random": {},
    "opposed": {"opposed": True},
    "linkage-heavy": {"linkages": 12, "red_lines": 6},
}


def make(kind: str, parties: int = 4, provisions: int = 10, options: int = 4, seed: int = 0):
    """The scenario of one kind (a :class:`negosim.Scenario`)."""
    return random_scenario(parties, provisions, options, seed, **KINDS[kind])


def linear(kind: str) -> bool:
    """Whether a linear additive utility (NegMAS's) can express this kind exactly."""
    return not KINDS[kind].get("linkages") and not KINDS[kind].get("red_lines")
