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


def test_a_typing_error_is_read_and_says_how(resolver):
    match = resolver.resolve_match("sadle numbnes")
    assert (match.concept.id, match.how, match.read_as) == ("saddle-anaesthesia", "spelling", "saddle numbness")


def test_an_unknown_input_names_itself_and_the_closest_matches(resolver):
    with pytest.raises(ResolutionError) as err:
        resolver.resolve("numb fingers")
    assert err.value.text == "numb fingers"
    assert err.value.reason == "the article does not cover this body site (fingers): it covers the low back and legs, and the elbow"
    assert {m.concept.id for m in err.value.candidates} & {"leg-numbness", "bilateral-leg-numbness"}
    with pytest.raises(ResolutionError) as err:
        resolver.resolve("xyzzy plugh")
    assert str(err.value) == "unknown finding or condition: 'xyzzy plugh'. Closest matches: none"


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
    assert normalise("Golfer’s elbow") == normalise("golfer's elbow") == "golfer elbow"  # a possessive 's goes
    assert normalise("can't") == "cant"  # other apostrophes just go
    assert normalise("her leg's weak") == "her leg weak"  # one leg, not legs


# ------------------------------------------------------------------ typing errors, by the documented rules
# A word is corrected only to the ONE nearest known word starting with the same letter: within one edit for
# words of up to 5 letters, two for longer ones; equally near words are told apart by a swap of two letters,
# then by having the same length; otherwise nothing is guessed. Words under 4 letters and numbers are left.

@pytest.mark.parametrize("words, expected", [
    (["lg"], None), (["bk"], None), (["7"], None), (["1234"], None),   # too short to guess, or a number
    (["sciaca"], ["sciatica"]),      # 6 letters, two edits (two letters missing): corrected
    (["tenis"], ["tennis"]),         # 5 letters, one edit
    (["numbns"], None),              # 6 letters, two edits from four words (numb, numbed, number, numbness)
    (["legg"], ["legs"]),            # one edit from 'leg' and 'legs': the same length wins
    (["feverr"], ["fevers"]),        # one edit from 'fever' and 'fevers': the same length wins
    (["boen"], ["bone"]),            # one edit from 'bone' (a swap) and 'been': the swap wins
    (["bedn"], ["bend"]),            # the same, against 'been'
    (["golfr"], None),               # one edit from 'golf' and 'golfer', neither a swap nor the same length
    (["peee"], None),                # 'peed' and 'pees' both the same length: no guess
    (["back", "bakc"], ["back", "back"]),  # known words stay, the error is corrected
    (["back", "pain"], None),        # nothing to correct
])
def test_typing_errors_are_corrected_only_to_one_nearest_word(resolver, words, expected):
    assert resolver._correct(words) == expected


def test_an_over_long_input_is_named_by_its_first_40_characters(resolver):
    text = "saddle numbness " * 13  # 208 characters
    with pytest.raises(ResolutionError) as err:
        resolver.resolve_match(text)
    assert err.value.text == text[:40] + "…"
    assert err.value.reason == "too long (208 characters; at most 200)"
    resolver.resolve_match(("saddle numbness" + " " * 200)[:200])  # 200 characters are read
