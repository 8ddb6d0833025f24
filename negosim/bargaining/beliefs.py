"""What one agent believes about the other parties.

An agent knows its own utility exactly. The others' weights, values,
reservations, drifts, discounts and linkage bonuses it only believes: by
default the scenario's numbers perturbed by seeded normal noise whose
standard deviation is the number times the relative spread of its evidence's
confidence (:data:`negosim.scenario.numbers.CONFIDENCE_SPREAD`: 5 % high, 10 %
medium, 20 % low), or a quarter of its range when it is given as a wider
range. The believed numbers
are compiled like any scenario, so believed utilities come from
:meth:`CompiledScenario.score` too: the *view* of an agent is a compiled
scenario whose own row is exact and whose other rows are beliefs.

Beyond utilities, an agent keeps for every other party a *gap*: how far
above its (believed) reservation that party's acceptance threshold is
thought to lie. Responses and offers move it (a rejection shows the
threshold lies above the believed utility of what was rejected, an
acceptance or an own offer that it lies at or below); between rounds it
shrinks as if the party conceded evenly towards the deadline. A surprise
(a rejection of what was believed acceptable, an acceptance of what was
believed below the reservation) also corrects the believed values of the
options in the package: beliefs about utilities learn, not only beliefs
about thresholds.

With ``information: complete`` the view is the true compiled scenario and the
others' thresholds are read from the agents themselves.

Example
-------
>>> import numpy as np
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.engine.compiled import compile_scenario
>>> s = random_scenario(parties=3, provisions=4, options=3, seed=0)
>>> cs = compile_scenario(s)
>>> b = Beliefs.private(s, cs, owner=0, rng=np.random.default_rng(1))
>>> bool((b.view.wv[0] == cs.wv[0]).all()), bool((b.view.wv[1] == cs.wv[1]).all())
(True, False)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from negosim.engine.compiled import CompiledScenario, compile_scenario, quantize
from negosim.scenario.numbers import CONFIDENCE_SPREAD, FIELD_BOUNDS, clip_bounds
from negosim.scenario.schema import Scenario, iter_numbers, number_kind

#: Confidence assumed for a number that states none and cites no source.
DEFAULT_CONFIDENCE = "medium"
#: How far above a rejected package's believed utility a threshold is put.
REJECTION_STEP = 0.01

#: Where a believed number is clipped: its allowed bounds, an exclusive low end (power, discount) kept 1e-6 clear.
_LIMITS = {field: clip_bounds(field, 1e-6) for field in FIELD_BOUNDS}


def confidence_of(scenario: Scenario, num) -> str:
    """The confidence of a number: its own, else its source's, else the default."""
    if num.confidence is not None:
        return num.confidence
    if num.source is not None and num.source in scenario.sources:
        return scenario.sources[num.source].confidence
    return DEFAULT_CONFIDENCE


def perturbed_numbers(scenario: Scenario, rng: np.random.Generator, noise: float = 1.0,
                      skip: str | None = None) -> dict[tuple, float]:
    """Believed point values of the parties' numbers (overrides for :func:`compile_scenario`).

    A party's no-deal cost (``no_deal.cost.P``) is believed like its other numbers, and
    a reservation ``no_deal`` is then derived from the believed numbers when the beliefs
    are compiled; the outcomes' probabilities are the world's, not a party's, and stay exact.

    Parameters
    ----------
    scenario : the scenario whose numbers are believed.
    rng : the believer's own random generator.
    noise : multiplier of every spread (0 gives the exact numbers).
    skip : a party id whose numbers are left exact (the believer itself).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=2, options=2, seed=0)
    >>> exact = perturbed_numbers(s, np.random.default_rng(0), noise=0.0)
    >>> exact[("parties", "p0", "reservation")]
    0.5
    """
    out = {}
    for path, num in iter_numbers(scenario):
        if path[0] == "parties":
            owner = path[1]
        elif path[:2] == ("no_deal", "cost"):
            owner = path[2]
        else:
            continue
        kind = number_kind(path)
        point = num.point
        if owner == skip or noise == 0:
            out[path] = point
            continue
        spread = CONFIDENCE_SPREAD[confidence_of(scenario, num)] * abs(point)
        lo, hi = num.bounds
        sd = noise * max(spread, (hi - lo) / 4)
        v = point + sd * rng.standard_normal()
        a, b = _LIMITS[kind]
        out[path] = float(np.clip(v, a, b if b is not None else np.inf))
    return out


