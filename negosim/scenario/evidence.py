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

from negosim.errors import ArticlesMissingWarning, ScenarioError, format_path

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
    for i, out in enumerate(scenario.no_deal.outcomes if scenario.no_deal else ()):
        if out.quote is not None:
            yield ("no_deal", "outcomes", i, "quote"), out.source, out.quote


def quote_party(scenario, path: tuple) -> str | None:
    """The party whose number or red line the quote at ``path`` (from :func:`quote_items`) supports.

    A party's own numbers and red lines are that party's; a parameter's effect is
    the party of the number it moves (its effect ``path``); a no-deal cost
    ``no_deal.cost.P`` is P's. Quotes that support no party's number give None:
    options (they say what was proposed, for everyone), a parameter's own value,
    an effect on a no-deal outcome's probability, those probabilities, and an
    outcome's package (what fighting brings is the same for every party).

    >>> quote_party(None, ("parties", "us", "weights", "donbas", "quote")), quote_party(None, ("no_deal", "cost", "us", "quote"))
    ('us', 'us')
    """
    if path[0] == "parties":
        return path[1]
    if path[:2] == ("no_deal", "cost"):
        return path[2]
    if path[0] == "parameters" and len(path) > 3 and path[2] == "effects":
        target = scenario.parameters[path[1]].effects[path[3]].path.split(".")
        if target[0] == "parties" or target[:2] == ["no_deal", "cost"]:
            return target[1] if target[0] == "parties" else target[2]
    return None


def passage_span(text: str, passage) -> tuple[int, int]:
    """Where a declared passage lies in an article's normalised text, as ``(start, end)`` offsets.

    It runs from the first occurrence of its ``start`` words to the end of the first
    occurrence of its ``end`` words from there on. Raises ``LookupError('start')`` or
    ``LookupError('end')`` naming the words that are not found.

    >>> from types import SimpleNamespace as P
    >>> text = "one two three four five two six"
    >>> a, b = passage_span(text, P(start="two", end="five"))
    >>> text[a:b]
    'two three four five'
    """
    start, end = normalize(passage.start), normalize(passage.end)
    a = text.find(start) if start else -1
    if a < 0:
        raise LookupError("start")
    b = text.find(end, a) if end else -1
    if b < 0:
        raise LookupError("end")
    return a, b + len(end)


def _occurrences(text: str, quote: str) -> list[int]:
    out, i = [], text.find(quote)
    while i >= 0:
        out.append(i)
        i = text.find(quote, i + 1)
    return out


def _usable(passage, party: str | None) -> bool:
    # A quote for no party's number is held only by a passage usable for nobody (usable_for: []).
    if passage.usable_for is None:
        return True
    return passage.usable_for != [] if party is None else party in passage.usable_for


def _scope_message(sid: str, passage, party: str | None, what: str) -> str:
    about = "; ".join(x for x in (f"dated {passage.date}" if passage.date else "", passage.note) if x)
    usable = (f"usable only for {', '.join(passage.usable_for)}" if passage.usable_for
              else "usable for no number")
    return (f"this quote is from passage '{passage.id}' of {sid}" + (f" ({about})" if about else "")
            + f", {usable}; it cannot support {what}")


def _check_passage_ids(scenario, fail) -> None:
    """Passage ids unique within their source, ``usable_for`` naming known parties."""
    for sid, src in scenario.sources.items():
        seen = set()
        for i, passage in enumerate(src.passages):
            where = ("sources", sid, "passages", i)
            if passage.id in seen:
                fail(where + ("id",), f"duplicate passage id '{passage.id}' in source '{sid}'")
            seen.add(passage.id)
            for j, party in enumerate(passage.usable_for or []):
                if party not in scenario.parties:
                    fail(where + ("usable_for", j),
                         f"unknown party '{party}' (known: {', '.join(scenario.parties)})")


