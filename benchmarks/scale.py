"""How cost grows with the graph: synthetic graphs of 1x, 10x and 100x the article's size (the same facts
under renamed instance IRIs, the ontology shared), each measured in its own process for a clean peak.

    python benchmarks/scale.py [--sizes 1 10 100]

Per size: triples; build time (the copies parsed into one rdflib graph); load time into the Oxigraph
store the query layer uses; peak memory of the process; median latency of the named query library.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def measure(factor: int) -> dict:
    import pyoxigraph as ox
    from rdflib import Graph

    from mskg.kg.build import to_ntriples
    from mskg.kg.load import load_graph
    from mskg.ontology import load_ontology
    from mskg.queries import TRIAGE_QUERIES, query_names, query_text

    graph = load_graph()
    ontology = set(load_ontology())
    ontology_nt = to_ntriples(_graph(ontology))
    instances = Graph()
    for triple in graph:
        if triple not in ontology:
            instances.add(triple)
    instance_nt = to_ntriples(instances)
    start = time.perf_counter()
    big = Graph()
    big.parse(data=ontology_nt, format="nt")
    for copy in range(factor):
        renamed = instance_nt if copy == 0 else instance_nt.replace("<https://w3id.org/mskg/id/",
                                                                    f"<https://w3id.org/mskg/id/copy{copy}/")
        big.parse(data=renamed, format="nt")
    build = time.perf_counter() - start
    data = big.serialize(format="nt", encoding="utf-8")
    start = time.perf_counter()
    store = ox.Store()
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    load = time.perf_counter() - start
    latencies = []
    for name in query_names():
        if name in TRIAGE_QUERIES:
            continue
        text = query_text(name)
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            list(store.query(text))
            runs.append(time.perf_counter() - t)
        latencies.append(statistics.median(runs))
    return {"factor": factor, "triples": len(big), "build_s": build, "load_s": load,
            "query_median_ms": 1000 * statistics.median(latencies), "query_max_ms": 1000 * max(latencies),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _graph(triples):
    from rdflib import Graph

    g = Graph()
    for t in triples:
        g.add(t)
    return g


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print("mskg scale benchmark — each size in a fresh process")
    print(f"{'size':>5} {'triples':>10} {'build s':>9} {'load s':>8} {'peak MB':>9} {'query median ms':>16} {'max ms':>8}")
    base = None
    for factor in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(factor)], capture_output=True, text=True,
                             check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        base = base or r
        print(f"{r['factor']:>4}x {r['triples']:>10} {r['build_s']:>9.2f} {r['load_s']:>8.2f} {r['peak_mb']:>9.0f} "
              f"{r['query_median_ms']:>16.2f} {r['query_max_ms']:>8.1f}"
              + ("" if r is base else f"   ({r['triples'] / base['triples']:.0f}x triples: build "
                 f"{r['build_s'] / base['build_s']:.0f}x, memory {r['peak_mb'] / base['peak_mb']:.1f}x, "
                 f"query median {r['query_median_ms'] / base['query_median_ms']:.0f}x)"))


if __name__ == "__main__":
    main()
