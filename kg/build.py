"""Build the mskg graph: ontology + curated facts -> one rdflib graph, every fact traced to its excerpt.

The build is strict and deterministic. It fails, naming the fact, when a quote is not verbatim at its
offsets, when a fact refers to something that does not exist or is of the wrong kind, or when a code
is not a confirmed binding. Blank nodes are never used, so two builds give identical N-Triples.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rdflib import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD, Graph, Literal, URIRef

from ..ontology import load_ontology
from ..ontology.namespaces import DCMITYPE, ID, MSKG, NAMESPACES, OA
from .article import Article
from .facts import Facts, load_facts
from .provenance import Excerpt, article_for, verify
from .terminology import Binding, load_bindings


class BuildError(ValueError):
    """The facts cannot be turned into a graph; the message names the fact."""


#: Ontology classes a concept may sit under, by the kind of concept they make it.
CONCEPT_ROOTS = {
    "Condition": "Condition",
    "ClinicalFinding": "ClinicalFinding",
    "Symptom": "ClinicalFinding",
    "Sign": "ClinicalFinding",
    "HistoryOrRiskFactor": "ClinicalFinding",
    "ClinicalEvent": "ClinicalFinding",
    "BodySite": "BodySite",
    "Activity": "Activity",
}
ACTION_TYPES = {
    "EmergencyCare", "UrgentSameDayCare", "ClinicalReview", "Imaging", "SelfManagement",
    "TrainingModification", "ActivityToAvoid", "Rehabilitation", "Intervention",
}
RULE_TYPES = {"RedFlag", "EscalationRule", "SelfCareRule"}
PROGRESS_TYPES = {"ProgressMarker", "ReturnToTrainingCriterion"}
TRENDS = {"Improving", "Unchanged", "Worsening", "RapidlyWorsening"}
UNITS = {"minute": TIME.unitMinute, "hour": TIME.unitHour, "day": TIME.unitDay, "week": TIME.unitWeek,
         "month": TIME.unitMonth}
BOUNDS = {"at-most": MSKG.AtMost, "about": MSKG.About, "after": MSKG.After, "within": MSKG.Within}
STAT_UNITS = {"Percent", "StudyCount", "PatientCount"}


def _en(text: str) -> Literal:
    return Literal(text, lang="en")


def _decimal(value: Any) -> Literal:
    """An xsd:decimal in canonical lexical form ("28.0", "0.04"), so every RDF syntax round-trips it unchanged."""
    text = format(Decimal(str(value)), "f")
    if "." not in text:
        text += ".0"
    whole, frac = text.split(".")
    return Literal(f"{whole}.{frac.rstrip('0') or '0'}", datatype=XSD.decimal)


def excerpt_iri(excerpt: Excerpt) -> URIRef:
    """The stable IRI of an excerpt: its character span in the source document."""
    return ID[f"excerpt/{excerpt.start}-{excerpt.end}"]


class _Builder:
    def __init__(self, facts: Facts, article: Article, excerpts: dict[int, Excerpt], bindings: list[Binding]):
        self.facts = facts
        self.article = article
        self._article_words: str | None = None
        self.excerpts = excerpts
        self.bindings = bindings
        self.g = Graph()
        for prefix, ns in NAMESPACES.items():
            self.g.bind(prefix, ns, override=True)
        self.doc = ID[facts["source"]["id"]]
        self.kinds: dict[str, str] = {}
        self.concept_roots: dict[str, str] = {}
        self.action_types: dict[str, str] = {}
        for kind in ("evidence_sources", "urgency_levels", "concepts", "timeframes", "actions", "progress_checks",
                     "statistics", "rules", "differentials", "pathways"):
            for entry in facts.get(kind) or []:
                self.kinds[entry["id"]] = kind
        for entry in facts.get("actions") or []:
            self.action_types[entry["id"]] = entry["type"]

    # ------------------------------------------------------------------ helpers

    def add(self, s: URIRef, p: URIRef, o: Any) -> None:
        self.g.add((s, p, o))

    def ref(self, fact: str, target: str, kind: str) -> URIRef:
        """Resolve a reference to another fact, failing with the referring fact's name."""
        if self.kinds.get(target) != kind:
            found = f"a {self.kinds[target]} entry" if target in self.kinds else "not defined"
            raise BuildError(f"fact {fact!r}: refers to {target!r} as one of {kind}, but it is {found}")
        return ID[target]

    def concept(self, fact: str, target: str, *roots: str) -> URIRef:
        """Resolve a reference to a concept whose root class is one of ``roots``."""
        iri = self.ref(fact, target, "concepts")
        root = self.concept_roots[target]
        if roots and root not in roots:
            raise BuildError(f"fact {fact!r}: {target!r} is a {root}, expected {' or '.join(roots)}")
        return iri

    def evidence(self, subject: URIRef, entries: Iterable[dict[str, Any]]) -> None:
        for entry in entries:
            excerpt = self.excerpts[id(entry)]
            node = excerpt_iri(excerpt)
            self.add(subject, PROV.wasDerivedFrom, node)
            # evidence for one statement of the fact: the sentence that states that step ("for: [setsUrgency]",
            # or for one value, "for: [callsFor scan-now]")
            for target in entry.get("for") or []:
                prop, _, value = str(target).partition(" ")
                prop_iri = MSKG[prop]
                if (prop_iri, RDF.type, None) not in self.ontology:
                    raise BuildError(f"fact {str(subject)!r}: evidence is 'for' unknown property {prop!r}")
                statement = URIRef(f"{subject}/evidence-for/{prop}" + (f"/{value}" if value else ""))
                self.add(subject, MSKG.hasStatementEvidence, statement)
                self.add(statement, RDF.type, MSKG.StatementEvidence)
                self.add(statement, MSKG.forProperty, prop_iri)
                if value:
                    self.add(statement, MSKG.forValue, ID[value])
                self.add(statement, PROV.wasDerivedFrom, node)
            self.add(node, RDF.type, MSKG.Excerpt)
            self.add(node, OA.exact, Literal(excerpt.quote))
            self.add(node, OA.start, Literal(excerpt.start, datatype=XSD.nonNegativeInteger))
            self.add(node, OA.end, Literal(excerpt.end, datatype=XSD.nonNegativeInteger))
            self.add(node, MSKG.inSection, ID[f"section/{excerpt.section}"])
            self.add(node, DCTERMS.isPartOf, self.doc)

    def interpretations(self, fact: dict[str, Any], subject: URIRef) -> None:
        for i, interp in enumerate(fact.get("interpretations") or [], start=1):
            node = URIRef(f"{subject}/interpretation/{i}")
            self.add(subject, MSKG.hasInterpretation, node)
            self.add(node, RDF.type, MSKG.Interpretation)
            self.add(node, RDFS.comment, _en(interp["note"]))
            prop, _, value = (interp.get("property") or "").partition(" ")
            if value:  # "callsFor stop-training": a reading of one value of the property (the action it is about)
                if value not in (fact.get("actions") or []):
                    raise BuildError(f"fact {fact['id']!r}: interpretation of {prop} {value!r}, which it does not have")
                self.add(node, MSKG.forValue, self.ref(fact["id"], value, "actions"))
            if prop:
                prefix, _, local = prop.rpartition(":")
                namespace = {"": MSKG, "rdf": RDF}.get(prefix)
                if namespace is None:
                    raise BuildError(f"fact {fact['id']!r}: interpretation property {prop!r} is not mskg: or rdf:")
                prop_iri = namespace[local]
                if prefix == "" and (prop_iri, RDF.type, None) not in self.ontology:
                    raise BuildError(f"fact {fact['id']!r}: interpretation names unknown property {prop!r}")
                self.add(node, MSKG.interpretsProperty, prop_iri)
            self.evidence(node, interp.get("evidence") or fact.get("evidence") or [])

    def in_article(self, wording: str) -> bool:
        """Whether ``wording`` is the article's own (its words, in order, somewhere in the text)."""
        from .resolve import normalise

        if self._article_words is None:
            self._article_words = f" {normalise(self.article.text)} "
        return f" {normalise(wording)} " in self._article_words

    def labelled(self, subject: URIRef, fact: dict[str, Any]) -> None:
        self.add(subject, SKOS.prefLabel, _en(fact["label"]))
        if fact.get("definition"):
            self.add(subject, SKOS.definition, _en(fact["definition"]))

    def attributed(self, fact: dict[str, Any], subject: URIRef) -> None:
        for source in fact.get("attributed_to") or []:
            self.add(subject, MSKG.attributedTo, self.ref(fact["id"], source, "evidence_sources"))

    # ------------------------------------------------------------------ sections of the facts file

    def source(self) -> None:
        src = self.facts["source"]
        doc = self.doc
        self.add(doc, RDF.type, MSKG.SourceDocument)
        self.add(doc, RDF.type, DCMITYPE.Text)
        self.add(doc, DCTERMS.title, _en(src["title"]))
        self.add(doc, SKOS.prefLabel, _en(src["title"]))
        self.add(doc, DCTERMS.publisher, Literal(src["publisher"]))
        self.add(doc, DCTERMS.language, Literal(src["language"]))
        self.add(doc, DCTERMS.format, Literal("text/plain; charset=utf-8"))
        self.add(doc, DCTERMS.identifier, Literal(src["file"]))
        self.add(doc, MSKG.sha256, Literal(self.article.sha256))
        series = ID[f"source/{_slug(src['series'])}"]
        self.add(doc, DCTERMS.isPartOf, series)
        self.add(series, RDF.type, DCMITYPE.Collection)
        self.add(series, DCTERMS.title, _en(src["series"]))
        self.add(series, DCTERMS.publisher, Literal(src["publisher"]))
        self.add(doc, MSKG.disclaimer, Literal(src["disclaimer"]["quote"]))
        self.evidence(doc, [src["disclaimer"]])
        for section in self.article.sections:
            node = ID[f"section/{section.id}"]
            self.add(node, RDF.type, MSKG.Section)
            self.add(node, DCTERMS.title, _en(section.heading))
            self.add(node, SKOS.prefLabel, _en(section.heading))
            self.add(node, OA.start, Literal(section.start, datatype=XSD.nonNegativeInteger))
            self.add(node, OA.end, Literal(section.end, datatype=XSD.nonNegativeInteger))
            self.add(node, MSKG.sectionOrder, Literal(section.order, datatype=XSD.integer))
            self.add(node, DCTERMS.isPartOf, doc)

    def evidence_sources(self) -> None:
        for fact in self.facts["evidence_sources"]:
            s = ID[fact["id"]]
            self.add(s, RDF.type, MSKG.EvidenceSource)
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            self.evidence(s, fact["evidence"])

    def urgency_levels(self) -> None:
        ranks = sorted(level["rank"] for level in self.facts["urgency_levels"])
        if ranks != list(range(len(ranks))):
            raise BuildError(f"urgency levels must have ranks 0..{len(ranks) - 1} once each, got {ranks}")
        for fact in self.facts["urgency_levels"]:
            s = ID[fact["id"]]
            self.add(s, RDF.type, MSKG.UrgencyLevel)
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            self.add(s, MSKG.rank, Literal(fact["rank"], datatype=XSD.integer))
            if fact.get("without_safety_net"):
                self.add(s, MSKG.withoutSafetyNet, Literal(True))
            self.evidence(s, fact["evidence"])
            self.interpretations(fact, s)

    def regions(self) -> None:
        for fact in self.facts.get("regions") or []:
            s = ID[f"region/{fact['id']}"]
            self.add(s, RDF.type, MSKG.BodyRegion)
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            known = {section["id"] for section in self.facts["sections"]}
            for section in fact.get("sections") or []:
                if section not in known:
                    raise BuildError(f"fact {fact['id']!r}: section {section!r} is not a section of the article")
                self.add(s, MSKG.coversSection, ID[f"section/{section}"])
            self.evidence(s, fact["evidence"])
            self.interpretations(fact, s)

    def label_of(self, concept_id: str) -> str:
        return next(c["label"] for c in self.facts["concepts"] if c["id"] == concept_id)

    def region(self, fact: str, region: str) -> URIRef:
        if region not in {r["id"] for r in self.facts.get("regions") or []}:
            raise BuildError(f"fact {fact!r}: region {region!r} is not defined")
        return ID[f"region/{region}"]

    def concept_region(self, concept_id: str, by_id: dict[str, dict[str, Any]]) -> str | None:
        """A finding's or condition's region: its own, else its parent concept's (inherited down the hierarchy)."""
        while concept_id in by_id:
            if by_id[concept_id].get("region"):
                return by_id[concept_id]["region"]
            concept_id = by_id[concept_id]["parent"]
        return None

    def _root(self, concept_id: str, by_id: dict[str, dict[str, Any]], seen: tuple[str, ...] = ()) -> str:
        parent = by_id[concept_id]["parent"]
        if parent in CONCEPT_ROOTS:
            return CONCEPT_ROOTS[parent]
        if parent not in by_id:
            raise BuildError(f"fact {concept_id!r}: parent {parent!r} is neither an ontology class nor a concept")
        if parent in seen:
            raise BuildError(f"fact {concept_id!r}: parent chain loops through {parent!r}")
        return self._root(parent, by_id, seen + (concept_id,))

    def concepts(self) -> None:
        by_id = {c["id"]: c for c in self.facts["concepts"]}
        for concept_id in by_id:
            self.concept_roots[concept_id] = self._root(concept_id, by_id)
        for fact in self.facts["concepts"]:
            s = ID[fact["id"]]
            parent = fact["parent"]
            self.add(s, RDF.type, OWL.Class)
            self.add(s, RDFS.subClassOf, MSKG[parent] if parent in CONCEPT_ROOTS else ID[parent])
            self.labelled(s, fact)
            for alt in fact.get("alt") or []:
                self.add(s, SKOS.altLabel, _en(str(alt)))
                # the article's own words or the curator's: decided against the text, never typed by hand
                self.add(s, MSKG.articleWording if self.in_article(str(alt)) else MSKG.curatorWording, _en(str(alt)))
            for hidden in fact.get("hidden") or []:
                self.add(s, SKOS.hiddenLabel, _en(str(hidden)))
            if self.concept_roots[fact["id"]] in ("ClinicalFinding", "Condition"):
                region = self.concept_region(fact["id"], by_id)
                if region is None:
                    raise BuildError(f"fact {fact['id']!r}: a finding or condition needs a region (its own or its "
                                     "parent's)")
                self.add(s, MSKG.inRegion, self.region(fact["id"], region))
            elif fact.get("region"):
                raise BuildError(f"fact {fact['id']!r}: only findings and conditions belong to a region")
            if fact.get("screens_every_region"):  # after it, every region's red flags are asked about
                if self.concept_roots[fact["id"]] != "ClinicalFinding":
                    raise BuildError(f"fact {fact['id']!r}: only a finding puts every region in the red-flag screen")
                if not fact.get("interpretations"):
                    raise BuildError(f"fact {fact['id']!r}: screens_every_region is a curator's reading: mark it")
                self.add(s, MSKG.screensEveryRegion, Literal(True))
            for site in fact.get("sites") or []:
                self.add(s, MSKG.hasBodySite, self.concept(fact["id"], site, "BodySite"))
            for feature in fact.get("features") or []:
                self.add(s, MSKG.hasFeature, self.concept(fact["id"], feature, "ClinicalFinding"))
            for complaint in fact.get("presents_with") or []:
                self.add(s, MSKG.presentsWith, self.concept(fact["id"], complaint, "ClinicalFinding"))
            for activity in fact.get("aggravated_by") or []:
                self.add(s, MSKG.aggravatedBy, self.concept(fact["id"], activity, "Activity"))
            for timeframe in fact.get("course") or []:
                self.add(s, MSKG.typicalCourse, self.ref(fact["id"], timeframe, "timeframes"))
            self.evidence(s, fact.get("evidence") or [])
            self.interpretations(fact, s)
        for fact in self.facts["concepts"]:
            if (fact.get("features") or fact.get("aggravated_by") or fact.get("presents_with")) \
                    and self.concept_roots[fact["id"]] != "Condition":
                raise BuildError(f"fact {fact['id']!r}: only conditions have features, a presenting complaint or "
                                 "aggravating activities")
            for complaint in fact.get("presents_with") or []:  # a claim like any other: the article's words for it
                if not any(f"presentsWith {complaint}" in (e.get("for") or []) for e in fact.get("evidence") or []):
                    raise BuildError(f"fact {fact['id']!r}: presents_with {complaint!r} needs evidence "
                                     f"'for: [presentsWith {complaint}]'")

    def terminology(self) -> None:
        for binding in self.bindings:
            kind = self.kinds.get(binding.concept)
            if kind not in ("concepts", "actions"):
                raise BuildError(f"terminology binding {binding.code}: concept {binding.concept!r} is not defined")
            self.add(ID[binding.concept], binding.predicate, binding.iri)

    def timeframes(self) -> None:
        for fact in self.facts["timeframes"]:
            s = ID[fact["id"]]
            name = fact["id"]
            self.add(s, RDF.type, MSKG.Timeframe)
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            if fact["unit"] not in UNITS:
                raise BuildError(f"fact {name!r}: unit {fact['unit']!r} is not one of {sorted(UNITS)}")
            if fact["bound"] not in BOUNDS:
                raise BuildError(f"fact {name!r}: bound {fact['bound']!r} is not one of {sorted(BOUNDS)}")
            self.add(s, TIME.unitType, UNITS[fact["unit"]])
            self.add(s, MSKG.boundKind, BOUNDS[fact["bound"]])
            vague = bool(fact.get("vague"))
            if vague == ("value" in fact):
                raise BuildError(f"fact {name!r}: a timeframe has a value, or is vague (no number stated), not both")
            if vague:
                self.add(s, MSKG.isVague, Literal(True))
            else:
                self.add(s, TIME.numericDuration, _decimal(fact["value"]))
                self.add(s, MSKG.isApproximate, Literal(bool(fact.get("approximate"))))
                if "upper" in fact:
                    if not fact["upper"] > fact["value"]:
                        raise BuildError(f"fact {name!r}: upper {fact['upper']} is not above value {fact['value']}")
                    self.add(s, MSKG.upperNumericDuration, _decimal(fact["upper"]))
            self.evidence(s, fact["evidence"])

    def actions(self) -> None:
        for fact in self.facts["actions"]:
            s = ID[fact["id"]]
            name = fact["id"]
            if fact["type"] not in ACTION_TYPES:
                raise BuildError(f"fact {name!r}: action type {fact['type']!r} is not one of {sorted(ACTION_TYPES)}")
            self.add(s, RDF.type, MSKG[fact["type"]])
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            if fact.get("timeframe"):
                self.add(s, MSKG.hasTimeframe, self.ref(name, fact["timeframe"], "timeframes"))
            if fact.get("region"):  # an action for one body region (a spinal scan)
                self.add(s, MSKG.inRegion, self.region(name, fact["region"]))
            if fact.get("activity"):
                if fact["type"] not in ("TrainingModification", "ActivityToAvoid"):
                    raise BuildError(f"fact {name!r}: only training modifications name an activity")
                self.add(s, MSKG.forActivity, self.concept(name, fact["activity"], "Activity"))
            for key, prop in (("first_line_for", MSKG.firstLineFor), ("later_option_for", MSKG.laterOptionFor),
                              ("recommended_for", MSKG.recommendedFor)):
                for condition in fact.get(key) or []:
                    target = self.concept(name, condition, "Condition")
                    self.add(s, prop, target)
                    if prop != MSKG.recommendedFor:  # entailed by rdfs:subPropertyOf; stated for plain SPARQL
                        self.add(s, MSKG.recommendedFor, target)
            for condition in fact.get("mentioned_for") or []:  # hedged: "some clinics may discuss", not advice
                self.add(s, MSKG.mentionedAsOptionFor, self.concept(name, condition, "Condition"))
            for other in fact.get("superseded_by") or []:  # set aside while the other is recommended now
                if other == name:
                    raise BuildError(f"fact {name!r}: an action cannot be superseded by itself")
                self.add(s, MSKG.supersededBy, self.ref(name, other, "actions"))
            self.attributed(fact, s)
            self.evidence(s, fact["evidence"])
            self.interpretations(fact, s)

    def progress_checks(self) -> None:
        """Progress markers and return-to-training criteria, each linked from the actions it judges."""
        for fact in self.facts.get("progress_checks") or []:
            s = ID[fact["id"]]
            name = fact["id"]
            if fact["type"] not in PROGRESS_TYPES:
                raise BuildError(f"fact {name!r}: progress check type {fact['type']!r} is not one of "
                                 f"{sorted(PROGRESS_TYPES)}")
            self.add(s, RDF.type, MSKG[fact["type"]])
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            for action in fact["actions"]:
                self.add(self.ref(name, action, "actions"), MSKG.hasProgressCriterion, s)
            self.attributed(fact, s)
            self.evidence(s, fact["evidence"])
            self.interpretations(fact, s)

    def statistics(self) -> None:
        for fact in self.facts["statistics"]:
            s = ID[fact["id"]]
            name = fact["id"]
            if fact["unit"] not in STAT_UNITS:
                raise BuildError(f"fact {name!r}: unit {fact['unit']!r} is not one of {sorted(STAT_UNITS)}")
            self.add(s, RDF.type, MSKG.Statistic)
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            self.add(s, MSKG.numericValue, _decimal(fact["value"]))
            self.add(s, MSKG.unit, MSKG[fact["unit"]])
            self.add(s, MSKG.isApproximate, Literal(bool(fact.get("approximate"))))
            self.add(s, MSKG.measures, Literal(fact["measures"]))
            self.add(s, MSKG.population, Literal(fact["population"]))
            if fact.get("about"):
                self.add(s, MSKG.statisticAbout, self.concept(name, fact["about"]))
            self.attributed(fact, s)
            self.evidence(s, fact["evidence"])

    def rules(self) -> None:
        for fact in self.facts["rules"]:
            s = ID[fact["id"]]
            name = fact["id"]
            if fact["type"] not in RULE_TYPES:
                raise BuildError(f"fact {name!r}: rule type {fact['type']!r} is not one of {sorted(RULE_TYPES)}")
            self.add(s, RDF.type, MSKG[fact["type"]])
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            self.add(s, MSKG.inRegion, self.region(name, fact["region"]))
            if fact.get("needs_region_finding"):
                self.add(s, MSKG.needsRegionFinding, Literal(True))
            # A named condition meets the rules that raise concern for it: it is added to every criterion
            # ((A and B) or C == (A or C) and (B or C)), so every engine reads it as it reads the findings.
            # (red flags, and rules of one criterion: a named condition stands in for an alarm pattern, never for
            # another criterion of an escalation rule, such as sciatica "stopping normal activities")
            concerns = [c for c in fact.get("concern") or [] if (fact["type"] == "RedFlag" or len(fact["criteria"]) == 1)
                        and not all(c in criterion for criterion in fact["criteria"] if isinstance(criterion, list))]
            for i, criterion in enumerate(fact["criteria"], start=1):
                if not isinstance(criterion, list) or not criterion:
                    raise BuildError(f"fact {name!r}: criterion {i} must be a non-empty list of concepts")
                node = URIRef(f"{s}/criterion/{i}")
                self.add(s, MSKG.hasCriterion, node)
                self.add(node, RDF.type, MSKG.TriggerCriterion)
                for trigger in list(dict.fromkeys([*criterion, *concerns])):
                    target = self.concept(name, trigger, "ClinicalFinding", "Condition")
                    self.add(node, MSKG.anyOf, target)
                    self.add(s, MSKG.hasTrigger, target)
                    if trigger not in criterion:  # added as a named condition, not one of the article's triggers
                        self.add(node, MSKG.metByNamedCondition, target)
            self.add(s, MSKG.setsUrgency, self.ref(name, fact["urgency"], "urgency_levels"))
            for action in fact["actions"]:
                self.add(s, MSKG.callsFor, self.ref(name, action, "actions"))
            for condition in fact.get("concern") or []:
                self.add(s, MSKG.raisesConcernFor, self.concept(name, condition, "Condition"))
            for trend in fact.get("trend") or []:
                if trend not in TRENDS:
                    raise BuildError(f"fact {name!r}: trend {trend!r} is not one of {sorted(TRENDS)}")
                self.add(s, MSKG.requiresTrend, MSKG[trend])
            if "min_duration_days" in fact:
                self.add(s, MSKG.minDurationDays, _decimal(fact["min_duration_days"]))
                if not fact.get("threshold_timeframe"):
                    raise BuildError(f"fact {name!r}: a duration threshold needs the timeframe it comes from")
            if fact.get("threshold_timeframe"):
                self.add(s, MSKG.hasThresholdTimeframe, self.ref(name, fact["threshold_timeframe"], "timeframes"))
            if fact.get("note"):
                self.add(s, SKOS.scopeNote, _en(fact["note"]))
            self.attributed(fact, s)
            self.evidence(s, fact["evidence"])
            if concerns:
                labels = " or ".join(self.label_of(c) for c in concerns)
                fact = {**fact, "interpretations": [*(fact.get("interpretations") or []), {
                    "property": "hasCriterion",
                    "note": f"Someone who reports {labels} (suspected or diagnosed) meets this rule too: it "
                            f"raises concern for {labels}, so naming the condition is read as at least as "
                            "concerning as its features (the safer reading; the article does not say it).",
                }]}
            self.interpretations(fact, s)

    def differentials(self) -> None:
        for fact in self.facts["differentials"]:
            s = ID[fact["id"]]
            name = fact["id"]
            self.add(s, RDF.type, MSKG.Differential)
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            favours = self.concept(name, fact["favours"], "Condition")
            versus = self.concept(name, fact["versus"], "Condition")
            self.add(s, MSKG.favours, favours)
            self.add(s, MSKG.distinguishes, favours)
            self.add(s, MSKG.distinguishes, versus)
            for finding in fact["findings"]:
                self.add(s, MSKG.discriminatingFinding, self.concept(name, finding, "ClinicalFinding"))
            self.attributed(fact, s)
            self.evidence(s, fact["evidence"])

    def pathways(self) -> None:
        for fact in self.facts["pathways"]:
            s = ID[fact["id"]]
            self.add(s, RDF.type, MSKG.CarePathway)
            self.add(s, RDF.type, OWL.NamedIndividual)
            self.labelled(s, fact)
            self.evidence(s, fact["evidence"])
            previous = None
            for order, stage in enumerate(fact["stages"], start=1):
                node = URIRef(f"{s}/stage/{stage['id']}")
                self.add(s, MSKG.hasStage, node)
                self.add(node, RDF.type, MSKG.CareStage)
                self.add(node, SKOS.prefLabel, _en(stage["label"]))
                self.add(node, MSKG.stageOrder, Literal(order, datatype=XSD.integer))
                for action in stage["actions"]:
                    self.add(node, MSKG.includesAction, self.ref(fact["id"], action, "actions"))
                self.evidence(node, fact["evidence"])
                if previous is not None:
                    self.add(previous, MSKG.nextStage, node)
                previous = node

    def build(self, ontology: Graph) -> Graph:
        self.ontology = ontology
        self.source()
        self.evidence_sources()
        self.regions()
        self.urgency_levels()
        self.concepts()
        self.terminology()
        self.timeframes()
        self.actions()
        self.progress_checks()
        self.statistics()
        self.rules()
        self.differentials()
        self.pathways()
        return self.g


