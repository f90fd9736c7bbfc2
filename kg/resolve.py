"""Resolve what a person types to one concept: by id, preferred label, synonym or SNOMED CT code.

Matching ignores case, punctuation (curly or straight quotes, dashes, slashes) and surrounding
whitespace. When nothing matches, or more than one concept matches equally, the caller gets a
``ResolutionError`` naming the input and the closest candidates, never a guess.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rdflib import OWL, RDFS, SKOS, Graph, URIRef

from ..ontology.namespaces import ID, MSKG, SCT

#: Kinds of concept a presentation may name (a body site or activity is not something a person "has").
PRESENTATION_ROOTS = ("ClinicalFinding", "Condition")

#: Readable names of the ontology classes concepts and facts are typed with.
_TYPE_LABELS_QUERY = """
SELECT ?class ?label WHERE { ?class a owl:Class ; skos:prefLabel ?label . FILTER(STRSTARTS(STR(?class), STR(mskg:))) }
"""


def normalise(text: str) -> str:
    """Case-fold, drop punctuation and collapse whitespace: 'Numbness “around the bottom/genitals”' -> 'numbness around the bottom genitals'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("'", "").replace("’", "")  # golfer's -> golfers
    text = text.replace("&", " and ")  # pins & needles -> pins and needles
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


@dataclass(frozen=True)
class Concept:
    """A resolvable concept: its IRI, id, preferred label, synonyms, type and root kind."""

    iri: URIRef
    id: str
    label: str
    synonyms: tuple[str, ...]
    type: str
    root: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """A concept that matched an input, and the wording that matched (label, synonym, id or code)."""

    concept: Concept
    matched: str
    how: str


class ResolutionError(ValueError):
    """An input matched no concept, or several equally; carries the input and the closest candidates."""

    def __init__(self, text: str, reason: str, candidates: list[Match]):
        self.text = text
        self.reason = reason
        self.candidates = candidates
        listing = "; ".join(f"{m.concept.label} ({m.concept.id})" for m in candidates) or "none"
        super().__init__(f"{reason}: {text!r}. Closest matches: {listing}")


