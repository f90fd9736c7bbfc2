"""Running a query from the library, a file or the command line: parameters, safety checks, local or remote.

Parameters are RDF terms bound by the engine (Oxigraph ``substitutions``, rdflib ``initBindings``) or,
for an external endpoint, an inline ``VALUES`` block whose terms are serialised by rdflib — a value is
never pasted into the query text as text.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from rdflib import XSD, Graph, Literal, URIRef
from rdflib.term import Node

from ..ontology.namespaces import ID, NAMESPACES
from .engine import QueryError, QueryResult
from .guard import ForbiddenQuery, QueryRefused, check_query, oxigraph_probe_in_child

__all__ = ["ForbiddenQuery", "ParameterError", "QueryRefused", "check_query", "load_remote", "parse_param",
           "run_local", "run_remote"]

USER_AGENT = "mskg (+https://w3id.org/mskg)"


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it is an http(s) URL with a host; ``QueryError`` otherwise. A ``file:``, ``ftp:`` or
    other URL would make urllib read a local file or another service, whose content could end up in an
    error message."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise QueryError(f"the endpoint must be an http:// or https:// URL with a host, not {endpoint!r}")
    return endpoint


def _open(request: urllib.request.Request, timeout: float):
    """urlopen with HTTP(S) handlers only: a redirect to ``file:`` or ``ftp:`` fails instead of being followed."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                    urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPRedirectHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener.open(request, timeout=timeout)


class ParameterError(ValueError):
    """A ``--param`` that cannot be read or does not belong to the query."""


def parse_param(text: str, graph: Graph | None = None) -> tuple[str, Node]:
    """Read ``name=value`` into a variable name and an RDF term.

    ``<iri>``, ``http(s)://…`` and ``prefix:local`` (mskg, id, skos, …) become IRIs; a bare id of a
    resource in the graph (``tennis-elbow``) becomes that ``id:`` IRI; integers, decimals and
    true/false become typed literals; anything else a plain string literal.
    """
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ParameterError(f"bad --param {text!r}: use name=value, e.g. condition=id:tennis-elbow")
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return name, URIRef(value[1:-1])
    if re.match(r"^https?://", value):
        return name, URIRef(value)
    prefix, colon, local = value.partition(":")
    if colon and prefix in NAMESPACES and " " not in value:
        return name, NAMESPACES[prefix][local]
    if re.fullmatch(r"-?\d+", value):
        return name, Literal(int(value))
    if re.fullmatch(r"-?\d+\.\d+", value):
        try:
            return name, Literal(Decimal(value), datatype=XSD.decimal)
        except InvalidOperation:
            pass
    if value in ("true", "false"):
        return name, Literal(value == "true")
    if graph is not None and re.fullmatch(r"[a-z0-9][a-z0-9/-]*", value) and (ID[value], None, None) in graph:
        return name, ID[value]
    return name, Literal(value)


# ---------------------------------------------------------------------- safety: what a query may do

#: Strings, IRIs and comments, masked when looking for the WHERE group to bind parameters in (the
#: text that is sent is checked again by the guard afterwards, so a mistake here cannot smuggle anything).
_STRINGS_IRIS_COMMENTS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*",
)


# ---------------------------------------------------------------------- running

def run_local(text: str, graph: Graph, bindings: Mapping[str, Node] | None = None,
              engine: str = "pyoxigraph") -> QueryResult:
    """Run on the in-process graph with the chosen engine, after the query guard
    (:func:`mskg.queries.guard.check_query`) has let it through."""
    from .engine import engine_for

    # Oxigraph's parser is asked about a text rdflib cannot read only in a child process: it can crash.
    check_query(text, probe=None if engine == "rdflib" else oxigraph_probe_in_child)
    try:
        return engine_for(graph, engine).query(text, bindings)
    except QueryError:
        raise
    except RuntimeError as exc:  # e.g. a substitution of a variable the query does not project
        raise QueryError(str(exc)) from exc


class QueryTimeout(QueryError):
    """A query ran longer than its time limit and its worker process was stopped."""


#: What the worker is asked for: results it can write and ``parse_json_results``/N-Triples read back.
_WORKER_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


