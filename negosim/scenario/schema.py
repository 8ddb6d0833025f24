"""The scenario format: pydantic models, validated and immutable once loaded.

A scenario names the provisions of a plan with their options, the parties with
their weights, values, reservations, red lines and linkages, the draft on the
table, named parameters and the bargaining settings. Cross-field checks
(unknown ids, missing values, bad references) raise errors that carry the
document path of the offending field, so the YAML loader can point at its
``file:line:col``.

Example
-------
>>> s = Scenario.model_validate({
...     "negosim": 1, "name": "toy",
...     "provisions": {"p": {"label": "P", "options": {"a": {"label": "A", "status_quo": True},
...                                                   "b": {"label": "B"}}}},
...     "parties": {"x": {"reservation": 0.5, "weights": {"p": 1},
...                       "values": {"p": {"a": 0.0, "b": 1.0}}}},
...     "draft": {"p": "b"}})
>>> s.parties["x"].reservation.point
0.5
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Tag, Field, StrictBool, StrictInt, field_validator, model_validator

from negosim.errors import NoDealUnusedWarning, PathError, WeightsNormalizedWarning
from negosim.limits import MAX_CONSENT_RULES, MAX_CONSENT_WEIGHT, MAX_NUMBER, MAX_PARTIES, MAX_PROTOCOL_COUNT
from .numbers import (BonusNumber, Confidence, CostNumber, Support, DiscountNumber, DriftNumber, FiniteFloat, Number,
                      PositiveNumber, ProbabilityNumber, ReservationNumber, UnitNumber, WeightNumber, bounds_text)
# The names a scenario may give, from the registries' declarations (importing the protocols
# themselves would pull numpy, numba and mesa into every load).
from negosim.bargaining.registry import PROTOCOL_NAMES, STRATEGY_NAMES

FORMAT_VERSION = 1

_CFG = ConfigDict(extra="forbid", frozen=True, strict=True)

#: One option id, or a list of option ids meaning "any of these".
OptionRef = str | list[str]


class Passage(BaseModel):
    """A stretch of an article with its own date or a limited use (e.g. an older piece spliced in).

    The passage runs from the first occurrence of ``start`` to the end of the
    first occurrence of ``end`` after it. A quote that lies inside it may
    support only the numbers of the parties in ``usable_for`` (all parties
    when that is absent).
    """

    model_config = _CFG
    id: str = Field(description="Unique within the source.")
    start: str = Field(min_length=1, description="The passage's first words, verbatim.")
    end: str = Field(min_length=1, description="The passage's last words, verbatim.")
    date: str = Field("", description="When the passage was written, if not the article's date.")
    usable_for: list[str] | None = Field(None, description="The parties whose numbers a quote from this "
                                         "passage may support (default: every party).")
    note: str = Field("", description="Why the passage is scoped.")


class Source(BaseModel):
    """An article the scenario's numbers cite."""

    model_config = _CFG
    file: str = Field(description="File name of the article inside the articles folder.")
    title: str = Field("", description="Headline of the article.")
    date: str = Field("", description="When it was published, as the index gives it.")
    confidence: Confidence = Field("medium", description="How reliable the article is overall.")
    passages: list[Passage] = Field([], description="Stretches of the article with their own date or scope.")


class Option(BaseModel):
    """One mutually exclusive way a plan can settle a provision."""

    model_config = _CFG
    label: str = Field(description="Short name shown in tables.")
    description: str = ""
    source: str | None = Field(None, description="Id of the source that reports this option.")
    quote: str | None = Field(None, description="Verbatim passage of that source.")
    supports: Support | None = Field(None, description="How far the quote shows the option was proposed "
                                     "or demanded: states, implies or context.")
    absent: StrictBool = Field(False, description="The plan says nothing on this provision.")
    status_quo: StrictBool = Field(False, description="What holds without a deal.")


class Transferable(BaseModel):
    """An amount the parties may split among themselves as part of a package (side payments).

    Each unit a party receives adds its ``value_per_unit`` to its utility. See
    docs/model.md, "Side payments".
    """

    model_config = _CFG
    total: Number = Field(description="How much there is to split (at least 0), e.g. 300 for $300 bn.")
    unit: str = Field(description="What one unit is, e.g. 'USD bn'.")
    value_per_unit: dict[str, Number] = Field(description="party -> utility of one unit to it (at least 0; "
                                              "parties left out value it at 0).")
    options: list[str] | None = Field(None, description="The options of this provision under which the amount "
                                      "is split (default: every option).")

    @model_validator(mode="after")
    def _not_negative(self) -> "Transferable":
        for path, num in [(("total",), self.total)] + [(("value_per_unit", p), v)
                                                       for p, v in self.value_per_unit.items()]:
            if num.support[0] < 0:
                raise PathError(path, f"must be at least 0 (got {num.support[0]:g})")
        return self


class Provision(BaseModel):
    """One article of a plan with its options."""

    model_config = _CFG
    label: str = Field(description="Short name shown in tables.")
    description: str = ""
    options: dict[str, Option] = Field(min_length=1, description="Mutually exclusive options, by id.")
    transferable: Transferable | None = Field(None, description="An amount whose split among the parties "
                                              "is a choice of the package (side payments; at most one "
                                              "provision).")

    @model_validator(mode="after")
    def _one_status_quo(self) -> "Provision":
        sq = [k for k, o in self.options.items() if o.status_quo]
        if len(sq) > 1:
            raise PathError(("options", sq[1], "status_quo"),
                            f"at most one status-quo option per provision (also set on '{sq[0]}')")
        return self

    @property
    def status_quo(self) -> str | None:
        """Id of the status-quo option, if one is marked."""
        return next((k for k, o in self.options.items() if o.status_quo), None)


