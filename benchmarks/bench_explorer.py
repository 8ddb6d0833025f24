"""How fast the explorer page redraws on a 1,048,576-package scenario.

Run ``python benchmarks/bench_explorer.py [--quick] [--no-browser]``. Two parts:

a. **Handlers**, timed in-process on fresh (uncached) settings: what a change
   of draft or of a parameter costs, step by step, as the page does it: the
   verdict table (computed at once); the zone of agreement with its solution
   points (after a change of draft, taken from the finished analysis at the
   same parameter values; after a change of parameter, the exact analysis);
   the draft's minimal repairs (the analysis, in a background thread); the
   frontier and contribution figures rendered to PNG (after the analysis).
   "Page redraw" is the verdict table plus the zone: the issue's 1 s bar.
b. **Browser round trip** (when ``/usr/bin/chromium`` and Playwright are
   there): ``negosim explore`` serving the same scenario, headless chromium
   driven by Playwright: seconds from picking an option (or typing a
   parameter value) until the page shows the verdict table, the zone, the
   repairs and the figures for the new setting.

Scenarios: ``random`` and ``linkage-heavy`` kinds (see ``kinds.py``) of 4
parties x 10 provisions x 4 options with the sample parameters of
:func:`negosim.explorer.sample.sample_scenario`. Figures go to a rich table
and ``benchmarks/results/explorer.json`` (``explorer_quick.json`` with
``--quick``, which uses a 65,536-package space). Exit status 1 when the
median page redraw misses the bar.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import negosim  # noqa: E402
from kinds import KINDS  # noqa: E402
from negosim.explorer.sample import sample_scenario  # noqa: E402
from negosim.explorer.state import Explorer  # noqa: E402
from negosim.plots.style import png_bytes  # noqa: E402

BAR_REDRAW_S = 1.0
KIND_NAMES = ("random", "linkage-heavy")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
DPI = 80  # as the page renders its figures


def scenario(kind: str, quick: bool):
    provisions = 8 if quick else 10
    return sample_scenario(parties=4, provisions=provisions, options=4, seed=0, **KINDS[kind])


def clock(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def next_option(ex: Explorer, draft: dict, j: int) -> tuple[str, str]:
    prov = ex.provisions[j % len(ex.provisions)]
    ids = [o for o, _ in prov.options]
    return prov.id, ids[(ids.index(draft[prov.id]) + 1) % len(ids)]


def handler_steps(ex: Explorer, draft: dict, params: dict, pair) -> dict[str, float]:
    """Seconds of each step the page takes after a change to ``draft``/``params``.

    The zone (size, front, solution points) does not depend on the draft: after
    a change of draft the page shows it from a finished analysis at the same
    parameter values, and only the repairs wait for the new analysis.
    """
    t_verdict, _ = clock(lambda: ex.verdicts(draft, params))
    t_lookup, zone = clock(lambda: ex.zone_for(params))
    t_analysis, _ = clock(lambda: ex.analysis(draft, params))
    t_zone = t_lookup if zone is not None else t_analysis
    t_frontier, _ = clock(lambda: png_bytes(ex.frontier_figure(draft, params, pair), dpi=DPI))
    t_package, _ = clock(lambda: png_bytes(ex.package_figure(draft, params), dpi=DPI))
    return {"verdicts": t_verdict, "zone": t_zone, "repairs": t_analysis, "redraw": t_verdict + t_zone,
            "frontier_png": t_frontier, "package_png": t_package,
            "all": t_verdict + t_analysis + t_frontier}


def bench_handlers(kind: str, quick: bool, repeat: int) -> dict:
    ex = Explorer(scenario(kind, quick))
    draft, params = ex.default_draft(), ex.default_params()
    pair = ex.default_pair()
    handler_steps(ex, draft, params, pair)  # warm-up: numba kernels, first figure
    by_change: dict[str, list[dict]] = {"draft": [], "parameter": []}
    for i in range(repeat):
        prov, opt = next_option(ex, draft, i)
        t_set, draft = clock(lambda: ex.set_option(draft, prov, opt))
        steps = handler_steps(ex, draft, params, pair)
        steps["check_input"] = t_set
        by_change["draft"].append(steps)
        value = 0.1 + 0.8 * (i + 1) / (repeat + 1)
        t_set, params = clock(lambda: ex.set_param(params, "pressure", value))
        steps = handler_steps(ex, draft, params, pair)
        steps["check_input"] = t_set
        by_change["parameter"].append(steps)
    a = ex.analysis(draft, params)
    return {"kind": kind, "space": ex.space_size, "zone": a.zone_size, "pareto": a.pareto_size,
            "median": {change: {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                       for change, rows in by_change.items()},
            "max": {change: {k: max(r[k] for r in rows) for k in rows[0]} for change, rows in by_change.items()}}


# --------------------------------------------------------------------------- browser

def browser_available() -> bool:
    if not Path(CHROMIUM).exists():
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def _wait(check, timeout: float = 120.0) -> float:
    """Seconds until ``check()`` is true (polling every 10 ms)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            if check():
                return time.perf_counter() - t0
        except Exception:  # the page may be mid-update
            pass
        time.sleep(0.01)
    raise TimeoutError("the page did not update in time")


