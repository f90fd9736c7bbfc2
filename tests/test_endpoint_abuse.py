"""Bounded under abuse (issue 13, item 3): connection caps, header and idle timeouts, the header size limit,
the result byte limit, never-reading clients, fair queuing per client address, and request checks off the
event loop. Exact statuses, headers and bodies; no timing is asserted (figures: benchmarks/endpoint.py --abuse).

Clients on other addresses are other loopback addresses (127.0.0.2, …): Linux routes all of 127/8 to lo.
"""
from __future__ import annotations

import asyncio
import socket
import urllib.parse

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.queries.endpoint.workers import CHUNK, AnswerBudget, EndpointPool, FairQueue, Held, WorkerSettings

from .test_server import Server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECURITY = (b"x-content-type-options: nosniff\r\ncontent-security-policy: default-src 'none'; frame-ancestors "
            b"'none'; base-uri 'none'; form-action 'none'\r\n")


def refusal(status: bytes, body: bytes, retry_after: int | None = None) -> bytes:
    """A response the connection layer writes itself, as README documents it."""
    retry = b"retry-after: %d\r\n" % retry_after if retry_after is not None else b""
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\nconnection: close\r\n" + retry + SECURITY + b"\r\n" + body)


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=(source, 0))
    return s


def read_all(s: socket.socket) -> bytes:
    """Everything until the server closes the connection."""
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def ask(port: int, source: str = "127.0.0.1") -> bytes:
    s = connect(port, source)
    s.sendall(b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    reply = read_all(s)
    s.close()
    return reply


@pytest.fixture(scope="module")
def patient():
    """Long timeouts (nothing here waits for them), small connection caps, a 100-byte result limit."""
    s = Server("--workers", "1", "--header-timeout", "600", "--idle-timeout", "600", "--max-connections", "12",
               "--max-client-connections", "6", "--max-result-bytes", "100")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def quick():
    """One-second header and idle timeouts, a 2,048-byte head limit, room for a result of many MB."""
    s = Server("--workers", "1", "--timeout", "30", "--header-timeout", "1", "--idle-timeout", "1",
               "--max-header-bytes", "2048", "--max-results", "60000", "--max-result-bytes", "100000000")
    yield s
    s.stop()


# ---------------------------------------------------------------------- connection caps

def test_connections_past_the_per_address_and_the_total_cap_get_503_and_others_are_served(patient):
    held = [connect(patient.port) for _ in range(6)]
    seventh = connect(patient.port)
    assert read_all(seventh) == refusal(b"503 Service Unavailable", b"Too many open connections from your address "
                                        b"(the limit is 6); close some or try again shortly\n",
                                        retry_after=600)  # a silent connection is closed at the header timeout
    seventh.close()
    assert ask(patient.port, "127.0.0.2").startswith(b"HTTP/1.1 200 OK\r\n")  # another address is served
    held += [connect(patient.port, "127.0.0.2") for _ in range(6)]
    thirteenth = connect(patient.port, "127.0.0.3")
    assert read_all(thirteenth) == refusal(b"503 Service Unavailable", b"The endpoint has too many open "
                                           b"connections (its limit is 12); try again shortly\n", retry_after=600)
    thirteenth.close()
    # The limits are inclusive: the sixth connection from one address, and the twelfth in all, are served.
    for sixth_and_twelfth in (held[5], held[11]):
        sixth_and_twelfth.sendall(b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert read_all(sixth_and_twelfth).startswith(b"HTTP/1.1 200 OK\r\n")
    for s in held:
        s.close()
    assert patient.request(params={"query": "ASK {}"})[0] == 200


# ---------------------------------------------------------------------- the result byte limit

def literal_of(length: int) -> str:
    return 'SELECT ?x WHERE { BIND("' + "a" * length + '" AS ?x) }'


def test_a_result_of_exactly_the_byte_limit_is_sent_and_one_byte_more_is_413(patient):
    # {"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"…"}}]}} is 84 bytes + the value
    status, headers, body = patient.request(params={"query": literal_of(16)})
    assert (status, len(body), headers["content-length"]) == (200, 100, "100")
    assert body == b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"' + b"a" * 16 + b'"}}]}}'
    status, headers, body = patient.request(params={"query": literal_of(17)})
    assert status == 413
    assert body == b"The result is larger than this endpoint's limit of 100 bytes; add a LIMIT or narrow the query\n"
    assert headers["content-type"] == "text/plain; charset=utf-8"