class RedLine(BaseModel):
    """A combination of options a party never accepts."""

    model_config = _CFG
    id: str = Field(description="Unique within the party.")
    forbid: dict[str, OptionRef] = Field(min_length=1, description="provision -> option (or list of "
                                         "options, any of which) that together cross the line.")
    source: str | None = Field(None, description="Source id of the evidence.")
    quote: str | None = Field(None, description="Verbatim passage of that source.")
    claim: str | None = Field(None, description="What the quote shows.")
    confidence: Confidence | None = None
    supports: Support | None = Field(None, description="How far the quote shows the red line: states, "
                                     "implies or context.")
    assumption: str | None = Field(None, description="Why, when no source supports it.")


class Linkage(BaseModel):
    """A bonus (negative: a penalty) added when a combination occurs."""

    model_config = _CFG
    id: str = Field(description="Unique within the party.")
    when: dict[str, OptionRef] = Field(min_length=1, description="provision -> option (or list) that "
                                       "together trigger the bonus.")
    bonus: BonusNumber = Field(description=f"Added to the utility, in {bounds_text('linkages')}; "
                                           "negative is a penalty.")


#: A reservation: a number, or ``no_deal`` (derived from the no_deal section). Anything but the
#: word no_deal is read as a number, so an error names the number's problem.
class Ratifier(BaseModel):
    """Who must ratify what a party's negotiator signs (Putnam's level II: a parliament, a congress).

    A package the party accepts is ratified when its utility for the ratifier
    reaches ``threshold``; the ratifier scores packages with the party's values
    and linkages and its own ``weights`` (default: the party's). See
    docs/model.md, "Ratification".
    """

    model_config = _CFG
    label: str = Field(description="Who ratifies, e.g. 'Verkhovna Rada'.")
    description: str = ""
    threshold: ReservationNumber = Field(description="The ratifier approves a package whose utility for it "
                                         f"reaches this, in {bounds_text('reservation')}.")
    weights: dict[str, WeightNumber] | None = Field(
        None, description="Its own salience per provision (every provision; rescaled to sum to 1); "
        "default: the party's weights. Values and linkages are the party's.")


Reservation = Annotated[Union[Annotated[ReservationNumber, Tag("number")], Annotated[Literal["no_deal"], Tag("no_deal")]],
                        Discriminator(lambda v: "no_deal" if v == "no_deal" else "number")]


class Party(BaseModel):
    """A party's model: what it wants, how much, and its fallback."""

    model_config = _CFG
    label: str = ""
    description: str = ""
    veto: Literal["all", "none"] | list[str] = Field(
        "all", description="Whose consent a deal needs: all packages, none, or only packages "
        "that move one of the listed provisions off its status quo.")
    reservation: Reservation = Field(
        # Either is accepted (which one is decided by the input's type): anyOf, not oneOf.
        json_schema_extra=lambda schema: schema.update(anyOf=schema.pop("oneOf")),
        description="Utility of no deal; accepts a package reaching it. 'no_deal': computed from the "
        "no_deal section (expected utility of fighting on, minus the party's cost).")
    power: PositiveNumber = Field(Number(value=1.0), description="Bargaining power (weighted Nash "
                                  "exponent, recognition probability).")
    discount: DiscountNumber = Field(Number(value=1.0), description="Per-round discount factor in "
                                     f"{bounds_text('discount')}.")
    drift: DriftNumber = Field(Number(value=0.0), description="Per-round change of the reservation.")
    weights: dict[str, WeightNumber] = Field(description="Salience per provision (every provision); "
                                             "rescaled to sum to 1, with a warning if they do not.")
    values: dict[str, dict[str, UnitNumber]] = Field(description="provision -> option -> value in "
                                                     f"{bounds_text('values')}.")
    red_lines: list[RedLine] = Field([], description="Combinations the party never accepts.")
    linkages: list[Linkage] = Field([], description="Bonuses or penalties for combinations.")
    ratifier: Ratifier | None = Field(None, description="Who must ratify a deal the party signs "
                                      "(two-level game; default: nobody).")


def _check_id(key: str) -> str:
    if not key or not key.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"id '{key}' must be letters, digits, '_' or '-'")
    return key


class Outcome(BaseModel):
    """One way fighting on may end: a package with its probability."""

    model_config = _CFG
    id: str = Field(description="Unique among the outcomes (letters, digits, '_' or '-').")
    label: str = Field("", description="Short name shown in tables.")
    description: str = ""
    p: ProbabilityNumber = Field(description="Probability of this outcome, in "
                                 f"{bounds_text('p')}; the outcomes' probabilities sum to 1.")
    package: dict[str, str] = Field({}, description="provision -> option that fighting on brings; "
                                    "provisions left out keep their status-quo option.")
    # The evidence for the package (what this outcome brings), graded like a red line's; the
    # probability carries its own evidence in ``p``.
    source: str | None = Field(None, description="Source id of the evidence for the package.")
    quote: str | None = Field(None, description="Verbatim passage of that source.")
    claim: str | None = Field(None, description="What the quote shows about what this outcome brings.")
    confidence: Confidence | None = None
    supports: Support | None = Field(None, description="How far the quote shows the package: states, "
                                     "implies or context.")
    assumption: str | None = Field(None, description="Why the package is assumed, when no source supports it.")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        # The id is part of dotted paths (no_deal.outcomes.ID.p): no dots.
        return _check_id(v)

    @model_validator(mode="after")
    def _evidence(self) -> "Outcome":
        # The same rules as a number's evidence (numbers.Number): a grade grades a quote, and an
        # inference is written down.
        if self.quote is not None and self.source is None:
            raise PathError(("quote",), "a quote needs the source it comes from")
        if self.supports is not None and self.quote is None:
            raise PathError(("supports",), "'supports' grades a quote; add the source and quote it grades")
        if self.supports == "implies" and not self.claim:
            raise PathError(("claim",), "supports: implies needs the inference written in 'claim'")
        return self


