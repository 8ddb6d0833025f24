"""Sweep specifications: which scenario, which axes, which design, which task.

A sweep is written as YAML for ``negosim sweep`` or built in Python; both go
through the :class:`Sweep` model. Axes name a scenario parameter
(``us_pressure``), a party's number by dotted path
(``parties.russia.reservation``; for a party whose reservation is ``no_deal``,
``no_deal.cost.russia`` or ``no_deal.outcomes.ID.p`` instead) or a provision of the draft
(``draft.donbas``, whose values are option ids). Each axis lists explicit
``values`` or a ``range`` (with ``steps`` for a grid). The design combines
them:

- ``grid``: every combination, the first axis varying slowest;
- ``points``: the axes' ``values`` taken side by side (row ``i`` uses the
  ``i``-th value of every axis);
- ``sobol`` / ``lhs``: ``n`` quasi-random points over the axes' ranges
  (scrambled Sobol' or Latin hypercube from :mod:`scipy.stats.qmc`).

Every design point is run ``replicates`` times. A row's random numbers come
from a seed that depends on the spec's ``seed`` and the row's replicate only,
so rows that differ only in their axes share random numbers (common random
numbers) and differences between them are not noise.

Example
-------
>>> spec = Sweep(scenario="plan.yaml", axes={"us_pressure": {"range": [0, 1], "steps": 3},
...                                          "parties.russia.reservation": {"values": [0.3, 0.5]}})
>>> spec.points().values.tolist()
[[0.0, 0.3], [0.0, 0.5], [0.5, 0.3], [0.5, 0.5], [1.0, 0.3], [1.0, 0.5]]
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError, model_validator

from negosim.errors import NegosimError, PathError, ScenarioError
from negosim.limits import MAX_NUMBER
# Dotted-path axes are checked against the allowed bounds of the number they set.
from negosim.scenario.numbers import FIELD_BOUNDS, bounds_text
from negosim.scenario.schema import ProtocolSettings, number_kind
from negosim.scenario.yaml_io import NotAScenarioFile

_CFG = ConfigDict(extra="forbid", frozen=True, strict=True)

#: Most rows one sweep may have (a guard against a typo such as ``steps: 100000``).
MAX_ROWS = 10_000_000

#: Largest magnitude of a number on a sweep axis (values and range bounds): the bound of every
#: real number of a scenario file, since an axis sets such a number.
MAX_AXIS_NUMBER = MAX_NUMBER



class Axis(BaseModel):
    """One axis of a sweep: explicit ``values``, or a ``range`` with ``steps``."""

    model_config = _CFG
    values: list[StrictFloat | StrictInt | str] | None = Field(
        None, description="Explicit values (option ids for draft.PROV axes).")
    range: list[StrictFloat | StrictInt] | None = Field(
        None, min_length=2, max_length=2, description="[low, high] of a numeric axis.")
    steps: StrictInt | None = Field(None, ge=2, description="Evenly spaced points over the range (grid design).")

    @model_validator(mode="after")
    def _check(self) -> "Axis":
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values or range")
        if self.values is not None and not self.values:
            raise PathError(("values",), "empty: list at least one value")
        if self.values is not None and self.steps is not None:
            raise PathError(("steps",), "steps goes with range, not with values")
        for key, numbers in (("values", self.values or []), ("range", self.range or [])):
            for i, v in enumerate(numbers):
                if not isinstance(v, str) and not (math.isfinite(v) and abs(v) <= MAX_AXIS_NUMBER):
                    raise PathError((key, i), f"must be a finite number from {-MAX_AXIS_NUMBER:g} to "
                                              f"{MAX_AXIS_NUMBER:g} (got {v})")
        if self.range is not None:
            lo, hi = self.range
            if not lo < hi:
                raise PathError(("range",), f"empty range: low must be below high (got [{lo:g}, {hi:g}])")
        return self

    def grid_values(self) -> list:
        """The values this axis takes in a grid."""
        if self.values is not None:
            return [float(v) if isinstance(v, int) else v for v in self.values]
        lo, hi = self.range
        return [float(v) for v in np.linspace(lo, hi, self.steps)]


class Sweep(BaseModel):
    """A sweep specification (the YAML keys, one for one).

    Attributes
    ----------
    scenario : path of the scenario file (relative to the spec's folder in
        YAML, to the working folder in Python), or a Scenario object.
    task : ``analyze`` (exact analysis per row) or ``run`` (bargaining).
    scope : ``space`` analyses every package (zone, Nash point); ``draft``
        looks at the draft only (fast; for probability sweeps).
    samples : draws of the uncertain numbers per row (0: point values only).
    replicates : runs of every design point, each with its own seed.
    seed : root seed of the sweep.
    design : ``grid``, ``points``, ``sobol`` or ``lhs``.
    n : number of points of a ``sobol`` / ``lhs`` design.
    axes : axis name -> :class:`Axis`.
    protocol : bargaining settings for ``task: run`` (default: the scenario's).
    chunk : rows per result chunk (default: chosen from the number of rows).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, arbitrary_types_allowed=True)
    scenario: Any = Field(description="Scenario file, relative to the spec file.")
    task: Literal["analyze", "run"] = "analyze"
    scope: Literal["space", "draft"] = "space"
    samples: StrictInt = Field(0, ge=0, le=1_000_000)
    replicates: StrictInt = Field(1, ge=1, le=1_000_000)
    seed: StrictInt = Field(0, ge=0, le=2**63 - 1)
    design: Literal["grid", "points", "sobol", "lhs"] = "grid"
    n: StrictInt | None = Field(None, ge=1)
    axes: dict[str, Axis] = {}
    protocol: ProtocolSettings | None = None
    chunk: StrictInt | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> "Sweep":
        from negosim.scenario.schema import Scenario
        from negosim.scenario.yaml_io import LoadedScenario
        if not isinstance(self.scenario, (str, os.PathLike, Scenario, LoadedScenario)):
            raise PathError(("scenario",), "must be the path of a scenario file")
        if isinstance(self.scenario, str) and not self.scenario:
            raise PathError(("scenario",), "must be the path of a scenario file")
        quasi = self.design in ("sobol", "lhs")
        if quasi and self.n is None:
            raise PathError(("design",), f"a {self.design} design needs n (the number of points)")
        if not quasi and self.n is not None:
            raise PathError(("n",), f"n goes with a sobol or lhs design, not with {self.design}")
        if quasi and not self.axes:
            raise PathError(("axes",), f"a {self.design} design needs at least one axis with a range")
        if self.design == "sobol" and self.n & (self.n - 1):
            lo = 1 << (self.n.bit_length() - 1)
            raise PathError(("n",), f"a Sobol design needs a power of 2 points (got {self.n}; "
                                    f"try {lo} or {lo * 2})")
        lengths = set()
        for name, ax in self.axes.items():
            if quasi and ax.range is None:
                raise PathError(("axes", name), f"a {self.design} design needs a range on every axis")
            if quasi and ax.steps is not None:
                raise PathError(("axes", name, "steps"), f"steps has no meaning in a {self.design} design")
            if self.design == "grid" and ax.range is not None and ax.steps is None:
                raise PathError(("axes", name), "a range in a grid design needs steps")
            if self.design == "points":
                if ax.values is None:
                    raise PathError(("axes", name), "a points design needs values on every axis")
                lengths.add(len(ax.values))
        if len(lengths) > 1:
            raise PathError(("axes",), f"a points design needs the same number of values on every axis "
                                       f"(got {sorted(lengths)})")
        if self.task == "run" and self.samples:
            raise PathError(("samples",), "task run takes no samples; use replicates for repeated runs")
        if self.task != "run" and self.protocol is not None:
            raise PathError(("protocol",), "protocol goes with task: run")
        if self.task == "run" and self.scope != "space":
            raise PathError(("scope",), "scope goes with task: analyze")
        if self.n_rows > MAX_ROWS:
            raise PathError(("axes",), f"the sweep has {self.n_rows:,} rows; at most {MAX_ROWS:,} are allowed")
        return self

    # -- design ---------------------------------------------------------------
    @property
    def n_points(self) -> int:
        """Number of design points (rows before replicates)."""
        if self.design in ("sobol", "lhs"):
            return int(self.n)
        if self.design == "points":
            return len(next(iter(self.axes.values())).values) if self.axes else 1
        return math.prod(len(ax.grid_values()) for ax in self.axes.values())

    @property
    def n_rows(self) -> int:
        return self.n_points * self.replicates

    def points(self) -> pd.DataFrame:
        """The design points: one column per axis, one row per point."""
        names = list(self.axes)
        if self.design == "grid":
            combos = list(itertools.product(*[ax.grid_values() for ax in self.axes.values()]))
            return pd.DataFrame(combos if names else [()] , columns=names)
        if self.design == "points":
            cols = {k: ax.grid_values() for k, ax in self.axes.items()}
            return pd.DataFrame(cols) if names else pd.DataFrame(index=range(1))
        unit = _unit_design(self.design, len(names), int(self.n), design_seed(self.seed))
        lo = np.array([ax.range[0] for ax in self.axes.values()], dtype=float)
        hi = np.array([ax.range[1] for ax in self.axes.values()], dtype=float)
        from scipy.stats import qmc
        return pd.DataFrame(qmc.scale(unit, lo, hi), columns=names)

    def rows(self) -> pd.DataFrame:
        """Every row's inputs: ``row``, the axes, ``replicate`` and ``seed``.

        Rows run point by point, the replicates of a point next to each other.
        """
        pts = self.points()
        R = self.replicates
        out = pts.loc[pts.index.repeat(R)].reset_index(drop=True)
        reps = np.tile(np.arange(R, dtype=np.int64), len(pts))
        seeds = np.array([row_seed(self.seed, r) for r in range(R)], dtype=np.int64)
        out.insert(0, "row", np.arange(len(out), dtype=np.int64))
        out["replicate"] = reps
        out["seed"] = seeds[reps]
        return out

    def default_chunk(self) -> int:
        """Rows per result chunk: about 64 chunks, between 1 and 500 rows each.

        It depends on the spec only (never on the number of workers), so a
        sweep resumed with other workers finds the same chunks.
        """
        if self.chunk is not None:
            return int(self.chunk)
        return max(1, min(500, math.ceil(self.n_rows / 64)))

    def spec_json(self) -> dict:
        """The spec as plain data (the scenario as its path, or ``<object>``)."""
        data = self.model_dump(mode="python", exclude_none=True)
        data["scenario"] = str(self.scenario) if isinstance(self.scenario, (str, os.PathLike)) else "<object>"
        return json.loads(json.dumps(data, default=_jsonable))

    def sha256(self) -> str:
        """Hash of the spec's content (what the rows are and how they are computed)."""
        text = json.dumps(self.spec_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(x):
    if isinstance(x, tuple):
        return list(x)
    raise TypeError(f"cannot write {type(x).__name__} as JSON")


def row_seed(seed: int, replicate: int) -> int:
    """The seed of every row of one replicate (common random numbers across axes).

    It comes from ``SeedSequence(seed).spawn(...)[replicate]``, so replicates
    are independent streams; it fits in a signed 64-bit integer.

    >>> row_seed(0, 0) == row_seed(0, 0) != row_seed(0, 1)
    True
    """
    ss = np.random.SeedSequence(seed, spawn_key=(0, replicate))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def design_seed(seed: int) -> np.random.SeedSequence:
    """The stream of the quasi-random design, apart from the rows' streams."""
    return np.random.SeedSequence(seed, spawn_key=(1,))


def _unit_design(kind: str, d: int, n: int, ss: np.random.SeedSequence) -> np.ndarray:
    from scipy.stats import qmc
    rng = np.random.default_rng(ss)
    if kind == "sobol":
        return qmc.Sobol(d, scramble=True, rng=rng).random_base2(int(math.log2(n)))
    return qmc.LatinHypercube(d, rng=rng).random(n)


# --------------------------------------------------------------------------- loading

def load_sweep(path: str | Path) -> "LoadedSweep":
    """Read and validate a sweep spec file, with its scenario.

    Errors point at the offending node (``file:line:col``), including axes
    that name no parameter or number of the scenario.
    """
    from negosim.scenario.yaml_io import load_document, validation_to_error
    path = Path(path)
    data, node, _files = load_document(path)
    if not isinstance(data, dict):
        raise ScenarioError("a sweep spec must be a mapping of keys to values", file=str(path), line=1, col=1)
    try:
        spec = Sweep.model_validate(data)
    except ValidationError as e:
        raise validation_to_error(e, node) from None
    if not isinstance(spec.scenario, str):
        raise _error(node, ("scenario",), "must be the path of a scenario file")
    scenario_path = path.parent / spec.scenario
    if not scenario_path.exists():
        raise _error(node, ("scenario",), f"scenario file '{spec.scenario}' not found")
    try:
        loaded = _load_scenario(scenario_path)
    except NotAScenarioFile as e:
        raise _error(node, ("scenario",), f"{spec.scenario} is not a scenario file ({e.reason})") from None
    try:
        check_against(spec, loaded.scenario)
    except PathError as e:
        raise _error(node, e.path, e.message) from None
    return LoadedSweep(spec, loaded, path, node)


def _load_scenario(path: Path):
    from negosim.scenario.yaml_io import load_scenario
    # Named inside the spec, so held to the rule of an extends: parent: a file that is no
    # scenario (/etc/passwd) is refused without quoting a word of it.
    return load_scenario(path, referenced=True)


def _error(node, path: tuple, message: str) -> ScenarioError:
    from negosim.scenario.yaml_io import error_at
    # An unknown axis is best shown at its key; anything else at its value.
    return error_at(node, path, message, key_mark=len(path) == 2 and path[0] == "axes")


class LoadedSweep:
    """A validated spec with its loaded scenario and where both came from."""

    def __init__(self, spec: Sweep, scenario, path: Path | None, node=None):
        self.spec = spec
        self.loaded = scenario
        self.path = path
        self.node = node


def resolve(spec: Sweep):
    """The spec's scenario as a LoadedScenario or Scenario, checked against the axes.

    Python-side counterpart of :func:`load_sweep` (errors carry no file position).
    """
    from negosim.scenario.schema import Scenario
    from negosim.scenario.yaml_io import LoadedScenario
    sc = spec.scenario
    try:
        loaded = sc if isinstance(sc, (Scenario, LoadedScenario)) else _load_scenario(Path(sc))
    except NotAScenarioFile as e:
        raise NegosimError(f"scenario: {sc} is not a scenario file ({e.reason})") from None
    try:
        check_against(spec, loaded.scenario if isinstance(loaded, LoadedScenario) else loaded)
    except PathError as e:
        from negosim.errors import format_path
        raise NegosimError(f"{format_path(e.path)}: {e.message}") from None
    return loaded


# --------------------------------------------------------------------------- cross checks

def axis_kind(scenario, name: str) -> tuple[str, Any]:
    """``("param", id)``, ``("number", document path)`` or ``("draft", provision)``.

    Raises
    ------
    PathError
        When the name is neither a parameter, nor a party number, nor a draft provision.
    """
    from negosim.scenario.schema import resolve_path
    if name in scenario.parameters:
        return "param", name
    if name.startswith("draft."):
        prov = name[len("draft."):]
        if prov not in scenario.provisions:
            names = ", ".join(list(scenario.provisions)[:12])
            raise PathError((), f"axis '{name}': unknown provision '{prov}' (known: {names})")
        return "draft", prov
    if "." in name:
        try:
            return "number", resolve_path(scenario, name)
        except PathError as e:
            raise PathError((), f"unknown axis: {e.message}") from None
    known = ", ".join(scenario.parameters) or "none"
    raise PathError((), f"unknown axis '{name}': not a parameter of the scenario (parameters: {known}) "
                        "nor a dotted path such as parties.russia.reservation")


def check_against(spec: Sweep, scenario) -> None:
    """Check the spec's axes and protocol against the scenario (raises PathError)."""
    for name, ax in spec.axes.items():
        try:
            kind, target = axis_kind(scenario, name)
        except PathError as e:
            raise PathError(("axes", name), e.message) from None
        if kind == "draft":
            if ax.values is None:
                raise PathError(("axes", name), "a draft axis takes values (option ids), not a range")
            opts = scenario.provisions[target].options
            for i, v in enumerate(ax.values):
                if v not in opts:
                    raise PathError(("axes", name, "values", i),
                                    f"unknown option '{v}' of '{target}' (known: {', '.join(opts)})")
            continue
        if ax.values is not None:
            for i, v in enumerate(ax.values):
                if isinstance(v, str):
                    raise PathError(("axes", name, "values", i), f"must be a number (got '{v}')")
        lo_hi = ax.range if ax.range is not None else [min(ax.values), max(ax.values)]
        where = ("axes", name, "range" if ax.range is not None else "values")
        if kind == "param":
            plo, phi = scenario.parameters[target].range
            if lo_hi[0] < plo or lo_hi[1] > phi:
                raise PathError(where, f"parameter '{target}' ranges over [{plo:g}, {phi:g}] "
                                       f"(the axis goes over [{lo_hi[0]:g}, {lo_hi[1]:g}])")
        else:
            field = number_kind(target)
            low, high, open_low = FIELD_BOUNDS[field]
            bad_low = low is not None and (lo_hi[0] <= low if open_low else lo_hi[0] < low)
            bad_high = high is not None and lo_hi[1] > high
            if bad_low or bad_high:
                raise PathError(where, f"{field} must lie in {bounds_text(field)} (the axis goes over "
                                       f"[{lo_hi[0]:g}, {lo_hi[1]:g}])")
    if spec.protocol is not None:
        parties = scenario.parties
        if spec.protocol.mediator != "neutral" and spec.protocol.mediator not in parties:
            raise PathError(("protocol", "mediator"), f"unknown party '{spec.protocol.mediator}' "
                                                      f"(known: {', '.join(parties)})")
        for p in spec.protocol.strategies:
            if p not in parties:
                raise PathError(("protocol", "strategies", p), f"unknown party '{p}' (known: {', '.join(parties)})")
