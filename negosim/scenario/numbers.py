"""Scenario numbers with the evidence behind them.

Any number in a scenario may be written plain (``0.3``), with its evidence
(``{value, source, quote, claim, confidence}``), as an explicit assumption
(``{value, assumption}``), as a range (``{low, high, ...}``) whose midpoint is
used as its point value, or as a distribution (``{dist: ..., ...}``):

========== ======================================= ==============================
dist       parameters                              point value (without value)
========== ======================================= ==============================
uniform    low, high                               midpoint
triangular low, mode (defaults to value), high     mode
normal     mean (defaults to value), sd; optional  mean
           low, high truncate it
beta       a, b; optional low, high (default 0, 1) mean, scaled to [low, high]
========== ======================================= ==============================

A range without ``dist`` is sampled as uniform. The analysis uses the point
value; :mod:`negosim.uncertainty.sampling` samples the distribution. The bounded kinds
below (values in [0, 1], weights >= 0, ...) check the whole support of a
distribution, so a draw can never leave the allowed bounds.

Example
-------
>>> Number.model_validate(0.3).point
0.3
>>> Number.model_validate({"low": 0.2, "high": 0.4, "assumption": "no data"}).point
0.30000000000000004
>>> Number.model_validate({"dist": "triangular", "low": 0.1, "mode": 0.3, "high": 0.9}).point
0.3
>>> Number.model_validate({"dist": "normal", "mean": 0.5, "sd": 0.1, "low": 0, "high": 1}).support
(0.0, 1.0)
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_serializer, model_validator

from negosim.limits import MAX_NUMBER

Confidence = Literal["low", "medium", "high"]
#: How far a quote supports the number it is cited for: ``states`` (the quote says what the
#: number encodes), ``implies`` (it follows, by the inference written in ``claim``) or
#: ``context`` (background only: the size is an assumption). Only the first two count as sourced.
Support = Literal["states", "implies", "context"]
Dist = Literal["uniform", "triangular", "normal", "beta"]
#: The grades that make a number sourced.
SUPPORTED = ("states", "implies")
#: Every evidence grade, in the order reports list them (:func:`evidence_grade`).
GRADES = ("states", "implies", "context", "assumption", "ungraded", "unsourced")

#: Relative spread assumed for each confidence level (used for belief noise).
CONFIDENCE_SPREAD = {"high": 0.05, "medium": 0.1, "low": 0.2}

#: Parameters each distribution accepts besides value, low and high.
DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "uniform": (), "triangular": ("mode",), "normal": ("mean", "sd"), "beta": ("a", "b")}
_SHAPE_FIELDS = ("mode", "mean", "sd", "a", "b")
#: Width, in standard deviations either side of the mean, of an untruncated
#: normal's evidence range (:attr:`Number.bounds`).
NORMAL_BOUNDS_SD = 3.0


class Number(BaseModel):
    """A scenario number: a point, a range or a distribution, with optional evidence.

    Attributes
    ----------
    value : float, optional
        The point value.
    low, high : float, optional
        A range; its midpoint is the point value when ``value`` is absent. With
        ``dist`` they are the support (normal: truncation; beta: scaling).
    dist : 'uniform', 'triangular', 'normal' or 'beta', optional
        How the number is sampled (a range without ``dist`` is uniform).
    mode : float, optional
        Triangular: the most likely value (defaults to ``value``).
    mean, sd : float, optional
        Normal: centre (defaults to ``value``) and standard deviation.
    a, b : float, optional
        Beta: shape parameters.
    source, quote, claim, confidence : optional
        Evidence: a source id, a verbatim quote from that article, what the
        quote shows, and how sure the evidence is.
    supports : 'states', 'implies' or 'context', optional
        How far the quote supports this number (see :data:`Support`).
    assumption : str, optional
        Why the number is assumed when no article supports it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    value: float | None = Field(None, description="The point value.")
    low: float | None = Field(None, description="Lower end of the range (with dist: of the support).")
    high: float | None = Field(None, description="Upper end of the range (with dist: of the support).")
    dist: Dist | None = Field(None, description="How the number is sampled; a range without dist is uniform.")
    mode: float | None = Field(None, description="Triangular: the most likely value (default: value).")
    mean: float | None = Field(None, description="Normal: the centre (default: value); low/high truncate it.")
    sd: float | None = Field(None, description="Normal: the standard deviation (> 0).")
    a: float | None = Field(None, description="Beta: first shape parameter (> 0).")
    b: float | None = Field(None, description="Beta: second shape parameter (> 0); scaled to low/high.")
    source: str | None = Field(None, description="Source id of the evidence.")
    quote: str | None = Field(None, description="Verbatim passage of that source.")
    claim: str | None = Field(None, description="What the quote shows.")
    confidence: Confidence | None = Field(None, description="How sure the evidence is.")
    supports: Support | None = Field(None, description="How far the quote supports the number: states (it says "
                                     "what the number encodes), implies (by the inference in claim) or context "
                                     "(background only; the number must then be a range or a distribution).")
    assumption: str | None = Field(None, description="Why the number is assumed, when no source supports it.")

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, data: Any) -> Any:
        # A bare number is the common case; bool is an int subclass, refuse it.
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _check(self) -> "Number":
        for name in ("value", "low", "high") + _SHAPE_FIELDS:
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number (got {v})")
            if v is not None and abs(v) > MAX_NUMBER:
                # Bounded so that sums, products with effects and rescaled weights stay finite.
                raise ValueError(f"{name} must lie within ±{MAX_NUMBER:,.0f} (got {v:g})")
        has_range = self.low is not None or self.high is not None
        if has_range and (self.low is None or self.high is None):
            raise ValueError("a range needs both low and high")
        if self.dist is None:
            extra = [f for f in _SHAPE_FIELDS if getattr(self, f) is not None]
            if extra:
                raise ValueError(f"'{extra[0]}' belongs to a distribution; add dist: "
                                 + " or ".join(d for d, ps in DIST_PARAMS.items() if extra[0] in ps))
            if self.value is None and not has_range:
                raise ValueError("a number needs a value or a range (low, high)")
        else:
            self._check_dist(has_range)
        if has_range:
            if self.low > self.high:
                raise ValueError(f"low must not exceed high (got low={self.low}, high={self.high})")
            if self.value is not None and not (self.low <= self.value <= self.high):
                raise ValueError(f"value {self.value} lies outside its range [{self.low}, {self.high}]")
        if self.quote is not None and self.source is None:
            raise ValueError("a quote needs the source it comes from")
        if self.supports is not None and self.quote is None:
            raise ValueError("'supports' grades a quote; add the source and quote it grades")
        if self.supports == "implies" and not self.claim:
            raise ValueError("supports: implies needs the inference written in 'claim'")
        if self.supports == "context" and not self.uncertain:
            raise ValueError("a number whose quote is only context is an assumption in size: give it a range "
                             "(low, high) or a distribution, not a point")
        return self

    def _check_dist(self, has_range: bool) -> None:
        d = self.dist
        allowed = DIST_PARAMS[d]
        for f in _SHAPE_FIELDS:
            if getattr(self, f) is not None and f not in allowed:
                params = ", ".join(("low", "high") + allowed)
                raise ValueError(f"'{f}' is not a parameter of a {d} distribution (it takes {params})")
        if d in ("uniform", "triangular") and not has_range:
            raise ValueError(f"a {d} distribution needs low and high")
        if has_range and not self.low < self.high:
            raise ValueError(f"a {d} distribution needs low < high (got low={self.low}, high={self.high})")
        if d == "triangular":
            mode = self.mode if self.mode is not None else self.value
            if mode is None:
                raise ValueError("a triangular distribution needs a mode (or a value)")
            if not self.low <= mode <= self.high:
                raise ValueError(f"mode {mode} lies outside [{self.low}, {self.high}]")
        elif d == "normal":
            if self.mean is None and self.value is None:
                raise ValueError("a normal distribution needs a mean (or a value)")
            if self.sd is None or self.sd <= 0:
                raise ValueError(f"a normal distribution needs sd > 0 (got {self.sd})")
        elif d == "beta":
            for f in ("a", "b"):
                v = getattr(self, f)
                if v is None or v <= 0:
                    raise ValueError(f"a beta distribution needs {f} > 0 (got {v})")

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        # A plain number is accepted too (see _from_plain); say so to editors.
        schema = handler(core_schema)
        schema = handler.resolve_ref_schema(schema)
        obj = dict(schema)
        return {"anyOf": [{"type": "number"}, obj], "description": obj.pop("description", "")}

    @model_serializer(mode="wrap")
    def _serialize(self, handler):
        data = handler(self)
        data = {k: v for k, v in data.items() if v is not None}
        if set(data) == {"value"}:
            return data["value"]
        return data

    # -- derived ------------------------------------------------------------
    @property
    def point(self) -> float:
        """The value used where one number is needed (see the module table)."""
        if self.value is not None:
            return self.value
        if self.dist == "triangular":
            return self.mode
        if self.dist == "normal":
            return self.mean
        if self.dist == "beta":
            lo, hi = self.support
            return lo + (hi - lo) * self.a / (self.a + self.b)
        return (self.low + self.high) / 2

    @property
    def uncertain(self) -> bool:
        """True when the number is sampled: it has a range or a distribution."""
        return self.dist is not None or self.low is not None

    @property
    def support(self) -> tuple[float, float]:
        """Every value a draw can take (infinite ends for an untruncated normal)."""
        if self.low is not None:
            return (self.low, self.high)
        if self.dist == "normal":
            return (-math.inf, math.inf)
        if self.dist == "beta":
            return (0.0, 1.0)
        return (self.value, self.value)

    @property
    def bounds(self) -> tuple[float, float]:
        """The evidence range: the support, made finite for an untruncated normal
        (mean ± ``NORMAL_BOUNDS_SD`` sd); the point twice for a plain number."""
        lo, hi = self.support
        if math.isinf(lo) or math.isinf(hi):
            centre = self.mean if self.mean is not None else self.value
            return (centre - NORMAL_BOUNDS_SD * self.sd, centre + NORMAL_BOUNDS_SD * self.sd)
        return (lo, hi)

    @property
    def quoted(self) -> bool:
        """True when the number cites a source with a verbatim quote (whatever its grade)."""
        return self.source is not None and self.quote is not None

    @property
    def sourced(self) -> bool:
        """True when a quote supports the number: it is graded ``states`` or ``implies``.

        A quote graded ``context`` (background only) or not graded at all does not make
        the number sourced (see :func:`evidence_grade`).
        """
        return self.quoted and self.supports in SUPPORTED

    @property
    def grade(self) -> str:
        """The number's evidence grade: see :func:`evidence_grade`."""
        return evidence_grade(self)

    def with_point(self, value: float) -> "Number":
        """A copy whose point value is ``value``, evidence kept (range and distribution dropped)."""
        return self.model_copy(update={"value": float(value), "low": None, "high": None, "dist": None,
                                       **{f: None for f in _SHAPE_FIELDS}})


