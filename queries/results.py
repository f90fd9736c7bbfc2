"""SPARQL 1.1 results in the W3C formats (JSON, XML, CSV, TSV), graph results in RDF syntaxes, and a table for people.

One implementation serves ``mskg query``, the endpoint and results fetched from an external store, so
the same query gives the same bytes wherever it ran.
"""
from __future__ import annotations

import csv
import io
import json
import re
from xml.etree import ElementTree as ET

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from ..ontology.namespaces import NAMESPACES
from .engine import QueryResult, literal_as_sent

SELECT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
GRAPH_FORMATS = {"turtle": "text/turtle; charset=utf-8", "nt": "application/n-triples", "json-ld": "application/ld+json"}
_RDFLIB_GRAPH_FORMAT = {"turtle": "turtle", "nt": "nt", "json-ld": "json-ld"}
SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


class FormatError(ValueError):
    """The requested format does not fit the query form (e.g. CSV for a CONSTRUCT)."""


def _json_term(term: Node) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def to_json(result: QueryResult) -> bytes:
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean}, separators=(",", ":")).encode()
    bindings = [{v: _json_term(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows]
    # Compact, as the endpoint's direct writer (orjson) writes it: the same bytes from CLI and endpoint.
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def to_xml(result: QueryResult) -> bytes:
    ET.register_namespace("", SPARQL_RESULTS_NS)
    root = ET.Element(f"{{{SPARQL_RESULTS_NS}}}sparql")
    head = ET.SubElement(root, f"{{{SPARQL_RESULTS_NS}}}head")
    if result.kind == "ask":
        ET.SubElement(root, f"{{{SPARQL_RESULTS_NS}}}boolean").text = "true" if result.boolean else "false"
    else:
        for v in result.variables:
            ET.SubElement(head, f"{{{SPARQL_RESULTS_NS}}}variable", name=v)
        results = ET.SubElement(root, f"{{{SPARQL_RESULTS_NS}}}results")
        for row in result.rows:
            element = ET.SubElement(results, f"{{{SPARQL_RESULTS_NS}}}result")
            for v, term in zip(result.variables, row):
                if term is None:
                    continue
                binding = ET.SubElement(element, f"{{{SPARQL_RESULTS_NS}}}binding", name=v)
                if isinstance(term, URIRef):
                    ET.SubElement(binding, f"{{{SPARQL_RESULTS_NS}}}uri").text = str(term)
                elif isinstance(term, BNode):
                    ET.SubElement(binding, f"{{{SPARQL_RESULTS_NS}}}bnode").text = str(term)
                else:
                    attrs = {}
                    if term.language:
                        attrs["{http://www.w3.org/XML/1998/namespace}lang"] = term.language
                    elif term.datatype:
                        attrs["datatype"] = str(term.datatype)
                    ET.SubElement(binding, f"{{{SPARQL_RESULTS_NS}}}literal", attrs).text = str(term)
    # ElementTree writes a carriage return raw, and XML parsers turn a raw CR (or CR LF) into LF (XML 1.0,
    # 2.11): as a character reference it survives. The writer itself emits no CR, so every CR is data.
    body = ET.tostring(root, encoding="utf-8").replace(b"\r", b"&#13;")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _csv_value(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def to_csv(result: QueryResult) -> bytes:
    if result.kind == "ask":
        raise FormatError("CSV has no form for an ASK result; use json or xml")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_value(t) for t in row])
    return buffer.getvalue().encode("utf-8")


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _tsv_value(term: Node | None) -> str:
    """A term in Turtle's form, as SPARQL 1.1 TSV asks: literals single-quoted with ``\\"``, ``\\n``, ``\\r``
    and ``\\t`` escapes (never Turtle's triple-quoted form, never a raw tab or line break)."""
    if term is None:
        return ""
    if not isinstance(term, Literal):
        return term.n3()
    quoted = '"' + str(term).translate(_TSV_ESCAPES) + '"'
    if term.language:
        return f"{quoted}@{term.language}"
    if term.datatype:
        return f"{quoted}^^<{term.datatype}>"
    return quoted


def to_tsv(result: QueryResult) -> bytes:
    if result.kind == "ask":
        raise FormatError("TSV has no form for an ASK result; use json or xml")
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(_tsv_value(t) for t in row) for row in result.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize(result: QueryResult, fmt: str) -> bytes:
    """Serialise a result in ``fmt``: json|xml|csv|tsv for SELECT/ASK, turtle|nt|json-ld for graphs."""
    if result.kind == "graph":
        if fmt not in GRAPH_FORMATS:
            raise FormatError(f"a CONSTRUCT or DESCRIBE result is a graph: use one of {', '.join(GRAPH_FORMATS)}")
        graph = result.graph
        for prefix, ns in NAMESPACES.items():
            graph.bind(prefix, ns, override=True)
        return graph.serialize(format=_RDFLIB_GRAPH_FORMAT[fmt], encoding="utf-8")
    if fmt in GRAPH_FORMATS:
        raise FormatError(f"a SELECT or ASK result is a table: use one of table, {', '.join(SELECT_FORMATS)}")
    return {"json": to_json, "xml": to_xml, "csv": to_csv, "tsv": to_tsv}[fmt](result)


def parse_json_results(data: bytes) -> QueryResult:
    """Parse a SPARQL 1.1 JSON results document (from an external endpoint or a query worker) into a
    ``QueryResult``. Literals keep the lexical form sent (:func:`~mskg.queries.engine.literal_as_sent`): a
    12-byte ``"1E+999999999"^^xsd:decimal`` is shown as such, never expanded into a billion digits."""
    doc = json.loads(data)
    if "boolean" in doc:
        return QueryResult("ask", boolean=bool(doc["boolean"]))
    variables = list(doc["head"].get("vars", []))
    rows = []
    for binding in doc["results"]["bindings"]:
        row = []
        for v in variables:
            value = binding.get(v)
            if value is None:
                row.append(None)
            elif value["type"] == "uri":
                row.append(URIRef(value["value"]))
            elif value["type"] == "bnode":
                row.append(BNode(value["value"]))
            else:
                lang = value.get("xml:lang")
                datatype = value.get("datatype")
                row.append(literal_as_sent(value["value"], lang=lang, datatype=datatype if datatype and not lang else None))
        rows.append(tuple(row))
    return QueryResult("select", variables, rows)


def printable(text: str, limit: int | None = None) -> str:
    """``text`` safe to show on a terminal: control and format characters (ANSI escapes, bidirectional
    overrides, a bell) written as ``\\xNN`` / ``\\uNNNN``, and cut at ``limit`` characters. For what comes from
    elsewhere (an external endpoint's values, headers) before it is printed."""
    out = "".join(ch if ch.isprintable() or ch == " " else
                  (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000
                   else f"\\U{ord(ch):08x}") for ch in text)
    return out if limit is None or len(out) <= limit else out[: limit - 1] + "…"


_NOT_PLAIN = re.compile(r"\r\n|[^\t\n\x20-\x7e]")


def for_terminal(document: str) -> str:
    """A written result (CSV, TSV, JSON, XML, Turtle …) safe to show on a terminal: as :func:`printable`, control
    and format characters written out (``\x1b``, ``\u202e``), except the line feeds, tabs and CR LF pairs that
    make its structure. For ``mskg query`` writing to a terminal; piped, its output is the exact data."""
    return _NOT_PLAIN.sub(lambda m: m.group(0) if m.group(0) == "\r\n" else printable(m.group(0)), document)


def _short(term: Node | None, graph_prefixes: dict[str, str], width: int) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, ns in graph_prefixes.items():
            if text.startswith(ns) and text != ns:
                text = f"{prefix}:{text[len(ns):]}"
                break
    else:
        text = str(term)
    text = printable(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def to_table(result: QueryResult, width: int = 60) -> str:
    """A plain-text table for people: IRIs shortened with the mskg prefixes, long values cut at ``width``."""
    if result.kind == "ask":
        return "yes" if result.boolean else "no"
    if result.kind == "graph":
        return serialize(result, "turtle").decode("utf-8")
    prefixes = {p: str(ns) for p, ns in sorted(NAMESPACES.items(), key=lambda kv: -len(str(kv[1])))}
    cells = [[_short(t, prefixes, width) for t in row] for row in result.rows]
    names = [printable(v) for v in result.variables]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(names)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(names, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines)