def check_quotes(loaded) -> None:
    """Raise a ScenarioError for the first quote not found in its article, or used out of scope.

    ``loaded`` is a :class:`~negosim.scenario.yaml_io.LoadedScenario`: its scenario's
    quotes are looked up in its article folder and an error points at the
    quote's ``file:line:col`` (:meth:`~negosim.scenario.yaml_io.LoadedScenario.error_at`).
    Where the article folder is missing, warn (ArticlesMissingWarning) and skip.

    Passages: each passage a source declares must be found in its article
    (:func:`passage_span`; an error at its ``start`` or ``end`` otherwise), and its
    ``usable_for`` must name known parties. A quote lying inside a passage may
    support only the numbers and red lines of the parties that passage is usable for
    (the party is :func:`quote_party`'s). A quote found several times is out of
    scope only if every occurrence lies in a passage not usable for it. Options are
    exempt from the party scope: like a parameter's value or a no-deal outcome's
    probability, an option's quote supports no party's number, and only a passage
    declared ``usable_for: []`` (usable for no number) refuses such a quote.
    """
    scenario, folder = loaded.scenario, loaded.articles

    def fail(path, message):
        raise loaded.error_at(path, message)

    _check_passage_ids(scenario, fail)
    items = list(quote_items(scenario))
    scoped = [sid for sid, src in scenario.sources.items() if src.passages]
    if not items and not scoped:
        return
    if folder is None or not Path(folder).is_dir():
        what = f"{len(items)} quotes were not checked" + (
            f" nor the passages of {', '.join(scoped)}" if scoped else "")
        warnings.warn(f"article folder {str(folder) if folder else '(none given)'} not found; "
                      f"{what} (set 'articles:' or pass --articles DIR)",
                      ArticlesMissingWarning, stacklevel=3)
        return

    def text_of(sid, path):
        file = Path(folder) / scenario.sources[sid].file
        if not file.exists():
            fail(path, f"article file '{file}' of source '{sid}' not found")
        try:
            return article_text(file)
        except ScenarioError as e:
            fail(path, f"article file '{file}' of source '{sid}': {e.message}")

    spans: dict[str, list] = {}  # source id -> [(passage, start, end)]
    for sid in scoped:
        src = scenario.sources[sid]
        text = text_of(sid, ("sources", sid, "file"))
        spans[sid] = []
        for i, passage in enumerate(src.passages):
            try:
                a, b = passage_span(text, passage)
            except LookupError as e:
                key = e.args[0]
                words = normalize(getattr(passage, key))
                after = "" if key == "start" else " after its start words"
                rest = text if key == "start" else text[text.find(normalize(passage.start)):]
                if not words:
                    found = "they are empty"
                elif words in text:
                    found = "they occur only before the start words"
                else:
                    found = _mismatch(words, rest)
                fail(("sources", sid, "passages", i, key),
                     f"passage '{passage.id}': its {key} words are not found in {src.file}{after}: {found}")
            spans[sid].append((passage, a, b))

    for path, source, quote in items:
        if source is None:
            fail(path, "a quote needs a source")
        if source not in scenario.sources:
            fail(path[:-1] + ("source",), f"unknown source '{source}'")
        if not normalize(quote):
            fail(path, "quote is empty")
        text = text_of(source, path[:-1] + ("source",))
        q = normalize(quote)
        if q not in text:
            fail(path, f"quote not found in {scenario.sources[source].file}: " + _mismatch(q, text))
        if spans.get(source):
            _check_scope(scenario, source, spans[source], path, _occurrences(text, q), len(q), fail)


def _check_scope(scenario, sid: str, spans: list, path: tuple, occurrences: list[int], length: int, fail) -> None:
    party = quote_party(scenario, path)
    blocked = []
    for at in occurrences:
        hit = next((p for p, a, b in spans if a <= at and at + length <= b and not _usable(p, party)), None)
        if hit is None:
            return  # this occurrence may support the number
        blocked.append(hit)
    fail(path, _scope_message(sid, blocked[0], party, format_path(path[:-1])))


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
