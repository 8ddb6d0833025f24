"""Who gave what: each party's gain or loss on each provision, relative to the draft.

For an agreement (a solution point, a minimal repair of the draft, or any
package) the figure shows, for every provision the package changes, how much
each party's utility moves (the change in that provision's contribution),
what linkages add, and each party's net change. Positive bars are gains,
negative ones concessions.

Bars carry the gid ``gain:PROVISION:PARTY`` (``gain:(linkages):PARTY`` for
linkages) and ``total:PARTY`` for the net change.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.engine.compiled import compile_scenario
>>> cs = compile_scenario(random_scenario(parties=2, provisions=3, options=3, seed=4))
>>> x = cs.draft.copy(); x[0] = (x[0] + 1) % 3
>>> eff = package_effects(cs, x)
>>> list(eff) == [cs.provision_ids[0]]
True
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from negosim.errors import NegosimError
from .common import describe_changes, resolve, resolve_package
from .style import (LABEL_SIZE, SMALL_SIZE, SOLUTION_STYLE, drop_crowded, label_axes, new_figure, party_color, title,
                    wrap)

LINKAGES = "(linkages)"
#: Width of a row label line, in characters.
ROW_CHARS = 40
#: Tallest figure, in inches (beyond it the bars get thinner and some value labels are left out).
MAX_HEIGHT = 12.0


def package_effects(cs, x) -> dict[str, dict[str, float]]:
    """Each changed provision's effect on each party's utility, relative to the draft.

    Same layout as :attr:`negosim.engine.analysis.Repair.effects`: ``{provision:
    {party: change}}`` for the provisions that differ from the draft, plus
    ``"(linkages)"`` when linkage terms change anyone's utility.
    """
    x = np.asarray(x, dtype=np.int64)
    draft = cs.draft
    both = np.stack([draft, x])
    util = cs.score(both).util
    contrib = cs.contributions(x) - cs.contributions(draft)
    out = {cs.provision_ids[j]: {p: float(contrib[i, j]) for i, p in enumerate(cs.party_ids)}
           for j in np.flatnonzero(x != draft)}
    # Whatever the provisions' own parts do not explain comes from linkages.
    link = (util[:, 1] - util[:, 0]) - contrib.sum(axis=1)
    if np.abs(link).max() > 1e-12:
        out[LINKAGES] = {p: float(link[i]) for i, p in enumerate(cs.party_ids)}
    return out


def _pick(sub, package, repair, solution):
    """The package to explain, its effects, and words for what it is."""
    cs = sub.compiled
    if package is not None:
        x = resolve_package(cs, package)
        return x, package_effects(cs, x), describe_changes(sub, x)
    k = 0 if repair is None else int(repair)
    a = sub.analysis(pareto=False, top=k + 1)
    if solution is not None:
        s = a.solutions.get(solution)
        if solution not in a.solutions:
            raise NegosimError(f"unknown solution '{solution}' (known: {', '.join(a.solutions)})")
        if s is None:
            raise NegosimError(f"the {solution} solution does not exist here (the zone of agreement is empty "
                               "or gives no one a gain)")
        x = cs.package_from_dict(s.package)
        name = SOLUTION_STYLE.get(solution, {}).get("label", solution)
        return x, package_effects(cs, x), f"the {name} solution ({describe_changes(sub, x)})"
    if a.repairs:
        if not 0 <= k < len(a.repairs):
            raise NegosimError(f"repair {k + 1} does not exist (there are {a.repair_count:,} minimal repairs)")
        r = a.repairs[k]
        return (cs.package_from_dict(r.package), r.effects,
                f"minimal repair #{k + 1} of {a.repair_count:,} ({describe_changes(sub, cs.package_from_dict(r.package))})")
    if repair is None and a.solutions.get("nash") is not None:
        return _pick(sub, None, None, "nash")
    why = "the draft is already in the zone of agreement" if a.repair_size == 0 else \
        "no package is acceptable to every needed party"
    raise NegosimError(f"no repair of the draft to show: {why}; give a package or a solution")


def gains_figure(source, package=None, *, repair: int | None = None, solution: str | None = None,
                 params: dict | None = None, width: float = 9.0):
    """Who gained and who gave on each provision, relative to the draft.

    Parameters
    ----------
    source : scenario file, LoadedScenario, Scenario, CompiledScenario, Analysis or Subject.
    package : a package (changes from the draft as a mapping or ``"prov=opt,..."``).
    repair : index of a minimal repair (default: the best one, when the draft needs repair).
    solution : a solution name (``nash``, ``kalai_smorodinsky``, ``egalitarian``, ``utilitarian``).

    Without ``package`` or ``solution``: the best minimal repair, or the Nash
    solution when the draft needs none.

    Returns
    -------
    matplotlib.figure.Figure
    """
    sub = resolve(source, params)
    cs = sub.compiled
    x, effects, what = _pick(sub, package, repair, solution)
    parties = list(cs.party_ids)
    rows = list(effects) + ["net change"]
    totals = {p: sum(e[p] for e in effects.values()) for p in parties}
    n, P = len(rows), len(parties)
    fig = new_figure(width, min(MAX_HEIGHT, max(3.0, 1.4 + n * (0.2 * P + 0.3))))
    ax = fig.add_subplot()
    band = 0.8 / P
    span = max([abs(v) for e in effects.values() for v in e.values()] + [abs(v) for v in totals.values()] + [1e-3])
    values_drawn = []
    for r, row in enumerate(rows):
        base = n - 1 - r  # first provision at the top
        values = totals if row == "net change" else effects[row]
        for k, p in enumerate(parties):
            y = base + 0.4 - band * (k + 0.5)
            d = values[p]
            gid = f"total:{p}" if row == "net change" else f"gain:{row}:{p}"
            ax.barh(y, d, height=band * 0.9, color=party_color(p), edgecolor="black" if row == "net change" else
                    "none", linewidth=0.6, gid=gid)
            if abs(d) >= 0.0005:
                values_drawn.append(ax.annotate(
                    f"{d:+.3f}", (d, y), xytext=(3 if d >= 0 else -3, 0), textcoords="offset points",
                    ha="left" if d >= 0 else "right", va="center", fontsize=SMALL_SIZE - 1,
                    gid=f"value:{row}:{p}"))
    ax.axhline(0.5, color="#777777", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    labels = [_row_label(sub, x, row) for row in rows]
    ax.set_yticks(range(n - 1, -1, -1), labels, fontsize=SMALL_SIZE)
    ax.set_xlim(-1.3 * span, 1.3 * span)
    label_axes(ax, "change in utility relative to the draft (left: gives, right: gains)", "")
    ax.grid(True, axis="x", color="#e5e5e5", lw=0.5)
    ax.set_axisbelow(True)
    # Below the plot, where it can cover no bar.
    fig.legend(handles=[Patch(color=party_color(p), label=sub.party_label(p)) for p in parties],
               fontsize=SMALL_SIZE, loc="outside lower center", ncol=min(P, 6), frameon=False)
    title(ax, "Who gained and who gave, provision by provision", f"{sub.name}: {what}")
    ax.tick_params(axis="y", labelsize=LABEL_SIZE - 1)
    # Many changed provisions pack the bars tightly: the net change's values are kept first.
    drop_crowded(fig, values_drawn[::-1][:P] + values_drawn[:-P])
    return fig


def _row_label(sub, x, row: str) -> str:
    """``"Provision:"`` on its own line(s), then ``"old option → new option"``."""
    cs = sub.compiled
    if row in ("net change", LINKAGES):
        return "linkages\n(bonuses for combinations)" if row == LINKAGES else "net change"
    j = cs.provision_ids.index(row)
    old, new = cs.option_ids[j][cs.draft[j]], cs.option_ids[j][x[j]]
    change = f"{sub.option_label(row, old)} → {sub.option_label(row, new)}"
    return wrap(sub.provision_label(row) + ":", ROW_CHARS) + "\n" + wrap(change, ROW_CHARS)
