"""The educators' site: every page generated from the one graph, served by ``mskg serve`` and written by
``mskg docs`` — the same bytes, relative links, no CDN, no external fonts or scripts.

Layout: ``index.html`` (search, the hierarchy, red flags by urgency), ``c/<id>.html`` (one page per
concept, rule or action), ``query.html`` (run a library query against ``sparql``), ``style.css`` and
``site.js``. The search index is inlined in ``index.html``, so search works from a file as well.
"""
from __future__ import annotations

import html
import json
import math
from importlib.resources import files

from rdflib import RDF, SKOS, Graph, URIRef

from ...ontology.namespaces import ID, MSKG
from .browse import SCAFFOLDING, TYPE_COLOURS, ConceptCard, concept_card, hierarchy, knowledge_graph
from ..triage.explain import view_for
from ..triage.records import DISCLAIMER


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _asset(name: str) -> bytes:
    return files("mskg.queries.site.assets").joinpath(name).read_bytes()


def _page(title: str, body: str, depth: int) -> bytes:
    up = "../" * depth
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} — mskg</title>
<link rel="stylesheet" href="{up}style.css">
</head><body>
<header><a class="home" href="{up}index.html">mskg</a> · sports back and elbow pain, from one article
<a href="{up}query.html">query</a> <a href="{up}hazards.html">hazard log</a></header>
<p class="notice" role="note">{_e(DISCLAIMER)}</p>
<main>
{body}
</main>
<script src="{up}site.js"></script>
</body></html>
""".encode("utf-8")


def _link(node_id: str, label: str, prefix: str = "") -> str:
    """A link to an entity page; entities whose id has a path (care stages) have no page of their own."""
    if "/" in node_id:
        return _e(label)
    return f'<a href="{prefix}{_e(node_id)}.html">{_e(label)}</a>'


def _quotes(excerpts) -> str:
    return "".join(
        f'<blockquote><p>“{_e(e.quote)}”</p><cite>{_e(e.section)}, characters {e.start}–{e.end}</cite></blockquote>'
        for e in excerpts)


def _svg(graph: Graph, center: URIRef, limit: int = 24) -> str:
    """The concept's neighbourhood as an SVG: itself in the middle, its neighbours on a circle, edges labelled."""
    g = knowledge_graph(graph, center, 1)
    me = str(center)[len(str(ID)):]
    others = sorted((n for n in g.nodes if n != me), key=lambda n: (g.nodes[n]["type"], g.nodes[n]["label"]))
    hidden = max(0, len(others) - limit)
    others = others[:limit]
    width, height, radius = 960, 640, 250
    pos = {me: (width / 2, height / 2)}
    for i, node in enumerate(others):
        angle = 2 * math.pi * i / max(1, len(others)) - math.pi / 2
        pos[node] = (width / 2 + radius * 1.45 * math.cos(angle), height / 2 + radius * math.sin(angle))
    parts = [f'<svg class="neighbourhood" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Neighbourhood of {_e(g.nodes[me]["label"])}" xmlns="http://www.w3.org/2000/svg">']
    drawn: set[frozenset] = set()
    for u, v, data in g.edges(data=True):
        if u in pos and v in pos and u != v and frozenset((u, v)) not in drawn:
            drawn.add(frozenset((u, v)))
            (x1, y1), (x2, y2) = pos[u], pos[v]
            parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" class="edge"/>')
            parts.append(f'<text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 3:.0f}" class="edge-label">'
                         f'{_e(data["label"])}</text>')
    for node, (x, y) in pos.items():
        data = g.nodes[node]
        label = data["label"] if len(data["label"]) <= 30 else data["label"][:29] + "…"
        colour = TYPE_COLOURS.get(data["type"], "#ffffff")
        w = max(90, 7 * len(label) + 16)
        opening = "" if "/" in node else f'<a href="{_e(node)}.html" aria-label="{_e(data["label"])}">'
        parts.append(f'{opening}<g class="node{" center" if node == me else ""}">'
                     f'<rect x="{x - w / 2:.0f}" y="{y - 20:.0f}" width="{w}" height="40" rx="8" fill="{colour}"/>'
                     f'<text x="{x:.0f}" y="{y - 3:.0f}">{_e(label)}</text>'
                     f'<text x="{x:.0f}" y="{y + 13:.0f}" class="type">{_e(data["type"])}</text></g>'
                     + ("" if "/" in node else "</a>"))
    parts.append("</svg>")
    if hidden:
        parts.append(f'<p class="hint">{hidden} more related items are listed below.</p>')
    return "".join(parts)


