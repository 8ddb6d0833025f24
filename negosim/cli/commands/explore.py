"""``negosim explore FILE``: an interactive explorer of a scenario in the browser."""

from __future__ import annotations

from negosim.cli.argtypes import int_in
from . import add_scenario_args, parse_params


def add_parser(sub) -> None:
    p = sub.add_parser("explore", help="explore a scenario interactively in the browser",
                       description="Serve a page where you pick the draft's options and see who accepts "
                                   "it and why, move the named parameters, see the acceptance frontier "
                                   "with the draft's minimal repairs, run a bargaining simulation and "
                                   "download the draft as YAML. It prints the address to open, with a secret token "
                                   "without which the server refuses every request. Needs the optional extra: "
                                   "pip install 'negosim[explorer]'.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--port", type=int_in(0, 65535), default=8765, metavar="N",
                   help="port to serve on (default 8765; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default 127.0.0.1, this machine only; any other warns)")
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.explorer.server import require_solara, serve
    from negosim.explorer.state import Explorer
    require_solara()
    explorer = Explorer(args.file, articles=args.articles)
    explorer.start_from(parse_params(args.param))
    serve(explorer, host=args.host, port=args.port)
    return 0
