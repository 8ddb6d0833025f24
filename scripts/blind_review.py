"""A blind second reading of the evidence grades (issue 13, item 9).

``sample`` draws numbers of the shipped scenarios that cite a quote (every
deciding number, then others at random with a fixed seed) and writes a sheet
with what a reader needs to grade each one — its path and meaning, its value or
range, the article, the quote and the claim — but not the grade the scenario
gives it. ``score`` compares a reader's grades with the scenarios' grades and
prints the agreement rate and the confusion table.

    python scripts/blind_review.py sample --n 70 -o out/blind_sheet.json
    python scripts/blind_review.py score out/blind_sheet.json out/blind_grades.json

The reader's file is a list of ``{"n": ..., "grade": "states|implies|context|wrong",
"reason": "..."}`` (``wrong``: the quote is about something else).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS = ["freeze_2025_04", "ukraine_counter_2025_04", "plan28_2025_11", "framework20_2025_12",
          "framework20_russia_2025_12"]
GRADES = ("states", "implies", "context", "wrong")


def _quoted(seed: int, n: int) -> list[dict]:
    from negosim.scenario.provenance import provenance
    from negosim.scenario.yaml_io import load_scenario
    seen, deciding, rest = set(), [], []
    for name in ROUNDS:
        ls = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        report = provenance(ls)
        decide = set(report.to_json().get("deciding", {}).get("items", []))
        for it in report.items:
            if not it.quote:
                continue
            key = (it.path, it.value, it.low, it.high, it.quote, it.claim)
            if key in seen:
                continue  # the same number inherited by several rounds is read once
            seen.add(key)
            row = {"scenario": name, "path": it.path, "value": it.value, "low": it.low, "high": it.high,
                   "article": it.file, "quote": it.quote, "claim": it.claim, "_grade": it.supports}
            (deciding if it.path in decide else rest).append(row)
    rng = random.Random(seed)
    rng.shuffle(rest)
    rows = deciding + rest[:max(0, n - len(deciding))]
    for i, r in enumerate(rows, 1):
        r["n"] = i
    return rows


def sample(args) -> int:
    rows = _quoted(args.seed, args.n)
    sheet = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    key = {r["n"]: r["_grade"] for r in rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(sheet, indent=1))
    Path(args.out).with_suffix(".key.json").write_text(json.dumps(key, indent=1))
    print(f"wrote {len(sheet)} numbers to {args.out} (grades kept apart in {Path(args.out).with_suffix('.key.json')})")
    return 0


def score(args) -> int:
    key = {int(k): v for k, v in json.loads(Path(args.sheet).with_suffix(".key.json").read_text()).items()}
    theirs = {int(g["n"]): g["grade"] for g in json.loads(Path(args.grades).read_text())}
    pairs = [(key[n], theirs[n]) for n in sorted(theirs) if n in key]
    agree = sum(a == b for a, b in pairs)
    supported = {"states", "implies"}
    agree_sourced = sum((a in supported) == (b in supported) for a, b in pairs)
    print(f"{len(pairs)} numbers graded blind; exact agreement {agree}/{len(pairs)} "
          f"({100 * agree / len(pairs):.0f} %); agreement on sourced (states/implies) or not "
          f"{agree_sourced}/{len(pairs)} ({100 * agree_sourced / len(pairs):.0f} %)")
    table = Counter(pairs)
    print("scenario grade -> reader's grade: " + ", ".join(f"{a}->{b}: {c}" for (a, b), c in sorted(table.items())))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(required=True)
    s = sub.add_parser("sample")
    s.add_argument("--n", type=int, default=70)
    s.add_argument("--seed", type=int, default=2026)
    s.add_argument("-o", "--out", required=True)
    s.set_defaults(func=sample)
    c = sub.add_parser("score")
    c.add_argument("sheet")
    c.add_argument("grades")
    c.set_defaults(func=score)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