# ---------------------------------------------------------------------- header size

def head_of(size: int) -> bytes:
    start = b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Pad: "
    pad = size - len(start) - 4
    return start + b"p" * pad + b"\r\n\r\n"


def test_a_head_of_exactly_the_limit_is_read_and_one_byte_more_is_431(quick):
    s = connect(quick.port)
    s.sendall(head_of(2048))
    assert len(head_of(2048)) == 2048
    reply = read_all(s)
    s.close()
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b'{"head":{},"boolean":true}')
    s = connect(quick.port)
    s.sendall(head_of(2049))
    assert read_all(s) == refusal(b"431 Request Header Fields Too Large",
                                  b"The request line and headers are larger than 2048 bytes\n")
    s.close()


def test_a_head_without_its_end_is_431_as_soon_as_it_passes_the_limit(quick):
    s = connect(quick.port)
    s.sendall(b"GET /sparql HTTP/1.1\r\nX-Endless: " + b"e" * 3000)  # no blank line ever comes
    assert read_all(s) == refusal(b"431 Request Header Fields Too Large",
                                  b"The request line and headers are larger than 2048 bytes\n")
    s.close()


# ---------------------------------------------------------------------- timeouts

def test_a_head_that_does_not_arrive_in_time_gets_408_and_a_silent_socket_is_closed(quick):
    s = connect(quick.port)
    s.sendall(b"GET /sparql?query=ASK HTTP/1.1\r\nHost: 127.0")  # and nothing more (Slowloris)
    assert read_all(s) == refusal(b"408 Request Timeout", b"The request line and headers did not arrive within 1 s\n")
    s.close()
    s = connect(quick.port)
    assert read_all(s) == b""  # nothing sent, nothing said: closed
    s.close()


def test_a_post_body_that_does_not_arrive_in_time_gets_408_and_the_connection_is_closed(quick):
    s = connect(quick.port)
    s.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
              b"Content-Length: 100\r\n\r\nASK {")
    reply = read_all(s)
    s.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"\r\nconnection: close" in head.lower()
    assert body == b"The request body did not arrive within 1 s\n"


@pytest.mark.parametrize("head,status", [
    (b"POST /sparql HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/sparql-query\r\n"
     b"Content-Length: 1000000\r\n\r\n", b"421 Misdirected Request"),
    (b"PUT /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n", b"405 Method Not Allowed"),
    (b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n",
     b"200 OK"),
    (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
     b"Content-Length: 10000000\r\n\r\n" + b"#" * 1_000_001, b"413 Request Entity Too Large"),
])
def test_an_answer_sent_before_the_body_was_read_closes_the_connection(patient, head, status):
    """The client announced a body it never sends: the answer says Connection: close and the server closes
    at once (the idle timeout is 600 s here), so such sockets cannot pile up to the connection cap."""
    s = connect(patient.port)
    s.sendall(head)
    reply = read_all(s)  # returns only once the server has closed the connection
    s.close()
    assert reply.startswith(b"HTTP/1.1 " + status + b"\r\n")
    assert b"\r\nconnection: close\r\n" in reply.partition(b"\r\n\r\n")[0].lower() + b"\r\n"


