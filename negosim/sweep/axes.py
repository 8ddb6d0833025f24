"""Applying sweep axes to compiled arrays, row after row, without recompiling.

:func:`~negosim.engine.compiled.compile_scenario` walks the whole scenario for every
call. A sweep changes a few numbers per row, so :class:`AxisApplier` maps
every number to a column of one row of numbers once
(:class:`~negosim.engine.compiled.NumberLayout`), and per row only sets the row's
numbers, adds the parameters' linear effects and re-derives the arrays with
:meth:`~negosim.engine.compiled.NumberLayout.derive`, the derivation that
:func:`compile_scenario` runs itself, so the result is bit for bit the same
(the tests check it).

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.engine.compiled import compile_scenario
>>> import numpy as np
>>> s = random_scenario(parties=2, provisions=3, options=2, seed=1)
>>> ap = AxisApplier(s, ["parties.p0.reservation", "draft.x1"])
>>> cs = ap.compiled({"parties.p0.reservation": 0.7, "draft.x1": "o0"})
>>> ref = compile_scenario(s, overrides={("parties", "p0", "reservation"): 0.7})
>>> bool(np.array_equal(cs.wv, ref.wv)), float(cs.reservation[0]), int(cs.draft[1])
(True, 0.7, 0)
"""

from __future__ import annotations

import numpy as np

from negosim.engine.compiled import CompiledScenario, NumberLayout, compile_scenario, with_numbers
from negosim.errors import NegosimError


class AxisApplier:
    """Per-row compiled scenarios for a fixed set of axes.

    Parameters
    ----------
    scenario : Scenario
    axes : axis names (parameters, dotted party-number or no-deal paths, or ``draft.PROV``).
    """

    def __init__(self, scenario, axes):
        from negosim.errors import PathError
        from .spec import axis_kind
        self.scenario = scenario
        self.axes = list(axes)
        self.base = compile_scenario(scenario)
        self.layout = NumberLayout(scenario)
        self.kinds = []
        for name in self.axes:
            try:
                self.kinds.append(axis_kind(scenario, name))
            except PathError as e:
                raise NegosimError(e.message) from None

    # -- per row ----------------------------------------------------------------
    def raw(self, row: dict) -> np.ndarray:
        """The numbers of one row (``[K]``, columns ``layout.paths``): axes set, then parameter effects added."""
        V = self.layout.points()
        params = {}
        for name, (kind, target) in zip(self.axes, self.kinds):
            if kind == "number":
                V[0, self.layout.index[target]] = float(row[name])
            elif kind == "param":
                params[target] = float(row[name])
        return self.layout.with_parameters(V, params)[0]

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

    def compiled(self, row: dict) -> CompiledScenario:
        """The CompiledScenario of one row (equal to compile_scenario's)."""
        return self.from_raw(self.raw(row), self.draft(row))

    def from_raw(self, vals: np.ndarray, draft: np.ndarray | None = None) -> CompiledScenario:
        """Derive the arrays from a row of numbers (parameter effects added, see :meth:`raw`)."""
        cs = self.base
        return with_numbers(cs, 0, **self.layout.derive(np.asarray(vals)[None, :]),
                            draft=cs.draft if draft is None else draft)

    def scenario_for(self, row: dict):
        """The scenario with the row's dotted-path numbers and draft axes set (not re-validated).

        For consumers that take a Scenario rather than compiled arrays (the
        bargaining model); parameters are passed to them separately.
        """
        from negosim.scenario.schema import get_number
        from negosim.uncertainty.sampling import _rebuild
        s = self.scenario
        trie, draft = {}, dict(s.draft)
        for name, (kind, target) in zip(self.axes, self.kinds):
            if kind == "draft":
                draft[target] = row[name]
            elif kind == "number":  # a party's or no_deal's number, by its document path
                node = trie
                for part in target[:-1]:
                    node = node.setdefault(part, {})
                node[target[-1]] = get_number(s, target).with_point(float(row[name]))
        return _rebuild(s, trie).model_copy(update={"draft": draft})

    def row_arguments(self, row: dict) -> tuple[dict, dict]:
        """``(params, overrides)`` that give :func:`compile_scenario` the same row."""
        params, overrides = {}, {}
        for name, (kind, target) in zip(self.axes, self.kinds):
            if kind == "param":
                params[target] = float(row[name])
            elif kind == "number":
                overrides[target] = float(row[name])
        return params, overrides

