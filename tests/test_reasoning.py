"""Formal reasoning: a consistent ontology, the rules as OWL defined classes, and a second triage engine
(HermiT) that must agree with the SPARQL one on every vignette and on hundreds of generated presentations."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal

from mskg.cli.main import cli
from mskg.kg.build import to_ntriples
from mskg.kg.resolve import PRESENTATION_ROOTS, resolver_for
from mskg.ontology import reasoning
from mskg.ontology.namespaces import ID, MSKG
from mskg.ontology.reasoning import ReasonerUnavailable, defined_classes, java_version
from mskg.queries.triage.records import Presentation, Reported, make_presentation, parse_duration
from mskg.queries.triage.sparql import engine_for

from .test_triage_vignettes import VIGNETTES

JAVA = java_version()
needs_java = pytest.mark.skipif(JAVA is None, reason="the reasoners need a Java runtime")


def test_every_rule_is_expressed_as_a_defined_class(graph):
    defined = defined_classes(graph)
    assert defined.not_expressible == []
    rules = set(graph.subjects(MSKG.setsUrgency, None))
    assert set(defined.rules) == rules and len(rules) == 39  # 29, issue 12's six red flags, the medial-elbow and impact rules, swelling after injury, metastatic cancer
    assert set(defined.tiers) == {"emergency", "urgent-same-day", "prompt-review", "routine-review", "self-care"}
    assert to_ntriples(defined.graph) == to_ntriples(defined_classes(graph).graph)  # deterministic


def test_a_condition_owl_cannot_read_is_listed_not_dropped(graph):
    changed = graph + graph.__class__()
    changed.add((ID["rf-fever-unwell"], MSKG.someFutureCondition, Literal(3)))
    defined = defined_classes(changed)
    assert [r for r, _ in defined.not_expressible] == ["rf-fever-unwell"]
    assert "someFutureCondition" in defined.not_expressible[0][1]
    assert ID["rf-fever-unwell"] not in defined.rules


def test_no_java_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(reasoning.shutil, "which", lambda name: None)
    with pytest.raises(ReasonerUnavailable, match="need a Java runtime and there is no `java` on PATH"):
        reasoning.check_reasoner("hermit")
    for args in (["reason"], ["triage", "-f", "fever", "--engine", "owl"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2
        assert "apt-get install default-jre-headless" in result.stderr
        assert result.stdout == ""


@needs_java
@pytest.mark.skipif(JAVA is not None and JAVA[1] >= 25, reason="this machine's Java runs Pellet")
def test_pellet_on_an_old_java_says_so_plainly():
    result = CliRunner().invoke(cli, ["reason", "--reasoner", "pellet"])
    assert result.exit_code == 2
    assert result.stderr.startswith("mskg reason: Pellet, as bundled with owlready2, needs Java 25 or newer; "
                                    f"this machine has Java {JAVA[1]}")


@needs_java
def test_reason_reports_consistent_with_no_unsatisfiable_class():
    result = CliRunner().invoke(cli, ["reason", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["consistent"] is True
    assert report["unsatisfiable"] == []
    assert report["rules_expressed"] == 39 and report["not_expressible"] == []
    inferred = {(i["class"], i["superclass"]) for i in report["inferred"]}
    assert ("emergency presentation", "presentation where training must stop") in inferred
    assert ("presentation that fires: Difficulty starting, stopping or fully emptying urine",
            "presentation that fires: New bladder or bowel control problems") in inferred


@needs_java
def test_an_injected_contradiction_exits_1_naming_it(tmp_path):
    extra = tmp_path / "change.ttl"
    extra.write_text("""@prefix mskg: <https://w3id.org/mskg/ontology#> .