@pytest.mark.parametrize("request_bytes", [b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"])
def test_a_request_that_is_not_http_gets_400_with_the_security_headers(patient, request_bytes):
    s = connect(patient.port)
    s.sendall(request_bytes)
    assert read_all(s) == refusal(b"400 Bad Request", b"Invalid HTTP request received.\n")
    s.close()


def test_a_kept_alive_connection_that_stays_silent_is_closed(quick):
    s = connect(quick.port)
    s.sendall(b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    reply = read_all(s)  # the answer, then the close after the idle timeout
    s.close()
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b'{"head":{},"boolean":true}')


def test_a_client_that_never_reads_is_dropped_and_the_next_query_is_served_meanwhile(quick):
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 60000"  # tens of MB of JSON
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(60)
    s.connect(("127.0.0.1", quick.port))
    s.sendall(f"GET /sparql?query={urllib.parse.quote(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:  # the head only (a few bytes of the body may come with it)
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    # The only worker let go of the never-reader's answer once it was written: this query gets it at once.
    assert quick.request(params={"query": "ASK {}"})[0] == 200
    body = read_all(s)  # what was on its way when the connection was cut (a reset may discard it)
    s.close()
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    assert length > 20_000_000
    assert len(body) < length  # the connection was cut before the answer was all sent


# ---------------------------------------------------------------------- slow readers hold memory, not workers

PAD = "x" * 1500
#: ~10.7 MB of JSON on the mskg graph (6,000 rows of a 1,500-byte literal): far more than the loopback
#: socket buffers hold (at most 4 MB on Linux), so a client that reads slowly is still being sent it.
BIG = f'SELECT ?s ?p ?o ?pad WHERE {{ VALUES ?k {{ 1 2 3 }} ?s ?p ?o . BIND("{PAD}" AS ?pad) }} LIMIT 6000'


def ask_for(port: int, source: str, query: str) -> tuple[socket.socket, bytes, int]:
    """A client on ``source`` with a 4 KB receive buffer that asks for ``query`` and reads only the head
    (and what came with it): the socket, the head, and the declared Content-Length (-1 without one)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(60)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET /sparql?query={urllib.parse.quote(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), -1)
    return s, head, length


def read_exactly(s: socket.socket, length: int) -> int:
    got = 0
    while got < length:
        chunk = s.recv(min(65536, length - got))
        if not chunk:
            break
        got += len(chunk)
    return got


@pytest.fixture(scope="module")
def two_workers():
    """The red team's setting: 2 workers (an address may hold one); long idle timeouts, so a slow reader is
    never dropped here; the default answer budget (4 x 16,000,000 bytes)."""
    s = Server("--workers", "2", "--timeout", "30", "--header-timeout", "600", "--idle-timeout", "600")
    yield s
    s.stop()


def test_two_slow_readers_on_two_addresses_do_not_keep_a_third_from_being_answered(two_workers):
    """Before: each slow reader's worker stayed blocked until its client had taken the whole answer, and two
    addresses may hold both workers, so an ASK from a third waited for --timeout and got 503 "busy"."""
    readers = [ask_for(two_workers.port, source, BIG) for source in ("127.0.0.2", "127.0.0.3")]
    for _, head, length in readers:
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and length > 10_000_000
    # Both answers are being sent (neither client has taken more than its head); a third address is answered.
    reply = ask(two_workers.port, "127.0.0.1")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b'{"head":{},"boolean":true}')
    for s, head, length in readers:  # and the slow readers still get their whole answers
        already = len(head.partition(b"\r\n\r\n")[2])
        assert already + read_exactly(s, length - already) == length
        s.close()


@pytest.fixture(scope="module")
def budgeted():
    """One worker and an answer budget of 25,000,000 bytes: two ~10.7 MB answers fit, a third does not; an
    address may hold 6,250,000 bytes (a quarter), or one answer when it holds nothing."""
    s = Server("--workers", "1", "--timeout", "30", "--header-timeout", "600", "--idle-timeout", "600",
               "--max-buffered-bytes", "25000000")
    yield s
    s.stop()


def test_answers_that_nobody_reads_are_bounded_by_the_budget_and_small_answers_still_come(budgeted):
    held = []
    for source in ("127.0.0.2", "127.0.0.3"):  # two never-readers: both answers are held (2 x ~10.7 MB)
        s, head, length = ask_for(budgeted.port, source, BIG)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and 2 * length <= 25_000_000 < 3 * length
        held.append(s)
    # A third answer would pass the budget: 503 at once (its worker threw it away and is free again) …
    status, headers, body = budgeted.request(params={"query": BIG})
    assert (status, body) == (503, b"The endpoint is busy: answers still being read by their clients fill its "
                                   b"buffer of 25000000 bytes; try again shortly\n")
    assert {k.lower(): v for k, v in headers.items()}["retry-after"] == "30"  # busy now, so worth a retry: after the query time limit
    # … and so would a second one to an address already holding one, past its quarter of the budget.
    s, head, _ = ask_for(budgeted.port, "127.0.0.2", BIG)
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    s.settimeout(60)
    assert b"answers to your address still being read hold " in read_exactly_all(s)
    s.close()
    # A small answer is outside the budget, and the only worker is free: answered.
    assert budgeted.request(params={"query": "ASK {}"})[0] == 200
    for s in held:  # the never-readers go: their answers' bytes come back, and a large answer fits again
        s.close()
    assert until_true(lambda: budgeted.request(params={"query": BIG})[0] == 200)


def read_exactly_all(s: socket.socket) -> bytes:
    """What a 503 says (a small answer: its head and body arrive; the connection stays open)."""
    data = b""
    while b"try again shortly\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def until_true(condition, attempts: int = 60) -> bool:
    """``condition()`` holds now or within a few tries (a closed socket is noticed by the server shortly)."""
    import time

    for _ in range(attempts):
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_the_budget_holds_what_it_reserved_and_no_more():
    K = CHUNK  # an answer of at most K bytes is outside the budget
    budget = AnswerBudget(10 * K, per_client=4 * K)
    assert budget.reserve("A", K) is None and budget.held == 0      # small: always, and not counted
    assert budget.reserve("A", 6 * K) is None                        # holding nothing: one answer that fits
    refused = budget.reserve("A", K + 1)                             # A holds 6 K of its 4 K: no more
    assert refused.status == 503 and f"at most {4 * K} per address".encode() in refused.body
    assert refused.retry_after == 10                                 # the default query time limit
    assert budget.reserve("B", 2 * K) is None
    assert budget.reserve("B", K + 1) is None                        # B within its 4 K
    assert budget.reserve("B", K + 1) is not None                    # … and past it
    refused = budget.reserve("C", 2 * K)                             # 9 K + 1 + 2 K > 10 K
    assert refused.status == 503 and f"fill its buffer of {10 * K} bytes".encode() in refused.body
    assert budget.reserve("C", K) is None                            # small: still answered
    assert (budget.held, budget.by_client) == (9 * K + 1, {"A": 6 * K, "B": 3 * K + 1})
    budget.release("A", 6 * K)
    budget.release("B", 2 * K)
    budget.release("B", K + 1)
    budget.release("C", K)  # outside the budget: nothing to give back
    assert (budget.held, budget.by_client) == (0, {})


def test_a_held_answer_gives_its_bytes_back_once_whether_closed_or_dropped():
    budget = AnswerBudget(10 * CHUNK)
    for client in ("A", "B"):
        assert budget.reserve(client, 3 * CHUNK) is None
    closed = Held(budget, "A", "text/csv", bytearray(b"a" * 3 * CHUNK))
    assert b"".join(closed.pieces()) == b"a" * 3 * CHUNK
    closed.close()
    closed.close()
    Held(budget, "B", "text/csv", bytearray(3 * CHUNK))  # never sent and never closed: collected
    import gc

    gc.collect()
    assert (budget.held, budget.by_client) == (0, {})


#: ~113 KB of JSON from any store: 100 rows of a 1,000-byte literal.
MEDIUM = ('SELECT ?k ?pad WHERE { VALUES ?k { ' + " ".join(map(str, range(100))) + ' } BIND("'
          + "y" * 1000 + '" AS ?pad) }')


def test_the_pool_frees_each_worker_before_its_answer_is_read_and_holds_at_most_its_budget():
    """The endpoint's own pool and workers, no HTTP: results nobody has read yet are held under the budget,
    every worker is idle meanwhile, and what does not fit is refused, not held."""
    async def scenario(pool):
        results = []
        for client in ("A", "B", "C", "D", "A"):
            results.append(await pool.query(MEDIUM, None, client))
            assert pool.budget.held <= pool.budget.limit
            assert len(pool.queue.idle) == 2 and not pool.queue.running  # no worker waits for a reader
        small = await pool.query("ASK {}", None, "E")
        seen = ([r.status for r in results], small.status, pool.budget.held, dict(pool.budget.by_client))
        length = results[0].length
        for r in results + [small]:
            if isinstance(r, Held):
                r.close()
        return seen, length, pool.budget.held

    pool = EndpointPool(b"<urn:s> <urn:p> <urn:o> .\n", size=2, timeout=30, settings=WorkerSettings(max_rows=1000),
                        max_buffered=250_000)
    try:
        (statuses, small, held, by_client), length, after = asyncio.run(scenario(pool))
    finally:
        pool.close()
    assert 2 * length <= 250_000 < 3 * length and length > CHUNK
    # A and B are held; C passes the budget; D too; A's second passes A's quarter (62,500 bytes)
    assert statuses == [200, 200, 503, 503, 503] and small == 200
    assert (held, by_client, after) == (2 * length, {"A": length, "B": length}, 0)


# ---------------------------------------------------------------------- fair queuing

def test_one_address_queries_wait_behind_each_other_not_in_front_of_another_address():
    async def scenario():
        fair = FairQueue(per_client=1)
        fair.idle.append("w")
        served = []
        first = await fair.acquire("A", 60)

        async def wait(client, tag):
            worker = await fair.acquire(client, 60)
            served.append(tag)
            fair.release(client, worker)

        tasks = [asyncio.ensure_future(wait("A", f"A{i}")) for i in (2, 3, 4)]
        await asyncio.sleep(0)
        tasks.append(asyncio.ensure_future(wait("B", "B1")))
        await asyncio.sleep(0)
        fair.release("A", first)
        await asyncio.gather(*tasks)
        return first, served

    first, served = asyncio.run(scenario())
    assert first == "w"
    assert served == ["A2", "B1", "A3", "A4"]  # B came last but waits for one of A's queries, not three


def test_an_address_never_holds_more_than_its_share_even_with_a_worker_idle():
    async def scenario():
        fair = FairQueue(per_client=1)
        fair.idle += ["w1", "w2"]
        a1 = await fair.acquire("A", 60)
        a2 = asyncio.ensure_future(fair.acquire("A", 60))
        await asyncio.sleep(0)
        waiting_a = a2.done()
        b1 = await fair.acquire("B", 60)
        fair.release("A", a1)
        a2_worker = await a2
        return a1, waiting_a, b1, a2_worker, dict(fair.running), list(fair.idle)

    assert asyncio.run(scenario()) == ("w2", False, "w1", "w2", {"A": 1, "B": 1}, [])


def test_a_query_that_waits_past_its_time_gets_none_and_leaves_no_trace():
    async def scenario():
        fair = FairQueue(per_client=1)
        fair.idle.append("w")
        held = await fair.acquire("A", 60)
        late = await fair.acquire("B", 0.01)
        state = (dict(fair.waiting), dict(fair.running))
        fair.release("A", held)
        return late, state, list(fair.idle), dict(fair.running)

    assert asyncio.run(scenario()) == (None, ({}, {"A": 1}), ["w"], {})


def test_a_cancelled_wait_gives_back_a_worker_handed_to_it():
    async def scenario():
        fair = FairQueue(per_client=1)
        fair.idle.append("w")
        held = await fair.acquire("A", 60)
        waiter = asyncio.ensure_future(fair.acquire("B", 60))
        await asyncio.sleep(0)
        fair.release("A", held)  # hands "w" to B's future …
        waiter.cancel()          # … whose task is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return list(fair.idle), dict(fair.running), dict(fair.waiting)

    assert asyncio.run(scenario()) == (["w"], {}, {})


# ---------------------------------------------------------------------- request checks off the event loop

def call(app, method: str, body: bytes, content_type: bytes) -> int:
    """One request through the ASGI application (no server, no lifespan: no worker is needed); its status."""
    statuses = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {"type": "http", "method": method, "path": "/sparql", "raw_path": b"/sparql", "query_string": b"",
             "root_path": "", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", content_type)], "http_version": "1.1",
             "asgi": {"version": "3.0"}}
    asyncio.run(app(scope, receive, send))
    return statuses[0]


def test_the_request_is_decoded_and_parsed_off_the_event_loop(monkeypatch):
    from mskg.queries.endpoint import server as module

    seen = []
    original = module._query_of

    def recording(*args):
        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append("thread")
        return original(*args)

    monkeypatch.setattr(module, "_query_of", recording)
    app = module.create_app(b"", 0)
    assert call(app, "POST", b"x", b"text/plain") == 415
    assert call(app, "GET", b"", b"") == 200  # the service description
    assert seen == ["thread", "thread"]


# ---------------------------------------------------------------------- the options

@pytest.mark.parametrize("option,value", [
    ("--header-timeout", "nan"), ("--header-timeout", "0"), ("--header-timeout", "inf"),
    ("--idle-timeout", "-1"), ("--idle-timeout", "nan"), ("--send-timeout", "0"), ("--send-timeout", "inf"),
    ("--max-header-bytes", "1023"),
    ("--max-header-bytes", "1048577"), ("--max-connections", "0"), ("--max-client-connections", "0"),
    ("--max-result-bytes", "0"), ("--max-result-bytes", "2147483648"), ("--max-buffered-bytes", "0"),
    ("--max-buffered-bytes", "15999999"),  # less than --max-result-bytes (16,000,000): such a result could not be sent
])
def test_the_abuse_limits_refuse_a_bad_value_as_a_usage_error(option, value):
    result = CliRunner().invoke(cli, ["serve", option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output


# ---------------------------------------------------------------------- the connection layer alone (no socket)

class FakeTransport:
    """What the protocol writes to; a test sets how much waits in the write buffer (``buffered``), and
    ``draining`` makes each look at it find some bytes taken by the client."""

    def __init__(self):
        self.written = b""
        self.buffered = 0
        self.draining = False
        self.looks = 0
        self.closing = self.aborted = False

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def get_write_buffer_size(self):
        self.looks += 1
        if self.draining:
            self.buffered = max(0, self.buffered - 100)
        return self.buffered

    def write(self, data):
        self.written += data

    def is_closing(self):
        return self.closing

    def close(self):
        self.closing = True

    def abort(self):
        self.closing = self.aborted = True

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


async def answer_without_reading(scope, receive, send):
    """An application that answers at once and never reads the request body."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def connection(loop, idle_timeout=600.0, send_timeout=600.0, header_timeout=600.0):
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from mskg.queries.endpoint.protocol import LimitedH11Protocol

    config = Config(answer_without_reading, timeout_keep_alive=idle_timeout, log_level="critical")
    protocol = LimitedH11Protocol(config, ServerState(), {}, loop, max_connections=10, max_client_connections=10,
                                  header_timeout=header_timeout, idle_timeout=idle_timeout, send_timeout=send_timeout,
                                  max_header_bytes=16384, security_headers=[])
    transport = FakeTransport()
    protocol.connection_made(transport)
    return protocol, transport


async def until(condition, limit=60.0):
    """Let the loop run until ``condition()`` holds (the limit only stops a broken test from hanging)."""
    deadline = asyncio.get_running_loop().time() + limit
    while not condition() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    return condition()


def test_bytes_of_an_unread_body_after_the_answer_do_not_take_the_idle_deadline_away():
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop())
        protocol.data_received(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n")
        assert await until(lambda: protocol.cycle.response_complete)
        armed = protocol.timeout_keep_alive_task is not None
        protocol.data_received(b"some of the body")  # before: this disarmed the only timer left
        still_armed = protocol.timeout_keep_alive_task is not None
        transport.close()
        return armed, still_armed

    assert asyncio.run(scenario()) == (True, True)


def test_a_slow_reader_that_keeps_taking_bytes_is_not_cut_off_but_one_that_stops_is():
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), idle_timeout=0.05)
        transport.buffered, transport.draining = 10**9, True
        protocol.pause_writing()
        survived = await until(lambda: transport.aborted or transport.looks >= 6) and not transport.aborted
        transport.draining = False  # the client takes nothing any more
        dropped = await until(lambda: transport.aborted)
        return survived, dropped

    assert asyncio.run(scenario()) == (True, True)


def test_a_reader_that_keeps_taking_bytes_is_cut_off_at_the_send_timeout():
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), idle_timeout=0.05, send_timeout=0.3)
        transport.buffered, transport.draining = 10**9, True
        protocol.pause_writing()
        at_once = transport.aborted  # 0.3 s are left of the send timeout: they are waited, not rounded away
        dropped = await until(lambda: transport.aborted)
        # One look at the buffer per idle timeout (0.05 s) until the send timeout, then the drop: not a busy
        # loop of re-checks once the time is up.
        return at_once, dropped, transport.buffered > 0, transport.looks <= 40

    assert asyncio.run(scenario()) == (False, True, True, True)


