"""Figures of negosim's results, built with matplotlib's object-oriented API.

Every function returns a :class:`matplotlib.figure.Figure` (no pyplot, no
global state changed); :func:`save_figure` writes it as PNG, SVG or PDF by the
file's extension.

- :func:`frontier`, :func:`frontier_matrix`: the acceptance frontier in utility space;
- :func:`sweep_figure`: the acceptance frontier in parameter space, from a sweep;
- :func:`trace_figure`: the negotiation trace, round by round;
- :func:`package_figure`: why each party accepts or rejects a package;
- :func:`gains_figure`: who gained and who gave, relative to the draft.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> fig = package_figure(random_scenario(parties=2, provisions=3, options=2, seed=0))
>>> type(fig).__name__
'Figure'
"""

from .frontier import frontier, frontier_matrix
from .gains import gains_figure
from .package import package_figure
from .style import party_color, save_figure
from .sweep_figure import sweep_figure
from .trace import trace_figure

__all__ = ["frontier", "frontier_matrix", "gains_figure", "package_figure", "party_color", "save_figure",
           "sweep_figure", "trace_figure"]
