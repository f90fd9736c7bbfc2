"""Clinically right answers, as properties of the whole graph (issue 12): named conditions, regions, each
step's own sentence, curator's readings visible at the rule they affect."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, SKOS

from mskg.cli.main import cli
from mskg.kg.load import load_compiled, load_graph
from mskg.ontology.namespaces import ID, MSKG
from mskg.queries.triage.compiled import CompiledTriageEngine
from mskg.queries.triage.records import Presentation, Reported, make_presentation
from mskg.queries.triage.sparql import engine_for


def local(iri) -> str:
    return str(iri)[len(str(ID)):]


def _concern_cases():
    g = load_graph()
    rank = {u: int(r) for u, r in g.subject_objects(MSKG.rank)}
    for flag in sorted(g.subjects(RDF.type, MSKG.RedFlag)):
        for condition in sorted(g.objects(flag, MSKG.raisesConcernFor)):
            yield pytest.param(local(condition), local(flag), rank[g.value(flag, MSKG.setsUrgency)],
                               id=f"{local(condition)}->{local(flag)}")


@pytest.mark.parametrize("condition, flag, at_least", list(_concern_cases()))
def test_reporting_a_named_condition_is_at_least_as_urgent_as_its_red_flag(condition, flag, at_least):
    """Every condition a red flag raises concern for, reported on its own, gets at least that flag's urgency
    and training stops ("cauda equina syndrome" is never "keep training")."""
    kb = load_compiled()
    concept = next(c for c in kb.concepts if c.id == condition)
    rule = next(r for r in kb.rules if r.id == flag)  # a flag that also needs a trend or duration is given it
    trend = max(rule.trends, key=("improving", "unchanged", "worsening", "rapidly-worsening").index) if rule.trends else None
    result = CompiledTriageEngine(kb).triage(Presentation((Reported(condition, concept),), (), rule.min_days, trend),
                                             explain=True)
    assert result.urgency.rank >= at_least, (condition, flag, result.urgency.id)
    assert result.training == "stop"


@pytest.mark.parametrize("named, urgency", [
    ("cauda equina syndrome", "emergency"), ("broken back", "urgent-same-day"), ("spinal infection", "urgent-same-day"),
    ("broken elbow", "urgent-same-day"), ("dislocated elbow", "urgent-same-day"), ("infected elbow", "urgent-same-day"),
])
def test_the_named_conditions_of_the_issue(named, urgency):
    data = json.loads(CliRunner().invoke(cli, ["triage", "-f", named, "--format", "json"]).stdout)
    assert (data["urgency"]["id"], data["training"]) == (urgency, "stop")
    assert not [r for r in data["recommendations"] if r["kind"] == "now" and r["id"] in
                {"stay-active", "training-reset-7-14-days", "elbow-relative-rest"}]


def test_every_rule_cites_its_urgency_from_its_own_region():
    """The sentence on a 'sets urgency' step comes from a section of the rule's own body region."""
    g = load_graph()
    view = __import__("mskg.queries.triage.explain", fromlist=["view_for"]).view_for(g)
    problems = []
    for rule in sorted(g.subjects(MSKG.setsUrgency, None)):
        region = g.value(rule, MSKG.inRegion)
        sections = {str(g.value(s, __import__("rdflib").DCTERMS.title)) for s in g.objects(region, MSKG.coversSection)}
        urgency = g.value(rule, MSKG.setsUrgency)
        excerpts = view.g.get_edge_data(rule, urgency, key=MSKG.setsUrgency)["excerpts"]
        assert excerpts, local(rule)
        wrong = [e.section for e in excerpts if e.section not in sections]
        if wrong:
            problems.append((local(rule), local(region), wrong))
    assert problems == []


def test_every_rule_and_every_finding_has_a_region():
    g = load_graph()
    rules = {r for t in (MSKG.RedFlag, MSKG.EscalationRule, MSKG.SelfCareRule) for r in g.subjects(RDF.type, t)}
    assert [local(r) for r in rules if g.value(r, MSKG.inRegion) is None] == []
    concepts = {c for root in (MSKG.ClinicalFinding, MSKG.Condition) for c in g.transitive_subjects(RDFS.subClassOf, root)
                if str(c).startswith(str(ID))}
    assert [local(c) for c in concepts if g.value(c, MSKG.inRegion) is None] == []
    assert {str(g.value(r, SKOS.prefLabel)) for r in g.subjects(RDF.type, MSKG.BodyRegion)} == {
        "low back and leg", "elbow and forearm", "systemic (the whole person)"}


