#!/usr/bin/env python3
"""Apply known faults to a scratch copy of negosim and check that the test suite kills each one.

Each mutant is a real fault a careless edit could make (a dropped tolerance, a
red-line mask ignored, a hash check skipped). The script copies the repository
to a temporary folder, applies one mutant's text edit there, runs the tests
that should catch it, and prints ``killed`` (some test failed) or ``survived``
(every test passed: the suite is blind to that fault). Exit code 0 only when
every mutant is killed.

An edit that no longer applies (the original text is not in the file, or is
there more than once) is reported as ``stale``: the mutant must be updated to
the code as it is now, and the script fails, so a refactor cannot quietly
retire a mutant.

Usage::

    .venv/bin/python scripts/mutants.py            # every mutant
    .venv/bin/python scripts/mutants.py --list     # names only
    .venv/bin/python scripts/mutants.py NAME ...   # only these

Example
-------
>>> m = MUTANTS[0]
>>> m.name, m.file
('linkage-bonus-dropped', 'negosim/engine/compiled.py')
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    """One fault: each ``(file, old, new)`` edit replaces ``old`` (found exactly once) by ``new``."""

    name: str
    why: str
    edits: tuple[tuple[str, str, str], ...]
    tests: tuple[str, ...]

    @property
    def file(self) -> str:
        return self.edits[0][0]

    @property
    def old(self) -> str:
        return self.edits[0][1]


AGREEMENT = ("tests/test_reference_agreement.py",)
SWEEP = ("tests/test_hostile_sweep.py", "tests/test_sweep_run.py")

MUTANTS: list[Mutant] = [
    Mutant("linkage-bonus-dropped", "a linkage's bonus never added",
           (("negosim/engine/compiled.py", "util[:, t.party] += np.where(hit, gain, 0.0)", "util[:, t.party] += 0.0"),),
           AGREEMENT),
    Mutant("red-line-mask-dropped", "red lines never marked",
           (("negosim/engine/compiled.py", "red[t.party] |= hit", "pass"),), AGREEMENT),
    Mutant("tolerance-dropped", "the acceptance tolerance set to zero",
           (("negosim/engine/compiled.py", "TOLERANCE = 1e-9", "TOLERANCE = 0.0"),), AGREEMENT),
    Mutant("acceptance-strict", "accepting only strictly above the reservation (tolerance dropped)",
           (("negosim/engine/compiled.py", "TOLERANCE = 1e-9", "TOLERANCE = 0.0"),
            ("negosim/engine/compiled.py", "    return u >= thr\n", "    return u > thr\n")),
           AGREEMENT),
    Mutant("b-half-red-lines-ignored-for-list-veto", "red lines in the B half ignored for a party with a veto list",
           (("negosim/engine/kernels.py", "red = redA[a] | redB[b]", "red = redA[a] | (redB[b] & always)"),),
           AGREEMENT),
    Mutant("list-refs-first-option-only", "list-valued option references keeping only their first option",
           (("negosim/engine/compiled.py", "for o in ([ref] if isinstance(ref, str) else ref):",
             "for o in ([ref] if isinstance(ref, str) else ref[:1]):"),), AGREEMENT),
    Mutant("nash-ignores-power", "the weighted Nash point ignoring bargaining power",
           (("negosim/engine/solutions.py", "return np.prod(g ** power[bargainers], axis=1)", "return np.prod(g, axis=1)"),),
           AGREEMENT),
    Mutant("repair-nash-ignores-power", "repairs ranked by a Nash product that ignores power",
           (("negosim/engine/kernels.py", "prod *= g ** power[p]", "prod *= g"),), AGREEMENT),
    Mutant("repair-tie-break-reversed", "the repair tie-break reversed",
           (("negosim/engine/analysis.py", "found.sort(key=lambda t: (-t[0], t[1]))",
             "found.sort(key=lambda t: (-t[0], -t[1]))"),), AGREEMENT),
    Mutant("repair-tie-break-reversed-in-kernel", "the repair tie-break reversed inside the kernel",
           (("negosim/engine/kernels.py", "idxB[wb] < idxB[b]", "idxB[wb] > idxB[b]"),), AGREEMENT),
    Mutant("agent-accepts-across-red-line", "an agent accepting a package across its own red line",
           (("negosim/bargaining/agents.py", "self.accepts = bool(accepts(utility, red,", "self.accepts = bool(accepts(utility, False,"),),
           ("tests/test_bargaining.py",)),
    Mutant("resume-skips-spec-hash", "resume skipping the spec hash check",
           (("negosim/sweep/store.py", 'MATCH = ("spec_sha256", "scenario_sha256", "negosim_version")',
             'MATCH = ("scenario_sha256", "negosim_version")'),), SWEEP),
    Mutant("resume-skips-scenario-hash", "resume not comparing scenario_sha256",
           (("negosim/sweep/store.py", 'MATCH = ("spec_sha256", "scenario_sha256", "negosim_version")',
             'MATCH = ("spec_sha256", "negosim_version")'),), SWEEP),
    Mutant("sampling-ignores-spawn-key", "sampling ignoring the seed's spawn_key",
           (("negosim/uncertainty/sampling.py", "spawn_key=tuple(root.spawn_key) + (path_key(path),)",
             "spawn_key=(path_key(path),)"),), ("tests/test_uncertainty.py",)),
]


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis", "out",
                                   "*.egg-info", "experiments/out")
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def apply(m: Mutant, tree: Path) -> bool:
    """Apply the mutant's edit in ``tree``; False when the edit is stale."""
    for file, old, new in m.edits:
        path = tree / file
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            return False
        path.write_text(text.replace(old, new), encoding="utf-8")
    return True


