"""The endpoint under load: `mskg serve` and `oxigraph serve` with the same data, driven by 8 concurrent
clients on loopback for a bounded time with the same named queries; queries per second, p50/p99 latency,
errors, and the ratio. Both servers are started and stopped by this script.

    python benchmarks/endpoint.py [--seconds 15] [--clients 8] [--workers 2]
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
            request = urllib.request.Request(url, data=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                ok = False
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=200_000)
    args = parser.parse_args()
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
