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

import sys as _sys
import types as _types

from .errors import NegosimError, ScenarioError  # light: the command line needs them to start


def load(path, articles=None, check_quotes: bool = True) -> Scenario:
    """Load and validate a scenario file (``extends:`` resolved, quotes checked).

    Use :func:`negosim.yamlio.load_scenario` to keep the file's origin too.
    """
    from .yamlio import load_scenario
    return load_scenario(path, articles=articles, check_quotes=check_quotes).scenario


def dump(scenario: Scenario, path=None) -> str:
    """Write a scenario to YAML (self-contained); returns the text."""
    from .yamlio import dump_scenario
    return dump_scenario(scenario, path)


#: Every other exported name, by the submodule that defines it. All are imported on first use:
#: the analysis alone pulls in numba, pandas, scipy and pyarrow (about a second), which
#: ``negosim --help`` or ``negosim validate`` must not pay for; the rest pull in mesa or dask.
_LAZY = {
    "Analysis": "analysis", "analyze": "analysis",
    "CompiledScenario": "compiled", "compile_scenario": "compiled",
    "random_scenario": "random_scenario", "Scenario": "scenario", "PackageSpace": "space",
    "LoadedScenario": "yamlio", "load_scenario": "yamlio", "dump_scenario": "yamlio",
    "sample": "uncertainty", "sample_tables": "uncertainty", "Sampler": "uncertainty",
    "acceptance_report": "acceptance", "most_robust": "acceptance", "package_odds": "acceptance",
    "distance_to_yes": "distance",
    "Sweep": "sweep", "load_sweep": "sweep", "read_results": "sweep", "run_sweep": "sweep",
    "simulate": "simulate", "NegotiationModel": "model",
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
    # Bound once resolved: later look-ups are plain attribute reads. Binding through the
    # module dict skips _Package.__setattr__, which only matters for the import system's binding.
    globals()[name] = value
    return value


#: Reachable as attributes, but not part of the documented API (``load`` and ``dump`` are).
_UNLISTED = ("load_scenario", "dump_scenario")

__all__ = ["NegosimError", "ScenarioError", "dump", "load", "__version__",
           *(name for name in _LAZY if name not in _UNLISTED)]


def _shadowed_names() -> frozenset:
    """Exported names that are also submodules of the package (``simulate``, ``random_scenario``)."""
    import pkgutil
    return frozenset(m.name for m in pkgutil.iter_modules(__path__)) & frozenset(__all__)


class _Package(_types.ModuleType):
    """The package's own module type: an exported name always stays the function or class.

    Importing a submodule makes the import system run ``setattr(negosim, "simulate", <module>)``
    after the submodule's body has run, whoever imports it and whenever (``from negosim.simulate
    import ...`` in the CLI, a test, a user). For a name that is both exported and a submodule
    that would replace the documented function by the module, so the binding is redirected to
    the module's attribute of the same name. The submodule itself stays reachable as
    ``sys.modules["negosim.simulate"]`` and ``from negosim.simulate import ...`` is unchanged.
    """

    def __setattr__(self, name, value):
        if name in _SHADOWED and isinstance(value, _types.ModuleType) and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


_SHADOWED = _shadowed_names()
_sys.modules[__name__].__class__ = _Package
for _name in _SHADOWED & frozenset(_LAZY):  # a submodule imported before this point already bound the module
    if isinstance(globals().get(_name), _types.ModuleType):
        del globals()[_name]
