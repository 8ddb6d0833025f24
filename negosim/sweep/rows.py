"""Computing sweep rows: the work one worker does for one chunk of rows.

A :class:`Job` carries everything a worker needs (the scenario, the spec and
its hashes); the worker prepares an :class:`~negosim.sweep.axes.AxisApplier`
once per job and keeps it, so later chunks of the same sweep start at once.
:func:`evaluate_chunk` returns a DataFrame whose columns and dtypes depend on
the spec and scenario only, never on the runner.

Columns of a row (``P`` for each party id):

- inputs: ``row``, one column per axis, ``replicate``, ``seed``;
- the draft: ``draft_accepted``, ``accepts_P``, ``utility_P``, ``margin_P``, and
  ``draft_ratified`` when some party has a ratifier (:mod:`negosim.engine.ratification`);
- ``scope: space``: ``zone_size``, ``repair_size`` (changes of the draft
  needed; -1 when the zone is empty), ``nash_index``, ``nash_package``
  (JSON), ``nash_utility_P`` (index -1 and NaN utilities when undefined);
- ``samples > 0``: ``p_accepts_P``, ``p_all`` with ``p_all_low`` and
  ``p_all_high`` (a 95 % Wilson interval), and with ``scope: space``
  ``nash_p_all`` (the Nash package's probability of unanimous acceptance);
- ``task: run``: ``agreement``, ``agreement_round``, ``agreement_package``,
  ``agreement_utility_P``, ``reason``.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.sweep.spec import Sweep
>>> s = random_scenario(parties=2, provisions=3, options=2, seed=1)
>>> spec = Sweep(scenario=s, axes={"parties.p0.reservation": {"values": [0.0, 1.0]}})
>>> prep = Prepared(make_job(spec, s, "abc"))
>>> [evaluate_row(prep, {"parties.p0.reservation": r}, seed=0)["accepts_p0"] for r in (0.0, 1.0)]
[True, False]
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np

#: Environment variables that keep BLAS/OpenMP libraries to one thread in a worker.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


@dataclass
class Job:
    """What every chunk of one sweep shares (pickled to the workers).

    ``token`` identifies the sweep (spec and scenario hashes), so a worker
    prepares the scenario's arrays once and reuses them for later chunks.
    """

    token: str
    scenario: object
    spec: object
    schema: object = None


def make_job(spec, scenario, token: str) -> Job:
    """A Job for ``spec`` on ``scenario`` (a Scenario); the spec travels without its scenario object."""
    spec = spec.model_copy(update={"scenario": "<sent with the job>"})
    return Job(token, scenario, spec, result_schema(spec, scenario))


def result_schema(spec, scenario):
    """The Arrow schema of the result table (inputs, then outputs)."""
    import pyarrow as pa
    fields = [("row", pa.int64())]
    for name in spec.axes:
        fields.append((name, pa.string() if name.startswith("draft.") else pa.float64()))
    fields += [("replicate", pa.int64()), ("seed", pa.int64())]
    kinds = {"bool": pa.bool_(), "float64": pa.float64(), "int64": pa.int64(), "object": pa.string()}
    fields += [(name, kinds[t]) for name, t in output_columns(
        spec, list(scenario.parties), any(p.ratifier is not None for p in scenario.parties.values())).items()]
    return pa.schema(fields)


def one_thread(blas: bool = True) -> None:
    """Keep numba to one thread here, and BLAS too (for good) when ``blas``.

    numba's setting is per thread, so it is set again for every chunk: Dask
    runs tasks on threads of its own. BLAS is limited for the whole process,
    so only in worker processes; where chunks run in the user's own process,
    :func:`negosim.sweep.runners.runner` limits it for the sweep's duration instead.
    """
    try:
        import numba
        numba.set_num_threads(1)
    except (ImportError, ValueError):  # pragma: no cover - numba is a dependency
        pass
    global _BLAS_LIMITED
    if blas and not _BLAS_LIMITED:
        _BLAS_LIMITED = True
        try:
            from threadpoolctl import threadpool_limits
            threadpool_limits(1)
        except ImportError:
            pass  # the environment variables set for worker processes still apply


_BLAS_LIMITED = False


def worker_init() -> None:
    """Initializer of local worker processes."""
    for k in THREAD_ENV:
        os.environ.setdefault(k, "1")
    one_thread()


class Prepared:
    """A worker's per-sweep state: the applier, the sampler and recent draws."""

    def __init__(self, job: Job):
        from .axes import AxisApplier
        self.scenario = job.scenario
        self.spec = job.spec
        self.applier = AxisApplier(job.scenario, list(job.spec.axes))
        self.parties = list(self.applier.base.party_ids)
        from negosim.engine.ratification import Ratifiers
        self.ratifiers = Ratifiers(job.scenario) or None
        self._sampler = None
        self._draws: dict[int, np.ndarray] = {}

    @property
    def sampler(self):
        if self._sampler is None:
            from negosim.uncertainty.sampling import Sampler
            self._sampler = Sampler(self.scenario)
        return self._sampler

    def draws(self, seed: int) -> np.ndarray:
        """The drawn numbers of one seed (kept: every row of a replicate uses the same draws)."""
        if seed not in self._draws:
            if len(self._draws) > 8:
                self._draws.clear()
            self._draws[seed] = self.sampler.draw(self.spec.samples, seed)
        return self._draws[seed]


