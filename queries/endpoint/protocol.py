"""The HTTP connection layer of ``mskg serve``: uvicorn's h11 protocol with the limits a public server needs.

uvicorn waits for a request's headers for ever, accepts as many connections as the process has file
descriptors, and a response it cannot write waits in memory for as long as the client does not read. Each
connection here is bounded instead:

* **caps on open connections** — one past ``max_connections`` in all, or past ``max_client_connections``
  from one client address, gets a 503 at once and is closed (so silent sockets from one address cannot
  take the connections everyone else needs);
* **a header timeout** — the request line and headers must arrive within ``header_timeout`` seconds of the
  connection (or of the request's first byte, on a kept-alive connection): otherwise 408 and closed, or
  just closed when nothing was sent (Slowloris);
* **a maximum header size** — a request line and headers over ``max_header_bytes`` get 431 and the
  connection is closed, decided on the bytes buffered, before any parsing of the headers;
* **idle timeouts** — a kept-alive connection silent for ``idle_timeout`` seconds is closed (uvicorn's
  keep-alive timer, armed at the end of every response and not disarmed by bytes that do not start a new
  request, such as the rest of a body nobody reads), and so is one whose client takes nothing of a
  response for that long (the write buffer stays full): the connection is dropped and the response's
  worker reads the rest into nothing. A client that takes something keeps its connection, but the sending
  of one response may not last longer than ``send_timeout`` seconds from the first time its write buffer
  filled (a reader taking a byte now and then cannot hold the connection for ever).

Responses made here (uvicorn's 400 for a request that is not HTTP included) carry the same ``nosniff`` and
Content-Security-Policy headers as the application's.
"""
from __future__ import annotations

import asyncio
import math
import re
from functools import partial

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_HEAD_END = re.compile(rb"\n\r?\n")


