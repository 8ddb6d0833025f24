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

from .errors import NegosimError, ScenarioError  # light: the command line needs them to start


def load(path, articles=None, check_quotes: bool = True) -> Scenario:
    """Load and validate a scenario file (``extends:`` resolved, quotes checked).

    Use :func:`negosim.scenario.yaml_io.load_scenario` to keep the file's origin too.
    """
    from negosim.scenario.yaml_io import load_scenario
    return load_scenario(path, articles=articles, check_quotes=check_quotes).scenario


def dump(scenario: Scenario, path=None) -> str:
    """Write a scenario to YAML (self-contained); returns the text."""
    from negosim.scenario.yaml_io import dump_scenario
    return dump_scenario(scenario, path)


#: Every other exported name, by the module that defines it (relative to the package). All are
#: imported on first use: the analysis alone pulls in numba, pandas, scipy and pyarrow (about a
#: second), which ``negosim --help`` or ``negosim validate`` must not pay for; the rest pull in mesa
#: or dask. No exported name is also the name of a submodule of the package (the modules live in
#: the layer subpackages), so importing any module never rebinds an exported name.
_LAZY = {
    "Analysis": "engine.analysis", "analyze": "engine.analysis",
    "CompiledScenario": "engine.compiled", "compile_scenario": "engine.compiled",
    "random_scenario": "engine.random_scenario", "Scenario": "scenario.schema", "PackageSpace": "engine.space",
    "LoadedScenario": "scenario.yaml_io", "load_scenario": "scenario.yaml_io", "dump_scenario": "scenario.yaml_io",
    "sample": "uncertainty.sampling", "sample_tables": "uncertainty.sampling", "Sampler": "uncertainty.sampling",
    "acceptance_report": "uncertainty.acceptance", "most_robust": "uncertainty.acceptance",
    "package_odds": "uncertainty.acceptance",
    "distance_to_yes": "uncertainty.distance_to_yes",
    "Sweep": "sweep.run", "load_sweep": "sweep.run", "read_results": "sweep.run", "run_sweep": "sweep.run",
    "simulate": "bargaining.simulate", "NegotiationModel": "bargaining.model",
}


def _package_version() -> str:
    # importlib.metadata costs tens of milliseconds: only asked for when someone reads __version__.
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("negosim")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0+unknown"


def __getattr__(name):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name == "__version__":
        value = _package_version()
    else:
        raise AttributeError(f"module 'negosim' has no attribute '{name}'")
    globals()[name] = value  # bound once resolved: later look-ups are plain attribute reads
    return value


#: Reachable as attributes, but not part of the documented API (``load`` and ``dump`` are).
_UNLISTED = ("load_scenario", "dump_scenario")

__all__ = ["NegosimError", "ScenarioError", "dump", "load", "__version__",
           *(name for name in _LAZY if name not in _UNLISTED)]

