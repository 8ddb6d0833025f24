"""An interactive explorer of a scenario in the browser (``negosim explore FILE``).

Pick the draft's option for each provision and see who accepts it and why;
move the named parameters and watch the zone of agreement and its solution
points change; look at the acceptance frontier of two parties with the
draft's minimal repairs and apply one with a click; run a bargaining
simulation; download the draft as a scenario YAML.

:mod:`~negosim.explorer.state` holds the logic (no user interface, importable
without the optional extra); :mod:`~negosim.explorer.tables` renders its
tables; :mod:`~negosim.explorer.app` is the Solara page and
:mod:`~negosim.explorer.server` serves it. The page needs the optional extra:
``pip install 'negosim[explorer]'``.
"""

from .state import Explorer

__all__ = ["Explorer"]
