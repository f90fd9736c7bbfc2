"""Query workers: each query runs in a separate process that can be killed when it overruns its time limit.

A pure-Python engine cannot be interrupted from inside its own thread, and Oxigraph has no cancellation
API in Python, so the endpoint sends each query to a worker process holding its own copy of the store.
The parent waits at most ``timeout`` seconds; on overrun it kills the worker, starts a fresh one, and the
client gets an error status. Results are capped at ``max_rows`` while they are produced, and the whole
answer (status included) is decided before anything is sent. A memory cap (RLIMIT_AS) bounds a worker.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """What the HTTP layer sends: status, media type and body."""

    status: int
    content_type: str
    body: bytes


def _error(status: int, message: str) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))


# ---------------------------------------------------------------------- content negotiation

SELECT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "nt", "text/plain": "nt",
    "application/ld+json": "json-ld", "application/json": "json-ld",
}


def negotiate(accept: str | None, kind: str) -> str | None:
    """Pick a format for a result ``kind`` (select/ask/graph) from an Accept header; None when none fits."""
    table = GRAPH_TYPES if kind == "graph" else SELECT_TYPES
    default = "turtle" if kind == "graph" else "json"
    if not accept or not accept.strip():
        return default
    offers = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        offers.append((-q, i, media))
    for neg_q, _, media in sorted(offers):
        if neg_q == 0:
            continue
        if media in table:
            if kind == "ask" and table[media] in ("csv", "tsv"):
                continue
            return table[media]
        if media in ("*/*", "application/*") or (media == "text/*" and kind == "graph"):
            return default
    return None


# ---------------------------------------------------------------------- the worker process

def _limit_memory(megabytes: int) -> None:
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit still holds
        pass


def _worker_main(conn, ntriples: bytes, max_rows: int, memory_mb: int) -> None:
    """Load the store, then answer (query, accept) messages until the pipe closes."""
    _limit_memory(memory_mb)
    from ..engine import OxigraphEngine, QueryError, QueryResult, from_ox
    from ..guard import ForbiddenQuery, QueryRefused, check_query, oxigraph_probe
    from ..results import FormatError, serialize
    from ..results import GRAPH_FORMATS, SELECT_FORMATS

    engine = OxigraphEngine(ntriples=ntriples)
    ox = engine.ox
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        text, accept = message
        try:
            # The guard, in this process, right before the engine: nothing reaches Oxigraph's evaluation
            # unchecked. Its probe may crash Oxigraph's parser: this process is the one that would go.
            check_query(text, probe=oxigraph_probe)
            raw = engine.raw(text)
            if isinstance(raw, ox.QueryBoolean):
                result = QueryResult("ask", boolean=bool(raw))
            elif isinstance(raw, ox.QueryTriples):
                from rdflib import Graph

                graph = Graph()
                for n, triple in enumerate(raw):
                    if n >= max_rows:
                        raise OverflowError
                    graph.add((from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)))
                result = QueryResult("graph", graph=graph)
            else:
                variables = [v.value for v in raw.variables]
                if negotiate(accept, "select") == "json":  # the common case: straight from Oxigraph terms
                    conn.send(("ok", SELECT_FORMATS["json"], _json_from_ox(ox, raw, variables, max_rows)))
                    continue
                rows = []
                for solution in raw:
                    if len(rows) >= max_rows:
                        raise OverflowError
                    rows.append(tuple(from_ox(solution[v]) for v in variables))
                result = QueryResult("select", variables, rows)
            fmt = negotiate(accept, result.kind)
            if fmt is None:
                offered = ", ".join(GRAPH_FORMATS.values() if result.kind == "graph" else SELECT_FORMATS.values())
                conn.send(("error", 406, f"Not Acceptable: this result can be sent as {offered}"))
                continue
            content_type = (GRAPH_FORMATS if result.kind == "graph" else SELECT_FORMATS)[fmt]
            conn.send(("ok", content_type, serialize(result, fmt)))
        except ForbiddenQuery as exc:
            conn.send(("error", 403, str(exc)))
        except (QueryError, QueryRefused) as exc:
            conn.send(("error", 400, f"Bad query: {exc}"))
        except OverflowError:
            conn.send(("error", 413, f"The result is larger than this endpoint's limit of {max_rows} rows; "
                                     "add a LIMIT or narrow the query"))
        except FormatError as exc:
            conn.send(("error", 406, f"Not Acceptable: {exc}"))
        except MemoryError:
            conn.send(("error", 503, "The query needed more memory than this endpoint allows"))
        except Exception as exc:  # never let one query take the worker down silently
            # The engine's message is not echoed: it could carry what a remote server or a file said.
            conn.send(("error", 500, f"Query failed: {type(exc).__name__}"))


def _json_from_ox(ox, solutions, variables: list[str], max_rows: int) -> bytes:
    """SPARQL JSON results written directly from pyoxigraph terms (no rdflib terms on the way)."""
    import orjson

    named, blank = ox.NamedNode, ox.BlankNode
    xsd_string = "http://www.w3.org/2001/XMLSchema#string"
    bindings = []
    for solution in solutions:
        if len(bindings) >= max_rows:
            raise OverflowError
        row = {}
        for v in variables:
            term = solution[v]
            if term is None:
                continue
            if isinstance(term, named):
                row[v] = {"type": "uri", "value": term.value}
            elif isinstance(term, blank):
                row[v] = {"type": "bnode", "value": term.value}
            else:
                cell = {"type": "literal", "value": term.value}
                if term.language:
                    cell["xml:lang"] = term.language
                elif term.datatype.value != xsd_string:
                    cell["datatype"] = term.datatype.value
                row[v] = cell
        bindings.append(row)
    return orjson.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}})


class _Worker:
    def __init__(self, ctx, ntriples: bytes, max_rows: int, memory_mb: int):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, ntriples, max_rows, memory_mb), daemon=True)
        self.process.start()
        child.close()
        if not self.conn.poll(60) or self.conn.recv() != ("ready",):
            self.kill()
            raise RuntimeError("a query worker failed to start")

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """A fixed number of query worker processes; each query gets one, or waits for one, within the time limit."""

    def __init__(self, ntriples: bytes, size: int = 2, timeout: float = 10.0, max_rows: int = 10_000,
                 memory_mb: int = 2048):
        self.ctx = mp.get_context("spawn")
        self.ntriples = ntriples
        self.timeout = timeout
        self.max_rows = max_rows
        self.memory_mb = memory_mb
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.lock = threading.Lock()
        self.closed = False
        for _ in range(size):
            self.idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        return _Worker(self.ctx, self.ntriples, self.max_rows, self.memory_mb)

    def run(self, text: str, accept: str | None) -> Answer:
        """Answer one query; never raises, never waits much longer than the time limit."""
        started = time.monotonic()
        try:
            worker = self.idle.get(timeout=self.timeout)
        except queue.Empty:
            return _error(503, f"The endpoint is busy: no query worker became free within {self.timeout:g} s")
        remaining = max(0.1, self.timeout - (time.monotonic() - started))
        try:
            worker.conn.send((text, accept))
            if worker.conn.poll(remaining):
                reply = worker.conn.recv()
                self.idle.put(worker)
                if reply[0] == "ok":
                    return Answer(200, reply[1], reply[2])
                return _error(reply[1], reply[2])
            worker.kill()
            self._replace()
            return _error(503, f"The query ran longer than this endpoint's limit of {self.timeout:g} s and was stopped")
        except (EOFError, OSError, BrokenPipeError):
            worker.kill()
            crashed = worker.process.exitcode == -signal.SIGSEGV
            self._replace()
            if crashed:  # a stack overflow in Oxigraph's parser: the query's doing, not the server's state
                return _error(400, "Bad query: the query engine's parser crashed on it (it is probably nested "
                                   "too deeply); its worker was restarted")
            return _error(503, "The query stopped its worker (probably the memory limit); it was restarted")

    def _replace(self) -> None:
        if not self.closed:
            self.idle.put(self._spawn())

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                self.idle.get_nowait().kill()
            except queue.Empty:
                return
