"""The triage records (queries/triage/records.py): immutable values with safe defaults, and inputs resolved one
by one so that an unknown word anywhere never drops what comes after it."""
from __future__ import annotations

import dataclasses

import pytest
from rdflib import URIRef

from mskg.kg.load import load_compiled, load_graph
from mskg.kg.resolve import ResolutionError
from mskg.queries.triage.records import (Presentation, Reported, RuleResult, TriageResult, Unresolved,
                                         UnresolvedInputs, Urgency, make_presentation, resolve_inputs)


@pytest.fixture(scope="module")
def resolver():
    return load_compiled().resolver


def test_an_unknown_word_first_does_not_drop_the_findings_after_it(resolver):
    present, absent, unresolved = resolve_inputs(resolver, ["gronkle", "saddle numbness"], ["blorp", "fever"])
    assert [r.concept.id for r in present] == ["saddle-anaesthesia"]
    assert [r.concept.id for r in absent] == ["fever"]
    assert [(u.input, u.absent) for u in unresolved] == [("gronkle", False), ("blorp", True)]


def test_by_default_a_presentation_is_partial_not_refused():
    p = make_presentation(load_graph(), ["saddle numbness", "gronkle"])
    assert [r.concept.id for r in p.findings] == ["saddle-anaesthesia"]
    assert [u.input for u in p.unresolved] == ["gronkle"]
    with pytest.raises(UnresolvedInputs):
        make_presentation(load_graph(), ["saddle numbness", "gronkle"], strict=True)


def test_an_unresolved_input_is_present_unless_said_absent_and_names_three_candidates(resolver):
    error = ResolutionError("numbnes", "unknown finding or condition",
                            [resolver.resolve_match(t) for t in ("saddle numbness", "numb leg", "fever",
                                                                  "widespread numbness")])
    item = Unresolved.from_error(error)
    assert item.absent is False and Unresolved("x", "y", ()).absent is False
    assert Unresolved.from_error(error, absent=True).absent is True
    # the message names the first three candidates, closest first, and no more
    labels = [label for _, label in item.candidates]
    assert str(item) == f"unknown finding or condition: 'numbnes' (closest: {', '.join(labels[:3])})"
    assert str(Unresolved("numbnes", "unknown finding or condition", ())) == "unknown finding or condition: 'numbnes'"


def test_records_are_immutable_values_with_safe_defaults(resolver):
    match = resolver.resolve_match("saddle numbness")
    reported = Reported("saddle numbness", match.concept, match.how)
    for record, field in ((reported, "input"), (Unresolved("x", "y", ()), "reason"),
                          (Presentation((reported,)), "trend"), (Urgency("a", "b", 1, "c"), "rank")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, field, None)
    assert hash(Presentation((reported,))) == hash(Presentation((reported,)))
    assert Urgency("a", "b", 1, "c").without_safety_net is False  # a safety net unless the level says not
    rule = RuleResult(URIRef("urn:r"), "r", "r", "RedFlag", Urgency("a", "b", 1, "c"), True, True, True, (), ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.fires = False  # type: ignore[misc]
    # A result claims "every region was read" only when an engine says so (its answer then says why).
    result = TriageResult(Presentation((reported,)), Urgency("a", "b", 1, "c"), "modify", [rule], [], [])
    assert (result.every_region, result.regions) == (False, ())
