"""Concession strategies: how a party's aspiration falls as rounds pass.

A strategy maps the state of the talks (:class:`Situation`) to the party's
*aspiration*, the utility below which it rejects an offer. The model never
lets an aspiration fall below the reservation of the round, so a strategy
cannot make a party accept less than its fallback.

The time-dependent family follows Faratin, Sierra & Jennings (1998): with
``tau`` the share of time gone (0 in the first round, 1 at the deadline),
the aspiration is ``reservation + (1 - tau ** (1 / beta)) * (ideal -
reservation)``. ``beta < 1`` holds out until late (Boulware), ``beta > 1``
concedes early (Conceder), ``beta = 1`` concedes evenly (Linear).

Every strategy is a small class registered by name in :data:`STRATEGIES`;
the CLI, the docs and the shared tests read that registry.

Example
-------
>>> s = get_strategy("linear")
>>> round(s.aspiration(Situation(round=6, deadline=11, ideal=0.9, reservation=0.4)), 3)
0.65
>>> get_strategy("boulware").aspiration(Situation(6, 11, 0.9, 0.4)) > 0.65
True
"""

from __future__ import annotations

from dataclasses import dataclass

from .registry import STRATEGY_NAMES, Registry

#: Registered strategies, by name (each of the declared STRATEGY_NAMES).
STRATEGIES = Registry("strategy", STRATEGY_NAMES)
register = STRATEGIES.register

#: The strategy a party uses when the scenario names none.
DEFAULT_STRATEGY = "linear"


@dataclass(frozen=True)
class Situation:
    """What a strategy sees in one round.

    Attributes
    ----------
    round : the current round (1 is the first).
    deadline : the last round.
    ideal : the best utility the party thinks it can attain (its opening demand).
    reservation : the party's reservation in this round (it drifts).
    previous : the party's aspiration in the last round (None in the first).
    others_conceded : mean share of their range the other parties conceded
        last round (None before anyone could concede).
    """

    round: int
    deadline: int
    ideal: float
    reservation: float
    previous: float | None = None
    others_conceded: float | None = None

    @property
    def tau(self) -> float:
        """Share of the time to the deadline that has passed (0 .. 1)."""
        if self.deadline <= 1:
            return 1.0
        return min(max((self.round - 1) / (self.deadline - 1), 0.0), 1.0)

    @property
    def top(self) -> float:
        """The opening demand, never below the current reservation."""
        return max(self.ideal, self.reservation)


def get_strategy(name: str) -> "Strategy":
    """A fresh instance of the strategy called ``name``."""
    return STRATEGIES.make(name)


class Strategy:
    """Base class: subclasses set ``name``, ``summary`` and :meth:`aspiration`."""

    name = ""
    summary = ""

    def aspiration(self, s: Situation) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class TimeDependent(Strategy):
    """Faratin et al.'s polynomial time-dependent tactic with exponent ``beta``."""

    beta = 1.0

    def aspiration(self, s: Situation) -> float:
        done = s.tau ** (1.0 / self.beta)
        return s.reservation + (1.0 - done) * (s.top - s.reservation)


@register
class Boulware(TimeDependent):
    name = "boulware"
    summary = "holds close to its opening demand and concedes mostly near the deadline (beta = 0.2)"
    beta = 0.2


@register
class Conceder(TimeDependent):
    name = "conceder"
    summary = "concedes most of its range early (beta = 5)"
    beta = 5.0


@register
class Linear(TimeDependent):
    name = "linear"
    summary = "concedes the same amount every round, reaching its reservation at the deadline (beta = 1)"
    beta = 1.0


@register
class Hardliner(Strategy):
    name = "hardliner"
    summary = "never goes below its opening demand"

    def aspiration(self, s: Situation) -> float:
        return s.top


@register
class Reciprocal(Strategy):
    """Tit for tat in concessions.

    Opens at its ideal; in the second round it makes one even step (as a
    linear strategy would), so that two reciprocal parties do not wait on
    each other forever; afterwards it concedes the same share of its range
    that the other parties conceded, on average, in the last round.
    """

    name = "reciprocal"
    summary = "concedes as much (as a share of its range) as the others did last round"

    def aspiration(self, s: Situation) -> float:
        span = s.top - s.reservation
        if s.previous is None:
            return s.top
        if s.others_conceded is None:
            step = 1.0 / max(s.deadline - 1, 1)
        else:
            step = max(s.others_conceded, 0.0)
        return min(max(s.previous - step * span, s.reservation), s.top)