def _relations(title: str, group: dict) -> str:
    if not group:
        return ""
    rows = []
    for label in sorted(group):
        items = "".join(f"<li>{_link(r.id, r.label) if r.page else _e(r.label)} <span class=type>{_e(r.type)}"
                        f"{(' → ' + _e(r.note)) if r.note else ''}</span></li>" for r in group[label])
        rows.append(f"<dt>{_e(label)}</dt><dd><ul>{items}</ul></dd>")
    return f"<h2>{_e(title)}</h2><dl class=relations>{''.join(rows)}</dl>"


def _rule_paths(graph: Graph, rule: URIRef) -> str:
    """A red flag's explanation: from each trigger to the flag, its urgency and its actions, with the quotes."""
    view = view_for(graph)
    out = []
    urgency = graph.value(rule, MSKG.setsUrgency)
    actions = sorted(graph.objects(rule, MSKG.callsFor), key=str)
    for trigger in sorted(graph.objects(rule, MSKG.hasTrigger), key=lambda t: view.g.nodes[t]["label"]):
        steps = [(trigger, None)]
        steps.append((rule, "triggers"))
        steps.append((urgency, "sets urgency"))
        items = []
        seen = set()
        for node, edge in steps:
            data = view.g.nodes[node]
            fresh = [e for e in data["excerpts"] if (e.start, e.end) not in seen]
            seen.update((e.start, e.end) for e in fresh)
            arrow = f'<span class="edge">{_e(edge)} →</span> ' if edge else ""
            items.append(f'<li>{arrow}{_link(str(node)[len(str(ID)):], data["label"])} '
                         f'<span class=type>{_e(data["type"])}</span>{_quotes(fresh)}</li>')
        for action in actions:
            data = view.g.nodes[action]
            items.append(f'<li><span class="edge">calls for →</span> {_link(str(action)[len(str(ID)):], data["label"])} '
                         f'<span class=type>{_e(data["type"])}</span>{_quotes(data["excerpts"])}</li>')
        out.append(f'<li class="path"><ol class="steps">{"".join(items)}</ol></li>')
    return f'<h2>Why it fires: from each trigger to what to do</h2><ul class="paths">{"".join(out)}</ul>'


