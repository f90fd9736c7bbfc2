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


def require(mechanism: str, config: pytest.Config) -> None:
    if entered_in_a_child((mechanism,)) != (mechanism,):
        if config.getoption("--sandbox-required"):
            pytest.fail(f"the {mechanism} was not entered (--sandbox-required)")
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
def test_each_sandbox_mechanism_alone_stops_every_connection(listener, mechanism, pytestconfig):
    require(mechanism, pytestconfig)
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


def test_the_seccomp_filter_refuses_every_socket_but_a_unix_one(pytestconfig):
    require(SECCOMP, pytestconfig)
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


# ---------------------------------------------------------------------- the mechanisms' own steps (no child, no kernel)
#
# The tests above see a mechanism work or not; these check each step that decides it, with the C library, the
# platform and the probe socket replaced, so that a wrong flag, a wrong prctl number or a wrong branch fails
# here even where the real call would succeed anyway (as root, a network namespace needs no user namespace).

class FakeLibc:
    """Records ``unshare`` and ``prctl`` calls and answers them from ``results`` (0 when it runs out)."""

    def __init__(self, results=()):
        self.calls: list[tuple] = []
        self.results = list(results)
        self.lengths: list[int] = []
        libc = self

        class Prctl:
            def __call__(self, option, arg2, arg3, arg4, arg5):
                libc.calls.append(("prctl", option, arg2, arg3, arg4, arg5))
                if option == 22 and arg3:  # the sock_fprog's first field: the program's length in instructions
                    import ctypes

                    libc.lengths.append(ctypes.c_ushort.from_address(arg3).value)
                return libc.results.pop(0) if libc.results else 0

        self.prctl = Prctl()

    def unshare(self, flags):
        self.calls.append(("unshare", flags))
        return self.results.pop(0) if self.results else 0


class FakeSockets:
    """Stands in for the ``socket`` module inside :mod:`sandbox`: ``connects`` says which families' UDP
    connect succeeds; ``refused`` makes creating any socket raise PermissionError (as the filter does)."""

    AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM = socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, socket.SOCK_DGRAM

    def __init__(self, connects=(), refused=False):
        self.connects, self.refused, self.tried = set(connects), refused, []
        fake = self

        class Socket:
            def __init__(self, family, kind):
                if fake.refused:
                    raise PermissionError(13, "refused")
                self.family = family

            def connect(self, address):
                fake.tried.append((self.family, address))
                if self.family not in fake.connects:
                    raise OSError(101, "Network is unreachable")

            def close(self):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

        self.socket = Socket


@pytest.mark.parametrize("connects,expected", [
    ((), True), ((socket.AF_INET,), False), ((socket.AF_INET6,), False),
    ((socket.AF_INET, socket.AF_INET6), False),
], ids=["neither", "IPv4 only", "IPv6 only", "both"])
def test_a_namespace_counts_only_when_both_loopbacks_are_unreachable(monkeypatch, connects, expected):
    fake = FakeSockets(connects)
    monkeypatch.setattr(sandbox, "socket", fake)
    assert sandbox._cannot_connect() is expected
    tried = [family for family, _ in fake.tried]
    assert tried == ([socket.AF_INET] if socket.AF_INET in connects else [socket.AF_INET, socket.AF_INET6])
    assert fake.tried[0][1] == ("127.0.0.1", 9)


@pytest.mark.parametrize("results,calls", [
    ([0], [0x40000000]),                    # root: a network namespace alone
    ([-1, 0], [0x40000000, 0x50000000]),    # an ordinary user: inside a new user namespace
    ([-1, -1], [0x40000000, 0x50000000]),   # neither allowed
])
def test_the_namespace_is_tried_alone_then_with_a_user_namespace(monkeypatch, results, calls):
    libc = FakeLibc(results)
    monkeypatch.setattr(sandbox, "_libc", lambda: libc)
    monkeypatch.setattr(sandbox, "_cannot_connect", lambda: True)
    assert sandbox._enter_namespace() is (results[-1] == 0)
    assert libc.calls == [("unshare", flags) for flags in calls]


def test_a_namespace_entered_that_still_connects_is_not_active(monkeypatch):
    monkeypatch.setattr(sandbox, "_libc", lambda: FakeLibc([0]))
    monkeypatch.setattr(sandbox, "_cannot_connect", lambda: False)
    assert sandbox._enter_namespace() is False


def _fail():
    raise OSError("no C library")


@pytest.mark.parametrize("platform_name,machine,libc", [
    ("darwin", "x86_64", None), ("linux", "riscv64", None), ("linux", "x86_64", _fail),
])
def test_no_mechanism_is_tried_where_it_cannot_exist(monkeypatch, platform_name, machine, libc):
    import types

    called = FakeLibc()
    monkeypatch.setattr(sandbox, "sys", types.SimpleNamespace(platform=platform_name, byteorder="little"))
    monkeypatch.setattr(sandbox.platform, "machine", lambda: machine)
    monkeypatch.setattr(sandbox, "_libc", libc or (lambda: called))
    assert sandbox._enter_seccomp() is False
    if platform_name != "linux" or libc is not None:
        assert sandbox._enter_namespace() is False
    assert called.calls == []