def test_curators_readings_are_at_the_flag_they_affect_and_marked_in_text():
    data = json.loads(CliRunner().invoke(cli, ["triage", "-f", "visible deformity around the elbow",
                                               "--format", "json"]).stdout)
    flag = next(f for f in data["flags"] if f["id"] == "rf-elbow-deformity")
    props = {n["property"] for n in flag["interpretations"]}
    assert "sets urgency" in props
    assert any("safer reading" in n["note"] for n in flag["interpretations"])
    text = CliRunner().invoke(cli, ["triage", "-f", "visible deformity around the elbow"]).stdout
    assert "curator's reading (sets urgency):" in text


def test_regions_are_said_in_the_answer():
    only_fever = json.loads(CliRunner().invoke(cli, ["triage", "-f", "fever", "--format", "json"]).stdout)
    assert only_fever["regions"] == {"reported": [], "every_region": True}
    text = CliRunner().invoke(cli, ["triage", "-f", "fever"]).stdout
    assert "read against every body region" in text
    elbow = json.loads(CliRunner().invoke(cli, ["triage", "-f", "tennis elbow", "-f", "fever", "--format",
                                                "json"]).stdout)
    assert elbow["regions"] == {"reported": ["elbow-and-forearm"], "every_region": False}
    assert "rf-fever-unwell" not in {f["id"] for f in elbow["flags"]}
    assert not {"saddle-anaesthesia", "urinary-retention"} & {n["id"] for n in elbow["not_asked"]}


def test_hedged_options_are_mentioned_not_recommended():
    g = load_graph()
    for action in ("spine-injection-or-biologic", "spine-surgery"):
        assert (ID[action], MSKG.recommendedFor, None) not in g
        assert (ID[action], MSKG.mentionedAsOptionFor, ID["sciatica"]) in g
        assert (ID[action], MSKG.mentionedAsOptionFor, ID["mechanical-low-back-pain"]) not in g


def test_the_elbow_injury_review_has_no_week():
    g = load_graph()
    assert g.value(ID["elbow-injury-review"], MSKG.hasTimeframe) is None
    assert set(g.objects(ID["esc-elbow-injury"], MSKG.callsFor)) == {ID["elbow-injury-review"]}
    assert g.value(ID["elbow-clinical-review-week"], MSKG.hasTimeframe) is not None


@pytest.mark.parametrize("engine_name", ["compiled", "sparql"])
def test_no_routine_early_scan_is_not_advised_beside_mri(engine_name):
    """'Consider MRI at around 6 weeks' and 'No routine early scan' are never advised together: the article
    limits the second to an uncomplicated pattern following the expected course."""
    g = load_graph()
    engine = CompiledTriageEngine(load_compiled()) if engine_name == "compiled" else engine_for(g)
    late = make_presentation(g, ["low back pain"], duration="7 weeks", trend="no better")
    now = [r.id for r in engine.triage(late, explain=False).recommendations if r.kind == "now"]
    assert "consider-mri" in now and "no-routine-early-imaging" not in now
    early = make_presentation(g, ["low back pain"], duration="5 days")
    result = engine.triage(early, explain=False)
    assert "no-routine-early-imaging" in [r.id for r in result.recommendations if r.kind == "now"]
    assert ("consider-mri", "safety-net") in [(r.id, r.kind) for r in result.recommendations]
    # the curator's reading is shown at the recommendation
    assert [note for _, note in result.interpretations["no-routine-early-imaging"]
            if "uncomplicated pattern following the expected course" in note]


@pytest.mark.parametrize("engine_name", ["compiled", "sparql"])
@pytest.mark.parametrize("findings, urgency, now", [
    # a fever alone is read against every region (same day, training stops) but is no reason for a spinal scan
    (["fever"], "urgent-same-day", ["nhs-111-or-urgent-same-day-care", "stop-training"]),
    (["fever", "low back pain"], "urgent-same-day", ["nhs-111-or-urgent-same-day-care", "scan-now", "stop-training"]),
    (["unexplained weight loss"], "prompt-review", ["prompt-clinical-review", "stop-training"]),
    (["unexplained weight loss", "low back pain"], "prompt-review",
     ["prompt-clinical-review", "scan-now", "stop-training"]),
])
def test_a_spinal_scan_needs_a_back_or_leg_complaint(engine_name, findings, urgency, now):
    g = load_graph()
    engine = CompiledTriageEngine(load_compiled()) if engine_name == "compiled" else engine_for(g)
    result = engine.triage(make_presentation(g, findings), explain=False)
    assert result.urgency.id == urgency
    assert [r.id for r in result.recommendations if r.kind == "now"] == now
