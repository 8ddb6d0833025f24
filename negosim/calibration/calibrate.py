"""Calibration by rejection: the draws of the numbers that reproduce what the parties did.

:func:`calibrate` draws every uncertain number of a set of scenario files,
keeps the draws in which every observation not held out is reproduced (the
party's verdict on that file's draft is the reported one), and reports the
prior and posterior ranges of the deciding numbers, the posterior probability
that each party accepts each file's draft and solution points, and for every
held-out observation the posterior probability of acceptance: an
out-of-sample prediction.

How numbers are drawn
---------------------
- **Wider where support is weaker.** An uncertain number's evidence range is
  stretched around its point by a factor of its grade (:data:`WIDENING`):
  *states* 1, *implies* 1.5, *context* 2; a sourced number not yet graded 1.5,
  an assumption (no quote) 2. Each side of the range is stretched from the
  point and clipped to the number's allowed bounds (:func:`allowed_bounds`);
  triangular modes stay, a normal's sd is stretched too, a beta is rescaled
  to the stretched support. Point numbers stay points.
- **One draw per number path.** The uniforms of a number come from the stream
  keyed by its document path and the seed
  (:func:`negosim.uncertainty.sampling.uniforms`, chunk by chunk with ``start=``), and are drawn once per path
  for all files: files that share a number (the rounds extend ``base.yaml``)
  share its draws; a number a round overrides is drawn at the same quantile of
  its own range. Draw ``s`` is the same whatever the chunking.
- **The engine's draw axis.** The rows of drawn numbers of a chunk go through
  :meth:`negosim.engine.compiled.NumberLayout.derive` (parameter effects,
  clipping, renormalised weights, and any reservation the engine derives) and
  the verdicts through :func:`negosim.uncertainty.sampling.accepts_draws`, the
  one acceptance rule.

Example
-------
>>> widened(Number.model_validate({"low": 0.2, "high": 0.6}), 1.5, (0.0, 1.0)).bounds
(0.09999999999999998, 0.7)
>>> widening_factor(Number.model_validate({"low": 0.2, "high": 0.6, "assumption": "none reported"}))
2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from negosim.errors import NegosimError
from negosim.scenario.numbers import FIELD_BOUNDS, Number, clip_bounds, dotted_name

#: Factor of the evidence range by grade of support (see the module doc).
WIDENING = {"states": 1.0, "implies": 1.5, "context": 2.0, "ungraded": 1.5, "assumption": 2.0}
#: Quantiles reported as a range's low, median and high.
QUANTILES = (0.05, 0.5, 0.95)
#: Draws derived at once: bounds the memory of the stacked tables (about 6 MB per group of files
#: at 4 parties and 23 provisions) and keeps them in cache (2,048 is fastest there; 8,192 half as fast).
CHUNK = 2048


# --------------------------------------------------------------------------- drawing

def widening_factor(num: Number) -> float:
    """How much a number's evidence range is stretched, from its grade of support."""
    if num.supports is not None:
        return WIDENING[num.supports]
    return WIDENING["ungraded" if num.sourced else "assumption"]


def allowed_bounds(scenario, path: tuple) -> tuple[float, float]:
    """The values a number at ``path`` may take: a party number's field bounds, a parameter's
    range, [0, 1] for a no-deal probability or cost, unbounded otherwise (effects).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> allowed_bounds(random_scenario(parties=2, provisions=2, options=2, seed=0), ("parties", "p0", "weights", "x0"))
    (0.0, inf)
    """
    if path[0] == "parties" and path[2] in FIELD_BOUNDS:
        return clip_bounds(path[2])
    if path[0] == "parameters" and path[2] == "value":
        lo, hi = scenario.parameters[path[1]].range
        return (float(lo), float(hi))
    if path[0] == "no_deal":
        return (0.0, 1.0)
    return (-math.inf, math.inf)


def widened(num: Number, factor: float, bounds: tuple[float, float]) -> Number:
    """``num`` with its evidence range stretched by ``factor`` around its point, within ``bounds``."""
    if factor == 1.0 or not num.uncertain:
        return num
    c = num.point
    lo_b, hi_b = bounds

    def stretch(lo, hi):
        return max(lo_b, c - factor * (c - lo)), min(hi_b, c + factor * (hi - c))
    update: dict = {}
    if num.low is not None:
        update["low"], update["high"] = stretch(num.low, num.high)
    elif num.dist == "beta":  # a beta without low/high spans [0, 1]
        update["low"], update["high"] = stretch(0.0, 1.0)
    if num.dist == "normal":
        update["sd"] = num.sd * factor
    return num.model_copy(update=update)


