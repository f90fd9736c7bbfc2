"""`--param name=value` and parameter binding for an external store, value by value (queries/run.py).

Each form a user types is checked against the term it must become, written out by hand.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import XSD, Literal, URIRef

from mskg.queries.engine import QueryError
from mskg.queries.run import ParameterError, inject_values, parse_param

MSKG = "https://w3id.org/mskg/ontology#"
ID = "https://w3id.org/mskg/id/"


@pytest.mark.parametrize("text, term", [
    ("x=<urn:a:b>", URIRef("urn:a:b")),
    ("x=<https://example.org/a>", URIRef("https://example.org/a")),
    ("x=https://example.org/a", URIRef("https://example.org/a")),
    ("x=mskg:RedFlag", URIRef(MSKG + "RedFlag")),
    ("x=id:tennis-elbow", URIRef(ID + "tennis-elbow")),
    ("x=42", Literal(42)),
    ("x=-3", Literal(-3)),
    ("x=3.25", Literal(Decimal("3.25"), datatype=XSD.decimal)),
    ("x=true", Literal(True)),
    ("x=urn:a>", Literal("urn:a>")),         # no "<": a string, not an IRI
    ("x=<urn:a", Literal("<urn:a")),         # no ">": a string
    ("x=foo:bar", Literal("foo:bar")),       # not a known prefix
    ("x=tennis elbow", Literal("tennis elbow")),
    ("?x = tennis-elbow", Literal("tennis-elbow")),  # without a graph, an id is only a string
])
def test_each_form_of_a_value_becomes_its_term(text, term):
    assert parse_param(text) == ("x", term)


def test_a_bare_id_is_an_iri_only_when_the_graph_has_it(graph):
    assert parse_param("condition=tennis-elbow", graph) == ("condition", URIRef(ID + "tennis-elbow"))
    assert parse_param("condition=not-a-concept", graph) == ("condition", Literal("not-a-concept"))
    assert parse_param("condition=Tennis-Elbow", graph) == ("condition", Literal("Tennis-Elbow"))


@pytest.mark.parametrize("text", ["x", "=1", "1x=2", "a b=1"])
def test_a_bad_parameter_says_how_to_write_one(text):
    with pytest.raises(ParameterError, match=r"use name=value, e.g. condition=id:tennis-elbow"):
        parse_param(text)


def test_values_are_bound_at_the_start_of_the_where_group_not_in_a_string():
    query = 'SELECT ?l WHERE { ?s ?p "WHERE { not here" ; ?q ?l }'
    bound = inject_values(query, {"s": URIRef("urn:x"), "n": Literal(2)})
    assert bound == 'SELECT ?l WHERE { VALUES (?s ?n) { (<urn:x> "2"^^<http://www.w3.org/2001/XMLSchema#integer>) }  ' \
                    '?s ?p "WHERE { not here" ; ?q ?l }'
    assert inject_values(query, {}) == query
    # no WHERE keyword: the first group
    assert inject_values("ASK { ?s ?p ?o }", {"s": URIRef("urn:x")}) == \
        "ASK { VALUES (?s) { (<urn:x>) }  ?s ?p ?o }"
    with pytest.raises(QueryError, match="cannot bind parameters: the query has no WHERE group"):
        inject_values("DESCRIBE <urn:x>", {"s": URIRef("urn:x")})