_PREPARED: dict[str, Prepared] = {}


def _prepared(job: Job) -> Prepared:
    prep = _PREPARED.get(job.token)
    if prep is None:
        if len(_PREPARED) > 4:
            _PREPARED.clear()
        prep = _PREPARED[job.token] = Prepared(job)
    return prep


# --------------------------------------------------------------------------- columns

def output_columns(spec, parties: list[str], ratifiers: bool = False) -> dict[str, str]:
    """Output column -> dtype, in table order (inputs excluded; ``ratifiers``: some party has one)."""
    cols: dict[str, str] = {"draft_accepted": "bool"}
    if ratifiers:
        cols["draft_ratified"] = "bool"
    for p in parties:
        cols[f"accepts_{p}"] = "bool"
    for p in parties:
        cols[f"utility_{p}"] = "float64"
    for p in parties:
        cols[f"margin_{p}"] = "float64"
    if spec.task == "analyze" and spec.scope == "space":
        cols.update({"zone_size": "int64", "repair_size": "int64", "nash_index": "int64", "nash_package": "object"})
        for p in parties:
            cols[f"nash_utility_{p}"] = "float64"
    if spec.samples:
        for p in parties:
            cols[f"p_accepts_{p}"] = "float64"
        cols.update({"p_all": "float64", "p_all_low": "float64", "p_all_high": "float64"})
        if spec.task == "analyze" and spec.scope == "space":
            cols["nash_p_all"] = "float64"
    if spec.task == "run":
        cols.update({"agreement": "bool", "agreement_round": "int64", "agreement_package": "object"})
        for p in parties:
            cols[f"agreement_utility_{p}"] = "float64"
        cols["reason"] = "object"
    return cols


def evaluate_chunk(job: Job, rows: dict[str, list], in_worker: bool = True, stop=None):
    """Compute the rows of one chunk; returns an Arrow table (inputs, then outputs).

    ``rows`` maps the input columns of :meth:`Sweep.rows` to lists of values;
    ``in_worker`` is False where the chunk runs in the user's own process.
    ``stop``, if given, is asked before each row; when it returns True the chunk
    is abandoned with KeyboardInterrupt (Ctrl-C, seen between rows).
    """
    import pyarrow as pa
    one_thread(blas=in_worker)
    prep = _prepared(job)
    spec = prep.spec
    axes = list(spec.axes)
    n = len(rows["row"])
    records = []
    for k in range(n):
        if stop is not None and stop():
            raise KeyboardInterrupt
        records.append(evaluate_row(prep, {a: rows[a][k] for a in axes}, int(rows["seed"][k])))
    data = dict(rows)
    for name in output_columns(spec, prep.parties, bool(prep.ratifiers)):
        data[name] = [r[name] for r in records]
    return pa.Table.from_pydict(data, schema=job.schema)


