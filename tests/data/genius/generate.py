"""Write the small GENIUS domains the tests read (run once; the output is committed).

The files are negosim's own test data, written here in the GENIUS XML format from
seeded random numbers (no file of another project is copied). They exercise what the
benchmark domains of ../shared/genius contain: discrete issues with integer
evaluations whose largest is not 1 (and ties), an integer issue with a lower bound of 1
and a linear evaluator, a reservation value given or missing, a discount factor, weights
that do not quite sum to 1, similarity elements nested in an issue (GENIUS's 2011 Car
domain has them), a domain file with root ``negotiation_template``, and three parties.

    python tests/data/genius/generate.py
"""

import random
from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent

DOMAINS = {
    # name: (issues {name: values | (lower, upper)}, parties, reservations, discounts, weight sums)
    "fruit": ({"Fruit": ["apple", "pear", "plum", "fig"], "Box": ["small", "large", "crate"]},
              ["fruit_buyer", "fruit_seller"], [0.3, None], [None, 1.0], [1.0, 1.0]),
    "trip": ({"City": ["Paris", "Rome", "Oslo"], "Weeks": (1, 4), "Stay": ["hotel", "camping"]},
             ["trip_ann", "trip_bob", "trip_cy"], [0.2, 0.0, 0.35], [0.8, 1.0, 0.5], [1.0, 0.99, 1.0]),
    "office": ({"Desk": ["oak", "pine", "steel", "glass"], "Chair": ["mesh", "leather", "stool", "ball"],
                "Light": ["lamp", "window", "led", "none"], "Floor": ["1", "2", "3", "4"]},
               ["office_a", "office_b"], [0.5, 0.45], [None, None], [1.0, 1.0001]),
}


def issue_xml(k, name, spec, rng=None, nested=False):
    if isinstance(spec, tuple):
        lo, hi = spec
        lines = [f'<issue index="{k}" name={quoteattr(name)} lowerbound="{lo}" upperbound="{hi}" '
                 'vtype="integer" type="integer" etype="integer">']
        if rng:
            top = rng.choice([1.0, 0.9])
            low = rng.choice([0.2, 0.5])
            if rng.random() < 0.5:
                low, top = top, low
            lines.append(f'<evaluator slope="{(top - low) / (hi - lo)!r}" offset="{low!r}" ftype="linear">')
            lines.append("</evaluator>")
        return lines + ["</issue>"]
    lines = [f'<issue index="{k}" name={quoteattr(name)} vtype="discrete" type="discrete" etype="discrete">']
    for j, v in enumerate(spec, 1):
        ev = f' evaluation="{rng.randint(1, 9)}"' if rng else ""
        lines.append(f'<item index="{j}" value={quoteattr(v)}{ev}>\n</item>')
    if rng and nested:
        lines.append('<similarity_function weight="0.5"><criteria_function weight="1">')
        lines += [f'<item index="{j}" value={quoteattr(v)} evaluation="0.5"></item>' for j, v in enumerate(spec, 1)]
        lines.append("</criteria_function></similarity_function>")
    return lines + ["</issue>"]


def main() -> None:
    for seed, (dname, (issues, parties, res, disc, wsum)) in enumerate(DOMAINS.items()):
        rng = random.Random(seed)
        folder = HERE / dname
        folder.mkdir(exist_ok=True)
        dom = ["<negotiation_template>", f'<utility_space number_of_issues="{len(issues)}">',
               f'<objective index="0" description="" name="{dname}" type="objective" etype="objective">']
        for k, (name, spec) in enumerate(issues.items(), 1):
            dom += issue_xml(k, name, spec)
        dom += ["</objective>", "</utility_space>", "</negotiation_template>"]
        (folder / f"{dname}_domain.xml").write_text("\n".join(dom) + "\n")
        for party, r, d, s in zip(parties, res, disc, wsum):
            lines = ["<utility_space>"]
            if r is not None:
                lines.append(f'    <reservation value="{r}" />')
            if d is not None:
                lines.append(f'    <discount_factor value="{d}" />')
            lines.append(f'<objective index="0" description="" name="{dname}" type="objective" etype="objective">')
            for k, (name, spec) in enumerate(issues.items(), 1):
                lines += issue_xml(k, name, spec, rng, nested=(dname == "fruit" and k == 1))
            raw = [rng.random() + 0.05 for _ in issues]
            ws = [x / sum(raw) * s for x in raw]
            for k, w in enumerate(ws, 1):
                lines.append(f'<weight index="{k}" value="{w!r}">\n</weight>')
            lines += ["</objective>", "</utility_space>"]
            (folder / f"{party}.xml").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
