"""Exact boundaries of the query layer: the read-only guard, the endpoint's limits, the result writers
cell by cell, and the row order of every named query with an ORDER BY.

Expected values come from the W3C specifications (SPARQL 1.1 Query Results JSON / XML / CSV and TSV
formats, SPARQL 1.1 Protocol) and from the README, not from what the code happens to print: each test
states the value it expects, so a writer, a limit or an ORDER BY that drifts by one makes it fail.
"""
from __future__ import annotations

import csv
import io
import json
import time
import urllib.parse
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from rdflib import BNode, Literal, URIRef, XSD

from mskg.cli.main import cli
from mskg.queries import TRIAGE_QUERIES, query_names, query_text
from mskg.queries.engine import make_engine

from .regenerate_goldens import PRESENTATION, presentation_engine
from .test_server import Server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MAX_ROWS = 3  # the endpoint below is started with --max-results 3
MAX_BODY = 1_000_000  # README: "a body over 1 MB: 413" — 1 MB = 10**6 bytes
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SELECT_ACCEPT = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_ACCEPT = {"turtle": "text/turtle", "nt": "application/n-triples", "json-ld": "application/ld+json"}


@pytest.fixture(scope="module")
def endpoint():
    s = Server("--timeout", "10", "--max-results", str(MAX_ROWS), "--workers", "1")
    yield s
    s.stop()


def mskg_query(*args: str):
    return CliRunner().invoke(cli, ["query", *args])


def get(endpoint, query: str, accept: str | None = None, **params):
    return endpoint.request(params={"query": query, **params}, headers={"Accept": accept} if accept else {})


# ====================================================================== 1. the read-only guard

UPDATE = "this endpoint is read-only: {} (SPARQL Update) is not accepted"
SERVICE = "SERVICE (federated query) is not accepted: this service makes no outbound connections"
FROM = ("FROM / FROM NAMED is not accepted: queries run on the mskg graph only, and this service fetches no "
        "remote or local documents")

FORBIDDEN = [
    # (query, expected message); every keyword in lower, capitalised and mixed case, and upper as a control
    ("select * where { service <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", SERVICE),
    ("SELECT * WHERE { Service <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", SERVICE),
    ("SELECT * WHERE { sErViCe silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", SERVICE),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", SERVICE),
    ("select * from <file:///etc/passwd> where { ?s ?p ?o }", FROM),
    ("SELECT * From <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }", FROM),
    ("select * from named <http://127.0.0.1:9/g> where { graph ?g { ?s ?p ?o } }", FROM),
    ("SELECT * From Named <http://127.0.0.1:9/g> WHERE { GRAPH ?g { ?s ?p ?o } }", FROM),
    ("SELECT * FROM NAMED <http://127.0.0.1:9/g> WHERE { GRAPH ?g { ?s ?p ?o } }", FROM),
    ("load <http://127.0.0.1:9/x.ttl>", UPDATE.format("LOAD")),
    ("Load <http://127.0.0.1:9/x.ttl> into graph <urn:g>", UPDATE.format("LOAD")),
    ("insert data { <urn:a> <urn:b> <urn:c> }", UPDATE.format("INSERT")),
    ("Insert Data { <urn:a> <urn:b> <urn:c> }", UPDATE.format("INSERT")),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", UPDATE.format("INSERT")),
    ("delete where { ?s ?p ?o }", UPDATE.format("DELETE")),
    ("Delete Where { ?s ?p ?o }", UPDATE.format("DELETE")),
    ("clear default", UPDATE.format("CLEAR")),
    ("Clear All", UPDATE.format("CLEAR")),
    ("drop all", UPDATE.format("DROP")),
    ("Drop Graph <urn:g>", UPDATE.format("DROP")),
]
FORBIDDEN_IDS = ["service", "Service", "sErViCe-silent", "SERVICE", "from", "From", "from-named", "From-Named",
                 "FROM-NAMED", "load", "Load-into", "insert-data", "Insert-Data", "INSERT-DATA", "delete-where",
                 "Delete-Where", "clear-default", "Clear-All", "drop-all", "Drop-Graph"]


@pytest.mark.parametrize("query,message", FORBIDDEN, ids=FORBIDDEN_IDS)
def test_cli_refuses_forbidden_keywords_in_any_case(query, message):
    result = mskg_query("-e", query)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"mskg query: {message}\n"


