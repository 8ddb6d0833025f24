"""Named registries of small classes (strategies, protocols) that the CLI, docs and tests read.

Example
-------
>>> SHAPES = Registry("shape")
>>> @SHAPES.register
... class Square:
...     name = "square"
>>> SHAPES.make("square").__class__.__name__
'Square'
>>> SHAPES.make("circle")
Traceback (most recent call last):
...
negosim.errors.NegosimError: unknown shape 'circle' (known: square)
"""

from __future__ import annotations

from .errors import NegosimError


class Registry(dict):
    """``{name: class}`` in registration order, filled by :meth:`register`."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, cls):
        """Class decorator: add ``cls`` under ``cls.name`` (each name once)."""
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
