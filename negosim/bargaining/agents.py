"""Mesa agents of the bargaining model: one party each, and the mediator.

A :class:`PartyAgent` knows its own utility exactly (through the model's
compiled scenario) and the others' only through its
:class:`~negosim.bargaining.beliefs.Beliefs`. Each round it updates its aspiration with
its concession strategy, answers packages (accept when no red line is
crossed and its utility reaches its threshold: the higher of its aspiration
and its reservation of the round) and names objections. A
:class:`Mediator` revises the single negotiating text.

Example
-------
>>> from negosim.bargaining.model import NegotiationModel
>>> from negosim.engine.random_scenario import random_scenario
>>> m = NegotiationModel(random_scenario(parties=2, provisions=3, options=3, seed=0), rng=1)
>>> [a.party for a in m.parties]
['p0', 'p1']
"""

from __future__ import annotations

import mesa
import numpy as np

from negosim.engine.compiled import accepts, meets, shortfall, thresholds
from .beliefs import Beliefs
from .offer_search import Front, group_moves, move_groups, neighbours
from .strategies import Situation, Strategy

#: How many recent texts the mediator will not table again.
TABU = 4


class PartyAgent(mesa.Agent):
    """One party at the table.

    Attributes
    ----------
    index, party : its row in the compiled scenario and its id.
    strategy : its concession strategy.
    beliefs : its view of the others.
    ideal : the best utility it thinks it can attain (its opening demand).
    reservation, aspiration, threshold : of the current round.
    conceded : share of its range it gave up this round.
    utility, accepts, needed, objection : its answer to this round's package.
    """

    def __init__(self, model, index: int, strategy: Strategy, beliefs: Beliefs):
        super().__init__(model)
        self.index = index
        self.party = model.cs.party_ids[index]
        self.strategy = strategy
        self.beliefs = beliefs
        self.front: Front | None = None
        self.ideal = float(model.cs.reservation[index])
        self.reservation = self.ideal
        self.aspiration: float | None = None
        self.threshold = self.reservation
        self.conceded = 0.0
        self.continuation = self.reservation
        #: Random proposer: expected utility of every party from going on, in this agent's view.
        self.expected: np.ndarray | None = None
        self.utility = float("nan")
        self.accepts: bool | None = None
        self.needed: bool | None = None
        self.objection = ""

    def set_front(self, front: Front) -> None:
        """Use ``front`` for offers; the ideal is the best own utility on it."""
        self.front = front
        self._front_version = self.beliefs.version
        ok = ~front.red[:, self.index]
        if ok.any():
            self.ideal = float(front.U[ok, self.index].max())

    def offers(self) -> Front:
        """The front, re-scored in the view if the beliefs learnt since it was last scored."""
        if self._front_version != self.beliefs.version:
            self.front.rescore(self.beliefs.view)
            self._front_version = self.beliefs.version
        return self.front

    def update(self) -> None:
        """Start a round: new reservation, aspiration from the strategy, beliefs drift."""
        m = self.model
        self.reservation = float(m.reservations[self.index])
        s = Situation(m.round, m.deadline, self.ideal, self.reservation, self.aspiration,
                      m.others_conceded(self.index))
        new = max(self.strategy.aspiration(s), self.reservation)
        span = s.top - self.reservation
        old = self.aspiration
        self.conceded = max(old - new, 0.0) / span if old is not None and span > 1e-12 else 0.0
        self.aspiration = new
        self.threshold = max(new, self.reservation)
        self.beliefs.new_round(m.round, m.deadline)
        self.utility, self.accepts, self.needed, self.objection = float("nan"), None, None, ""

    def respond(self, utility: float, red: bool, needed: bool) -> bool:
        """Answer a package: accept when no red line is crossed and the utility reaches the threshold."""
        self.utility, self.needed = float(utility), bool(needed)
        self.accepts = bool(accepts(utility, red, max(self.threshold, self.reservation)))
        return self.accepts