class NoDeal(BaseModel):
    """What fighting on brings: a lottery over packages, and each party's cost of fighting.

    A party whose reservation is ``no_deal`` has as its reservation its
    expected utility over the outcomes minus its cost (docs/model.md, "No deal").
    """

    model_config = _CFG
    description: str = Field("", description="What fighting on brings.")
    outcomes: list[Outcome] = Field(min_length=1, description="The possible outcomes of fighting on "
                                    "(probabilities sum to 1).")
    cost: dict[str, CostNumber] = Field({}, description="party -> its cost of fighting on, in utility "
                                        f"units, in {bounds_text('cost')}.")


# --------------------------------------------------------------------------- consent rules

def _exact(x: float) -> Fraction:
    """A number as written in decimal (``0.55`` is 11/20, not its binary neighbour)."""
    return Fraction(repr(float(x)))


class KOfN(BaseModel):
    """``k`` of the listed parties must accept."""

    model_config = _CFG
    k: StrictInt = Field(description="How many of the members must accept (1 to their number).")
    of: list[str] = Field(min_length=1, description="The members, by party id.")


class WeightedQuota(BaseModel):
    """A weighted majority: the accepting members' weights sum to at least the quota."""

    model_config = _CFG
    quota: FiniteFloat = Field(description="Least total weight of the accepting members (above 0, at most "
                               "the sum of the weights).")
    weights: dict[str, FiniteFloat] = Field(min_length=1, description="member -> its weight (above 0).")


class DoubleMajority(BaseModel):
    """Two quotas at once (the EU's qualified majority): of the members, and of their population."""

    model_config = _CFG
    states: FiniteFloat = Field(description="Least share of the members that must accept, in (0, 1].")
    population: FiniteFloat = Field(description="Least share of the members' population that the accepting "
                                    "members must hold, in (0, 1].")
    population_of: dict[str, FiniteFloat] = Field(min_length=1, description="member -> its population "
                                                  "(above 0, any unit); the members are these parties.")


class RuleKind(BaseModel):
    """Exactly one of the four kinds of rule."""

    model_config = _CFG
    unanimity: list[str] | None = Field(None, description="Every listed party must accept.")
    k_of_n: KOfN | None = Field(None, description="k of the listed parties must accept.")
    weighted: WeightedQuota | None = Field(None, description="The accepting members' weights reach the quota.")
    double: DoubleMajority | None = Field(None, description="Shares of the members and of their population.")

    @model_validator(mode="after")
    def _one(self) -> "RuleKind":
        given = [k for k in RULE_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise PathError((), "a rule has exactly one of " + ", ".join(RULE_KINDS)
                            + (f" (got {', '.join(given)})" if given else " (got none)"))
        return self


#: The kinds of consent rule, in the order the format lists them.
RULE_KINDS = ("unanimity", "k_of_n", "weighted", "double")


class ConsentRule(BaseModel):
    """Whose consent the packages that move some provisions need, beyond the parties' own vetoes.

    A package *touches* the rule when it takes a non-status-quo option on one
    of ``provisions`` (``all``: every package touches it); a package that
    touches it is agreed only if the parties that accept it satisfy it.

    >>> r = ConsentRule.model_validate({"id": "c", "provisions": "all",
    ...                                 "rule": {"weighted": {"quota": 51, "weights": {"a": 50, "b": 49, "c": 1}}}})
    >>> r.members(), r.satisfied_by({"a", "c"}), r.satisfied_by({"b", "c"})
    (['a', 'b', 'c'], True, False)
    """

    model_config = _CFG
    id: str = Field(description="Unique among the rules (letters, digits, '_' or '-').")
    label: str = Field("", description="Short name shown in tables.")
    description: str = ""
    provisions: Literal["all"] | list[str] = Field(
        description="The provisions whose move off the status quo needs this rule, or 'all' (every package).")
    rule: RuleKind = Field(description="Exactly one of unanimity: [parties], k_of_n: {k, of}, "
                           "weighted: {quota, weights} or double: {states, population, population_of}.")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)

    @property
    def kind(self) -> str:
        """``unanimity``, ``k_of_n``, ``weighted`` or ``double``."""
        return next(k for k in RULE_KINDS if getattr(self.rule, k) is not None)

    def members(self) -> list[str]:
        """The parties the rule counts, in the order written."""
        r = self.rule
        if r.unanimity is not None:
            return list(r.unanimity)
        if r.k_of_n is not None:
            return list(r.k_of_n.of)
        return list((r.weighted.weights if r.weighted is not None else r.double.population_of))

    def constraints(self) -> list[tuple[dict[str, int], int]]:
        """The rule as quotas on whole numbers: satisfied when, for every ``(weights, quota)``,
        the accepting members' weights sum to at least ``quota``.

        Written decimals are read exactly (``0.55`` is 11/20) and scaled to
        integers, so the engine's sums are exact; a share ``f`` of a total
        ``T`` becomes the quota ``ceil(f * T)``.

        >>> ConsentRule.model_validate({"id": "q", "provisions": "all", "rule": {"double": {
        ...     "states": 0.55, "population": 0.65, "population_of": {"a": 83.5, "b": 68.2, "c": 11.8}}}}).constraints()
        [({'a': 1, 'b': 1, 'c': 1}, 2), ({'a': 835, 'b': 682, 'c': 118}, 1063)]
        """
        r = self.rule
        if r.unanimity is not None:
            return [({p: 1 for p in r.unanimity}, len(r.unanimity))]
        if r.k_of_n is not None:
            return [({p: 1 for p in r.k_of_n.of}, r.k_of_n.k)]
        if r.weighted is not None:
            w = {p: _exact(v) for p, v in r.weighted.weights.items()}
            q = _exact(r.weighted.quota)
            scale = math.lcm(q.denominator, *(f.denominator for f in w.values()))
            return [({p: int(f * scale) for p, f in w.items()}, math.ceil(q * scale))]
        pop = {p: _exact(v) for p, v in r.double.population_of.items()}
        scale = math.lcm(*(f.denominator for f in pop.values()))
        ints = {p: int(f * scale) for p, f in pop.items()}
        return [({p: 1 for p in pop}, math.ceil(_exact(r.double.states) * len(pop))),
                (ints, math.ceil(_exact(r.double.population) * sum(ints.values())))]

    def satisfied_by(self, accepting) -> bool:
        """Whether the set of accepting parties satisfies the rule (non-members do not count)."""
        accepting = set(accepting)
        return all(sum(w for p, w in weights.items() if p in accepting) >= quota
                   for weights, quota in self.constraints())

    def touched_by(self, provisions) -> bool:
        """Whether a package that moves ``provisions`` off their status quo touches the rule."""
        return self.provisions == "all" or bool(set(self.provisions) & set(provisions))


