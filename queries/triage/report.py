"""Why a rule fires, or what is missing for it to fire: the record behind ``mskg explain`` and ``--why-not``.

It reads the rule's criteria against a presentation (reported, absent, not asked), its duration and trend
conditions, and the explainer's paths to the article's words. It sits above both the engines and the
explainer: it asks the first what fires and the second why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import OWL, RDF, Graph, URIRef

from ...ontology.namespaces import MSKG
from ...ontology.namespaces import local_id as _local
from .explain import Explanation, action_explanations, rule_explanations, view_for
from .records import Presentation, TriageResult, Withheld
from .sparql import engine_for
from .timing import TREND_IDS, TREND_IRIS

@dataclass(frozen=True)
class TriggerStatus:
    """One finding of a criterion and whether the person reported it, said it is absent, or was not asked."""

    id: str
    label: str
    status: str  # "reported" | "absent" | "unknown"


@dataclass(frozen=True)
class CriterionStatus:
    """One criterion of a rule: met when any one of its findings is reported."""

    met: bool
    findings: tuple[TriggerStatus, ...]


@dataclass
class RuleReport:
    """Everything about one rule for one presentation: does it fire, and what is met or missing."""

    id: str
    label: str
    kind: str
    urgency: object
    fires: bool
    criteria: list[CriterionStatus]
    duration: dict | None
    trend: dict | None
    minimal_triggers: tuple[str, ...] = ()
    explanations: list[Explanation] = field(default_factory=list)
    interpretations: tuple[tuple[str, str], ...] = ()
    actions: list[tuple[str, str]] = field(default_factory=list)
    concerns: list[tuple[str, str]] = field(default_factory=list)
    #: of the actions it calls for, when it fires, those the answer does not recommend now, and why (as the answer)
    not_advised: list[Withheld] = field(default_factory=list)

    @property
    def advised(self) -> list[tuple[str, str]]:
        """The actions it calls for less those the answer does not recommend now."""
        out = {w.id for w in self.not_advised}
        return [(i, label) for i, label in self.actions if i not in out]

    @property
    def missing(self) -> list[str]:
        """What stops the rule firing, in words (empty when it fires)."""
        out = []
        for criterion in self.criteria:
            if criterion.met:
                continue
            absent = [f.label for f in criterion.findings if f.status == "absent"]
            unknown = [f.label for f in criterion.findings if f.status == "unknown"]
            if unknown:
                out.append("not reported (ask about it): " + " or ".join(unknown))
            if absent:
                out.append("reported absent: " + " or ".join(absent))
        if self.duration and not self.duration["ok"]:
            given = self.duration["given_days"]
            out.append(f"duration: needs at least {self.duration['min_days']:g} days ({self.duration['timeframe']}); "
                       + ("not given (use --duration)" if given is None else f"given {given:g} days"))
        if self.trend and not self.trend["ok"]:
            given = self.trend["given"]
            out.append(f"trend: needs {' or '.join(self.trend['required'])}; "
                       + ("not given (use --trend)" if given is None else f"given {given}"))
        return out


def rule_report(graph: Graph, presentation: Presentation, rule_iri: URIRef,
                action: URIRef | None = None, answer: TriageResult | None = None) -> RuleReport:
    """Why a rule fires, or what is missing for it to fire, for ``presentation``.

    With ``action``, the explanations run on from the rule to that action (and its timeframe). ``answer`` is the
    triage of ``presentation`` (computed when not given): what the rule calls for is said as the answer says it.
    """
    engine = engine_for(graph)
    view = view_for(graph)
    if answer is None:
        answer = engine.triage(presentation, explain=False)
    results = {r.iri: r for r in answer.rules}
    result = results.get(rule_iri)
    by_criterion: dict[str, list[TriggerStatus]] = {}
    for row in engine.query(presentation, "rule_criteria", rule=rule_iri):
        by_criterion.setdefault(str(row["criterion"]), []).append(
            TriggerStatus(_local(row["trigger"]), str(row["label"]), str(row["status"])))
    criteria = [CriterionStatus(any(f.status == "reported" for f in fs), tuple(fs)) for _, fs in
                sorted(by_criterion.items())]
    min_days = graph.value(rule_iri, MSKG.minDurationDays)
    duration = None
    if min_days is not None:
        given = presentation.duration_days
        threshold = graph.value(rule_iri, MSKG.hasThresholdTimeframe)
        duration = {"min_days": float(min_days.toPython()), "timeframe": engine.label(threshold),
                    "given_days": None if given is None else float(given),
                    "ok": given is not None and given >= min_days.toPython()}
    required = sorted(TREND_IDS[t] for t in graph.objects(rule_iri, MSKG.requiresTrend))
    trend = None
    if required:
        given = presentation.trend
        implied = set() if given is None else {TREND_IDS[t] for t in
                                               graph.transitive_objects(TREND_IRIS[given], MSKG.impliesTrend)}
        trend = {"required": required, "given": given, "ok": bool(implied & set(required))}
    kind = next(_local(t) for t in graph.objects(rule_iri, RDF.type) if t != OWL.NamedIndividual)
    urgency = engine.urgencies[_local(graph.value(rule_iri, MSKG.setsUrgency))]
    node = view.node(rule_iri)
    report = RuleReport(
        id=_local(rule_iri), label=node.label, kind=kind, urgency=urgency,
        fires=bool(result and result.fires), criteria=criteria, duration=duration, trend=trend,
        interpretations=node.interpretations,
        # where to seek care first (as the answer orders them), then by label: the same order in every process
        actions=[(_local(a), engine.label(a)) for a in sorted((a for a, _, _ in engine.actions_of(rule_iri)),
                                                              key=lambda a: (-engine.care_order(a), engine.label(a)))],
        concerns=[(_local(c), engine.label(c)) for c in sorted(graph.objects(rule_iri, MSKG.raisesConcernFor))],
    )
    if result is not None:  # criteria met (and if it does not fire, the paths show how far it gets)
        if result.fires:
            report.minimal_triggers = result.minimal_triggers
            report.not_advised = [answer.withheld[i] for i, _ in report.actions if i in answer.withheld]
        report.explanations = rule_explanations(view, result)
        if action is not None:
            report.explanations += action_explanations(view, result, action)
    return report
