"""The second layer against outbound connections: a query worker cut off from every network.

The query guard (:mod:`mskg.queries.guard`) refuses what it knows can connect (SERVICE, FROM, LOAD); this
module makes a worker process unable to connect at all, so a way to connect the guard does not know of
still reaches nothing. Two independent mechanisms, each applied when the system allows it:

* **a network namespace** (``unshare(CLONE_NEWNET)``; as an ordinary user together with a user namespace,
  ``CLONE_NEWUSER``): the process sees a network with no interface but a loopback that is down, so every
  ``connect`` fails, to the machine's own loopback as much as to the outside;
* **a seccomp filter**: the ``socket`` system call is refused for every address family but ``AF_UNIX``
  (and ``io_uring_setup``, through which a socket could be opened without that call), so no Internet,
  packet or netlink socket can even be created. The worker's pipe to the server exists before the filter.

Both must be entered while the process has a single thread (a user namespace requires it, and a seccomp
filter set with ``prctl`` binds only the calling thread and the threads it starts later), so a worker
calls :func:`isolate` first thing, before it imports the engine. Each mechanism is checked after it is
entered (an Internet socket must fail), so "active" means it was seen to work, not that a call returned 0.
"""
from __future__ import annotations

import ctypes
import errno
import platform
import socket
import struct
import sys

NAMESPACE = "network namespace"
SECCOMP = "seccomp filter"
MECHANISMS = (NAMESPACE, SECCOMP)

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000

# seccomp: the architecture tag the kernel reports, and that architecture's numbers for socket(2) and
# io_uring_setup(2) (x86-64: arch/x86/entry/syscalls/syscall_64.tbl; arm64: the generic table).
_ARCHES = {
    "x86_64": (0xC000003E, 41, 425),
    "aarch64": (0xC00000B7, 198, 425),
}
_X32_BIT = 0x40000000  # x86-64's x32 system calls: another number for socket(2); refused outright
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _cannot_connect() -> bool:
    """True when this process can reach neither the IPv4 nor the IPv6 loopback (a UDP connect routes
    without sending anything) — or cannot create an Internet socket at all."""
    for family, address in ((socket.AF_INET, ("127.0.0.1", 9)), (socket.AF_INET6, ("::1", 9))):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect(address)
        except OSError:
            continue
        return False
    return True


def _enter_namespace() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = _libc()
    except OSError:
        return False
    # As root (or with CAP_SYS_ADMIN) a network namespace alone; otherwise inside a new user namespace.
    for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return _cannot_connect()
    return False


def _filter_program(arch: int, socket_nr: int, io_uring_nr: int, x32: bool) -> bytes:
    """The classic-BPF program: other architectures and x32 numbers are refused, socket(2) is allowed
    only for AF_UNIX, io_uring_setup(2) is refused, everything else is allowed."""
    deny = _RET_ERRNO | errno.EACCES

    def op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("=HBBI", code, jt, jf, k)

    program = [
        op(_LD_W_ABS, 4),                     # seccomp_data.arch
        op(_JEQ_K, arch, 1, 0),
        op(_RET_K, deny),                     # a system call of another architecture
        op(_LD_W_ABS, 0),                     # seccomp_data.nr
    ]
    if x32:
        program += [op(_JGE_K, _X32_BIT, 0, 1), op(_RET_K, deny)]
    program += [
        op(_JEQ_K, io_uring_nr, 0, 1),
        op(_RET_K, deny),
        op(_JEQ_K, socket_nr, 1, 0),
        op(_RET_K, _RET_ALLOW),
        op(_LD_W_ABS, 16 if sys.byteorder == "little" else 20),  # the low half of args[0]: the family
        op(_JEQ_K, socket.AF_UNIX, 0, 1),
        op(_RET_K, _RET_ALLOW),
        op(_RET_K, deny),
    ]
    return b"".join(program)


def _enter_seccomp() -> bool:
    machine = platform.machine()
    if not sys.platform.startswith("linux") or machine not in _ARCHES:
        return False
    arch, socket_nr, io_uring_nr = _ARCHES[machine]
    code = _filter_program(arch, socket_nr, io_uring_nr, x32=machine == "x86_64")
    buffer = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    program = SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    try:
        libc = _libc()
    except OSError:
        return False
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        return False
    if prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(program), 0, 0) != 0:
        return False
    try:  # the filter itself must refuse (a namespace entered before would make a connect fail anyway)
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
    except PermissionError:
        return True
    return False


def isolate(mechanisms: tuple[str, ...] = MECHANISMS) -> tuple[str, ...]:
    """Enter each of ``mechanisms`` this system allows, in order; return those seen to work.

    Irreversible for this process, and to be called while it has a single thread (see the module text).
    An empty answer means the process can still connect: only the query guard stands in the way."""
    entered = []
    for name in mechanisms:
        if name == NAMESPACE and _enter_namespace():
            entered.append(name)
        elif name == SECCOMP and _enter_seccomp():
            entered.append(name)
    return tuple(entered)


def describe(active: tuple[str, ...]) -> str:
    """One line for the server's log: what keeps the query workers from connecting."""
    if active:
        return ("mskg: query workers run without network access (" + " and ".join(active) +
                "); the query guard refuses SERVICE, FROM and LOAD before that")
    return ("mskg: query workers could not be cut off from the network on this system (no network "
            "namespace, no seccomp filter): the query guard alone stops outbound connections")