@dataclass
class _File:
    """One scenario file prepared for drawing."""

    loaded: object
    name: str
    round: str
    sampler: object
    packages: dict[str, np.ndarray]
    solutions: dict[str, dict | None]


@dataclass
class _Group:
    """Files whose numbers and structure are the same but for the draft (e.g. the two April
    files): their tables are derived once per chunk and their packages scored together."""

    sampler: object
    columns: list[int]            # uncertain columns
    numbers: list[Number]         # their widened numbers
    files: list[int]
    slices: list[slice]           # each file's packages within X
    X: np.ndarray


def _prepare(loaded, solutions: bool) -> _File:
    from negosim.calibration.observations import scenario_round_of
    from negosim.uncertainty.sampling import Sampler
    s = loaded.scenario
    sm = Sampler(s)
    packages = {"draft": sm.base.draft}
    sols: dict[str, dict | None] = {}
    if solutions:
        from negosim.engine.analysis import analyze
        a = analyze(loaded, top=0, pareto=False)
        for name, sol in a.solutions.items():
            sols[name] = None if sol is None else {
                "index": sol.index, "package": sol.package, "utilities": sol.utilities,
                "changes": {p: o for p, o in sol.package.items() if s.draft[p] != o}}
            if sol is not None:
                packages[name] = np.asarray(sm.base.space.decode_one(sol.index), dtype=np.int64)
    return _File(loaded, s.name, scenario_round_of(s.name), sm, packages, sols)


def _groups(prepared: list[_File]) -> list[_Group]:
    """Files grouped by everything but name, description and draft (what the tables derive from)."""
    keys: dict[str, list[int]] = {}
    for fi, f in enumerate(prepared):
        key = f.loaded.scenario.model_dump_json(exclude={"name", "description", "draft"})
        keys.setdefault(key, []).append(fi)
    out = []
    for fis in keys.values():
        sm = prepared[fis[0]].sampler
        s = sm.scenario
        cols = list(sm.uncertain)
        nums = [widened(sm.numbers[k], widening_factor(sm.numbers[k]), allowed_bounds(s, sm.paths[k]))
                for k in cols]
        X = np.concatenate([np.stack(list(prepared[fi].packages.values())) for fi in fis])
        ends = np.cumsum([len(prepared[fi].packages) for fi in fis])
        out.append(_Group(sm, cols, nums, fis, [slice(e - len(prepared[fi].packages), e)
                                               for fi, e in zip(fis, ends)], X))
    return out


# --------------------------------------------------------------------------- result

def _quantiles(x: np.ndarray) -> dict:
    if len(x) == 0:
        return {"low": None, "median": None, "high": None}
    lo, med, hi = np.quantile(x, QUANTILES)
    return {"low": float(lo), "median": float(med), "high": float(hi)}


@dataclass
class Prediction:
    """An observation and the posterior probability that its party accepts its file's draft."""

    id: str
    scenario: str
    party: str
    round: str
    observed: bool
    supports: str
    role: str            # "fitted" (kept draws reproduce it), "held_out" or "context"
    k: int               # kept draws in which the party accepts
    kept: int
    red_line: bool       # a red line of the party fires on the draft: no number can change the verdict

    @property
    def p_accept(self) -> float | None:
        return self.k / self.kept if self.kept else None

    @property
    def hit(self) -> bool | None:
        """p_accept >= 0.5 on the observed side (None without kept draws)."""
        p = self.p_accept
        if p is None:
            return None
        return p >= 0.5 if self.observed else 1 - p >= 0.5

    @property
    def ci(self) -> tuple[float, float] | None:
        """The Wilson 95 % interval of p_accept (few kept draws: a wide one)."""
        from negosim.uncertainty.sampling import wilson
        return wilson(self.k, self.kept) if self.kept else None

    def to_json(self) -> dict:
        return {"id": self.id, "scenario": self.scenario, "party": self.party, "round": self.round,
                "p_accept": self.p_accept, "ci": None if self.ci is None else list(self.ci),
                "observed": self.observed, "hit": self.hit, "supports": self.supports,
                "role": self.role, "red_line": self.red_line}


