"""The mskg vocabulary: namespaces, the OWL ontology and the SHACL shapes that constrain the graph."""
from __future__ import annotations

from importlib.resources import files

from rdflib import Graph

from .namespaces import ID, MSKG, NAMESPACES, ONTOLOGY_IRI

__all__ = ["ID", "MSKG", "NAMESPACES", "ONTOLOGY_IRI", "ontology_text", "shapes_text", "load_ontology"]

ONTOLOGY_FILE = "mskg.ttl"
SHAPES_FILE = "shapes.ttl"


def ontology_text() -> str:
    """Return the human-edited ontology source (Turtle)."""
    return files(__package__).joinpath(ONTOLOGY_FILE).read_text(encoding="utf-8")


def shapes_text() -> str:
    """Return the SHACL shapes (Turtle) that every built graph must satisfy."""
    return files(__package__).joinpath(SHAPES_FILE).read_text(encoding="utf-8")


def load_ontology() -> Graph:
    """Parse the ontology into a fresh rdflib graph."""
    graph = Graph()
    graph.parse(data=ontology_text(), format="turtle")
    return graph
