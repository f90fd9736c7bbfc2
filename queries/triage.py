"""Triage: from what a person reports to the urgency, the training advice and the recommendations.

Every clinical rule is data in the graph. This module only turns a presentation into triples, runs the
named SPARQL queries (``triage_rules``, ``triage_matches``, ``red_flag_screen``) over the graph plus those
triples, and combines the answers with one policy: the most urgent level that fires wins. Explanations
(paths to the article's sentences) are attached by :mod:`mskg.queries.explain`.
"""
from __future__ import annotations

import itertools
import re
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from rdflib import RDF, SKOS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from ..kg.resolve import Concept, resolver_for
from ..ontology.namespaces import ID, MSKG, NAMESPACES
from . import query_text

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


@lru_cache(maxsize=8192)
def _local(iri: object) -> str:
    text = str(iri)
    return text[len(_ID):] if text.startswith(_ID) else text.rsplit("#", 1)[-1]


_ID = str(ID)


class TriageEngine:
    """Triage by SPARQL: the named queries over the graph plus the presentation (in an Oxigraph store).

    The policy (:meth:`triage`, :meth:`_recommendations`) is shared with :class:`CompiledTriageEngine`,
    which answers the same data questions from rules compiled out of the same graph.
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.urgencies = self._urgencies()
        self._labels: dict[URIRef, str] = {}
        self._store = None
        self._lock = threading.Lock()

    @property
    def view(self):
        from .explain import view_for

        return view_for(self.graph)

    def _urgencies(self) -> dict[str, Urgency]:
        rows = self.graph.query(
            "SELECT ?u ?label ?rank ?def WHERE { ?u a mskg:UrgencyLevel ; skos:prefLabel ?label ; "
            "mskg:rank ?rank ; skos:definition ?def }", initNs=NAMESPACES)
        return {_local(u): Urgency(_local(u), str(label), int(rank), str(d)) for u, label, rank, d in rows}

    def label(self, iri: URIRef) -> str:
        if iri not in self._labels:
            value = self.graph.value(iri, SKOS.prefLabel)
            self._labels[iri] = str(value) if value is not None else _local(iri)
        return self._labels[iri]

    def query(self, presentation: Presentation, name: str, **bindings: Node) -> list[dict[str, Node]]:
        """Run a named query over the knowledge graph plus the presentation's triples.

        The graph sits in the default graph of an Oxigraph store; the presentation goes into a named
        graph of its own for the duration of the query, and the query's default graph is their union.
        """
        from .engine import OxigraphEngine, from_ox

        with self._lock:
            if self._store is None:
                self._store = OxigraphEngine(self.graph)
            engine = self._store
            ox = engine.ox
            name_node = ox.NamedNode(f"urn:mskg:presentation:{uuid.uuid4()}")
            engine.store.extend([ox.Quad(engine.to_ox(s), engine.to_ox(p), engine.to_ox(o), name_node)
                                 for s, p, o in presentation.triples()])
            try:
                substitutions = {ox.Variable(k): engine.to_ox(v) for k, v in bindings.items()}
                solutions = engine.store.query(query_text(name), default_graph=[ox.DefaultGraph(), name_node],
                                               substitutions=substitutions or None)
                variables = [v.value for v in solutions.variables]
                return [{v: from_ox(solution[v]) for v in variables} for solution in solutions]
            finally:
                engine.store.remove_graph(name_node)

    def rules(self, presentation: Presentation) -> list[RuleResult]:
        """Every rule whose criteria the presentation meets, with whether it fires and its minimal trigger set."""
        matches: dict[str, list[tuple[str, str, str]]] = {}
        for row in self.query(presentation, "triage_matches"):
            matches.setdefault(_local(row["rule"]), []).append(
                (str(row["criterion"]), _local(row["reported"]), _local(row["trigger"])))
        results = []
        for row in self.query(presentation, "triage_rules"):
            rule_id = _local(row["rule"])
            rule_matches = tuple(sorted(matches.get(rule_id, ())))
            results.append(RuleResult(
                iri=row["rule"], id=rule_id, label=self.label(row["rule"]), kind=_local(row["type"]),
                urgency=self.urgencies[_local(row["urgency"])], fires=row["fires"].toPython() is True,
                duration_ok=row["durationOk"].toPython() is True, trend_ok=row["trendOk"].toPython() is True,
                matches=rule_matches, minimal_triggers=minimal_trigger_set(rule_matches),
            ))
        results.sort(key=lambda r: (-r.urgency.rank, str(r.iri)))
        return results

    def not_asked(self, presentation: Presentation) -> list[tuple[str, str]]:
        rows = [(_local(row["finding"]), str(row["label"]), int(row["rank"].toPython()))
                for row in self.query(presentation, "red_flag_screen")]
        return [(i, label) for i, label, _ in sorted(rows, key=lambda r: (-r[2], r[1], r[0]))]

    def actions_of(self, rule: URIRef) -> list[tuple[URIRef, str, str | None]]:
        """The actions a rule calls for: (action, type label, timeframe label); read once per rule."""
        cache = self.__dict__.setdefault("_actions", {})
        if rule not in cache:
            cache[rule] = self._read_actions(rule)
        return cache[rule]

    def _read_actions(self, rule: URIRef) -> list[tuple[URIRef, str, str | None]]:
        rows = self.graph.query(
            """SELECT ?action ?typeLabel ?tfLabel WHERE {
                 ?rule mskg:callsFor ?action . ?action a ?type . ?type skos:prefLabel ?typeLabel .
                 ?type rdfs:subClassOf* mskg:Action .
                 OPTIONAL { ?action mskg:hasTimeframe/skos:prefLabel ?tfLabel } }""",
            initNs=NAMESPACES, initBindings={"rule": rule})
        return [(a, str(t), str(tf) if tf is not None else None) for a, t, tf in rows]

    def is_training_modification(self, action: URIRef) -> bool:
        cache = self.__dict__.setdefault("_training", {})
        if action not in cache:
            cache[action] = bool(self.graph.query("ASK { ?a a/rdfs:subClassOf* mskg:TrainingModification }",
                                                  initNs=NAMESPACES, initBindings={"a": action}).askAnswer)
        return cache[action]

    def condition_text(self, rule: URIRef) -> str | None:
        """What must still happen for a rule to fire, in words: 'if symptoms are unchanged or worsening after …'."""
        trends = sorted(_local(t).lower() for t in self.graph.objects(rule, MSKG.requiresTrend))
        timeframe = self.graph.value(rule, MSKG.hasThresholdTimeframe)
        parts = []
        if trends:
            parts.append("if symptoms are " + " or ".join(trends))
        if timeframe is not None:
            parts.append(self.label(timeframe))
        return " ".join(parts) if parts else None

    def triage(self, presentation: Presentation, explain: bool = True) -> TriageResult:
        """Evaluate every rule in the graph for ``presentation``; the most urgent level that fires wins."""
        rules = self.rules(presentation)
        fired = [r for r in rules if r.fires]
        urgency = max((r.urgency for r in fired), key=lambda u: u.rank, default=self.urgencies["self-care"])
        stop = any(r.is_red_flag for r in fired)
        recommendations = self._recommendations(rules, stop)
        result = TriageResult(presentation, urgency, "stop" if stop else "modify", rules, recommendations,
                              self.not_asked(presentation))
        if explain:
            from .explain import explain_result

            explain_result(self.view, result)
        return result

    def triage_owl(self, presentation: Presentation, reasoner: str = "hermit", explain: bool = True) -> TriageResult:
        """Triage with the OWL reasoner deciding what fires (see :mod:`mskg.ontology.reasoning`).

        The reasoner classifies the presentation into the rules' defined classes and the urgency tiers;
        the answer takes the same shape as :meth:`triage`. Recommendations and explanations are then
        read from the graph for the rules the reasoner says fire.
        """
        return self.triage_many_owl([presentation], reasoner, explain)[0]

    def triage_many_owl(self, presentations: Sequence[Presentation], reasoner: str = "hermit",
                        explain: bool = False) -> list[TriageResult]:
        """Classify many presentations in one reasoner run (Java starts once)."""
        from dataclasses import replace

        from ..ontology.reasoning import classify

        inputs = [([r.concept.iri for r in p.findings], p.duration_days, p.trend) for p in presentations]
        results = []
        for presentation, owl in zip(presentations, classify(self.graph, inputs, reasoner)):
            candidates = {r.id: r for r in self.rules(presentation)}
            unexplained = owl.fired - set(candidates)
            if unexplained:
                raise RuntimeError(f"the OWL reasoner fires {sorted(unexplained)}, whose criteria the graph's "
                                   "SPARQL reading says are not met: the two engines disagree")
            rules = [replace(r, fires=r.id in owl.fired) for r in candidates.values()]
            urgency = max((self.urgencies[t] for t in owl.tiers), key=lambda u: u.rank,
                          default=self.urgencies["self-care"])
            stop = owl.training_stop
            result = TriageResult(presentation, urgency, "stop" if stop else "modify", rules,
                                  self._recommendations(rules, stop), self.not_asked(presentation))
            if explain:
                from .explain import explain_result

                explain_result(self.view, result)
            results.append(result)
        return results

    def _recommendations(self, rules: list[RuleResult], stop: bool) -> list[Recommendation]:
        by_action: dict[URIRef, Recommendation] = {}
        pending: dict[URIRef, list[RuleResult]] = {}
        for rule in rules:
            for action, type_label, timeframe in self.actions_of(rule.iri):
                if rule.fires:
                    if stop and rule.kind == "SelfCareRule":
                        continue  # a red flag fired: no 'keep training' advice
                    if stop and not rule.is_red_flag and self.is_training_modification(action):
                        continue
                    current = by_action.get(action)
                    if current is None or current.kind == "safety-net":
                        by_action[action] = Recommendation(action, _local(action), self.label(action), type_label,
                                                           rule.urgency, timeframe, "now", None, (rule.id,))
                    else:
                        if rule.urgency.rank > current.urgency.rank:
                            current.urgency = rule.urgency
                        current.rules += (rule.id,)
                elif rule.kind != "SelfCareRule":
                    pending.setdefault(action, []).append(rule)
                    if action not in by_action:
                        by_action[action] = Recommendation(action, _local(action), self.label(action), type_label,
                                                           rule.urgency, timeframe, "safety-net", None, ())
        for action, waiting in pending.items():
            rec = by_action[action]
            if rec.kind != "safety-net":
                continue
            waiting.sort(key=lambda r: (-r.urgency.rank, r.id))
            rec.urgency = waiting[0].urgency
            rec.rules = tuple(r.id for r in waiting)
            conditions = [c for c in dict.fromkeys(self.condition_text(r.iri) for r in waiting) if c]
            rec.when = "; or ".join(conditions) or None
        ordered = sorted(by_action.values(),
                         key=lambda r: (r.kind != "now", -r.urgency.rank, r.rules[0] if r.rules else "", r.label))
        return ordered


def minimal_trigger_set(matches: Sequence[tuple[str, str, str]]) -> tuple[str, ...]:
    """The smallest set of reported findings that still meets every criterion (ties: alphabetical)."""
    by_criterion: dict[str, set[str]] = {}
    for criterion, reported, _trigger in matches:
        by_criterion.setdefault(criterion, set()).add(reported)
    if not by_criterion:
        return ()
    if len(by_criterion) == 1:  # the common case: any one finding meets the rule
        return (min(next(iter(by_criterion.values()))),)
    candidates = sorted(set().union(*by_criterion.values()))
    for size in range(1, len(candidates) + 1):
        for subset in itertools.combinations(candidates, size):
            chosen = set(subset)
            if all(chosen & needed for needed in by_criterion.values()):
                return subset
    return tuple(candidates)


_ENGINES: dict[int, TriageEngine] = {}


def engine_for(graph: Graph) -> TriageEngine:
    """The triage engine of ``graph``, made once per process."""
    engine = _ENGINES.get(id(graph))
    if engine is None or engine.graph is not graph:
        engine = _ENGINES[id(graph)] = TriageEngine(graph)
    return engine


ENGINES = ("sparql", "owl")


def triage(graph: Graph, findings: Sequence[str], absent: Sequence[str] = (), duration: str | None = None,
           trend: str | None = None, explain: bool = True, engine: str = "sparql") -> TriageResult:
    """Resolve the inputs and triage them: the library entry point behind ``mskg triage``.

    ``engine`` is ``sparql`` (the rules evaluated by SPARQL queries) or ``owl`` (classified by HermiT).
    """
    presentation = make_presentation(graph, findings, absent, duration, trend)
    if engine == "owl":
        return engine_for(graph).triage_owl(presentation, explain=explain)
    return engine_for(graph).triage(presentation, explain=explain)
