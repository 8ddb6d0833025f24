"""Bargaining solution points over the zone of agreement.

Every objective here is non-decreasing in each party's utility, so a maximiser
can always be found on the zone's Pareto front; ties are broken by the lowest
package index among the Pareto-optimal maximisers. Gains are utilities minus
reservations of the *bargainers*: the parties holding a veto (``all`` or a
list), or every party when none does.

- ``nash``: maximise ``prod_p max(gain_p, 0) ** power_p`` (Nash 1950; the
  weighted variant with bargaining powers). ``None`` when no package gives
  every bargainer a positive gain.
- ``kalai_smorodinsky``: maximise ``min_p gain_p / ideal_p``, where ``ideal_p``
  is the best gain ``p`` attains in the zone (Kalai & Smorodinsky 1975);
  bargainers with no positive ideal gain are left out.
- ``egalitarian``: maximise the smallest gain.
- ``utilitarian``: maximise the sum of all parties' utilities.

Example
-------
>>> import numpy as np
>>> U = np.array([[0.6, 0.6], [0.9, 0.5], [0.5, 0.9]]); idx = np.arange(3)
>>> res = np.array([0.4, 0.4]); power = np.ones(2); bargainers = np.ones(2, bool)
>>> best_points(U, idx, res, power, bargainers)["nash"]  # 0.5*0.1 ties 0.1*0.5: lowest index
1
"""

from __future__ import annotations

import numpy as np

from .kernels import dominated_by_any

SOLUTION_NAMES = ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")


def nash_product(U: np.ndarray, res: np.ndarray, power: np.ndarray, bargainers: np.ndarray) -> np.ndarray:
    """Weighted Nash product of each row of ``U`` (``[n, P]``)."""
    g = np.maximum(U[:, bargainers] - res[bargainers], 0.0)
    return np.prod(g ** power[bargainers], axis=1)


def objectives(U, res, power, bargainers) -> dict[str, np.ndarray | None]:
    """Each solution's objective for every row of ``U``."""
    gains = U[:, bargainers] - res[bargainers]
    out: dict[str, np.ndarray | None] = {}
    out["nash"] = nash_product(U, res, power, bargainers)
    ideal = gains.max(axis=0) if len(U) else np.zeros(gains.shape[1])
    pos = ideal > 0
    out["kalai_smorodinsky"] = (gains[:, pos] / ideal[pos]).min(axis=1) if pos.any() else None
    out["egalitarian"] = gains.min(axis=1)
    out["utilitarian"] = U.sum(axis=1)
    return out


def best_points(U: np.ndarray, idx: np.ndarray, res, power, bargainers) -> dict[str, int | None]:
    """Row of ``U`` chosen by each solution (``None`` where undefined).

    ``U`` must contain the zone's Pareto front (it may contain more zone
    members); ``idx`` gives each row's package index for tie-breaking.
    """
    out: dict[str, int | None] = {name: None for name in SOLUTION_NAMES}
    if len(U) == 0:
        return out
    for name, obj in objectives(U, res, power, bargainers).items():
        if obj is None or (name == "nash" and obj.max() <= 0):
            continue
        tied = np.flatnonzero(obj == obj.max())
        if len(tied) > 1:
            # Keep only maximisers that no row dominates (the Pareto-optimal ones).
            tied = tied[~dominated_by_any(U[tied], U)]
        out[name] = int(tied[np.argmin(idx[tied])])
    return out
