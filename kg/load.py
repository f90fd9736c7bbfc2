"""The graph every command reads, and the compiled triage rules: built once, then loaded from the cache.

Both are cached as JSON (see :mod:`mskg.kg.cache`): the graph as a table of its terms and the triples
as numbers into it, with its prefix bindings; the compiled form through the allow-list codec of
:mod:`mskg.queries.triage.compiled`. Neither can run code when read.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Graph, Literal, URIRef

if TYPE_CHECKING:
    from ..queries.triage.compiled import CompiledKB


def _build() -> Graph:
    from .build import build_graph

    return build_graph()


def graph_to_json(graph: Graph) -> dict:
    """The graph as JSON data: prefix bindings, its terms (an IRI as a string, a blank node as ``[id]``, a
    literal as ``[lexical form, datatype or null, language or null]``) and each triple as three term
    numbers."""
    number: dict = {}
    terms: list = []
    triples: list[int] = []
    for triple in graph:
        for term in triple:
            n = number.get(term)
            if n is None:
                n = number[term] = len(terms)
                if isinstance(term, Literal):
                    terms.append([str(term), None if term.datatype is None else str(term.datatype), term.language])
                elif isinstance(term, BNode):
                    terms.append([str(term)])
                elif isinstance(term, URIRef):
                    terms.append(str(term))
                else:
                    raise TypeError(f"cannot cache the term {term!r}")
            triples.append(n)
    return {"namespaces": [[prefix, str(ns)] for prefix, ns in graph.namespaces()], "terms": terms,
            "triples": triples}


def graph_from_json(data: Any) -> Graph:
    """The graph :func:`graph_to_json` wrote; ``ValueError`` (or another error) on anything else."""
    if type(data) is not dict or set(data) != {"namespaces", "terms", "triples"}:
        raise ValueError("not a cached graph")
    terms: list = []
    for term in data["terms"]:
        if type(term) is str:
            terms.append(URIRef(term))
        elif type(term) is list and len(term) == 3 and type(term[0]) is str:
            terms.append(Literal(term[0], lang=term[2], datatype=None if term[1] is None else URIRef(term[1])))
        elif type(term) is list and len(term) == 1 and type(term[0]) is str:
            terms.append(BNode(term[0]))
        else:
            raise ValueError("not a term")
    flat = data["triples"]
    if type(flat) is not list or len(flat) % 3 or not all(type(n) is int and n >= 0 for n in flat):
        raise ValueError("not a list of triples")
    graph = Graph(bind_namespaces="none")
    for prefix, ns in data["namespaces"]:
        graph.bind(str(prefix), URIRef(str(ns)), override=True, replace=True)
    it = iter(flat)
    graph.addN((terms[s], terms[p], terms[o], graph) for s, p, o in zip(it, it, it))
    return graph


@lru_cache(maxsize=1)
def load_graph() -> Graph:
    """The one mskg graph (ontology + instances), from the cache or built from the packaged facts."""
    from .cache import cached

    return cached("graph", _build, graph_to_json, graph_from_json)


def _compile() -> "CompiledKB":
    from ..queries.triage.compiled import compile_kb

    return compile_kb(load_graph())


@lru_cache(maxsize=1)
def load_compiled() -> "CompiledKB":
    """The triage rules compiled from the graph, with the resolver index and the explainer's view."""
    from ..queries.triage.compiled import kb_from_json, kb_to_json
    from .cache import cached

    return cached("compiled", _compile, kb_to_json, kb_from_json)
