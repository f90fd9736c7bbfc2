"""SHACL: the built graph conforms, and each kind of broken fact is caught with a readable message."""
from __future__ import annotations

import pytest
from rdflib import SKOS, TIME, Graph, Literal

from mskg.kg import build as build_module
from mskg.kg.build import write_build
from mskg.ontology.namespaces import ID, MSKG
from mskg.ontology.shacl import validate_shapes


def test_the_built_graph_conforms(graph):
    report = validate_shapes(graph)
    assert report.conforms, report.text
    assert report.violations == ()


def _copy(graph: Graph) -> Graph:
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    return copy


BREAKAGES = [
    ("red flag without urgency", lambda g: g.remove((ID["rf-saddle-anaesthesia"], MSKG.setsUrgency, None)),
     "id:rf-saddle-anaesthesia mskg:setsUrgency: a rule sets exactly one urgency level"),
    ("red flag with two urgencies", lambda g: g.add((ID["rf-fever-unwell"], MSKG.setsUrgency, ID["emergency"])),
     "id:rf-fever-unwell mskg:setsUrgency: a rule sets exactly one urgency level"),
    ("red flag without trigger", lambda g: g.remove((ID["rf-significant-trauma"], MSKG.hasTrigger, None)),
     "id:rf-significant-trauma mskg:hasTrigger: a rule needs at least one trigger finding"),
    ("red flag without action", lambda g: g.remove((ID["rf-significant-trauma"], MSKG.callsFor, None)),
     "id:rf-significant-trauma mskg:callsFor: a rule calls for at least one action"),
    ("red flag without excerpt",
     lambda g: g.remove((ID["rf-significant-trauma"], build_module.PROV.wasDerivedFrom, None)),
     "id:rf-significant-trauma prov:wasDerivedFrom: needs at least one excerpt of the article"),
    ("timeframe without unit", lambda g: g.remove((ID["tf-mri-about-6-weeks"], TIME.unitType, None)),
     "id:tf-mri-about-6-weeks time:unitType: a timeframe needs exactly one unit"),
    ("timeframe without value", lambda g: g.remove((ID["tf-mri-about-6-weeks"], TIME.numericDuration, None)),
     "id:tf-mri-about-6-weeks ?: a timeframe needs a numeric value, or must be marked vague"),
    ("statistic without source", lambda g: g.remove((ID["stat-cauda-equina-rate"], MSKG.attributedTo, None)),
     "id:stat-cauda-equina-rate mskg:attributedTo: a statistic needs the evidence source it comes from"),
    ("statistic without value", lambda g: g.remove((ID["stat-cauda-equina-rate"], MSKG.numericValue, None)),
     "id:stat-cauda-equina-rate mskg:numericValue: a statistic needs exactly one numeric value"),
    ("concept without label", lambda g: g.remove((ID["saddle-anaesthesia"], SKOS.prefLabel, None)),
     "id:saddle-anaesthesia skos:prefLabel: needs exactly one English skos:prefLabel"),
    ("concept with two labels",
     lambda g: g.add((ID["saddle-anaesthesia"], SKOS.prefLabel, Literal("saddle numbness", lang="en"))),
     "id:saddle-anaesthesia skos:prefLabel: needs exactly one English skos:prefLabel"),
    ("concept label not English",
     lambda g: (g.remove((ID["fever"], SKOS.prefLabel, None)), g.add((ID["fever"], SKOS.prefLabel, Literal("fièvre", lang="fr")))),
     "id:fever skos:prefLabel: needs exactly one English skos:prefLabel"),
    ("trigger that is not a clinical concept",
     lambda g: g.add((ID["rf-fever-unwell"], MSKG.hasTrigger, ID["emergency"])),
     "id:rf-fever-unwell mskg:hasTrigger"),
]


@pytest.mark.parametrize("name,break_it,expected", BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_a_broken_fact_fails_the_shapes(graph, name, break_it, expected):
    broken = _copy(graph)
    for prefix, ns in graph.namespaces():
        broken.bind(prefix, ns, override=True)
    break_it(broken)
    report = validate_shapes(broken)
    assert not report.conforms
    assert any(str(v).startswith(expected) for v in report.violations), [str(v) for v in report.violations]


def test_a_graph_that_fails_its_shapes_is_not_written(tmp_path, monkeypatch):
    real = build_module.build_instances

    def broken_instances(*args, **kwargs):
        instances = real(*args, **kwargs)
        instances.remove((ID["rf-saddle-anaesthesia"], MSKG.setsUrgency, None))
        return instances

    monkeypatch.setattr(build_module, "build_instances", broken_instances)
    result = write_build(tmp_path / "out", "turtle")
    assert not result.shape_report.conforms
    assert result.files == ()
    assert not (tmp_path / "out").exists()