def run_mutant(m: Mutant, timeout: float) -> tuple[str, float, str]:
    """Return (status, seconds, detail): status is killed, survived, stale or timeout."""
    with tempfile.TemporaryDirectory(prefix=f"mutant-{m.name}-") as tmp:
        tree = Path(tmp) / "repo"
        _copy_tree(tree)
        if not apply(m, tree):
            return "stale", 0.0, "an edit's text is not there exactly once: update the mutant to the code"
        # NEGOSIM_NO_SHRINK: a failing hypothesis example is enough, shrinking it only costs time.
        env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(Path(tmp) / "numba"),
                   NEGOSIM_NO_SHRINK="1")
        env.pop("NEGOSIM_DEBUG", None)
        # The editable install points at the real tree: PYTHONPATH puts the mutated copy first, and
        # the first test run checks that (a mutant run against the real code would prove nothing).
        probe = subprocess.run([sys.executable, "-c", "import negosim; print(negosim.__file__)"],
                               capture_output=True, text=True, cwd=tree, env=env)
        if not probe.stdout.strip().startswith(str(tree)):
            return "error", 0.0, f"negosim imports from {probe.stdout.strip()!r}, not the mutated copy"
        t0 = time.perf_counter()
        try:
            r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                "--no-header", *m.tests], capture_output=True, text=True, cwd=tree,
                               env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout", time.perf_counter() - t0, "the tests did not finish"
        dt = time.perf_counter() - t0
        last = (r.stdout.strip().splitlines() or [""])[-1]
        if r.returncode == 0:
            return "survived", dt, last
        if r.returncode in (1, 2) and ("failed" in last or "error" in last):
            return "killed", dt, last
        return "error", dt, f"pytest exit {r.returncode}: {last}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check that the test suite kills every known mutant.")
    ap.add_argument("names", nargs="*", help="only these mutants (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per mutant (default 900)")
    args = ap.parse_args(argv)
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:40} {m.why}")
        return 0
    known = {m.name for m in MUTANTS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"unknown mutant(s): {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    bad = 0
    for m in chosen:
        status, dt, detail = run_mutant(m, args.timeout)
        bad += status != "killed"
        print(f"{status:8} {m.name:40} {dt:6.1f} s  {detail}", flush=True)
    print(f"{len(chosen) - bad} of {len(chosen)} mutants killed")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
