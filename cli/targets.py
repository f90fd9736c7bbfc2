"""Resolve the FLAG_OR_ACTION argument of ``mskg explain`` to a rule, or an action and the rules calling it."""
from __future__ import annotations

from functools import lru_cache

from rdflib import RDF, RDFS, SKOS, Graph, URIRef

from ..kg.resolve import Concept, ResolutionError, Resolver
from ..ontology.namespaces import ID, MSKG


@lru_cache(maxsize=2)
def _target_resolver(graph: Graph) -> Resolver:
    targets = []
    for root, cls in (("TriageRule", MSKG.TriageRule), ("Action", MSKG.Action)):
        for sub in graph.transitive_subjects(RDFS.subClassOf, cls):
            for iri in graph.subjects(RDF.type, sub):
                if isinstance(iri, URIRef) and str(iri).startswith(str(ID)):
                    kind = graph.value(sub, SKOS.prefLabel)
                    targets.append(Concept(iri, str(iri)[len(str(ID)):], str(graph.value(iri, SKOS.prefLabel)), (),
                                           str(kind), root, ()))
    return Resolver(targets)


def resolve_target(graph: Graph, text: str) -> tuple[URIRef, list[URIRef]]:
    """Return the target IRI and the rules to explain: the rule itself, or every rule calling the action."""
    concept = _target_resolver(graph).resolve(text, roots=None)
    if concept.root == "TriageRule":
        return concept.iri, [concept.iri]
    rules = sorted(graph.subjects(MSKG.callsFor, concept.iri))
    if not rules:
        raise ResolutionError(text, "no rule calls for this action", [])
    return concept.iri, rules
