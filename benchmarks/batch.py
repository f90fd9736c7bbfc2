"""Batch triage throughput on one core: presentations per second with and without explanations,
for the compiled engine (the default) and the SPARQL engine, on the same generated cohort.

    python benchmarks/batch.py [--n 20000]
"""
from __future__ import annotations

import argparse
import io
import json
import random
import time

from mskg.cli.render import triage_dict
from mskg.kg.load import load_compiled, load_graph
from mskg.kg.resolve import PRESENTATION_ROOTS, resolver_for
from mskg.queries.triage.batch import BatchTriage, read_records
from mskg.queries.triage.compiled import CompiledTriageEngine
from mskg.queries.triage.sparql import engine_for


def cohort(n: int, seed: int = 11) -> str:
    concepts = sorted((c for c in load_compiled().concepts if c.root in PRESENTATION_ROOTS), key=lambda c: c.id)
    rng = random.Random(seed)
    durations = [None, "2d", "8d", "15d", "30d", "6w"]
    trends = [None, "improving", "unchanged", "worsening"]
    lines = []
    for i in range(n):
        record = {"id": i, "findings": [rng.choice(c.synonyms or (c.label,)) for c in rng.sample(concepts, rng.randint(1, 4))]}
        if (d := rng.choice(durations)) is not None:
            record["duration"] = d
        if (t := rng.choice(trends)) is not None:
            record["trend"] = t
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def rate(engine, resolver, text: str, explain: bool) -> tuple[float, int]:
    import orjson

    batch = BatchTriage(engine, resolver, explain)
    sink = io.BytesIO()
    start = time.perf_counter()
    count = 0
    for number, record in read_records(io.StringIO(text), "jsonl"):
        result = batch.run(number, record)
        data = {"id": record.get("id"), "line": number}
        data.update(triage_dict(result))
        sink.write(orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE))
        count += 1
    return count / (time.perf_counter() - start), count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--sparql-n", type=int, default=300)
    args = parser.parse_args()
    kb = load_compiled()
    compiled = CompiledTriageEngine(kb)
    text = cohort(args.n)
    print(f"mskg batch benchmark — {args.n} generated presentations (1-4 findings, varied duration/trend), one core")
    no_explain, n = rate(compiled, kb.resolver, text, explain=False)
    with_explain, _ = rate(compiled, kb.resolver, text, explain=True)
    print(f"  compiled, no explanations   {no_explain:9.0f} /s   (target >= 20000)")
    print(f"  compiled, with explanations {with_explain:9.0f} /s   (target >= 5000)")
    graph = load_graph()
    small = "".join(text.splitlines(keepends=True)[: args.sparql_n])
    sparql_rate, _ = rate(engine_for(graph), resolver_for(graph), small, explain=False)
    print(f"  sparql (Oxigraph), no explanations {sparql_rate:6.0f} /s   "
          f"compiled is {no_explain / sparql_rate:.0f}x faster")


if __name__ == "__main__":
    main()
