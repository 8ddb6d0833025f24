"""Which format a folder or a list of files is in, and reading or writing a domain in it.

Example
-------
>>> detect(["profile.json"]), detect(["a.xml", "b.xml"]), detect(["space.yml"])
('geniusweb', 'genius', 'negmas')
"""

from __future__ import annotations

from pathlib import Path

from negosim.errors import NegosimError
from .domain import Domain

#: The formats that can be written.
FORMATS = ("genius", "geniusweb")


def detect(paths) -> str:
    """``genius`` (XML files), ``geniusweb`` (JSON) or ``negmas`` (NegMAS's YAML); a folder by the files it holds."""
    suffixes = set()
    for p in map(Path, paths):
        if p.is_dir():
            suffixes |= {f.suffix.lower() for f in p.iterdir()
                         if f.suffix.lower() in (".xml", ".json", ".yml", ".yaml") and not f.name.startswith("_")}
        else:
            suffixes.add(p.suffix.lower())
    if ".xml" in suffixes:
        return "genius"
    if ".json" in suffixes:
        return "geniusweb"
    if suffixes & {".yml", ".yaml"}:
        return "negmas"
    raise NegosimError(f"{', '.join(map(str, paths))}: no GENIUS XML, GeniusWeb JSON or NegMAS YAML file found")


def read_domain(paths, bins: int | None = None) -> Domain:
    """The domain in a folder or files, in the format :func:`detect` finds."""
    fmt = detect(paths)
    if fmt == "geniusweb":
        from . import geniusweb
        return geniusweb.read(paths, bins=bins)
    if fmt == "negmas":
        from . import negmas_yaml
        return negmas_yaml.read(paths, bins=bins)
    from . import genius
    return genius.read(paths, bins=bins)


def write_domain(domain: Domain, fmt: str, folder) -> list[Path]:
    """Write a domain in ``fmt`` into ``folder``; the paths written."""
    if fmt == "geniusweb":
        from . import geniusweb
        return geniusweb.write(domain, folder)
    from . import genius
    return genius.write(domain, folder)