def _slug(text: str) -> str:
    return "-".join("".join(ch.lower() if ch.isalnum() else " " for ch in text).split())


def build_instances(facts: Facts | None = None, bindings: list[Binding] | None = None,
                    ontology: Graph | None = None) -> Graph:
    """Build the instance graph (no ontology axioms) from ``facts``; raise on any provenance or reference error.

    ``ontology`` (parsed once by the caller, when it has it) is used to check the properties that
    interpretations name.
    """
    facts = load_facts() if facts is None else facts
    article = article_for(facts)
    excerpts = verify(facts, article)
    builder = _Builder(facts, article, excerpts, load_bindings() if bindings is None else bindings)
    return builder.build(load_ontology() if ontology is None else ontology)


def combine(ontology: Graph, instances: Graph) -> Graph:
    """The one mskg graph from its two parts, with the mskg prefixes bound."""
    graph = Graph()
    for prefix, ns in NAMESPACES.items():
        graph.bind(prefix, ns, override=True)
    graph += ontology
    graph += instances
    return graph


def build_graph(facts: Facts | None = None, bindings: list[Binding] | None = None) -> Graph:
    """Build the one mskg graph: the ontology plus the instance graph."""
    ontology = load_ontology()
    return combine(ontology, build_instances(facts, bindings, ontology))