class Effect(BaseModel):
    """A linear effect of a parameter on one numeric field."""

    model_config = _CFG
    path: str = Field(description="Dotted path of a numeric field, e.g. parties.ukraine.reservation.")
    per_unit: Number = Field(description="Change of the field per unit of the parameter.")


class Parameter(BaseModel):
    """A named knob with linear effects on scenario numbers."""

    model_config = _CFG
    label: str = Field(description="Short name shown in tables and sliders.")
    description: str = ""
    value: Number = Field(Number(value=0.0), description="Setting used unless overridden.")
    # YAML has lists, not tuples; the strict models would refuse a list here.
    range: Annotated[tuple[FiniteFloat, FiniteFloat],
                     BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)] = \
        Field(description="[low, high] of meaningful settings.")
    effects: list[Effect] = Field([], description="Linear effects: field += per_unit * value.")

    @model_validator(mode="after")
    def _check(self) -> "Parameter":
        lo, hi = self.range
        if not lo < hi:
            raise PathError(("range",), f"range must go from low to high (got [{lo:g}, {hi:g}])")
        if not lo <= self.value.point <= hi:
            raise PathError(("value",), f"must lie within range [{lo:g}, {hi:g}] (got {self.value.point:g})")
        return self


class ProtocolSettings(BaseModel):
    """Bargaining settings used by ``negosim run`` (see docs/bargaining.md).

    ``rounds`` is the deadline: talks end without a deal after that round, and
    the time-dependent strategies plan their concessions to reach their
    reservations by then. ``objective`` is the single-text mediator's:
    ``shortfall_then_nash`` (smallest total shortfall below the parties'
    thresholds, then the largest Nash product of gains) or
    ``mediator_utility`` (a party mediator's own utility, provided no party
    loses). ``belief_noise`` scales the noise of private beliefs (1 = the
    spread the evidence's confidence implies; 0 = exact numbers but still
    unknown aspirations). ``patience``: rounds without any change of the text,
    of an aspiration or of a response before talks count as deadlocked.
    ``strategies`` and ``recognition`` map party ids to a concession strategy
    and a weight of being drawn as proposer (random proposer; default each
    party's power).

    >>> ProtocolSettings(name="alternating_offers", rounds=20).rounds
    20
    """

    model_config = _CFG
    name: Literal[PROTOCOL_NAMES] = "single_text"
    mediator: str = Field("neutral", description="A party id, or 'neutral'.")
    rounds: StrictInt = Field(50, ge=1, le=100_000, description="The deadline, in rounds.")
    changes_per_round: StrictInt = Field(1, ge=1, le=MAX_PROTOCOL_COUNT,
                                         description="Provisions (or linked groups) the "
                                         "single-text mediator may change per round.")
    objective: Literal["shortfall_then_nash", "mediator_utility"] = "shortfall_then_nash"
    information: Literal["private", "complete"] = "private"
    belief_noise: FiniteFloat = Field(1.0, ge=0.0, le=10.0, description="Multiplier of the belief noise.")
    patience: StrictInt = Field(5, ge=1, le=MAX_PROTOCOL_COUNT,
                                description="Rounds without change before a deadlock.")
    strategies: dict[str, Literal[STRATEGY_NAMES]] = {}
    recognition: dict[str, FiniteFloat] = Field({}, description="Random proposer: weight of each party "
                                          "being drawn as proposer (default: its power).")

    @field_validator("recognition")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        for party, w in v.items():
            if not (w >= 0 and math.isfinite(w)):
                raise ValueError(f"recognition weight of '{party}' must be 0 or more (got {w})")
        if v and math.fsum(v.values()) <= 0:
            raise ValueError("recognition weights must not all be zero")
        return v

    @model_validator(mode="after")
    def _mediator_objective(self) -> "ProtocolSettings":
        if self.objective == "mediator_utility" and self.mediator == "neutral":
            raise PathError(("objective",), "objective 'mediator_utility' needs a party as mediator "
                                            "(a neutral mediator has no utility of its own)")
        return self


