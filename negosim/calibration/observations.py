"""Observation files: what the articles report each party did with each round's draft.

An observation says that a party accepted (or did not accept) the draft of one
scenario file, with the verbatim quote it rests on and how far the quote
supports it (``supports``, graded like a number's evidence):

.. code-block:: yaml

    negosim_observations: 1
    observations:
      - id: kyiv_rejects_plan28
        scenario: plan28_2025_11.yaml      # relative to this file
        party: ukraine
        accepts: false
        source: A000                       # a source id of that scenario
        quote: "American officials say Ukraine would still reject the deal"
        supports: implies                  # states | implies | context
        claim: US officials expect Kyiv to reject it; Umerov denies any approval
        round: 2025-11                     # optional: default from the scenario's name

Only *states* and *implies* observations constrain a calibration; *context*
ones are listed with their predicted probability but never used or scored.
The file is read with the scenario loader's safe YAML rules, each quote is
looked up in the article its source names (as scenario quotes are), and every
error is one line at ``file:line:col``.

Example
-------
>>> scenario_round_of("plan28_2025_11"), scenario_round_of("toy")
('2025-11', 'toy')
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from negosim.errors import ArticlesMissingWarning, PathError, ScenarioError
from negosim.scenario.numbers import Confidence, Support

_CFG = ConfigDict(extra="forbid", frozen=True, strict=True)

#: The header key (and version) that marks an observation file.
HEADER = "negosim_observations"
#: Grades whose observations constrain a calibration (the others are context only).
USED_GRADES = ("states", "implies")

_ROUND = re.compile(r"(\d{4})[_-](\d{2})$")
_HEADER_LINE = re.compile(rb"^" + HEADER.encode() + rb"[ \t]*:", re.M)
_SCENARIO_LINE = re.compile(rb"^(?:negosim|extends)[ \t]*:", re.M)


class Observation(BaseModel):
    """One reported verdict of a party on a scenario's draft."""

    model_config = _CFG
    id: str = Field(min_length=1, description="Unique within the file.")
    scenario: str = Field(min_length=1, description="The scenario file whose draft was judged, relative to "
                                                    "the observation file.")
    party: str = Field(description="A party of that scenario.")
    accepts: StrictBool = Field(description="Whether the party accepted the draft as it stood.")
    source: str = Field(description="A source id of that scenario.")
    quote: str = Field(min_length=1, description="Verbatim passage of that source.")
    supports: Support = Field(description="How far the quote shows the verdict: states, implies (by the "
                                          "inference in claim) or context (listed, never used).")
    claim: str = Field("", description="What the quote shows, and the inference for implies.")
    round: str | None = Field(None, description="Round of talks (default: the YYYY_MM at the end of the "
                                                "scenario's name, written YYYY-MM).")
    confidence: Confidence | None = None
    note: str = ""

    @model_validator(mode="after")
    def _claim(self) -> "Observation":
        if self.supports == "implies" and not self.claim.strip():
            raise PathError(("claim",), "supports: implies needs the inference written in 'claim'")
        return self


class ObservationFile(BaseModel):
    """An observation file (the YAML keys, one for one)."""

    model_config = _CFG
    negosim_observations: int = Field(description="Format version: 1.", ge=1, le=1)
    description: str = ""
    observations: list[Observation] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "ObservationFile":
        seen: set[str] = set()
        for i, o in enumerate(self.observations):
            if o.id in seen:
                raise PathError(("observations", i, "id"), f"duplicate observation id '{o.id}'")
            seen.add(o.id)
        return self


def scenario_round_of(name: str) -> str:
    """The round a scenario models, from its name: ``YYYY_MM`` at the end becomes ``YYYY-MM``;
    a name without it is its own round."""
    m = _ROUND.search(name)
    return f"{m.group(1)}-{m.group(2)}" if m else name


@dataclass
class LoadedObservation:
    """An observation with its scenario loaded.

    Attributes
    ----------
    obs : Observation
    index : position in the file (its document path is ``("observations", index)``).
    file : resolved path of its scenario file.
    loaded : the scenario's LoadedScenario.
    round : the observation's round (given, or from the scenario's name).
    """

    obs: Observation
    index: int
    file: Path
    loaded: object
    round: str

    @property
    def used(self) -> bool:
        """Whether the observation may constrain a calibration (states or implies)."""
        return self.obs.supports in USED_GRADES


@dataclass
class Observations:
    """A loaded observation file."""

    path: Path
    items: list[LoadedObservation]
    node: object = None

    @property
    def rounds(self) -> list[str]:
        """The rounds observed, sorted."""
        return sorted({o.round for o in self.items})

    def error_at(self, path: tuple, message: str) -> ScenarioError:
        """A ScenarioError at ``path`` of the observation file."""
        from negosim.scenario.yaml_io import error_at
        return error_at(self.node, path, message)


