"""The records triage works with: what a person reports, and the answer it gets.

``Presentation`` goes in; ``RuleResult``, ``Recommendation`` and ``TriageResult`` come out. The engines
(:mod:`.sparql`, :mod:`.compiled`) make results, the explainer (:mod:`.explain`) annotates them, and
only the views in ``mskg.cli`` and the endpoint turn them into text: records flow one way.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import RDF, XSD, Graph, Literal, URIRef

from ...kg.resolve import Concept, resolver_for
from ...ontology.namespaces import MSKG

DISCLAIMER = (
    "Information, not medical advice: mskg reports what one patient-facing article says and does not "
    "diagnose or treat. If you think it is an emergency, call 999 or go to A&E now."
)

TRENDS = ("improving", "unchanged", "worsening")
PRESENTATION = URIRef("urn:mskg:presentation")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|hours?|d|days?|w|weeks?)\s*$", re.IGNORECASE)
_DAYS_PER_UNIT = {"h": Decimal(1) / Decimal(24), "d": Decimal(1), "w": Decimal(7)}


class PresentationError(ValueError):
    """The presentation cannot be triaged as given (bad duration or trend, nothing reported, a contradiction)."""


def parse_duration(text: str) -> Decimal:
    """Parse ``48h``, ``3d`` or ``6w`` (also ``3 days``, ``1.5w``) into days."""
    match = _DURATION.match(text)
    if not match:
        raise PresentationError(
            f"invalid duration {text!r}: give a number and a unit, h (hours), d (days) or w (weeks), e.g. 48h, 3d, 6w"
        )
    value, unit = Decimal(match.group(1)), match.group(2)[0].lower()
    return (value * _DAYS_PER_UNIT[unit]).normalize()


def parse_trend(text: str) -> str:
    """Check a trend word: improving, unchanged or worsening."""
    trend = text.strip().lower()
    if trend not in TRENDS:
        raise PresentationError(f"invalid trend {text!r}: use one of {', '.join(TRENDS)}")
    return trend


@dataclass(frozen=True)
class Reported:
    """One thing the person typed and the concept it resolved to."""

    input: str
    concept: Concept


@dataclass(frozen=True)
class Presentation:
    """What a person reports: findings present, findings absent, duration (days) and trend."""

    findings: tuple[Reported, ...]
    absent: tuple[Reported, ...] = ()
    duration_days: Decimal | None = None
    trend: str | None = None

    def triples(self) -> Graph:
        """The presentation as RDF, to be queried together with the knowledge graph."""
        g = Graph()
        g.add((PRESENTATION, RDF.type, MSKG.Presentation))
        for item in self.findings:
            g.add((PRESENTATION, MSKG.hasFinding, item.concept.iri))
        for item in self.absent:
            g.add((PRESENTATION, MSKG.absentFinding, item.concept.iri))
        if self.duration_days is not None:
            g.add((PRESENTATION, MSKG.durationDays, Literal(self.duration_days, datatype=XSD.decimal)))
        if self.trend is not None:
            g.add((PRESENTATION, MSKG.trend, MSKG[self.trend.capitalize()]))
        return g


def make_presentation(source, findings: Sequence[str], absent: Sequence[str] = (),
                      duration: str | None = None, trend: str | None = None) -> Presentation:
    """Resolve free-text inputs into a ``Presentation``; raises ``ResolutionError`` or ``PresentationError``.

    ``source`` is the graph, or a ready ``Resolver`` (the compiled knowledge base carries one).
    """
    if not findings:
        raise PresentationError("no findings given: name at least one finding or condition with --finding")
    resolver = source if hasattr(source, "resolve") else resolver_for(source)
    present = tuple(Reported(text, resolver.resolve(text)) for text in findings)
    missing = tuple(Reported(text, resolver.resolve(text)) for text in absent)
    clash = {r.concept.id for r in present} & {r.concept.id for r in missing}
    if clash:
        raise PresentationError(f"reported both present and absent: {', '.join(sorted(clash))}")
    return Presentation(
        findings=_unique(present),
        absent=_unique(missing),
        duration_days=parse_duration(duration) if duration is not None else None,
        trend=parse_trend(trend) if trend is not None else None,
    )


def _unique(items: Iterable[Reported]) -> tuple[Reported, ...]:
    seen: dict[str, Reported] = {}
    for item in items:
        seen.setdefault(item.concept.id, item)
    return tuple(seen.values())


@dataclass(frozen=True)
class Urgency:
    """One of the five urgency levels."""

    id: str
    label: str
    rank: int
    definition: str


@dataclass(frozen=True)
class RuleResult:
    """A rule whose trigger criteria the presentation meets; ``fires`` when its duration and trend hold too."""

    iri: URIRef
    id: str
    label: str
    kind: str  # "RedFlag" | "EscalationRule" | "SelfCareRule"
    urgency: Urgency
    fires: bool
    duration_ok: bool
    trend_ok: bool
    matches: tuple[tuple[str, str, str], ...]  # (criterion IRI, reported concept id, trigger concept id)
    minimal_triggers: tuple[str, ...]

    @property
    def is_red_flag(self) -> bool:
        return self.kind == "RedFlag"


@dataclass
class Recommendation:
    """An action called for by rules that fire ('now') or would fire if things change ('safety-net')."""

    iri: URIRef
    id: str
    label: str
    type: str
    urgency: Urgency
    timeframe: str | None
    kind: str  # "now" | "safety-net"
    when: str | None
    rules: tuple[str, ...]
    explanations: list = field(default_factory=list)


@dataclass
class TriageResult:
    """The whole answer: urgency, training advice, fired flags, recommendations, red flags not asked about."""

    presentation: Presentation
    urgency: Urgency
    training: str  # "stop" | "modify"
    rules: list[RuleResult]
    recommendations: list[Recommendation]
    not_asked: list[tuple[str, str]]  # (concept id, label)
    explanations: dict[str, list] = field(default_factory=dict)  # rule id -> explanations
    disclaimer: str = DISCLAIMER

    @property
    def fired(self) -> list[RuleResult]:
        return [r for r in self.rules if r.fires]

    @property
    def flags(self) -> list[RuleResult]:
        """Fired red flags and escalation rules, most urgent first (self-care rules only give advice)."""
        return [r for r in self.fired if r.kind != "SelfCareRule"]
