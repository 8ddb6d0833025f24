"""The documented limits of negosim, in one place (docs/limits.md explains each and how to override it).

Every check of a size a user can choose (parties, file size, nesting, work of an
analysis, workers) reads its bound from here, so the docs and the code cannot disagree.

Example
-------
>>> MAX_PARTIES
64
"""

from __future__ import annotations

#: Parties of one scenario. The exact engine keeps each package's red-line and consent
#: pattern as one 64-bit mask, a bit per party.
MAX_PARTIES = 64
