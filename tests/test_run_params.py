"""`--param name=value` and parameter binding for an external store, value by value (queries/run.py).

Each form a user types is checked against the term it must become, written out by hand.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import XSD, Literal, URIRef

from mskg.queries.engine import QueryError
from mskg.queries.run import ParameterError, check_param_used, inject_values, parse_param, resource_param

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


@pytest.mark.parametrize("text, iri", [
    ("condition=tennis-elbow", ID + "tennis-elbow"),
    ("condition=id:tennis-elbow", ID + "tennis-elbow"),
    ("condition=<https://w3id.org/mskg/id/tennis-elbow>", ID + "tennis-elbow"),
    ("root=mskg:ClinicalFinding", MSKG + "ClinicalFinding"),
    ("urgency=id:emergency", ID + "emergency"),
])
def test_a_library_parameter_names_a_resource_of_the_graph(graph, text, iri):
    assert resource_param(text, graph) == (text.partition("=")[0], URIRef(iri))


@pytest.mark.parametrize("text, message", [
    # a typo: named, with the closest names (a string bound here used to return no rows, silently)
    ("condition=tenis-elbow", "--param condition=tenis-elbow: the mskg graph has no resource of that name; "
                              "closest: id:tennis-elbow, id:section/tennis-elbow, id:medial-elbow"),
    ("condition=id:sciatia", "--param condition=id:sciatia: the mskg graph has no resource of that name; "
                             "closest: id:sciatica, id:care-sciatica, id:section/sciatica"),
    # a literal, or an IRI the graph does not hold, is no resource either
    ("condition=42", "--param condition=42: the mskg graph has no resource of that name"),
    ("condition=<https://example.org/x>", "--param condition=<https://example.org/x>: the mskg graph has no "
                                          "resource of that name"),
])
def test_a_library_parameter_that_names_nothing_is_refused_with_the_closest_names(graph, text, message):
    with pytest.raises(ParameterError) as caught:
        resource_param(text, graph)
    assert str(caught.value) == message


def test_a_parameter_of_a_query_given_as_text_must_be_one_of_its_variables():
    check_param_used("s", "SELECT ?s WHERE { ?s ?p ?o }")
    check_param_used("s", "SELECT $s WHERE { $s ?p ?o }")
    for text in ('SELECT ?x WHERE { ?x ?p "?s" }',        # only in a string
                 "SELECT ?x WHERE { ?x ?p ?o } # ?s",     # only in a comment
                 "SELECT ?sx WHERE { ?sx ?p ?o }"):       # a longer name
        with pytest.raises(ParameterError, match=r"^--param s: the query has no variable \?s$"):
            check_param_used("s", text)
