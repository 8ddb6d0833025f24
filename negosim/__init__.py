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
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("negosim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"



def _started_as_command() -> bool:
    """Whether this interpreter runs the ``negosim`` command (``python -m negosim`` or the script)."""
    argv = list(getattr(_sys, "orig_argv", ()))
    if len(argv) > 1 and argv[1].rsplit("/", 1)[-1] == "negosim":
        return True
    return any(a == "-mnegosim" or (a == "-m" and argv[i + 1:i + 2] == ["negosim"]) for i, a in enumerate(argv))


try:
    from .analysis import Analysis, analyze  # noqa: E402
    from .compiled import CompiledScenario, compile_scenario  # noqa: E402
    from .errors import NegosimError, ScenarioError  # noqa: E402
    from .random_scenario import random_scenario  # noqa: E402
    from .scenario import Scenario  # noqa: E402
    from .space import PackageSpace  # noqa: E402
    from .yamlio import LoadedScenario, dump_scenario, load_scenario  # noqa: E402
except KeyboardInterrupt:
    # Ctrl-C during the second the command spends importing numpy and numba: the command's
    # one line and exit code, not a traceback through the import machinery. A program that
    # imports negosim gets its KeyboardInterrupt as usual.
    if not _started_as_command():
        raise
    print("interrupted", file=_sys.stderr)
    raise SystemExit(130) from None


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
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        # Bound once resolved: later look-ups are plain attribute reads. Binding through the
        # module dict skips _Package.__setattr__, which only matters for the import system's binding.
        globals()[name] = value
        return value
    raise AttributeError(f"module 'negosim' has no attribute '{name}'")


__all__ = ["Analysis", "CompiledScenario", "LoadedScenario", "NegosimError", "PackageSpace", "Scenario",
           "ScenarioError", "analyze", "compile_scenario", "dump", "load", "random_scenario", "__version__",
           *_LAZY]


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