def load_observations(path, articles=None, scenarios: dict | None = None) -> Observations:
    """Read, validate and check an observation file.

    Parameters
    ----------
    path : the YAML file.
    articles : folder of the articles (default: each scenario's ``articles`` key).
    scenarios : resolved scenario path -> LoadedScenario already loaded (reused, and
        filled with the ones loaded here).

    Raises
    ------
    ScenarioError
        At ``file:line:col``: bad YAML or keys, a scenario file that is missing or
        is no scenario, an unknown party or source, a quote not in its article.
    """
    from negosim.scenario.yaml_io import (NotAScenarioFile, load_document, load_scenario, read_regular_file,
                                          validation_to_error)
    path = Path(path)
    # Looked for in the bytes first: a file that is no observation file (a scenario, /etc/passwd, a
    # list) is refused by what it lacks, without a message that quotes it.
    raw = read_regular_file(path)
    if not _HEADER_LINE.search(raw):
        hint = " (it looks like a scenario: give it as FILE)" if _SCENARIO_LINE.search(raw) else ""
        raise ScenarioError(f"not an observation file: it has no top-level '{HEADER}: 1' line{hint}",
                            file=str(path), line=1, col=1)
    data, node, _ = load_document(path)
    try:
        spec = ObservationFile.model_validate(data)
    except ValidationError as e:
        raise validation_to_error(e, node, model=ObservationFile) from None
    out = Observations(path, [], node)
    cache = scenarios if scenarios is not None else {}
    for i, o in enumerate(spec.observations):
        where = ("observations", i)
        file = (path.parent / o.scenario).resolve()
        if file not in cache:
            if not file.is_file():
                raise out.error_at(where + ("scenario",), f"scenario file '{o.scenario}' not found (looked for "
                                                          f"{file})")
            try:
                cache[file] = load_scenario(file, articles=articles, referenced=True)
            except NotAScenarioFile as e:
                raise out.error_at(where + ("scenario",), f"{o.scenario} is not a scenario file ({e.reason})") \
                    from None
        loaded = cache[file]
        _check(out, where, o, loaded)
        out.items.append(LoadedObservation(o, i, file, loaded, o.round or scenario_round_of(loaded.scenario.name)))
    return out


def _known(what: str, key: str, names) -> str:
    return f"unknown {what} '{key}' (known: {', '.join(names)})"


def _check(out: Observations, where: tuple, o: Observation, loaded) -> None:
    """The party and source exist in the observation's scenario; the quote is in its article."""
    from negosim.scenario.evidence import article_text, normalize
    s = loaded.scenario
    if o.party not in s.parties:
        raise out.error_at(where + ("party",), _known(f"party of {s.name}", o.party, s.parties))
    if o.source not in s.sources:
        raise out.error_at(where + ("source",), _known(f"source of {s.name}", o.source, s.sources))
    folder = loaded.articles
    if folder is None or not Path(folder).is_dir():
        warnings.warn(f"article folder {folder or '(none given)'} not found; the quote of observation "
                      f"'{o.id}' was not checked", ArticlesMissingWarning, stacklevel=3)
        return
    file = Path(folder) / s.sources[o.source].file
    try:
        text = article_text(file)
    except ScenarioError as e:
        raise out.error_at(where + ("source",), f"article file '{file}' of source '{o.source}': {e.message}") \
            from None
    q = normalize(o.quote)
    if not q or q not in text:
        raise out.error_at(where + ("quote",), f"quote not found in {s.sources[o.source].file} (quotes are "
                                               "compared after folding curly quotes, dashes and spaces)")
    blocked = _out_of_scope(text, q, s.sources[o.source], o.party)
    if blocked is not None:
        usable = f"usable only for {', '.join(blocked.usable_for)}" if blocked.usable_for else "usable for no party"
        note = f" ({blocked.note})" if blocked.note else ""
        raise out.error_at(where + ("quote",), f"this quote is from passage '{blocked.id}' of {o.source}{note}, "
                                               f"{usable}; it cannot support {o.party}'s verdict")


def _out_of_scope(text: str, quote: str, source, party: str):
    """The passage that keeps ``quote`` from supporting ``party``'s verdict, or None.

    As for a scenario's quotes (:func:`negosim.scenario.evidence.check_quotes`): a quote is out of
    scope only when every occurrence lies inside a passage not usable for the party. The
    scenario's loader has already found every passage in its article.
    """
    from negosim.scenario.evidence import passage_span
    spans = [(p, *passage_span(text, p)) for p in source.passages
             if p.usable_for is not None and party not in p.usable_for]
    at, blocked = text.find(quote), None
    while at >= 0:
        blocked = next((p for p, a, b in spans if a <= at and at + len(quote) <= b), None)
        if blocked is None:
            return None
        at = text.find(quote, at + 1)
    return blocked
