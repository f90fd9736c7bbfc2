"""Browsing for educators: a concept card, the class hierarchy, and exports of the graph or a neighbourhood.

All of it reads the one graph and its networkx view (:mod:`mskg.queries.triage.explain`); views in ``cli``
turn the records into text, JSON and pictures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
from rdflib import RDF, RDFS, SKOS, Graph, URIRef

from ...ontology.namespaces import ICD10, ICD10CM, ID, MSKG, NAMESPACES, SCT
from ...ontology.namespaces import local_id as _local
from ..triage.explain import Excerpt, GraphView, view_for

#: Node types that are scaffolding, not knowledge: shown as evidence attributes, never as nodes.
SCAFFOLDING = {"excerpt", "section", "curator interpretation", "trigger criterion", "source document", "resource"}
#: Incoming edges already shown from the other side (their inverse is an outgoing edge).
SHOWN_FROM_THE_OTHER_SIDE = {MSKG.hasTrigger, MSKG.triggers}
#: How each type of node is coloured wherever the graph is drawn (site pictures, DOT, Mermaid).
TYPE_COLOURS = {"red flag": "#f4a6a6", "escalation rule": "#f9d79b", "self-care rule": "#c9e7c3",
                "urgency level": "#d9c9f0", "timeframe": "#e8e8e8", "condition": "#bcd7f2", "symptom": "#fff2b3",
                "sign": "#fff2b3", "event": "#fff2b3", "history or risk factor": "#fff2b3", "statistic": "#cde8e4",
                "body site": "#f1e4d3", "activity": "#e3f0d0"}
_SYSTEMS = ((str(SCT), "SNOMED CT"), (str(ICD10CM), "ICD-10-CM"), (str(ICD10), "ICD-10"))
_MATCHES = {SKOS.exactMatch: "exact", SKOS.closeMatch: "close", SKOS.broadMatch: "broad"}


@dataclass(frozen=True)
class Related:
    """A concept or fact at the other end of a relationship."""

    id: str
    label: str
    type: str
    note: str = ""  # e.g. the urgency a rule sets
    page: bool = True  # False for vocabulary terms (mskg:After, mskg:Percent): they have no page of their own


@dataclass
class ConceptCard:
    """Everything about one concept, for a person: identity, words, codes, hierarchy, relations, evidence."""

    id: str
    iri: str
    label: str
    type: str
    definition: str | None
    synonyms: list[str]  # every skos:altLabel
    mappings: list[tuple[str, str, str, str]]  # (system, code, match, iri)
    parents: list[Related]
    children: list[Related]
    outgoing: dict[str, list[Related]] = field(default_factory=dict)
    incoming: dict[str, list[Related]] = field(default_factory=dict)
    statistics: list[dict] = field(default_factory=list)
    evidence: list[Excerpt] = field(default_factory=list)
    interpretations: list[tuple[str, str]] = field(default_factory=list)
    article_wordings: list[str] = field(default_factory=list)  # the synonyms that are the article's own words


def _related(view: GraphView, graph: Graph, node: URIRef) -> Related:
    data = view.g.nodes[node]
    urgency = graph.value(node, MSKG.setsUrgency)
    note = view.g.nodes[urgency]["label"] if urgency is not None and urgency in view.g else ""
    return Related(_local(node), data["label"], data["type"], note,
                   page=str(node).startswith(str(ID)) and "/" not in _local(node))


def concept_card(graph: Graph, iri: URIRef) -> ConceptCard:
    """The card of the concept (or rule, or action) ``iri``."""
    view = view_for(graph)
    if iri not in view.g:
        raise KeyError(f"{iri} is not in the graph")
    data = view.g.nodes[iri]
    mappings = []
    for predicate, match in _MATCHES.items():
        for code in graph.objects(iri, predicate):
            for base, system in _SYSTEMS:
                if str(code).startswith(base):
                    mappings.append((system, str(code)[len(base):], match, str(code)))
                    break
    mappings.sort()
    parents = [_related(view, graph, p) for p in graph.objects(iri, RDFS.subClassOf)
               if p in view.g and str(p).startswith(str(ID))]
    parents += [Related(_local(p), str(graph.value(p, SKOS.prefLabel)), "class", page=False)
                for p in graph.objects(iri, RDFS.subClassOf)
                if not str(p).startswith(str(ID)) and graph.value(p, SKOS.prefLabel)]
    children = sorted((_related(view, graph, c) for c in graph.subjects(RDFS.subClassOf, iri) if c in view.g),
                      key=lambda r: r.label.casefold())
    card = ConceptCard(
        id=_local(iri), iri=str(iri), label=data["label"], type=data["type"],
        definition=str(graph.value(iri, SKOS.definition)) if graph.value(iri, SKOS.definition) else None,
        synonyms=sorted((str(a) for a in graph.objects(iri, SKOS.altLabel)), key=str.casefold),
        mappings=mappings, parents=sorted(parents, key=lambda r: r.label), children=children,
        evidence=list(data["excerpts"]), interpretations=list(data["interpretations"]),
        article_wordings=sorted((str(a) for a in graph.objects(iri, MSKG.articleWording)), key=str.casefold),
    )
    for _, target, key, edge in view.g.out_edges(iri, keys=True, data=True):
        if key == RDFS.subClassOf or view.g.nodes[target]["type"] in SCAFFOLDING:
            continue
        card.outgoing.setdefault(edge["label"], []).append(_related(view, graph, target))
    for source, _, key, edge in view.g.in_edges(iri, keys=True, data=True):
        if key in (RDFS.subClassOf, *SHOWN_FROM_THE_OTHER_SIDE) or view.g.nodes[source]["type"] in SCAFFOLDING:
            continue
        card.incoming.setdefault(edge["label"], []).append(_related(view, graph, source))
    for group in (card.outgoing, card.incoming):
        for label in group:
            group[label] = sorted(set(group[label]), key=lambda r: (r.type, r.label.casefold()))
    rows = graph.query(
        """SELECT ?s ?label ?value ?unit ?source ?quote ?start ?end ?section WHERE {
             ?s mskg:statisticAbout ?concept ; skos:prefLabel ?label ; mskg:numericValue ?value ;
                mskg:unit/skos:prefLabel ?unit ; mskg:attributedTo/skos:prefLabel ?source ;
                prov:wasDerivedFrom [ oa:exact ?quote ; oa:start ?start ; oa:end ?end ; mskg:inSection/dct:title ?section ] }
           ORDER BY ?s ?start""", initNs=NAMESPACES, initBindings={"concept": iri})
    for s, label, value, unit, source, quote, start, end, section in rows:
        card.statistics.append({"id": _local(s), "label": str(label), "value": float(value.toPython()),
                                "unit": str(unit), "source": str(source), "quote": str(quote),
                                "section": str(section), "start": int(start), "end": int(end)})
    return card


def hierarchy(graph: Graph, root: URIRef) -> list[tuple[int, str, str, str]]:
    """The classes under ``root`` depth-first, alphabetically: (depth, id, label, type of the root's kind)."""
    out: list[tuple[int, str, str, str]] = []

    def walk(node: URIRef, depth: int, seen: frozenset) -> None:
        label = graph.value(node, SKOS.prefLabel)
        out.append((depth, _local(node), str(label) if label is not None else _local(node),
                    "class" if str(node).startswith(str(MSKG)) else "concept"))
        children = sorted(graph.subjects(RDFS.subClassOf, node),
                          key=lambda c: str(graph.value(c, SKOS.prefLabel) or c).casefold())
        for child in children:
            if child not in seen and (child, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in graph:
                walk(child, depth + 1, seen | {child})

    walk(root, 0, frozenset({root}))
    return out


def knowledge_graph(graph: Graph, concept: URIRef | None = None, depth: int = 1) -> nx.MultiDiGraph:
    """The graph for export: knowledge nodes only (evidence as attributes), whole or one neighbourhood."""
    view = view_for(graph)
    keep = [n for n, d in view.g.nodes(data=True)
            if str(n).startswith(str(ID)) and d["type"] not in SCAFFOLDING]
    sub = view.g.subgraph(keep)
    if concept is not None:
        if concept not in sub:
            raise KeyError(f"{concept} is not a node of the knowledge graph")
        nodes = nx.ego_graph(sub.to_undirected(as_view=True), concept, radius=depth).nodes
        sub = sub.subgraph(nodes)
    out = nx.MultiDiGraph()
    for node, d in sub.nodes(data=True):
        evidence = " | ".join(f"“{e.quote}” ({e.section}, {e.start}-{e.end})" for e in d["excerpts"])
        out.add_node(_local(node), label=d["label"], type=d["type"], iri=str(node), evidence=evidence)
    for u, v, key, d in sub.edges(keys=True, data=True):
        out.add_edge(_local(u), _local(v), key=d["label"], label=d["label"], predicate=str(key))
    return out


def knowledge_triples(graph: Graph, nodes: set[str]) -> Graph:
    """The RDF triples among ``nodes`` (ids), with their labels and types, for a Turtle export."""
    iris = {ID[n] for n in nodes}
    out = Graph()
    for prefix, ns in NAMESPACES.items():
        out.bind(prefix, ns, override=True)
    for s, p, o in graph:
        if s in iris and (o in iris or p in (RDF.type, RDFS.subClassOf, SKOS.prefLabel, SKOS.altLabel,
                                             SKOS.definition, SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)):
            out.add((s, p, o))
    return out
