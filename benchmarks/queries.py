"""Time the named SPARQL library on each candidate engine and print medians and ratios.

    python benchmarks/queries.py [--repeat 7]

Every engine must return the same rows as the others (compared as sets); a mismatch is printed.
Also checks two things known about oxrdflib: that initBindings makes it fall back to rdflib's own
engine, and how fast triple-level access is through it (what a networkx view would pay).
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

from rdflib import URIRef

from mskg.kg.load import load_graph
from mskg.queries import TRIAGE_QUERIES, query_names, query_text
from mskg.queries.engine import ENGINE_NAMES, comparable, make_engine


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    graph = load_graph()
    names = [n for n in query_names() if n not in TRIAGE_QUERIES]
    print(f"mskg query benchmark — {len(graph)} triples, {len(names)} named queries, median of {args.repeat} runs")
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.node()}")
    engines = {}
    for name in ENGINE_NAMES:
        start = time.perf_counter()
        engines[name] = make_engine(name, graph)
        print(f"load {name:<10} {1000 * (time.perf_counter() - start):8.1f} ms")
    medians: dict[str, dict[str, float]] = {n: {} for n in ENGINE_NAMES}
    mismatches = []
    for query in names:
        text = query_text(query)
        answers = {}
        for engine_name, engine in engines.items():
            answers[engine_name] = comparable(engine.query(text))
            medians[engine_name][query] = timed(lambda e=engine: e.query(text), args.repeat)
        reference = answers["rdflib"]
        mismatches += [(query, e) for e, a in answers.items() if a != reference]
    print()
    print(f"{'query':<26}" + "".join(f"{n:>12}" for n in ENGINE_NAMES) + "   (ms)")
    for query in names:
        print(f"{query:<26}" + "".join(f"{1000 * medians[n][query]:12.2f}" for n in ENGINE_NAMES))
    totals = {n: sum(medians[n].values()) for n in ENGINE_NAMES}
    print(f"{'TOTAL':<26}" + "".join(f"{1000 * totals[n]:12.1f}" for n in ENGINE_NAMES))
    fastest = min(totals, key=totals.get)
    print()
    for name in ENGINE_NAMES:
        per_query = statistics.median(medians[name][q] / medians[fastest][q] for q in names)
        print(f"{name:<10} total {totals[name] / totals[fastest]:7.1f}x the fastest ({fastest}); "
              f"median per-query ratio {per_query:6.1f}x")
    print("answers identical across engines" if not mismatches else f"MISMATCHES: {mismatches}")

    print("\nparameter binding (condition_actions with ?condition bound):")
    text = query_text("condition_actions")
    binding = {"condition": URIRef("https://w3id.org/mskg/id/tennis-elbow")}
    for name, engine in engines.items():
        free = timed(lambda e=engine: e.query(text), args.repeat)
        bound = timed(lambda e=engine: e.query(text, binding), args.repeat)
        print(f"  {name:<10} unbound {1000 * free:8.2f} ms   bound {1000 * bound:8.2f} ms   ({bound / free:5.1f}x)")

    print("\ntriple-level access (iterate every triple, what a networkx view reads):")
    rdflib_graph = engines["rdflib"].graph
    ox_graph = engines["oxrdflib"].graph
    t_rdflib = timed(lambda: sum(1 for _ in rdflib_graph.triples((None, None, None))), args.repeat)
    t_ox = timed(lambda: sum(1 for _ in ox_graph.triples((None, None, None))), args.repeat)
    print(f"  rdflib memory {1000 * t_rdflib:8.2f} ms   oxrdflib {1000 * t_ox:8.2f} ms   ({t_ox / t_rdflib:.1f}x)")


if __name__ == "__main__":
    main()
