"""negosim compare: numbers of list items (no-deal outcomes) are matched by id, not position."""

from __future__ import annotations

from pathlib import Path

from negosim.cli.commands.compare import number_text
from negosim.engine.compare import compare
from negosim.scenario.yaml_io import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _reordered(s):
    """The same scenario with its no-deal outcomes listed in reverse order."""
    nd = s.no_deal.model_copy(update={"outcomes": list(reversed(s.no_deal.outcomes))})
    return s.model_copy(update={"name": "reordered", "no_deal": nd})


def test_reordering_outcomes_changes_no_number():
    s = load_scenario(SCENARIOS / "plan28_2025_11.yaml").scenario
    assert len({o.p.point for o in s.no_deal.outcomes}) > 1  # else reordering could not show
    step = compare([s, _reordered(s)]).steps[0]
    assert step.numbers == {}
    assert step.changes == {}


def test_a_changed_outcome_is_named_by_id_and_label():
    s = load_scenario(SCENARIOS / "plan28_2025_11.yaml").scenario
    first = s.no_deal.outcomes[0]
    # Shift the first outcome's range (its midpoint is its point value).
    p = first.p.model_copy(update={"low": first.p.low / 2, "high": first.p.high / 2})
    bumped = first.model_copy(update={"p": p})
    t = _reordered(s.model_copy(update={"no_deal": s.no_deal.model_copy(
        update={"outcomes": [bumped, *s.no_deal.outcomes[1:]]})}))
    step = compare([s, t]).steps[0]
    key = f"no_deal.outcomes.{first.id}.p"
    assert key in step.numbers
    assert all(".outcomes." not in k or k.split(".")[2] != "0" for k in step.numbers)
    assert (first.label or first.id) in number_text(s, t, key)