class Scenario(BaseModel):
    """A negotiation scenario: provisions, parties, the draft and settings."""

    model_config = _CFG
    negosim: Literal[1] = Field(description="Format version.")
    name: str = Field(description="Short name of the scenario.")
    description: str = Field("", description="What the scenario models (which round of talks).")
    extends: str | None = Field(None, exclude=True,
                                description="Path of a parent scenario merged under this one.")
    articles: str | None = Field(None, description="Folder of the article files, relative to this file.")
    sources: dict[str, Source] = Field({}, description="Articles the numbers cite, by id.")
    provisions: dict[str, Provision] = Field(min_length=1, description="The plan's provisions, by id.")
    parties: dict[str, Party] = Field(min_length=1, description="The parties, by id (order kept).")
    draft: dict[str, str] = Field(description="The package on the table: provision -> option.")
    aggregation: Literal["weighted_sum", "mean_of_addressed"] = Field(
        "weighted_sum", description="weighted_sum, or the weighted mean over the provisions a plan "
        "addresses (options marked absent are skipped).")
    no_deal: NoDeal | None = Field(None, description="What fighting on brings: outcomes with probabilities, "
                                   "and each party's cost (for parties whose reservation is no_deal).")
    consent: list[ConsentRule] = Field([], exclude_if=lambda v: not v, max_length=MAX_CONSENT_RULES,
                                       description="Consent rules: whose acceptance the packages that move "
                                       "some provisions need, beyond the parties' vetoes (docs/model.md).")
    parameters: dict[str, Parameter] = Field({}, description="Named knobs with linear effects.")
    protocol: ProtocolSettings | None = Field(None, description="Bargaining settings for negosim run.")

    @field_validator("parties", mode="before")
    @classmethod
    def _few_parties(cls, v: Any) -> Any:
        # Before the parties are validated one by one: 10,000 of them would be slow to refuse.
        if isinstance(v, dict) and len(v) > MAX_PARTIES:
            raise ValueError(f"at most {MAX_PARTIES} parties (the engine keeps one bit per party); got {len(v)}")
        return v

    @field_validator("provisions", "parties", "sources", "parameters")
    @classmethod
    def _ids(cls, v: dict) -> dict:
        for key in v:
            _check_id(key)
        return v

    @model_validator(mode="after")
    def _cross_check(self) -> "Scenario":
        for problem in cross_check(self):
            raise problem
        return self


# --------------------------------------------------------------------------- checks

def _known(what: str, key: str, choices) -> str:
    """``unknown option 'lifted' of 'sanctions' (did you mean 'lift'?; known: ...)``."""
    import difflib
    names = list(choices)
    of = ""
    if what.startswith("option of "):
        what, of = "option", " " + what.removeprefix("option ")
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"did you mean '{close[0]}'?; " if close else ""
    listed = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"unknown {what} '{key}'{of} ({hint}known: {listed})"


def _check_refs(s: Scenario, mapping: dict[str, OptionRef], path: tuple) -> Iterator[PathError]:
    for prov, ref in mapping.items():
        if prov not in s.provisions:
            yield PathError(path + (prov,), _known("provision", prov, s.provisions))
            continue
        opts = [ref] if isinstance(ref, str) else ref
        if not opts:
            yield PathError(path + (prov,), "needs at least one option")
        for i, o in enumerate(opts):
            if o not in s.provisions[prov].options:
                sub = path + (prov,) if isinstance(ref, str) else path + (prov, i)
                yield PathError(sub, _known(f"option of '{prov}'", o, s.provisions[prov].options))


def cross_check(s: Scenario) -> Iterator[PathError]:
    """Yield every cross-field problem of a scenario, in document order."""
    src = s.sources
    for pid, prov in s.provisions.items():
        for oid, opt in prov.options.items():
            if opt.source is not None and opt.source not in src:
                yield PathError(("provisions", pid, "options", oid, "source"), _known("source", opt.source, src))
    for key in s.draft:
        if key not in s.provisions:
            yield PathError(("draft", key), _known("provision", key, s.provisions))
    for pid, prov in s.provisions.items():
        if pid not in s.draft:
            yield PathError(("draft",), f"the draft misses provision '{pid}'")
        elif s.draft[pid] not in prov.options:
            yield PathError(("draft", pid), _known(f"option of '{pid}'", s.draft[pid], prov.options))
    for name, party in s.parties.items():
        base = ("parties", name)
        for prov in party.weights:
            if prov not in s.provisions:
                yield PathError(base + ("weights", prov), _known("provision", prov, s.provisions))
        for prov in s.provisions:
            if prov not in party.weights:
                yield PathError(base + ("weights",), f"missing weight for provision '{prov}'")
        # Each weight lies within ±MAX_NUMBER, so the sum is finite; fsum keeps it exact enough
        # that tiny weights do not cancel to zero.
        total = math.fsum(w.point for w in party.weights.values())
        if not total > 0:
            yield PathError(base + ("weights",), "weights must not all be zero")
        for prov, vals in party.values.items():
            if prov not in s.provisions:
                yield PathError(base + ("values", prov), _known("provision", prov, s.provisions))
                continue
            for oid in vals:
                if oid not in s.provisions[prov].options:
                    yield PathError(base + ("values", prov, oid),
                                    _known(f"option of '{prov}'", oid, s.provisions[prov].options))
        for prov, p in s.provisions.items():
            w = party.weights.get(prov)
            if w is None or w.point == 0 and w.low is None:
                continue
            have = party.values.get(prov, {})
            for oid in p.options:
                if oid not in have:
                    where = base + ("values", prov) if prov in party.values else base + ("values",)
                    yield PathError(where, f"missing value for option '{prov}.{oid}'")
        if isinstance(party.veto, list):
            for i, prov in enumerate(party.veto):
                if prov not in s.provisions:
                    yield PathError(base + ("veto", i), _known("provision", prov, s.provisions))
                elif s.provisions[prov].status_quo is None:
                    yield PathError(base + ("veto", i),
                                    f"provision '{prov}' has no status-quo option, so a veto over it is undefined")
        for kind, items, field in (("red line", party.red_lines, "forbid"), ("linkage", party.linkages, "when")):
            seen = set()
            key = "red_lines" if kind == "red line" else "linkages"
            for i, item in enumerate(items):
                if item.id in seen:
                    yield PathError(base + (key, i, "id"), f"duplicate {kind} id '{item.id}'")
                seen.add(item.id)
                yield from _check_refs(s, getattr(item, field), base + (key, i, field))
    for name, party in s.parties.items():
        yield from _check_ratifier(s, name, party)
    yield from _check_transferable(s)
    for path, num in iter_numbers(s):
        if num.source is not None and num.source not in src:
            yield PathError(path + ("source",), _known("source", num.source, src))
    for name, party in s.parties.items():
        for i, rl in enumerate(party.red_lines):
            if rl.source is not None and rl.source not in src:
                yield PathError(("parties", name, "red_lines", i, "source"), _known("source", rl.source, src))
    yield from _check_no_deal(s)
    yield from _check_consent(s)
    for name, prm in s.parameters.items():
        for i, eff in enumerate(prm.effects):
            try:
                resolve_path(s, eff.path)
            except PathError as e:
                yield PathError(("parameters", name, "effects", i, "path"), e.message)
    if s.protocol is not None:
        if s.protocol.mediator != "neutral" and s.protocol.mediator not in s.parties:
            yield PathError(("protocol", "mediator"), _known("party", s.protocol.mediator, s.parties))
        for field in ("strategies", "recognition"):
            for party in getattr(s.protocol, field):
                if party not in s.parties:
                    yield PathError(("protocol", field, party), _known("party", party, s.parties))
    _warn_weights(s)


