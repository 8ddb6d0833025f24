"""Which packages touch a veto or a quota consent rule (``negosim.engine.compiled``), hand-worked.

Two parties: ``a`` vetoes packages that move ``q``; ``b`` vetoes nothing. A k_of_n rule
covers ``r``, a weighted rule covers ``all``. Every provision has options ``keep`` and
``move``; ``keep`` is the status quo except for ``t``, which has none (and so is in no veto
or rule: the format refuses that). A veto or rule is touched by moving one of its
provisions *off its status quo* (docs/model.md); the expected masks below are written from
that definition, case by case.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from negosim.engine.compiled import compile_scenario, stacked_scores, touched_rules
from negosim.scenario.schema import Scenario

KEEP, MOVE = 0, 1


def scenario() -> Scenario:
    provs = {}
    for p in "pqrt":
        provs[p] = {"label": p.upper(), "options": {"keep": {"label": "K", "status_quo": p != "t"},
                                                    "move": {"label": "M"}}}
    values = {p: {"keep": 0.0, "move": 1.0} for p in "pqrt"}
    weights = {p: 0.25 for p in "pqrt"}
    parties = {"a": {"veto": ["q"], "reservation": 0.5, "weights": weights, "values": values},
               "b": {"veto": "none", "reservation": 0.5, "weights": weights, "values": values}}
    consent = [{"id": "two", "provisions": ["r"], "rule": {"k_of_n": {"k": 1, "of": ["a", "b"]}}},
               {"id": "all", "provisions": "all", "rule": {"weighted": {"quota": 2, "weights": {"a": 1, "b": 1}}}}]
    return Scenario.model_validate({"negosim": 1, "name": "touch", "draft": {p: "move" for p in "pqrt"},
                                    "parties": parties, "provisions": provs, "consent": consent})


@pytest.fixture(scope="module")
def cs():
    c = compile_scenario(scenario())
    assert list(c.provision_ids) == list("pqrt")
    assert c.status_quo.tolist() == [KEEP, KEEP, KEEP, -1]
    assert c.consent.ids == ("two", "all")
    return c


def masks(cs, cols, X, fixed, count_fixed):
    """(needed of a, needed of b, touched 'two', touched 'all') as lists of booleans."""
    X = np.array(X, dtype=np.int64)
    needed = stacked_scores(cs, cols, X, fixed=fixed, count_fixed=count_fixed)[2]
    touched = touched_rules(cs, cols, X, fixed, count_fixed)
    return [needed[0].tolist(), needed[1].tolist(), touched[0].tolist(), touched[1].tolist()]


# Columns p and r free, all four packages (p, r) in this order.
PR = [(KEEP, KEEP), (KEEP, MOVE), (MOVE, KEEP), (MOVE, MOVE)]
R_MOVED = [False, True, False, True]
NONE, ALL = [False] * 4, [True] * 4


@pytest.mark.parametrize("fixed, count_fixed, expected", [
    # q fixed off its status quo: a's veto is touched by every package, in the counting half only.
    ({1: MOVE, 3: KEEP}, True, [ALL, NONE, R_MOVED, ALL]),
    ({1: MOVE, 3: KEEP}, False, [NONE, NONE, R_MOVED, NONE]),
    # q fixed at its status quo: a's veto is never touched, whatever t (in no veto or rule).
    ({1: KEEP, 3: MOVE}, True, [NONE, NONE, R_MOVED, ALL]),
    ({1: KEEP, 3: KEEP}, True, [NONE, NONE, R_MOVED, ALL]),
])
def test_fixed_provisions_count_in_one_half(cs, fixed, count_fixed, expected):
    assert masks(cs, [0, 2], PR, fixed, count_fixed) == expected


def test_free_columns(cs):
    # Columns q and t free, r fixed off its status quo: 'two' is touched through r.
    X = [(KEEP, KEEP), (KEEP, MOVE), (MOVE, KEEP), (MOVE, MOVE)]
    q_moved = [False, False, True, True]
    assert masks(cs, [1, 3], X, {0: KEEP, 2: MOVE}, True) == [q_moved, NONE, ALL, ALL]
    assert masks(cs, [1, 3], X, {0: KEEP, 2: MOVE}, False) == [q_moved, NONE, NONE, NONE]


def test_halves_add_up_to_whole_packages(cs):
    # Any split: the A half (counting the fixed provisions) OR the B half gives the whole package's masks.
    X = cs.space.all()
    whole = np.array(masks(cs, range(4), X, {}, True))
    for a_cols in ([0], [0, 1], [2, 3], [1, 3]):
        b_cols = [j for j in range(4) if j not in a_cols]
        got = np.array(masks(cs, a_cols, X[:, a_cols], {}, True)) | np.array(masks(cs, b_cols, X[:, b_cols], {}, False))
        assert (got == whole).all()


def test_no_status_quo_is_never_moved(cs):
    # The compiled tables' convention: status_quo[j] < 0 is no status quo, and no option of
    # such a provision moves it. Taking r's away untouches the rule over r, free or fixed.
    no_sq = dataclasses.replace(cs, status_quo=np.array([KEEP, KEEP, -1, -1]))
    assert masks(no_sq, [0, 2], PR, {1: MOVE, 3: KEEP}, True) == [ALL, NONE, NONE, ALL]
    assert masks(no_sq, [0, 1], PR, {2: MOVE, 3: KEEP}, True)[2] == NONE  # columns p, q here
