"""The explainer: a networkx view of the knowledge graph and the paths that justify each triage answer.

The view is a ``networkx.MultiDiGraph`` built once per process from the rdflib graph:

- a node is an IRI, with attributes ``label`` (skos:prefLabel), ``type`` (a readable type such as
  "red flag" or "symptom"), ``excerpts`` (the ``Excerpt`` records of its prov:wasDerivedFrom) and
  ``interpretations`` (the curator's notes about it);
- an edge ``u -> v`` with key = predicate IRI, and attributes ``label`` (the predicate's label) and
  ``excerpts`` (the excerpts of the fact that asserts it). Every property with an ``owl:inverseOf`` in
  the ontology also gets its inverse edge (``finding -triggers-> rule`` for ``rule -hasTrigger-> finding``).

An explanation is a path from a reported finding to a flag, an urgency or an action, with every quote
met on the way. A fired flag or recommendation without a path, or with a quote that is not verbatim in
the article, raises ``ExplanationError``: it is a bug, never shown to a person as an answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import networkx as nx
from rdflib import OWL, PROV, RDF, RDFS, SKOS, Graph, Literal, URIRef

from ...ontology.namespaces import ID, MSKG, NAMESPACES
from ...ontology.namespaces import local_id as _local

if TYPE_CHECKING:
    from .records import RuleResult, TriageResult

Node = URIRef
Edge = tuple[URIRef, URIRef, URIRef]  # (source, target, predicate)

#: Labels for predicates from outside the mskg vocabulary.
PREDICATE_LABELS = {RDFS.subClassOf: "is a kind of"}
#: Predicates whose edges explanation paths may follow from a finding towards a rule.
FINDING_TO_RULE = {RDFS.subClassOf, MSKG.triggers}
#: rdf:type and provenance become node attributes, not edges.
SKIPPED = {RDF.type, PROV.wasDerivedFrom, SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, MSKG.hasStatementEvidence}


class ExplanationError(RuntimeError):
    """A fired flag or recommendation could not be justified by a path with verbatim quotes."""


@dataclass(frozen=True)
class Excerpt:
    """A verbatim span of the article."""

    quote: str
    section: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return {"quote": self.quote, "section": self.section, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class PathNode:
    """One step of a path: the node's id, label, type and its own excerpts."""

    id: str
    label: str
    type: str
    excerpts: tuple[Excerpt, ...] = ()
    interpretations: tuple[tuple[str, str], ...] = ()  # (property label, note)


@dataclass(frozen=True)
class Explanation:
    """A path through the graph (nodes, and the edge labels between them) and every quote met on it."""

    path: tuple[PathNode, ...]
    edges: tuple[str, ...]
    sources: tuple[Excerpt, ...]
    #: for each edge, the excerpts it cites (a statement's own sentence, such as the one for 'sets urgency')
    steps: tuple[tuple[Excerpt, ...], ...] = ()

    def as_dict(self) -> dict:
        """The public JSON shape (built once per explanation; explanations are immutable and shared)."""
        cached = self.__dict__.get("_dict")
        if cached is None:
            cached = {
                "path": [{"id": n.id, "label": n.label, "type": n.type} for n in self.path],
                "edges": list(self.edges),
                "sources": [s.as_dict() for s in self.sources],
            }
            object.__setattr__(self, "_dict", cached)
        return cached


