"""Uncertain numbers: draws of a scenario's ranges and distributions, and what they do to the verdicts.

Uncertain numbers are sampled into stacked compiled tables (one row per draw) that the
uncertainty kernels count in one pass; acceptance odds carry Wilson intervals, and the
distance to yes finds the smallest change of one number that flips a verdict. The package
itself imports nothing heavy.

- :mod:`~negosim.uncertainty.sampling`: ``sample``, ``sample_tables``, ``Sampler``;
- :mod:`~negosim.uncertainty.kernels`: numba loops counting, per package, the draws with a unanimous deal;
- :mod:`~negosim.uncertainty.acceptance`: acceptance probabilities; the most robust package;
- :mod:`~negosim.uncertainty.distance_to_yes`: ``distance_to_yes``.
"""
