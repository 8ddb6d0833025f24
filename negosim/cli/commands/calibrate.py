"""``negosim calibrate FILE...``: keep the draws of the numbers that reproduce what the parties did."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from negosim.cli.argtypes import int_in, seed
from negosim.limits import MAX_DRAWS

#: Fewer kept draws than this get a warning that the posterior is rough.
FEW_KEPT = 100
#: The observation file looked for beside the first FILE when --observations is not given.
DEFAULT_OBSERVATIONS = "observations.yaml"


def add_parser(sub) -> None:
    p = sub.add_parser("calibrate", help="draws of the numbers that reproduce the reported verdicts; "
                                         "out-of-sample predictions",
                       description="Draw every uncertain number of the scenario files (within its evidence "
                                   "range, stretched where its support is weaker; the same draw for the same "
                                   "number path in every file), keep the draws in which every observation not "
                                   "held out is reproduced (the party's verdict on that file's draft), and "
                                   "report the share kept, the prior and posterior range of each deciding "
                                   "number, each draft's and solution point's posterior probability of "
                                   "acceptance, and for each held-out observation the predicted probability "
                                   "and whether it is a hit. Only observations graded states or implies are "
                                   "used; context ones are listed, never used.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--observations", metavar="OBS.yaml", default=None,
                   help=f"the observation file (default: {DEFAULT_OBSERVATIONS} beside the first FILE)")
    p.add_argument("--draws", type=int_in(1, MAX_DRAWS), default=100_000, metavar="N",
                   help=f"number of draws (default 100,000, at most {MAX_DRAWS:,})")
    p.add_argument("--seed", type=seed, default=0, metavar="S", help="seed of the draws (default 0)")
    p.add_argument("--hold-out", action="extend", nargs="+", default=[], metavar="ROUND",
                   help="rounds (e.g. 2025-11) whose observations are predicted instead of fitted; "
                        "repeatable; give it after the files")
    p.add_argument("--no-solutions", action="store_true",
                   help="skip the exact analysis of each file (its solution points and their probabilities)")
    p.add_argument("--json", action="store_true", help="print one JSON object (a stable contract for scripts)")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr (none is shown with --json)")
    p.add_argument("--articles", metavar="DIR",
                   help="folder of the article files (default: each scenario's 'articles' key)")
    p.set_defaults(func=run)


def observations_path(args) -> Path:
    """The ``--observations`` file, or the default one beside the first FILE (an error when missing)."""
    from negosim.errors import NegosimError
    if args.observations is not None:
        return Path(args.observations)
    path = Path(args.files[0]).parent / DEFAULT_OBSERVATIONS
    if not path.is_file():
        raise NegosimError(f"no observation file: give --observations OBS.yaml (there is no {path})")
    return path


def run(args) -> int:
    from negosim.calibration.calibrate import calibrate
    from negosim.calibration.observations import load_observations
    from negosim.scenario.yaml_io import load_scenario
    from .analyze import Progress
    loaded = [load_scenario(f, articles=args.articles) for f in args.files]
    obs = load_observations(observations_path(args), articles=args.articles,
                            scenarios={ls.path.resolve(): ls for ls in loaded})
    with Progress(quiet=args.quiet or args.json) as progress:
        result = calibrate(loaded, obs, draws=args.draws, seed=args.seed, hold_out=args.hold_out,
                           solutions=not args.no_solutions,
                           progress=lambda done, total: progress.analysis(done, total, "draws"))
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        print()
    else:
        print_calibration(result)
    return 0


def _p(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def _range(q: dict) -> str:
    if q["low"] is None:
        return "-"
    return f"{q['low']:.3f} · {q['median']:.3f} · {q['high']:.3f}"


def print_calibration(result, console=None) -> None:
    """The kept share, the deciding numbers, the observations and each file's packages, as rich tables."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    con = console or Console(soft_wrap=False)
    fitted = [o for o in result.observations if o.role == "fitted"]
    context = [o for o in result.observations if o.role == "context"]
    held = f"; held out: {', '.join(result.held_out)}" if result.held_out else ""
    con.print(f"Fitted on {len(fitted)} observations{escape(held)}; {len(context)} graded context "
              "listed, not used" + (f"; {len(result.skipped)} about files not given, skipped"
                                    if result.skipped else ""))
    if result.kept == 0:
        con.print(f"[bold red]No draw reproduces every fitted observation[/bold red] (0 of {result.draws:,} "
                  "kept): the observations and the numbers' ranges disagree, so there is no posterior and "
                  "no prediction.")
    else:
        con.print(f"Kept {result.kept:,} of {result.draws:,} draws ({100 * result.share:.2g} %), "
                  f"seed {result.seed}")
        if result.kept < FEW_KEPT:
            con.print(f"[yellow]Only {result.kept:,} draws kept: the ranges and probabilities below are rough "
                      "(see the intervals); give more --draws[/yellow]")
    # Two lines a number (its path, then its ranges): a table cut the paths or folded the ranges
    # mid-number at 80 columns, and a path cut short names nothing.
    con.print("[bold]Deciding numbers[/bold]: 5 % · median · 95 % of all draws (prior) and of the kept "
              "draws (posterior)")
    for name, q in result.prior.items():
        w = result.widening[name]
        stretch = "a point, not drawn" if w is None else f"range stretched x{w:g}"
        con.print(f"  {escape(name)} [dim]({stretch})[/dim]")
        con.print(f"      prior {_range(q)}   posterior {_range(result.posterior[name])}")
    # Two lines an observation, for the same reason as the numbers: a table folded its ids mid-word.
    con.print("[bold]Observations[/bold]: the posterior probability that the party accepts the draft")
    for o in result.observations:
        hit = "" if o.role != "held_out" or o.hit is None else "  [green]hit[/green]" if o.hit else "  [red]miss[/red]"
        role = o.role.replace("_", " ") + (", red line" if o.red_line else "")
        did = "accepted" if o.observed else "did not accept"
        ci = "" if o.ci is None or o.kept >= 1000 else f" ({o.ci[0]:.2f}-{o.ci[1]:.2f})"
        con.print(f"  {escape(o.id)} [dim]({o.supports}; {role})[/dim]")
        con.print(f"      {escape(o.party)} {did} {escape(o.scenario)}: p_accept {_p(o.p_accept)}{ci}{hit}")
    if any(o.red_line for o in result.observations):
        con.print("[dim]red line: a red line of the party fires on the draft, so its verdict is the same in "
                  "every draw: the observation constrains no number and its prediction cannot fail[/dim]")
    for sc in result.scenarios:
        t = Table(title=f"{escape(sc['name'])} ({escape(sc['round'])}): posterior probability of acceptance",
                  title_justify="left")
        t.add_column("package", no_wrap=True)
        parties = list(next(iter(sc["packages"].values()))["p_accept"])
        for q in parties:
            t.add_column(escape(q), justify="right")
        t.add_column("all needed", justify="right")
        t.add_column("changes", justify="right")
        for name, pk in sc["packages"].items():
            sol = sc["solutions"].get(name)
            t.add_row(escape(name), *[_p(pk["p_accept"][q]) for q in parties], _p(pk["p_all"]),
                      "-" if sol is None else str(len(sol["changes"])))
        missing = [n for n, s in sc["solutions"].items() if s is None]
        con.print(t)
        if missing:
            con.print(f"[dim]no {', '.join(missing)} point: the zone at the point values is empty or gives "
                      "no bargainer a gain[/dim]")
    n = len(result.predictions)
    if not n and result.held_out:
        con.print("Hit rate: none of the files given has a held-out observation graded states or implies")
    elif not n:
        con.print("Hit rate: no observation held out (give --hold-out ROUND)")
    elif result.hit_rate is None:
        con.print(f"Hit rate: undefined ({n} held out, no draw kept)")
    else:
        hits = sum(o.hit for o in result.predictions)
        con.print(f"Hit rate on the held-out observations: {hits} of {n} ({result.hit_rate:.3f}); a hit is "
                  "p_accept >= 0.5 on the observed side")