def request_head(path: bytes = b"/x") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n"


@pytest.mark.parametrize("chunks", [[request_head()], [request_head()[:10], request_head()[10:]]],
                         ids=["head in one piece", "head in two pieces"])
def test_a_head_that_arrived_in_time_leaves_no_header_deadline_behind(chunks):
    """The header timer of a request whose head has come is gone: the kept-alive connection after the answer
    is bounded by the idle timeout (600 s here), not closed when the first head's deadline passes."""
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), header_timeout=0.1)
        for chunk in chunks:
            protocol.data_received(chunk)
        assert await until(lambda: protocol.cycle.response_complete)
        await asyncio.sleep(0.4)  # past the header timeout, four times over
        closed = transport.closing
        transport.close()
        return transport.written.startswith(b"HTTP/1.1 200 OK\r\n"), closed

    assert asyncio.run(scenario()) == (True, False)


def test_a_response_that_drained_is_not_dropped_later():
    """Writing paused and then resumed (the client took the buffer): no stall timer is left to drop the
    connection while the next piece is being made."""
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), idle_timeout=0.05)
        transport.buffered = 10**6
        protocol.pause_writing()
        transport.buffered = 0
        protocol.resume_writing()
        await asyncio.sleep(0.4)  # eight idle timeouts
        return transport.aborted, transport.closing

    assert asyncio.run(scenario()) == (False, False)


