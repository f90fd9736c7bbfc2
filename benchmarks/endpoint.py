"""The endpoint under load: `mskg serve` and `oxigraph serve` with the same data, driven by 8 concurrent
clients on loopback for a bounded time with the same named queries; queries per second, p50/p99 latency,
errors, and the ratio. Both servers are started and stopped by this script.

    python benchmarks/endpoint.py [--seconds 15] [--clients 8] [--workers 2]

With ``--abuse``, `mskg serve` alone under the three abuses of issue 13 item 3, each measured as a
well-behaved client on another address (127.0.0.2; Linux routes all of 127/8 to loopback) sees it:

* a flood of runaway queries from one address (``--flooders`` threads): the other client's ``ASK {}``
  p50/p99 latency and error rate;
* 50 clients that ask for a large result (a 10,000-row join, several MB of JSON) and never read it: the
  server process's peak resident memory (workers excluded), and the other client's latency meanwhile;
* Slowloris: 500 sockets from one address that never send a byte: how many the server keeps open, when
  it closes them, and the other client's latency meanwhile;
* two slow readers on two more addresses (127.0.0.3, 127.0.0.4), each asking for a ~14 MB answer and
  taking 1.6 MB of it every 8 s (the red team's attack on the workers): the other client's latency and
  errors, and the server's peak resident memory.

    python benchmarks/endpoint.py --abuse [--seconds 20] [--flooders 8] [--workers 2]
"""
from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mskg.queries import TRIAGE_QUERIES, query_names, query_text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "?query=" + urllib.parse.quote("ASK {}"), timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None:
                raise SystemExit(f"server exited: {process.args}")
            time.sleep(0.2)
    raise SystemExit(f"server did not start: {url}")


def drive(url: str, queries: list[str], clients: int, seconds: float, max_requests: int) -> dict:
    parts = urllib.parse.urlsplit(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(offset: int) -> None:
        i = offset
        while time.monotonic() < stop_at:
            with lock:
                if len(latencies) + errors[0] >= max_requests:
                    return
            body = urllib.parse.urlencode({"query": queries[i % len(queries)]}).encode()
            start = time.perf_counter()
            # each client from its own loopback address, as separate users would be
            ok = answered(parts.hostname, parts.port, f"127.0.0.{10 + offset}", "POST", parts.path, body,
                          {"Content-Type": "application/x-www-form-urlencoded",
                           "Accept": "application/sparql-results+json"})
            elapsed = time.perf_counter() - start
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
            i += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    ordered = sorted(latencies)
    return {"qps": len(latencies) / wall, "p50": 1000 * statistics.median(ordered) if ordered else float("nan"),
            "p99": 1000 * ordered[int(0.99 * (len(ordered) - 1))] if ordered else float("nan"),
            "errors": errors[0], "requests": len(latencies)}


SLOW_PAD = "x" * 1500
SLOW = (f'SELECT ?s ?p ?o ?pad WHERE {{ VALUES ?k {{ 1 2 3 }} ?s ?p ?o . BIND("{SLOW_PAD}" AS ?pad) }} '
        "LIMIT 8000")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
LARGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 10000"
OTHER = "127.0.0.2"  # the well-behaved client's address


def ask(port: int, source: str = OTHER, timeout: float = 30) -> tuple[bool, float]:
    """One ``ASK {}`` from ``source``: (answered 200, seconds)."""
    start = time.perf_counter()
    ok = answered("127.0.0.1", port, source, "GET", "/sparql?query=" + urllib.parse.quote("ASK {}"), timeout=timeout)
    return ok, time.perf_counter() - start


def answered(host: str, port: int, source: str, method: str, path: str, body: bytes | None = None,
             headers: dict | None = None, timeout: float = 30) -> bool:
    """One request from the loopback address ``source``, its answer read whole: whether it was a 200."""
    import http.client

    try:
        connection = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0))
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        return False