def _check_transferable(s: Scenario) -> Iterator[PathError]:
    """At most one transferable provision; its parties, options and sources known."""
    seen = None
    for pid, prov in s.provisions.items():
        t = prov.transferable
        if t is None:
            continue
        base = ("provisions", pid, "transferable")
        if seen is not None:
            yield PathError(base, f"at most one provision may be transferable (also '{seen}')")
        seen = pid
        for party, num in t.value_per_unit.items():
            if party not in s.parties:
                yield PathError(base + ("value_per_unit", party), _known("party", party, s.parties))
            elif num.source is not None and num.source not in s.sources:
                yield PathError(base + ("value_per_unit", party, "source"), _known("source", num.source, s.sources))
        if t.total.source is not None and t.total.source not in s.sources:
            yield PathError(base + ("total", "source"), _known("source", t.total.source, s.sources))
        for i, o in enumerate(t.options or []):
            if o not in prov.options:
                yield PathError(base + ("options", i), _known(f"option of '{pid}'", o, prov.options))


def _check_ratifier(s: Scenario, name: str, party: Party) -> Iterator[PathError]:
    """A ratifier's own weights: every provision, known ones only, not all zero, values to score them."""
    if party.ratifier is None or party.ratifier.weights is None:
        return
    base = ("parties", name, "ratifier", "weights")
    weights = party.ratifier.weights
    for prov in weights:
        if prov not in s.provisions:
            yield PathError(base + (prov,), _known("provision", prov, s.provisions))
    for prov in s.provisions:
        if prov not in weights:
            yield PathError(base, f"missing weight for provision '{prov}'")
    if not math.fsum(w.point for w in weights.values()) > 0:
        yield PathError(base, "weights must not all be zero")
    for prov, w in weights.items():
        if prov not in s.provisions or w.point == 0 and w.low is None:
            continue
        have = party.values.get(prov, {})
        for oid in s.provisions[prov].options:
            if oid not in have:
                yield PathError(base + (prov,), f"the ratifier weighs '{prov}', so party '{name}' needs a "
                                                f"value for option '{prov}.{oid}'")


#: How far the point values of the no-deal outcomes' probabilities may sum away from 1.
P_SUM_TOLERANCE = 1e-6


def _check_no_deal(s: Scenario) -> Iterator[PathError]:
    """The no_deal section against the provisions and parties, and the parties that use it."""
    users = [name for name, party in s.parties.items() if party.reservation == "no_deal"]
    nd = s.no_deal
    if nd is None:
        for name in users:
            yield PathError(("parties", name, "reservation"),
                            "reservation: no_deal needs a top-level no_deal section (its outcomes and costs)")
        return
    seen: set[str] = set()
    for i, out in enumerate(nd.outcomes):
        base = ("no_deal", "outcomes", i)
        if out.id in seen:
            yield PathError(base + ("id",), f"duplicate outcome id '{out.id}'")
        seen.add(out.id)
        yield from _check_refs(s, out.package, base + ("package",))
        if out.source is not None and out.source not in s.sources:
            yield PathError(base + ("source",), _known("source", out.source, s.sources))
        for pid, prov in s.provisions.items():
            if pid not in out.package and prov.status_quo is None:
                yield PathError(base + ("package",), f"provision '{pid}' has no status-quo option, so the "
                                                     "outcome must give its option")
    total = math.fsum(o.p.point for o in nd.outcomes)
    if not abs(total - 1.0) <= P_SUM_TOLERANCE:
        yield PathError(("no_deal", "outcomes"), f"the outcomes' probabilities sum to {total:.6g}, not 1 "
                                                 "(point values; a range counts at its midpoint)")
    for name in nd.cost:
        if name not in s.parties:
            yield PathError(("no_deal", "cost", name), _known("party", name, s.parties))
    for name in users:
        if name not in nd.cost:
            yield PathError(("no_deal", "cost"), f"missing cost for party '{name}' (its reservation is "
                                                 "no_deal; a cost of 0 must be written)")
    if not users:
        warnings.warn("the no_deal section is unused: no party has reservation: no_deal",
                      NoDealUnusedWarning, stacklevel=2)


