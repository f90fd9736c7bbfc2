"""Query workers: each query runs in a separate process that can be killed when it overruns its time limit.

A pure-Python engine cannot be interrupted from inside its own thread, and Oxigraph has no cancellation
API in Python, so the endpoint sends each query to a worker process holding its own copy of the store.
The parent waits at most ``timeout`` seconds; on overrun it kills the worker, starts a fresh one, and the
client gets an error status. Results are capped at ``max_rows`` while they are produced and at
``max_bytes`` once written, and the whole answer (status included) is decided before anything is sent.
A memory cap (RLIMIT_AS) bounds a worker, and a worker is cut off from the network before it loads the
store (:mod:`mskg.queries.endpoint.sandbox`).

A worker is free again as soon as it has produced an answer: the parent takes the whole written answer
(already capped at ``max_bytes``) out of it at once, so a client that reads slowly, or never, holds
memory in the server, not a worker. That memory is bounded by one budget for all connections
(:class:`AnswerBudget`): an answer that does not fit gets 503 and is never taken out of its worker. The
endpoint's pool (:class:`EndpointPool`) hands workers out fairly across client addresses
(:class:`FairQueue`); :class:`WorkerPool` is the blocking one-query form used by ``mskg query``.
"""
from __future__ import annotations

import asyncio
import math
import multiprocessing as mp
from multiprocessing import BufferTooShort
import queue
import signal
import sys
import time
import weakref
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .sandbox import MECHANISMS