def with_row(believed: CompiledScenario, true: CompiledScenario, owner: int | None) -> CompiledScenario:
    """A private copy of ``believed`` whose row ``owner`` is taken from ``true``."""
    rows = {}
    for name in ("wv", "weights", "values", "reservation", "power", "discount", "drift"):
        arr = getattr(believed, name).copy()
        if owner is not None:
            arr[owner] = getattr(true, name)[owner]
        rows[name] = arr
    terms = believed.terms
    if owner is not None:
        terms = [t for t in believed.terms if t.party != owner] + [t for t in true.terms if t.party == owner]
    return dataclasses.replace(believed, terms=terms, **rows)


class Beliefs:
    """One agent's view of the scenario and its estimates of the others' thresholds.

    Attributes
    ----------
    owner : index of the believing party (None for a neutral mediator).
    view : CompiledScenario, own row exact, other rows believed.
    complete : whether the agent knows everything (no learning needed).
    gap : ndarray [P], believed threshold minus believed base, per party.
    version : int, bumped when the believed values change.
    """

    def __init__(self, view: CompiledScenario, owner: int | None, complete: bool):
        self.view = view
        self.owner = owner
        self.complete = complete
        self.gap = np.zeros(view.n_parties)
        #: Bumped whenever believed values change (cached scores must be renewed).
        self.version = 0
        self._rejected: dict[int, bytes] = {}
        #: Whether surprises correct believed values (else only the gaps learn).
        self.learns_values = True
        self._res_round, self._res = None, None

    @classmethod
    def private(cls, scenario: Scenario, true: CompiledScenario, owner: int | None,
                rng: np.random.Generator, noise: float = 1.0, params: dict | None = None) -> "Beliefs":
        """Beliefs drawn from the scenario's numbers with seeded noise."""
        skip = None if owner is None else true.party_ids[owner]
        believed = compile_scenario(scenario, params, overrides=perturbed_numbers(scenario, rng, noise, skip))
        return cls(with_row(believed, true, owner), owner, complete=False)

    @classmethod
    def exact(cls, true: CompiledScenario, owner: int | None) -> "Beliefs":
        """Complete information: the view is the truth."""
        return cls(true, owner, complete=True)

    # -- the others' reservations -------------------------------------------
    def reservation_at(self, round_: int) -> np.ndarray:
        """Believed reservation of every party in a round (own: exact)."""
        if self._res_round != round_:
            self._res_round, self._res = round_, reservations_at(self.view, round_)
        return self._res

    def floor(self, deadline: int) -> np.ndarray:
        """Lowest believed reservation of each party up to the deadline."""
        return np.minimum(self.reservation_at(1), self.reservation_at(deadline))

    # -- learning ------------------------------------------------------------
    def start_gaps(self, gap: np.ndarray) -> None:
        """Set the initial gaps (e.g. the others' believed ideal above reservation)."""
        if not self.complete:
            self.gap = np.maximum(np.asarray(gap, dtype=float), 0.0)

    def new_round(self, round_: int, deadline: int) -> None:
        """Shrink the gaps as if every party conceded evenly towards the deadline."""
        if self.complete or round_ <= 1:
            return
        left = deadline - round_
        self.gap *= max(left, 0) / (left + 1) if left >= 0 else 0.0

    def observe_response(self, party: int, package: np.ndarray, believed_utility: float, estimate: float,
                         base: float, accepted: bool, red: bool) -> None:
        """Learn from a party's answer to ``package``.

        ``believed_utility`` is the package's utility for the party in this
        view, ``estimate`` the threshold the party was believed to hold and
        ``base`` what that estimate rests on (its believed reservation, or
        continuation value). A surprise teaches: an acceptance below the
        estimate lowers the gap (and, below the base, raises the believed
        values of the package's options); a rejection at or above it lowers
        the believed values of the package's options, spread evenly over the
        provisions, until the package is believed just short of the threshold;
        so does every repeated rejection of the same package, by one step.
        When the beliefs do not learn values (``learns_values`` off), a
        rejection raises the gap instead, just above the rejected package.
        """
        if self.complete or party == self.owner:
            return
        key = package.tobytes()
        if accepted:
            if believed_utility < estimate:
                self.gap[party] = max(min(self.gap[party], believed_utility - base), 0.0)
            if believed_utility < base and self.learns_values:
                self._shift_values(party, package, base - believed_utility)
        elif not red and not self.learns_values:
            self.gap[party] = max(self.gap[party], believed_utility - base + REJECTION_STEP)
        elif not red:
            if believed_utility >= estimate - REJECTION_STEP:
                self._shift_values(party, package, estimate - believed_utility - REJECTION_STEP)
            elif self._rejected.get(party) == key:
                # The same package refused again: it is worse for the party than believed.
                self._shift_values(party, package, -REJECTION_STEP)
            self._rejected[party] = key

    def _shift_values(self, party: int, package: np.ndarray, total: float) -> None:
        """Move the believed weighted values of ``package``'s options for ``party`` by ``total`` in all."""
        wv = self.view.wv
        J = self.view.n_provisions
        cols = np.arange(J)
        wv[party, cols, package] = quantize(np.maximum(wv[party, cols, package] + total / J, 0.0))
        self.version += 1

    def observe_offer(self, party: int, believed_utility: float, base: float) -> None:
        """A party offered a package: it would settle for that much (at most)."""
        if self.complete or party == self.owner:
            return
        self.gap[party] = min(self.gap[party], max(believed_utility - base, 0.0))

    def observe_objection(self, party: int, provision: int, option: int) -> None:
        """A party named ``option`` as the change it wants on ``provision``: believe it is its favourite.

        Only believed weighted values change (on this view's private copy), so
        scoring still goes through :meth:`CompiledScenario.score`.
        """
        if self.complete or party == self.owner:
            return
        row = self.view.wv[party, provision, :int(self.view.radix[provision])]
        if row[option] < row.max():
            self.view.wv[party, provision, option] = row.max()
            self.version += 1

    def thresholds(self, base: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """Estimated acceptance thresholds: base plus gap, never below the floor."""
        return np.maximum(base + self.gap, floor)


def stack_views(beliefs: list[Beliefs]) -> CompiledScenario:
    """One compiled scenario holding every believer's picture of every party, row ``b * P + p``.

    Scoring a package once through it gives every believer's believed
    utilities at the same time. The believers' views are re-pointed at its
    weighted values, so what they learn (which edits those in place) shows
    in the stack at once.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=3, options=2, seed=0)
    >>> cs = compile_scenario(s)
    >>> bs = [Beliefs.private(s, cs, i, np.random.default_rng(i)) for i in range(2)]
    >>> st = stack_views(bs)
    >>> x = cs.draft[None, :]
    >>> bool(np.allclose(st.score(x).util[:, 0], np.concatenate([b.view.score(x).util[:, 0] for b in bs])))
    True
    """
    views = [b.view for b in beliefs]
    P = views[0].n_parties
    rows = {name: np.concatenate([getattr(v, name) for v in views])
            for name in ("wv", "weights", "values", "reservation", "power", "discount", "drift", "always_needed",
                         "vetoing", "veto_provs")}
    stack = dataclasses.replace(
        views[0], **rows,
        party_ids=tuple(f"{v.party_ids[b] if b < P else 'mediator'}:{p}"
                        for b, v in enumerate(views) for p in v.party_ids),
        terms=[dataclasses.replace(t, party=b * P + t.party) for b, v in enumerate(views) for t in v.terms])
    relink_views(stack, beliefs)
    return stack


def relink_views(stack: CompiledScenario, beliefs: list[Beliefs]) -> None:
    """Make each believer's weighted values a window on the stack's (their current values kept)."""
    P = beliefs[0].view.n_parties
    for b, belief in enumerate(beliefs):
        stack.wv[b * P:(b + 1) * P] = belief.view.wv
        belief.view = dataclasses.replace(belief.view, wv=stack.wv[b * P:(b + 1) * P])


def reservations_at(cs: CompiledScenario, round_: int) -> np.ndarray:
    """Reservations after ``round_ - 1`` rounds of drift: ``r + drift * (round_ - 1)``, not clipped.

    Round 1 is the analysis's reservation exactly, a derived ``no_deal`` one below 0
    included (docs/model.md, "Bargaining": one rule for both).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=2, options=2, seed=0))
    >>> cs = dataclasses.replace(cs, drift=np.array([0.01, -0.02]))
    >>> reservations_at(cs, 11).round(3).tolist()
    [0.6, 0.3]
    """
    return cs.reservation + cs.drift * (round_ - 1)


def at_round(cs: CompiledScenario, round_: int) -> CompiledScenario:
    """A copy of the compiled scenario with the reservations of ``round_`` (arrays shared otherwise)."""
    return dataclasses.replace(cs, reservation=reservations_at(cs, round_))


__all__ = ["Beliefs", "at_round", "relink_views", "stack_views", "confidence_of", "perturbed_numbers", "reservations_at",
           "with_row"]