def evaluate_row(prep: Prepared, row: dict, seed: int) -> dict:
    """The outputs of one row."""
    from negosim.engine.analysis import all_needed_accept, analyze, verdict
    spec = prep.spec
    cs = prep.applier.compiled(row)
    out: dict = {}
    if spec.task == "analyze" and spec.scope == "space":
        a = analyze(cs, pareto=False, top=0)
        draft = a.draft
        out["zone_size"] = a.zone_size
        out["repair_size"] = -1 if a.repair_size is None else a.repair_size
        nash = a.solutions["nash"]
        out["nash_index"] = -1 if nash is None else nash.index
        out["nash_package"] = None if nash is None else _package_json(nash.package)
        for p in prep.parties:
            out[f"nash_utility_{p}"] = math.nan if nash is None else nash.utilities[p]
    else:
        draft = verdict(cs, cs.draft)
    out["draft_accepted"] = all_needed_accept(draft)
    if prep.ratifiers:  # two-level games: signed, and ratified with the row's numbers
        from negosim.engine.ratification import package_ratified
        out["draft_ratified"] = package_ratified(cs, prep.ratifiers, cs.draft, prep.applier.raw(row))
    for p, v in draft.items():
        out[f"accepts_{p}"] = v.accepts
        out[f"utility_{p}"] = v.utility
        out[f"margin_{p}"] = v.margin
    if spec.samples:
        nash = out.get("nash_index", -1)
        others = [cs.space.decode_one(nash)] if nash >= 0 else []
        probs = acceptance_probabilities(prep, row, seed, others)
        if spec.scope == "space" and spec.task == "analyze":
            probs["nash_p_all"] = probs["others"][0] if others else math.nan
        del probs["others"]
        out.update(probs)
    if spec.task == "run":
        out.update(bargain(prep, row, seed))
    return out


def _package_json(package: dict) -> str:
    return json.dumps(package, separators=(",", ":"))


# --------------------------------------------------------------------------- adapters

def acceptance_probabilities(prep: Prepared, row: dict, seed: int, others=()) -> dict:
    """Each party's probability of accepting the row's draft, and everyone's.

    The row's axes hold in every draw: a parameter axis fixes the parameter
    (its effects apply to the drawn numbers), a dotted-path axis fixes that
    number. ``others`` are further packages (option indices) whose probability
    of unanimous acceptance is returned as a list under ``"others"``.
    """
    from negosim.uncertainty.sampling import accepts_draws, wilson
    ap = prep.applier
    params, overrides = ap.row_arguments(row)
    tables = prep.sampler.tables(prep.draws(seed), params=params, overrides=overrides)
    X = np.stack([ap.draft(row), *others])
    ok, needed = accepts_draws(tables, X)
    unanimous = tables.base.agreed(ok, needed, X)  # [S, packages]
    n = tables.n
    out = {f"p_accepts_{p}": float(ok[:, i, 0].mean()) for i, p in enumerate(prep.parties)}
    k = int(unanimous[:, 0].sum())
    out["p_all"] = k / n
    out["p_all_low"], out["p_all_high"] = wilson(k, n)
    out["others"] = [float(u) for u in unanimous[:, 1:].mean(axis=0)]
    return out


def bargain(prep: Prepared, row: dict, seed: int) -> dict:
    """Run the bargaining model once (:func:`negosim.bargaining.simulate.simulate`) for one row.

    The model compiles its scenario itself and draws private beliefs from the
    scenario's evidence, so it gets the row's scenario (dotted-path and draft
    axes set, nothing re-validated) and the row's parameters; ``seed`` seeds
    the run, so rows of one replicate share their random numbers.
    """
    from negosim.bargaining.simulate import simulate
    ap = prep.applier
    params, _ = ap.row_arguments(row)
    settings = prep.spec.protocol
    changes = settings.model_dump(exclude_unset=True) if settings is not None else {}
    name = changes.pop("name", None)
    r = simulate(ap.scenario_for(row), name, seed=seed, params=params, **changes)
    out = {"agreement": bool(r.agreement), "reason": r.reason}
    out["agreement_round"] = int(r.round) if r.agreement else -1
    out["agreement_package"] = _package_json(r.package) if r.agreement else None
    for p in prep.parties:
        out[f"agreement_utility_{p}"] = float(r.utilities[p]) if r.agreement else math.nan
    return out