def test_each_response_on_a_connection_gets_the_whole_send_timeout():
    """The send timeout counts from the first time the *current* response filled the write buffer: a second
    request on the connection, past the first one's send timeout, is not cut off at once."""
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), send_timeout=0.3)
        protocol.data_received(request_head(b"/first"))
        assert await until(lambda: protocol.cycle.response_complete)
        transport.buffered = 10**6
        protocol.pause_writing()  # the first response filled the buffer …
        transport.buffered = 0
        protocol.resume_writing()  # … and drained
        await asyncio.sleep(0.4)  # the first response's send timeout is over
        protocol.data_received(request_head(b"/second"))
        transport.buffered, transport.draining = 10**9, True
        protocol.pause_writing()
        dropped_at_once = transport.aborted
        transport.close()
        protocol.connection_lost(None)  # the second answer's task waits to write: let it end
        return dropped_at_once

    assert asyncio.run(scenario()) is False


def test_bytes_of_an_unread_body_after_the_answer_do_not_postpone_the_idle_deadline():
    """A client that keeps sending a body nobody reads, a few bytes at a time, is closed at the idle timeout
    counted from the answer: its bytes neither take the deadline away nor start it again."""
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), idle_timeout=0.2)
        protocol.data_received(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n")
        assert await until(lambda: protocol.cycle.response_complete)
        for _ in range(6):  # 0.6 s of a byte every 0.1 s: three idle timeouts
            if transport.closing:
                break
            protocol.data_received(b"b")
            await asyncio.sleep(0.1)
        return transport.closing

    assert asyncio.run(scenario()) is True


def test_the_next_request_on_a_kept_alive_connection_has_its_own_header_deadline():
    """The first byte of the next request starts a new header timer: a head that then stops coming gets 408
    and the connection is closed (the idle timer, 600 s here, was taken away by that byte)."""
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), header_timeout=0.2)
        protocol.data_received(request_head(b"/first"))
        assert await until(lambda: protocol.cycle.response_complete)
        answered = len(transport.written)
        protocol.data_received(b"GET /second HTTP/1.1\r\nHo")  # and nothing more
        closed = await until(lambda: transport.closing, limit=5.0)
        return closed, transport.written[answered:].split(b"\r\n")[0]

    assert asyncio.run(scenario()) == (True, b"HTTP/1.1 408 Request Timeout")


