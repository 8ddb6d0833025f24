"""What every figure needs from its input: the compiled tables, labels, an analysis.

Plot functions accept a scenario in any of its forms (a file path, a
:class:`~negosim.scenario.yaml_io.LoadedScenario`, a :class:`~negosim.scenario.schema.Scenario`,
a :class:`~negosim.engine.compiled.CompiledScenario`) or a finished
:class:`~negosim.engine.analysis.Analysis`; :func:`resolve` turns each into the same
:class:`Subject`, analysing only when a figure needs it.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> sub = resolve(random_scenario(parties=2, provisions=3, options=2, seed=0))
>>> sub.party_ids, sub.name
(('p0', 'p1'), 'random-2x3x2-seed0')
>>> sub.analysis(pareto=True).space_size
8
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from negosim.engine.compiled import CompiledScenario, as_scenario, compile_scenario
from negosim.errors import NegosimError


@dataclass
class Subject:
    """A scenario ready to plot: compiled tables, the scenario (for labels), its analysis."""

    compiled: CompiledScenario
    scenario: object | None = None
    loaded: object | None = None
    params: dict | None = None
    _analysis: object | None = field(default=None, repr=False)

    @property
    def party_ids(self) -> tuple[str, ...]:
        return self.compiled.party_ids

    @property
    def name(self) -> str:
        return self.scenario.name if self.scenario is not None else "scenario"

    def party_label(self, party: str) -> str:
        from .style import party_label
        return party_label(self.scenario, party)

    def provision_label(self, prov: str) -> str:
        if self.scenario is not None and prov in self.scenario.provisions:
            return self.scenario.provisions[prov].label or prov
        return prov

    def option_label(self, prov: str, option: str) -> str:
        if self.scenario is not None and prov in self.scenario.provisions:
            opt = self.scenario.provisions[prov].options.get(option)
            if opt is not None and opt.label:
                return opt.label
        return option

    def analysis(self, pareto: bool = True, top: int = 5):
        """The analysis of the scenario (computed once, on first use; again for more than ``top`` repairs)."""
        from negosim.engine.analysis import analyze
        a = self._analysis
        few = a is not None and len(a.repairs) < min(top, a.repair_count)
        if a is None or (pareto and a.pareto is None) or few:
            source = self.loaded if self.loaded is not None else self.compiled
            a = analyze(source, params=self.params if self.loaded is not None else None, pareto=pareto,
                        top=max(top, 5))
            if self.loaded is not None:
                a.compiled = self.compiled  # same tables; keep one object
            self._analysis = a
        return a


def resolve(source, params: dict | None = None, articles=None) -> Subject:
    """A :class:`Subject` for a path, LoadedScenario, Scenario, CompiledScenario or Analysis."""
    from negosim.engine.analysis import Analysis
    if isinstance(source, Subject):
        return source
    if isinstance(source, CompiledScenario):
        return Subject(source)
    if isinstance(source, Analysis):
        return Subject(source.compiled, _analysis=source)
    scenario, loaded = as_scenario(source, articles,
                                   error=f"cannot plot a {type(source).__name__}; give a scenario, its file or an Analysis")
    return Subject(compile_scenario(scenario, params), scenario, loaded, params)


def party_indices(sub: Subject, parties) -> list[int]:
    """Indices of party ids (all parties when ``parties`` is None), checked."""
    ids = list(sub.party_ids)
    if parties is None:
        return list(range(len(ids)))
    if isinstance(parties, str):
        parties = [p.strip() for p in parties.split(",") if p.strip()]
    out = []
    for p in parties:
        if p not in ids:
            raise NegosimError(f"unknown party '{p}' (known: {', '.join(ids)})")
        if ids.index(p) in out:
            raise NegosimError(f"party '{p}' is given twice")
        out.append(ids.index(p))
    return out


def resolve_package(cs: CompiledScenario, package=None) -> np.ndarray:
    """Option indices of a package given as changes from the draft.

    ``package`` may be None (the draft), a ``{provision: option}`` mapping of
    some or all provisions (the rest stay as in the draft), a
    ``"prov=opt,prov=opt"`` string, or a sequence of option indices.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=3, options=2, seed=0))
    >>> resolve_package(cs, "x0=o1").tolist()[0], resolve_package(cs).tolist() == cs.draft.tolist()
    (1, True)
    """
    if package is None:
        return cs.draft.copy()
    if isinstance(package, str):
        package = parse_changes(package)
    if isinstance(package, dict):
        full = cs.package_dict(cs.draft)
        unknown = [p for p in package if p not in full]
        if unknown:
            raise NegosimError(f"unknown provision '{unknown[0]}' (known: {', '.join(cs.provision_ids)})")
        full.update(package)
        return cs.package_from_dict(full)
    x = np.asarray(package, dtype=np.int64)
    if x.shape != (cs.n_provisions,) or (x < 0).any() or (x >= cs.radix).any():
        raise NegosimError(f"a package needs one valid option index for each of the {cs.n_provisions} provisions")
    return x


def parse_changes(text: str) -> dict[str, str]:
    """``"donbas=cede, nato=ban"`` -> ``{"donbas": "cede", "nato": "ban"}``."""
    out = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        prov, sep, opt = item.partition("=")
        if not sep or not prov.strip() or not opt.strip():
            raise NegosimError(f"a package change must read PROVISION=OPTION (got '{item}')")
        out[prov.strip()] = opt.strip()
    return out


def describe_changes(sub: "Subject", x: np.ndarray) -> str:
    """Words for how package ``x`` differs from the draft, in labels ("the draft with Donbas: Kyiv keeps it")."""
    cs = sub.compiled
    changed = [j for j in range(cs.n_provisions) if x[j] != cs.draft[j]]
    if not changed:
        return "the draft"
    if len(changed) > 4:
        return f"the draft with {len(changed)} provisions changed"
    return "the draft with " + "; ".join(
        f"{sub.provision_label(cs.provision_ids[j])}: {sub.option_label(cs.provision_ids[j], cs.option_ids[j][x[j]])}"
        for j in changed)
