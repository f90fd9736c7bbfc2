"""Browsing commands for educators: ``mskg browse``, ``mskg tree``, ``mskg export``."""
from __future__ import annotations

import json
import sys
import textwrap

import click

from ..queries.triage.records import DISCLAIMER


def _resolve_any(graph, text: str):
    """A concept by id, label, synonym or code; failing that a rule or action; else exit 2 with the closest."""
    from ..kg.resolve import ResolutionError, resolver_for
    from .targets import resolve_target
    from .triage import _bad_input

    resolver = resolver_for(graph)
    try:
        return resolver.resolve(text, roots=None).iri
    except ResolutionError as concept_error:
        try:
            iri, _ = resolve_target(graph, text)
            return iri
        except ResolutionError:
            _bad_input(ResolutionError(text, "unknown concept", concept_error.candidates), triage=False)


def _card_text(card) -> str:
    out = [f"{card.label}  [{card.type}]  {card.id}"]
    if card.definition:
        out += textwrap.wrap(card.definition, 100, initial_indent="  ", subsequent_indent="  ")
    article = [s for s in card.synonyms if s in card.article_wordings]
    curator = [s for s in card.synonyms if s not in card.article_wordings]
    if article:
        out += textwrap.wrap("In the article's words: " + "; ".join(article), 100, subsequent_indent="    ")
    if curator:
        out += textwrap.wrap("Also called (everyday and clinical terms added by the curator): " + "; ".join(curator),
                             100, subsequent_indent="    ")
    if card.mappings:
        out.append("Codes: " + "; ".join(f"{system} {code} ({match})" for system, code, match, _ in card.mappings))
    if card.parents:
        out.append("Is a kind of: " + "; ".join(f"{p.label} ({p.id})" for p in card.parents))
    if card.children:
        out.append("Kinds: " + "; ".join(f"{c.label} ({c.id})" for c in card.children))
    for title, group in (("Relationships", card.outgoing), ("Referred to by", card.incoming)):
        if group:
            out.append("")
            out.append(f"{title}:")
            for label in sorted(group):
                out.append(f"  {label}:")
                for r in group[label]:
                    note = f" → {r.note}" if r.note else ""
                    out.append(f"    - {r.label} [{r.type}{note}] ({r.id})")
    if card.statistics:
        out.append("")
        out.append("Statistics:")
        for s in card.statistics:
            out.append(f"  - {s['label']} ({s['source']})")
            out += textwrap.wrap(f"“{s['quote']}”", 100, initial_indent="      ", subsequent_indent="      ")
            out.append(f"        — {s['section']}, characters {s['start']}–{s['end']}")
    if card.evidence:
        out.append("")
        out.append("In the article's words:")
        for e in card.evidence:
            out += textwrap.wrap(f"“{e.quote}”", 100, initial_indent="  ", subsequent_indent="  ")
            out.append(f"    — {e.section}, characters {e.start}–{e.end}")
    for prop, note in card.interpretations:
        out += textwrap.wrap(f"Curator's interpretation ({prop}): {note}", 100)
    out.append("")
    out.append(DISCLAIMER)
    return "\n".join(out)


def _card_json(card) -> dict:
    def rel(r):
        return {"id": r.id, "label": r.label, "type": r.type, **({"urgency": r.note} if r.note else {})}

    return {
        "id": card.id, "iri": card.iri, "label": card.label, "type": card.type, "definition": card.definition,
        "synonyms": card.synonyms, "article_wordings": card.article_wordings,
        "mappings": [{"system": s, "code": c, "match": m, "iri": i} for s, c, m, i in card.mappings],
        "parents": [rel(p) for p in card.parents], "children": [rel(c) for c in card.children],
        "outgoing": {k: [rel(r) for r in v] for k, v in sorted(card.outgoing.items())},
        "incoming": {k: [rel(r) for r in v] for k, v in sorted(card.incoming.items())},
        "statistics": card.statistics,
        "evidence": [e.as_dict() for e in card.evidence],
        "interpretations": [{"property": p, "note": n} for p, n in card.interpretations],
        "disclaimer": DISCLAIMER,
    }


@click.command()
@click.argument("concept")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def browse(concept, fmt):
    """A concept card: label, synonyms, definition, codes, parents and children, every relationship in and
    out, statistics, and the article's words. CONCEPT is an id, label, synonym or SNOMED CT code (or a rule
    or action id)."""
    from ..kg.load import load_graph
    from ..queries.site.browse import concept_card

    graph = load_graph()
    card = concept_card(graph, _resolve_any(graph, concept))
    click.echo(json.dumps(_card_json(card), indent=2, ensure_ascii=False) if fmt == "json" else _card_text(card))


@click.command()
@click.argument("root", required=False, default="ClinicalConcept")
def tree(root):
    """The class hierarchy under ROOT (default: every clinical concept) as an indented tree.

    ROOT is an ontology class (Condition, ClinicalFinding, Symptom, Action, …) or a concept."""
    from ..kg.load import load_graph
    from ..ontology.namespaces import MSKG
    from ..queries.site.browse import hierarchy

    graph = load_graph()
    start = MSKG[root] if (MSKG[root], None, None) in graph else _resolve_any(graph, root)
    for depth, node_id, label, _ in hierarchy(graph, start):
        click.echo(f"{'  ' * depth}{label}  ({node_id})")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["graphml", "cytoscape", "dot", "mermaid", "turtle"]),
              required=True, help="graphml (Gephi, yEd), cytoscape (Cytoscape JSON), dot (Graphviz), mermaid (slides), turtle.")
@click.option("--concept", metavar="CONCEPT", help="Export only this concept's neighbourhood.")
@click.option("--depth", default=1, show_default=True, type=click.IntRange(1, 6), help="Neighbourhood radius (hops).")
def export(fmt, concept, depth):
    """Export the knowledge graph (or one concept's neighbourhood) with labels, types and evidence as attributes."""
    from ..kg.load import load_graph
    from ..queries.site.browse import knowledge_graph, knowledge_triples

    graph = load_graph()
    center = _resolve_any(graph, concept) if concept else None
    g = knowledge_graph(graph, center, depth)
    if fmt == "graphml":
        import networkx as nx

        click.echo("\n".join(nx.generate_graphml(g, prettyprint=True)))
    elif fmt == "cytoscape":
        import networkx as nx

        for node, data in g.nodes(data=True):
            data.setdefault("name", data["label"])
        click.echo(json.dumps(nx.cytoscape_data(g), indent=1, ensure_ascii=False))
    elif fmt == "dot":
        from .render import graph_dot

        click.echo(graph_dot(g))
    elif fmt == "mermaid":
        from .render import graph_mermaid

        click.echo(graph_mermaid(g))
    else:
        sys.stdout.buffer.write(knowledge_triples(graph, set(g.nodes)).serialize(format="turtle", encoding="utf-8"))
