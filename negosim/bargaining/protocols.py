"""Bargaining protocols: who puts which package on the table each round.

Every protocol is a small registered class (see :data:`PROTOCOLS`) with a
``play(model)`` method that runs one round and returns a :class:`Play`: the
package the parties answered (or None), who tabled it and what changed. The
model then checks consent: a deal needs the acceptance of every party whose
consent the package needs, at that round's reservations.

- ``single_text`` (Raiffa 1982; Fisher's one-text procedure at Camp David):
  a mediator keeps one text, starting from the draft. Each round every party
  accepts it or objects (naming the changes that would raise its utility
  most); the mediator learns from the answers and revises up to
  ``changes_per_round`` provisions or linked groups.
- ``alternating_offers`` (multilateral Rubinstein-Stahl turn taking): the
  parties propose in turn; a proposer offers the package it likes best among
  those it believes every other needed party accepts at its current
  aspiration (or, if it believes none does, the one closest to that).
- ``random_proposer`` (Baron & Ferejohn 1989, closed rule, unanimity of the
  needed parties): each round a proposer is drawn with recognition
  probabilities and offers the package that gives each other needed party
  its discounted continuation value. Here a party accepts an offer when it
  reaches its own discounted continuation value (never below its
  reservation); concession strategies play no part.

Example
-------
>>> sorted(PROTOCOLS)
['alternating_offers', 'random_proposer', 'single_text']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .beliefs import reservations_at
from .offer_search import best_offer, group_moves, neighbours, value_table
from .registry import PROTOCOL_NAMES, Registry
from .strategies import Situation

#: Registered protocols, by name (each of the declared PROTOCOL_NAMES).
PROTOCOLS = Registry("protocol", PROTOCOL_NAMES)
register = PROTOCOLS.register

#: Rounds before the deadline over which random-proposer values are worked back.
HORIZON = 500
#: Objections a rejecting party names under the single text.
OBJECTIONS = 2


def get_protocol(name: str) -> "Protocol":
    """A fresh instance of the protocol called ``name``."""
    return PROTOCOLS.make(name)


@dataclass
class Play:
    """One round's move: the package answered, who tabled it, what changed."""

    package: np.ndarray | None
    proposer: str | None
    changed: list[str] = field(default_factory=list)
    note: str = ""


class Protocol:
    """Base class. ``needs_mediator``: whether the model adds a :class:`~negosim.bargaining.agents.Mediator`."""

    name = ""
    summary = ""
    needs_mediator = False

    def setup(self, model) -> None:
        """Prepare once, after the agents exist and their fronts are built."""

    def start_round(self, model) -> None:
        """Set each party's acceptance threshold for the round (after aspirations update)."""

    def bases(self, model, agent) -> np.ndarray:
        """What an agent believes each party's threshold rests on, before its learned gap."""
        return agent.beliefs.reservation_at(model.round)

    def lowest_ahead(self, model, agent) -> float:
        """The lowest threshold ``agent`` reaches by the deadline if nobody else moves."""
        res = float(reservations_at(model.cs, model.deadline)[agent.index])
        s = Situation(model.deadline, model.deadline, agent.ideal, res, agent.aspiration, 0.0)
        return max(agent.strategy.aspiration(s), res)

    def estimates(self, model, agent) -> np.ndarray:
        """The thresholds an agent believes every party holds this round."""
        if agent.beliefs.complete:
            return model.true_thresholds()
        floor = agent.beliefs.reservation_at(model.round)
        return agent.beliefs.thresholds(self.bases(model, agent), floor)

    def offer(self, model, agent, own_floor: float) -> Play:
        """``agent`` tables the best row of its front given its estimates."""
        thr = self.estimates(model, agent)
        front = agent.offers()
        row = best_offer(front, agent.index, own_floor, thr) if front.size else -1
        if row < 0:
            return Play(None, agent.party, note="sees no package it could offer")
        x = front.X[row]
        short = front.shortfall(agent.index, thr)[row]
        note = "" if short == 0 else f"expects a shortfall of {short:.3f} in total"
        return Play(x.copy(), agent.party, note=note)

    def proposal(self, model, agent) -> Play:
        """``agent`` proposes (never below its own threshold); everyone answers and learns."""
        move = self.offer(model, agent, agent.threshold)
        if move.package is not None:
            model.broadcast(move.package, model.ask(move.package), agent.index, self)
        return move

    def play(self, model) -> Play:  # pragma: no cover - abstract
        raise NotImplementedError