def probe_latency(port: int, stop: threading.Event, pause: float = 0.05) -> dict:
    """The other client's ``ASK {}``, one after another until ``stop``: latencies and errors (filled in)."""
    result: dict = {"latencies": [], "errors": 0}

    def loop() -> None:
        while not stop.is_set():
            ok, seconds = ask(port)
            if ok:
                result["latencies"].append(seconds)
            else:
                result["errors"] += 1
            time.sleep(pause)

    result["thread"] = threading.Thread(target=loop)
    result["thread"].start()
    return result


def summary(result: dict) -> str:
    result["thread"].join()
    ordered = sorted(result["latencies"])
    total = len(ordered) + result["errors"]
    if not ordered:
        return f"no answer in {total} requests"
    p50 = 1000 * statistics.median(ordered)
    p99 = 1000 * ordered[int(0.99 * (len(ordered) - 1))]
    return (f"ASK {{}} from another address: p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
            f"errors {result['errors']} of {total} ({100 * result['errors'] / total:.1f} %)")


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def open_sockets(pid: int) -> int:
    import os

    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


def abuse(args: argparse.Namespace) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mskg.cli", "serve", "--port", str(port), "--workers",
                               str(args.workers), "--timeout", "5"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait(url, server)
        print(f"mskg serve under abuse — {args.workers} workers, --timeout 5, other options at their defaults; "
              f"{args.seconds:g} s per scenario, loopback")
        stop = threading.Event()
        baseline = probe_latency(port, stop)
        time.sleep(min(5.0, args.seconds))
        stop.set()
        print(f"  quiet server:           {summary(baseline)}")

        # 1. a flood of runaway queries from one address
        stop = threading.Event()
        answered = {"503": 0, "other": 0}

        def flood() -> None:
            while not stop.is_set():
                try:
                    with urllib.request.urlopen(url + "?query=" + urllib.parse.quote(RUNAWAY), timeout=60) as r:
                        r.read()
                        answered["other"] += 1
                except urllib.error.HTTPError as exc:
                    answered["503" if exc.code == 503 else "other"] += 1
                except (urllib.error.URLError, OSError):
                    answered["other"] += 1

        flooders = [threading.Thread(target=flood) for _ in range(args.flooders)]
        for t in flooders:
            t.start()
        time.sleep(1)
        probe = probe_latency(port, stop)
        time.sleep(args.seconds)
        stop.set()
        for t in flooders:
            t.join()
        print(f"  {args.flooders} flooders of runaway queries ({answered['503']} stopped with 503):")
        print(f"                          {summary(probe)}")

        # 2. 50 clients that ask for a large result and never read it
        rss_before = rss_kb(server.pid)
        sockets = []
        request = ("GET /sparql?query=" + urllib.parse.quote(LARGE) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Accept: application/sparql-results+json\r\n\r\n").encode()
        stop = threading.Event()
        probe = probe_latency(port, stop)
        for _ in range(50):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(request)
            sockets.append(s)
        peak, ends = rss_before, time.monotonic() + args.seconds
        while time.monotonic() < ends:
            peak = max(peak, rss_kb(server.pid))
            time.sleep(0.25)
        stop.set()
        dropped = 0
        for s in sockets:
            s.settimeout(0)
            try:
                while s.recv(1 << 20):
                    pass
                dropped += 1  # end of stream before the answer was read: the server closed it
            except BlockingIOError:
                pass
            except OSError:
                dropped += 1
            s.close()
        print(f"  50 clients that never read a {LARGE!r} answer:")
        print(f"                          server RSS {rss_before / 1024:.0f} MB before, peak {peak / 1024:.0f} MB "
              f"(+{(peak - rss_before) / 1024:.0f} MB); {dropped} of 50 connections dropped by the server "
              f"within {args.seconds:g} s")
        print(f"                          {summary(probe)}")

        # 3. Slowloris: 500 silent sockets from one address
        stop = threading.Event()
        silent = []
        for _ in range(500):
            s = socket.socket()
            s.connect(("127.0.0.1", port))
            silent.append(s)
        time.sleep(1)
        probe = probe_latency(port, stop)
        held = open_sockets(server.pid)
        started = time.monotonic()
        while open_sockets(server.pid) > 10 and time.monotonic() - started < 60:
            time.sleep(0.25)
        closed_after = time.monotonic() - started + 1
        stop.set()
        for s in silent:
            s.close()
        print(f"  500 silent sockets from one address: the server held {held} sockets (listener and its "
              f"workers' pipes included), all silent ones closed after {closed_after:.0f} s")
        print(f"                          {summary(probe)}")

        # 4. two slow readers on two more addresses, each taking 1.6 MB of a ~14 MB answer every 8 s
        stop = threading.Event()
        rss_before = rss_kb(server.pid)
        taken: dict[str, int] = {}

        def slow_reader(source: str) -> None:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            s.sendall(("GET /sparql?query=" + urllib.parse.quote(SLOW) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Connection: close\r\n\r\n").encode())
            s.settimeout(2)
            taken[source] = 0
            while not stop.is_set():
                burst = 0
                while burst < 1_600_000:
                    try:
                        data = s.recv(65536)
                    except socket.timeout:
                        break
                    except OSError:
                        data = b""
                    if not data:
                        s.close()
                        return
                    burst += len(data)
                    taken[source] += len(data)
                stop.wait(8)
            s.close()

        readers = [threading.Thread(target=slow_reader, args=(source,)) for source in ("127.0.0.3", "127.0.0.4")]
        for t in readers:
            t.start()
        time.sleep(3)
        probe = probe_latency(port, stop)
        peak, ends = rss_before, time.monotonic() + args.seconds
        while time.monotonic() < ends:
            peak = max(peak, rss_kb(server.pid))
            time.sleep(0.25)
        stop.set()
        for t in readers:
            t.join()
        print(f"  2 slow readers (1.6 MB of a ~14 MB answer every 8 s, from two addresses): they took "
              f"{sum(taken.values()) / 1e6:.1f} MB in all; server RSS {rss_before / 1024:.0f} MB before, peak "
              f"{peak / 1024:.0f} MB")
        print(f"                          {summary(probe)}")
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--abuse", action="store_true", help="measure the abuse scenarios instead")
    parser.add_argument("--flooders", type=int, default=8)
    args = parser.parse_args()
    if args.abuse:
        abuse(args)
        return
    queries = [query_text(n) for n in query_names() if n not in TRIAGE_QUERIES]
    mskg_port, ox_port = free_port(), free_port()
    mskg = subprocess.Popen([sys.executable, "-m", "mskg.cli", "serve", "--port", str(mskg_port),
                             "--workers", str(args.workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    oxigraph_exe = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    ox = subprocess.Popen([oxigraph_exe, "serve", "--bind", f"127.0.0.1:{ox_port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        mskg_url = f"http://127.0.0.1:{mskg_port}/sparql"
        ox_url = f"http://127.0.0.1:{ox_port}/query"
        wait(mskg_url, mskg)
        wait(ox_url, ox)
        subprocess.run([sys.executable, "-m", "mskg.cli", "load", "--endpoint", f"http://127.0.0.1:{ox_port}/store"],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"mskg endpoint benchmark — {args.clients} clients, {args.seconds:g} s each, {len(queries)} named "
              f"queries in turn, loopback; mskg serve with {args.workers} workers")
        results = {}
        for name, url in (("oxigraph serve", ox_url), ("mskg serve", mskg_url)):
            drive(url, queries, args.clients, 2, 10_000)  # warm up
            results[name] = r = drive(url, queries, args.clients, args.seconds, args.max_requests)
            print(f"  {name:<15} {r['qps']:8.1f} q/s   p50 {r['p50']:7.1f} ms   p99 {r['p99']:7.1f} ms   "
                  f"errors {r['errors']}   ({r['requests']} answered)")
        ratio = results["mskg serve"]["qps"] / results["oxigraph serve"]["qps"]
        print(f"  mskg / oxigraph throughput: {ratio:.2f}   (target >= 0.50, zero errors)")
    finally:
        for process in (mskg, ox):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