def dotted_name(scenario, path: tuple) -> str:
    """The dotted name of a number's document path, list items by their id.

    The inverse of :func:`negosim.scenario.schema.resolve_path`: no-deal outcomes
    and linkages are named by id, so the name of a number does not depend on
    where its item sits in its list (rounds that order them differently compare
    the same numbers).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> dotted_name(random_scenario(parties=2, provisions=2, options=2, seed=0), ("parties", "p0", "reservation"))
    'parties.p0.reservation'
    """
    parts = list(path)
    if tuple(path[:2]) == ("no_deal", "outcomes"):
        parts[2] = scenario.no_deal.outcomes[path[2]].id
    elif len(path) > 3 and path[0] == "parties" and path[2] == "linkages":
        parts[3] = scenario.parties[path[1]].linkages[path[3]].id
    return ".".join(map(str, parts))


def evidence_grade(block) -> str:
    """The grade of an evidence block (a Number, an Option or a RedLine), one of :data:`GRADES`.

    A block with a source and a quote has the grade of its ``supports`` (``states``,
    ``implies`` or ``context``), or ``ungraded`` when it has none (files written before
    grades existed); otherwise it is an ``assumption`` when it says why, ``unsourced``
    when it says nothing. Only ``states`` and ``implies`` count as sourced.

    >>> evidence_grade(Number.model_validate({"value": 0.3, "source": "A", "quote": "q", "supports": "states"}))
    'states'
    >>> evidence_grade(Number.model_validate({"value": 0.3, "source": "A", "quote": "q"}))
    'ungraded'
    >>> evidence_grade(Number.model_validate(0.3)), evidence_grade(Number.model_validate({"value": 0.3, "assumption": "x"}))
    ('unsourced', 'assumption')
    """
    if getattr(block, "source", None) is not None and getattr(block, "quote", None) is not None:
        return getattr(block, "supports", None) or "ungraded"
    return "assumption" if getattr(block, "assumption", None) else "unsourced"


