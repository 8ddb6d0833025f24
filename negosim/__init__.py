"""negosim: negotiation scenarios for the 2025 peace plans for the war in Ukraine.

Load a scenario, analyse every package of its provisions exactly, and trace
each number to the article it comes from.

Example
-------
>>> import negosim
>>> result = negosim.analyze(negosim.random_scenario(parties=3, provisions=4, options=3, seed=0))
>>> result.space_size
81
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("negosim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

from .analysis import Analysis, analyze  # noqa: E402
from .compiled import CompiledScenario, compile_scenario  # noqa: E402
from .errors import NegosimError, ScenarioError  # noqa: E402
from .random_scenario import random_scenario  # noqa: E402
from .scenario import Scenario  # noqa: E402
from .space import PackageSpace  # noqa: E402
from .yamlio import LoadedScenario, dump_scenario, load_scenario  # noqa: E402


def load(path, articles=None, check_quotes: bool = True) -> Scenario:
    """Load and validate a scenario file (``extends:`` resolved, quotes checked).

    Use :func:`negosim.yamlio.load_scenario` to keep the file's origin too.
    """
    return load_scenario(path, articles=articles, check_quotes=check_quotes).scenario


def dump(scenario: Scenario, path=None) -> str:
    """Write a scenario to YAML (self-contained); returns the text."""
    return dump_scenario(scenario, path)


#: Names exported lazily (their modules pull in scipy, pyarrow, mesa or dask).
_LAZY = {
    "sample": "uncertainty", "sample_tables": "uncertainty", "Sampler": "uncertainty",
    "acceptance_report": "acceptance", "most_robust": "acceptance", "package_odds": "acceptance",
    "distance_to_yes": "distance",
    "Sweep": "sweep", "load_sweep": "sweep", "read_results": "sweep", "run_sweep": "sweep",
    "simulate": "simulate", "NegotiationModel": "model",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'negosim' has no attribute '{name}'")


__all__ = ["Analysis", "CompiledScenario", "LoadedScenario", "NegosimError", "PackageSpace", "Scenario",
           "ScenarioError", "analyze", "compile_scenario", "dump", "load", "random_scenario", "__version__",
           *_LAZY]