@register
class SingleText(Protocol):
    name = "single_text"
    summary = ("a mediator revises one text, starting from the draft, from the parties' answers and "
               "objections (Raiffa's single negotiating text)")
    needs_mediator = True

    def setup(self, model) -> None:
        singles = [(j,) for j in range(model.cs.n_provisions)]
        self._singles = (singles, group_moves(model.cs, singles))
        model.open_talks()

    def play(self, model) -> Play:
        text = model.text.copy()
        answers = model.ask(text)
        objections = self.objections(model, text, answers)
        if model.consent(text, answers):
            return Play(text, model.mediator_label)
        med = model.mediator
        med.learn(text, {j: (a[0], a[1]) for j, a in answers.items()}, objections)
        new = med.revise(text)
        model.text = new
        changed = [model.cs.provision_ids[j] for j in np.flatnonzero(new != text)]
        return Play(text, model.mediator_label, changed)

    def objections(self, model, text: np.ndarray, answers) -> dict[int, list[tuple[int, int]]]:
        """Each rejecting party's most valuable single changes (by its own, exact utility)."""
        cs = model.cs
        cand = neighbours(cs, text, self._singles[0], self._singles[1])
        if not len(cand):
            return {}
        now = np.array([answers[i][3] for i in range(cs.n_parties)])
        gain = model.cs_now.score(cand).util - now[:, None]
        moved = np.argmax(cand != text[None, :], axis=1)
        out = {}
        for agent in model.party_list:
            i = agent.index
            if answers[i][0]:
                continue
            order = np.lexsort((np.arange(len(cand)), -gain[i]))
            top = [r for r in order[:OBJECTIONS] if gain[i, r] > 0]
            out[i] = [(int(moved[r]), int(cand[r, moved[r]])) for r in top]
            agent.objection = ", ".join(
                f"{cs.provision_ids[moved[r]]}={cs.option_ids[moved[r]][cand[r, moved[r]]]} "
                f"(+{gain[i, r]:.3f})" for r in top)
        return out


@register
class AlternatingOffers(Protocol):
    name = "alternating_offers"
    summary = ("the parties propose in turn; each offers the package it likes best among those it "
               "believes the others accept")

    def setup(self, model) -> None:
        model.open_talks()

    def play(self, model) -> Play:
        agents = model.party_list
        return self.proposal(model, agents[(model.round - 1) % len(agents)])


@register
class RandomProposer(Protocol):
    name = "random_proposer"
    summary = ("a proposer drawn at random each round offers each needed party its discounted "
               "continuation value (Baron & Ferejohn)")

    def setup(self, model) -> None:
        self.probs = model.recognition()
        self._tables: dict[int, np.ndarray] = {}
        model.open_talks(learn=False)

    def start_round(self, model) -> None:
        for agent in model.party_list:
            view = agent.beliefs.view
            agent.expected = self.table(model, agent)[model.round]  # expectation at the start of the next round
            agent.continuation = float(view.discount[agent.index] * agent.expected[agent.index])
            agent.threshold = max(agent.reservation, agent.continuation)

    def table(self, model, agent) -> np.ndarray:
        """What each party expects from the game before each round, in ``agent``'s view.

        Formed once from the agent's beliefs at the outset (complete
        information: one table for all): what it learns later corrects its
        offers, not its sense of its prospects. Rows count back from the
        deadline, at most :data:`HORIZON` rounds; earlier rounds use the
        earliest row (the values have settled by then).
        """
        key = id(agent.front)
        if key not in self._tables:
            last = model.deadline
            first = max(1, last - HORIZON + 1)
            res = np.array([agent.beliefs.reservation_at(t) for t in range(first, last + 1)])
            V = value_table(agent.front, self.probs, agent.beliefs.view.discount, res)
            # Row i is the expectation at the start of round first + i; pad so row r - 1 is round r.
            self._tables[key] = np.vstack([np.repeat(V[:1], first - 1, axis=0), V])
        return self._tables[key]

    def bases(self, model, agent) -> np.ndarray:
        res = agent.beliefs.reservation_at(model.round)
        return np.maximum(res, agent.beliefs.view.discount * agent.expected)

    def lowest_ahead(self, model, agent) -> float:
        i = agent.index
        ahead = self.table(model, agent)[model.round:model.deadline + 1, i] * agent.beliefs.view.discount[i]
        res = reservations_at(model.cs, model.deadline)[i]
        return float(max(ahead.min(), res)) if len(ahead) else float(res)

    def play(self, model) -> Play:
        return self.proposal(model, model.party_list[int(model.rng.choice(len(self.probs), p=self.probs))])