def _checked_values(n: Number) -> list[tuple[str, float]]:
    """The numbers a bound must hold for: the point, the shape's centre and the support's ends."""
    out = [(name, getattr(n, name)) for name in ("value", "mode", "mean") if getattr(n, name) is not None]
    lo, hi = n.support
    out += [("low", lo), ("high", hi)]
    return out


def _support_message(n: Number, where: str) -> str:
    if n.dist == "normal" and n.low is None:
        return f"a normal distribution can leave {where}; truncate it with low and high inside {where}"
    if n.dist == "beta" and n.low is None:
        return f"a beta distribution spans [0, 1] unless low and high are given, which leaves {where}"
    return ""


def _bounded(lo: float | None, hi: float | None, what: str):
    def check(n: Number) -> Number:
        for name, v in _checked_values(n):
            if v is None:
                continue
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                if lo is not None and hi is not None:
                    where = f"[{lo:g}, {hi:g}]"
                    msg = f"must be between {lo:g} and {hi:g} (got {v:g})"
                elif lo is not None:
                    where = f"[{lo:g}, inf)"
                    msg = f"{what} must be at least {lo:g} (got {v:g})"
                else:
                    where = f"(-inf, {hi:g}]"
                    msg = f"{what} must be at most {hi:g} (got {v:g})"
                raise ValueError(_support_message(n, where) or msg)
        return n
    return AfterValidator(check)


