"""Reasoning time: one presentation classified by HermiT (Java start included) against SPARQL triage,
and the cost per presentation when many are classified in one run.

    python benchmarks/reasoning.py [--batch 200]
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

from mskg.kg.load import load_graph
from mskg.kg.resolve import PRESENTATION_ROOTS, resolver_for
from mskg.ontology.reasoning import java_version, reason
from mskg.queries.triage.records import Presentation, Reported, make_presentation
from mskg.queries.triage.sparql import engine_for


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    graph = load_graph()
    engine = engine_for(graph)
    print(f"mskg reasoning benchmark — {java_version()}")
    one = make_presentation(graph, ["saddle numbness", "low back pain"], duration="3d")
    engine.triage(one)  # warm the SPARQL path and the explainer
    sparql = statistics.median(_time(lambda: engine.triage(one), args.repeat))
    owl = statistics.median(_time(lambda: engine.triage_owl(one), args.repeat))
    print(f"one presentation: sparql {sparql * 1000:8.1f} ms   owl (HermiT) {owl * 1000:8.1f} ms   ({owl / sparql:.0f}x)")
    concepts = sorted((c for c in resolver_for(graph).concepts.values() if c.root in PRESENTATION_ROOTS),
                      key=lambda c: c.id)
    rng = random.Random(7)
    batch = [Presentation(tuple(Reported(c.id, c) for c in rng.sample(concepts, rng.randint(1, 4))), (), None, None)
             for _ in range(args.batch)]
    start = time.perf_counter()
    engine.triage_many_owl(batch)
    owl_batch = time.perf_counter() - start
    start = time.perf_counter()
    for p in batch:
        engine.triage(p, explain=False)
    sparql_batch = time.perf_counter() - start
    print(f"{args.batch} presentations: sparql {sparql_batch:6.2f} s ({sparql_batch / args.batch * 1000:.1f} ms each)"
          f"   owl in one run {owl_batch:6.2f} s ({owl_batch / args.batch * 1000:.1f} ms each)")
    start = time.perf_counter()
    report = reason(graph)
    print(f"mskg reason (consistency, classification): {time.perf_counter() - start:.2f} s, consistent={report.consistent}")


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


if __name__ == "__main__":
    main()
