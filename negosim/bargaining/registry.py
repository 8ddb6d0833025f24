"""Named registries of small classes (strategies, protocols) that the CLI, docs and tests read.

The names of the protocols and strategies are declared here, in a module that
imports nothing heavy, so that the scenario format and the command line can
check and list them without importing the protocols (numpy, numba, mesa).
The classes fill the registries when :mod:`negosim.bargaining.protocols` and
:mod:`negosim.bargaining.strategies` are imported; a registry refuses a class whose name
it does not declare, and the tests check that every declared name is filled.

Example
-------
>>> SHAPES = Registry("shape", names=("square",))
>>> @SHAPES.register
... class Square:
...     name = "square"
>>> SHAPES.make("square").__class__.__name__
'Square'
>>> SHAPES.make("circle")
Traceback (most recent call last):
...
negosim.errors.NegosimError: unknown shape 'circle' (known: square)
>>> @SHAPES.register
... class Circle:
...     name = "circle"
Traceback (most recent call last):
...
ValueError: shape 'circle' is not declared (declared: square)
"""

from __future__ import annotations

from negosim.errors import NegosimError

#: Names of the bargaining protocols, in the order the docs and ``--protocol`` list them
#: (classes in :mod:`negosim.bargaining.protocols`).
PROTOCOL_NAMES = ("single_text", "alternating_offers", "random_proposer")
#: Names of the concession strategies (classes in :mod:`negosim.bargaining.strategies`).
STRATEGY_NAMES = ("boulware", "conceder", "linear", "hardliner", "reciprocal")


class Registry(dict):
    """``{name: class}`` in registration order, filled by :meth:`register`.

    ``names``, when given, are the only names that may be registered.
    """

    def __init__(self, kind: str, names: tuple[str, ...] | None = None):
        super().__init__()
        self.kind = kind
        self.names = names

    def register(self, cls):
        """Class decorator: add ``cls`` under ``cls.name`` (each name once, a declared one)."""
        if self.names is not None and cls.name not in self.names:
            raise ValueError(f"{self.kind} '{cls.name}' is not declared (declared: {', '.join(self.names)})")
        if cls.name in self:
            raise ValueError(f"{self.kind} '{cls.name}' is registered twice")
        self[cls.name] = cls
        return cls

    def make(self, name: str):
        """A fresh instance of the class registered as ``name``."""
        try:
            cls = self[name]
        except KeyError:
            raise NegosimError(f"unknown {self.kind} '{name}' (known: {', '.join(self)})") from None
        return cls()
