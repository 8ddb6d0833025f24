"""A round-robin of the registered strategies on a bilateral scenario: ANAC's statistics.

Every ordered pair of strategies (the first party plays the first, the second
party the second) bargains under one protocol, once per seed. Each run ends in
an outcome in utility space: the agreement's utilities, or the parties'
reservations when talks break down (the disagreement point, as ANAC scores
it). Per pair the tournament reports the agreement rate, each side's mean
utility, and the mean Euclidean distance of the outcome to the Nash point and
to the Pareto front of the zone of agreement (``negosim analyze``'s), the
statistics the ANAC competitions report.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> t = tournament(random_scenario(parties=2, provisions=3, options=2, seed=1), seeds=1,
...                strategies=("linear", "hardliner"))
>>> [(r.first, r.second) for r in t.rows]
[('linear', 'linear'), ('linear', 'hardliner'), ('hardliner', 'linear'), ('hardliner', 'hardliner')]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from negosim.errors import NegosimError


@dataclass
class PairRow:
    """One strategy pair's statistics over the seeds."""

    first: str
    second: str
    runs: int
    agreement_rate: float
    utility_first: float
    utility_second: float
    distance_nash: float | None
    distance_pareto: float | None
    mean_round: float | None  # over the runs that agreed

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Tournament:
    """Result of :func:`tournament`: the parties, the protocol, the seeds and one row per pair."""

    parties: tuple[str, str]
    protocol: str
    seeds: int
    nash: list[float] | None
    pareto_size: int
    rows: list[PairRow]

    def to_json(self) -> dict:
        """The contract of ``negosim run --tournament --json``."""
        return {"parties": list(self.parties), "protocol": self.protocol, "seeds": self.seeds,
                "nash": self.nash, "pareto_size": self.pareto_size, "rows": [r.to_json() for r in self.rows]}


def _front_distance(point: np.ndarray, front: np.ndarray) -> float | None:
    if len(front) == 0:
        return None
    return float(np.sqrt(((front - point) ** 2).sum(axis=1)).min())


def tournament(scenario, seeds: int = 3, protocol: str | None = "alternating_offers", rounds: int | None = None,
               strategies=None, params: dict[str, float] | None = None) -> Tournament:
    """Run every ordered pair of ``strategies`` (default: the registry's) ``seeds`` times.

    Parameters
    ----------
    scenario : a bilateral Scenario, LoadedScenario or path.
    seeds : runs per pair, with seeds 0 .. seeds - 1.
    protocol : the protocol (default ``alternating_offers``, ANAC's; None: the scenario's).
    rounds : the deadline (default: the scenario's).
    strategies : the strategy names to pair (default: every registered one).
    """
    from negosim.bargaining.registry import STRATEGY_NAMES
    from negosim.bargaining.simulate import simulate
    from negosim.engine.analysis import analyze
    from negosim.engine.compiled import as_scenario, compile_scenario
    s, _ = as_scenario(scenario)
    if len(s.parties) != 2:
        raise NegosimError(f"a tournament needs a bilateral scenario (2 parties; this one has {len(s.parties)})")
    if seeds < 1:
        raise NegosimError("a tournament needs at least one seed")
    names = tuple(strategies or STRATEGY_NAMES)
    unknown = [n for n in names if n not in STRATEGY_NAMES]
    if unknown:
        raise NegosimError(f"unknown strategy '{unknown[0]}' (known: {', '.join(STRATEGY_NAMES)})")
    cs = compile_scenario(s, params)
    a = analyze(cs, pareto=True, top=0)
    front = np.array([list(p.utilities.values()) for p in a.pareto or []]).reshape(-1, 2)
    nash = a.solutions.get("nash")
    nash_u = np.array(list(nash.utilities.values())) if nash is not None else None
    p1, p2 = cs.party_ids
    disagreement = np.asarray(cs.reservation, dtype=float)
    rows, used = [], None
    for first in names:
        for second in names:
            outcomes, deals, rounds_at = [], 0, []
            for seed in range(seeds):
                r = simulate(s, protocol=protocol, seed=seed, rounds=rounds, strategies={p1: first, p2: second},
                             params=params)
                used = r.protocol
                if r.agreement:
                    deals += 1
                    rounds_at.append(r.round)
                    outcomes.append([r.utilities[p1], r.utilities[p2]])
                else:
                    outcomes.append(disagreement.tolist())
            U = np.array(outcomes)
            dn = float(np.sqrt(((U - nash_u) ** 2).sum(axis=1)).mean()) if nash_u is not None else None
            dp = [_front_distance(u, front) for u in U]
            rows.append(PairRow(first, second, seeds, deals / seeds, float(U[:, 0].mean()), float(U[:, 1].mean()),
                                dn, float(np.mean(dp)) if dp and dp[0] is not None else None,
                                float(np.mean(rounds_at)) if rounds_at else None))
    return Tournament((p1, p2), used or (protocol or ""), seeds,
                      nash_u.tolist() if nash_u is not None else None, len(front), rows)
