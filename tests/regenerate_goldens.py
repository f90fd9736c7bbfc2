"""Rewrite tests/golden/*.json from the current graph: run by hand after a deliberate change, then review the diff.

    python tests/regenerate_goldens.py

A golden file holds a named query's variables and its rows as canonical cells (see
mskg.queries.engine.cell); tests compare them as sets. Queries about a presentation are run with the
presentation in tests/golden/PRESENTATION (saddle numbness and low back pain, fever absent, 3 days).
"""
from __future__ import annotations

import json
from pathlib import Path

from mskg.kg.load import load_graph
from mskg.queries import TRIAGE_QUERIES, query_names, query_text
from mskg.queries.engine import OxigraphEngine, QueryResult, cell

GOLDEN = Path(__file__).resolve().parent / "golden"
PRESENTATION = {"findings": ["saddle numbness", "low back pain"], "absent": ["fever"], "duration": "3d",
                "rule": "https://w3id.org/mskg/id/rf-bilateral-leg-symptoms"}


def presentation_engine() -> OxigraphEngine:
    """An Oxigraph engine over the graph plus the golden presentation's triples."""
    from mskg.queries.triage.records import make_presentation

    graph = load_graph()
    p = make_presentation(graph, PRESENTATION["findings"], PRESENTATION["absent"], PRESENTATION["duration"])
    data = graph.serialize(format="nt", encoding="utf-8") + p.triples().serialize(format="nt", encoding="utf-8")
    return OxigraphEngine(ntriples=data)


def golden_rows(result: QueryResult) -> dict:
    rows = sorted(([cell(t) for t in row] for row in result.rows), key=lambda r: json.dumps(r))
    return {"variables": result.variables, "rows": rows}


def main() -> None:
    from rdflib import URIRef

    plain = OxigraphEngine(load_graph())
    with_presentation = presentation_engine()
    for name in query_names():
        if name in TRIAGE_QUERIES:
            bindings = {"rule": URIRef(PRESENTATION["rule"])} if name == "rule_criteria" else None
            result = with_presentation.query(query_text(name), bindings)
        else:
            result = plain.query(query_text(name))
        path = GOLDEN / f"{name}.json"
        path.write_text(json.dumps(golden_rows(result), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{path.name}: {len(result.rows)} rows")


if __name__ == "__main__":
    main()
