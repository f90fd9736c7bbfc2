"""Glue to owlready2: load the built graph (as RDF/XML) into an isolated World, as Protégé users would open it."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from .namespaces import ONTOLOGY_IRI


@dataclass(frozen=True)
class OwlLoadReport:
    """What owlready2 saw after loading: counts of classes, individuals and properties."""

    classes: int
    individuals: int
    object_properties: int
    data_properties: int
    annotation_properties: int


class OwlLoadError(RuntimeError):
    """owlready2 could not load the RDF/XML."""


def to_rdfxml(graph: Graph) -> bytes:
    """Serialise a graph as RDF/XML, the form owlready2 and Protégé read."""
    return graph.serialize(format="xml", encoding="utf-8")


def load_in_owlready(graph: Graph) -> OwlLoadReport:
    """Load ``graph`` into a fresh owlready2 World (nothing leaks between calls) and count what it holds."""
    import owlready2  # heavy: only the OWL check pays for it

    with tempfile.TemporaryDirectory(prefix="mskg-owl-") as tmp:
        path = Path(tmp) / "mskg.owl"
        path.write_bytes(to_rdfxml(graph))
        world = owlready2.World()
        try:
            onto = world.get_ontology(path.as_uri()).load()
        except Exception as exc:  # owlready2 raises many kinds; all mean "does not load"
            raise OwlLoadError(f"owlready2 could not load the ontology: {exc}") from exc
        if onto.base_iri.rstrip("#/") != str(ONTOLOGY_IRI) and world.get_ontology(str(ONTOLOGY_IRI)) is None:
            raise OwlLoadError(f"owlready2 loaded an ontology with base IRI {onto.base_iri}, not {ONTOLOGY_IRI}")
        report = OwlLoadReport(
            classes=len(list(world.classes())),
            individuals=len(list(world.individuals())),
            object_properties=len(list(world.object_properties())),
            data_properties=len(list(world.data_properties())),
            annotation_properties=len(list(world.annotation_properties())),
        )
        world.close()
    return report
