"""What the explorer page shows, computed without any user interface.

:class:`Explorer` holds one scenario and answers, for a draft (one option per
provision) and values of the named parameters: each party's verdict and why,
the zone of agreement with its solution points and the minimal repairs of the
draft, the figures, a bargaining run, and the draft as a scenario YAML. It
scores nothing itself: every answer comes from the compiled scenario through
:func:`negosim.engine.analysis.verdict` and :func:`negosim.engine.analysis.analyze`, and the
figures from :mod:`negosim.plots`. Results are cached per (draft, parameters),
so going back to an earlier setting is instant.

Input from the page is checked first: an unknown id, a value that is not a
number or lies outside a parameter's range raises a
:class:`~negosim.errors.NegosimError` whose one line the page shows.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> ex = Explorer(random_scenario(parties=3, provisions=4, options=3, seed=1))
>>> draft = ex.set_option(ex.default_draft(), "x0", "o2")
>>> draft["x0"], sorted(ex.verdicts(draft, {}))
('o2', ['p0', 'p1', 'p2'])
>>> ex.analysis(draft, {}).space_size
81
>>> try:
...     ex.set_option(draft, "x0", "o9")
... except NegosimError as e:
...     print(e)
unknown option 'o9' of provision 'x0' (known: o0, o1, o2)
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from negosim.limits import MAX_SEED
from negosim.engine.analysis import Analysis, Verdict, analyze, verdict
from negosim.engine.compiled import CompiledScenario, as_scenario, compile_scenario
from negosim.errors import NegosimError
from negosim.scenario.numbers import Number
from negosim.scenario.schema import PROTOCOL_NAMES, Scenario
from negosim.scenario.yaml_io import dump_scenario

#: How many minimal repairs the page lists.
TOP_REPAIRS = 5
#: How many (draft, parameters) results each cache keeps.
CACHE_SIZE = 16
#: Most rounds a bargaining run from the page may take (the scenario format's own limit).
MAX_ROUNDS = 100_000
#: Steps of a parameter slider across its range.
SLIDER_STEPS = 100
#: Why a parameter value in a downloaded draft differs from the scenario's.
SET_IN_EXPLORER = "set in negosim explore"


@dataclass(frozen=True)
class ParameterSpec:
    """A named parameter as the page shows it: a slider from ``low`` to ``high``."""

    id: str
    label: str
    description: str
    low: float
    high: float
    default: float

    def __post_init__(self):
        # These numbers go to the browser as JSON, which has no Infinity or NaN.
        if not all(math.isfinite(x) for x in (self.low, self.high, self.default)):
            raise NegosimError(f"parameter '{self.id}' needs a finite range and value for its slider "
                               f"(got range [{self.low:g}, {self.high:g}], value {self.default:g})")

    @property
    def step(self) -> float:
        """A slider step; finite even when ``high - low`` would overflow a float."""
        step = self.high / SLIDER_STEPS - self.low / SLIDER_STEPS
        return step if step > 0 else 1.0


@dataclass(frozen=True)
class ProvisionSpec:
    """A provision and its options (``(id, label)`` pairs), as the page lists them."""

    id: str
    label: str
    options: tuple[tuple[str, str], ...]

    def option_label(self, option: str) -> str:
        return dict(self.options).get(option, option)

    @property
    def choices(self) -> list[str]:
        """What the page lists: the option labels, with the id added when two labels coincide."""
        labels = [label for _, label in self.options]
        if len(set(labels)) == len(labels):
            return labels
        return [f"{label} ({oid})" for oid, label in self.options]

    def choice_of(self, option: str) -> str:
        return self.choices[[oid for oid, _ in self.options].index(option)]

    def option_of(self, choice: str) -> str:
        """The option id behind a listed choice, or a NegosimError."""
        choices = self.choices
        if choice not in choices:
            raise NegosimError(f"provision '{self.id}' has no option '{choice}'")
        return self.options[choices.index(choice)][0]


class _Cache:
    """A small thread-safe LRU cache; values are computed outside the lock."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, make: Callable):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        self.put(key, value)
        return value

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def peek(self, key):
        """The cached value of ``key``, or None (never computes)."""
        with self.lock:
            return self.items.get(key)


