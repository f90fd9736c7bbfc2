"""Triage by SPARQL: the named queries over the knowledge graph plus the presentation's own triples.

Every clinical rule is data in the graph. This module only turns a presentation into triples, runs the
named SPARQL queries (``triage_rules``, ``triage_matches``, ``red_flag_screen``) over the graph plus those
triples, and hands the answers to the shared policy (:mod:`.policy`). Explanations (paths to the
article's sentences) are attached by :mod:`.explain`.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence

from rdflib import RDFS, SKOS, Graph, URIRef
from rdflib.term import Node

from ...ontology.namespaces import MSKG, NAMESPACES
from ...ontology.namespaces import local_id as _local
from .. import query_text
from .policy import TriagePolicy, minimal_trigger_set
from .records import SYSTEMIC, Presentation, RuleResult, Screened, TriageResult, Urgency, make_presentation
from .timing import TREND_IRIS


class TriageEngine(TriagePolicy):
    """Triage by SPARQL: the named queries over the graph plus the presentation (in an Oxigraph store).

    It answers the data questions of :class:`~.policy.TriagePolicy` by SPARQL; the policy is shared with
    :class:`~.compiled.CompiledTriageEngine`, which answers them from rules compiled out of the same graph.
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
            "SELECT ?u ?label ?rank ?def ?net WHERE { ?u a mskg:UrgencyLevel ; skos:prefLabel ?label ; "
            "mskg:rank ?rank ; skos:definition ?def OPTIONAL { ?u mskg:withoutSafetyNet ?net } }", initNs=NAMESPACES)
        return {_local(u): Urgency(_local(u), str(label), int(rank), str(d), bool(net is not None and net.toPython()))
                for u, label, rank, d, net in rows}

    def needs_region_finding(self, rule: URIRef) -> bool:
        return bool(self.graph.value(rule, MSKG.needsRegionFinding))

    def interpretations_with_values(self, iri: URIRef) -> tuple[tuple[str, str, str | None], ...]:
        cache = self.__dict__.setdefault("_notes", {})
        if iri not in cache:
            cache[iri] = read_interpretations(self.graph, iri)
        return cache[iri]

    def regions(self, presentation: Presentation) -> tuple[frozenset[str], bool]:
        present = frozenset(_local(r) for f in presentation.findings
                            for r in self.graph.objects(f.concept.iri, MSKG.inRegion)) - {SYSTEMIC}
        return present, not present

    def concept(self, concept_id: str):
        if "_concepts" not in self.__dict__:
            from ...kg.resolve import concepts_from_graph

            self._concepts = {c.id: c for c in concepts_from_graph(self.graph)}
        return self._concepts.get(concept_id)

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
        from ..engine import OxigraphEngine, from_ox

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

    def not_asked(self, presentation: Presentation) -> list[Screened]:
        rows = [Screened(_local(row["finding"]), str(row["label"]), self.urgencies[_local(row["urgency"])],
                         row["redFlag"].toPython() is True, row["widened"].toPython() is True)
                for row in self.query(presentation, "red_flag_screen")]
        # red flags on their own first, most urgent first, then by label
        return sorted(rows, key=lambda s: (not s.red_flag, -s.urgency.rank, s.label, s.id))

    def screen_widened_by(self, presentation: Presentation) -> tuple[URIRef, ...]:
        return tuple(r.concept.iri for r in presentation.findings
                     if self.graph.query("ASK { ?f rdfs:subClassOf* ?w . ?w mskg:screensEveryRegion true }",
                                         initNs=NAMESPACES, initBindings={"f": r.concept.iri}).askAnswer)

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

    def region_of(self, action: URIRef) -> str | None:
        region = self.graph.value(action, MSKG.inRegion)
        return None if region is None else _local(region)

    def superseded_by(self, action: URIRef) -> frozenset[URIRef]:
        cache = self.__dict__.setdefault("_superseded", {})
        if action not in cache:
            cache[action] = frozenset(self.graph.objects(action, MSKG.supersededBy))
        return cache[action]

    def care_order(self, action: URIRef) -> int:
        cache = self.__dict__.setdefault("_care", {})
        if action not in cache:
            rows = self.graph.query(
                "SELECT (MAX(?order) AS ?top) WHERE { ?a a/rdfs:subClassOf* ?care "
                "VALUES (?care ?order) { (mskg:EmergencyCare 3) (mskg:UrgentSameDayCare 2) (mskg:ClinicalReview 1) } }",
                initNs=NAMESPACES, initBindings={"a": action})
            top = next((row.top for row in rows), None)  # an action of no kind of care: no row at all
            cache[action] = 0 if top is None else int(top)
        return cache[action]

    def condition_text(self, rule: URIRef) -> str | None:
        """What must still happen for a rule to fire, in words: 'if symptoms are unchanged or worsening after …'."""
        trends = sorted(self.label(t) for t in self.graph.objects(rule, MSKG.requiresTrend))
        timeframe = self.graph.value(rule, MSKG.hasThresholdTimeframe)
        parts = []
        if trends:
            parts.append("if symptoms are " + " or ".join(trends))
        if timeframe is not None:
            parts.append(self.label(timeframe))
        return " ".join(parts) if parts else None

    def triage_owl(self, presentation: Presentation, reasoner: str = "hermit", explain: bool = True) -> TriageResult:
        """Triage with the OWL reasoner deciding what fires (see :mod:`mskg.ontology.reasoning`).

        The reasoner classifies the presentation into the rules' defined classes and the urgency tiers;
        the answer takes the same shape as :meth:`triage`. Recommendations and explanations are then
        read from the graph for the rules the reasoner says fire.
        """
        (result,) = self.triage_many_owl([presentation], reasoner, explain)
        return result

    def triage_many_owl(self, presentations: Sequence[Presentation], reasoner: str = "hermit",
                        explain: bool = False) -> list[TriageResult]:
        """Classify many presentations in one reasoner run (Java starts once)."""
        from dataclasses import replace

        from ...ontology.reasoning import classify

        inputs = [([r.concept.iri for r in p.findings], p.duration_days, TREND_IRIS.get(p.trend)) for p in presentations]
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
            results.append(self.answer(presentation, rules, urgency, owl.training_stop, explain))
        return results


def read_interpretations(graph: Graph, iri: URIRef) -> tuple[tuple[str, str, str | None], ...]:
    """The curator's notes on ``iri`` (mskg:hasInterpretation): the label of the property each reads, the note,
    and the one value it is about (mskg:forValue: the action of one 'calls for'), else None."""
    out = []
    for node in sorted(graph.objects(iri, MSKG.hasInterpretation)):
        prop = graph.value(node, MSKG.interpretsProperty)
        prop_label = "the whole fact" if prop is None else str(graph.value(prop, SKOS.prefLabel) or _local(prop))
        value = graph.value(node, MSKG.forValue)
        out.append((prop_label, str(graph.value(node, RDFS.comment)), None if value is None else _local(value)))
    return tuple(out)


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