def concept_page(graph: Graph, iri: URIRef) -> bytes:
    card: ConceptCard = concept_card(graph, iri)
    parts = [f"<h1>{_e(card.label)}</h1>", f'<p class="kind">{_e(card.type)} · <code>{_e(card.id)}</code></p>']
    if card.definition:
        parts.append(f'<p class="definition">{_e(card.definition)}</p>')
    article = [s for s in card.synonyms if s in card.article_wordings]
    curator = [s for s in card.synonyms if s not in card.article_wordings]
    if article:
        parts.append('<p class="synonyms"><strong>In the article\'s words:</strong> '
                     + "; ".join(_e(s) for s in article) + "</p>")
    if curator:
        parts.append('<p class="synonyms"><strong>Also called</strong> (everyday and clinical terms added by the '
                     'curator): ' + "; ".join(_e(s) for s in curator) + "</p>")
    if card.mappings:
        parts.append("<p><strong>Codes:</strong> " + "; ".join(
            f'{_e(system)} <a href="{_e(iri_)}" rel="external">{_e(code)}</a> ({_e(match)})'
            for system, code, match, iri_ in card.mappings) + "</p>")
    if card.parents:
        parts.append("<p><strong>Is a kind of:</strong> " + "; ".join(
            _link(p.id, p.label) if p.page else _e(p.label) for p in card.parents) + "</p>")
    if card.children:
        parts.append("<p><strong>Kinds:</strong> " + "; ".join(
            _link(c.id, c.label) if c.page else _e(c.label) for c in card.children) + "</p>")
    parts.append(_svg(graph, iri))
    if (iri, RDF.type, MSKG.RedFlag) in graph or any(
            t in (MSKG.EscalationRule, MSKG.SelfCareRule) for t in graph.objects(iri, RDF.type)):
        parts.append(_rule_paths(graph, iri))
    parts.append(_relations("Relationships", card.outgoing))
    parts.append(_relations("Referred to by", card.incoming))
    if card.statistics:
        parts.append("<h2>Statistics</h2><ul>" + "".join(
            f'<li>{_link(s["id"], s["label"])} ({_e(s["source"])})<blockquote><p>“{_e(s["quote"])}”</p>'
            f'<cite>{_e(s["section"])}, characters {s["start"]}–{s["end"]}</cite></blockquote></li>'
            for s in card.statistics) + "</ul>")
    if card.evidence:
        parts.append("<h2>In the article's words</h2>" + _quotes(card.evidence))
    for prop, note in card.interpretations:
        parts.append(f'<p class="interpretation"><strong>Curator\'s interpretation ({_e(prop)}):</strong> {_e(note)}</p>')
    return _page(card.label, "\n".join(parts), depth=1)


def _tree_html(graph: Graph) -> str:
    rows = hierarchy(graph, MSKG.ClinicalConcept)
    out, stack = [], []
    for i, (depth, node_id, label, kind) in enumerate(rows):
        while stack and stack[-1] >= depth:
            out.append("</ul></details></li>" if stack.pop() is not None else "")
        has_children = i + 1 < len(rows) and rows[i + 1][0] > depth
        name = _e(label) if kind == "class" else _link(node_id, label, "c/")
        if has_children:
            out.append(f"<li><details{' open' if depth == 0 else ''}><summary>{name}</summary><ul>")
            stack.append(depth)
        else:
            out.append(f"<li>{name}</li>")
    while stack:
        stack.pop()
        out.append("</ul></details></li>")
    return '<ul class="tree">' + "".join(out) + "</ul>"


def index_page(graph: Graph) -> bytes:
    levels = sorted(graph.subjects(RDF.type, MSKG.UrgencyLevel), key=lambda u: -int(graph.value(u, MSKG.rank)))
    overview = []
    for level in levels:
        flags = sorted((r for r in graph.subjects(MSKG.setsUrgency, level) if (r, RDF.type, MSKG.RedFlag) in graph),
                       key=lambda r: str(graph.value(r, SKOS.prefLabel)))
        if flags:
            overview.append(f"<h3>{_e(graph.value(level, SKOS.prefLabel))} — {_e(graph.value(level, SKOS.definition))}</h3><ul>"
                            + "".join(f"<li>{_link(str(r)[len(str(ID)):], graph.value(r, SKOS.prefLabel), 'c/')}</li>"
                                      for r in flags) + "</ul>")
    inline_index = search_index(graph).decode("utf-8").replace("</", "<\\/")
    body = f"""<h1>Sports back and elbow pain: the concepts, the red flags, the evidence</h1>
<section class="search"><label for="q">Search by the words people use</label>
<input id="q" type="search" autocomplete="off" placeholder="e.g. saddle numbness, tennis elbow, pins and needles">
<ul id="results" aria-live="polite"></ul></section>
<script type="application/json" id="search-index">{inline_index}</script>
<section><h2>Red flags by urgency</h2>{''.join(overview)}</section>
<section><h2>Concepts</h2>{_tree_html(graph)}</section>"""
    return _page("mskg", body, depth=0)


