"""Triage rules compiled from the graph into plain Python data, for instant answers and batch runs.

Nothing clinical is written here: :func:`compile_kb` reads every rule's criteria, duration and trend
conditions, urgency and actions out of the graph, and :class:`CompiledTriageEngine` evaluates them with
the same meaning as ``queries/triage_rules.rq`` (a criterion is met by a reported concept or anything
narrower; all criteria must be met; duration ≥ the minimum; trend one of those required). The policy —
most urgent wins, red flags stop training, safety-net advice — is the one in
:mod:`mskg.queries.triage.policy`. A differential test proves both engines answer identically on
every vignette and on thousands of generated presentations.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from rdflib import RDF, RDFS, SKOS, Graph, URIRef

from ...kg.resolve import Concept, concepts_from_graph, regions_from_graph
from ...ontology.namespaces import ID, MSKG
from ...ontology.namespaces import local_id as _local
from .policy import TriagePolicy, minimal_trigger_set
from .records import SYSTEMIC, Presentation, RuleResult, Screened, Urgency
from .timing import TREND_IDS, TREND_IRIS

#: Bump when the compiled form changes shape, so old caches are not read.
COMPILED_FORMAT = 9


@dataclass(frozen=True)
class CompiledRule:
    """One triage rule, as data."""

    iri: URIRef
    id: str
    label: str
    kind: str
    urgency: str
    criteria: tuple[tuple[str, frozenset[str]], ...]  # (criterion IRI, trigger concept ids)
    min_days: Decimal | None
    trends: frozenset[str]  # trend ids (see TREND_IRIS) the rule needs; empty when it needs none
    actions: tuple[URIRef, ...]
    condition_text: str | None
    region: str | None  # body region id; None or SYSTEMIC: considered whatever is reported
    needs_region_finding: bool  # not read conservatively when only systemic findings are reported


@dataclass
class CompiledKB:
    """Everything triage and its explanations need, with no rdflib graph: small, cached as JSON, fast."""

    concepts: list[Concept]
    ancestors: dict[str, frozenset[str]]  # concept id -> itself and every broader concept id
    # concept id -> its ancestors and every finding it implies (mskg:presentsWith of it or a broader concept, and
    # those findings' ancestors): reporting it answers the screen's question of each
    answers: dict[str, frozenset[str]]
    rules: list[CompiledRule]
    by_trigger: dict[str, tuple[int, ...]]  # trigger concept id -> indices of rules that use it
    urgencies: dict[str, Urgency]
    # action -> (type label, timeframe, training modification?, kind of care (policy.care_order), superseded by,
    # body region or None)
    actions: dict[URIRef, tuple[str, str | None, bool, int, frozenset[URIRef], str | None]]
    labels: dict[URIRef, str]
    regions: dict[str, str]  # finding or condition id -> body region id
    notes: dict[URIRef, tuple[tuple[str, str, str | None], ...]]  # rule or action -> the curator's readings
    # (property, note, the one value it is about or None)
    # (finding, label, region, ((flag region, rank, a red flag on its own?)…)): not_asked filters them per answer
    screen: list[tuple[str, str, str, tuple[tuple[str, int, bool], ...]]]
    widening: frozenset[str]  # findings that put every region's red flags in the screen (mskg:screensEveryRegion)
    trend_implies: dict[str, frozenset[str]]  # trend id -> itself and every trend it implies
    view: object  # mskg.queries.triage.explain.GraphView
    resolver: object  # mskg.kg.resolve.Resolver


def compile_kb(graph: Graph) -> CompiledKB:
    """Read the rules and everything triage needs out of ``graph``."""
    from .explain import GraphView
    from .sparql import TriageEngine

    sparql = TriageEngine(graph)  # reuse its readers of urgencies, actions and condition texts
    concepts = concepts_from_graph(graph)
    ancestors = {}
    for concept in concepts:
        ancestors[concept.id] = frozenset(
            _local(a) for a in graph.transitive_objects(concept.iri, RDFS.subClassOf) if str(a).startswith(str(ID)))
    answers = {}
    for concept in concepts:
        implied = {_local(p) for a in ancestors[concept.id] for p in graph.objects(ID[a], MSKG.presentsWith)}
        answers[concept.id] = ancestors[concept.id].union(*(ancestors.get(p, frozenset((p,))) for p in implied))
    rule_types = {t for t in graph.transitive_subjects(RDFS.subClassOf, MSKG.TriageRule) if t != MSKG.TriageRule}
    rules = []
    for rule in sorted({r for t in rule_types for r in graph.subjects(RDF.type, t)}, key=str):
        kind = next(_local(t) for t in graph.objects(rule, RDF.type) if t in rule_types)
        criteria = tuple(
            (str(c), frozenset(_local(f) for f in graph.objects(c, MSKG.anyOf)))
            for c in sorted(graph.objects(rule, MSKG.hasCriterion), key=str))
        min_days = graph.value(rule, MSKG.minDurationDays)
        rules.append(CompiledRule(
            iri=rule, id=_local(rule), label=str(graph.value(rule, SKOS.prefLabel)), kind=kind,
            urgency=_local(graph.value(rule, MSKG.setsUrgency)), criteria=criteria,
            min_days=None if min_days is None else Decimal(str(min_days)),
            trends=frozenset(TREND_IDS[t] for t in graph.objects(rule, MSKG.requiresTrend)),
            actions=tuple(a for a, _, _ in sparql.actions_of(rule)),
            condition_text=sparql.condition_text(rule),
            region=_local(graph.value(rule, MSKG.inRegion)) if graph.value(rule, MSKG.inRegion) else None,
            needs_region_finding=bool(graph.value(rule, MSKG.needsRegionFinding)),
        ))
    urgencies = sparql.urgencies
    rules.sort(key=lambda r: (-urgencies[r.urgency].rank, str(r.iri)))
    by_trigger: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        for _, triggers in rule.criteria:
            for trigger in triggers:
                by_trigger.setdefault(trigger, []).append(index)
    actions = {}
    for rule in rules:
        for action, type_label, timeframe in sparql.actions_of(rule.iri):
            actions[action] = (type_label, timeframe, sparql.is_training_modification(action),
                               sparql.care_order(action), sparql.superseded_by(action),
                               sparql.region_of(action))
    regions = {c.id: _local(graph.value(c.iri, MSKG.inRegion)) for c in concepts
               if graph.value(c.iri, MSKG.inRegion) is not None}
    # conditions are not screened for, nor the ordinary complaints self-care covers (back pain, sciatica)
    ordinary = {t for rule in rules if rule.kind == "SelfCareRule" for _, triggers in rule.criteria for t in triggers}
    findings = {c.id for c in concepts if c.root == "ClinicalFinding"} - ordinary
    # red-flag finding -> {(its flags' region, rank, whether the flag needs nothing else: no trend, no duration,
    # every criterion met by the finding or a broader trigger)}
    by_region: dict[str, set[tuple[str, int, bool]]] = {}
    for rule in rules:
        if rule.kind == "RedFlag":
            for trigger in {t for _, triggers in rule.criteria for t in triggers & findings}:
                alone = not rule.trends and rule.min_days is None and all(
                    ancestors[trigger] & triggers for _, triggers in rule.criteria)
                by_region.setdefault(trigger, set()).add((rule.region, urgencies[rule.urgency].rank, alone))
    labels = {c.iri: c.label for c in concepts}
    labels.update({r.iri: r.label for r in rules})
    labels.update({a: sparql.label(a) for a in actions})
    # Every red-flag finding with its region and its flags' (region, rank, alone); not_asked orders them per answer.
    region_screen = [(f, labels[ID[f]], regions[f], tuple(sorted(by_region[f]))) for f in sorted(by_region)]
    widening = frozenset(c.id for c in concepts if graph.value(c.iri, MSKG.screensEveryRegion))
    from ...kg.resolve import Resolver

    trend_implies = {trend: frozenset(TREND_IDS[t] for t in graph.transitive_objects(iri, MSKG.impliesTrend))
                     for trend, iri in TREND_IRIS.items()}
    from .sparql import read_interpretations

    notes = {iri: read_interpretations(graph, iri)
             for iri in [*(r.iri for r in rules), *actions, *(ID[c] for c in sorted(widening))]}
    return CompiledKB(concepts, ancestors, {k: v for k, v in answers.items() if v != ancestors[k]}, rules, {k: tuple(sorted(set(v))) for k, v in by_trigger.items()},
                      urgencies, actions, labels, regions, {k: v for k, v in notes.items() if v},
                      region_screen, widening, trend_implies,
                      GraphView(graph), Resolver(concepts, regions=regions_from_graph(graph)))


#: The type of each field of a CompiledKB read from the cache (anything else is rebuilt).
_FIELD_TYPES = {"concepts": list, "ancestors": dict, "answers": dict, "rules": list, "by_trigger": dict, "urgencies": dict,
                "actions": dict, "labels": dict, "regions": dict, "notes": dict,
                "screen": list, "widening": frozenset, "trend_implies": dict}


@lru_cache(maxsize=1)
def _codec():
    from ...kg.codec import Codec
    from ...kg.resolve import Lexicon, Resolver
    from .explain import Excerpt, GraphView

    return Codec([CompiledKB, CompiledRule, Concept, Urgency, Excerpt, GraphView, Lexicon, Resolver])


def kb_to_json(kb: CompiledKB):
    """The compiled form as JSON data (for the cache): only the allow-listed classes, no code."""
    return _codec().encode(kb)


def kb_from_json(data) -> CompiledKB:
    """The compiled form :func:`kb_to_json` wrote; an error if the data is anything else."""
    from ...kg.codec import CodecError
    from ...kg.resolve import Resolver
    from .explain import GraphView

    kb = _codec().decode(data)
    if type(kb) is not CompiledKB:
        raise CodecError("not a compiled knowledge base")
    wrong = [name for name, kind in _FIELD_TYPES.items() if type(getattr(kb, name)) is not kind]
    if wrong or type(kb.view) is not GraphView or type(kb.resolver) is not Resolver \
            or not all(type(r) is CompiledRule for r in kb.rules) or not all(type(c) is Concept for c in kb.concepts):
        raise CodecError(f"a compiled knowledge base of the wrong shape ({', '.join(wrong) or 'view, resolver or rules'})")
    return kb


class CompiledTriageEngine(TriagePolicy):
    """The triage policy over compiled rules: no SPARQL, no rdflib graph at run time."""

    def __init__(self, kb: CompiledKB):
        self.kb = kb
        self.graph = None
        self.urgencies = kb.urgencies
        self._view = kb.view

    @property
    def view(self):
        return self._view

    def label(self, iri: URIRef) -> str:
        return self.kb.labels.get(iri, _local(iri))

    def concept(self, concept_id: str) -> Concept | None:
        return self.kb.resolver.concepts.get(concept_id)

    def interpretations_with_values(self, iri: URIRef) -> tuple[tuple[str, str, str | None], ...]:
        return self.kb.notes.get(iri, ())

    def regions(self, presentation: Presentation) -> tuple[frozenset[str], bool]:
        """The body regions of what was reported (systemic left out), and whether only systemic findings were."""
        present = frozenset(self.kb.regions.get(r.concept.id, SYSTEMIC) for r in presentation.findings) - {SYSTEMIC}
        return present, not present

    def rules(self, presentation: Presentation) -> list[RuleResult]:
        reported = [r.concept.id for r in presentation.findings]
        closure = {f: self.kb.ancestors.get(f, frozenset((f,))) for f in reported}
        touched = sorted({i for f in reported for a in closure[f] for i in self.kb.by_trigger.get(a, ())})
        present, every_region = self.regions(presentation)
        results = []
        for index in touched:
            rule = self.kb.rules[index]
            if not (rule.region in (None, SYSTEMIC) or rule.region in present
                    or (every_region and not rule.needs_region_finding)):
                continue  # a rule of a body region not in play
            found = [[(criterion, f, t) for f in reported for t in sorted(closure[f] & triggers)]
                     for criterion, triggers in rule.criteria]
            if not all(found):
                continue  # a criterion no reported finding meets
            days = presentation.duration_days
            duration_ok = rule.min_days is None or (days is not None and days >= rule.min_days)
            trend_ok = not rule.trends or (presentation.trend is not None
                                           and bool(rule.trends & self.kb.trend_implies[presentation.trend]))
            matches = tuple(sorted(m for met in found for m in met))
            results.append(RuleResult(
                iri=rule.iri, id=rule.id, label=rule.label, kind=rule.kind, urgency=self.urgencies[rule.urgency],
                fires=duration_ok and trend_ok, duration_ok=duration_ok, trend_ok=trend_ok,
                matches=matches, minimal_triggers=minimal_trigger_set(matches)))
        return results

    def not_asked(self, presentation: Presentation) -> list[Screened]:
        reported, answered = set(), set()  # what was reported and anything broader; and what it answers
        for r in presentation.findings:
            broader = self.kb.ancestors.get(r.concept.id, frozenset((r.concept.id,)))
            reported |= broader
            # a condition answers the question of the complaint it presents with (see red_flag_screen.rq)
            answered |= self.kb.answers.get(r.concept.id, broader)
        absent = {r.concept.id for r in presentation.absent}
        present, every_region = self.regions(presentation)
        in_play = None if every_region else present | {SYSTEMIC}
        widened = bool(reported & self.kb.widening)  # every region's red flags, the rules staying gated
        by_rank = {u.rank: u for u in self.urgencies.values()}
        screened = []
        for f, label, region, flags in self.kb.screen:
            if f in answered or (absent and self.kb.ancestors.get(f, frozenset((f,))) & absent):
                continue
            regular = in_play is None or region in in_play
            counted = [(rank, alone) for flag_region, rank, alone in flags
                       if widened or (regular and (in_play is None or flag_region in present))]
            if not counted:
                continue
            alone = [rank for rank, on_its_own in counted if on_its_own]
            only_widened = not (regular and any(in_play is None or flag_region in present for flag_region, _, _ in flags))
            screened.append(Screened(f, label, by_rank[max(alone or [rank for rank, _ in counted])], bool(alone),
                                     only_widened))
        return sorted(screened, key=lambda s: (not s.red_flag, -s.urgency.rank, s.label, s.id))

    def screen_widened_by(self, presentation: Presentation) -> tuple[URIRef, ...]:
        return tuple(r.concept.iri for r in presentation.findings
                     if self.kb.ancestors.get(r.concept.id, frozenset((r.concept.id,))) & self.kb.widening)

    def actions_of(self, rule: URIRef) -> list[tuple[URIRef, str, str | None]]:
        cache = self.__dict__.setdefault("_actions", {})
        if rule not in cache:
            cache[rule] = [(a, self.kb.actions[a][0], self.kb.actions[a][1]) for a in self._rule(rule).actions]
        return cache[rule]

    def is_training_modification(self, action: URIRef) -> bool:
        return self.kb.actions[action][2]

    def care_order(self, action: URIRef) -> int:
        return self.kb.actions[action][3]

    def superseded_by(self, action: URIRef) -> frozenset[URIRef]:
        return self.kb.actions[action][4]

    def region_of(self, action: URIRef) -> str | None:
        return self.kb.actions[action][5]

    def condition_text(self, rule: URIRef) -> str | None:
        return self._rule(rule).condition_text

    def _rule(self, iri: URIRef) -> CompiledRule:
        if not hasattr(self, "_by_iri"):
            self._by_iri = {r.iri: r for r in self.kb.rules}
        return self._by_iri[iri]
