"""Calibration: what the articles report each party did, and the draws of the numbers that reproduce it.

- :mod:`~negosim.calibration.observations`: the observation file (``negosim_observations: 1``),
  its pydantic model and loader (quotes checked in the articles, errors at ``file:line:col``);
- :mod:`~negosim.calibration.calibrate`: ``calibrate()``, the rejection sampler behind
  ``negosim calibrate``: draws of every uncertain number, kept when they reproduce the
  observations, posterior ranges and out-of-sample predictions.
"""