class GraphView:
    """The networkx view of one rdflib graph (see the module docstring for its attributes)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.g = nx.MultiDiGraph()
        self.article_text: str | None = None
        self._build()
        self.threshold_of = {s: o for s, o in graph.subject_objects(MSKG.hasThresholdTimeframe)}
        self.timeframe_of = {s: o for s, o in graph.subject_objects(MSKG.hasTimeframe)}
        progress: dict[URIRef, list[URIRef]] = {}
        for s, o in graph.subject_objects(MSKG.hasProgressCriterion):
            progress.setdefault(s, []).append(o)
        self.progress_of = {s: tuple(sorted(o, key=str)) for s, o in progress.items()}
        self.finding_to_rule = self._finding_to_rule()

    def _finding_to_rule(self):
        return nx.subgraph_view(self.g, filter_edge=lambda u, v, k: k in FINDING_TO_RULE)

    def __getstate__(self) -> dict:
        """Picklable without the rdflib graph (the cache stores the view on its own)."""
        self._article()
        state = dict(self.__dict__)
        state["graph"] = None
        state.pop("finding_to_rule", None)
        state.pop("_memo", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.finding_to_rule = self._finding_to_rule()

    def _excerpts(self) -> dict[URIRef, Excerpt]:
        rows = self.graph.query(
            """SELECT ?x ?exact ?start ?end ?section WHERE { ?x a mskg:Excerpt ; oa:exact ?exact ;
               oa:start ?start ; oa:end ?end ; mskg:inSection/dct:title ?section }""", initNs=NAMESPACES)
        return {x: Excerpt(str(exact), str(section), int(start), int(end)) for x, exact, start, end, section in rows}

    def _type_labels(self) -> dict[URIRef, str]:
        labels = {}
        for node in self.graph.subjects(RDF.type, OWL.Class):
            if str(node).startswith(str(MSKG)):
                label = self.graph.value(node, SKOS.prefLabel)
                if label is not None:
                    labels[node] = str(label)
        return labels

    def _node_type(self, node: URIRef, classes: dict[URIRef, str]) -> str:
        for t in self.graph.objects(node, RDF.type):
            if t in classes:
                return classes[t]
        for parent in self.graph.transitive_objects(node, RDFS.subClassOf):
            if parent != node and parent in classes:
                return classes[parent]
        return "resource"

    def _build(self) -> None:
        excerpts = self._excerpts()
        classes = self._type_labels()
        derived: dict[URIRef, list[Excerpt]] = {}
        for s, x in self.graph.subject_objects(PROV.wasDerivedFrom):
            if x in excerpts:
                derived.setdefault(s, []).append(excerpts[x])
        # evidence for one statement of a fact: that step of a path cites its own sentence; the fact's node
        # keeps the excerpts that are not for any one statement (its own sentence)
        stated: dict[tuple, tuple[Excerpt, ...]] = {}  # (fact, property) or (fact, property, value) -> excerpts
        for s, node in self.graph.subject_objects(MSKG.hasStatementEvidence):
            prop, value = self.graph.value(node, MSKG.forProperty), self.graph.value(node, MSKG.forValue)
            key = (s, prop) if value is None else (s, prop, value)
            stated[key] = tuple(sorted(derived.get(node, []), key=lambda e: e.start))
        for_statements: dict[URIRef, set[Excerpt]] = {}
        for key, found in stated.items():
            for_statements.setdefault(key[0], set()).update(found)
        notes: dict[URIRef, list[tuple[str, str]]] = {}
        for s, i in self.graph.subject_objects(MSKG.hasInterpretation):
            prop = self.graph.value(i, MSKG.interpretsProperty)
            prop_label = self.predicate_label(prop) if prop is not None else "the whole fact"
            notes.setdefault(s, []).append((prop_label, str(self.graph.value(i, RDFS.comment))))
        def own_of(node: URIRef) -> list[Excerpt]:
            """A fact's own sentences: its excerpts that are not for any one statement (else all of them)."""
            return [e for e in derived.get(node, []) if e not in for_statements.get(node, ())] or derived.get(node, [])

        inverses = {p: inv for inv, p in self.graph.subject_objects(OWL.inverseOf)}
        for s, p, o in self.graph:
            if p in SKIPPED or isinstance(o, Literal) or not isinstance(s, URIRef) or not isinstance(o, URIRef):
                continue
            if not (str(s).startswith(str(ID)) or str(o).startswith(str(ID))):
                continue
            support = (stated.get((s, p, o)) or stated.get((s, p))
                       or tuple(sorted(own_of(s), key=lambda e: e.start)))
            self.g.add_edge(s, o, key=p, label=self.predicate_label(p), excerpts=support)
            if p in inverses:
                self.g.add_edge(o, s, key=inverses[p], label=self.predicate_label(inverses[p]), excerpts=support)
        for node in list(self.g.nodes):
            label = self.graph.value(node, SKOS.prefLabel)
            own = own_of(node)
            self.g.nodes[node].update(
                label=str(label) if label is not None else _local(node),
                type=self._node_type(node, classes),
                excerpts=tuple(sorted(own, key=lambda e: e.start)),
                interpretations=tuple(notes.get(node, [])),
            )

    def predicate_label(self, predicate: URIRef) -> str:
        if predicate in PREDICATE_LABELS:
            return PREDICATE_LABELS[predicate]
        label = self.graph.value(predicate, SKOS.prefLabel)
        return str(label) if label is not None else _local(predicate)

    def node(self, iri: URIRef) -> PathNode:
        if iri not in self.g:
            raise ExplanationError(f"{iri} is not in the knowledge graph view")
        data = self.g.nodes[iri]
        return PathNode(_local(iri), data["label"], data["type"], data["excerpts"], data["interpretations"])

    def edge_label(self, u: URIRef, v: URIRef, predicate: URIRef) -> str:
        data = self.g.get_edge_data(u, v, key=predicate)
        if data is None:
            raise ExplanationError(f"no edge {_local(u)} -{_local(predicate)}-> {_local(v)} in the graph")
        return data["label"]

    def path_to_rule(self, finding: URIRef, rule: URIRef) -> list[Edge]:
        """The shortest chain finding -(is a kind of)*-> trigger -(triggers)-> rule."""
        try:
            nodes = nx.shortest_path(self.finding_to_rule, finding, rule)
        except (nx.NetworkXNoPath, nx.NodeNotFound) as exc:
            raise ExplanationError(f"no path from {_local(finding)} to {_local(rule)}") from exc
        edges = []
        for u, v in zip(nodes, nodes[1:]):
            key = next(k for k in self.finding_to_rule[u][v])
            edges.append((u, v, key))
        return edges

    def explanation(self, edges: list[Edge]) -> Explanation:
        """Turn a chain of edges into an ``Explanation``, checking every quote against the article."""
        if not edges:
            raise ExplanationError("empty path")
        nodes = [edges[0][0]] + [v for _, v, _ in edges]
        path = tuple(self.node(n) for n in nodes)
        labels = tuple(self.edge_label(u, v, k) for u, v, k in edges)
        sources: dict[tuple[int, int], Excerpt] = {}
        for step in path:
            if step.type == "urgency level":  # a level's own sentence describes it in general, often for another
                continue                       # region: the "sets urgency" step cites the rule's own sentence
            for excerpt in step.excerpts:
                sources.setdefault((excerpt.start, excerpt.end), excerpt)
        for u, v, k in edges:
            for excerpt in self.g.get_edge_data(u, v, key=k)["excerpts"]:
                sources.setdefault((excerpt.start, excerpt.end), excerpt)
        if not sources:
            raise ExplanationError(f"the path {' -> '.join(n.id for n in path)} has no quote from the article")
        text = self._article()
        for excerpt in sources.values():
            if text[excerpt.start:excerpt.end] != excerpt.quote:
                raise ExplanationError(f"quote at {excerpt.start}-{excerpt.end} is not verbatim in the article")
        steps = tuple(tuple(self.g.get_edge_data(u, v, key=k)["excerpts"]) for u, v, k in edges)
        return Explanation(path, labels, tuple(sources.values()), steps)

    def _article(self) -> str:
        if self.article_text is None:
            from ...kg.facts import load_facts
            from ...kg.provenance import article_for

            self.article_text = article_for(load_facts()).text
        return self.article_text