class Mediator(mesa.Agent):
    """The keeper of the single negotiating text.

    A neutral mediator has beliefs about every party; a party mediator is
    that party too (its own utility exact). Each round it learns from the
    answers and objections, then changes up to ``changes`` provisions (or
    linked groups) of the text, one move at a time, each time taking the
    neighbouring text that best serves its objective, and only while that
    improves on the text it has.
    """

    def __init__(self, model, party: int | None, beliefs: Beliefs, objective: str, changes: int):
        super().__init__(model)
        self.party = party
        self.beliefs = beliefs
        self.objective = objective
        self.changes = changes
        self.groups = move_groups(model.cs)
        self.moves = group_moves(model.cs, self.groups)
        #: Recent texts, not put back on the table (a short tabu list against cycling).
        self.recent: list[int] = []

    def update(self) -> None:
        if self.party is None:  # a party mediator's beliefs move with its party agent
            self.beliefs.new_round(self.model.round, self.model.deadline)

    def learn(self, text: np.ndarray, answers: dict[int, tuple[bool, bool]],
              objections: dict[int, list[tuple[int, int]]]) -> None:
        """Update beliefs from each party's (accepted, red) answer and its objections."""
        u = self.beliefs.view.score(text[None, :]).util[:, 0]
        estimate, base = self._thresholds()
        for j, (accepted, red) in answers.items():
            self.beliefs.observe_response(j, text, float(u[j]), float(estimate[j]), float(base[j]), accepted, red)
        for j, items in objections.items():
            for prov, opt in items:
                self.beliefs.observe_objection(j, prov, opt)

    def _thresholds(self) -> tuple[np.ndarray, np.ndarray]:
        """(estimated thresholds of every party, their believed reservations) this round."""
        base = self.beliefs.reservation_at(self.model.round)
        if self.beliefs.complete:
            return self.model.true_thresholds(), base
        thr = self.beliefs.thresholds(base, base)
        if self.party is not None:  # a party mediator knows its own threshold
            thr = thr.copy()
            thr[self.party] = self.model.party_list[self.party].threshold
        return thr, base

    def keys(self, X: np.ndarray, s, text_util: np.ndarray) -> list[tuple]:
        """Sort keys (smaller is better) of candidate texts ``X`` with scores ``s`` under the objective."""
        thr, base = self._thresholds()
        U = s.util
        short = shortfall(U, s.red, s.needed, thr).sum(axis=0)
        index = _indices(self.model.cs, X)
        if self.objective == "mediator_utility":
            others = np.arange(U.shape[0]) != self.party
            loses = (~meets(U[others], thresholds(text_util[others, None]))).any(axis=0)
            second, third = loses.astype(float), -U[self.party]
        else:
            gains = np.where(s.needed, np.maximum(U - base[:, None], 0.0) ** self.model.cs.power[:, None], 1.0)
            second, third = -gains.prod(axis=0), np.zeros(len(X))
        return list(zip(np.round(short, 12), second, third, index))

    def revise(self, text: np.ndarray) -> np.ndarray:
        """The revised text (possibly unchanged)."""
        cs = self.model.cs
        current = text.copy()
        text_util = None
        self.recent = (self.recent + [cs.space.encode_one(text)])[-TABU:]
        for _ in range(self.changes):
            cand = neighbours(cs, current, self.groups, self.moves)
            fresh = cand[~np.isin(_indices(cs, cand), self.recent)]
            if not len(fresh):
                break
            X = np.vstack([current[None, :], fresh])
            s = self.beliefs.view.score(X)
            if text_util is None:  # row 0 of the first batch is the text itself
                text_util = s.util[:, 0]
            keys = self.keys(X, s, text_util)
            best = min(range(len(keys)), key=keys.__getitem__)
            if best == 0:
                break
            current = X[best]
        return current


def _indices(cs, X: np.ndarray) -> np.ndarray:
    """Package indices of rows of X (exact Python ints when the space outgrows int64)."""
    if cs.space.fits_int64:
        return cs.space.encode(X)
    return np.array([cs.space.encode_one(x) for x in X], dtype=object)