def test_an_answer_and_the_worker_settings_cannot_be_changed_in_place():
    """An :class:`Answer` is handed from the worker's thread to the response, and one ``WorkerSettings`` is
    shared by every worker the pool (re)starts: neither may be altered on the way."""
    import dataclasses

    from mskg.queries.endpoint.workers import Answer, WorkerSettings

    answer, settings = Answer(200, "text/plain", b"ok"), WorkerSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.status = 500
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.guarded = False


def test_a_response_being_closed_is_still_dropped_when_the_client_takes_nothing():
    """The transport is closing (the answer said Connection: close) with bytes still waiting for a client that
    takes none: the stall timer aborts it, rather than wait for the kernel to give up."""
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), idle_timeout=0.05)
        transport.buffered = 10**6
        protocol.pause_writing()
        transport.closing = True
        return await until(lambda: transport.aborted, limit=5.0)

    assert asyncio.run(scenario()) is True


@pytest.mark.parametrize("accept,chosen", [
    ("text/csv;q=1, application/sparql-results+xml", "csv"),
    ("text/csv, application/sparql-results+xml;q=1", "csv"),
    ("application/sparql-results+xml, text/csv;q=1.0", "xml"),
])
def test_a_media_range_without_q_counts_as_q_1_and_ties_go_to_the_first(accept, chosen):
    from mskg.queries.endpoint.workers import negotiate

    assert negotiate(accept, "select") == chosen


def test_a_head_being_read_on_a_kept_alive_connection_is_bounded_by_the_header_timeout_not_the_idle_one():
    async def scenario():
        protocol, transport = connection(asyncio.get_running_loop(), idle_timeout=0.1, header_timeout=600)
        protocol.data_received(request_head(b"/first"))
        assert await until(lambda: protocol.cycle.response_complete)
        protocol.data_received(b"GET /second HTTP/1.1\r\nHo")  # within the idle timeout; the rest comes later
        await asyncio.sleep(0.4)  # four idle timeouts
        closed = transport.closing
        protocol.data_received(b"st: a\r\n\r\n")
        answered = await until(lambda: transport.written.count(b"HTTP/1.1 200 OK") == 2, limit=5.0)
        transport.close()
        return closed, answered

    assert asyncio.run(scenario()) == (False, True)
