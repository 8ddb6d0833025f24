"""Scenario numbers with the evidence behind them.

Any number in a scenario may be written plain (``0.3``), with its evidence
(``{value, source, quote, claim, confidence}``), as an explicit assumption
(``{value, assumption}``) or as a range (``{low, high, ...}``) whose midpoint is
used as its point value.

Example
-------
>>> Number.model_validate(0.3).point
0.3
>>> Number.model_validate({"low": 0.2, "high": 0.4, "assumption": "no data"}).point
0.30000000000000004
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_serializer, model_validator

Confidence = Literal["low", "medium", "high"]

#: Relative spread assumed for each confidence level (used for belief noise).
CONFIDENCE_SPREAD = {"high": 0.05, "medium": 0.1, "low": 0.2}


class Number(BaseModel):
    """A scenario number: a point or a range, with optional evidence.

    Attributes
    ----------
    value : float, optional
        The point value.
    low, high : float, optional
        A range; its midpoint is the point value when ``value`` is absent.
    source, quote, claim, confidence : optional
        Evidence: a source id, a verbatim quote from that article, what the
        quote shows, and how sure the evidence is.
    assumption : str, optional
        Why the number is assumed when no article supports it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    value: float | None = None
    low: float | None = None
    high: float | None = None
    source: str | None = None
    quote: str | None = None
    claim: str | None = None
    confidence: Confidence | None = None
    assumption: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, data: Any) -> Any:
        # A bare number is the common case; bool is an int subclass, refuse it.
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _check(self) -> "Number":
        for name in ("value", "low", "high"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number (got {v})")
        has_range = self.low is not None or self.high is not None
        if has_range and (self.low is None or self.high is None):
            raise ValueError("a range needs both low and high")
        if self.value is None and not has_range:
            raise ValueError("a number needs a value or a range (low, high)")
        if has_range:
            if self.low > self.high:
                raise ValueError(f"low must not exceed high (got low={self.low}, high={self.high})")
            if self.value is not None and not (self.low <= self.value <= self.high):
                raise ValueError(f"value {self.value} lies outside its range [{self.low}, {self.high}]")
        if self.quote is not None and self.source is None:
            raise ValueError("a quote needs the source it comes from")
        return self

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

    @property
    def point(self) -> float:
        """The value used where one number is needed (midpoint of a range)."""
        if self.value is not None:
            return self.value
        return (self.low + self.high) / 2

    @property
    def bounds(self) -> tuple[float, float]:
        """The evidence range, or the point twice when there is no range."""
        if self.low is not None:
            return (self.low, self.high)
        return (self.value, self.value)

    @property
    def sourced(self) -> bool:
        """True when the number cites a source with a verbatim quote."""
        return self.source is not None and self.quote is not None

    def with_point(self, value: float) -> "Number":
        """A copy whose point value is ``value``, evidence kept."""
        return self.model_copy(update={"value": float(value), "low": None, "high": None})


def _bounded(lo: float | None, hi: float | None, what: str):
    def check(n: Number) -> Number:
        for v in (n.value, n.low, n.high):
            if v is None:
                continue
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                if lo is not None and hi is not None:
                    raise ValueError(f"must be between {lo:g} and {hi:g} (got {v:g})")
                if lo is not None:
                    raise ValueError(f"{what} must be at least {lo:g} (got {v:g})")
                raise ValueError(f"{what} must be at most {hi:g} (got {v:g})")
        return n
    return AfterValidator(check)


def _positive(n: Number) -> Number:
    for v in (n.value, n.low, n.high):
        if v is not None and v <= 0:
            raise ValueError(f"must be greater than 0 (got {v:g})")
    return n


def _discount(n: Number) -> Number:
    for v in (n.value, n.low, n.high):
        if v is not None and not (0 < v <= 1):
            raise ValueError(f"a discount factor must be in (0, 1] (got {v:g})")
    return n


UnitNumber = Annotated[Number, _bounded(0.0, 1.0, "a value")]
WeightNumber = Annotated[Number, _bounded(0.0, None, "a weight")]
PositiveNumber = Annotated[Number, AfterValidator(_positive)]
DiscountNumber = Annotated[Number, AfterValidator(_discount)]
DriftNumber = Annotated[Number, _bounded(-1.0, 1.0, "a drift per round")]
BonusNumber = Annotated[Number, _bounded(-1.0, 1.0, "a linkage bonus")]