class Resolver:
    """An index of the graph's clinical concepts by every wording a person may use."""

    def __init__(self, concepts: Iterable[Concept]):
        self.concepts = {c.id: c for c in concepts}
        self._keys: dict[str, list[tuple[Concept, str, str]]] = {}
        for concept in self.concepts.values():
            self._index(concept, concept.id, "id")
            self._index(concept, concept.label, "label")
            for synonym in concept.synonyms:
                self._index(concept, synonym, "synonym")
            for code in concept.codes:
                self._index(concept, code, "SNOMED CT code")

    def _index(self, concept: Concept, wording: str, how: str) -> None:
        key = normalise(wording)
        entries = self._keys.setdefault(key, [])
        if all(c.id != concept.id for c, _, _ in entries):
            entries.append((concept, wording, how))

    def lookup(self, text: str, roots: Iterable[str] | None = None) -> list[Match]:
        """Every concept (of the given root kinds) that ``text`` names exactly, after normalisation."""
        key = normalise(text)
        if key.startswith("sct "):
            key = key[4:]
        allowed = set(roots) if roots is not None else None
        return [Match(c, wording, how) for c, wording, how in self._keys.get(key, [])
                if allowed is None or c.root in allowed]

    def resolve(self, text: str, roots: Iterable[str] | None = PRESENTATION_ROOTS) -> Concept:
        """The one concept ``text`` names; raise ``ResolutionError`` with the closest candidates otherwise."""
        roots = tuple(roots) if roots is not None else None
        if not normalise(text):
            raise ResolutionError(text, "empty input", [])
        matches = self.lookup(text, roots)
        if len(matches) == 1:
            return matches[0].concept
        if len(matches) > 1:
            raise ResolutionError(text, "ambiguous input matches several concepts equally", matches)
        other_kind = self.lookup(text, None)
        if other_kind and roots is not None:
            kinds = ", ".join(sorted({m.concept.type for m in other_kind}))
            raise ResolutionError(text, f"not a finding or condition (it is a {kinds})",
                                  self.closest(text, roots))
        raise ResolutionError(text, "unknown finding or condition", self.closest(text, roots))

    def closest(self, text: str, roots: Iterable[str] | None = None, limit: int = 5) -> list[Match]:
        """Concepts whose wordings look most like ``text`` (spelling, shared words), best first."""
        key = normalise(text)
        allowed = set(roots) if roots is not None else None
        scored: dict[str, tuple[float, Match]] = {}
        words = set(key.split())
        for candidate_key, entries in self._keys.items():
            ratio = difflib.SequenceMatcher(None, key, candidate_key).ratio()
            shared = len(words & set(candidate_key.split())) / max(len(words), 1)
            contained = 0.3 if key and (key in candidate_key or candidate_key in key) else 0.0
            score = max(ratio, 0.5 * ratio + 0.5 * shared) + contained
            for concept, wording, how in entries:
                if allowed is not None and concept.root not in allowed:
                    continue
                if concept.id not in scored or scored[concept.id][0] < score:
                    scored[concept.id] = (score, Match(concept, wording, how))
        ranked = sorted(scored.values(), key=lambda item: (-item[0], item[1].concept.id))
        return [match for score, match in ranked[:limit] if score >= 0.45]

    def search(self, text: str, limit: int = 20) -> list[Match]:
        """Concepts matching ``text`` as a phrase inside any wording, or failing that the closest ones."""
        key = normalise(text)
        if not key:
            return []
        found: dict[str, Match] = {}
        exact = self.lookup(text)
        for match in exact:
            found[match.concept.id] = match
        preference = {"label": 0, "synonym": 1, "SNOMED CT code": 2, "id": 3}
        for candidate_key, entries in sorted(self._keys.items()):
            if re.search(rf"(^| ){re.escape(key)}( |$)", candidate_key):
                for concept, wording, how in entries:
                    current = found.get(concept.id)
                    if current is None or (current not in exact and preference[how] < preference[current.how]):
                        found[concept.id] = Match(concept, wording, how)
        if not found:
            return self.closest(text, None, limit)
        ordered = sorted(found.values(), key=lambda m: (m not in exact, m.concept.label.casefold()))
        return ordered[:limit]


def concepts_from_graph(graph: Graph) -> list[Concept]:
    """Read every clinical concept (a class under mskg:ClinicalConcept in the id: namespace) from ``graph``."""
    roots = {MSKG[name] for name in ("ClinicalFinding", "Condition", "BodySite", "Activity")}
    namespaces = {"mskg": MSKG, "skos": SKOS, "owl": OWL}
    type_labels = {str(c): str(label) for c, label in graph.query(_TYPE_LABELS_QUERY, initNs=namespaces)}
    concepts = []
    for iri in sorted(set(graph.subjects(RDFS.subClassOf, None))):
        if not isinstance(iri, URIRef) or not str(iri).startswith(str(ID)):
            continue
        ancestors = list(graph.transitive_objects(iri, RDFS.subClassOf))
        root = next((r for r in ancestors if r in roots), None)
        if root is None:
            continue
        parent = next(p for p in graph.objects(iri, RDFS.subClassOf))
        kind = parent if str(parent).startswith(str(MSKG)) else next(
            (a for a in ancestors[1:] if str(a).startswith(str(MSKG))), root)
        codes = tuple(sorted(str(o)[len(str(SCT)):] for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)
                             for o in graph.objects(iri, p) if str(o).startswith(str(SCT))))
        concepts.append(Concept(
            iri=iri,
            id=str(iri)[len(str(ID)):],
            label=str(graph.value(iri, SKOS.prefLabel)),
            synonyms=tuple(sorted(str(a) for a in graph.objects(iri, SKOS.altLabel))),
            type=type_labels.get(str(kind), str(kind)),
            root=str(root)[len(str(MSKG)):],
            codes=codes,
        ))
    return concepts


@lru_cache(maxsize=4)
def resolver_for(graph: Graph) -> Resolver:
    """The resolver of ``graph``, built once per process and graph."""
    return Resolver(concepts_from_graph(graph))
