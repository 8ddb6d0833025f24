"""The out-of-sample tables of docs/calibration.md ("Out of sample"), from the shipped files.

Two calibrations of the five shipped rounds against scenarios/observations.yaml:

1. fitted on the April 2025 observations only, predicting November and December: each
   prediction's posterior probability of acceptance, the observed verdict and whether it is
   a hit (p_accept >= 0.5 on the observed side);
2. leave one round out: each round held out in turn, fitted on the other two; the hit rate
   per held-out round and over all of them.

It prints the markdown; ``--write`` puts it into docs/calibration.md between
``<!-- calibrate-table:start -->`` and ``<!-- calibrate-table:end -->`` (the prose around
it is written by hand). Regenerate after the party numbers change.

Run: ``.venv/bin/python scripts/calibration_table.py [--draws 100000] [--seed 0] [--write]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from negosim.calibration.calibrate import calibrate  # noqa: E402
from negosim.calibration.observations import load_observations  # noqa: E402
from negosim.scenario.yaml_io import load_scenario  # noqa: E402

ROUNDS = ["freeze_2025_04", "ukraine_counter_2025_04", "plan28_2025_11", "framework20_2025_12",
          "framework20_russia_2025_12"]
DOC = ROOT / "docs" / "calibration.md"
START, END = "<!-- calibrate-table:start -->", "<!-- calibrate-table:end -->"


def _commit() -> str:
    """The commit the tables are made on, with a note when the scenario files differ from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "scenarios")
    return head + (" (with uncommitted changes to scenarios/)" if dirty else "")


def _p(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def _q(q: dict) -> str:
    return "-" if q["low"] is None else f"{q['low']:.3f} / {q['median']:.3f} / {q['high']:.3f}"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2g} %" if x < 0.01 else f"{100 * x:.1f} %"


def _hit(o) -> str:
    return "-" if o.hit is None else "hit" if o.hit else "**miss**"


def tables(draws: int, seed: int) -> str:
    loaded = [load_scenario(ROOT / "scenarios" / f"{n}.yaml") for n in ROUNDS]
    obs = load_observations(ROOT / "scenarios" / "observations.yaml",
                            scenarios={ls.path.resolve(): ls for ls in loaded})
    rounds = obs.rounds
    out = [f"Made by `scripts/calibration_table.py` on commit {_commit()}: {draws:,} draws, seed {seed}, "
           "the five shipped rounds and `scenarios/observations.yaml`.", ""]
    april = calibrate(loaded, obs, draws=draws, seed=seed, hold_out=[r for r in rounds if r != "2025-04"],
                      solutions=False)
    fitted = sum(o.role == "fitted" for o in april.observations)
    out += [f"**Fitted on April 2025 only** ({fitted} observations): kept {april.kept:,} of {april.draws:,} "
            f"draws ({_pct(april.share)}); hit rate {_rate(april.predictions)}, without the red-line ones "
            f"{_rate([o for o in april.predictions if not o.red_line])}.", "",
            "| held-out observation | draft | party | grade | observed | p_accept | 95 % interval | hit | red line |",
            "|---|---|---|---|---|---|---|---|---|"]
    for o in april.predictions:
        ci = "-" if o.ci is None else f"{o.ci[0]:.3f}-{o.ci[1]:.3f}"
        out.append(f"| `{o.id}` | {o.scenario} | {o.party} | {o.supports} | "
                   f"{'accepts' if o.observed else 'does not'} | {_p(o.p_accept)} | {ci} | {_hit(o)} | "
                   f"{'yes' if o.red_line else ''} |")
    prior = calibrate(loaded, obs, draws=draws, seed=seed, hold_out=rounds, solutions=False)
    out += ["", "Every observation under the prior (nothing fitted; every draw kept):", "",
            "| observation | round | party | observed | prior p_accept | red line |", "|---|---|---|---|---|---|"]
    for o in prior.observations:
        out.append(f"| `{o.id}` | {o.round} | {o.party} | {'accepts' if o.observed else 'does not'} | "
                   f"{_p(o.p_accept)} | {'yes' if o.red_line else ''} |")
    out += ["", "What the April fit does to the uncertain deciding numbers (5 % / median / 95 %):", "",
            "| deciding number | stretch | prior | posterior |", "|---|---|---|---|"]
    for name, q in april.prior.items():
        if april.widening[name] is not None:
            out.append(f"| `{name}` | x{april.widening[name]:g} | {_q(q)} | {_q(april.posterior[name])} |")
    out += ["", "**Leave one round out** (fitted on the other two rounds):", "",
            "| held-out round | fitted on | kept | predictions | hits | hit rate | without red-line ones | misses |",
            "|---|---|---|---|---|---|---|---|"]
    pooled, pooled_free = [], []
    for r in rounds:
        c = calibrate(loaded, obs, draws=draws, seed=seed, hold_out=[r], solutions=False)
        preds = c.predictions
        free = [o for o in preds if not o.red_line]
        pooled += preds
        pooled_free += free
        misses = ", ".join(f"`{o.id}` ({_p(o.p_accept)}, {o.ci[0]:.2f}-{o.ci[1]:.2f})" for o in preds
                           if o.hit is False) or "none"
        out.append(f"| {r} | {', '.join(x for x in rounds if x != r)} | {c.kept:,} ({_pct(c.share)}) | {len(preds)} | "
                   f"{sum(bool(o.hit) for o in preds)} | {_p(c.hit_rate)} | {_rate(free)} | {misses} |")
    out.append(f"| **all** | | | {len(pooled)} | {sum(bool(o.hit) for o in pooled)} | {_rate(pooled)} | "
               f"{_rate(pooled_free)} | |")
    return "\n".join(out) + "\n"


def _rate(preds) -> str:
    if not preds or any(o.hit is None for o in preds):
        return "-"
    return f"{sum(o.hit for o in preds)}/{len(preds)} = {sum(o.hit for o in preds) / len(preds):.3f}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", action="store_true", help="write the tables into docs/calibration.md")
    args = ap.parse_args(argv)
    text = tables(args.draws, args.seed)
    if not args.write:
        print(text, end="")
        return
    doc = DOC.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        raise SystemExit(f"{DOC}: the markers {START} and {END} are missing")
    head, rest = doc.split(START, 1)
    DOC.write_text(head + START + "\n" + text + rest[rest.index(END):], encoding="utf-8")
    print(f"wrote the tables into {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
