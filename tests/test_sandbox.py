"""The second layer (issue 13, item 1b): query workers that cannot connect, whatever the query says.

Each layer is shown to hold alone, against the guard's generated corpus (tests/test_query_guard.py) and a
TCP listener on loopback: the sandbox with the guard switched off (each mechanism — network namespace,
seccomp filter — on its own), the guard with the sandbox switched off, and as the control both off, when
the same texts do connect. All through the real worker processes (:class:`WorkerPool`).
"""
from __future__ import annotations

import multiprocessing as mp
import socket

import pytest
from hypothesis import given, settings

from mskg.queries.endpoint import sandbox
from mskg.queries.endpoint.sandbox import MECHANISMS, NAMESPACE, SECCOMP, describe, isolate
from mskg.queries.endpoint.workers import WorkerPool, WorkerSettings

from .test_query_guard import SLOW, corpus
from .test_server import Server

DATA = b"<urn:s> <urn:p> <urn:o> .\n"
EXAMPLES = 100


def _report(mechanisms, conn) -> None:
    conn.send(isolate(mechanisms))


def entered_in_a_child(mechanisms: tuple[str, ...]) -> tuple[str, ...]:
    """What :func:`isolate` manages in a fresh process of this system (it cannot be undone in this one)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_report, args=(mechanisms, child))
    process.start()
    child.close()
    entered = parent.recv() if parent.poll(60) else None
    process.join(10)
    return entered


def require(mechanism: str) -> None:
    if entered_in_a_child((mechanism,)) != (mechanism,):
        pytest.skip(f"this system does not allow the {mechanism} (see README, Security: the query guard alone "
                    "protects there)")


def run_corpus(pool: WorkerPool, port: int) -> tuple[int, dict[int, int]]:
    """Send the corpus (aimed at ``port``) through ``pool``; return how many ran and the statuses seen."""
    sent: list[str] = []
    statuses: dict[int, int] = {}

    @settings(SLOW, max_examples=EXAMPLES)
    @given(corpus)
    def check(case):
        sent.append(case.template)
        answer = pool.run(case.text(port), None)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1

    check()
    return len(sent), statuses


def pool_with(isolation: tuple[str, ...], guarded: bool) -> WorkerPool:
    return WorkerPool(DATA, size=1, timeout=10, settings=WorkerSettings(max_rows=100, isolation=isolation,
                                                                        guarded=guarded))


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_each_sandbox_mechanism_alone_stops_every_connection(listener, mechanism):
    require(mechanism)
    pool = pool_with((mechanism,), guarded=False)
    try:
        assert pool.idle.queue[0].isolation == (mechanism,)
        sent, statuses = run_corpus(pool, listener.port)
    finally:
        pool.close()
    assert listener.close() == 0
    assert sent >= EXAMPLES * 0.9
    # Unguarded, Oxigraph ran the texts it reads: its HTTP client failed (500) or, under SILENT, the SERVICE
    # gave nothing (200); the rest are Oxigraph's own syntax errors (400).
    assert set(statuses) == {200, 400, 500}, statuses


def test_the_guard_alone_stops_every_connection(listener):
    pool = pool_with((), guarded=True)
    try:
        assert pool.idle.queue[0].isolation == ()
        sent, statuses = run_corpus(pool, listener.port)
    finally:
        pool.close()
    assert listener.close() == 0
    assert set(statuses) <= {400, 403}, statuses
    assert statuses.get(403, 0) >= EXAMPLES // 3, statuses


def test_without_either_layer_the_same_corpus_connects(listener):
    """The control: the bypass is real and the corpus dangerous, so the two tests above prove something."""
    pool = pool_with((), guarded=False)
    try:
        run_corpus(pool, listener.port)
    finally:
        pool.close()
    assert listener.close() >= EXAMPLES // 6


def _sockets_after_seccomp(conn) -> None:
    entered = isolate((SECCOMP,))
    outcomes = {}
    for name, family, kind in [("inet", socket.AF_INET, socket.SOCK_STREAM), ("inet-udp", socket.AF_INET, socket.SOCK_DGRAM),
                               ("inet6", socket.AF_INET6, socket.SOCK_STREAM), ("packet", socket.AF_PACKET, socket.SOCK_RAW),
                               ("netlink", socket.AF_NETLINK, socket.SOCK_RAW), ("unix", socket.AF_UNIX, socket.SOCK_STREAM)]:
        try:
            socket.socket(family, kind).close()
            outcomes[name] = "created"
        except OSError as exc:
            outcomes[name] = exc.errno
    conn.send((entered, outcomes))


def test_the_seccomp_filter_refuses_every_socket_but_a_unix_one():
    require(SECCOMP)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_sockets_after_seccomp, args=(child,))
    process.start()
    child.close()
    entered, outcomes = parent.recv()
    process.join(10)
    import errno

    assert entered == (SECCOMP,)
    assert outcomes == {"inet": errno.EACCES, "inet-udp": errno.EACCES, "inet6": errno.EACCES,
                        "packet": errno.EACCES, "netlink": errno.EACCES, "unix": "created"}


def test_the_filter_program_is_the_documented_one():
    """x86-64: other architectures and x32 numbers refused, io_uring_setup refused, socket only for AF_UNIX."""
    program = sandbox._filter_program(0xC000003E, 41, 425, x32=True)
    words = [program[i:i + 8] for i in range(0, len(program), 8)]
    import struct

    decoded = [struct.unpack("=HBBI", w) for w in words]
    assert decoded == [
        (0x20, 0, 0, 4), (0x15, 1, 0, 0xC000003E), (0x06, 0, 0, 0x0005000D),
        (0x20, 0, 0, 0), (0x35, 0, 1, 0x40000000), (0x06, 0, 0, 0x0005000D),
        (0x15, 0, 1, 425), (0x06, 0, 0, 0x0005000D),
        (0x15, 1, 0, 41), (0x06, 0, 0, 0x7FFF0000),
        (0x20, 0, 0, 16), (0x15, 0, 1, 1), (0x06, 0, 0, 0x7FFF0000), (0x06, 0, 0, 0x0005000D),
    ]


def test_workers_still_answer_without_a_sandbox_and_the_log_says_what_protects():
    pool = pool_with((), guarded=True)
    try:
        answer = pool.run("ASK { <urn:s> <urn:p> <urn:o> }", None)
    finally:
        pool.close()
    assert (answer.status, answer.body) == (200, b'{"head":{},"boolean":true}')
    assert describe(()) == ("mskg: query workers could not be cut off from the network on this system (no network "
                            "namespace, no seccomp filter): the query guard alone stops outbound connections")
    assert describe((NAMESPACE, SECCOMP)) == (
        "mskg: query workers run without network access (network namespace and seccomp filter); the query "
        "guard refuses SERVICE, FROM and LOAD before that")


def test_mskg_serve_says_at_startup_what_keeps_its_workers_offline():
    expected = describe(entered_in_a_child(MECHANISMS))
    server = Server("--workers", "1")
    try:
        server.log.seek(0)
        lines = server.log.read().decode().splitlines()
    finally:
        server.stop()
    assert expected in lines
