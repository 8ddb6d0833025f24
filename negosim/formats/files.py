"""Which format a folder or a list of files is in, and reading or writing a domain in it.

Example
-------
>>> detect(["profile.json"]), detect(["a.xml", "b.xml"])
('geniusweb', 'genius')
"""

from __future__ import annotations

from pathlib import Path

from negosim.errors import NegosimError
from .domain import Domain

#: The formats that can be written.
FORMATS = ("genius", "geniusweb")


def detect(paths) -> str:
    """``genius`` (XML files) or ``geniusweb`` (JSON files); a folder by the files it holds."""
    suffixes = set()
    for p in map(Path, paths):
        if p.is_dir():
            suffixes |= {f.suffix.lower() for f in p.iterdir() if f.suffix.lower() in (".xml", ".json")}
        else:
            suffixes.add(p.suffix.lower())
    if suffixes == {".json"}:
        return "geniusweb"
    if ".xml" in suffixes:
        return "genius"
    raise NegosimError(f"{', '.join(map(str, paths))}: no GENIUS XML or GeniusWeb JSON file found")


def read_domain(paths, bins: int | None = None) -> Domain:
    """The domain in a folder or files, in the format :func:`detect` finds."""
    if detect(paths) == "geniusweb":
        from . import geniusweb
        return geniusweb.read(paths, bins=bins)
    from . import genius
    return genius.read(paths, bins=bins)


def write_domain(domain: Domain, fmt: str, folder) -> list[Path]:
    """Write a domain in ``fmt`` into ``folder``; the paths written."""
    if fmt == "geniusweb":
        from . import geniusweb
        return geniusweb.write(domain, folder)
    from . import genius
    return genius.write(domain, folder)
