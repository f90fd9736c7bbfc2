"""Shared fixtures: the built graph (once per session), fresh copies of the facts, the article."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from rdflib import Graph

from mskg.kg.article import Article
from mskg.kg.build import build_graph
from mskg.kg.facts import Facts, load_facts
from mskg.kg.provenance import article_for
from mskg.ontology.namespaces import NAMESPACES

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def graph() -> Graph:
    """The one mskg graph (ontology + instances), built once; tests must not modify it."""
    return build_graph()


@pytest.fixture(scope="session")
def _facts() -> Facts:
    return load_facts()


@pytest.fixture
def facts(_facts: Facts) -> Facts:
    """A private copy of the curated facts that a test may corrupt."""
    return copy.deepcopy(_facts)


@pytest.fixture(scope="session")
def article(_facts: Facts) -> Article:
    return article_for(_facts)


@pytest.fixture(scope="session")
def sparql(graph: Graph):
    """Run a SPARQL query on the graph with the mskg prefixes; return rows as tuples of Python values."""

    def run(query: str, **bindings):
        rows = graph.query(query, initNs=dict(NAMESPACES), initBindings=bindings)
        return [tuple(None if v is None else v.toPython() for v in row) for row in rows]

    return run


def fact(facts: Facts, kind: str, fact_id: str) -> dict:
    """The entry with ``fact_id`` in section ``kind`` of the facts file."""
    return next(e for e in facts[kind] if e["id"] == fact_id)
