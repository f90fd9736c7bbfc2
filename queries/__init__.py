"""The mskg query layer: named SPARQL queries (one question per ``.rq`` file) and running them on a graph."""
from __future__ import annotations

from importlib.resources import files

from rdflib import Graph
from rdflib.query import Result

from ..ontology.namespaces import NAMESPACES


class UnknownQueryError(KeyError):
    """No packaged query has that name."""


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