#: The piece of a written answer that goes from a worker to the server, and from the server to a client, at a
#: time. An answer of at most this size is outside the :class:`AnswerBudget` (see there).
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What the HTTP layer sends: status, media type and body."""

    status: int
    content_type: str
    body: bytes
    #: Seconds after which a client may try again (an HTTP ``Retry-After``): set only on a 503 that says the
    #: endpoint is busy, never on one a retry would meet again (a query past the time or memory limit).
    retry_after: int | None = None


def _error(status: int, message: str, retry_after: int | None = None) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"), retry_after)


def _busy(message: str, seconds: float) -> Answer:
    """A 503 for an endpoint that is busy now: worth a retry after ``seconds`` (rounded up, at least 1)."""
    return _error(503, message, max(1, math.ceil(seconds)))


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
    """Pick a format for a result ``kind`` (select/ask/graph) from an Accept header; None when none fits. A
    media range whose q is not a number from 0 to 1 (``q=nan``, ``q=inf``, ``q=2``) is ignored, as ``q=0``."""
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
                if not math.isfinite(q) or not 0.0 <= q <= 1.0:  # nan, inf, out of range: not a qvalue
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

@dataclass(frozen=True)
class WorkerSettings:
    """What a worker process is started with (sent to it once)."""

    max_rows: int = 10_000
    memory_mb: int = 2048
    max_bytes: int = sys.maxsize
    #: The sandbox mechanisms to enter (:data:`mskg.queries.endpoint.sandbox.MECHANISMS`).
    isolation: tuple[str, ...] = MECHANISMS
    #: False only in the tests that prove the sandbox alone stops a connection: the query guard is skipped.
    guarded: bool = True


def _limit_memory(megabytes: int) -> None:
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit still holds
        pass


def _worker_main(conn, ntriples: bytes, settings: WorkerSettings) -> None:
    """Enter the sandbox, load the store, then answer (query, accept) messages until the pipe closes.

    Each answer is a head — ``("ok", content type, length)`` or ``("error", status, message)``. After an
    ``ok`` head the server says ``"send"`` (the body follows in pieces of at most :data:`CHUNK` bytes) or
    ``"drop"`` (it has no room for the answer: it is thrown away)."""
    from .sandbox import isolate

    isolation = isolate(settings.isolation)  # first, while this process has one thread
    _limit_memory(settings.memory_mb)
    from ..engine import OxigraphEngine

    engine = OxigraphEngine(ntriples=ntriples)
    conn.send(("ready", isolation))
    while True:
        try:
            text, accept = conn.recv()
        except EOFError:
            return
        reply = _answer(engine, text, accept, settings)
        if reply[0] == "ok" and len(reply[2]) > settings.max_bytes:
            reply = ("error", 413, f"The result is larger than this endpoint's limit of {settings.max_bytes} "
                                   "bytes; add a LIMIT or narrow the query")
        if reply[0] != "ok":
            conn.send(reply)
            continue
        _, content_type, body = reply
        conn.send(("ok", content_type, len(body)))
        try:
            word = conn.recv()
        except EOFError:
            return
        if word != "send":
            continue
        view = memoryview(body)
        for start in range(0, len(body), CHUNK):  # the server reads them all at once, into its memory
            conn.send_bytes(view[start:start + CHUNK])


def _answer(engine, text: str, accept: str | None, settings: WorkerSettings) -> tuple:
    """One query's whole answer: ``("ok", content type, body)`` or ``("error", status, message)``."""
    from ..engine import QueryError, QueryResult, from_ox
    from ..guard import ForbiddenQuery, QueryRefused, check_query, oxigraph_probe
    from ..results import GRAPH_FORMATS, SELECT_FORMATS, FormatError, serialize

    ox = engine.ox
    max_rows = settings.max_rows
    try:
        # The guard, in this process, right before the engine: nothing reaches Oxigraph's evaluation
        # unchecked. Its probe may crash Oxigraph's parser: this process is the one that would go.
        if settings.guarded:
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
                return ("ok", SELECT_FORMATS["json"], _json_from_ox(ox, raw, variables, max_rows))
            rows = []
            for solution in raw:
                if len(rows) >= max_rows:
                    raise OverflowError
                rows.append(tuple(from_ox(solution[v]) for v in variables))
            result = QueryResult("select", variables, rows)
        fmt = negotiate(accept, result.kind)
        if fmt is None:
            offered = ", ".join(GRAPH_FORMATS.values() if result.kind == "graph" else SELECT_FORMATS.values())
            return ("error", 406, f"Not Acceptable: this result can be sent as {offered}")
        content_type = (GRAPH_FORMATS if result.kind == "graph" else SELECT_FORMATS)[fmt]
        return ("ok", content_type, serialize(result, fmt))
    except ForbiddenQuery as exc:
        return ("error", 403, str(exc))
    except (QueryError, QueryRefused) as exc:
        return ("error", 400, f"Bad query: {exc}")
    except OverflowError:
        return ("error", 413, f"The result is larger than this endpoint's limit of {max_rows} rows; "
                              "add a LIMIT or narrow the query")
    except FormatError as exc:
        return ("error", 406, f"Not Acceptable: {exc}")
    except MemoryError:
        return ("error", 503, "The query needed more memory than this endpoint allows")
    except Exception as exc:  # never let one query take the worker down silently
        # The engine's message is not echoed: it could carry what a remote server or a file said.
        return ("error", 500, f"Query failed: {type(exc).__name__}")


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


# ---------------------------------------------------------------------- the server's side of a worker

def _timed_out(timeout: float) -> Answer:
    return _error(503, f"The query ran longer than this endpoint's limit of {timeout:g} s and was stopped")


