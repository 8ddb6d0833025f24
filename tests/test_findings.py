"""What a person reads from the Python API and the CLI is whole (issue 14)."""

from __future__ import annotations

import negosim
from negosim.engine.analysis import ResultTable


def test_printed_verdicts_are_whole():
    s = negosim.random_scenario(parties=4, provisions=5, options=3, seed=3, red_lines=2)
    a = negosim.analyze(s)
    text = str(a.verdicts())
    assert "..." not in text
    for v in a.draft.values():
        assert v.reason() in text  # every reason in full, not cut at pandas' column width
    assert isinstance(a.verdicts(), ResultTable) and isinstance(a.solutions_table(), ResultTable)
    assert "..." not in repr(a.contributions()) and "..." not in str(a.solutions_table())