@dataclass
class Calibration:
    """What :func:`calibrate` found (``to_json`` is the ``negosim calibrate --json`` contract).

    Attributes
    ----------
    draws, kept, seed : int
    held_out : rounds held out.
    prior, posterior : deciding number -> ``{low, median, high}`` (5 %, 50 %, 95 % quantiles of
        all draws / of the kept draws; None where nothing is kept).
    widening : deciding number -> the factor its range was stretched by (None for a point).
    observations : every observation of the files given, with its role and posterior p_accept.
    skipped : ids of observations whose scenario is not among the files.
    scenarios : per file: name, round, file, solution points, and per package
        (draft, solution points) each party's posterior probability of accepting and
        that of every needed party.
    """

    draws: int
    kept: int
    seed: int | None
    held_out: list[str]
    prior: dict[str, dict]
    posterior: dict[str, dict]
    widening: dict[str, float | None]
    observations: list[Prediction]
    skipped: list[str]
    scenarios: list[dict] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.kept / self.draws if self.draws else None

    @property
    def predictions(self) -> list[Prediction]:
        """The held-out observations (states or implies), the out-of-sample predictions."""
        return [o for o in self.observations if o.role == "held_out"]

    @property
    def hit_rate(self) -> float | None:
        hits = [o.hit for o in self.predictions]
        if not hits or any(h is None for h in hits):
            return None
        return sum(hits) / len(hits)

    def to_json(self) -> dict:
        return {"draws": self.draws, "kept": self.kept, "share": self.share, "seed": self.seed,
                "held_out": self.held_out,
                "posterior": self.posterior, "prior": self.prior, "widening": self.widening,
                "predictions": [o.to_json() for o in self.predictions],
                "hit_rate": self.hit_rate,
                "observations": [o.to_json() for o in self.observations], "skipped": self.skipped,
                "scenarios": self.scenarios}


# --------------------------------------------------------------------------- the computation

def calibrate(files, observations, draws: int = 20_000, seed: int = 0, hold_out=(), solutions: bool = True,
              progress=None) -> Calibration:
    """Keep the draws of the uncertain numbers that reproduce the observations not held out.

    Parameters
    ----------
    files : scenario files (paths or LoadedScenario), e.g. every round.
    observations : an :class:`~negosim.calibration.observations.Observations` (or its path).
    draws : number of draws (0 or more).
    seed : root seed of the draws.
    hold_out : rounds whose observations are predicted instead of fitted.
    solutions : also analyse each file (exactly, at its point values) for its solution
        points, and report their posterior probabilities of acceptance.
    progress : optional callable ``(done, total)`` in draws.

    Returns
    -------
    Calibration
    """
    from negosim.calibration.observations import Observations, load_observations
    from negosim.scenario.yaml_io import load_scenario
    from negosim.uncertainty.sampling import accepts_draws, ppf, root_seed, uniforms
    if draws < 0:
        raise NegosimError("the number of draws must be 0 or more")
    loaded = [load_scenario(f) if isinstance(f, (str, Path)) else f for f in files]
    if not isinstance(observations, Observations):
        observations = load_observations(observations, scenarios={ls.path.resolve(): ls for ls in loaded})
    held = list(dict.fromkeys(hold_out))
    for r in held:
        if r not in observations.rounds:
            raise NegosimError(f"--hold-out {r}: no observation of that round (rounds: "
                               f"{', '.join(observations.rounds)})")
    prepared = [_prepare(ls, solutions) for ls in loaded]
    by_path = {ls.path.resolve(): i for i, ls in enumerate(loaded)}
    # (file index, party index, accepts, role) of every observation of a file given.
    obs_rows, listed, skipped = [], [], []
    for o in observations.items:
        fi = by_path.get(o.file)
        if fi is None:
            skipped.append(o.obs.id)
            continue
        role = "context" if not o.used else "held_out" if o.round in held else "fitted"
        party = list(prepared[fi].loaded.scenario.parties).index(o.obs.party)
        obs_rows.append((fi, party, o.obs.accepts, role))
        listed.append(o)
    entries = _deciding_entries(prepared)
    groups = _groups(prepared)
    root = root_seed(seed)
    # Each number path is drawn once per chunk for every file that has it uncertain.
    streams = sorted({g.sampler.paths[k] for g in groups for k in g.columns}, key=str)
    kept = 0
    acc = [0] * len(obs_rows)
    counts = [(np.zeros((f.sampler.base.n_parties, len(f.packages)), np.int64),
               np.zeros(len(f.packages), np.int64)) for f in prepared]
    prior_vals, post_vals = [], []
    for s0 in range(0, draws, CHUNK):
        m = min(CHUNK, draws - s0)
        u = {p: uniforms(root, p, m, start=s0) for p in streams}
        rows, oks, needs, xs = {}, [None] * len(prepared), [None] * len(prepared), [None] * len(prepared)
        for g in groups:
            V = np.repeat(g.sampler.points(), m, axis=0)
            for k, num in zip(g.columns, g.numbers):
                V[:, k] = ppf(num, u[g.sampler.paths[k]])
            tables = g.sampler.tables(V)
            ok, needed = accepts_draws(tables, g.X)
            for fi, sl in zip(g.files, g.slices):
                rows[fi], oks[fi], needs[fi], xs[fi] = V, ok[:, :, sl], needed[:, sl], (tables.base, g.X[sl])
        keep = np.ones(m, dtype=bool)
        for fi, party, observed, role in obs_rows:
            if role == "fitted":
                keep &= oks[fi][:, party, 0] == observed
        kept += int(keep.sum())
        for i, (fi, party, _, _) in enumerate(obs_rows):
            acc[i] += int(oks[fi][keep, party, 0].sum())
        for (c_party, c_all), ok, needed, (base, X) in zip(counts, oks, needs, xs):
            c_party += ok[keep].sum(axis=0)
            c_all += base.agreed(ok[keep], needed, X).sum(axis=0)
        vals = np.stack([rows[fi][:, col] for _, fi, col, _ in entries], axis=1) if entries else np.zeros((m, 0))
        prior_vals.append(vals)
        post_vals.append(vals[keep])
        if progress:
            progress(s0 + m, draws)
    prior_all = np.concatenate(prior_vals) if prior_vals else np.zeros((0, len(entries)))
    post_all = np.concatenate(post_vals) if post_vals else np.zeros((0, len(entries)))
    names = [e[0] for e in entries]
    preds = [Prediction(o.obs.id, prepared[fi].name, o.obs.party, o.round, observed, o.obs.supports, role, a, kept,
                        bool(prepared[fi].sampler.base.red_lines_hit(prepared[fi].packages["draft"])[o.obs.party]))
             for o, (fi, _, observed, role), a in zip(listed, obs_rows, acc)]
    return Calibration(
        draws, kept, seed if isinstance(seed, int) else None, held,
        {n: _quantiles(prior_all[:, j]) for j, n in enumerate(names)},
        {n: _quantiles(post_all[:, j]) for j, n in enumerate(names)},
        {e[0]: e[3] for e in entries}, preds, skipped,
        [_scenario_summary(f, c, kept) for f, c in zip(prepared, counts)])