#: A number as a person types it: ASCII digits with an optional sign, point and exponent. Python's
#: float() also takes "1_0", "infinity", other scripts' digits and surrounding whitespace; the page
#: takes none of those, and a comma ("1,5") is refused rather than guessed.
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: Longest number text accepted (a longer one is a typo).
MAX_NUMBER_TEXT = 40


def as_number(value, what: str) -> float:
    """A finite float from page input, or a NegosimError naming ``what``.

    Text (what a number box sends) must be written as a decimal number:

    >>> as_number(" 2.5e-1 ", "x")
    0.25
    >>> as_number("0x1", "x")
    Traceback (most recent call last):
    ...
    negosim.errors.NegosimError: x must be a number such as 0.25 or -1e-3 (got '0x1')
    """
    if isinstance(value, str) or value is None:
        text = (value or "").strip()
        if not text:
            raise NegosimError(f"{what} must be a number (got an empty entry)")
        if len(text) > MAX_NUMBER_TEXT or not NUMBER_TEXT.fullmatch(text):
            raise NegosimError(f"{what} must be a number such as 0.25 or -1e-3 (got {text[:MAX_NUMBER_TEXT]!r})")
        value = text
    if isinstance(value, bool):
        raise NegosimError(f"{what} must be a number (got {value!r})")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise NegosimError(f"{what} must be a number (got {value!r})") from None
    if not math.isfinite(x):
        raise NegosimError(f"{what} must be a finite number (got {value!r})")
    return x


