"""Compare tests/golden/*.json with what the current graph answers; rewrite them only when told to.

    python tests/regenerate_goldens.py           # print what would change, rows added and removed; exit 1 if any
    python tests/regenerate_goldens.py --write   # after reviewing it: write the new goldens

A golden regenerated from the code under test proves nothing by itself: every golden change needs a
reviewed reason in its commit message (which rows changed, and why that is right by the article). The
independent expectations (tests/test_article_expectations.py, tests/test_policy.py) do not come from here.

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


def _rows(data: dict) -> set[str]:
    return {json.dumps(row, ensure_ascii=False) for row in data["rows"]}


def main(argv: list[str] | None = None) -> int:
    import sys

    from rdflib import URIRef

    write = "--write" in (sys.argv[1:] if argv is None else argv)
    plain = OxigraphEngine(load_graph())
    with_presentation = presentation_engine()
    changed = []
    for name in query_names():
        if name in TRIAGE_QUERIES:
            bindings = {"rule": URIRef(PRESENTATION["rule"])} if name == "rule_criteria" else None
            result = with_presentation.query(query_text(name), bindings)
        else:
            result = plain.query(query_text(name))
        new = golden_rows(result)
        path = GOLDEN / f"{name}.json"
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"variables": None, "rows": []}
        if old == new:
            continue
        changed.append(path)
        print(f"{path.name}: {len(old['rows'])} -> {len(new['rows'])} rows")
        if old["variables"] != new["variables"]:
            print(f"  variables: {old['variables']} -> {new['variables']}")
        for row in sorted(_rows(old) - _rows(new)):
            print(f"  - {row}")
        for row in sorted(_rows(new) - _rows(old)):
            print(f"  + {row}")
        if write:
            path.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if not changed:
        print("every golden matches the current graph")
        return 0
    if write:
        print(f"wrote {len(changed)} golden(s): give the reason for each change in the commit message")
        return 0
    print(f"{len(changed)} golden(s) would change; nothing written. Review the rows above against the article, "
          "then rerun with --write and say why in the commit.")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
