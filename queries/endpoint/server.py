"""``mskg serve``: a read-only SPARQL 1.1 Protocol endpoint at ``/sparql`` (Starlette on uvicorn).

Protocol: GET ``?query=``, POST ``application/x-www-form-urlencoded`` (``query=``) or
``application/sparql-query``; results negotiated by Accept (SPARQL JSON/XML, CSV, TSV; Turtle,
N-Triples, JSON-LD for graphs); a service description on GET without a query.

Safety, decided before anything is evaluated: SPARQL Update (the ``update`` parameter or an
``application/sparql-update`` body) → 403 here; the ``default-graph-uri`` / ``named-graph-uri`` parameters
→ 400 here; then, in the worker process right before Oxigraph, the query guard
(:func:`mskg.queries.guard.check_query`) decides on the *parsed* query: an update, LOAD, SERVICE or
FROM / FROM NAMED anywhere → 403, a custom function call → 400, so the server never makes an outbound
connection or reads a local file on a query's behalf. The guard's parse (pure Python, tens of ms) runs in
the worker, off the event loop and under the query's time limit. Each query runs in a worker process with
a time limit, a row limit, a byte limit and a memory limit, cut off from the network (see
:mod:`mskg.queries.endpoint.workers` and :mod:`~mskg.queries.endpoint.sandbox`); an overrun gets an error
status, never a 200 with a truncated body. Workers are handed out fairly across client addresses, and a
worker is free again as soon as its answer is written: the answer is taken whole into the server's memory,
under one byte budget for all connections (``max_buffered_bytes``; an answer that does not fit gets 503),
and sent from there as fast as the client takes it. Connections are bounded by
:mod:`mskg.queries.endpoint.protocol` (a cap, header and idle timeouts, a header size limit), and the
request's own checks (decoding, form parsing) run in a thread, off the event loop. CORS is off unless origins are allowed explicitly, and
credentials are never allowed. A request whose ``Host`` is not in the allow-list gets 421 (DNS
rebinding), and every response, errors included, carries ``X-Content-Type-Options: nosniff`` and a
Content-Security-Policy.
"""
from __future__ import annotations

import asyncio
import ipaddress
import re
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..triage.records import DISCLAIMER
from .sandbox import describe
from .workers import Answer, EndpointPool, Held, WorkerSettings

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
#: Pages may load nothing from anywhere but this server (hospital networks are often closed).
CSP = ("default-src 'self'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; "
       "frame-ancestors 'none'")
#: Everything else (results, errors, the service description) is data: nothing in it may run or load.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass
class ServerConfig:
    """Limits and options of one endpoint."""

    timeout: float = 10.0
    max_rows: int = 10_000
    workers: int = 2
    memory_mb: int = 2048
    max_body: int = 1_000_000
    #: Bytes of one written result (the worker refuses a larger one with 413 before anything is sent).
    max_result_bytes: int = 16_000_000
    #: Bytes of answers held in the server's memory while their clients read them, over all connections (an
    #: answer that does not fit gets 503; one of at most 64 KB always fits). None: four times max_result_bytes.
    max_buffered_bytes: int | None = None
    #: Seconds for a request line and headers to arrive (and again for a POST body).
    header_timeout: float = 10.0
    #: Seconds a connection may stay silent between requests, or take nothing of a response being sent.
    idle_timeout: float = 10.0
    #: Seconds the sending of one response may last in all once the client reads slower than it is written.
    send_timeout: float = 300.0
    #: Bytes of request line and headers (431 above).
    max_header_bytes: int = 16_384
    #: Open connections (503 and closed above), in all and from one client address.
    max_connections: int = 256
    max_client_connections: int = 32
    cors_origins: list[str] = field(default_factory=list)
    #: Host names (without port) the server answers for; "*" for any. :func:`serve` adds the bound address.
    allowed_hosts: list[str] = field(default_factory=lambda: list(LOCAL_HOSTS))


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(message.rstrip() + "\n", status_code=status)


def _answer(answer: Answer | Held) -> Response | HeldResponse:
    if isinstance(answer, Held):
        return HeldResponse(answer)
    headers = {"Retry-After": str(answer.retry_after)} if answer.retry_after is not None else None
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type, headers=headers)


class HeldResponse:
    """A 200 result (already out of its worker) sent piece by piece, each piece only once the client has
    taken enough of the last (the server's send waits while the connection's write buffer is full, and the
    connection layer drops a client that stalls); the length is known, so it is declared. However the
    sending ends, the result's bytes go back to the budget."""

    def __init__(self, result: Held):
        self.result = result

    async def __call__(self, scope, receive, send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", self.result.content_type.encode("latin-1")),
                (b"content-length", str(self.result.length).encode("ascii"))]})
            for piece in self.result.pieces():
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.result.close()


SERVICE_DESCRIPTION = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix formats: <http://www.w3.org/ns/formats/> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix dct: <http://purl.org/dc/terms/> .