def _open_low(bound: float, message: str, upper: float | None = None):
    """Values must exceed ``bound`` (and stay at most ``upper``)."""
    def check(n: Number) -> Number:
        where = f"({bound:g}, {'inf)' if upper is None else f'{upper:g}]'}"
        for name, v in _checked_values(n):
            if v <= bound or (upper is not None and v > upper):
                raise ValueError(_support_message(n, where) or message.format(v=v))
        return n
    return AfterValidator(check)


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError(f"must be a finite number (got {v})")
    if abs(v) > MAX_NUMBER:
        raise ValueError(f"must lie within ±{MAX_NUMBER:,.0f} (got {v:g})")
    return v


#: A plain real number of a scenario (not a :class:`Number`): finite and within ±``MAX_NUMBER``.
#: An AfterValidator, so the JSON schema and generated docs are unchanged.
FiniteFloat = Annotated[float, AfterValidator(_finite)]

#: Allowed bounds of each kind of party number, by its field (``parties.P.<field>``; ``linkages``
#: is a linkage's bonus; ``cost`` and ``p`` are ``no_deal.cost.P`` and ``no_deal.outcomes.ID.p``,
#: see :func:`negosim.scenario.schema.number_kind`): ``(low, high, low is exclusive)``, None where unbounded. The one
#: definition: the number types below, the format's descriptions and docs, sweep axes and the
#: clipping of believed and widened numbers all read it.
FIELD_BOUNDS: dict[str, tuple[float | None, float | None, bool]] = {
    "reservation": (0.0, 1.0, False),
    "values": (0.0, 1.0, False),
    "weights": (0.0, None, False),
    "power": (0.0, None, True),
    "discount": (0.0, 1.0, True),
    "drift": (-1.0, 1.0, False),
    "linkages": (-1.0, 1.0, False),
    "cost": (0.0, 1.0, False),
    "p": (0.0, 1.0, False),
}


def bounds_text(field: str) -> str:
    """The allowed interval of a kind of party number, as the docs and messages write it.

    >>> bounds_text("discount"), bounds_text("values"), bounds_text("weights")
    ('(0, 1]', '[0, 1]', '[0, inf)')
    """
    lo, hi, open_low = FIELD_BOUNDS[field]
    low = "(-inf" if lo is None else f"{'(' if open_low else '['}{lo:g}"
    return f"{low}, {'inf)' if hi is None else f'{hi:g}]'}"


def clip_bounds(field: str, margin: float = 0.0) -> tuple[float, float]:
    """The bounds of a kind of party number as a closed interval to clip a drawn value into:
    infinite where unbounded, an exclusive low end raised by ``margin``.

    >>> clip_bounds("weights"), clip_bounds("discount", 1e-6)
    ((0.0, inf), (1e-06, 1.0))
    """
    lo, hi, open_low = FIELD_BOUNDS[field]
    low = -math.inf if lo is None else lo + margin if open_low else lo
    return low, math.inf if hi is None else hi


def _kind(field: str, what: str, message: str | None = None):
    """The validator of a kind of number, from its bounds (``message`` for an exclusive low end)."""
    lo, hi, open_low = FIELD_BOUNDS[field]
    return _open_low(lo, message, hi) if open_low else _bounded(lo, hi, what)


UnitNumber = Annotated[Number, _kind("values", "a value")]
ReservationNumber = Annotated[Number, _kind("reservation", "a reservation")]
WeightNumber = Annotated[Number, _kind("weights", "a weight")]
PositiveNumber = Annotated[Number, _kind("power", "", "must be greater than 0 (got {v:g})")]
DiscountNumber = Annotated[Number, _kind("discount", "", "a discount factor must be in "
                                         + bounds_text("discount") + " (got {v:g})")]
DriftNumber = Annotated[Number, _kind("drift", "a drift per round")]
BonusNumber = Annotated[Number, _kind("linkages", "a linkage bonus")]
CostNumber = Annotated[Number, _kind("cost", "a cost of fighting on")]
ProbabilityNumber = Annotated[Number, _kind("p", "a probability")]
