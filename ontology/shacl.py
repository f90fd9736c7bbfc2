"""SHACL validation of a built graph with pySHACL, returned as a small record (pySHACL is imported lazily)."""
from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph

from . import shapes_text


@dataclass(frozen=True)
class ShapeViolation:
    """One failed constraint: the node, the property path, and the message."""

    focus: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.focus} {self.path}: {self.message}"


@dataclass(frozen=True)
class ShapeReport:
    """The result of validating a graph: whether it conforms, each violation, and pySHACL's text report."""

    conforms: bool
    violations: tuple[ShapeViolation, ...]
    text: str


def load_shapes() -> Graph:
    """Parse the packaged SHACL shapes."""
    return Graph().parse(data=shapes_text(), format="turtle")


def validate_shapes(graph: Graph, shapes: Graph | None = None) -> ShapeReport:
    """Validate ``graph`` (ontology + instances) against the mskg shapes."""
    import pyshacl  # heavy: only validation pays for it
    from rdflib import RDF, URIRef
    from rdflib.namespace import SH

    conforms, results, text = pyshacl.validate(
        graph, shacl_graph=shapes if shapes is not None else load_shapes(), inference="none", allow_warnings=False
    )
    def name(node: object) -> str:
        if isinstance(node, URIRef):
            return graph.namespace_manager.normalizeUri(node)
        return "?" if node is None else "(property path)"

    violations = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        message = results.value(result, SH.resultMessage)
        violations.append(
            ShapeViolation(
                name(results.value(result, SH.focusNode)),
                name(results.value(result, SH.resultPath)),
                str(message) if message is not None else "constraint violated",
            )
        )
    return ShapeReport(bool(conforms), tuple(sorted(violations, key=str)), text)
