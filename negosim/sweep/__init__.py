"""Sweeps: one scenario evaluated over a design of parameter values, resumably, on one machine or many.

A sweep spec names axes (parameters or scenario numbers) and a design; each row applies its
values to the compiled arrays, evaluates the features asked for (analysis, acceptance odds,
simulations) and lands in a resumable Parquet store, run serially, in worker processes or on
Dask. The package itself imports nothing heavy.

- :mod:`~negosim.sweep.spec`: sweep specs and designs;
- :mod:`~negosim.sweep.run`: ``Sweep``, ``load_sweep``, ``run_sweep``, ``read_results``;
- :mod:`~negosim.sweep.rows`: the evaluation of one row;
- :mod:`~negosim.sweep.store`: the resumable Parquet store;
- :mod:`~negosim.sweep.runners`: serial, process and Dask runners;
- :mod:`~negosim.sweep.worker`: the forked worker processes;
- :mod:`~negosim.sweep.axes`: axes applied to compiled arrays.
"""