def search_index(graph: Graph) -> bytes:
    from ...kg.resolve import resolver_for

    entries = [{"id": c.id, "label": c.label, "type": c.type, "synonyms": list(c.synonyms)}
               for c in sorted(resolver_for(graph).concepts.values(), key=lambda c: c.label.casefold())]
    view = view_for(graph)
    for rule in sorted(graph.subjects(MSKG.setsUrgency, None), key=str):
        entries.append({"id": str(rule)[len(str(ID)):], "label": view.g.nodes[rule]["label"],
                        "type": view.g.nodes[rule]["type"], "synonyms": []})
    return json.dumps(entries, ensure_ascii=False).encode("utf-8")


def query_page() -> bytes:
    from .. import query_info, query_names

    library = {n: {"title": query_info(n).title, "text": query_info(n).text} for n in query_names()}
    options = "".join(f'<option value="{_e(n)}">{_e(n)} — {_e(i["title"])}</option>' for n, i in library.items())
    inline_library = json.dumps(library).replace("</", "<\\/")
    body = f"""<h1>Query the knowledge graph</h1>
<p>Open a query from the library, edit it, and run it against this server's read-only SPARQL endpoint
(<code>sparql</code>). From a static copy of these pages, start <code>mskg serve</code> to run queries.</p>
<label for="library">Library</label> <select id="library">{options}</select>
<textarea id="sparql" rows="16" spellcheck="false"></textarea>
<button id="run" type="button">Run</button> <span id="status" aria-live="polite"></span>
<div id="table"></div>
<script type="application/json" id="queries">{inline_library}</script>"""
    return _page("Query", body, depth=0)


def hazards_page() -> bytes:
    """The clinical hazard log (kg/hazards.yaml): what could go wrong, how it is mitigated, which tests prove it."""
    import yaml

    hazards = yaml.safe_load(files("mskg.kg").joinpath("hazards.yaml").read_text(encoding="utf-8"))["hazards"]
    rows = "".join(
        f"<tr><th scope=\"row\">{_e(h['id'])}</th><td><strong>{_e(h['title'])}</strong><br>{_e(h['cause'])} "
        f"<em>Effect:</em> {_e(h['effect'])}</td><td>{_e(h['severity'])} / {_e(h['likelihood'])}</td>"
        f"<td>{_e(h['mitigation'])}</td><td>{'<br>'.join(_e(t) for t in h['tests'])}</td><td>{_e(h['status'])}</td></tr>"
        for h in hazards)
    body = ("<h1>Clinical hazard log</h1><p>What could go wrong for a person using mskg, in the manner of DCB0129: "
            "cause and effect, severity and likelihood before mitigation, the mitigation, and the tests that "
            "prove it. Open hazards await clinical sign-off.</p>"
            "<table><thead><tr><th>id</th><th>hazard</th><th>severity / likelihood</th><th>mitigation</th>"
            f"<th>proved by</th><th>status</th></tr></thead><tbody>{rows}</tbody></table>")
    return _page("Clinical hazard log", body, depth=0)


def build_site(graph: Graph) -> dict[str, tuple[str, bytes]]:
    """Every page and asset of the site: relative path -> (media type, bytes)."""
    site = {
        "index.html": ("text/html; charset=utf-8", index_page(graph)),
        "query.html": ("text/html; charset=utf-8", query_page()),
        "hazards.html": ("text/html; charset=utf-8", hazards_page()),
        "style.css": ("text/css; charset=utf-8", _asset("style.css")),
        "site.js": ("text/javascript; charset=utf-8", _asset("site.js")),
    }
    view = view_for(graph)
    for node, data in view.g.nodes(data=True):
        node_id = str(node)[len(str(ID)):]
        if str(node).startswith(str(ID)) and data["type"] not in SCAFFOLDING and "/" not in node_id:
            site[f"c/{node_id}.html"] = ("text/html; charset=utf-8", concept_page(graph, node))
    return site