def _check_consent(s: Scenario) -> Iterator[PathError]:
    """The consent rules against the provisions and parties; quotas within their ranges."""
    seen: set[str] = set()
    for i, rule in enumerate(s.consent):
        base = ("consent", i)
        if rule.id in seen:
            yield PathError(base + ("id",), f"duplicate consent rule id '{rule.id}'")
        seen.add(rule.id)
        if isinstance(rule.provisions, list):
            if not rule.provisions:
                yield PathError(base + ("provisions",), "needs at least one provision (or 'all')")
            for k, prov in enumerate(rule.provisions):
                if prov not in s.provisions:
                    yield PathError(base + ("provisions", k), _known("provision", prov, s.provisions))
                elif s.provisions[prov].status_quo is None:
                    yield PathError(base + ("provisions", k), f"provision '{prov}' has no status-quo option, "
                                                              "so whether a package moves it is undefined")
        kind = rule.kind
        r = getattr(rule.rule, kind)
        at = base + ("rule", kind)
        if kind in ("unanimity", "k_of_n"):
            names = r if kind == "unanimity" else r.of
            where = at if kind == "unanimity" else at + ("of",)
            if not names:
                yield PathError(where, "needs at least one party")
            for k, name in enumerate(names):
                if name not in s.parties:
                    yield PathError(where + (k,), _known("party", name, s.parties))
                elif name in names[:k]:
                    yield PathError(where + (k,), f"party '{name}' is listed twice")
            if kind == "k_of_n" and not 1 <= r.k <= len(r.of):
                yield PathError(at + ("k",), f"k must be between 1 and the number of members, {len(r.of)} "
                                             f"(got {r.k})")
            continue
        field, amounts = ("weights", r.weights) if kind == "weighted" else ("population_of", r.population_of)
        for name, w in amounts.items():
            if name not in s.parties:
                yield PathError(at + (field, name), _known("party", name, s.parties))
            elif not 0 < w <= MAX_NUMBER:
                yield PathError(at + (field, name), f"must be above 0 and at most {MAX_NUMBER:g} (got {w:g})")
        if kind == "weighted":
            # In decimals, as the rule is read (0.7 + 0.1 is 0.8 exactly).
            total = sum((_exact(w) for w in amounts.values() if w > 0), Fraction(0))
            if not 0 < _exact(r.quota) <= total:
                yield PathError(at + ("quota",), f"the quota must be above 0 and at most the sum of the weights, "
                                                 f"{float(total):g} (got {r.quota:g})")
        else:
            for share in ("states", "population"):
                if not 0 < getattr(r, share) <= 1:
                    yield PathError(at + (share,), f"a share of the members must be in (0, 1] "
                                                   f"(got {getattr(r, share):g})")
        if all(0 < w <= MAX_NUMBER for w in amounts.values()):
            if max(sum(w.values()) for w, _ in rule.constraints()) > MAX_CONSENT_WEIGHT:
                yield PathError(at + (field,), "the weights have too many decimals to be summed exactly "
                                               "(write them with fewer digits)")


def unused_costs(s: Scenario) -> list[str]:
    """The parties given a no-deal cost whose reservation is not ``no_deal`` (the cost is never used).

    Not an error: the cost may be kept for a round that uses it; ``negosim validate`` warns
    (``UnusedCostWarning``) at the cost's ``file:line:col``.

    >>> # a scenario whose party 'us' has reservation: 0.4 and no_deal.cost.us: 0.1 -> ['us']
    """
    if s.no_deal is None:
        return []
    return [name for name in s.no_deal.cost if name in s.parties and s.parties[name].reservation != "no_deal"]


def outcome_packages(s: Scenario) -> list[dict[str, str]]:
    """Each no-deal outcome's whole package: its options, and the status quo elsewhere.

    >>> # [{'donbas': 'cede', 'army': 'no_cap'}, ...] in the order of no_deal.outcomes
    """
    if s.no_deal is None:
        return []
    return [{pid: out.package.get(pid, prov.status_quo) for pid, prov in s.provisions.items()}
            for out in s.no_deal.outcomes]


def _warn_weights(s: Scenario) -> None:
    for name, party in s.parties.items():
        total = math.fsum(w.point for w in party.weights.values())
        if total > 0 and not math.isclose(total, 1.0, abs_tol=1e-6):
            warnings.warn(f"parties.{name}.weights sum to {total:.6g}, not 1; they are rescaled to sum to 1",
                          WeightsNormalizedWarning, stacklevel=2)


# --------------------------------------------------------------------------- paths

def iter_numbers(s: Scenario) -> Iterator[tuple[tuple, Number]]:
    """Yield ``(path, Number)`` for every number of the parties, the parameters and no_deal.

    A party whose reservation is ``no_deal`` yields no reservation; no_deal yields
    ``("no_deal", "outcomes", i, "p")`` per outcome and ``("no_deal", "cost", party)``.

    >>> # paths look like ('parties', 'us', 'values', 'donbas', 'cede')
    """
    for name, party in s.parties.items():
        base = ("parties", name)
        if party.reservation != "no_deal":  # else derived from the no_deal numbers below
            yield base + ("reservation",), party.reservation
        yield base + ("power",), party.power
        yield base + ("discount",), party.discount
        yield base + ("drift",), party.drift
        for prov, w in party.weights.items():
            yield base + ("weights", prov), w
        for prov, vals in party.values.items():
            for oid, v in vals.items():
                yield base + ("values", prov, oid), v
        for i, lk in enumerate(party.linkages):
            yield base + ("linkages", i, "bonus"), lk.bonus
    for name, prm in s.parameters.items():
        yield ("parameters", name, "value"), prm.value
        for i, eff in enumerate(prm.effects):
            yield ("parameters", name, "effects", i, "per_unit"), eff.per_unit
    # Last, so that the columns of the numbers above keep their places (NumberLayout).
    if s.no_deal is not None:
        for i, out in enumerate(s.no_deal.outcomes):
            yield ("no_deal", "outcomes", i, "p"), out.p
        for name, cost in s.no_deal.cost.items():
            yield ("no_deal", "cost", name), cost
    # Ratifiers after everything else, for the same reason.
    for name, party in s.parties.items():
        if party.ratifier is not None:
            base = ("parties", name, "ratifier")
            yield base + ("threshold",), party.ratifier.threshold
            for prov, w in (party.ratifier.weights or {}).items():
                yield base + ("weights", prov), w