def raw_response(status: int, reason: str, message: str, security_headers: list[tuple[str, str]],
                 retry_after: int | None = None) -> bytes:
    """A complete ``Connection: close`` response written straight to the socket (no request was parsed)."""
    body = (message.rstrip() + "\n").encode("utf-8")
    lines = [f"HTTP/1.1 {status} {reason}", "content-type: text/plain; charset=utf-8",
             f"content-length: {len(body)}", "connection: close"]
    if retry_after is not None:
        lines.append(f"retry-after: {retry_after}")
    lines += [f"{name}: {value}" for name, value in security_headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap, a header timeout, a header size limit and a write
    stall timeout (see the module text). Built by :func:`protocol_factory`."""

    def __init__(self, *args, max_connections: int, max_client_connections: int, header_timeout: float, idle_timeout: float,
                 max_header_bytes: int, security_headers: list[tuple[str, str]], send_timeout: float = 300.0,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections
        self.max_client_connections = max_client_connections
        self.header_timeout = header_timeout
        self.idle_timeout = idle_timeout
        self.send_timeout = send_timeout
        self.max_header_bytes = max_header_bytes
        self.security_headers = security_headers
        self._header_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        self._stall_mark = 0              # the write buffer's size when the stall timer was armed
        self._sending_since: float | None = None  # when the current response first filled the write buffer
        self._refused = False

    # ------------------------------------------------------------------ connections

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self._refuse(503, "Service Unavailable", f"The endpoint has too many open connections (its limit "
                                                     f"is {self.max_connections}); try again shortly",
                         self._retry_after())
            return
        address = self.client[0] if self.client else None
        if sum(1 for other in self.connections if other.client and other.client[0] == address) > \
                self.max_client_connections:
            self._refuse(503, "Service Unavailable", f"Too many open connections from your address (the limit "
                                                     f"is {self.max_client_connections}); close some or try again shortly",
                         self._retry_after())
            return
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_overdue)

    def _retry_after(self) -> int:
        """The ``Retry-After`` of a connection-limit 503: a connection that sends nothing is closed at the
        header timeout, so a place is free by then unless the others are in use."""
        return max(1, math.ceil(self.header_timeout))

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._stall_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._stall_timer = None

    def _refuse(self, status: int, reason: str, message: str, retry_after: int | None = None) -> None:
        """Answer without a parsed request and close (the client's further bytes are not read)."""
        self._refused = True
        self._cancel_timers()
        self._unset_keepalive_if_required()
        self.transport.write(raw_response(status, reason, message, self.security_headers, retry_after))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 cannot parse, with the security headers every answer carries."""
        self._refuse(400, "Bad Request", msg)

    # ------------------------------------------------------------------ reading a request

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        waiting_for_head = self.conn.their_state is h11.IDLE
        if waiting_for_head and self._header_timer is None:  # the first byte of a kept-alive connection's next request
            self._header_timer = self.loop.call_later(self.header_timeout, self._header_overdue)
        answered = self.cycle is not None and self.cycle.response_complete and not waiting_for_head
        if not answered:  # bytes after the answer that start no request (an unread body) keep the deadline
            self._unset_keepalive_if_required()
        self.conn.receive_data(data)
        if waiting_for_head and self._head_too_large():
            self._refuse(431, "Request Header Fields Too Large", f"The request line and headers are larger "
                                                                 f"than {self.max_header_bytes} bytes")
            return
        self.handle_events()
        if self.conn.their_state is not h11.IDLE and self._header_timer is not None:  # the head has arrived
            self._header_timer.cancel()
            self._header_timer = None
        self._ensure_deadline()

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a new request (pipelined ones too): its sending has not stalled yet
            self._sending_since = None

    def _ensure_deadline(self) -> None:
        """No connection may wait without a deadline: once its answer is complete and nothing else bounds it
        (a head being read has the header timer), the idle timer runs."""
        if self._refused or self.transport.is_closing() or self._header_timer is not None:
            return
        if self.cycle is not None and self.cycle.response_complete and self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive,
                                                                self.timeout_keep_alive_handler)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._ensure_deadline()

    def _head_too_large(self) -> bool:
        buffered = self.conn.trailing_data[0]
        end = _HEAD_END.search(buffered)
        size = end.end() if end else len(buffered)
        return size > self.max_header_bytes

    def _header_overdue(self) -> None:
        self._header_timer = None
        if self._refused or self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:
            self._refuse(408, "Request Timeout", f"The request line and headers did not arrive within "
                                                 f"{self.header_timeout:g} s")
        else:  # nothing sent at all: close without a word, as for an idle kept-alive connection
            self._refused = True
            self._unset_keepalive_if_required()
            self.transport.close()

    # ------------------------------------------------------------------ writing a response

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._sending_since is None:
            self._sending_since = self.loop.time()
        if self._stall_timer is None:
            self._arm_stall_timer()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _arm_stall_timer(self) -> None:
        """Wait ``idle_timeout`` s for progress, or less when the response's ``send_timeout`` ends sooner."""
        left = self.send_timeout - (self.loop.time() - (self._sending_since or self.loop.time()))
        if left <= 0:
            self._write_stalled()
            return
        self._stall_mark = self.transport.get_write_buffer_size()
        self._stall_timer = self.loop.call_later(min(self.idle_timeout, left), self._check_stall)

    def _check_stall(self) -> None:
        """The client took something since the timer was armed: wait again (within ``send_timeout``);
        otherwise it is stalled."""
        self._stall_timer = None
        if self.transport.is_closing() and not self.transport.get_write_buffer_size():
            return
        if self.transport.get_write_buffer_size() < self._stall_mark:
            self._arm_stall_timer()
        else:
            self._write_stalled()

    def _write_stalled(self) -> None:
        """The client took nothing for ``idle_timeout`` s, or the response took longer than ``send_timeout``
        s to send: drop the connection and what waits to be sent."""
        self._stall_timer = None
        self.transport.abort()


def protocol_factory(*, max_connections: int, max_client_connections: int, header_timeout: float, idle_timeout: float, max_header_bytes: int,
                     security_headers: list[tuple[str, str]], send_timeout: float = 300.0):
    """What uvicorn's ``http=`` takes: builds a :class:`LimitedH11Protocol` per connection."""
    return partial(LimitedH11Protocol, max_connections=max_connections,
                   max_client_connections=max_client_connections, header_timeout=header_timeout,
                   idle_timeout=idle_timeout, max_header_bytes=max_header_bytes, security_headers=security_headers,
                   send_timeout=send_timeout)