def _deciding_entries(prepared: list[_File]) -> list[tuple[str, int, int, float]]:
    """``(name, file index, column, widening)`` per distinct deciding number.

    A path whose number is the same in every file that has it is one entry named by its
    dotted path; a path that some round overrides gets one entry per version, named
    ``path@ROUNDS`` (the rounds of the files holding that version, joined by '+'), or
    ``path@NAMES`` when rounds do not tell the versions apart.
    """
    from negosim.scenario.provenance import deciding_paths
    versions: dict[str, list[tuple[Number, list[int], int]]] = {}
    for fi, f in enumerate(prepared):
        s = f.loaded.scenario
        for path in deciding_paths(s):
            name = dotted_name(s, path)
            col = f.sampler.index[path]
            num = f.sampler.numbers[col]
            group = versions.setdefault(name, [])
            for i, (n, fis, c) in enumerate(group):
                if n == num:
                    fis.append(fi)
                    break
            else:
                group.append((num, [fi], col))
    out = []
    for name, group in versions.items():
        if len(group) == 1:
            num, fis, col = group[0]
            out.append((name, fis[0], col, _factor(prepared[fis[0]], col)))
            continue
        labels = ["+".join(dict.fromkeys(prepared[i].round for i in fis)) for _, fis, _ in group]
        if len(set(labels)) < len(labels):
            labels = ["+".join(prepared[i].name for i in fis) for _, fis, _ in group]
        for (num, fis, col), label in zip(group, labels):
            out.append((f"{name}@{label}", fis[0], col, _factor(prepared[fis[0]], col)))
    return out


def _factor(f: _File, col: int) -> float | None:
    num = f.sampler.numbers[col]
    return widening_factor(num) if num.uncertain else None


def _scenario_summary(f: _File, counts, kept: int) -> dict:
    c_party, c_all = counts
    parties = list(f.loaded.scenario.parties)
    pk = {}
    for j, name in enumerate(f.packages):
        pk[name] = {"p_accept": {p: (int(c_party[i, j]) / kept if kept else None) for i, p in enumerate(parties)},
                    "p_all": int(c_all[j]) / kept if kept else None}
    return {"name": f.name, "round": f.round, "file": str(f.loaded.path), "solutions": f.solutions,
            "packages": pk}
