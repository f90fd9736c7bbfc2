"""Time the query guard (mskg.queries.guard.check_query) on the named library and on small queries.

    python benchmarks/guard.py [--repeat 7]

Each query is checked with an empty decision cache (the cost a new query pays), and once more with the
cache warm (a repeated query, e.g. YASGUI's probe). Also times Oxigraph's own parse of the same text
(the probe, in-process) and a full evaluation, to put the guard's cost beside the engine's.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from mskg.kg.load import load_graph
from mskg.queries import query_names, query_text
from mskg.queries import guard
from mskg.queries.engine import make_engine

SMALL = {
    "ASK {}": "ASK {}",
    "README example": "SELECT ?flag WHERE { ?flag a mskg:RedFlag }",
}


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def cold(text: str):
    def run():
        guard._CACHE.clear()
        guard.check_query(text)
    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    engine = make_engine("pyoxigraph", load_graph())
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; medians of {args.repeat}")
    print(f"{'query':28} {'chars':>6} {'guard cold':>11} {'guard warm':>11} {'oxigraph parse':>15} {'evaluate':>9}")
    texts = dict(SMALL) | {name: query_text(name) for name in query_names()}
    colds = []
    for name, text in texts.items():
        guard.check_query(text)  # imports and first-use costs out of the way
        c = median_ms(cold(text), args.repeat)
        w = median_ms(lambda: guard.check_query(text), args.repeat)
        p = median_ms(lambda: guard.oxigraph_probe(text), args.repeat)
        e = median_ms(lambda: engine.query(text), args.repeat)
        if name not in SMALL:
            colds.append(c)
        print(f"{name:28} {len(text):>6} {c:>9.1f}ms {w:>9.3f}ms {p:>13.1f}ms {e:>7.1f}ms")
    print(f"library: median {statistics.median(colds):.1f} ms, max {max(colds):.1f} ms per new query (guard, cold)")


if __name__ == "__main__":
    main()