@prefix id: <https://w3id.org/mskg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
mskg:RedFlag owl:disjointWith mskg:EscalationRule .
id:rf-saddle-anaesthesia a mskg:EscalationRule .
id:fever skos:altLabel "raised temperature"@en .
""", encoding="utf-8")
    result = CliRunner().invoke(cli, ["reason", "--with", str(extra)])
    assert result.exit_code == 1
    out = result.stdout
    assert "consistent      NO" in out
    assert "these added axioms together make it inconsistent (remove any one and it is not):" in out
    assert "mskg:RedFlag owl:disjointWith mskg:EscalationRule ." in out
    assert "id:rf-saddle-anaesthesia a mskg:EscalationRule ." in out
    assert "raised temperature" not in out


@needs_java
def test_an_unsatisfiable_class_exits_1_naming_it(tmp_path):
    extra = tmp_path / "change.ttl"
    extra.write_text("""@prefix mskg: <https://w3id.org/mskg/ontology#> .
@prefix id: <https://w3id.org/mskg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
id:saddle-anaesthesia owl:disjointWith mskg:ClinicalFinding .
""", encoding="utf-8")
    result = CliRunner().invoke(cli, ["reason", "--with", str(extra), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["consistent"] is True
    assert "saddle anaesthesia" in report["unsatisfiable"]
    # the flag itself stays satisfiable: reporting cauda equina syndrome meets it too (issue 12, named conditions)
    assert "presentation that fires: New numbness or altered feeling around the saddle area" not in report["unsatisfiable"]


# ---------------------------------------------------------------------- the differential test

def _answer(result) -> tuple:
    return (result.urgency.id, result.training, frozenset(r.id for r in result.fired))


def _compare(graph, presentations: list[Presentation]) -> None:
    engine = engine_for(graph)
    owl = engine.triage_many_owl(presentations)
    disagreements = []
    for presentation, by_owl in zip(presentations, owl):
        by_sparql = engine.triage(presentation, explain=False)
        if _answer(by_sparql) != _answer(by_owl):
            disagreements.append(
                f"presentation: findings={[r.concept.id for r in presentation.findings]} "
                f"duration={presentation.duration_days} trend={presentation.trend}\n"
                f"  sparql: {_answer(by_sparql)}\n  owl:    {_answer(by_owl)}")
    assert not disagreements, "the engines disagree:\n" + "\n".join(disagreements)


@needs_java
def test_both_engines_agree_on_every_vignette(graph):
    presentations = [make_presentation(graph, v.findings, v.absent, v.duration, v.trend) for v in VIGNETTES]
    _compare(graph, presentations)


def _concepts(graph):
    resolver = resolver_for(graph)
    return sorted((c for c in resolver.concepts.values() if c.root in PRESENTATION_ROOTS), key=lambda c: c.id)


presentation_strategy = st.tuples(
    st.lists(st.integers(min_value=0, max_value=62), min_size=1, max_size=5, unique=True),
    st.sampled_from([None, "12h", "3d", "6d", "7d", "13d", "14d", "27d", "28d", "41d", "42d", "60d"]),
    st.sampled_from([None, "improving", "unchanged", "worsening"]),
)


@needs_java
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(presentation_strategy, min_size=150, max_size=150))
def test_both_engines_agree_on_generated_presentations(graph, batch):
    concepts = _concepts(graph)
    presentations = []
    for indices, duration, trend in batch:
        findings = tuple({concepts[i].id: Reported(concepts[i].id, concepts[i]) for i in indices}.values())
        presentations.append(Presentation(findings, (), parse_duration(duration) if duration else None, trend))
    _compare(graph, presentations)


@needs_java
def test_the_owl_engine_answers_in_the_same_json_shape(graph):
    from mskg.cli.render import triage_dict

    engine = engine_for(graph)
    for findings in (["saddle numbness"], ["tennis elbow", "pain keeps me awake"], ["low back pain"]):
        presentation = make_presentation(graph, findings, duration="6w", trend="unchanged")
        assert triage_dict(engine.triage_owl(presentation)) == triage_dict(engine.triage(presentation))
    result = CliRunner().invoke(cli, ["triage", "-f", "saddle numbness", "--engine", "owl", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["urgency"]["id"], data["training"], [f["id"] for f in data["flags"]]) == (
        "emergency", "stop", ["rf-saddle-anaesthesia"])