def run_killable(text: str, graph: Graph, bindings: Mapping[str, Node] | None = None, timeout: float = 30.0,
                 memory_mb: int = 2048) -> QueryResult:
    """Run on the graph with Oxigraph in a worker process that is killed after ``timeout`` seconds
    (``mskg serve``'s workers, :mod:`mskg.queries.endpoint.workers`): a runaway query, or one that crashes
    the parser, stops the worker and not this process. Parameters are bound with ``VALUES``."""
    import sys

    from .endpoint.workers import WorkerPool

    # the worker runs the query guard (mskg.queries.guard) on the text it is given, before Oxigraph sees it
    query = inject_values(text, dict(bindings or {}))
    pool = WorkerPool(graph.serialize(format="nt", encoding="utf-8"), size=1, timeout=timeout,
                      max_rows=sys.maxsize, memory_mb=memory_mb)
    pool.closed = True  # one query: a stopped worker is not replaced
    try:
        answer = pool.run(query, _WORKER_ACCEPT)
    finally:
        pool.close()
    body = answer.body.decode("utf-8", "replace").strip()
    if answer.status == 503 and "ran longer" in body:
        raise QueryTimeout(f"the query ran longer than the limit of {timeout:g} s and was stopped "
                           "(raise it with --timeout)")
    if answer.status == 503:
        raise QueryError("the query engine stopped on this query (it crashed or ran out of memory)")
    if answer.status != 200:
        raise QueryError(body.removeprefix("Bad query: "))
    if answer.content_type.startswith("application/sparql-results+json"):
        from .results import parse_json_results

        return parse_json_results(answer.body)
    result = Graph()
    result.parse(data=answer.body.decode("utf-8"), format="nt")
    return QueryResult("graph", graph=result)


def inject_values(text: str, bindings: Mapping[str, Node]) -> str:
    """Bind parameters for an external endpoint: an inline VALUES block at the start of the WHERE group."""
    if not bindings:
        return text
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(term.n3() for term in bindings.values())
    block = f" VALUES ({names}) {{ ({terms}) }} "
    masked = _STRINGS_IRIS_COMMENTS.sub(lambda m: " " * len(m.group(0)), text)
    match = re.search(r"\bWHERE\s*\{", masked, re.IGNORECASE) or re.search(r"\{", masked)
    if match is None:
        raise QueryError("cannot bind parameters: the query has no WHERE group")
    return text[: match.end()] + block + text[match.end():]


def run_remote(text: str, endpoint: str, bindings: Mapping[str, Node] | None = None,
               timeout: float = 60.0) -> QueryResult:
    """Run on an external SPARQL 1.1 endpoint (e.g. Oxigraph's /query, Fuseki's /ds/sparql), after the
    query guard: mskg never asks another store to update, federate or fetch on a query's behalf. The text
    sent (prefixes and parameters added) is checked again."""
    check_endpoint(endpoint)
    check_query(text, probe=oxigraph_probe_in_child)
    declared = set(re.findall(r"(?im)^\s*PREFIX\s+([A-Za-z][\w-]*)?:", text))
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in NAMESPACES.items() if p not in declared)
    query = prologue + inject_values(text, dict(bindings or {}))
    check_query(query, probe=oxigraph_probe_in_child)
    body = urllib.parse.urlencode({"query": query}).encode("utf-8")
    request = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
        "User-Agent": USER_AGENT,
    })
    try:
        with _open(request, timeout) as response:
            content_type = response.headers.get("Content-Type", "")
            data = response.read()
    except urllib.error.HTTPError as exc:  # its body is not echoed: it is the other server's to show
        exc.close()
        raise QueryError(f"the endpoint answered {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise QueryError(f"cannot reach {endpoint}: {exc.reason}") from exc
    from .results import parse_json_results

    try:  # what came back is not shown in the error: it is the endpoint's, not the user's
        if "json" in content_type:
            return parse_json_results(data)
        graph = Graph()
        graph.parse(data=data.decode("utf-8"), format="nt")
    except Exception as exc:
        raise QueryError(f"the endpoint's answer ({content_type or 'no content type'}, {len(data)} bytes) is "
                         f"neither SPARQL JSON results nor N-Triples ({type(exc).__name__})") from None
    return QueryResult("graph", graph=graph)


def load_remote(graph: Graph, endpoint: str, named_graph: str | None = None, timeout: float = 120.0) -> int:
    """Replace the default (or a named) graph of a SPARQL 1.1 Graph Store Protocol endpoint with ``graph``."""
    from ..kg.build import to_ntriples

    check_endpoint(endpoint)
    target = endpoint + ("&" if "?" in endpoint else "?") + (
        "default" if named_graph is None else urllib.parse.urlencode({"graph": named_graph}))
    data = to_ntriples(graph).encode("utf-8")
    request = urllib.request.Request(target, data=data, method="PUT", headers={
        "Content-Type": "application/n-triples", "User-Agent": USER_AGENT})
    try:
        with _open(request, timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        raise QueryError(f"the graph store answered {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise QueryError(f"cannot reach {endpoint}: {exc.reason}") from exc
    return len(graph)
