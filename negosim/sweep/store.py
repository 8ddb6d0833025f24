"""Resumable Parquet output of a sweep.

While a sweep runs, each finished chunk of rows is written to
``OUT.parts/chunk-NNNNNN.parquet`` (a temporary file first, then renamed, so
a chunk file is either whole or absent), and then its checksum file
``chunk-NNNNNN.json``: the chunk's number, its rows and the SHA-256 of the
chunk file's bytes. ``OUT.parts/sweep.json`` records what the chunks belong
to: the spec's and the scenario's hashes (each scenario file's too), the
negosim version and the chunk size. When every chunk is there, they are
joined in row order into ``OUT`` (again through a temporary file) with that
record as the table's metadata, and the parts folder is removed.

A resumed sweep keeps the chunks already written, provided the record
matches; otherwise it refuses and names what changed (the spec file, a
scenario file, the version), since mixing rows of two different sweeps would
be silently wrong. Each chunk is checked before it is kept: its checksum file
must be there and name that chunk and its rows, the file's bytes must have
that hash, and the table must hold exactly those rows. A chunk that fails is
recomputed, with a :class:`ChunkRecomputedWarning` that says why.

Example
-------
>>> import tempfile, pathlib, pyarrow as pa
>>> out = pathlib.Path(tempfile.mkdtemp()) / "r.parquet"
>>> st = ChunkStore(out, {"spec_sha256": "s", "scenario_sha256": "c", "negosim_version": "1",
...                       "chunk": 2, "rows": 2})
>>> st.open(resume=False)
set()
>>> st.write(0, pa.table({"row": [0, 1], "x": [0.5, 1.5]}))
>>> st.open(resume=True)
{0}
>>> st.finish(1)["x"].tolist(), read_metadata(out)["spec_sha256"]
([0.5, 1.5], 's')
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from negosim.errors import NegosimError, NegosimWarning
from .worker import pid_alive

#: Key of negosim's record in the Parquet schema metadata.
META_KEY = b"negosim"
_CHUNK = re.compile(r"^chunk-(\d{6,})\.parquet$")
_SUM = re.compile(r"^chunk-(\d{6,})\.json$")
#: Record fields that must match for a sweep to be resumed.
MATCH = ("spec_sha256", "scenario_sha256", "negosim_version")


class ChunkRecomputedWarning(NegosimWarning):
    """A chunk left by an earlier run failed its check and is computed again."""


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _write_bytes_atomic(data: bytes, path: Path) -> None:
    """``path`` holds ``data`` whole, or is as it was: a temporary file, synced, then renamed over it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        _fsync_write(tmp, data)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(e, OSError):
            raise NegosimError(f"cannot write {path}: {e.strerror or e}") from None
        raise


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _write_atomic(table: pa.Table, path: Path) -> None:
    _write_bytes_atomic(_parquet_bytes(table), path)


