"""The package space: mixed-radix encoding of packages as integers.

A package picks one option per provision. With ``radix[j]`` options on
provision ``j``, package ``x`` has index ``sum(x[j] * stride[j])``, the first
provision being the most significant digit, so indices follow the
lexicographic order of option tuples. Sizes are exact Python integers, so a
space larger than memory (or than int64) is still counted exactly.

Example
-------
>>> sp = PackageSpace([4, 3, 2])
>>> sp.size
24
>>> sp.decode(sp.encode([[3, 1, 0]])).tolist()
[[3, 1, 0]]
>>> [c.shape for c in sp.chunks(10)]
[(10, 3), (10, 3), (4, 3)]
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np


class PackageSpace:
    """Mixed-radix indexing of the packages of a set of provisions.

    Parameters
    ----------
    radix : sequence of int
        Number of options of each provision (each at least 1).
    """

    def __init__(self, radix):
        self.radix = np.asarray(radix, dtype=np.int64)
        if self.radix.ndim != 1 or (self.radix < 1).any():
            raise ValueError("every provision needs at least one option")
        #: Exact number of packages (a Python int, never overflows).
        self.size = math.prod(int(r) for r in self.radix)
        strides = [1] * len(self.radix)
        for j in range(len(self.radix) - 2, -1, -1):
            strides[j] = strides[j + 1] * int(self.radix[j + 1])
        self._strides_py = strides
        self.fits_int64 = self.size <= np.iinfo(np.int64).max
        self.strides = np.asarray(strides, dtype=np.int64) if self.fits_int64 else None

    def __len__(self) -> int:
        return len(self.radix)

    def encode(self, packages) -> np.ndarray:
        """Indices of option tuples (shape ``[n, J]`` -> ``[n]``)."""
        x = np.asarray(packages, dtype=np.int64)
        if x.ndim == 1:
            x = x[None, :]
        if ((x < 0) | (x >= self.radix)).any():
            raise ValueError("option index out of range")
        if not self.fits_int64:
            raise OverflowError("package indices do not fit in 64 bits; use encode_one")
        return x @ self.strides

    def encode_one(self, package) -> int:
        """Exact index of one package, as a Python int (any size)."""
        return sum(int(o) * s for o, s in zip(package, self._strides_py))

    def decode(self, indices) -> np.ndarray:
        """Option tuples of indices (``[n]`` -> ``[n, J]``)."""
        idx = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        if idx.size and (idx.min() < 0 or (self.fits_int64 and idx.max() >= self.size)):
            raise ValueError("package index out of range")
        out = np.empty((idx.size, len(self.radix)), dtype=np.int64)
        rest = idx.copy()
        for j in range(len(self.radix) - 1, -1, -1):
            rest, out[:, j] = np.divmod(rest, self.radix[j])
        return out

    def decode_one(self, index: int) -> tuple[int, ...]:
        """Option tuple of one exact index."""
        if not 0 <= index < self.size:
            raise ValueError("package index out of range")
        out = []
        for r in reversed(self.radix.tolist()):
            index, d = divmod(index, r)
            out.append(d)
        return tuple(reversed(out))

    def chunks(self, chunk_size: int = 1 << 18, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Yield the packages ``start..stop`` as option arrays of at most ``chunk_size`` rows."""
        stop = self.size if stop is None else stop
        for lo in range(start, stop, chunk_size):
            yield self.decode(np.arange(lo, min(lo + chunk_size, stop), dtype=np.int64))

    def all(self) -> np.ndarray:
        """Every package as an option array (only for small spaces)."""
        if self.size > 1 << 26:
            raise MemoryError(f"{self.size} packages are too many to hold at once; use chunks()")
        return self.decode(np.arange(self.size, dtype=np.int64))