def number_kind(path: tuple) -> str:
    """The kind of a party or no-deal number (its key of ``FIELD_BOUNDS``) from its document path.

    >>> number_kind(("parties", "us", "values", "donbas", "cede")), number_kind(("no_deal", "cost", "us"))
    ('values', 'cost')
    """
    if path[0] == "no_deal":
        return "cost" if path[1] == "cost" else "p"
    if path[2] == "ratifier":  # a threshold is in utility units, like a reservation
        return "reservation" if path[3] == "threshold" else "weights"
    return path[2]


_PARTY_SCALARS = ("reservation", "power", "discount", "drift")


def resolve_path(s: Scenario, dotted: str) -> tuple:
    """Resolve a dotted field path to a document path of a party number.

    Accepted forms: ``parties.P.reservation|power|discount|drift``,
    ``parties.P.weights.PROV``, ``parties.P.values.PROV.OPT``,
    ``parties.P.linkages.LINKAGE_ID.bonus``, ``no_deal.outcomes.OUTCOME_ID.p``
    and ``no_deal.cost.P``. A party whose reservation is ``no_deal`` has no
    ``parties.P.reservation`` (its no-deal numbers stand for it).

    Raises
    ------
    PathError
        With a message naming the first unknown part.
    """
    parts = dotted.split(".")
    if parts[0] == "no_deal":
        return _resolve_no_deal(s, dotted, parts[1:])
    if len(parts) < 3 or parts[0] != "parties":
        raise PathError((), f"'{dotted}' is not a path to a party's number "
                            "(e.g. parties.ukraine.reservation or parties.us.values.donbas.cede)")
    name = parts[1]
    if name not in s.parties:
        raise PathError((), f"path '{dotted}': " + _known("party", name, s.parties))
    party = s.parties[name]
    field, rest = parts[2], parts[3:]
    if field == "reservation" and not rest and party.reservation == "no_deal":
        raise PathError((), f"path '{dotted}': the reservation of '{name}' is no_deal, computed from the "
                            f"no_deal section; use no_deal.cost.{name} or no_deal.outcomes.ID.p")
    if field in _PARTY_SCALARS and not rest:
        return ("parties", name, field)
    if field == "weights" and len(rest) == 1:
        if rest[0] not in party.weights:
            raise PathError((), f"path '{dotted}': " + _known("provision", rest[0], s.provisions))
        return ("parties", name, "weights", rest[0])
    if field == "values" and len(rest) == 2:
        prov, opt = rest
        if prov not in party.values or opt not in party.values[prov]:
            raise PathError((), f"path '{dotted}': party '{name}' has no value for '{prov}.{opt}'")
        return ("parties", name, "values", prov, opt)
    if field == "ratifier":
        return _resolve_ratifier(s, dotted, name, rest)
    if field == "linkages" and len(rest) == 2 and rest[1] == "bonus":
        ids = [lk.id for lk in party.linkages]
        if rest[0] not in ids:
            raise PathError((), f"path '{dotted}': " + _known("linkage", rest[0], ids))
        return ("parties", name, "linkages", ids.index(rest[0]), "bonus")
    raise PathError((), f"path '{dotted}' does not name a number (reservation, power, discount, drift, "
                        "weights.PROV, values.PROV.OPT or linkages.ID.bonus)")


def _resolve_ratifier(s: Scenario, dotted: str, name: str, rest: list[str]) -> tuple:
    """``parties.P.ratifier.threshold`` or ``parties.P.ratifier.weights.PROV`` (see :func:`resolve_path`)."""
    rat = s.parties[name].ratifier
    if rat is None:
        raise PathError((), f"path '{dotted}': party '{name}' has no ratifier")
    if rest == ["threshold"]:
        return ("parties", name, "ratifier", "threshold")
    if len(rest) == 2 and rest[0] == "weights":
        if rat.weights is None:
            raise PathError((), f"path '{dotted}': the ratifier of '{name}' has no weights of its own "
                                f"(it uses parties.{name}.weights)")
        if rest[1] not in rat.weights:
            raise PathError((), f"path '{dotted}': " + _known("provision", rest[1], s.provisions))
        return ("parties", name, "ratifier", "weights", rest[1])
    raise PathError((), f"path '{dotted}' does not name a number of a ratifier "
                        "(ratifier.threshold or ratifier.weights.PROV)")


def _resolve_no_deal(s: Scenario, dotted: str, rest: list[str]) -> tuple:
    """``no_deal.outcomes.ID.p`` or ``no_deal.cost.PARTY`` (see :func:`resolve_path`)."""
    nd = s.no_deal
    if nd is None:
        raise PathError((), f"path '{dotted}': the scenario has no no_deal section")
    if len(rest) == 3 and rest[0] == "outcomes" and rest[2] == "p":
        ids = [o.id for o in nd.outcomes]
        if rest[1] not in ids:
            raise PathError((), f"path '{dotted}': " + _known("no-deal outcome", rest[1], ids))
        return ("no_deal", "outcomes", ids.index(rest[1]), "p")
    if len(rest) == 2 and rest[0] == "cost":
        if rest[1] not in nd.cost:
            what = "party" if rest[1] not in s.parties else "party with a no-deal cost"
            raise PathError((), f"path '{dotted}': " + _known(what, rest[1], nd.cost))
        return ("no_deal", "cost", rest[1])
    raise PathError((), f"path '{dotted}' does not name a number of no_deal "
                        "(no_deal.outcomes.ID.p or no_deal.cost.PARTY)")


def get_number(s: Scenario, path: tuple) -> Number:
    """The Number at a document path from :func:`iter_numbers` or :func:`resolve_path`."""
    node: Any = s
    for part in path:
        node = node[part] if isinstance(node, (dict, list)) else getattr(node, part)
    return node
