"""scripts/mutants.py stays in step with the code: every mutant's edit still applies.

Running the mutants takes minutes (each runs part of the suite on a mutated copy), so the
suite only checks that each edit finds its text exactly once; `python scripts/mutants.py`
runs them. A refactor that moves the code must move the mutant with it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mutants", ROOT / "scripts" / "mutants.py")
mutants = importlib.util.module_from_spec(spec)
sys.modules["mutants"] = mutants  # dataclasses look their module up there
spec.loader.exec_module(mutants)


@pytest.mark.parametrize("m", mutants.MUTANTS, ids=lambda m: m.name)
def test_mutant_edit_applies_exactly_once(m):
    for file, old, new in m.edits:
        text = (ROOT / file).read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{m.name}: {file}: update the mutant to the code as it is now"
        assert new != old
    for t in m.tests:
        assert (ROOT / t.split("::")[0]).exists(), t


def test_names_are_unique():
    names = [m.name for m in mutants.MUTANTS]
    assert len(names) == len(set(names))
