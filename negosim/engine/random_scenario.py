"""Random scenarios for tests and benchmarks.

Example
-------
>>> s = random_scenario(parties=3, provisions=4, options=3, seed=7)
>>> len(s.parties), len(s.provisions)
(3, 4)
>>> s == random_scenario(parties=3, provisions=4, options=3, seed=7)
True
"""

from __future__ import annotations

import numpy as np

from negosim.scenario.schema import Scenario


def random_scenario(parties: int = 4, provisions: int = 10, options: int = 4, seed: int = 0,
                    reservation: float | list[float] = 0.5, opposed: bool = False,
                    red_lines: int = 0, linkages: int = 0, list_veto: int = 0,
                    decimals: int | None = None) -> Scenario:
    """A random scenario: random weights, values and draft.

    Parameters
    ----------
    parties, provisions, options : sizes (party ids ``p0..``, provisions
        ``x0..`` with options ``o0..``; option ``o0`` is the status quo).
    seed : seed of ``numpy.random.default_rng``.
    reservation : one reservation for every party, or one per party.
    opposed : the second party's values run against the first's
        (``1 - v`` plus a little noise), as Ukraine's and Russia's do.
    red_lines, linkages : how many random two-provision red lines and
        linkages (bonus in [-0.2, 0.2]) to add, spread over the parties.
    list_veto : the last ``list_veto`` parties get a veto only over two
        random provisions (like Europe's), instead of ``all``.
    decimals : round weights and values to this many decimals (ties become
        likely, which exercises tie-breaking).
    """
    rng = np.random.default_rng(seed)
    res = [reservation] * parties if np.isscalar(reservation) else list(reservation)
    if len(res) != parties:
        raise ValueError("give one reservation per party")
    prov_ids = [f"x{j}" for j in range(provisions)]
    opt_ids = [f"o{k}" for k in range(options)]
    provs = {p: {"label": p.upper(), "options": {o: {"label": o, "status_quo": k == 0}
                                                  for k, o in enumerate(opt_ids)}} for p in prov_ids}

    def rnd(x):
        return float(np.round(x, decimals)) if decimals is not None else float(x)

    base_values = rng.random((provisions, options))
    party_map = {}
    for i in range(parties):
        w = rng.random(provisions) + 0.05
        w = w / w.sum()
        if decimals is not None:
            w = np.round(w, decimals)
            w[-1] = max(0.0, round(1 - w[:-1].sum(), decimals))
        if opposed and i == 0:
            v = base_values
        elif opposed and i == 1:
            v = np.clip(1 - base_values + rng.normal(0, 0.05, base_values.shape), 0, 1)
        else:
            v = rng.random((provisions, options))
        party = {
            "reservation": float(res[i]),
            "weights": {p: rnd(w[j]) for j, p in enumerate(prov_ids)},
            "values": {p: {o: rnd(v[j, k]) for k, o in enumerate(opt_ids)} for j, p in enumerate(prov_ids)},
        }
        if i >= parties - list_veto:
            party["veto"] = sorted(rng.choice(prov_ids, size=min(2, provisions), replace=False).tolist())
        party_map[f"p{i}"] = party
    names = list(party_map)
    for kind, n in (("red_lines", red_lines), ("linkages", linkages)):
        for t in range(n):
            owner = party_map[names[t % parties]]
            js = sorted(rng.choice(provisions, size=min(2, provisions), replace=False).tolist())
            combo = {prov_ids[j]: opt_ids[int(rng.integers(options))] for j in js}
            if kind == "red_lines":
                owner.setdefault("red_lines", []).append({"id": f"r{t}", "forbid": combo})
            else:
                owner.setdefault("linkages", []).append(
                    {"id": f"l{t}", "when": combo, "bonus": rnd(rng.uniform(-0.2, 0.2))})
    draft = {p: opt_ids[int(rng.integers(options))] for p in prov_ids}
    return Scenario.model_validate({
        "negosim": 1, "name": f"random-{parties}x{provisions}x{options}-seed{seed}",
        "description": "Random scenario for tests and benchmarks.",
        "provisions": provs, "parties": party_map, "draft": draft})
