"""Mixed-radix package space: hand-worked indices and round-trip properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negosim.engine.space import PackageSpace


def test_hand_worked_indices():
    sp = PackageSpace([2, 3])
    # first provision most significant: (0,0) (0,1) (0,2) (1,0) ...
    assert sp.encode([[0, 0], [0, 2], [1, 0], [1, 2]]).tolist() == [0, 2, 3, 5]
    assert sp.decode([4]).tolist() == [[1, 1]]


def test_exact_size_beyond_memory_and_int64():
    sp = PackageSpace([4] * 40)
    assert sp.size == 4 ** 40
    sp = PackageSpace([10] * 30)
    assert sp.size == 10 ** 30 and not sp.fits_int64
    idx = 10 ** 30 - 1
    assert sp.decode_one(idx) == (9,) * 30
    assert sp.encode_one((9,) * 30) == idx


def test_out_of_range_refused():
    sp = PackageSpace([2, 2])
    with pytest.raises(ValueError):
        sp.encode([[0, 2]])
    with pytest.raises(ValueError):
        sp.decode([4])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=7), st.data())
def test_encode_decode_round_trip(radix, data):
    sp = PackageSpace(radix)
    idx = np.array(data.draw(st.lists(st.integers(0, sp.size - 1), min_size=1, max_size=20)))
    X = sp.decode(idx)
    assert np.array_equal(sp.encode(X), idx)
    assert all(sp.encode_one(x) == i for x, i in zip(X.tolist(), idx.tolist()))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=6), st.integers(1, 50))
def test_chunks_cover_space_in_order(radix, chunk):
    sp = PackageSpace(radix)
    allx = np.concatenate(list(sp.chunks(chunk)))
    assert len(allx) == sp.size
    assert np.array_equal(sp.encode(allx), np.arange(sp.size))
