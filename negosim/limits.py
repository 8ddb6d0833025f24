"""The documented limits of negosim, in one place (docs/limits.md explains each and how to override it).

Every check of a size a user can choose (parties, file size, nesting, work of an
analysis, workers) reads its bound from here, so the docs and the code cannot disagree.

Example
-------
>>> MAX_PARTIES
64
"""

from __future__ import annotations

#: Largest seed accepted (numpy seeds are non-negative integers; 2**63 - 1 keeps them in int64).
MAX_SEED = 2**63 - 1

#: Parties of one scenario. The exact engine keeps each package's red-line and consent
#: pattern as one 64-bit mask, a bit per party.
MAX_PARTIES = 64
#: Most consent rules of a scenario: the exact engine keeps one bit per k_of_n, weighted or double
#: rule in a 64-bit mask of the rules a half-package touches.
MAX_CONSENT_RULES = 64
#: Largest integer sum of a consent rule's weights once scaled to whole numbers (exact int64 sums).
MAX_CONSENT_WEIGHT = 2**62

# --- scenario files (the loader; docs/limits.md, section "Scenario files") ---

#: Largest input file read, in bytes (scenarios, extends parents, sweep specs, articles); negosim reads
#: at most one byte more, so a huge file or an endless device costs no more than this.
#: Override with the environment variable NEGOSIM_MAX_FILE_MB (whole MiB; read by negosim.scenario.yaml_io).
MAX_FILE_BYTES = 8 * 1024 * 1024

#: Deepest nesting of lists and mappings in one YAML file. The shipped scenarios nest 8 deep;
#: PyYAML composes recursively, so thousands of levels would exhaust Python's stack.
MAX_YAML_DEPTH = 200

#: Values (YAML nodes) of one scenario after every alias is expanded, all files of the extends
#: chain together. The shipped scenarios have about 4,000; an alias bomb has billions.
MAX_YAML_NODES = 1_000_000

#: Files in one extends chain (the file given and its ancestors).
MAX_EXTENDS_DEPTH = 32

#: Largest magnitude of an integer written in a YAML file (int64); more is a typo.
MAX_YAML_INT = 2**63 - 1

#: Largest magnitude of any real number in a scenario (values, weights, ranges, distribution
#: parameters, effects, recognition weights); sums of a few thousand of them stay finite.
MAX_NUMBER = 1e6

#: Largest ``protocol.changes_per_round`` and ``protocol.patience`` (``rounds`` is capped apart).
MAX_PROTOCOL_COUNT = 100_000


# Command line (docs/limits.md, "Command line"): bounds of the flags a user types.

#: ``--rounds`` of ``negosim run`` and ``negosim plot trace``: the same bound as ``protocol.rounds``
#: in a scenario. A round costs about 2 ms with four parties, so a run that goes to this deadline
#: (patience raised) takes a few minutes; with the default patience a run ends much sooner.
MAX_ROUNDS = 100_000

#: ``--dpi`` of ``negosim plot``: 1200 dpi is print quality; more makes a page-sized PNG of
#: hundreds of megapixels (matplotlib refuses 2**23 pixels a side).
MIN_DPI = 1
MAX_DPI = 1200

#: ``--bins`` of ``negosim plot frontier``: bins per axis of the density layer (fewer than 10 shows
#: nothing, more than 1000 is finer than the pixels of the figure).
MIN_BINS = 10
MAX_BINS = 1000

#: ``--repair K`` of ``negosim plot gains``: the analysis lists the best K minimal repairs, each
#: found by a pass over the zone; 1000 keeps that pass short.
MAX_REPAIR_RANK = 1000


# Sweeps (docs/limits.md, "Sweeps"): read by negosim.sweep.runners and negosim.sweep.spec.

#: ``negosim sweep --workers``: most local worker processes, even with ``--force-workers`` (without it
#: the number is capped at the CPUs this process may use). Each worker holds about 0.5 GB; more
#: than this is a typo, and a bigger machine is better used through a Dask scheduler.
MAX_WORKERS = 1024

#: Seconds a Dask scheduler (``--scheduler``) has to answer before the sweep gives up.
SCHEDULER_TIMEOUT_S = 5


# Exact analysis (docs/limits.md, "Parties and packages"): read by negosim.engine.analysis and
# negosim.cli.commands.analyze.

#: Work units the exact engine does in about a second on two cores: one unit is one party's
#: test of one pair of half rows in the compiled loops (about 1 ns measured on 2 cores with
#: every pair visited), or one coordinate of one dominance test of the Pareto filter.
WORK_PER_SECOND = 1_000_000_000

#: Default of ``analyze --max-work`` and of ``negosim.analyze(max_work=None)``: an analysis whose
#: estimated work exceeds it is refused before it starts. About 10 minutes on two cores at
#: ``WORK_PER_SECOND``; the estimate is an upper bound (most runs end much sooner).
MAX_WORK = 600 * WORK_PER_SECOND

#: Work the Pareto front may take when nobody asked for it (``analyze`` without ``--pareto``
#: shows its size only when it is this cheap, about 2 s); past it the front is skipped.
FRONT_AUTO_WORK = 2 * WORK_PER_SECOND

#: ``analyze --samples``: most draws (each draw holds every table of the scenario; 10^6 draws of
#: the shipped plans take minutes and gigabytes).
MAX_SAMPLES = 1_000_000

#: ``calibrate --draws``: most draws. The draws are made in chunks, so the tables take little
#: memory, but each draw's deciding numbers are kept for their quantiles (about 16 bytes per
#: number and draw: some 300 MB for the shipped rounds at this limit); 10^6 draws take a minute.
MAX_DRAWS = 1_000_000

#: ``analyze --top``: most minimal repairs listed (each is kept for every row of a half).
MAX_TOP = 1000


# Veto power (docs/limits.md, "Veto power"): read by negosim.engine.power.

#: Most coalitions the power indices visit by enumeration (2**n for n parties: 20 parties), and
#: most cells of one counting table of a weighted game (members x quota in integer units). Both
#: take about a second at this size; a weighted game of any number of members is counted.
MAX_POWER_COALITIONS = 2**20

#: Most packages in a space whose zone with transfers is counted (negosim.engine.transfers: half
#: against half, like the zone; the shipped 127-million-package round takes about 3 s, 3.6 s with
#: no pruning at all, so about 4 minutes at this limit at worst).
MAX_TRANSFER_PACKAGES = 1 << 33