def _shown(pg, body: str, key_id: str) -> bool:
    """Whether ``body`` shows current (not stale) results for the settings ``key_id``."""
    return pg.locator(f"{body}[data-key='{key_id}']:not(.stale)").count() == 1


def bench_browser(kind: str, quick: bool, repeat: int) -> dict:
    from negosim.explorer.server import free_port
    from playwright.sync_api import sync_playwright
    folder = Path(tempfile.mkdtemp(prefix="bench-explorer-"))
    path = folder / f"{kind}.yaml"
    negosim.dump(scenario(kind, quick), path)
    ex = Explorer(path)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "negosim", "explore", str(path), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    rows = {"draft": [], "parameter": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            pg = browser.new_page(viewport={"width": 1360, "height": 1000})
            _wait(lambda: _try_goto(pg, f"http://127.0.0.1:{port}/"), timeout=120)
            draft, params = ex.default_draft(), ex.default_params()
            t_load = _wait(lambda: _shown(pg, ".explorer-figure-body", ex.key_id(ex.key(draft, params))))
            for i in range(repeat):
                prov, opt = next_option(ex, draft, i)
                draft = ex.set_option(draft, prov, opt)
                want = ex.key_id(ex.key(draft, params))
                label = dict(next(s for s in ex.provisions if s.id == prov).options)[opt]
                pg.locator(f".provision--{prov}").click()
                item = pg.locator(".menuable__content__active .v-list-item", has_text=label).first
                item.wait_for()
                t0 = time.perf_counter()
                item.click()
                rows["draft"].append(_times(pg, t0, want, ex.params_id(params)))
                value = round(0.1 + 0.8 * (i + 1) / (repeat + 1), 4)
                params = ex.set_param(params, "pressure", value)
                want = ex.key_id(ex.key(draft, params))
                box = pg.locator(".param-input--pressure input")
                box.fill(str(value))
                t0 = time.perf_counter()
                box.press("Enter")
                rows["parameter"].append(_times(pg, t0, want, ex.params_id(params)))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"kind": kind, "first_load_to_figures": t_load,
            "median": {c: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for c, rs in rows.items()}}


def _try_goto(pg, url) -> bool:
    pg.goto(url)
    pg.locator("#verdict-table").wait_for(timeout=60_000)
    return True


def _times(pg, t0: float, key_id: str, params_id: str) -> dict[str, float]:
    out = {}
    for name, body, kid in (("verdicts", ".explorer-verdict-body", key_id), ("zone", ".explorer-zone-body", params_id),
                            ("repairs", ".explorer-repairs-body", key_id),
                            ("figures", ".explorer-figure-body", key_id)):
        _wait(lambda: _shown(pg, body, kid))
        out[name] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------------- report

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="65,536 packages, fewer repeats")
    ap.add_argument("--no-browser", action="store_true", help="skip the browser round trip")
    ap.add_argument("--repeat", type=int, default=None)
    args = ap.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    console = Console()
    out = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                       "negosim": negosim.__version__, "load_start": os.getloadavg()}, "bar_redraw_s": BAR_REDRAW_S, "handlers": [], "browser": []}
    table = Table(title=f"explorer handlers: median seconds over {repeat} fresh changes")
    for col in ("scenario", "change", "verdicts", "zone", "page redraw", "repairs", "frontier PNG",
                "contrib. PNG", "all but contrib."):
        table.add_column(col, justify="right" if col not in ("scenario", "change") else "left")
    ok = True
    for kind in KIND_NAMES:
        r = bench_handlers(kind, args.quick, repeat)
        out["handlers"].append(r)
        for change, m in r["median"].items():
            ok &= m["redraw"] <= BAR_REDRAW_S
            table.add_row(f"{kind} ({r['space']:,})", change, f"{m['verdicts']:.4f}", f"{m['zone']:.3f}",
                          f"{m['redraw']:.3f}", f"{m['repairs']:.3f}", f"{m['frontier_png']:.3f}",
                          f"{m['package_png']:.3f}", f"{m['all']:.3f}")
    console.print(table)
    if not args.no_browser and browser_available():
        bt = Table(title="browser round trip (headless chromium): median seconds from the change until shown")
        for col in ("scenario", "change", "verdict table", "zone", "repairs", "figures"):
            bt.add_column(col, justify="right" if col not in ("scenario", "change") else "left")
        for kind in KIND_NAMES:
            r = bench_browser(kind, args.quick, max(3, repeat // 2))
            out["browser"].append(r)
            for change, m in r["median"].items():
                bt.add_row(kind, change, f"{m['verdicts']:.3f}", f"{m['zone']:.3f}", f"{m['repairs']:.3f}",
                           f"{m['figures']:.3f}")
        console.print(bt)
    elif not args.no_browser:
        console.print(f"browser round trip skipped: {CHROMIUM} or Playwright missing")
    console.print(f"load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    console.print(f"bar: page redraw (verdict table + zone) within {BAR_REDRAW_S:g} s: "
                  + ("[green]met[/green]" if ok else "[red]missed[/red]"))
    out["machine"]["load_end"] = os.getloadavg()
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    name = "explorer_quick.json" if args.quick else "explorer.json"
    (results / name).write_text(json.dumps(out, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
