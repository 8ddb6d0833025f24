"""Markdown tables for docs/performance.md from the benchmark's JSON files.

``python benchmarks/doc_tables.py [DEV.json [QUIET.json]]`` prints each table
with the figures of two runs side by side, "dev / quiet" (defaults:
``results/analysis.json`` and ``results/analysis_2core_quiet.json``), so the
page can be refreshed after a new run without copying numbers by hand.

Example
-------
>>> seconds(0.0461), seconds(12.47), seconds(390.1)
('46 ms', '12.5 s', '390 s')
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def seconds(x) -> str:
    if x is None:
        return "–"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    return f"{x:.1f} s" if x < 100 else f"{x:.0f} s"


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _head(cols, left: int = 1) -> list[str]:
    return [_row(cols), _row(["---"] * left + ["---:"] * (len(cols) - left))]


def _pair(d: dict, q: dict, fmt) -> str:
    return f"{fmt(d)} / {fmt(q)}"


def table_1m(d: dict, q: dict) -> list[str]:
    out = _head(["kind", "zone", "front", "negosim cold", "negosim warm", "reference", "reference time",
                 "speed-up", "agree"])
    for kind, a in d["a"].items():
        b = q["a"][kind]
        ref, refq = a["reference"], b["reference"]
        quiet_ref = seconds(refq["total_s"])
        if refq["packages"] != a["packages"]:
            quiet_ref += f" ({refq['packages']:,} packages)"
        ratio = "not a peer" if a["ratio"] is None or "brute" in ref["name"] else f"{a['ratio']:.0f}× / {b['ratio']:.0f}×"
        agree = all(c["ok"] for c in ref["checks"] + refq["checks"])
        out.append(_row([kind, f"{a['zone_size']:,}", f"{a['pareto_size']:,}",
                         _pair(a, b, lambda r: seconds(r["negosim"]["cold"]["first_call_s"])),
                         _pair(a, b, lambda r: seconds(r["negosim"]["median_s"])),
                         ref["name"].split(" (")[0], f"{seconds(ref['total_s'])} / {quiet_ref}", ratio,
                         "yes" if agree else "**NO**"]))
    return out


def table_268m(d: dict, q: dict) -> list[str]:
    out = _head(["kind", "zone", "front", "no front", "with front", "peak memory", "over baseline"])

    def mem(r, key):
        return f"{max(r['memory_no_front'][key], r['memory_front'][key]):.0f} MiB" if "memory_front" in r else "–"
    for kind, a in d["b"].items():
        b = q["b"][kind]
        out.append(_row([kind, f"{a['zone_size']:,}", f"{a['pareto_size']:,}",
                         _pair(a, b, lambda r: seconds(r["no_front_s"])), _pair(a, b, lambda r: seconds(r["front_s"])),
                         _pair(a, b, lambda r: mem(r, "peak_mib")), _pair(a, b, lambda r: mem(r, "delta_mib"))]))
    return out


def table_bars(d: dict, q: dict) -> list[str]:
    out = _head(["bar", "limit", "dev", "quiet"])
    quiet = {b["bar"]: b for b in q["bars"]}

    def shown(b):
        if b is None:
            return "–"
        v = seconds(b["value"]) if b["unit"] == "s" else f"{b['value']:.0f} MiB"
        return v + (" pass" if b["pass"] else " **FAIL**")
    for b in d["bars"]:
        limit = seconds(b["limit"]) if b["unit"] == "s" else f"{b['limit'] / 1024:.0f} GiB"
        out.append(_row([b["bar"], limit, shown(b), shown(quiet.get(b["bar"]))]))
    return out


def table_growth(d: dict, q: dict, key: str) -> list[str]:
    out = _head(["parties", "provisions", "packages", "zone", "front", "no front", "with front"], left=0)
    for a, b in zip(d["c"][key], q["c"][key]):
        out.append(_row([a["parties"], a["provisions"], f"{a['packages']:,}", f"{a['zone_size']:,}",
                         f"{a['pareto_size']:,}", _pair(a, b, lambda r: seconds(r["no_front_s"])),
                         _pair(a, b, lambda r: seconds(r["front_s"]))]))
    return out


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    dev = Path(argv[0]) if argv else HERE / "results" / "analysis.json"
    quiet = Path(argv[1]) if len(argv) > 1 else HERE / "results" / "analysis_2core_quiet.json"
    d, q = json.loads(dev.read_text()), json.loads(quiet.read_text())
    print(f"load average: dev {d['machine']['load_start'][0]:.1f} at start, {d['machine']['load_end'][0]:.1f} "
          f"at end; quiet {q['machine']['load_start'][0]:.1f} / {q['machine']['load_end'][0]:.1f}\n")
    for title, lines in (("1M packages", table_1m(d, q)), ("268M packages", table_268m(d, q)),
                         ("bars", table_bars(d, q)), ("growth with provisions", table_growth(d, q, "by_provisions")),
                         ("growth with parties", table_growth(d, q, "by_parties"))):
        print(f"<!-- {title} (dev / quiet) -->")
        print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