@lru_cache(maxsize=4)
def view_for(graph: Graph) -> GraphView:
    """The networkx view of ``graph``, built once per process."""
    return GraphView(graph)


def _memo(view: GraphView, key: tuple, make):
    """Explanations depend only on the finding, the rule (and action): compute each once per view."""
    memo = view.__dict__.setdefault("_memo", {})
    if key not in memo:
        memo[key] = make()
    return memo[key]


def rule_explanations(view: GraphView, rule: "RuleResult") -> list[Explanation]:
    """Why a rule fires: from each reported finding that meets a criterion, to the rule and its urgency."""
    urgency = ID[rule.urgency.id]
    explanations = []
    for reported in dict.fromkeys(r for _, r, _ in rule.matches):
        def make(reported=reported) -> tuple[Explanation, ...]:
            edges = view.path_to_rule(ID[reported], rule.iri)
            found = [view.explanation(edges + [(rule.iri, urgency, MSKG.setsUrgency)])]
            threshold = view.threshold_of.get(rule.iri)
            if threshold is not None and rule.fires:
                found.append(view.explanation(edges + [(rule.iri, threshold, MSKG.hasThresholdTimeframe)]))
            return tuple(found)

        explanations += _memo(view, ("rule", rule.iri, reported, rule.fires), make)
    if not explanations:
        raise ExplanationError(f"rule {rule.id} has no path from the presentation's findings")
    return explanations


def action_explanations(view: GraphView, rule: "RuleResult", action: URIRef) -> list[Explanation]:
    """Why an action is recommended: finding -> rule -> action (-> its timeframe); then, one path each, the
    progress markers and return-to-training criteria it is judged by (finding -> rule -> action -> criterion)."""
    calls: list[Edge] = [(rule.iri, action, MSKG.callsFor)]
    tails = [calls]
    timeframe = view.timeframe_of.get(action)
    if timeframe is not None:
        tails = [calls + [(action, timeframe, MSKG.hasTimeframe)]]
    tails += [calls + [(action, check, MSKG.hasProgressCriterion)] for check in view.progress_of.get(action, ())]
    return [_memo(view, ("action", rule.iri, action, reported, tuple(tail[-1])),
                  lambda reported=reported, tail=tail: view.explanation(view.path_to_rule(ID[reported], rule.iri)
                                                                        + tail))
            for reported in dict.fromkeys(r for _, r, _ in rule.matches) for tail in tails]


def explain_result(view: GraphView, result: "TriageResult") -> None:
    """Attach explanations to every fired rule and every recommendation of ``result`` (in place)."""
    rules = {r.id: r for r in result.rules}
    for rule in result.fired:
        result.explanations[rule.id] = rule_explanations(view, rule)
    for rec in result.recommendations:
        rec.explanations = [e for rule_id in rec.rules for e in action_explanations(view, rules[rule_id], rec.iri)]
        if not rec.explanations:
            raise ExplanationError(f"recommendation {rec.id} has no path from the presentation's findings")