class _Worker:
    """One worker process and the server's end of its pipe. ``broken`` once it was killed or died: it is
    never given another query."""

    def __init__(self, ctx, ntriples: bytes, settings: WorkerSettings):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, ntriples, settings), daemon=True)
        self.process.start()
        child.close()
        self.broken = False
        try:
            ready = self.conn.recv() if self.conn.poll(60) else None
        except (EOFError, OSError):
            ready = None
        if not (isinstance(ready, tuple) and len(ready) == 2 and ready[0] == "ready"):
            self.kill()
            raise RuntimeError("a query worker failed to start")
        #: The sandbox mechanisms this worker is seen to be in.
        self.isolation: tuple[str, ...] = tuple(ready[1])

    def start(self, text: str, accept: str | None, wait: float, limit: float) -> Answer | tuple[str, int]:
        """Send a query and wait at most ``wait`` s for its head: an error :class:`Answer`, or the content
        type and length of a result whose pieces :meth:`read` then returns. Blocks; never raises."""
        try:
            self.conn.send((text, accept))
            if not self.conn.poll(wait):
                self.kill()
                return _timed_out(limit)
            head = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            if self.process.exitcode == -signal.SIGSEGV:
                # a stack overflow in Oxigraph's parser: the query's doing, not the server's state
                return _error(400, "Bad query: the query engine's parser crashed on it (it is probably nested "
                                   "too deeply); its worker was restarted")
            return _error(503, "The query stopped its worker (probably the memory limit); it was restarted")
        if head[0] == "ok":
            return head[1], head[2]
        return _error(head[1], head[2])

    def take(self, length: int, wait: float) -> bytearray | None:
        """The whole body of the answer whose head :meth:`start` returned, or None (the worker is then
        killed) when a piece does not come within ``wait`` s. Blocks; never raises."""
        body = bytearray(length)
        view = memoryview(body)
        received = 0
        try:
            self.conn.send("send")
            while received < length:
                if not self.conn.poll(wait):
                    break
                received += self.conn.recv_bytes_into(view[received:])
        except (EOFError, OSError, BufferTooShort):
            pass
        view.release()
        if received == length:
            return body
        self.kill()
        return None

    def drop(self) -> None:
        """Tell the worker to throw away the answer whose head :meth:`start` returned. Never raises."""
        try:
            self.conn.send("drop")
        except (EOFError, OSError):
            self.kill()

    def kill(self) -> None:
        self.broken = True
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """A blocking pool (``mskg query``'s killable runs): each query gets a worker, or waits for one, within
    the time limit, and its whole answer is returned at once."""

    def __init__(self, ntriples: bytes, size: int = 2, timeout: float = 10.0, max_rows: int = 10_000,
                 memory_mb: int = 2048, *, settings: WorkerSettings | None = None):
        self.ctx = mp.get_context("spawn")
        self.ntriples = ntriples
        self.timeout = timeout
        self.settings = settings or WorkerSettings(max_rows=max_rows, memory_mb=memory_mb)
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.closed = False
        for _ in range(size):
            self.idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        return _Worker(self.ctx, self.ntriples, self.settings)

    def run(self, text: str, accept: str | None) -> Answer:
        """Answer one query; never raises, never waits much longer than the time limit."""
        started = time.monotonic()
        try:
            worker = self.idle.get(timeout=self.timeout)
        except queue.Empty:
            return _busy(f"The endpoint is busy: no query worker became free within {self.timeout:g} s", self.timeout)
        remaining = max(0.1, self.timeout - (time.monotonic() - started))
        head = worker.start(text, accept, remaining, self.timeout)
        answer = head if isinstance(head, Answer) else self._collect(worker, *head)
        if worker.broken:
            self._replace()
        else:
            self.idle.put(worker)
        return answer

    def _collect(self, worker: _Worker, content_type: str, length: int) -> Answer:
        body = worker.take(length, self.timeout)
        if body is None:
            return _error(503, "The query's worker stopped while sending its answer; it was restarted")
        return Answer(200, content_type, bytes(body))

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


# ---------------------------------------------------------------------- the endpoint's pool

