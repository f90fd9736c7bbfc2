"""The mskg query layer: named SPARQL queries (one question per ``.rq`` file) and running them on a graph."""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files

from rdflib import Graph
from rdflib.query import Result

from ..ontology.namespaces import NAMESPACES


class UnknownQueryError(KeyError):
    """No packaged query has that name."""


#: Queries that answer about a presentation (an mskg:Presentation in the queried data), used by triage.
TRIAGE_QUERIES = frozenset({"triage_rules", "triage_matches", "red_flag_screen", "rule_criteria"})


@dataclass(frozen=True)
class QueryInfo:
    """A named query's header: title, the question in plain words, parameters and result columns."""

    name: str
    title: str
    question: str
    parameters: tuple[str, ...]
    columns: str
    text: str


def query_info(name: str) -> QueryInfo:
    """Parse the header comment of a packaged query (``# title:``, ``# question:``, ``# parameters:``, ``# columns:``)."""
    text = query_text(name)
    fields: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        match = re.match(r"^(title|question|parameters|columns):\s*(.*)$", body)
        if match:
            current = match.group(1)
            fields[current] = match.group(2)
        elif current:
            fields[current] += " " + body
    params = tuple(dict.fromkeys(re.findall(r"\?([A-Za-z_][A-Za-z0-9_]*)", fields.get("parameters", ""))))
    return QueryInfo(name, fields.get("title", name), fields.get("question", ""), params,
                     fields.get("columns", ""), text)


def query_names() -> list[str]:
    """Names of the packaged queries, sorted."""
    return sorted(p.name[:-3] for p in files(__package__).iterdir() if p.name.endswith(".rq"))


def query_text(name: str) -> str:
    """The SPARQL text of a packaged query."""
    resource = files(__package__).joinpath(f"{name}.rq")
    if not resource.is_file():
        raise UnknownQueryError(f"no query named {name!r}; known: {', '.join(query_names())}")
    return resource.read_text(encoding="utf-8")


def run_query(graph: Graph, name: str) -> Result:
    """Run a packaged query on ``graph``, with the mskg prefixes predeclared."""
    return graph.query(query_text(name), initNs=dict(NAMESPACES))
