"""Checking that quotes occur verbatim in the articles they cite.

Quotes are compared after Unicode NFKC normalisation, with whitespace collapsed
and curly quotes and dashes folded to their ASCII forms, so that a quote copied
from a rendered article still matches its source text.

Example
-------
>>> normalize("“Peace”\\u00a0—  now")
'"Peace" - now'
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path

from negosim.errors import ArticlesMissingWarning, ScenarioError

_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})


def normalize(text: str) -> str:
    """NFKC, curly quotes and dashes folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=64)
def _article_text(path: str, version: tuple) -> str:
    from .yaml_io import read_regular_file
    return normalize(read_regular_file(path, what="article").decode("utf-8", errors="replace"))


def article_text(path: Path) -> str:
    """Normalised text of an article file (cached per file version).

    Read like a scenario: a regular file of at most the file-size limit
    (docs/limits.md), so a FIFO or /dev/zero named as an article cannot hang
    the quote check. Raises ScenarioError otherwise.
    """
    try:
        st = os.stat(path)
    except OSError:
        st = None  # read_regular_file says why
    return _article_text(str(path), (st.st_mtime_ns, st.st_size, st.st_ino) if st else ())


def quote_items(scenario):
    """Yield ``(path, source_id, quote)`` for every quote in a scenario."""
    from .schema import iter_numbers
    for path, num in iter_numbers(scenario):
        if num.quote is not None:
            yield path + ("quote",), num.source, num.quote
    for pid, prov in scenario.provisions.items():
        for oid, opt in prov.options.items():
            if opt.quote is not None:
                yield ("provisions", pid, "options", oid, "quote"), opt.source, opt.quote
    for name, party in scenario.parties.items():
        for i, rl in enumerate(party.red_lines):
            if rl.quote is not None:
                yield ("parties", name, "red_lines", i, "quote"), rl.source, rl.quote


def check_quotes(loaded) -> None:
    """Raise a ScenarioError for the first quote not found in its article.

    ``loaded`` is a :class:`~negosim.scenario.yaml_io.LoadedScenario`: its scenario's
    quotes are looked up in its article folder and an error points at the
    quote's ``file:line:col`` (:meth:`~negosim.scenario.yaml_io.LoadedScenario.error_at`).
    Where the article folder is missing, warn (ArticlesMissingWarning) and skip.
    """
    scenario, folder = loaded.scenario, loaded.articles
    items = list(quote_items(scenario))
    if not items:
        return
    if folder is None or not Path(folder).is_dir():
        warnings.warn(f"article folder {str(folder) if folder else '(none given)'} not found; "
                      f"{len(items)} quotes were not checked (set 'articles:' or pass --articles DIR)",
                      ArticlesMissingWarning, stacklevel=3)
        return

    def fail(path, message):
        raise loaded.error_at(path, message)

    for path, source, quote in items:
        if source is None:
            fail(path, "a quote needs a source")
        if source not in scenario.sources:
            fail(path[:-1] + ("source",), f"unknown source '{source}'")
        file = Path(folder) / scenario.sources[source].file
        if not file.exists():
            fail(path[:-1] + ("source",), f"article file '{file}' of source '{source}' not found")
        if not normalize(quote):
            fail(path, "quote is empty")
        try:
            text = article_text(file)
        except ScenarioError as e:
            fail(path[:-1] + ("source",), f"article file '{file}' of source '{source}': {e.message}")
        if normalize(quote) not in text:
            fail(path, f"quote not found in {scenario.sources[source].file}: " + _mismatch(normalize(quote), text))


def _mismatch(quote: str, text: str) -> str:
    """Where a normalised quote stops matching the article, in a few words.

    >>> _mismatch("peace comes after the winter", "they say peace comes before the winter")
    "the article has 'peace comes' but not 'after the winter'"
    """
    # A prefix that occurs implies every shorter one does: bisect its length.
    lo, hi = 0, len(quote)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if quote[:mid] in text:
            lo = mid
        else:
            hi = mid - 1
    cut = quote.rfind(" ", 0, lo + 1)  # back to the start of the word that differs
    if cut < 8:
        return f"no passage starts like {quote[:40]!r}"
    seen, rest = quote[:cut], quote[cut + 1:]
    seen = seen if len(seen) <= 40 else "..." + seen[-37:]
    rest = rest if len(rest) <= 40 else rest[:37] + "..."
    return f"the article has {seen!r} but not {rest!r}"


def article_hashes(scenario, folder: Path | None) -> dict[str, str]:
    """sha256 of each cited article file that exists, by file name."""
    out: dict[str, str] = {}
    if folder is None:
        return out
    from .yaml_io import read_regular_file
    for src in scenario.sources.values():
        f = Path(folder) / src.file
        if src.file in out or not f.is_file():
            continue
        try:
            out[src.file] = hashlib.sha256(read_regular_file(f, what="article")).hexdigest()
        except ScenarioError:
            pass  # unreadable or too large: no hash, as for a missing file
    return out
