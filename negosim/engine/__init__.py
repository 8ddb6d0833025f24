"""The exact engine: a scenario compiled to numeric tables and every package of it analysed exactly.

A validated scenario becomes a :class:`~negosim.engine.compiled.CompiledScenario` (numpy tables,
one scoring function); the provisions are split into a conditioned set C and halves A and B,
and numba kernels count the zone of agreement, its Pareto front and the solution points pair of
half rows by pair, without materialising the packages. The modules import numpy, numba and
pandas at their top, so the package itself imports none of them.

- :mod:`~negosim.engine.space`: ``PackageSpace``, mixed-radix package indices;
- :mod:`~negosim.engine.compiled`: ``CompiledScenario``, ``compile_scenario``, the one derivation and scorer;
- :mod:`~negosim.engine.split`: the split into C, A and B; blocks of half tables;
- :mod:`~negosim.engine.kernels`: numba loops over pairs of half rows;
- :mod:`~negosim.engine.solutions`: Nash, Kalai–Smorodinsky, egalitarian and utilitarian objectives;
- :mod:`~negosim.engine.analysis`: ``analyze()`` and its result ``Analysis``;
- :mod:`~negosim.engine.compare`: drafts of several scenarios side by side;
- :mod:`~negosim.engine.random_scenario`: random scenarios for tests and benchmarks.
"""