class FairQueue:
    """Hands idle workers to waiting queries: round-robin over client addresses, first come first served
    within one address, and no address holding more than ``per_client`` workers at once — so one client's
    slow queries wait behind each other, not in front of everyone else. Runs on the event loop only."""

    def __init__(self, per_client: int):
        self.per_client = per_client
        self.idle: list = []
        #: Waiting queries by address; the dict's order is the rotation (a served address goes last).
        self.waiting: dict[str, deque[asyncio.Future]] = {}
        self.running: dict[str, int] = {}

    async def acquire(self, client: str, timeout: float):
        """A worker for ``client`` within ``timeout`` s, or None."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(client, deque()).append(future)
        self._dispatch()
        try:
            await asyncio.wait({future}, timeout=timeout)
        except BaseException:  # cancelled: give back a worker it may have been handed meanwhile
            self._withdraw(client, future)
            raise
        if future.done():
            return future.result()
        self._withdraw(client, future)
        return None

    def _withdraw(self, client: str, future: asyncio.Future) -> None:
        if future.done():
            self.release(client, future.result())
            return
        future.cancel()
        waiting = self.waiting.get(client)
        if waiting is not None:
            waiting.remove(future)
            if not waiting:
                del self.waiting[client]

    def release(self, client: str, worker) -> None:
        """``client`` is done with a worker (or its replacement); None when the worker is gone for good."""
        self.running[client] -= 1
        if not self.running[client]:
            del self.running[client]
        if worker is not None:
            self.idle.append(worker)
        self._dispatch()

    def _dispatch(self) -> None:
        while self.idle:
            client = next((c for c in self.waiting if self.running.get(c, 0) < self.per_client), None)
            if client is None:
                return
            waiting = self.waiting.pop(client)
            future = waiting.popleft()
            if waiting:
                self.waiting[client] = waiting  # to the end of the rotation
            self.running[client] = self.running.get(client, 0) + 1
            future.set_result(self.idle.pop())


class AnswerBudget:
    """The bytes of answers the server holds while their clients read them, over all connections.

    An answer is taken out of its worker only once it is reserved here, and given back when its sending
    ends (sent, client gone, connection dropped), so those bytes never exceed ``limit``. An address may
    hold at most ``per_client`` bytes (a quarter of the limit unless given), except that one holding
    nothing may always take one answer that fits: a few slow readers cannot take the whole budget from
    one address, and it takes several addresses to fill it. An answer of at most :data:`CHUNK` bytes is
    outside the budget and always taken — like the connection's write buffer, it is bounded by the
    connection cap (one answer per connection at a time) — so a small query such as ``ASK {}`` is answered
    however full the budget is. Runs on the event loop only."""

    def __init__(self, limit: int, per_client: int | None = None, retry_after: float = 10.0):
        self.limit = limit
        self.per_client = per_client if per_client is not None else max(1, limit // 4)
        #: The ``Retry-After`` of its 503s: the pool passes its query time limit, a time in which most answers
        #: now held are read (no bound is known: a reader is cut only at the send timeout).
        self.retry_after = retry_after
        #: Bytes reserved now, in all and by address.
        self.held = 0
        self.by_client: dict[str, int] = {}

    def reserve(self, client: str, length: int) -> Answer | None:
        """Reserve ``length`` bytes for ``client``: None when done, else the 503 to answer instead."""
        if length <= CHUNK:
            return None
        mine = self.by_client.get(client, 0)
        if mine and mine + length > self.per_client:
            return _busy(f"The endpoint is busy: answers to your address still being read hold {mine} "
                         f"bytes of its buffer (at most {self.per_client} per address); read them or try "
                         "again shortly", self.retry_after)
        if self.held + length > self.limit:
            return _busy("The endpoint is busy: answers still being read by their clients fill its "
                         f"buffer of {self.limit} bytes; try again shortly", self.retry_after)
        self.held += length
        self.by_client[client] = mine + length
        return None

    def release(self, client: str, length: int) -> None:
        """Give back what :meth:`reserve` reserved (nothing for an answer outside the budget)."""
        if length <= CHUNK:
            return
        self.held -= length
        self.by_client[client] -= length
        if not self.by_client[client]:
            del self.by_client[client]


class Held:
    """A 200 result taken whole out of its worker (which is already free again), held in the server's
    memory under the pool's :class:`AnswerBudget` until :meth:`close` — or, should the response never be
    sent, until it is garbage-collected."""

    status = 200

    def __init__(self, budget: AnswerBudget, client: str, content_type: str, body: bytearray):
        self.content_type, self.length = content_type, len(body)
        self.body: bytearray | None = body
        self._release = weakref.finalize(self, budget.release, client, len(body))

    def pieces(self) -> Iterator[bytes]:
        """The answer in pieces of at most :data:`CHUNK` bytes (nothing once closed)."""
        for start in range(0, self.length, CHUNK):
            if self.body is None:
                return
            yield bytes(self.body[start:start + CHUNK])

    def close(self) -> None:
        """The sending is over: let go of the body and give its bytes back to the budget (once)."""
        self.body = None
        self._release()


class EndpointPool:
    """``mskg serve``'s workers: queries wait in a :class:`FairQueue`; a result is taken whole out of its
    worker, which is given back at once, and :class:`Held` under an :class:`AnswerBudget` of
    ``max_buffered`` bytes while its client reads it.

    Blocking waits on a worker's pipe run in this pool's own threads (two per worker), so they never take
    the event loop's or the web framework's threads."""

    def __init__(self, ntriples: bytes, size: int = 2, timeout: float = 10.0, settings: WorkerSettings | None = None,
                 max_buffered: int = 64_000_000):
        self.ctx = mp.get_context("spawn")
        self.ntriples = ntriples
        self.timeout = timeout
        self.settings = settings or WorkerSettings()
        self.queue = FairQueue(per_client=max(1, size // 2))
        self.budget = AnswerBudget(max_buffered, retry_after=timeout)
        self.executor = ThreadPoolExecutor(max_workers=2 * size + 1, thread_name_prefix="mskg-worker")
        self.workers = [self._spawn() for _ in range(size)]
        self.queue.idle.extend(self.workers)
        self.closed = False
        self._spawning: set[asyncio.Future] = set()

    def _spawn(self) -> _Worker:
        return _Worker(self.ctx, self.ntriples, self.settings)

    @property
    def isolation(self) -> tuple[str, ...]:
        """The sandbox mechanisms the workers are in (all are started the same way)."""
        return self.workers[0].isolation if self.workers else ()

    async def query(self, text: str, accept: str | None, client: str) -> Answer | Held:
        """Answer one query for ``client`` (an address): an error, or a :class:`Held` result the caller
        must :meth:`Held.close` once it is sent. The worker is free again before this returns. Never
        raises but for cancellation."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        worker = await self.queue.acquire(client, self.timeout)
        if worker is None:
            return _busy(f"The endpoint is busy: no query worker became free within {self.timeout:g} s", self.timeout)
        remaining = max(0.1, self.timeout - (loop.time() - started))
        try:
            head = await loop.run_in_executor(self.executor, worker.start, text, accept, remaining, self.timeout)
        except BaseException:
            worker.kill()
            self._release(client, worker)
            raise
        if isinstance(head, Answer):
            self._release(client, worker)
            return head
        content_type, length = head
        refused = self.budget.reserve(client, length)
        body = None
        try:
            if refused is None:
                body = await loop.run_in_executor(self.executor, worker.take, length, self.timeout)
            else:
                await loop.run_in_executor(self.executor, worker.drop)
        except BaseException:
            worker.kill()
            raise
        finally:
            self._release(client, worker)
            if refused is None and body is None:
                self.budget.release(client, length)
        if refused is not None:
            return refused
        if body is None:
            return _error(503, "The query's worker stopped while sending its answer; it was restarted")
        return Held(self.budget, client, content_type, body)

    def _release(self, client: str, worker: _Worker) -> None:
        """Give a worker back; a killed one is replaced, and until its replacement is ready the client
        whose query stopped it still holds its place (the restart is that client's wait, not everyone's)."""
        if not worker.broken:
            self.queue.release(client, worker)
            return
        if worker in self.workers:
            self.workers.remove(worker)
        if self.closed:
            self.queue.release(client, None)
            return
        task = asyncio.ensure_future(self._replace(client))
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    async def _replace(self, client: str) -> None:
        loop = asyncio.get_running_loop()
        worker = None
        for _ in range(3):  # a worker that fails to start three times running is not tried again
            try:
                worker = await loop.run_in_executor(self.executor, self._spawn)
                break
            except RuntimeError:
                continue
        if worker is not None and self.closed:
            worker.kill()
            worker = None
        if worker is not None:
            self.workers.append(worker)
        self.queue.release(client, worker)

    def close(self) -> None:
        self.closed = True
        for worker in list(self.workers):
            worker.kill()
        self.executor.shutdown(wait=False, cancel_futures=True)
