"""Finding resolution: one concept by id, label, synonym or SNOMED CT code; never a guess."""
from __future__ import annotations

import pytest
from rdflib import URIRef

from mskg.kg.resolve import Concept, ResolutionError, Resolver, normalise, resolver_for


@pytest.fixture(scope="module")
def resolver(graph):
    return resolver_for(graph)


@pytest.mark.parametrize("text,expected", [
    ("saddle-anaesthesia", "saddle-anaesthesia"),                      # id
    ("saddle anaesthesia", "saddle-anaesthesia"),                      # preferred label
    ("saddle numbness", "saddle-anaesthesia"),                         # synonym
    ("  SADDLE   Numbness!! ", "saddle-anaesthesia"),                  # case, punctuation, whitespace
    ("numbness “around the bottom/genitals”", "saddle-anaesthesia"),   # the article's own wording
    ("numbness around your bottom, genitals, or anus", "saddle-anaesthesia"),
    ("192970008", "cauda-equina-syndrome"),                            # SNOMED CT code
    ("SCT 23056005", "sciatica"),
    ("tennis elbow", "tennis-elbow"),                                  # a condition
    ("golfer’s elbow", "golfers-elbow"),
    ("golfers elbow", "golfers-elbow"),
    ("pins & needles", "pins-and-needles"),
])
def test_resolves_to_one_concept(resolver, text, expected):
    assert resolver.resolve(text).id == expected


def test_an_unknown_input_names_itself_and_the_closest_matches(resolver):
    with pytest.raises(ResolutionError) as err:
        resolver.resolve("sadle numbnes")
    assert err.value.text == "sadle numbnes"
    assert err.value.reason == "unknown finding or condition"
    assert err.value.candidates[0].concept.id == "saddle-anaesthesia"
    assert str(err.value).startswith("unknown finding or condition: 'sadle numbnes'. Closest matches: saddle anaesthesia")


def test_a_body_site_is_not_a_finding(resolver):
    with pytest.raises(ResolutionError, match=r"not a finding or condition \(it is a body site\): 'elbow'"):
        resolver.resolve("elbow")


def test_equal_matches_are_ambiguous_not_guessed():
    a = Concept(URIRef("urn:a"), "a", "alpha", ("shared words",), "symptom", "ClinicalFinding", ())
    b = Concept(URIRef("urn:b"), "b", "beta", ("Shared-words",), "symptom", "ClinicalFinding", ())
    with pytest.raises(ResolutionError) as err:
        Resolver([a, b]).resolve("shared words")
    assert err.value.reason == "ambiguous input matches several concepts equally"
    assert {m.concept.id for m in err.value.candidates} == {"a", "b"}


def test_empty_input_is_refused(resolver):
    with pytest.raises(ResolutionError, match="empty input"):
        resolver.resolve("  ?! ")


def test_search_shows_which_synonym_matched(resolver):
    matches = resolver.search("saddle numbness")
    assert matches[0].concept.id == "saddle-anaesthesia"
    assert (matches[0].matched, matches[0].how) == ("saddle numbness", "synonym")
    phrase = {m.concept.id for m in resolver.search("numbness")}
    assert {"saddle-anaesthesia", "leg-numbness", "bilateral-leg-numbness", "widespread-numbness"} <= phrase


def test_normalise():
    assert normalise("  Numbness “around the bottom/genitals”! ") == "numbness around the bottom genitals"
    assert normalise("Golfer’s elbow") == normalise("golfers elbow") == "golfers elbow"