class Explorer:
    """One scenario explored: checks page input and answers what the page shows.

    Parameters
    ----------
    source : scenario file path, :class:`~negosim.scenario.yaml_io.LoadedScenario` or
        :class:`~negosim.scenario.schema.Scenario`.
    articles : folder of the articles, when ``source`` is a path.
    top : how many minimal repairs to list.

    Drafts are ``{provision: option}`` mappings of every provision; parameter
    values are ``{parameter: value}`` mappings of some or all parameters (the
    rest keep the scenario's values). Methods that take them check them first.
    """

    def __init__(self, source, articles=None, top: int = TOP_REPAIRS):
        self.scenario: Scenario
        self.scenario, self.loaded = as_scenario(
            source, articles, error="Explorer takes a scenario file, a LoadedScenario or a Scenario")
        self.top = top
        s = self.scenario
        self.parameters = [self._parameter_spec(pid, p) for pid, p in s.parameters.items()]
        self.provisions = [ProvisionSpec(pid, p.label or pid, tuple((oid, o.label or oid)
                                                                     for oid, o in p.options.items()))
                           for pid, p in s.provisions.items()]
        self.party_ids = tuple(s.parties)
        self._start = {p.id: p.default for p in self.parameters}
        self._base = compile_scenario(s)
        self._compiled = _Cache()
        self._analyses = _Cache()
        self._layers = _Cache()
        self._zones = _Cache()

    def _parameter_spec(self, pid: str, p) -> ParameterSpec:
        """The slider of a parameter; a scenario error at the parameter when a number is not finite."""
        try:
            return ParameterSpec(pid, p.label or pid, p.description, float(p.range[0]), float(p.range[1]),
                                 float(p.value.point))
        except NegosimError as e:
            if self.loaded is None:
                raise
            finite_range = all(math.isfinite(float(x)) for x in p.range)
            raise self.loaded.error_at(("parameters", pid, "range" if not finite_range else "value"),
                                       str(e)) from None

    # -- identity -----------------------------------------------------------
    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def path(self) -> Path | None:
        return None if self.loaded is None else self.loaded.path

    @property
    def space_size(self) -> int:
        return self._base.space.size

    def party_label(self, party: str) -> str:
        return self.scenario.parties[party].label or party

    def default_draft(self) -> dict[str, str]:
        """The scenario's own draft."""
        return dict(self.scenario.draft)

    def default_params(self) -> dict[str, float]:
        """The parameter values the page starts from (the scenario's, unless :meth:`start_from` changed them)."""
        return dict(self._start)

    def start_from(self, params) -> None:
        """Start the page from these parameter values (checked) instead of the scenario's."""
        self._start = self.check_params(params)

    # -- checking input -----------------------------------------------------
    def check_draft(self, draft) -> dict[str, str]:
        """A complete, valid draft in provision order, or a NegosimError."""
        if not isinstance(draft, dict):
            raise NegosimError("a draft is a mapping of provision to option")
        x = self._base.package_from_dict(draft)
        return self._base.package_dict(x)

    def check_params(self, params) -> dict[str, float]:
        """Every parameter's value (defaults filled in), each checked against its range."""
        out = self.default_params()
        for pid, value in dict(params or {}).items():
            if pid not in out:
                known = ", ".join(out) or "none"
                raise NegosimError(f"unknown parameter '{pid}' (known: {known})")
            out[pid] = self._check_value(pid, value)
        return out

    def _check_value(self, pid: str, value) -> float:
        spec = next(p for p in self.parameters if p.id == pid)
        x = as_number(value, f"parameter '{pid}'")
        if not spec.low <= x <= spec.high:
            raise NegosimError(f"parameter '{pid}' must lie within [{spec.low:g}, {spec.high:g}] (got {x:g})")
        return x

    def check_pair(self, pair) -> tuple[str, str]:
        """Two different parties, for the frontier."""
        pair = tuple(pair or ())
        if len(pair) != 2:
            raise NegosimError("the frontier needs two parties")
        for p in pair:
            if p not in self.party_ids:
                raise NegosimError(f"unknown party '{p}' (known: {', '.join(self.party_ids)})")
        if pair[0] == pair[1]:
            raise NegosimError("the frontier needs two different parties")
        return pair

    def default_pair(self) -> tuple[str, str]:
        """Ukraine against Russia when both are there, else the first two parties."""
        ids = self.party_ids
        if {"ukraine", "russia"} <= set(ids):
            return ("ukraine", "russia")
        return (ids[0], ids[1]) if len(ids) > 1 else (ids[0], ids[0])

    # -- changing the draft and the parameters --------------------------------
    def set_option(self, draft, provision: str, option: str) -> dict[str, str]:
        """The draft with one provision set to ``option`` (both checked)."""
        new = dict(self.check_draft(draft))
        if provision not in new:
            raise NegosimError(f"unknown provision '{provision}' "
                               f"(known: {', '.join(p.id for p in self.provisions)})")
        new[provision] = option
        return self.check_draft(new)

    def set_param(self, params, pid: str, value) -> dict[str, float]:
        """The parameter values with ``pid`` set to ``value`` (checked against its range)."""
        new = self.check_params(params)
        if pid not in new:
            raise NegosimError(f"unknown parameter '{pid}' (known: {', '.join(new) or 'none'})")
        new[pid] = self._check_value(pid, value)
        return new

    def apply_repair(self, draft, params, k: int) -> dict[str, str]:
        """The draft with the ``k``-th listed minimal repair applied."""
        repairs = self.analysis(draft, params).repairs
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k < len(repairs):
            raise NegosimError(f"no repair number {k} (there are {len(repairs)})")
        return self.check_draft({**self.check_draft(draft), **repairs[k].changes})

    # -- what the page shows ------------------------------------------------
    def key(self, draft, params) -> tuple[tuple, tuple]:
        """A hashable key of a checked draft and parameter values: ``(options, values)``."""
        d = self.check_draft(draft)
        p = self.check_params(params)
        return tuple(d.values()), tuple(p.values())

    @staticmethod
    def key_id(key) -> str:
        """A short stable id of a :meth:`key` (the page tags its results with it)."""
        return hashlib.sha1(repr(key).encode()).hexdigest()[:12]

    def params_id(self, params) -> str:
        """A short stable id of checked parameter values (the page tags the zone with it)."""
        return self.key_id(("params",) + tuple(self.check_params(params).values()))

    def key_to_inputs(self, key) -> tuple[dict[str, str], dict[str, float]]:
        """The draft and parameter values a :meth:`key` stands for."""
        dkey, pkey = key[0], key[1]
        return dict(zip(self.scenario.provisions, dkey)), dict(zip(self.scenario.parameters, pkey))

    def compiled(self, draft, params) -> CompiledScenario:
        """The compiled scenario with this draft and these parameter values."""
        key = self.key(draft, params)
        d, p = self.key_to_inputs(key)
        return self._compiled.get(key, lambda: compile_scenario(
            self.scenario.model_copy(update={"draft": d}), params=p))

    def verdicts(self, draft, params) -> dict[str, Verdict]:
        """Each party's verdict on the draft: utility, reservation, red lines, contributions."""
        cs = self.compiled(draft, params)
        return verdict(cs, cs.draft)

    def analysis(self, draft, params) -> Analysis:
        """The exact analysis: zone size, Pareto front, solution points, minimal repairs."""
        key = self.key(draft, params)
        a = self._analyses.get(key, lambda: analyze(self.compiled(draft, params), pareto=True, top=self.top))
        self._zones.put(key[1], a)
        return a

    def zone_for(self, params) -> Analysis | None:
        """A finished analysis at these parameter values, for whichever draft; None if there is none yet.

        The zone of agreement, its Pareto front and its solution points do not
        depend on the draft (only the verdicts and the repairs do), so after a
        change of draft the page shows them from here at once.
        """
        return self._zones.peek(tuple(self.check_params(params).values()))

    # -- figures ------------------------------------------------------------
    def _subject(self, draft, params):
        from negosim.plots.common import Subject
        return Subject(self.compiled(draft, params), self.scenario, _analysis=self.analysis(draft, params))

    def frontier_figure(self, draft, params, pair, width: float = 7.0, height: float = 5.6):
        """The acceptance frontier of two parties, with the draft and its minimal repairs marked.

        The package and zone layers do not depend on the draft, so they are
        kept per (parameters, pair): a change of draft only redraws.
        """
        from negosim.plots.density import make_grid, package_layer, zone_layer
        from negosim.plots.frontier import draw_pair
        from negosim.plots.style import new_figure, title
        pair = self.check_pair(pair)
        sub = self._subject(draft, params)
        cs = sub.compiled
        p, q = (cs.party_ids.index(x) for x in pair)
        pkey = self.key(draft, params)[1]

        def layers():
            grid = make_grid(cs, 150)
            return package_layer(cs, [(p, q)], grid=grid), zone_layer(cs, [(p, q)], grid)

        packages, zone = self._layers.get((pkey, p, q), layers)
        fig = new_figure(width, height)
        ax = fig.add_subplot()
        draw_pair(ax, sub, p, q, packages, zone)
        a = sub.analysis()
        for k, r in enumerate(a.repairs):
            x, y = r.utilities[pair[0]], r.utilities[pair[1]]
            ax.scatter([x], [y], s=60, marker="P", c="#ff6f00", edgecolors="black", linewidths=0.5,
                       gid=f"repair:{k}", zorder=7)
            ax.annotate(f"R{k + 1}", (x, y), xytext=(5, 4), textcoords="offset points", fontsize=8,
                        color="#bf360c", zorder=8)
        title(ax, f"Acceptance frontier: {self.party_label(pair[0])} against {self.party_label(pair[1])}",
              f"{a.zone_size:,} of {a.space_size:,} packages in the zone of agreement; "
              f"R1..R{len(a.repairs)}: minimal repairs of the draft" if a.repairs else
              f"{a.zone_size:,} of {a.space_size:,} packages in the zone of agreement")
        return fig

    def package_figure(self, draft, params):
        """Each party's utility of the draft as stacked contributions against its reservation."""
        from negosim.plots.package import package_figure
        return package_figure(self._subject(draft, params), width=7.0)

    # -- downloading the draft ------------------------------------------------
    def scenario_for(self, draft, params) -> Scenario:
        """The scenario with this draft and these parameter values as its own."""
        d = self.check_draft(draft)
        p = self.check_params(params)
        prms = {}
        for pid, prm in self.scenario.parameters.items():
            if p[pid] == prm.value.point:
                prms[pid] = prm
            else:
                prms[pid] = prm.model_copy(update={"value": Number(value=p[pid], assumption=SET_IN_EXPLORER)})
        return self.scenario.model_copy(update={"draft": d, "parameters": prms})

    def draft_yaml(self, draft, params) -> str:
        """The scenario with the current draft, as YAML that ``negosim analyze`` reads back.

        The ``articles`` folder stays relative, as in the original file: save
        the download beside the scenario it came from (or pass ``--articles``).
        """
        where = f" from {self.path.name}" if self.path is not None else ""
        head = (f"# Draft saved from negosim explore{where}.\n"
                f"# Self-contained: the extends chain is merged in. Save it beside the original\n"
                f"# scenario so that its articles folder resolves, or pass --articles.\n")
        return head + dump_scenario(self.scenario_for(draft, params))

    def download_name(self) -> str:
        stem = self.path.stem if self.path is not None else "".join(
            c if c.isalnum() or c in "-_" else "_" for c in self.name)
        return f"{stem}-draft.yaml"

    # -- bargaining ---------------------------------------------------------
    @staticmethod
    def check_seed(seed) -> int:
        """A seed from the page: a whole number from 0 to 2**63 - 1 (as ``--seed`` takes)."""
        if isinstance(seed, str) and seed.strip().isascii() and seed.strip().isdigit():
            x = int(seed.strip()) if len(seed.strip()) <= MAX_NUMBER_TEXT else -1  # exact, beyond 2**53
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            x = int(seed)
        else:
            x = as_number(seed, "the seed")
        if x != int(x) or not 0 <= x <= MAX_SEED:
            raise NegosimError(f"the seed must be a whole number from 0 to {MAX_SEED} (got {seed})")
        return int(x)

    @staticmethod
    def check_rounds(rounds) -> int:
        x = as_number(rounds, "the number of rounds")
        if x != int(x) or not 1 <= x <= MAX_ROUNDS:
            raise NegosimError(f"the number of rounds must be a whole number from 1 to {MAX_ROUNDS:,} (got {rounds})")
        return int(x)

    def check_run(self, protocol: str, seed, rounds) -> tuple[str, int, int]:
        """A protocol name, a seed and a number of rounds from the page, checked."""
        if protocol not in PROTOCOL_NAMES:
            raise NegosimError(f"unknown protocol '{protocol}' (known: {', '.join(PROTOCOL_NAMES)})")
        return protocol, self.check_seed(seed), self.check_rounds(rounds)

    def bargain(self, draft, params, protocol: str, seed=0, rounds=50):
        """Run the bargaining model from this draft; returns its trace DataFrame.

        The run goes through :func:`negosim.plots.trace.run_trace` (the
        bargaining loop's public entry point) on :meth:`scenario_for`, so the
        parameter values apply as they do on the page.
        """
        from negosim.plots.trace import run_trace, trace_of
        protocol, seed, rounds = self.check_run(protocol, seed, rounds)
        result = run_trace(self.scenario_for(draft, params), protocol, seed=seed, rounds=rounds)
        return trace_of(result)

    def trace_figure(self, trace, note: str | None = None):
        """The "dance of offers" of a bargaining trace."""
        from negosim.plots.trace import trace_figure
        return trace_figure(trace, scenario=self.scenario, note=note, width=7.0, height=4.6)