@pytest.mark.parametrize("machine,arch,socket_nr,x32", [
    ("x86_64", 0xC000003E, 41, True), ("aarch64", 0xC00000B7, 198, False),
])
def test_the_seccomp_filter_is_loaded_with_no_new_privs_first(monkeypatch, machine, arch, socket_nr, x32):
    """prctl(PR_SET_NO_NEW_PRIVS=38, 1, 0, 0, 0), then prctl(PR_SET_SECCOMP=22, SECCOMP_MODE_FILTER=2, &prog),
    the program built for the machine (AUDIT_ARCH_X86_64 / AUDIT_ARCH_AARCH64 and its socket(2) number;
    io_uring_setup is 425 on both), its length in 8-byte instructions; active only if a socket is then refused."""
    libc = FakeLibc()
    built = []
    original = sandbox._filter_program

    def recording(*args, **kwargs):
        built.append((args, kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(sandbox, "_libc", lambda: libc)
    monkeypatch.setattr(sandbox, "_filter_program", recording)
    monkeypatch.setattr(sandbox.platform, "machine", lambda: machine)
    monkeypatch.setattr(sandbox, "socket", FakeSockets(refused=True))
    assert sandbox._enter_seccomp() is True
    assert built == [((arch, socket_nr, 425), {"x32": x32})]
    assert [call[:3] + call[4:] for call in libc.calls] == [("prctl", 38, 1, 0, 0), ("prctl", 22, 2, 0, 0)]
    assert libc.calls[0][3] is None and libc.calls[1][3]
    assert libc.lengths == [len(original(arch, socket_nr, 425, x32=x32)) // 8] == [14 if x32 else 12]


@pytest.mark.parametrize("results,calls", [([-1], 1), ([0, -1], 2)])
def test_a_refused_prctl_means_no_seccomp_filter(monkeypatch, results, calls):
    libc = FakeLibc(results)
    monkeypatch.setattr(sandbox, "_libc", lambda: libc)
    monkeypatch.setattr(sandbox.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(sandbox, "socket", FakeSockets(refused=True))
    assert sandbox._enter_seccomp() is False
    assert len(libc.calls) == calls


def test_a_filter_loaded_that_still_lets_a_socket_through_is_not_active(monkeypatch):
    monkeypatch.setattr(sandbox, "_libc", lambda: FakeLibc())
    monkeypatch.setattr(sandbox.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(sandbox, "socket", FakeSockets(refused=False))
    assert sandbox._enter_seccomp() is False


def test_on_a_big_endian_machine_the_filter_reads_the_other_half_of_the_family():
    import struct
    import types

    words = {}
    for order in ("little", "big"):
        original = sandbox.sys
        sandbox.sys = types.SimpleNamespace(byteorder=order, platform="linux")
        try:
            program = sandbox._filter_program(0xC00000B7, 198, 425, x32=False)
        finally:
            sandbox.sys = original
        words[order] = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    assert words["little"][8] == (0x20, 0, 0, 16)
    assert words["big"][8] == (0x20, 0, 0, 20)
    assert words["big"][:8] == words["little"][:8] and words["big"][9:] == words["little"][9:]
    assert len(words["big"]) == 12  # no x32 check off x86-64


@pytest.mark.parametrize("wanted,works,expected,tried", [
    ((NAMESPACE, SECCOMP), {NAMESPACE, SECCOMP}, (NAMESPACE, SECCOMP), [NAMESPACE, SECCOMP]),
    ((NAMESPACE, SECCOMP), {SECCOMP}, (SECCOMP,), [NAMESPACE, SECCOMP]),
    ((NAMESPACE, SECCOMP), {NAMESPACE}, (NAMESPACE,), [NAMESPACE, SECCOMP]),
    ((SECCOMP,), {NAMESPACE, SECCOMP}, (SECCOMP,), [SECCOMP]),
    ((NAMESPACE,), {NAMESPACE, SECCOMP}, (NAMESPACE,), [NAMESPACE]),
    ((), {NAMESPACE, SECCOMP}, (), []),
])
def test_isolate_enters_exactly_the_mechanisms_asked_for(monkeypatch, wanted, works, expected, tried):
    seen = []

    def enter(name):
        def attempt():
            seen.append(name)
            return name in works
        return attempt

    monkeypatch.setattr(sandbox, "_enter_namespace", enter(NAMESPACE))
    monkeypatch.setattr(sandbox, "_enter_seccomp", enter(SECCOMP))
    assert isolate(wanted) == expected
    assert seen == tried