def to_ntriples(graph: Graph) -> str:
    """Serialise as N-Triples with sorted lines: byte-identical for equal graphs."""
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "\n".join(sorted(line for line in lines if line.strip())) + "\n"


#: ``mskg build --format`` choices -> (rdflib format, file extension).
FORMATS = {"turtle": ("turtle", "ttl"), "nt": ("nt", "nt"), "json-ld": ("json-ld", "jsonld"), "xml": ("xml", "rdf")}


def serialize(graph: Graph, fmt: str) -> bytes:
    """Serialise ``graph`` in one of ``FORMATS``; N-Triples lines are sorted so equal graphs give equal bytes."""
    if fmt == "nt":
        return to_ntriples(graph).encode("utf-8")
    return graph.serialize(format=FORMATS[fmt][0], encoding="utf-8")


@dataclass(frozen=True)
class BuildOutput:
    """What ``write_build`` wrote, or the SHACL report that stopped it."""

    files: tuple[Path, ...]
    triples: int
    shape_report: Any


def write_build(out: Path, fmt: str = "turtle") -> BuildOutput:
    """Build, validate against the SHACL shapes, and only then write the files; nothing is written on failure
    (also when writing fails part-way: see :func:`mskg.kg.output.write_files`).

    Writes ``ontology.<ext>`` (the vocabulary), ``instances.<ext>`` (the article-derived graph) and
    ``mskg.owl`` (both, plus the triage rules as OWL defined classes, as RDF/XML for owlready2 and
    Protégé, where a reasoner classifies presentations into the urgency tiers).
    """
    from ..ontology.shacl import validate_shapes

    ontology = load_ontology()
    for prefix, ns in NAMESPACES.items():
        ontology.bind(prefix, ns, override=True)
    instances = build_instances(ontology=ontology)
    graph = combine(ontology, instances)
    report = validate_shapes(graph)
    if not report.conforms:
        return BuildOutput((), len(graph), report)
    from ..ontology.reasoning import defined_classes

    ext = FORMATS[fmt][1]
    everything = graph + defined_classes(graph).graph  # with the rules read as OWL defined classes
    payloads = {
        f"ontology.{ext}": serialize(ontology, fmt),
        f"instances.{ext}": serialize(instances, fmt),
        "mskg.owl": serialize(everything, "xml"),
    }
    from .output import write_files

    written = write_files(out, payloads)  # all or nothing: a failure leaves ``out`` as it was
    return BuildOutput(tuple(written), len(graph), report)
