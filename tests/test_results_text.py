"""What mskg prints of values that come from elsewhere (an external endpoint's cells, a query's written result) is
safe on a terminal and exact where it must be: each control or format character written out in the one form its
code point calls for, long values cut at the limit and not before, CR LF kept where it makes a CSV's lines.
Written from Python's notion of printable and the SPARQL 1.1 JSON results format, not read back from the code
(issue 14: mutants of these helpers survived)."""

import json

import pytest
from rdflib import Literal, URIRef


@pytest.mark.parametrize("text, shown", [
    ("plain text, with spaces", "plain text, with spaces"),
    ("red \x1b[31malert\x1b[0m", "red \\x1b[31malert\\x1b[0m"),  # an ANSI escape: below 0x100, two hex digits
    ("soft\xadhyphen", "soft\\xadhyphen"),  # a format character below 0x100
    ("bell\x07", "bell\\x07"),
    ("evil\u202etxt", "evil\\u202etxt"),  # a bidirectional override: four hex digits
    ("line\u2028separator", "line\\u2028separator"),
    ("last\uffff", "last\\uffff"),  # the last code point written with four digits
    ("tag\U000e0001", "tag\\U000e0001"),  # beyond the basic plane: eight digits
    ("café — naïve ✓", "café — naïve ✓"),  # printable non-ASCII is left alone
])
def test_printable_writes_each_control_character_in_the_form_its_code_point_calls_for(text, shown):
    from mskg.queries.results import printable

    assert printable(text) == shown


def test_printable_cuts_at_the_limit_and_not_before():
    from mskg.queries.results import printable

    assert printable("abcdef", limit=7) == "abcdef"
    assert printable("abcdef", limit=6) == "abcdef"  # exactly at the limit: whole
    assert printable("abcdef", limit=5) == "abcd…"  # over it: limit characters in all, the last an ellipsis
    assert printable("\x1b\x1b", limit=5) == "\\x1b…"  # the limit counts what is shown, not what was sent


def test_for_terminal_keeps_a_documents_structure_and_writes_out_the_rest():
    from mskg.queries.results import for_terminal

    csv = "label,value\r\nred\x1b[31m,\u202eevil\r\ncafé,\tok\n"
    assert for_terminal(csv) == "label,value\r\nred\\x1b[31m,\\u202eevil\r\ncafé,\tok\n"
    assert for_terminal("a\rb") == "a\\x0db"  # a lone carriage return can overwrite a line: written out
    assert for_terminal("a\nb\r\n") == "a\nb\r\n"


def test_a_json_literal_with_a_language_has_no_datatype_and_one_without_keeps_it():
    """SPARQL 1.1 JSON results: a literal with "xml:lang" is a language-tagged string (some stores also send the
    rdf:langString datatype); one with "datatype" only is typed, as sent; one with neither is plain."""
    from mskg.queries.results import parse_json_results

    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    doc = {"head": {"vars": ["v"]}, "results": {"bindings": [
        {"v": {"type": "literal", "value": "back pain", "xml:lang": "en", "datatype": rdf}},
        {"v": {"type": "literal", "value": "back pain", "xml:lang": "en"}},
        {"v": {"type": "literal", "value": "0.04", "datatype": xsd + "decimal"}},
        {"v": {"type": "literal", "value": "plain"}},
        {"v": {"type": "uri", "value": "https://w3id.org/mskg/id/tennis-elbow"}},
        {},
    ]}}
    rows = [row[0] for row in parse_json_results(json.dumps(doc)).rows]
    assert [(r.language, r.datatype) if isinstance(r, Literal) else r for r in rows] == [
        ("en", None), ("en", None), (None, URIRef(xsd + "decimal")), (None, None),
        URIRef("https://w3id.org/mskg/id/tennis-elbow"), None]
    assert str(rows[2]) == "0.04"
