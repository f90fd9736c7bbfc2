"""Formal reasoning with owlready2: the triage rules read as OWL defined classes, and a reasoner to classify.

For every triage rule R the graph holds, :func:`defined_classes` writes ``id:fires/R`` as

    id:fires/R ≡ mskg:Presentation ⊓ ∃mskg:hasFinding.(F1 ⊔ F2 …)   (one conjunct per criterion)
                                   ⊓ ∃mskg:durationDays.xsd:decimal[≥ d]   (if R has a duration threshold)
                                   ⊓ ∃mskg:trend.{T1, T2 …}                (if R requires a trend; with every
                                                                            trend implying one, mskg:impliesTrend)

and one class per urgency level (``mskg:EmergencyPresentation`` ≡ the union of the ``id:fires/R`` whose R
sets emergency, …) plus ``mskg:TrainingStopPresentation`` (the union over red flags). A presentation is an
individual with one finding individual per reported concept (typed with the concept's class, so the
concept hierarchy does what ``rdfs:subClassOf*`` does in SPARQL), its duration as an xsd:decimal and its
trend. The reasoner (HermiT by default) then classifies presentations without any of the SPARQL rules:
a second engine that must agree with the first.

Everything runs in a fresh owlready2 World (nothing leaks between runs), with the reasoner inside the
ontology's context so that inferences land in it. Java is needed: without it, a ``ReasonerUnavailable``.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .namespaces import ID, MSKG, NAMESPACES

REASONERS = ("hermit", "pellet")
TRAINING_STOP = MSKG.TrainingStopPresentation
PELLET_MIN_JAVA = 25


class ReasonerUnavailable(RuntimeError):
    """The reasoner cannot run here (no Java, or a Java too old for it); the message says what to install."""


def fires_class(rule: URIRef) -> URIRef:
    """The defined class of presentations that fire ``rule``: ``id:fires/<rule id>``."""
    return ID[f"fires/{str(rule)[len(str(ID)):]}"]


def tier_class(urgency_id: str) -> URIRef:
    """The defined class of presentations at an urgency level: emergency -> mskg:EmergencyPresentation."""
    return MSKG["".join(part.capitalize() for part in urgency_id.split("-")) + "Presentation"]


# ---------------------------------------------------------------------- the OWL reading of the rules

class _Axioms:
    def __init__(self) -> None:
        self.g = Graph()
        for prefix, ns in NAMESPACES.items():
            self.g.bind(prefix, ns, override=True)

    def add(self, s: Node, p: Node, o: Node) -> None:
        self.g.add((s, p, o))

    def rdf_list(self, items: Sequence[Node], name: str) -> Node:
        nodes = [BNode(f"{name}-l{i}") for i in range(len(items))]
        for i, (node, item) in enumerate(zip(nodes, items)):
            self.add(node, RDF.first, item)
            self.add(node, RDF.rest, nodes[i + 1] if i + 1 < len(nodes) else RDF.nil)
        return nodes[0]

    def class_of(self, kind: URIRef, items: Sequence[Node], name: str) -> Node:
        node = BNode(name)
        self.add(node, RDF.type, OWL.Class)
        self.add(node, kind, self.rdf_list(items, name))
        return node

    def some(self, prop: URIRef, filler: Node, name: str) -> Node:
        node = BNode(name)
        self.add(node, RDF.type, OWL.Restriction)
        self.add(node, OWL.onProperty, prop)
        self.add(node, OWL.someValuesFrom, filler)
        return node

    def only(self, prop: URIRef, filler: Node, name: str) -> Node:
        node = BNode(name)
        self.add(node, RDF.type, OWL.Restriction)
        self.add(node, OWL.onProperty, prop)
        self.add(node, OWL.allValuesFrom, filler)
        return node


def region_class(region: URIRef) -> URIRef:
    """The generated class of findings and conditions of a body region (``id:in-region/back-and-leg``)."""
    return ID[f"in-region/{str(region).rsplit('/', 1)[-1]}"]


def _slug(iri: URIRef) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(iri)[len(str(ID)):])


@dataclass
class DefinedClasses:
    """The OWL axioms of the rules, and the rules they could not express (listed, never dropped silently)."""

    graph: Graph
    rules: dict[URIRef, URIRef]  # rule -> its fires class
    tiers: dict[str, URIRef]  # urgency id -> tier class
    not_expressible: list[tuple[str, str]] = field(default_factory=list)  # (rule id, why)


#: Properties of a rule that the OWL reading covers; anything else on a rule makes it "not expressible".
_EXPRESSED = {MSKG.hasCriterion, MSKG.minDurationDays, MSKG.requiresTrend, MSKG.setsUrgency, MSKG.inRegion,
              MSKG.needsRegionFinding}
#: The systemic body region: its findings count alongside any region.
SYSTEMIC = ID["region/systemic"]
#: Properties of a rule that do not bear on when it fires.
_DESCRIPTIVE = {RDF.type, SKOS.prefLabel, SKOS.definition, SKOS.scopeNote, MSKG.hasTrigger, MSKG.callsFor,
                MSKG.raisesConcernFor, MSKG.hasThresholdTimeframe, MSKG.attributedTo, MSKG.hasInterpretation,
                MSKG.hasStatementEvidence,
                URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")}


def defined_classes(graph: Graph) -> DefinedClasses:
    """Write the rules of ``graph`` as OWL defined classes (deterministic blank-node labels)."""
    ax = _Axioms()
    rules: dict[URIRef, URIRef] = {}
    not_expressible: list[tuple[str, str]] = []
    urgency_of: dict[URIRef, str] = {}
    red_flags: list[URIRef] = []
    rule_types = set(graph.transitive_subjects(RDFS.subClassOf, MSKG.TriageRule)) - {MSKG.TriageRule}
    all_rules = sorted({r for t in rule_types for r in graph.subjects(RDF.type, t)})
    # every finding and condition is a member of its region's class (so a presentation's regions are inferred)
    for region in sorted(graph.subjects(RDF.type, MSKG.BodyRegion)):
        cls = region_class(region)
        ax.add(cls, RDF.type, OWL.Class)
        ax.add(cls, SKOS.prefLabel, Literal(f"finding or condition of the {graph.value(region, SKOS.prefLabel)}",
                                            lang="en"))
    for concept, region in sorted(graph.subject_objects(MSKG.inRegion)):
        if (concept, RDF.type, OWL.Class) in graph:
            ax.add(concept, RDFS.subClassOf, region_class(region))
    for rule in all_rules:
        rule_id = str(rule)[len(str(ID)):]
        unknown = sorted({str(p) for p in graph.predicates(rule, None)} - {str(p) for p in _EXPRESSED | _DESCRIPTIVE})
        if unknown:
            not_expressible.append((rule_id, "has conditions the OWL reading does not cover: " + ", ".join(unknown)))
            continue
        name = _slug(rule)
        conjuncts: list[Node] = [MSKG.Presentation]
        for n, criterion in enumerate(sorted(graph.objects(rule, MSKG.hasCriterion)), start=1):
            findings = sorted(graph.objects(criterion, MSKG.anyOf))
            filler = findings[0] if len(findings) == 1 else ax.class_of(OWL.unionOf, findings, f"{name}-c{n}-any")
            conjuncts.append(ax.some(MSKG.hasFinding, filler, f"{name}-c{n}"))
        min_days = graph.value(rule, MSKG.minDurationDays)
        if min_days is not None:
            datatype = BNode(f"{name}-days")
            ax.add(datatype, RDF.type, RDFS.Datatype)
            ax.add(datatype, OWL.onDatatype, XSD.decimal)
            facet = BNode(f"{name}-days-min")
            ax.add(facet, XSD.minInclusive, Literal(min_days.toPython(), datatype=XSD.decimal))
            ax.add(datatype, OWL.withRestrictions, ax.rdf_list([facet], f"{name}-days-facets"))
            conjuncts.append(ax.some(MSKG.durationDays, datatype, f"{name}-duration"))
        # a required trend is met by any trend implying it (rapidly worsening implies worsening)
        trends = sorted({t for required in graph.objects(rule, MSKG.requiresTrend)
                         for t in graph.transitive_subjects(MSKG.impliesTrend, required)})
        if trends:
            conjuncts.append(ax.some(MSKG.trend, ax.class_of(OWL.oneOf, trends, f"{name}-trends"), f"{name}-trend"))
        region = graph.value(rule, MSKG.inRegion)
        if region is not None and region != SYSTEMIC:
            # a rule of a body region: a finding of that region is reported, or only systemic findings are
            # (unless the rule needs a finding of its region)
            in_region = ax.some(MSKG.hasFinding, region_class(region), f"{name}-region")
            if graph.value(rule, MSKG.needsRegionFinding):
                conjuncts.append(in_region)
            else:
                conjuncts.append(ax.class_of(OWL.unionOf, [
                    in_region, ax.only(MSKG.hasFinding, region_class(SYSTEMIC), f"{name}-only-systemic"),
                ], f"{name}-region-in-play"))
        cls = fires_class(rule)
        ax.add(cls, RDF.type, OWL.Class)
        ax.add(cls, RDFS.subClassOf, MSKG.Presentation)
        label = graph.value(rule, SKOS.prefLabel)
        ax.add(cls, SKOS.prefLabel, Literal(f"presentation that fires: {label}", lang="en"))
        ax.add(cls, SKOS.definition, Literal(f"A presentation meeting every criterion (and any duration or trend "
                                             f"condition) of the rule {rule_id}.", lang="en"))
        ax.add(cls, OWL.equivalentClass, ax.class_of(OWL.intersectionOf, conjuncts, f"{name}-all"))
        rules[rule] = cls
        urgency_of[rule] = str(graph.value(rule, MSKG.setsUrgency))[len(str(ID)):]
        if (rule, RDF.type, MSKG.RedFlag) in graph:
            red_flags.append(rule)
    tiers: dict[str, URIRef] = {}
    for urgency in sorted(graph.subjects(RDF.type, MSKG.UrgencyLevel)):
        urgency_id = str(urgency)[len(str(ID)):]
        members = [rules[r] for r in rules if urgency_of[r] == urgency_id]
        cls = tier_class(urgency_id)
        tiers[urgency_id] = cls
        ax.add(cls, RDF.type, OWL.Class)
        ax.add(cls, RDFS.subClassOf, MSKG.Presentation)
        ax.add(cls, SKOS.prefLabel, Literal(f"{graph.value(urgency, SKOS.prefLabel)} presentation", lang="en"))
        ax.add(cls, SKOS.definition, Literal(f"A presentation that fires at least one rule setting the "
                                             f"{urgency_id} level.", lang="en"))
        if members:
            ax.add(cls, OWL.equivalentClass, ax.class_of(OWL.unionOf, members, f"tier-{urgency_id}"))
    ax.add(TRAINING_STOP, RDF.type, OWL.Class)
    ax.add(TRAINING_STOP, RDFS.subClassOf, MSKG.Presentation)
    ax.add(TRAINING_STOP, SKOS.prefLabel, Literal("presentation where training must stop", lang="en"))
    ax.add(TRAINING_STOP, SKOS.definition, Literal("A presentation that fires at least one red flag.", lang="en"))
    ax.add(TRAINING_STOP, OWL.equivalentClass,
           ax.class_of(OWL.unionOf, [rules[r] for r in red_flags], "training-stop"))
    return DefinedClasses(ax.g, rules, tiers, not_expressible)


# ---------------------------------------------------------------------- presentations as individuals

def presentation_iri(key: int) -> URIRef:
    return URIRef(f"urn:mskg:presentation:{key}")


def presentation_graph(presentations: Sequence[tuple[Iterable[URIRef], Decimal | None, URIRef | None]]) -> Graph:
    """Each presentation (finding classes, duration in days, trend individual) as an OWL individual with finding
    individuals."""
    g = Graph()
    for key, (findings, days, trend) in enumerate(presentations):
        p = presentation_iri(key)
        g.add((p, RDF.type, OWL.NamedIndividual))
        g.add((p, RDF.type, MSKG.Presentation))
        individuals = []
        for i, finding in enumerate(sorted(findings)):
            individual = URIRef(f"{p}:finding:{i}")
            individuals.append(individual)
            g.add((individual, RDF.type, OWL.NamedIndividual))
            g.add((individual, RDF.type, finding))
            g.add((p, MSKG.hasFinding, individual))
        # closed: these are all its findings (so "only systemic findings" can be inferred, not assumed)
        closure, one_of = BNode(f"p{key}-closed"), BNode(f"p{key}-findings")
        g.add((p, RDF.type, closure))
        g.add((closure, RDF.type, OWL.Restriction))
        g.add((closure, OWL.onProperty, MSKG.hasFinding))
        g.add((closure, OWL.allValuesFrom, one_of))
        g.add((one_of, RDF.type, OWL.Class))
        items = [BNode(f"p{key}-f{i}") for i in range(len(individuals))]
        g.add((one_of, OWL.oneOf, items[0] if items else RDF.nil))
        for i, (node, individual) in enumerate(zip(items, individuals)):
            g.add((node, RDF.first, individual))
            g.add((node, RDF.rest, items[i + 1] if i + 1 < len(items) else RDF.nil))
        if days is not None:
            g.add((p, MSKG.durationDays, Literal(Decimal(days), datatype=XSD.decimal)))
        if trend is not None:
            g.add((p, MSKG.trend, trend))
    return g


# ---------------------------------------------------------------------- running a reasoner

def java_version() -> tuple[str, int] | None:
    """The ``java`` on PATH and its major version, or None when there is none."""
    java = shutil.which("java")
    if java is None:
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return java, 0
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    return java, major


def check_reasoner(reasoner: str) -> str:
    """Say plainly why ``reasoner`` cannot run here (raise), or return a description of the runtime."""
    if reasoner not in REASONERS:
        raise ReasonerUnavailable(f"unknown reasoner {reasoner!r}; use one of {', '.join(REASONERS)}")
    found = java_version()
    if found is None:
        raise ReasonerUnavailable(
            "the OWL reasoners (HermiT, Pellet) need a Java runtime and there is no `java` on PATH. Install one, "
            "e.g. `apt-get install default-jre-headless` (Debian/Ubuntu) or a JDK from https://adoptium.net, "
            "then try again. Everything else in mskg works without Java.")
    java, major = found
    if reasoner == "pellet" and major < PELLET_MIN_JAVA:
        raise ReasonerUnavailable(
            f"Pellet, as bundled with owlready2, needs Java {PELLET_MIN_JAVA} or newer; this machine has Java "
            f"{major} ({java}). Use --reasoner hermit (the default), or install Java {PELLET_MIN_JAVA}.")
    return f"Java {major}"


_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
_EQUIVALENT = re.compile(r"EquivalentClasses\(([^)]*)\)")


def unsatisfiable_in(output: str) -> set[str]:
    """Classes the reasoner's own output declares equivalent to owl:Nothing.

    Read from HermiT's text because owlready2 0.51 applies a multi-class ``EquivalentClasses(owl:Nothing …)``
    line to only some of its classes (it misses punned concept classes).
    """
    found: set[str] = set()
    for group in _EQUIVALENT.findall(output):
        iris = re.findall(r"<([^>]+)>", group)
        if _NOTHING in iris:
            found.update(i for i in iris if i != _NOTHING)
    return found


def _run(graph: Graph, reasoner: str):
    """Load ``graph`` into a fresh World, run the reasoner inside the ontology's context.

    Returns (world, onto, output): ``output`` is the reasoner's own text (HermiT's, captured from
    owlready2's debug stream) so that callers can read what owlready2 does not apply.
    """
    import contextlib
    import io

    import owlready2

    with tempfile.TemporaryDirectory(prefix="mskg-reason-") as tmp:
        path = Path(tmp) / "mskg.owl"
        path.write_bytes(graph.serialize(format="xml", encoding="utf-8"))
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
        captured = io.StringIO()
        try:
            with onto, contextlib.redirect_stderr(captured):
                if reasoner == "pellet":
                    owlready2.sync_reasoner_pellet(world, infer_property_values=False, debug=0)
                else:
                    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=2)
        except owlready2.OwlReadyInconsistentOntologyError:
            world.close()
            raise
        except owlready2.OwlReadyJavaError as exc:
            world.close()
            text = str(exc)
            if "UnsupportedClassVersionError" in text:
                raise ReasonerUnavailable(f"{reasoner} needs a newer Java than this machine has: {text[:300]}") from exc
            raise ReasonerUnavailable(f"{reasoner} failed: {text[:500]}") from exc
    return world, onto, captured.getvalue()


@dataclass(frozen=True)
class Classification:
    """What the reasoner inferred about one presentation: the rules it fires and the urgency tiers it is in."""

    fired: frozenset[str]
    tiers: frozenset[str]
    training_stop: bool


def classify(graph: Graph, presentations: Sequence[tuple[Iterable[URIRef], Decimal | None, URIRef | None]],
             reasoner: str = "hermit", defined: DefinedClasses | None = None) -> list[Classification]:
    """Classify many presentations in one reasoner run (Java starts once)."""
    check_reasoner(reasoner)
    defined = defined or defined_classes(graph)
    combined = Graph()
    for part in (graph, defined.graph, presentation_graph(presentations)):
        combined += part
    world, _, _ = _run(combined, reasoner)
    by_class = {str(cls): str(rule)[len(str(ID)):] for rule, cls in defined.rules.items()}
    tier_of = {str(cls): urgency for urgency, cls in defined.tiers.items()}
    results = []
    for key in range(len(presentations)):
        individual = world[str(presentation_iri(key))]
        types = {getattr(c, "iri", None) for c in individual.INDIRECT_is_a}
        results.append(Classification(
            fired=frozenset(by_class[t] for t in types if t in by_class),
            tiers=frozenset(tier_of[t] for t in types if t in tier_of),
            training_stop=str(TRAINING_STOP) in types,
        ))
    world.close()
    return results


# ---------------------------------------------------------------------- mskg reason

@dataclass
class ReasonReport:
    """The result of ``mskg reason``."""

    reasoner: str
    runtime: str
    consistent: bool
    unsatisfiable: list[str]
    inferred: list[tuple[str, str]]  # (class, new superclass), labels
    rules_expressed: int
    not_expressible: list[tuple[str, str]]
    explanation: list[str]
    seconds: float

    @property
    def clean(self) -> bool:
        return self.consistent and not self.unsatisfiable


def _axiom_groups(extra: Graph) -> list[Graph]:
    """Split extra triples into axioms: each triple with a named subject, with any blank-node structure it uses."""
    groups = []
    for s, p, o in sorted(extra):
        if isinstance(s, BNode):
            continue
        group = Graph()
        group.add((s, p, o))
        frontier = [o] if isinstance(o, BNode) else []
        while frontier:
            node = frontier.pop()
            for triple in extra.triples((node, None, None)):
                if triple not in group:
                    group.add(triple)
                    if isinstance(triple[2], BNode):
                        frontier.append(triple[2])
        groups.append(group)
    return groups


def _describe(group: Graph) -> str:
    for prefix, ns in NAMESPACES.items():
        group.bind(prefix, ns, override=True)
    lines = [line for line in group.serialize(format="turtle").splitlines()
             if line.strip() and not line.startswith("@prefix")]
    return " ".join(" ".join(lines).split())


def _consistent(graph: Graph, reasoner: str) -> bool:
    import owlready2

    try:
        world, _, _ = _run(graph, reasoner)
    except owlready2.OwlReadyInconsistentOntologyError:
        return False
    world.close()
    return True


def reason(graph: Graph, reasoner: str = "hermit", extra: Graph | None = None) -> ReasonReport:
    """Check consistency and satisfiability of ontology + instances + defined classes (+ ``extra`` axioms).

    On inconsistency with ``extra`` given, the report names a minimal set of its axioms that, added to the
    knowledge base, make it inconsistent (deletion-based search, one reasoner run per axiom).
    """
    import owlready2

    runtime = check_reasoner(reasoner)
    started = time.monotonic()
    defined = defined_classes(graph)
    combined = Graph()
    for part in (graph, defined.graph, extra or Graph()):
        combined += part
    explanation: list[str] = []
    before = _asserted_hierarchy(combined)
    try:
        world, _, output = _run(combined, reasoner)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        explanation.append(f"{reasoner} reports the ontology inconsistent: {exc or 'no detail given by the reasoner'}")
        if extra is not None and len(extra):
            base = Graph()
            for part in (graph, defined.graph):
                base += part
            if not _consistent(base, reasoner):
                explanation.append("the knowledge base is inconsistent even without the added axioms")
            else:
                needed = _axiom_groups(extra)
                for group in list(needed):
                    trial = Graph()
                    for part in [base, *[g for g in needed if g is not group]]:
                        trial += part
                    if not _consistent(trial, reasoner):
                        needed.remove(group)
                explanation.append("these added axioms together make it inconsistent (remove any one and it is not):")
                explanation += [f"  {_describe(g)}" for g in needed]
        return ReasonReport(reasoner, runtime, False, [], [], len(defined.rules), defined.not_expressible,
                            explanation, time.monotonic() - started)
    unsat_iris = {c.iri for c in world.inconsistent_classes() if c.iri != _NOTHING} | unsatisfiable_in(output)
    unsatisfiable = sorted(_label_iri(iri, combined) for iri in unsat_iris)
    after = _hierarchy(world)
    inferred = sorted((_label_iri(c, combined), _label_iri(s, combined))
                      for c, supers in after.items() for s in supers - before.get(c, set())
                      if s != str(OWL.Thing))
    world.close()
    return ReasonReport(reasoner, runtime, True, unsatisfiable, inferred, len(defined.rules),
                        defined.not_expressible, explanation, time.monotonic() - started)


def _label_iri(iri: str, graph: Graph) -> str:
    label = graph.value(URIRef(iri), SKOS.prefLabel)
    return str(label) if label is not None else iri


def _asserted_hierarchy(graph: Graph) -> dict[str, set[str]]:
    """Named class -> its asserted named superclasses, read from the RDF (no second owlready2 load)."""
    return {str(c): {str(p) for p in graph.objects(c, RDFS.subClassOf) if isinstance(p, URIRef)}
            for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}


def _hierarchy(world) -> dict[str, set[str]]:
    """Named class -> its named direct superclasses, as owlready2 sees them now."""
    out: dict[str, set[str]] = {}
    for cls in world.classes():
        out[cls.iri] = {s.iri for s in cls.is_a if hasattr(s, "iri")}
    return out