<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:resultFormat formats:SPARQL_Results_JSON , formats:SPARQL_Results_XML , formats:SPARQL_Results_CSV ,
        formats:SPARQL_Results_TSV , formats:Turtle , formats:N-Triples , formats:JSON-LD ;
    dct:description "mskg: a provenance-traced knowledge graph of sports-related back and elbow pain. Read-only: no SPARQL Update, LOAD, SERVICE or FROM. Time limit {timeout:g} s, at most {max_rows} result rows per query. {disclaimer}"@en ;
    sd:defaultDataset [
        a sd:Dataset ;
        sd:defaultGraph [ a sd:Graph ; void:triples {triples} ]
    ] .
"""


def create_app(ntriples: bytes, triples: int, config: ServerConfig | None = None,
               site: dict[str, tuple[str, bytes]] | None = None) -> HostAndHeaders:
    """The ASGI application over one graph (given as N-Triples, loaded by each worker), with the
    educators' pages (``site``, from :func:`mskg.queries.site.pages.build_site`) when given."""
    config = config or ServerConfig()
    state: dict[str, EndpointPool] = {}
    settings = WorkerSettings(max_rows=config.max_rows, memory_mb=config.memory_mb,
                              max_bytes=config.max_result_bytes)
    max_buffered = config.max_buffered_bytes or 4 * config.max_result_bytes

    @asynccontextmanager
    async def lifespan(app):
        state["pool"] = await run_in_threadpool(EndpointPool, ntriples, config.workers, config.timeout, settings,
                                                max_buffered)
        print(describe(state["pool"].isolation), file=sys.stderr, flush=True)
        try:
            yield
        finally:
            state["pool"].close()

    def description(request: Request) -> Response:
        endpoint = str(request.url.replace(query="", fragment=""))
        body = SERVICE_DESCRIPTION.format(endpoint=endpoint, timeout=config.timeout, max_rows=config.max_rows,
                                          triples=triples, disclaimer=DISCLAIMER.replace('"', "'"))
        return Response(body, media_type="text/turtle; charset=utf-8")

    async def sparql(request: Request) -> Response:
        try:
            return await _sparql(request)
        except Exception as exc:  # nothing a client sends may crash the server
            return _text(500, f"Internal error: {type(exc).__name__}")

    async def _sparql(request: Request) -> Response | HeldResponse:
        body = None
        if request.method == "POST":
            body = await _read_body(request, config.max_body, config.header_timeout)
            if isinstance(body, Response):
                return body
        # Decoding and parsing a body of up to max_body bytes is CPU work: not on the event loop.
        text = await run_in_threadpool(_query_of, request.method, request.url.query,
                                       request.headers.get("content-type", ""), body)
        if isinstance(text, Response):
            return text
        if text is None:
            return description(request)
        # The query guard runs in the worker, right before the engine (see mskg.queries.guard).
        client = request.client.host if request.client else ""
        return _answer(await state["pool"].query(text, request.headers.get("accept"), client))

    async def home(request: Request) -> Response:
        if site and "index.html" in site:
            media, body = site["index.html"]
            return Response(body, media_type=media, headers={"Content-Security-Policy": CSP})
        return _text(200, f"mskg SPARQL endpoint: {request.url_for('sparql')}\n{DISCLAIMER}")

    async def page(request: Request) -> Response:
        path = request.path_params["path"]
        if site and path in site:
            media, body = site[path]
            return Response(body, media_type=media, headers={"Content-Security-Policy": CSP})
        from ..results import printable

        # the path is the client's: control characters (ANSI escapes, a bell) are written out, not echoed
        return _text(404, f"Not found: /{printable(path, 200)}")

    middleware = []
    if config.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=config.cors_origins, allow_credentials=False,
                                     allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Accept"]))
    routes = [Route("/sparql", sparql, methods=["GET", "POST"], name="sparql"), Route("/", home, methods=["GET"]),
              Route("/{path:path}", page, methods=["GET"])]
    return HostAndHeaders(Starlette(routes=routes, middleware=middleware, lifespan=lifespan),
                          config.allowed_hosts)


_PORT = re.compile(r"[0-9]{1,5}")  # ASCII digits only: str.isdigit() is true for "²" and "¹" too


def _is_port(text: str) -> bool:
    return bool(_PORT.fullmatch(text)) and int(text) <= 65535


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def host_name(host: str | None, *, header: bool = False) -> str | None:
    """The name part of a Host header (no port, no IPv6 brackets, lower case), or None when malformed: a port
    is 1–5 ASCII digits up to 65535, and brackets hold an IPv6 address and nothing else (``[localhost]``,
    ``[127.0.0.1]`` are malformed). An allow-list entry may name an IPv6 address bare (``::1``); a Host
    header (``header=True``) may not: RFC 3986 writes an IPv6 host in brackets."""
    if not host:
        return None
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1:] if end > 0 else ""
        if end < 0 or (rest and not (rest.startswith(":") and _is_port(rest[1:]))) or not _is_ipv6(host[1:end]):
            return None
        return host[1:end]
    if host.count(":") > 1:  # a bare IPv6 address: only in the allow-list
        return host if _is_ipv6(host) and not header else None
    name, colon, port = host.rpartition(":")
    if colon and _is_port(port):
        host = name
    elif colon:
        return None
    if "[" in host or "]" in host:
        return None
    return host.rstrip(".") or None