@pytest.mark.parametrize("query,message", FORBIDDEN, ids=FORBIDDEN_IDS)
def test_endpoint_refuses_forbidden_keywords_in_any_case(endpoint, query, message):
    status, headers, body = get(endpoint, query)
    assert status == 403
    assert body.decode() == message + "\n"
    form = urllib.parse.urlencode({"query": query}).encode()
    status, _, body = endpoint.request("POST", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and body.decode() == message + "\n"


# The words inside a string literal, an IRI, a comment, a variable or a prefixed name are not keywords.
HARMLESS = 'SELECT ?x WHERE { ?x skos:prefLabel "from" }'
HARMLESS_VALUES = ("SELECT ?x ?load WHERE { # drop all, then service\n"
                   "  VALUES ?x { \"from\" 'service' \"\"\"insert data\"\"\" '''Delete Where''' <urn:drop:clear> }\n"
                   "  BIND(id:from AS ?load) }")
HARMLESS_CSV = ("x,load\r\nfrom,https://w3id.org/mskg/id/from\r\nservice,https://w3id.org/mskg/id/from\r\n"
                "insert data,https://w3id.org/mskg/id/from\r\nDelete Where,https://w3id.org/mskg/id/from\r\n"
                "urn:drop:clear,https://w3id.org/mskg/id/from\r\n")


def test_cli_runs_a_query_whose_forbidden_words_are_only_data():
    result = mskg_query("-e", HARMLESS, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == b"x\r\n"  # no concept is labelled "from": the header and nothing else
    result = mskg_query("-e", HARMLESS_VALUES, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert sorted(result.stdout_bytes.decode().split("\r\n")) == sorted(HARMLESS_CSV.split("\r\n"))


def test_endpoint_runs_a_query_whose_forbidden_words_are_only_data(endpoint):
    status, _, body = get(endpoint, HARMLESS, "text/csv")  # mskg prefixes are predeclared
    assert (status, body) == (200, b"x\r\n")
    status, _, body = get(endpoint, HARMLESS_VALUES + " LIMIT 3", "text/csv")
    assert status == 200, body
    assert len(body.decode().split("\r\n")) == 5  # header, three rows (LIMIT 3), and the final CRLF


# SERVICE hidden from the old text-based guard by its neighbours. Each is a query on which Oxigraph, unguarded,
# opens a connection to the SERVICE address (a listener sees an HTTP POST from "Oxigraph/0.5"). The guard
# now decides on rdflib's parse: it sees the SERVICE, or — where rdflib's parser cannot read a text that
# Oxigraph can (the "\#" escape) — refuses the text as one it cannot check. Either way: 403, no connection.
SMUGGLED_SERVICE = [
    # a full stop right before the keyword: the old guard's look-behind skipped "." (meant for "id:a.from")
    "SELECT * WHERE { BIND(1 AS ?z) .SERVICE <http://127.0.0.1:PORT/sparql> { ?a ?b ?c } }",
    # "\#" is a legal escape in a prefixed name; the old guard read "#" as a comment to the end of the line
    "SELECT * WHERE { BIND(id:x\\# AS ?z) SERVICE <http://127.0.0.1:PORT/sparql> { ?a ?b ?c } }",
    # "\'" is a legal escape in a prefixed name; the old guard read a string from it to the next quote
    "SELECT * WHERE { VALUES ?z { id:x\\' } SERVICE <http://127.0.0.1:PORT/sparql> { ?a ?b ?c } BIND('a' AS ?w) }",
    # "\u0022" is one quote inside Oxigraph's string but opens a long string for a parser that expands
    # escapes first (rdflib): refused, since the two parsers would not read the same query
    'SELECT * WHERE { VALUES ?a { "\\u0022" } SERVICE <http://127.0.0.1:PORT/sparql> { } VALUES ?b { "\\u0022" } }',
    # a lone carriage return ends a comment for Oxigraph but not for rdflib
    "SELECT * WHERE { BIND(1 AS ?z) #x\rSERVICE <http://127.0.0.1:PORT/sparql> { ?d ?e ?f }\n }",
]
SMUGGLED_IDS = ["dot-before-SERVICE", "escaped-hash-in-prefixed-name", "escaped-quote-in-prefixed-name",
                "unicode-escaped-quote", "lone-carriage-return"]
UNCHECKABLE = "the query engine reads this query but the query guard cannot ("
SMUGGLED_REFUSAL = [(403, SERVICE), (403, UNCHECKABLE), (403, SERVICE), (400, "the escape \\u0022 is not accepted"),
                    (400, "a carriage return not followed by a line feed is not accepted")]


@pytest.mark.parametrize("template,refusal", list(zip(SMUGGLED_SERVICE, SMUGGLED_REFUSAL)), ids=SMUGGLED_IDS)
def test_endpoint_refuses_a_smuggled_service_without_any_connection(endpoint, listener, template, refusal):
    status, _, body = get(endpoint, template.replace("PORT", str(listener.port)))
    listener.close()
    expected_status, message = refusal
    prefix = "" if expected_status == 403 else "Bad query: "
    assert (status, listener.connections) == (expected_status, 0), body
    assert body.decode().startswith(prefix + message)


@pytest.mark.parametrize("template,refusal", list(zip(SMUGGLED_SERVICE, SMUGGLED_REFUSAL)), ids=SMUGGLED_IDS)
def test_cli_refuses_a_smuggled_service_without_any_connection(listener, template, refusal):
    result = mskg_query("-e", template.replace("PORT", str(listener.port)))
    listener.close()
    assert (result.exit_code, listener.connections) == (2, 0)
    assert result.stderr.startswith(f"mskg query: {refusal[1]}")


@pytest.mark.parametrize("template", SMUGGLED_SERVICE, ids=SMUGGLED_IDS)
def test_each_smuggled_service_does_connect_without_the_guard(listener, template):
    """The cases above are real: Oxigraph itself, unguarded, connects (or the test proves nothing)."""
    import pyoxigraph as ox

    try:
        try:
            result = ox.Store().query(template.replace("PORT", str(listener.port)),
                                      prefixes={"id": "https://w3id.org/mskg/id/"})
            list(result) if not isinstance(result, ox.QueryBoolean) else None
        except (OSError, RuntimeError):  # the listener closes at once: Oxigraph's HTTP client fails
            pass
        deadline = time.monotonic() + 5
        while listener.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        listener.close()
    assert listener.connections >= 1


# ====================================================================== 2. the endpoint's row cap

def values_query(n: int) -> str:
    return "SELECT ?x WHERE { VALUES ?x { " + " ".join(str(i) for i in range(1, n + 1)) + " } } ORDER BY ?x"


TOO_MANY = (f"The result is larger than this endpoint's limit of {MAX_ROWS} rows; "
            "add a LIMIT or narrow the query\n").encode()
INTEGER = XSD_NS + "integer"


def integer_cells(fmt: str, body: bytes) -> tuple[list[str], list[int]]:
    """(variables, values) of a one-column result of xsd:integers, read by the format's own rules."""
    text = body.decode("utf-8")
    if fmt == "json":
        doc = json.loads(text)
        cells = [b["x"] for b in doc["results"]["bindings"]]
        assert all(c == {"type": "literal", "value": c["value"], "datatype": INTEGER} for c in cells)
        return doc["head"]["vars"], [int(c["value"]) for c in cells]
    if fmt == "xml":
        root = ET.fromstring(body)
        variables = [v.get("name") for v in root.find(f"{RESULTS_NS}head")]
        literals = [r.find(f"{RESULTS_NS}binding/{RESULTS_NS}literal") for r in root.iter(f"{RESULTS_NS}result")]
        assert all(lit.get("datatype") == INTEGER for lit in literals)
        return variables, [int(lit.text) for lit in literals]
    if fmt == "csv":
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
        rows = list(csv.reader(io.StringIO(text)))
        return rows[0], [int(r[0]) for r in rows[1:]]
    lines = text.split("\n")
    assert lines[-1] == ""  # every line ends with EOL
    values = []
    for cell_text in lines[1:-1]:
        number = cell_text.removesuffix(f'^^<{INTEGER}>').strip('"')
        assert cell_text in (number, f'"{number}"^^<{INTEGER}>')  # TSV: 1 or "1"^^<…#integer>
        values.append(int(number))
    return [v.removeprefix("?") for v in lines[0].split("\t")], values


@pytest.mark.parametrize("fmt", list(SELECT_ACCEPT))
def test_select_of_exactly_max_rows_is_answered_in_full(endpoint, fmt):
    status, headers, body = get(endpoint, values_query(MAX_ROWS), SELECT_ACCEPT[fmt])
    assert status == 200, body
    assert headers["content-type"].startswith(SELECT_ACCEPT[fmt])
    assert integer_cells(fmt, body) == (["x"], [1, 2, 3])


@pytest.mark.parametrize("fmt", list(SELECT_ACCEPT))
def test_select_of_max_plus_one_rows_is_413_before_any_result_byte(endpoint, fmt):
    status, headers, body = get(endpoint, values_query(MAX_ROWS + 1), SELECT_ACCEPT[fmt])
    assert status == 413
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body == TOO_MANY  # the error alone: no head, no partial rows


@pytest.mark.parametrize("fmt", list(SELECT_ACCEPT))
def test_the_cap_counts_result_rows_not_intermediate_solutions(endpoint, fmt):
    limited = values_query(MAX_ROWS + 2) + f" LIMIT {MAX_ROWS}"
    status, _, body = get(endpoint, limited, SELECT_ACCEPT[fmt])
    assert status == 200 and integer_cells(fmt, body) == (["x"], [1, 2, 3])
    distinct = "SELECT DISTINCT ?x WHERE { VALUES ?x { 1 1 2 2 3 3 } } ORDER BY ?x"
    status, _, body = get(endpoint, distinct, SELECT_ACCEPT[fmt])
    assert status == 200 and integer_cells(fmt, body) == (["x"], [1, 2, 3])


def test_an_empty_result_and_an_ask_are_not_capped(endpoint):
    status, _, body = get(endpoint, "SELECT ?x WHERE { VALUES ?x { } }", "text/csv")
    assert (status, body) == (200, b"x\r\n")
    status, _, body = get(endpoint, "ASK { VALUES ?x { 1 2 3 4 5 } }")
    assert status == 200 and json.loads(body) == {"head": {}, "boolean": True}


def construct_query(n: int) -> str:
    iris = " ".join(f"<urn:x:{i}>" for i in range(1, n + 1))
    return f"CONSTRUCT {{ ?x <urn:p> ?x }} WHERE {{ VALUES ?x {{ {iris} }} }}"


@pytest.mark.parametrize("fmt", list(GRAPH_ACCEPT))
def test_construct_of_exactly_max_triples_is_answered_in_full(endpoint, fmt):
    from rdflib import Graph

    status, headers, body = get(endpoint, construct_query(MAX_ROWS), GRAPH_ACCEPT[fmt])
    assert status == 200, body
    assert headers["content-type"].startswith(GRAPH_ACCEPT[fmt])
    graph = Graph().parse(data=body.decode(), format=fmt)
    p = URIRef("urn:p")
    assert set(graph) == {(URIRef(f"urn:x:{i}"), p, URIRef(f"urn:x:{i}")) for i in (1, 2, 3)}


@pytest.mark.parametrize("fmt", list(GRAPH_ACCEPT))
def test_construct_of_max_plus_one_triples_is_413_before_any_result_byte(endpoint, fmt):
    status, headers, body = get(endpoint, construct_query(MAX_ROWS + 1), GRAPH_ACCEPT[fmt])
    assert status == 413
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body == TOO_MANY


def test_construct_counts_distinct_triples_not_solutions(endpoint):
    # four solutions, one triple: the graph holds one triple, well under the cap
    query = "CONSTRUCT { <urn:a> <urn:p> <urn:b> } WHERE { VALUES ?x { 1 2 3 4 } }"
    status, _, body = get(endpoint, query, "application/n-triples")
    assert (status, body) == (200, b"<urn:a> <urn:p> <urn:b> .\n")


# ====================================================================== 3. the request body limit

def ask_padded_to(size: int) -> bytes:
    """ASK {} followed by a comment: a valid query of exactly ``size`` bytes."""
    body = b"ASK {} #" + b"x" * (size - 8)
    assert len(body) == size
    return body


def form_padded_to(size: int) -> bytes:
    head = urllib.parse.urlencode({"query": "ASK {} #"}).encode()
    body = head + b"x" * (size - len(head))
    assert len(body) == size
    return body


@pytest.mark.parametrize("content_type,make", [
    ("application/sparql-query", ask_padded_to),
    ("application/x-www-form-urlencoded", form_padded_to),
], ids=["sparql-query", "form"])
def test_a_body_of_exactly_one_megabyte_is_accepted(endpoint, content_type, make):
    status, _, body = endpoint.request("POST", body=make(MAX_BODY), headers={"Content-Type": content_type})
    assert status == 200, body[:200]
    assert json.loads(body) == {"head": {}, "boolean": True}


@pytest.mark.parametrize("content_type,make", [
    ("application/sparql-query", ask_padded_to),
    ("application/x-www-form-urlencoded", form_padded_to),
], ids=["sparql-query", "form"])
def test_a_body_one_byte_over_one_megabyte_is_413(endpoint, content_type, make):
    status, _, body = endpoint.request("POST", body=make(MAX_BODY + 1), headers={"Content-Type": content_type})
    assert status == 413
    assert body == f"The request body is larger than {MAX_BODY} bytes\n".encode()
    assert endpoint.request(params={"query": "ASK {}"})[0] == 200  # and the server goes on


# ====================================================================== 4. dataset parameters

NO_DATASET = b"default-graph-uri and named-graph-uri are not supported: queries run on the mskg graph\n"


@pytest.mark.parametrize("name", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("value", ["http://127.0.0.1:9/g", "file:///etc/passwd", ""])
def test_dataset_parameters_are_refused_with_400(endpoint, name, value):
    # GET
    status, _, body = endpoint.request(params={"query": "ASK {}", name: value})
    assert (status, body) == (400, NO_DATASET)
    # POST, form-encoded, the parameter in the body
    form = urllib.parse.urlencode({"query": "ASK {}", name: value}).encode()
    status, _, body = endpoint.request("POST", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, body) == (400, NO_DATASET)
    # POST, a direct query body, the parameter in the URL (SPARQL 1.1 Protocol, 2.1.3)
    status, _, body = endpoint.request("POST", params={name: value}, body=b"ASK {}",
                                       headers={"Content-Type": "application/sparql-query"})
    assert (status, body) == (400, NO_DATASET)


# ====================================================================== 5. the result writers, cell by cell

TEXT = 'a, "q"\n\tz é'  # a comma, a double quote, a newline, a tab and a non-ASCII letter
ROW_QUERY = (
    "SELECT ?iri ?lang ?int ?dec ?bool ?none ?text WHERE {\n"
    "  VALUES (?iri ?lang ?int ?dec ?bool ?none ?text) {\n"
    '    (<https://w3id.org/mskg/id/tennis-elbow> "tennis elbow"@en 42 3.25 true UNDEF "a, \\"q\\"\\n\\tz é")\n'
    "  }\n}"
)
VARIABLES = ["iri", "lang", "int", "dec", "bool", "none", "text"]
IRI = "https://w3id.org/mskg/id/tennis-elbow"


@pytest.fixture(scope="module")
def row_output(request):
    """The row in each format, from ``mskg query -e`` (cli) or from the endpoint's Accept negotiation."""
    cache: dict[tuple[str, str], tuple[bytes, str]] = {}

    def produce(source: str, fmt: str) -> tuple[bytes, str]:
        if (source, fmt) not in cache:
            if source == "cli":
                result = mskg_query("-e", ROW_QUERY, "--format", fmt)
                assert result.exit_code == 0, result.stderr
                cache[source, fmt] = (result.stdout_bytes, "")
            else:
                status, headers, body = get(request.getfixturevalue("endpoint"), ROW_QUERY, SELECT_ACCEPT[fmt])
                assert status == 200, body
                cache[source, fmt] = (body, headers["content-type"])
        return cache[source, fmt]

    return produce


SOURCES = ["cli", "endpoint"]


@pytest.mark.parametrize("source", SOURCES)
def test_json_cells(row_output, source):
    body, content_type = row_output(source, "json")
    if source == "endpoint":
        assert content_type == "application/sparql-results+json"
    doc = json.loads(body.decode("utf-8"))
    assert doc["head"] == {"vars": VARIABLES}
    assert doc["results"]["bindings"] == [{
        "iri": {"type": "uri", "value": IRI},
        "lang": {"type": "literal", "value": "tennis elbow", "xml:lang": "en"},
        "int": {"type": "literal", "value": "42", "datatype": XSD_NS + "integer"},
        "dec": {"type": "literal", "value": "3.25", "datatype": XSD_NS + "decimal"},
        "bool": {"type": "literal", "value": "true", "datatype": XSD_NS + "boolean"},
        # "none" is unbound: absent from the binding object
        "text": {"type": "literal", "value": TEXT},
    }]


@pytest.mark.parametrize("source", SOURCES)
def test_xml_cells(row_output, source):
    body, content_type = row_output(source, "xml")
    if source == "endpoint":
        assert content_type == "application/sparql-results+xml"
    root = ET.fromstring(body)
    assert root.tag == f"{RESULTS_NS}sparql"
    assert [(v.tag, v.attrib) for v in root.find(f"{RESULTS_NS}head")] == [
        (f"{RESULTS_NS}variable", {"name": v}) for v in VARIABLES]
    results = root.findall(f"{RESULTS_NS}results/{RESULTS_NS}result")
    assert len(results) == 1
    cells = {}
    for binding in results[0]:
        assert binding.tag == f"{RESULTS_NS}binding"
        (term,) = list(binding)
        cells[binding.get("name")] = (term.tag.removeprefix(RESULTS_NS), term.attrib, term.text)
    assert cells == {
        "iri": ("uri", {}, IRI),
        "lang": ("literal", {XML_LANG: "en"}, "tennis elbow"),
        "int": ("literal", {"datatype": XSD_NS + "integer"}, "42"),
        "dec": ("literal", {"datatype": XSD_NS + "decimal"}, "3.25"),
        "bool": ("literal", {"datatype": XSD_NS + "boolean"}, "true"),
        # "none" is unbound: no <binding> element at all
        "text": ("literal", {}, TEXT),
    }


CSV_TEXT = ('iri,lang,int,dec,bool,none,text\r\n'
            'https://w3id.org/mskg/id/tennis-elbow,tennis elbow,42,3.25,true,,"a, ""q""\n\tz é"\r\n')


@pytest.mark.parametrize("source", SOURCES)
def test_csv_cells(row_output, source):
    body, content_type = row_output(source, "csv")
    if source == "endpoint":
        assert content_type.startswith("text/csv")
    assert body.decode("utf-8") == CSV_TEXT  # RFC 4180: CRLF, quoted field with doubled quotes
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert rows == [VARIABLES, [IRI, "tennis elbow", "42", "3.25", "true", "", TEXT]]


def tsv_cells(body: bytes) -> tuple[list[str], list[str]]:
    text = body.decode("utf-8")
    lines = text.split("\n")
    assert len(lines) == 3 and lines[-1] == "", text  # header, one row, each ending with LF
    return lines[0].split("\t"), lines[1].split("\t")


@pytest.mark.parametrize("source", SOURCES)
def test_tsv_cells(row_output, source):
    body, content_type = row_output(source, "tsv")
    if source == "endpoint":
        assert content_type.startswith("text/tab-separated-values")
    header, row = tsv_cells(body)
    assert header == [f"?{v}" for v in VARIABLES]
    assert len(row) == 7
    cells = dict(zip(VARIABLES, row))
    assert cells["iri"] == f"<{IRI}>"
    assert cells["lang"] == '"tennis elbow"@en'
    # Turtle forms: the abbreviated number/boolean, or the full typed literal
    assert cells["int"] in ("42", f'"42"^^<{XSD_NS}integer>')
    assert cells["dec"] in ("3.25", f'"3.25"^^<{XSD_NS}decimal>')
    assert cells["bool"] in ("true", f'"true"^^<{XSD_NS}boolean>')
    assert cells["none"] == ""


@pytest.mark.parametrize("source", SOURCES)
def test_tsv_text_cell_is_a_single_quoted_escaped_literal(row_output, source):
    _, row = tsv_cells(row_output(source, "tsv")[0])
    assert row[6] in ('"a, \\"q\\"\\n\\tz é"', '"a, \\"q\\"\\n\\tz \\u00E9"', '"a, \\"q\\"\\n\\tz \\u00e9"')


@pytest.mark.parametrize("term, cell", [
    (Literal("a\\b\r\nc"), '"a\\\\b\\r\\nc"'),
    (Literal('say "hi"', lang="en"), '"say \\"hi\\""@en'),
    (Literal("x\ty", datatype=URIRef("urn:dt")), '"x\\ty"^^<urn:dt>'),
    (Literal("42", datatype=URIRef(f"{XSD_NS}integer")), f'"42"^^<{XSD_NS}integer>'),
    (Literal(True), f'"true"^^<{XSD_NS}boolean>'),
    (URIRef("urn:x"), "<urn:x>"),
])
def test_tsv_writes_each_term_in_its_single_quoted_turtle_form(term, cell):
    from mskg.queries.engine import QueryResult
    from mskg.queries.results import to_tsv

    assert to_tsv(QueryResult("select", ["v"], [(term,)])).decode() == f"?v\n{cell}\n"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_cli_and_endpoint_write_the_same_bytes(row_output, fmt):
    assert row_output("cli", fmt)[0] == row_output("endpoint", fmt)[0]


@pytest.mark.parametrize("source", SOURCES)
def test_a_carriage_return_survives_the_xml_writer(request, source):
    query = 'SELECT ?text WHERE { VALUES ?text { "one\\r\\ntwo" } }'
    if source == "cli":
        result = mskg_query("-e", query, "--format", "xml")
        assert result.exit_code == 0
        body = result.stdout_bytes
    else:
        body = get(request.getfixturevalue("endpoint"), query, SELECT_ACCEPT["xml"])[2]
    path = "/".join(f"{RESULTS_NS}{tag}" for tag in ("results", "result", "binding", "literal"))
    literal = ET.fromstring(body).find(path)
    assert literal.text == "one\r\ntwo"


# ====================================================================== 6. ORDER BY in the named library

ASC, DESC = 1, -1
#: Each named query's ORDER BY, written out by hand: (column, direction) or (column, direction, "bound-first")
#: for ORDER BY (!BOUND(?x)), which puts rows where ?x is bound before rows where it is not.
ORDER_KEYS = {
    "class_counts": [("class", ASC)],
    "concept_hierarchy": [("parentLabel", ASC), ("label", ASC)],
    "condition_actions": [("conditionLabel", ASC), ("role", ASC), ("actionLabel", ASC)],
    "condition_profiles": [("label", ASC), ("relation", ASC), ("valueLabel", ASC)],
    "escalation_thresholds": [("minDays", ASC), ("ruleLabel", ASC), ("trend", ASC), ("action", ASC)],
    "evidence_sources": [("sourceLabel", ASC), ("factLabel", ASC)],
    "findings_of_concern": [("conditionLabel", ASC), ("ruleLabel", ASC), ("findingLabel", ASC)],
    "imaging_indications": [("actionLabel", ASC), ("ruleLabel", ASC)],
    "interpretations": [("factLabel", ASC), ("property", ASC), ("quote", ASC)],
    "recommendation_evidence": [("actionLabel", ASC), ("rule", ASC), ("start", ASC)],
    "red_flag_screen": [("redFlag", DESC), ("rank", DESC), ("label", ASC)],  # red flags on their own first
    "red_flags_by_urgency": [("rank", DESC), ("flagLabel", ASC), ("triggerLabel", ASC)],  # most urgent first
    "rule_criteria": [("criterion", ASC), ("label", ASC)],
    "sciatica_vs_strain": [("favoursLabel", ASC), ("featureLabel", ASC), ("findingLabel", ASC)],
    "section_coverage": [("order", ASC)],
    "statistics": [("statistic", ASC), ("source", ASC)],
    "synonyms": [("label", ASC), ("synonym", ASC)],
    "terminology_mappings": [("label", ASC), ("system", ASC)],
    # README: "shortest first in days; vague ones last, with no number"
    "timeframes_by_length": [("days", ASC, "bound-first"), ("days", ASC), ("label", ASC)],
    "training_modifications": [("activityLabel", ASC), ("modificationLabel", ASC), ("condition", ASC)],
    "triage_matches": [("rule", ASC), ("criterion", ASC), ("reported", ASC), ("trigger", ASC)],
    "triage_rules": [("rank", DESC), ("rule", ASC)],
    "urgency_levels": [("rank", DESC)],
}
NUMERIC = {XSD_NS + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                                "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
                                "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}


def sparql_order_key(term) -> tuple:
    """SPARQL 1.1 §15.1: unbound < blank node < IRI < literal; numbers by value, strings by code point."""
    if term is None:
        return (0,)
    if isinstance(term, BNode):
        return (1, str(term))
    if isinstance(term, URIRef):
        return (2, str(term))
    assert isinstance(term, Literal)
    datatype = str(term.datatype) if term.datatype else None
    if datatype in NUMERIC:
        return (3, 0, Decimal(str(term)))
    if datatype == str(XSD.boolean):
        return (3, 1, str(term) in ("true", "1"))
    if datatype in (None, str(XSD.string)):
        return (3, 2, str(term), term.language or "")
    return (3, 3, datatype, str(term))


def compare_rows(a: dict, b: dict, keys) -> int:
    """-1, 0 or 1: how row ``a`` orders against row ``b`` under ``keys``."""
    for key in keys:
        column, direction = key[0], key[1]
        if len(key) == 3:  # bound first
            ka, kb = (a[column] is None,), (b[column] is None,)
        else:
            ka, kb = sparql_order_key(a[column]), sparql_order_key(b[column])
            assert ka[:2] == kb[:2] or ka[0] != kb[0] or ka[0] != 3, (
                f"{column}: literals of different kinds ({a[column]!r}, {b[column]!r}) have no SPARQL order")
        if ka != kb:
            return direction if ka > kb else -direction
    return 0


@pytest.fixture(scope="module")
def ordered_results(graph):
    engine = make_engine("pyoxigraph", graph)
    triage = presentation_engine()

    def run(name):
        if name in TRIAGE_QUERIES:
            bindings = {"rule": URIRef(PRESENTATION["rule"])} if name == "rule_criteria" else None
            return triage.query(query_text(name), bindings)
        return engine.query(query_text(name))

    return run


def test_every_query_with_order_by_has_its_keys_written_here():
    import re

    ordered = {n for n in query_names() if re.search(r"(?im)^\s*ORDER\s+BY\b", query_text(n))}
    assert ordered == set(ORDER_KEYS)


@pytest.mark.parametrize("name", sorted(ORDER_KEYS))
def test_rows_come_in_order_by_order(ordered_results, name):
    result = ordered_results(name)
    keys = ORDER_KEYS[name]
    rows = [dict(zip(result.variables, row)) for row in result.rows]
    assert len(rows) >= 2, "too few rows to tell an order"
    steps = [compare_rows(a, b, keys) for a, b in zip(rows, rows[1:])]
    out_of_order = [i for i, s in enumerate(steps) if s > 0]
    assert not out_of_order, f"rows {out_of_order[0]} and {out_of_order[0] + 1} are out of order: " \
                             f"{rows[out_of_order[0]]} then {rows[out_of_order[0] + 1]}"
    # the order is not vacuous: some step is strictly ordered, so reversed keys cannot pass
    assert any(s < 0 for s in steps), "every row ties on every key"
    if name not in ("rule_criteria",):  # one criterion in the golden presentation's rule
        assert any(compare_rows(a, b, keys[:1]) < 0 for a, b in zip(rows, rows[1:])), "the first key never changes"


def test_red_flags_by_urgency_starts_with_the_most_urgent(ordered_results):
    rows = ordered_results("red_flags_by_urgency").rows
    ranks = [int(r[0]) for r in rows]
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] == max(ranks) and ranks[-1] == min(ranks) and ranks[0] > ranks[-1]


def test_timeframes_by_length_shortest_first_and_vague_last(ordered_results):
    result = ordered_results("timeframes_by_length")
    days = [row[result.variables.index("days")] for row in result.rows]
    known = [Decimal(str(d)) for d in days if d is not None]
    assert known and known == sorted(known) and known[0] < known[-1]
    first_vague = next((i for i, d in enumerate(days) if d is None), len(days))
    assert all(d is None for d in days[first_vague:]), "a timeframe with days comes after a vague one"
    assert first_vague < len(days), "no vague timeframe to put last"


def test_the_table_for_people_cuts_at_the_width_and_counts_rows():
    """``--format table``: IRIs shortened with the mskg prefixes, a value cut to the width with an ellipsis only
    when it is longer, ASK as yes or no, and the row count with its plural."""
    from mskg.queries.engine import QueryResult
    from mskg.queries.results import to_table

    assert (to_table(QueryResult("ask", boolean=True)), to_table(QueryResult("ask", boolean=False))) == ("yes", "no")
    iri = URIRef("https://w3id.org/mskg/id/saddle-anaesthesia")
    at, over = "a" * 60, "b" * 61
    table = to_table(QueryResult("select", ["x", "v"], [(iri, Literal(at)), (None, Literal(over))]))
    assert table.splitlines() == [
        "x" + " " * 20 + "  v",
        "-" * 21 + "  " + "-" * 60,
        "id:saddle-anaesthesia  " + at,
        " " * 21 + "  " + "b" * 59 + "…",
        "(2 rows)"]
    assert to_table(QueryResult("select", ["x"], [(iri,)])).splitlines()[-1] == "(1 row)"
    assert to_table(QueryResult("select", ["x"], [(Literal("c" * 11),)]), width=10).splitlines()[2] == "c" * 9 + "…"


def test_a_graph_result_is_written_with_the_mskg_prefixes_whatever_it_bound():
    from rdflib import Graph

    from mskg.queries.engine import QueryResult
    from mskg.queries.results import serialize

    graph = Graph()
    graph.bind("other", "https://w3id.org/mskg/ontology#")
    graph.add((URIRef("https://w3id.org/mskg/id/fever"), URIRef("https://w3id.org/mskg/ontology#inRegion"),
               URIRef("https://w3id.org/mskg/id/region/systemic")))
    text = serialize(QueryResult("graph", graph=graph), "turtle").decode()
    assert "@prefix mskg: <https://w3id.org/mskg/ontology#> ." in text and "other:" not in text
    assert "id:fever mskg:inRegion <https://w3id.org/mskg/id/region/systemic> ." in text  # "/" in a local name


def test_ask_in_xml_says_true_or_false():
    from mskg.queries.engine import QueryResult
    from mskg.queries.results import to_xml

    for value in (True, False):
        root = ET.fromstring(to_xml(QueryResult("ask", boolean=value)))
        assert root.find(f"{RESULTS_NS}boolean").text == ("true" if value else "false")
