"""Applying sweep axes to compiled arrays, row after row, without recompiling.

:func:`~negosim.compiled.compile_scenario` walks the whole scenario for every
call. A sweep changes a few numbers per row, so :class:`AxisApplier` maps
every party number to a slot of one flat vector once, and per row only adds
the parameters' linear effects to that vector and re-derives the arrays from
it (weights clipped and renormalised, values clipped, products quantised),
exactly as :func:`compile_scenario` does, in the same order of operations, so
the result is bit for bit the same (the tests check it).

Example
-------
>>> from negosim.random_scenario import random_scenario
>>> from negosim.compiled import compile_scenario
>>> import numpy as np
>>> s = random_scenario(parties=2, provisions=3, options=2, seed=1)
>>> ap = AxisApplier(s, ["parties.p0.reservation", "draft.x1"])
>>> cs = ap.compiled({"parties.p0.reservation": 0.7, "draft.x1": "o0"})
>>> ref = compile_scenario(s, overrides={("parties", "p0", "reservation"): 0.7})
>>> bool(np.array_equal(cs.wv, ref.wv)), float(cs.reservation[0]), int(cs.draft[1])
(True, 0.7, 0)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .compiled import CompiledScenario, compile_scenario, quantize
from .errors import NegosimError


class AxisApplier:
    """Per-row compiled scenarios for a fixed set of axes.

    Parameters
    ----------
    scenario : Scenario
    axes : axis names (parameters, dotted party-number paths or ``draft.PROV``).
    base : optional CompiledScenario of ``scenario`` to share the fixed arrays of.
    """

    def __init__(self, scenario, axes, base: CompiledScenario | None = None):
        from .scenario import iter_numbers, resolve_path
        from .sweep_spec import axis_kind
        from .errors import PathError
        self.scenario = scenario
        self.axes = list(axes)
        self.base = base if base is not None else compile_scenario(scenario)
        paths = [path for path, _ in iter_numbers(scenario) if path[0] == "parties"]
        self.paths = paths
        self.slot = {p: i for i, p in enumerate(paths)}
        #: Point values of the party numbers before parameter effects (one slot more: 0.0, for gaps).
        self.raw0 = np.array([num.point for path, num in iter_numbers(scenario) if path[0] == "parties"] + [0.0])
        self.kinds = []
        for name in self.axes:
            try:
                self.kinds.append(axis_kind(scenario, name))
            except PathError as e:
                raise NegosimError(e.message) from None
        # Parameter effects in the order compile_scenario adds them.
        self.params = []
        for pid, prm in scenario.parameters.items():
            effects = [(self.slot[resolve_path(scenario, eff.path)], eff.per_unit.point) for eff in prm.effects]
            self.params.append((pid, prm.value.point, tuple(prm.range), effects))
        self._index_arrays()

    def _index_arrays(self) -> None:
        s, cs = self.scenario, self.base
        gap = len(self.paths)  # the trailing 0.0 slot
        P, J, O = cs.wv.shape
        provs = list(cs.provision_ids)
        self.i_res = np.empty(P, np.int64)
        self.i_power = np.empty(P, np.int64)
        self.i_discount = np.empty(P, np.int64)
        self.i_drift = np.empty(P, np.int64)
        self.i_w = np.empty((P, J), np.int64)
        self.i_v = np.full((P, J, O), gap, np.int64)
        for i, name in enumerate(cs.party_ids):
            base = ("parties", name)
            self.i_res[i] = self.slot[base + ("reservation",)]
            self.i_power[i] = self.slot[base + ("power",)]
            self.i_discount[i] = self.slot[base + ("discount",)]
            self.i_drift[i] = self.slot[base + ("drift",)]
            for j, prov in enumerate(provs):
                self.i_w[i, j] = self.slot[base + ("weights", prov)]
                for k, oid in enumerate(cs.option_ids[j]):
                    self.i_v[i, j, k] = self.slot.get(base + ("values", prov, oid), gap)
        # Linkage terms follow compile_scenario's order: per party, red lines then linkages.
        self.i_bonus = []
        t = 0
        for name, party in s.parties.items():
            t += len(party.red_lines)
            for li in range(len(party.linkages)):
                self.i_bonus.append((t, self.slot[("parties", name, "linkages", li, "bonus")]))
                t += 1

    # -- per row ----------------------------------------------------------------
    def raw(self, row: dict, base: np.ndarray | None = None) -> np.ndarray:
        """The party numbers of one row: overrides set, then parameter effects added."""
        vals = (self.raw0 if base is None else base).copy()
        params = {}
        for name, (kind, target) in zip(self.axes, self.kinds):
            if kind == "number":
                vals[self.slot[target]] = float(row[name])
            elif kind == "param":
                params[target] = float(row[name])
        for pid, default, (lo, hi), effects in self.params:
            v = params.get(pid, default)
            if not lo <= v <= hi:
                raise NegosimError(f"parameter '{pid}' must lie within [{lo:g}, {hi:g}] (got {v:g})")
            for slot, per_unit in effects:
                vals[slot] += per_unit * v
        return vals

    def draft(self, row: dict) -> np.ndarray:
        """The row's draft (option indices), with any draft axes applied."""
        draft = self.base.draft
        for name, (kind, prov) in zip(self.axes, self.kinds):
            if kind == "draft":
                if draft is self.base.draft:
                    draft = draft.copy()
                j = self.base.provision_ids.index(prov)
                draft[j] = self.base.option_ids[j].index(row[name])
        return draft

    def compiled(self, row: dict, base: np.ndarray | None = None) -> CompiledScenario:
        """The CompiledScenario of one row (equal to compile_scenario's).

        ``base`` replaces the scenario's point values (one sampled draw, in the
        order of :attr:`paths`, plus a trailing 0.0).
        """
        return self.from_raw(self.raw(row, base), self.draft(row))

    def from_raw(self, vals: np.ndarray, draft: np.ndarray | None = None) -> CompiledScenario:
        """Derive the arrays from a vector of party numbers."""
        cs = self.base
        weights = np.maximum(vals[self.i_w], 0.0)
        for i in range(weights.shape[0]):
            # Row by row, as compile_scenario sums them: the same rounding.
            total = weights[i].sum()
            if total <= 0:
                raise NegosimError(f"parties.{cs.party_ids[i]}.weights are all zero after parameter effects")
            weights[i] /= total
        values = np.minimum(np.maximum(vals[self.i_v], 0.0), 1.0)
        terms = list(cs.terms)
        for t, slot in self.i_bonus:
            terms[t] = replace(terms[t], bonus=float(quantize(vals[slot])))
        return replace(
            cs, wv=quantize(weights[:, :, None] * values), weights=weights, values=values,
            reservation=vals[self.i_res], power=np.maximum(vals[self.i_power], 1e-12),
            discount=np.minimum(np.maximum(vals[self.i_discount], 1e-12), 1.0), drift=vals[self.i_drift],
            terms=terms, draft=cs.draft if draft is None else draft)

    def scenario_for(self, row: dict):
        """The scenario with the row's dotted-path numbers and draft axes set (not re-validated).

        For consumers that take a Scenario rather than compiled arrays (the
        bargaining model); parameters are passed to them separately.
        """
        s = self.scenario
        parties, draft = dict(s.parties), dict(s.draft)
        for name, (kind, target) in zip(self.axes, self.kinds):
            if kind == "draft":
                draft[target] = row[name]
            elif kind == "number":
                pid = target[1]
                parties[pid] = _with_number(parties[pid], target[2:], float(row[name]))
        return s.model_copy(update={"parties": parties, "draft": draft})

    def row_arguments(self, row: dict) -> tuple[dict, dict]:
        """``(params, overrides)`` that give :func:`compile_scenario` the same row (for checks)."""
        params, overrides = {}, {}
        for name, (kind, target) in zip(self.axes, self.kinds):
            if kind == "param":
                params[target] = float(row[name])
            elif kind == "number":
                overrides[target] = float(row[name])
        return params, overrides


def _with_number(party, path: tuple, value: float):
    """A copy of a Party with the number at ``path`` (below the party) set to ``value``."""
    field, rest = path[0], path[1:]
    if not rest:
        return party.model_copy(update={field: getattr(party, field).with_point(value)})
    if field == "weights":
        return party.model_copy(update={"weights": {**party.weights, rest[0]: party.weights[rest[0]].with_point(value)}})
    if field == "values":
        prov, opt = rest
        row = {**party.values[prov], opt: party.values[prov][opt].with_point(value)}
        return party.model_copy(update={"values": {**party.values, prov: row}})
    links = list(party.linkages)  # ("linkages", index, "bonus")
    links[rest[0]] = links[rest[0]].model_copy(update={"bonus": links[rest[0]].bonus.with_point(value)})
    return party.model_copy(update={"linkages": links})