class HostAndHeaders:
    """Outermost ASGI layer: refuse a Host not in the allow-list (421, the Host not echoed), and give every
    response — errors, /sparql, pages — ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy
    (pages keep their own, the rest gets :data:`DATA_CSP`). An answer that starts while the request's body
    has not been read in full gets ``Connection: close``: the server closes the connection after it rather
    than wait for a body the client may never send."""

    def __init__(self, app, allowed_hosts: list[str]):
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.allowed = {name for name in (host_name(h) for h in allowed_hosts if h != "*") if name}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        request_headers = Headers(scope=scope)
        # A body announced and not yet read in full when the answer starts (421, 405, 413, a GET with a body
        # …): the answer closes the connection, or a client that never sends the body would hold it open.
        body_pending = request_headers.get("content-length", "0").strip() not in ("", "0") or \
            "transfer-encoding" in request_headers

        async def receive_tracked():
            nonlocal body_pending
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                body_pending = False
            return message

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = DATA_CSP
                if body_pending:
                    headers["Connection"] = "close"
            await send(message)

        if not self.any_host and host_name(request_headers.get("host"), header=True) not in self.allowed:
            response = PlainTextResponse("Misdirected request: this server does not answer for that Host "
                                         "(see mskg serve --allowed-host)\n", status_code=421)
            return await response(scope, receive_tracked, send_with_headers)
        return await self.app(scope, receive_tracked, send_with_headers)


def _query_of(method: str, url_query: str, content_type: str, body: bytes | None) -> str | Response | None:
    """The one query a request carries, an error response, or None for a GET without a query (the
    service description). Pure: runs in a thread."""
    params = list(parse_qsl(url_query, keep_blank_values=True))
    query: list[str] = []
    if method == "POST":
        content_type = content_type.split(";")[0].strip().lower()
        if content_type == SPARQL_UPDATE:
            return _text(403, "This endpoint is read-only: SPARQL Update is not accepted")
        try:
            text = (body or b"").decode("utf-8")
        except UnicodeDecodeError:
            return _text(400, "The request body is not UTF-8")
        if content_type == FORM:
            params += parse_qsl(text, keep_blank_values=True)
        elif content_type == SPARQL_QUERY:
            query.append(text)
        else:
            return _text(415, f"Unsupported media type {content_type or '(none)'!r}: send {FORM} or {SPARQL_QUERY}")
    names = [name for name, _ in params]
    if "update" in names:
        return _text(403, "This endpoint is read-only: SPARQL Update is not accepted")
    if "default-graph-uri" in names or "named-graph-uri" in names:
        return _text(400, "default-graph-uri and named-graph-uri are not supported: queries run on the mskg graph")
    query += [value for name, value in params if name == "query"]
    if len(query) > 1:
        return _text(400, "More than one query given: send exactly one 'query'")
    if not query:
        if method in ("GET", "HEAD"):  # HEAD is GET without the body (uvicorn sends none)
            return None
        return _text(400, "No query given: send a 'query' parameter or an application/sparql-query body")
    if not query[0].strip():
        return _text(400, "The query is empty")
    return query[0]


async def _read_body(request: Request, limit: int, timeout: float) -> bytes | Response:
    """The request body, or 413 past ``limit`` bytes, or 408 when it has not all arrived within ``timeout`` s
    (the connection is then closed: the rest of the body is not read)."""
    chunks = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    return _text(413, f"The request body is larger than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        response = _text(408, f"The request body did not arrive within {timeout:g} s")
        response.headers["Connection"] = "close"
        return response
    return b"".join(chunks)


def serve(host: str = "127.0.0.1", port: int = 8000, config: ServerConfig | None = None) -> None:
    """Build the graph, start the workers and serve until interrupted."""
    import uvicorn

    from ...kg.build import to_ntriples
    from ...kg.load import load_graph

    from ..site.pages import build_site

    config = config or ServerConfig()
    if host not in config.allowed_hosts:
        config.allowed_hosts = [*config.allowed_hosts, host]
    graph = load_graph()
    app = create_app(to_ntriples(graph).encode("utf-8"), len(graph), config, build_site(graph))
    from .protocol import protocol_factory

    http = protocol_factory(max_connections=config.max_connections,
                            max_client_connections=config.max_client_connections, header_timeout=config.header_timeout,
                            idle_timeout=config.idle_timeout, send_timeout=config.send_timeout,
                            max_header_bytes=config.max_header_bytes,
                            security_headers=[("x-content-type-options", "nosniff"),
                                              ("content-security-policy", DATA_CSP)])
    # h11's own limit on a buffered head sits one byte above ours, so a large head gets 431, not h11's 400
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, http=http,
                timeout_keep_alive=config.idle_timeout, h11_max_incomplete_event_size=config.max_header_bytes + 1)
