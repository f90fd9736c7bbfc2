"""Running a query from the library, a file or the command line: parameters, safety checks, local or remote.

Parameters are RDF terms bound by the engine (Oxigraph ``substitutions``, rdflib ``initBindings``) or,
for an external endpoint, an inline ``VALUES`` block whose terms are serialised by rdflib — a value is
never pasted into the query text as text.
"""
from __future__ import annotations

import difflib
import http.client
import re
import socket
import threading
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

__all__ = ["ForbiddenQuery", "ParameterError", "QueryRefused", "check_param_used", "check_query", "load_remote",
           "parse_param", "resource_param", "run_local", "run_remote"]

USER_AGENT = "mskg (+https://w3id.org/mskg)"
#: Most bytes of an external endpoint's answer ``mskg query --endpoint`` reads (``--max-response-bytes``).
MAX_RESPONSE_BYTES = 64_000_000


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it is an http(s) URL with a host; ``QueryError`` otherwise. A ``file:``, ``ftp:`` or
    other URL would make urllib read a local file or another service, whose content could end up in an
    error message."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise QueryError(f"the endpoint must be an http:// or https:// URL with a host, not {endpoint!r}")
    return endpoint


class _Connections:
    """The HTTP(S) connections one request opens, so that they can be shut down when its time is up."""

    def __init__(self):
        self.opened: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()
        self.stopped = False

    def add(self, connection: http.client.HTTPConnection) -> None:
        with self.lock:
            self.opened.append(connection)

    def shut(self) -> None:
        """Unblock whatever reads or writes on them (``socket.shutdown`` also wakes a read in another thread)."""
        with self.lock:
            self.stopped = True
            opened = list(self.opened)
        for connection in opened:
            sock = connection.sock
            if sock is not None:
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except (OSError, ValueError):
                    pass


class _LineWatch:
    """The response's socket file, noting whether every line read ended with a line feed (a header block
    cut off by the connection closing ends with a line that does not)."""

    def __init__(self, fp):
        self._fp = fp
        self.cut = False

    def readline(self, *args):
        line = self._fp.readline(*args)
        if not line.endswith(b"\n"):
            self.cut = True
        return line

    def __getattr__(self, name):
        return getattr(self._fp, name)


class _WellFormedResponse(http.client.HTTPResponse):
    """An HTTP response whose status line and header block are complete and well-formed, or an error.

    ``http.client`` takes the connection closing in the middle of the headers as their end, and a line that
    is not a header as the start of the body, so ``HTTP/1.1 200 OK`` and then junk would pass for an answer
    (``mskg load`` said "loaded")."""

    def begin(self):
        watch = self.fp = _LineWatch(self.fp)
        super().begin()
        if self.fp is watch:
            self.fp = watch._fp
        if watch.cut:
            raise http.client.IncompleteRead(b"")
        if self.msg.defects or self.msg.get_payload():
            raise http.client.HTTPException("malformed header block")


def _handlers(connections: _Connections) -> list:
    class HTTPConnection(http.client.HTTPConnection):
        response_class = _WellFormedResponse

        def connect(self):
            connections.add(self)
            super().connect()

    class HTTPSConnection(http.client.HTTPSConnection):
        response_class = _WellFormedResponse

        def connect(self):
            connections.add(self)
            super().connect()

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(HTTPConnection, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(HTTPSConnection, req, context=self._context)

    return [HTTPHandler(), HTTPSHandler()]


def _open(request: urllib.request.Request, timeout: float, connections: _Connections | None = None):
    """urlopen with HTTP(S) handlers only and no redirect followed: a redirect (to ``file:``, to another host
    on the network mskg can reach, to anything) is an ``HTTPError`` with its 3xx status."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), *_handlers(connections or _Connections()),
                    urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener.open(request, timeout=timeout)


def _status(code: int) -> str:
    """``404 Not Found``: the reason is ours, not the one the server sent (its bytes are not echoed)."""
    try:
        return f"{code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _http_error(exc: urllib.error.HTTPError, what: str) -> QueryError:
    exc.close()  # its body is not echoed: it is the other server's to show
    if 300 <= exc.code < 400:
        return QueryError(f"{what} answered {_status(exc.code)}, a redirect: mskg does not follow redirects "
                          "(give the URL it redirects to, if you trust it)")
    return QueryError(f"{what} answered {_status(exc.code)}")


def _broken(exc: BaseException, what: str, timeout: float) -> QueryError:
    """A one-line error for a connection that failed or an answer that is not HTTP, naming no remote bytes
    (a bad status line's text, a header, the reason phrase are the other server's)."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return QueryTimeout(f"{what} did not answer within the limit of {timeout:g} s (raise it with --timeout)")
    if isinstance(exc, http.client.RemoteDisconnected):
        return QueryError(f"{what} closed the connection without answering")
    if isinstance(exc, http.client.IncompleteRead):
        return QueryError(f"{what} closed the connection before its answer was complete")
    if isinstance(exc, http.client.LineTooLong):
        return QueryError(f"{what}'s answer is not valid HTTP (a line is too long)")
    if isinstance(exc, http.client.HTTPException):  # BadStatusLine, "got more than 100 headers", …
        return QueryError(f"{what}'s answer is not valid HTTP")
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):  # not a refusal
        return QueryError(f"{what} closed the connection before its answer was complete")
    return None  # type: ignore[return-value]


