"""Measurements that need a fresh process; prints one JSON object.

``python benchmarks/probe.py cold KIND PROVISIONS``
    Seconds to import negosim and for the first ``analyze`` call, when numba
    loads its compiled kernels from the cache (or compiles them if the cache
    is missing: ``numba_cache`` says which).

``python benchmarks/probe.py memory KIND PROVISIONS PARETO``
    Peak resident memory of one ``analyze`` call (``PARETO`` 1 or 0). numba
    and numpy allocate outside Python's allocator, so tracemalloc would miss
    most of it: the operating system's high-water mark is read after imports
    and a small warm-up analysis (the baseline) and again after the call; both
    and their difference are reported.

    The mark is ``VmHWM`` of ``/proc/self/status`` where it exists. Linux
    carries ``getrusage``'s ``ru_maxrss`` over from the parent across fork and
    exec, so a probe started by a big benchmark process would report the
    parent's peak; ``VmHWM`` belongs to the new process's memory map only.
    ``ru_maxrss`` is reported too.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _hwm_mib() -> float | None:
    """Peak resident memory of this process's own memory map (Linux), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mib() -> tuple[float, str]:
    """The best available peak-memory figure and where it comes from."""
    hwm = _hwm_mib()
    return (hwm, "VmHWM") if hwm is not None else (_maxrss_mib(), "ru_maxrss")


def numba_cache_present() -> bool:
    """Whether numba's on-disk cache of negosim's kernels exists."""
    import importlib.util
    origin = Path(importlib.util.find_spec("negosim").origin).parent
    return any((origin / "__pycache__").glob("kernels*.nbi"))


def cold(kind: str, provisions: int) -> dict:
    cache = numba_cache_present()
    t = time.perf_counter()
    import negosim
    from kinds import make
    imported = time.perf_counter() - t
    s = make(kind, provisions=provisions)
    t = time.perf_counter()
    negosim.analyze(s)
    first = time.perf_counter() - t
    t = time.perf_counter()
    negosim.analyze(s)
    second = time.perf_counter() - t
    return {"kind": kind, "provisions": provisions, "numba_cache": cache, "import_s": imported,
            "first_call_s": first, "second_call_s": second}


def memory(kind: str, provisions: int, pareto: bool) -> dict:
    import negosim
    from kinds import make
    negosim.analyze(make(kind, provisions=6), pareto=True)  # loads every kernel
    s = make(kind, provisions=provisions)
    base, source = peak_mib()
    base_rusage = _maxrss_mib()
    t = time.perf_counter()
    a = negosim.analyze(s, pareto=pareto)
    seconds = time.perf_counter() - t
    peak, _ = peak_mib()
    return {"kind": kind, "provisions": provisions, "pareto": pareto, "seconds": seconds, "source": source,
            "baseline_mib": base, "peak_mib": peak, "delta_mib": peak - base,
            "ru_maxrss_baseline_mib": base_rusage, "ru_maxrss_peak_mib": _maxrss_mib(),
            "zone_size": a.zone_size, "pareto_size": a.pareto_size}


if __name__ == "__main__":
    mode, kind, provisions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = cold(kind, provisions) if mode == "cold" else memory(kind, provisions, sys.argv[4] == "1")
    print(json.dumps(out))
