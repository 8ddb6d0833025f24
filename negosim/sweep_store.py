"""Resumable Parquet output of a sweep.

While a sweep runs, each finished chunk of rows is written to
``OUT.parts/chunk-NNNNNN.parquet`` (a temporary file first, then renamed, so
a chunk file is either whole or absent). ``OUT.parts/sweep.json`` records
what the chunks belong to: the scenario's and the spec's hashes, the negosim
version and the chunk size. When every chunk is there, they are joined in
row order into ``OUT`` (again through a temporary file) with that record as
the table's metadata, and the parts folder is removed.

A resumed sweep keeps the chunks already written, provided the record
matches; otherwise it refuses, since mixing rows of two different sweeps
would be silently wrong.

Example
-------
>>> import tempfile, pathlib, pyarrow as pa
>>> out = pathlib.Path(tempfile.mkdtemp()) / "r.parquet"
>>> st = ChunkStore(out, {"spec_sha256": "s", "scenario_sha256": "c", "negosim_version": "1"})
>>> st.open(resume=False)
set()
>>> st.write(0, pa.table({"row": [0, 1], "x": [0.5, 1.5]}))
>>> st.finish(1)["x"].tolist(), read_metadata(out)["spec_sha256"]
([0.5, 1.5], 's')
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import NegosimError

#: Key of negosim's record in the Parquet schema metadata.
META_KEY = b"negosim"
_CHUNK = re.compile(r"^chunk-(\d{6,})\.parquet$")
#: Record fields that must match for a sweep to be resumed.
MATCH = ("spec_sha256", "scenario_sha256", "negosim_version")


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class ChunkStore:
    """Chunk files of one sweep next to its output file.

    Parameters
    ----------
    out : the final Parquet file.
    record : the sweep's metadata (hashes, version, spec, ...).
    """

    def __init__(self, out, record: dict):
        self.out = Path(out)
        self.parts = self.out.with_name(self.out.name + ".parts")
        self.record = record

    def _chunk_path(self, i: int) -> Path:
        return self.parts / f"chunk-{i:06d}.parquet"

    def open(self, resume: bool) -> set[int] | None:
        """Prepare the parts folder; return the chunks already done.

        ``None`` means the output file already holds this very sweep (a
        resumed sweep that had finished). Resuming is refused when the
        chunks or the output file belong to another sweep.
        """
        manifest = self.parts / "sweep.json"
        if resume and manifest.exists():
            self._check_match(json.loads(manifest.read_text()), str(self.parts))
        elif resume and self.out.exists():
            self._check_match(read_metadata(self.out), str(self.out))
            self._clear()
            return None
        else:
            self._clear()
        self.parts.mkdir(parents=True, exist_ok=True)
        tmp = manifest.with_name(f".sweep.json.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(self.record, indent=1, sort_keys=True))
        os.replace(tmp, manifest)
        done = set()
        for f in self.parts.iterdir():
            m = _CHUNK.match(f.name)
            if m:
                done.add(int(m.group(1)))
            elif f.name.startswith("."):
                f.unlink()  # a temporary file of a run that was killed mid-write
        return done

    def _check_match(self, old: dict, where: str) -> None:
        for key in MATCH:
            if old.get(key) != self.record.get(key):
                what = {"spec_sha256": "the sweep spec", "scenario_sha256": "the scenario",
                        "negosim_version": "the negosim version"}[key]
                raise NegosimError(f"cannot resume: {what} changed since {where} was written "
                                   f"({key} {str(old.get(key))[:12]} vs {str(self.record.get(key))[:12]}); "
                                   "run without --resume to start over")
        if old.get("chunk") != self.record.get("chunk") or old.get("rows") != self.record.get("rows"):
            raise NegosimError(f"cannot resume: {where} was written with other chunks; run without --resume")

    def _clear(self) -> None:
        if not self.parts.exists():
            return
        for f in self.parts.iterdir():
            if _CHUNK.match(f.name) or f.name == "sweep.json" or f.name.startswith("."):
                f.unlink()
        try:
            self.parts.rmdir()
        except OSError:
            raise NegosimError(f"{self.parts} holds files negosim did not write; move them away") from None

    def write(self, i: int, table: pa.Table) -> None:
        """Write chunk ``i`` (whole or not at all)."""
        _write_atomic(table, self._chunk_path(i))

    def read(self, i: int) -> pa.Table:
        return pq.read_table(self._chunk_path(i))

    def finish(self, n_chunks: int) -> pd.DataFrame:
        """Join the chunks into the output file; return the table."""
        table = join(self.record, [self.read(i) for i in range(n_chunks)])
        _write_atomic(table, self.out)
        shutil.rmtree(self.parts, ignore_errors=True)
        return to_frame(table)


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
    except (OSError, pa.ArrowInvalid) as e:
        raise NegosimError(f"{path}: not a readable Parquet file ({e})") from None
    if META_KEY not in meta:
        raise NegosimError(f"{path}: not a negosim sweep result")
    return json.loads(meta[META_KEY])


def read_results(path) -> pd.DataFrame:
    """Read a sweep's result file; its record is in ``df.attrs["negosim"]``."""
    read_metadata(path)
    return to_frame(pq.read_table(path))