def _fetch(request: urllib.request.Request, endpoint: str, timeout: float, max_bytes: int,
           what: str = "the endpoint", truncate: bool = False) -> tuple[str, bytes]:
    """The content type and body of the answer to ``request``, within ``timeout`` seconds in all (not per
    read: a server that sends a byte now and then cannot stretch it) and at most ``max_bytes`` bytes of body
    (past them: an error, or with ``truncate`` the rest is not read). The status line and headers must be
    complete and well-formed. Every failure is a one-line :class:`QueryError` (:class:`QueryTimeout` for the
    time limit) naming the server as ``what``."""
    connections = _Connections()
    outcome: dict = {}

    def fetch() -> None:
        try:
            outcome["answer"] = _read(request, endpoint, timeout, max_bytes, connections, what, truncate)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=fetch, name="mskg-endpoint", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():  # time is up: unblock the reader (it ends on its own) and say so
        connections.shut()
        raise QueryTimeout(f"{what} did not answer within the limit of {timeout:g} s (raise it with --timeout)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["answer"]


def _read(request: urllib.request.Request, endpoint: str, timeout: float, max_bytes: int,
          connections: _Connections, what: str = "the endpoint", truncate: bool = False) -> tuple[str, bytes]:
    from .results import printable

    too_large = QueryError(f"{what}'s answer is larger than {max_bytes} bytes; add a LIMIT to the query "
                           "(or raise --max-response-bytes)")
    try:
        with _open(request, timeout, connections) as response:
            content_type = response.headers.get("Content-Type", "")
            declared = (response.headers.get("Content-Length") or "").strip()
            length = int(declared) if declared.isdigit() and response.status not in (204, 304) else None
            if length is not None and length > max_bytes and not truncate:
                raise too_large
            chunks, size = [], 0
            while True:
                chunk = response.read(min(65_536, max_bytes + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    if truncate:
                        chunks.append(chunk[: len(chunk) - (size - max_bytes)])
                        length = None
                        break
                    raise too_large
                chunks.append(chunk)
            if length is not None and size < length:
                raise QueryError(f"{what} closed the connection before its answer was complete")
    except urllib.error.HTTPError as exc:
        raise _http_error(exc, what) from None
    except QueryError:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        if connections.stopped:  # shut down at the time limit: the caller has said so already
            raise QueryTimeout("stopped") from None
        error = _broken(exc, what, timeout)
        if error is not None:
            raise error from None
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise QueryError(f"cannot reach {printable(endpoint, 200)}: {printable(str(reason), 200)}") from None
    return content_type, b"".join(chunks)


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


def _names_in(graph: Graph) -> dict[str, URIRef]:
    """The resources of the graph a parameter may name, by the short form a user types: ``tennis-elbow``
    and ``id:tennis-elbow`` for the ``id:`` namespace, ``mskg:RedFlag`` for the ontology's terms."""
    names: dict[str, URIRef] = {}
    for term in graph.all_nodes():
        if isinstance(term, URIRef):
            for prefix in ("id", "mskg"):
                base = str(NAMESPACES[prefix])
                if term.startswith(base) and len(term) > len(base):
                    names[f"{prefix}:{term[len(base):]}"] = term
    return names


def resource_param(text: str, graph: Graph) -> tuple[str, URIRef]:
    """Read ``name=value`` for a library query, whose parameters are all resources of the mskg graph: the
    value must name one (``id:tennis-elbow``, ``tennis-elbow``, ``mskg:RedFlag``, ``<iri>``), else
    :class:`ParameterError` names the value and the closest names — a value that matched nothing used to
    be bound as a string and return no rows, silently."""
    name, term = parse_param(text, graph)
    if isinstance(term, URIRef) and ((term, None, None) in graph or (None, None, term) in graph):
        return name, term
    value = text.partition("=")[2].strip()
    names = _names_in(graph)
    typed = value.lower()
    short = {n: n.partition(":")[2].lower() for n in names}
    wanted = typed.partition(":")[2] if ":" in typed and typed.partition(":")[0] in NAMESPACES else typed
    close = difflib.get_close_matches(wanted, sorted(set(short.values())), n=3, cutoff=0.6)
    suggestions = [n for c in close for n in sorted(names) if short[n] == c][:3]
    hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
    raise ParameterError(f"--param {name}={value}: the mskg graph has no resource of that name{hint}")


def check_param_used(name: str, text: str) -> None:
    """A parameter of a query given as text must be one of its variables (strings, IRIs and comments do not
    count), else :class:`ParameterError`: binding a name the query never uses changes nothing, silently."""
    masked = _STRINGS_IRIS_COMMENTS.sub(" ", text)
    if not re.search(rf"[?$]{re.escape(name)}(?![A-Za-z0-9_\u00b7\u0300-\u036f\u203f\u2040])", masked):
        raise ParameterError(f"--param {name}: the query has no variable ?{name}")


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
    from .engine import engine_for, quiet_ill_typed

    # Oxigraph's parser is asked about a text rdflib cannot read only in a child process: it can crash.
    check_query(text, probe=None if engine == "rdflib" else oxigraph_probe_in_child)
    try:
        with quiet_ill_typed():  # an ill-typed literal is shown by its lexical form, not warned about
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
    from .engine import terms_as_sent

    result = Graph()
    with terms_as_sent():  # the worker's lexical forms, unexpanded
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
               timeout: float = 30.0, max_bytes: int = MAX_RESPONSE_BYTES) -> QueryResult:
    """Run on an external SPARQL 1.1 endpoint (e.g. Oxigraph's /query, Fuseki's /ds/sparql), after the
    query guard: mskg never asks another store to update, federate or fetch on a query's behalf. The text
    sent (prefixes and parameters added) is checked again. The whole request must end within ``timeout``
    seconds (:class:`QueryTimeout` otherwise) and its answer stay within ``max_bytes`` bytes; a redirect is
    not followed, and no error message repeats what the endpoint sent."""
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
    content_type, data = _fetch(request, endpoint, timeout, max_bytes)
    from .results import parse_json_results, printable

    try:  # what came back is not shown in the error: it is the endpoint's, not the user's
        if "json" in content_type:
            return parse_json_results(data)
        from .engine import terms_as_sent

        graph = Graph()
        with terms_as_sent():  # the endpoint's lexical forms, unexpanded
            graph.parse(data=data.decode("utf-8"), format="nt")
    except Exception as exc:
        shown = printable(content_type, 80) or "no content type"
        raise QueryError(f"the endpoint's answer ({shown}, {len(data)} bytes) is "
                         f"neither SPARQL JSON results nor N-Triples ({type(exc).__name__})") from None
    return QueryResult("graph", graph=graph)


def load_remote(graph: Graph, endpoint: str, named_graph: str | None = None, timeout: float = 120.0) -> int:
    """Replace the default (or a named) graph of a SPARQL 1.1 Graph Store Protocol endpoint with ``graph``,
    within ``timeout`` seconds in all (:class:`QueryTimeout` otherwise); the store must answer 2xx with a
    complete, well-formed status line and headers, or it is a one-line :class:`QueryError`."""
    from ..kg.build import to_ntriples

    check_endpoint(endpoint)
    target = endpoint + ("&" if "?" in endpoint else "?") + (
        "default" if named_graph is None else urllib.parse.urlencode({"graph": named_graph}))
    data = to_ntriples(graph).encode("utf-8")
    request = urllib.request.Request(target, data=data, method="PUT", headers={
        "Content-Type": "application/n-triples", "User-Agent": USER_AGENT})
    # As for a query: one deadline for the whole request (sending the graph, the store's whole answer), a
    # complete and well-formed status line and headers, one-line errors. The acknowledgement's first 64 KB
    # are read; what more it says is not needed.
    _fetch(request, endpoint, timeout, 65_536, what="the graph store", truncate=True)
    return len(graph)
