"""``mskg validate``: provenance, SHACL and OWL checks of the knowledge base, as one report."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Check:
    """One named check: whether it passed, a one-line summary, and details when it failed."""

    name: str
    ok: bool
    summary: str
    details: list[str] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Every check run by ``validate_all``; clean when all passed."""

    checks: list[Check]

    @property
    def clean(self) -> bool:
        return all(check.ok for check in self.checks)


def validate_all() -> ValidationReport:
    """Check the packaged facts: quotes verbatim at their offsets, SHACL shapes, and that owlready2 loads it.

    Later checks are skipped (and reported as such) when the facts cannot be built at all.
    """
    from ..ontology.owl import OwlLoadError, load_in_owlready
    from ..ontology.shacl import validate_shapes
    from .build import BuildError, build_graph
    from .facts import FactsError, iter_evidence, load_facts
    from .provenance import ProvenanceError, verify
    from .terminology import TerminologyError

    checks: list[Check] = []
    try:
        facts = load_facts()
        quotes = sum(1 for _ in iter_evidence(facts))
        verify(facts)
        checks.append(Check("provenance", True, f"{quotes} quotes verbatim in the article at their offsets"))
    except ProvenanceError as exc:
        checks.append(Check("provenance", False, f"{len(exc.problems)} quote(s) do not hold",
                            [str(p) for p in exc.problems]))
        return ValidationReport(checks)
    except FactsError as exc:
        checks.append(Check("provenance", False, "the facts file is malformed", [str(exc)]))
        return ValidationReport(checks)
    try:
        graph = build_graph(facts)
    except (BuildError, TerminologyError) as exc:
        checks.append(Check("build", False, "the facts cannot be built into a graph", [str(exc)]))
        return ValidationReport(checks)
    report = validate_shapes(graph)
    if report.conforms:
        checks.append(Check("shacl", True, f"{len(graph)} triples conform to the SHACL shapes"))
    else:
        checks.append(Check("shacl", False, f"{len(report.violations)} SHACL violation(s)",
                            [str(v) for v in report.violations]))
    try:
        owl = load_in_owlready(graph)
        checks.append(Check("owl", True, f"owlready2 loads it: {owl.classes} classes, {owl.individuals} individuals, "
                                         f"{owl.object_properties} object properties"))
    except OwlLoadError as exc:
        checks.append(Check("owl", False, "owlready2 cannot load the ontology", [str(exc)]))
    return ValidationReport(checks)
