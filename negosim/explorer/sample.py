"""A random scenario with named parameters, to try the explorer on any size of space.

:func:`negosim.engine.random_scenario.random_scenario` makes provisions, parties and a
draft; :func:`sample_scenario` adds named parameters whose linear effects move
reservations and weights, as the shipped scenarios' ``us_pressure`` or
``russia_war_cost`` do, so that sliders have something to move. The explorer's
tests and benchmark use it; ``options ** provisions`` packages, e.g.
``4 ** 10 = 1,048,576``.

Example
-------
>>> s = sample_scenario(parties=3, provisions=4, options=3, seed=1)
>>> list(s.parameters), s.parameters["pressure"].range
(['pressure', 'war_cost'], (0.0, 1.0))
"""

from __future__ import annotations

import numpy as np

from negosim.engine.random_scenario import random_scenario
from negosim.scenario.schema import Scenario


def sample_scenario(parties: int = 4, provisions: int = 10, options: int = 4, seed: int = 0,
                    reservation: float = 0.5, **kw) -> Scenario:
    """A random scenario (see :func:`~negosim.engine.random_scenario.random_scenario`) with two parameters.

    ``pressure`` lowers the first party's reservation and raises the second's;
    ``war_cost`` lowers the second party's reservation and shifts weight of its
    first provision. Both run from 0 to 1 and start at 0.
    """
    base = random_scenario(parties, provisions, options, seed, reservation=reservation, **kw)
    rng = np.random.default_rng(seed + 1)
    p = list(base.parties)
    second = p[1] if len(p) > 1 else p[0]
    first_prov = next(iter(base.provisions))
    params = {
        "pressure": {
            "label": "Pressure on the first party",
            "description": f"Lowers {p[0]}'s fallback and raises {second}'s.",
            "range": (0.0, 1.0), "value": 0.0,
            "effects": [{"path": f"parties.{p[0]}.reservation", "per_unit": round(-0.1 - 0.1 * rng.random(), 3)},
                        {"path": f"parties.{second}.reservation", "per_unit": round(0.05 + 0.05 * rng.random(), 3)}],
        },
        "war_cost": {
            "label": "Cost of no deal for the second party",
            "description": f"Lowers {second}'s fallback and makes {first_prov} matter more to it.",
            "range": (0.0, 1.0), "value": 0.0,
            "effects": [{"path": f"parties.{second}.reservation", "per_unit": round(-0.1 - 0.1 * rng.random(), 3)},
                        {"path": f"parties.{second}.weights.{first_prov}", "per_unit": 0.05}],
        },
    }
    data = base.model_dump(mode="json", exclude_none=True)
    data["name"] = base.name.replace("random", "sample")
    data["parameters"] = params
    return Scenario.model_validate(data)