class ChunkStore:
    """Chunk files of one sweep next to its output file.

    Parameters
    ----------
    out : the final Parquet file.
    record : the sweep's metadata (hashes, version, spec, ``chunk`` rows per chunk, ``rows`` in all).
    """

    def __init__(self, out, record: dict):
        self.out = Path(out)
        self.parts = self.out.with_name(self.out.name + ".parts")
        self.record = record

    def _chunk_path(self, i: int) -> Path:
        return self.parts / f"chunk-{i:06d}.parquet"

    def _sum_path(self, i: int) -> Path:
        return self.parts / f"chunk-{i:06d}.json"

    def bounds(self, i: int) -> tuple[int, int]:
        """Rows ``[lo, hi)`` of chunk ``i``."""
        size, rows = int(self.record["chunk"]), int(self.record["rows"])
        return i * size, min(rows, (i + 1) * size)

    def n_chunks(self) -> int:
        size, rows = int(self.record["chunk"]), int(self.record["rows"])
        return max(1, -(-rows // size))

    def open(self, resume: bool) -> set[int] | None:
        """Prepare the parts folder; return the chunks already done (and checked).

        ``None`` means the output file already holds this very sweep (a
        resumed sweep that had finished). Resuming is refused when the
        chunks or the output file belong to another sweep.
        """
        manifest = self.parts / "sweep.json"
        self._remove_stale_tmp()
        if self.parts.exists() and not self.parts.is_dir():
            raise NegosimError(f"{self.parts}: exists and is not a folder; move it away")
        if resume and manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except (OSError, ValueError):
                raise NegosimError(f"cannot resume: {manifest} is damaged; run without --resume") from None
            self._check_match(old if isinstance(old, dict) else {}, str(self.parts))
        elif resume and self.out.exists():
            self._check_match(read_metadata(self.out), str(self.out))
            why = self._final_problem()
            if why is None:
                self._clear()
                return None
            warnings.warn(ChunkRecomputedWarning(f"{self.out}: {why} (computing the sweep again)"), stacklevel=2)
            self._clear()
        else:
            self._clear()
        self.parts.mkdir(parents=True, exist_ok=True)
        _write_bytes_atomic(json.dumps(self.record, indent=1, sort_keys=True).encode(), manifest)
        return self._checked_chunks() if resume else set()

    def _remove_stale_tmp(self) -> None:
        # The temporary output file of a run killed while writing it (its pid in the name).
        for f in self.out.parent.glob(f".{glob.escape(self.out.name)}.tmp-*"):
            pid = f.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
                f.unlink(missing_ok=True)

    def _checked_chunks(self) -> set[int]:
        """The chunks on disk that pass their check; the others are removed, with a warning each."""
        n = self.n_chunks()
        done = set()
        for f in sorted(self.parts.iterdir()):
            m = _CHUNK.match(f.name)
            if m:
                i = int(m.group(1))
                why = self.problem(i) if i < n else "not a chunk of this sweep"
                if why is None:
                    done.add(i)
                    continue
                if i < n:
                    lo, hi = self.bounds(i)
                    msg = f"chunk {i}: rows {lo}-{hi - 1} do not match ({why}; recomputing)"
                else:
                    msg = f"chunk {i}: {why} (removed)"
                warnings.warn(ChunkRecomputedWarning(msg), stacklevel=3)
                f.unlink()
                self._sum_path(i).unlink(missing_ok=True)
            elif f.name.startswith("."):
                f.unlink()  # a temporary file of a run that was killed mid-write
        for f in self.parts.iterdir():
            m = _SUM.match(f.name)
            if m and int(m.group(1)) not in done:
                f.unlink()  # the checksum of a chunk that is gone
        return done

    def problem(self, i: int) -> str | None:
        """Why chunk ``i`` on disk cannot be kept, or None when it passes every check."""
        lo, hi = self.bounds(i)
        try:
            side = json.loads(self._sum_path(i).read_text())
        except FileNotFoundError:
            return "no checksum: the run stopped while writing it"
        except (OSError, ValueError):
            return "its checksum file is damaged"
        if not isinstance(side, dict) or side.get("chunk") != i or side.get("rows") != [lo, hi]:
            got = side.get("rows") if isinstance(side, dict) else None
            return f"its checksum file is for rows {got[0]}-{got[1] - 1}" if (
                isinstance(got, list) and len(got) == 2 and all(isinstance(x, int) for x in got)) \
                else "its checksum file is for another chunk"
        try:
            data = self._chunk_path(i).read_bytes()
        except OSError as e:
            return f"unreadable: {e.strerror or e}"
        if hashlib.sha256(data).hexdigest() != side.get("sha256"):
            return "the file changed after it was written"
        try:
            table = pq.read_table(pa.BufferReader(data))
        except (OSError, pa.ArrowException) as e:
            return f"not a readable Parquet file ({str(e)[:80]})"
        return _rows_problem(table, lo, hi)

    def _final_problem(self) -> str | None:
        """Why the finished output file is not this whole sweep, or None."""
        try:
            rows = pq.read_table(self.out, columns=["row"])
        except (OSError, pa.ArrowException, KeyError) as e:
            return f"not a readable Parquet file ({str(e)[:80]})"
        return _rows_problem(rows, 0, int(self.record["rows"]))

    def _check_match(self, old: dict, where: str) -> None:
        for key in MATCH:
            if old.get(key) != self.record.get(key):
                raise NegosimError(f"cannot resume: {self._what_changed(key, old)} changed since {where} was "
                                   "written; run without --resume to start over")
        if old.get("chunk") != self.record.get("chunk") or old.get("rows") != self.record.get("rows"):
            raise NegosimError(f"cannot resume: {where} was written with other chunks; run without --resume")

    def _what_changed(self, key: str, old: dict) -> str:
        new = self.record
        if key == "spec_sha256":
            return f"the sweep spec {new['spec_file']}" if new.get("spec_file") else "the sweep spec"
        if key == "negosim_version":
            return f"the negosim version ({old.get(key)} -> {new.get(key)})"
        before, now = old.get("scenario_files"), new.get("scenario_files")
        if isinstance(before, dict) and isinstance(now, dict):
            names = [f for f in now if before.get(f) != now[f]] + [f for f in before if f not in now]
            if names:
                return f"the scenario file{'s' if len(names) > 1 else ''} {', '.join(names)}"
        return f"the scenario {new.get('scenario', '')}".rstrip()

    def _clear(self) -> None:
        if not self.parts.exists():
            return
        for f in self.parts.iterdir():
            if _CHUNK.match(f.name) or _SUM.match(f.name) or f.name == "sweep.json" or f.name.startswith("."):
                f.unlink()
        try:
            self.parts.rmdir()
        except OSError:
            raise NegosimError(f"{self.parts} holds files negosim did not write; move them away") from None

    def write(self, i: int, table: pa.Table) -> None:
        """Write chunk ``i`` (whole or not at all), then its checksum file."""
        data = _parquet_bytes(table)
        rows = table.column("row") if "row" in table.column_names else None
        lo = int(rows[0].as_py()) if rows is not None and len(rows) else 0
        _write_bytes_atomic(data, self._chunk_path(i))
        side = {"chunk": i, "rows": [lo, lo + table.num_rows], "sha256": hashlib.sha256(data).hexdigest()}
        _write_bytes_atomic(json.dumps(side).encode(), self._sum_path(i))

    def read(self, i: int) -> pa.Table:
        """Chunk ``i``, checked (NegosimError if it changed while the sweep ran)."""
        why = self.problem(i)
        if why is not None:
            lo, hi = self.bounds(i)
            raise NegosimError(f"chunk {i}: rows {lo}-{hi - 1} changed while the sweep ran ({why}); "
                               "run again with --resume to recompute it")
        return pq.read_table(self._chunk_path(i))

    def finish(self, n_chunks: int) -> pd.DataFrame:
        """Join the chunks into the output file (atomically); return the table."""
        table = join(self.record, [self.read(i) for i in range(n_chunks)])
        _write_atomic(table, self.out)
        shutil.rmtree(self.parts, ignore_errors=True)
        return to_frame(table)


def _rows_problem(table: pa.Table, lo: int, hi: int) -> str | None:
    if "row" not in table.column_names:
        return "it has no row column"
    rows = table.column("row").to_numpy(zero_copy_only=False)
    if len(rows) == hi - lo and np.array_equal(rows, np.arange(lo, hi)):
        return None
    if not len(rows):
        return "it is empty"
    return f"it holds {len(rows)} rows, {rows[0]}-{rows[-1]}"


def check_out(out, record: dict, protected=()) -> Path:
    """Refuse, before a sweep runs, an output path it must not write.

    ``out`` must be a regular file or absent, in a folder that exists and can
    be written, not one of the ``protected`` files (the spec, the scenario's
    files); if it exists it must be a result of this very sweep (same spec and
    scenario hashes), which the sweep may replace. Anything else is a
    NegosimError that says so.

    >>> check_out("/dev/null", {})
    Traceback (most recent call last):
    ...
    negosim.errors.NegosimError: '/dev/null' exists and is not a regular file
    """
    from negosim.cli.argtypes import output_file
    try:
        path = output_file(str(out))
    except argparse.ArgumentTypeError as e:
        raise NegosimError(str(e)) from None
    for p in protected:
        try:
            same = path.exists() and Path(p).exists() and os.path.samefile(path, p)
        except OSError:
            same = False
        if same or Path(os.path.abspath(path)) == Path(os.path.abspath(p)):
            raise NegosimError(f"{out}: is an input of the sweep ({p}); choose another output file")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path
    except OSError as e:
        raise NegosimError(f"{out}: cannot check it ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        raise NegosimError(f"{out}: exists and is not a regular file")
    try:
        meta = read_metadata(path)
    except NegosimError:
        raise NegosimError(f"{out}: exists and is not a negosim sweep result; remove it or choose another "
                           "output file") from None
    for key in ("spec_sha256", "scenario_sha256"):
        if meta.get(key) != record.get(key):
            what = "spec" if key == "spec_sha256" else "scenario"
            raise NegosimError(f"{out}: holds the result of another sweep (its {what} differs); remove it "
                               "or choose another output file")
    return path


def join(record: dict, tables: list[pa.Table]) -> pa.Table:
    """The chunks in order, as one table carrying the sweep's record."""
    table = pa.concat_tables(tables)
    return table.replace_schema_metadata({META_KEY: json.dumps(record, sort_keys=True).encode()})


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A DataFrame of a result table, its negosim record in ``df.attrs["negosim"]``."""
    meta = (table.schema.metadata or {}).get(META_KEY)
    df = table.replace_schema_metadata(None).to_pandas()
    if meta is not None:
        df.attrs["negosim"] = json.loads(meta)
    return df


def read_metadata(path) -> dict:
    """The negosim record of a result file (hashes, version, spec)."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException) as e:
        raise NegosimError(f"{path}: not a readable Parquet file ({e})") from None
    if META_KEY not in meta:
        raise NegosimError(f"{path}: not a negosim sweep result")
    try:
        record = json.loads(meta[META_KEY])
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise NegosimError(f"{path}: its negosim record is damaged")
    return record


def read_results(path) -> pd.DataFrame:
    """Read a sweep's result file; its record is in ``df.attrs["negosim"]``."""
    read_metadata(path)
    try:
        return to_frame(pq.read_table(path))
    except (OSError, pa.ArrowException) as e:
        raise NegosimError(f"{path}: not a readable Parquet file ({e})") from None
