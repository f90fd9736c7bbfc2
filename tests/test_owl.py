"""The ontology opens in owlready2 (as in Protégé), and HermiT finds it consistent."""
from __future__ import annotations

import shutil

import pytest

from mskg.ontology.owl import load_in_owlready, to_rdfxml


def test_owlready2_loads_ontology_and_instances(graph):
    report = load_in_owlready(graph)
    assert report.classes >= 110  # ontology classes + clinical concepts
    assert report.object_properties >= 25
    assert report.individuals >= 100


def test_the_ontology_classes_and_concept_hierarchy_survive_in_owlready2(graph, tmp_path):
    import owlready2

    path = tmp_path / "mskg.owl"
    path.write_bytes(to_rdfxml(graph))
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    ces = world["https://w3id.org/mskg/id/cauda-equina-syndrome"]
    serious = world["https://w3id.org/mskg/id/serious-spinal-pathology"]
    condition = world["https://w3id.org/mskg/ontology#Condition"]
    assert serious in ces.is_a
    assert condition in serious.ancestors()
    rule = world["https://w3id.org/mskg/id/rf-saddle-anaesthesia"]
    assert world["https://w3id.org/mskg/ontology#RedFlag"] in rule.is_a
    world.close()


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime")
def test_hermit_finds_the_ontology_consistent_with_no_unsatisfiable_class(graph, tmp_path):
    import owlready2

    path = tmp_path / "mskg.owl"
    path.write_bytes(to_rdfxml(graph))
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
    world.close()
