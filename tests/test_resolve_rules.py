"""The resolver's documented rules, one behaviour per test (see kg/resolve.py and README "Understanding what
people say"). Most tests build a small resolver from hand-made concepts and an empty lexicon, so that each
expectation can be worked out by hand from the rule alone; the rest use the built graph."""
from __future__ import annotations

import dataclasses

import pytest
from rdflib import RDFS, Graph, URIRef

from mskg.kg.resolve import (
    Concept,
    Lexicon,
    Match,
    Reader,
    ResolutionError,
    Resolver,
    concepts_from_graph,
    load_lexicon,
    resolver_for,
)
from mskg.ontology.namespaces import ID, MSKG

EMPTY = Lexicon(phrases=(), spellings={}, lemmas={}, fillers=frozenset(), covered_sites=frozenset(),
                uncovered_sites=frozenset(), negations=frozenset(), others=frozenset(), context=frozenset())


def concept(id: str, label: str, *synonyms: str, root: str = "ClinicalFinding", codes: tuple[str, ...] = (),
            hidden: tuple[str, ...] = ()) -> Concept:
    return Concept(URIRef(f"urn:test:{id}"), id, label, synonyms, "symptom", root, codes, hidden)


def small(*concepts: Concept, lexicon: Lexicon = EMPTY) -> Resolver:
    return Resolver(concepts, lexicon)


def unresolved(resolver: Resolver, text: str, **kwargs) -> ResolutionError:
    with pytest.raises(ResolutionError) as err:
        resolver.resolve_match(text, **kwargs)
    return err.value


@pytest.fixture(scope="module")
def resolver(graph):
    return resolver_for(graph)


# ------------------------------------------------------------------------------------------ value types

def test_concepts_and_matches_are_frozen_values():
    """A Concept and a Match cannot be changed once made, and equal ones are equal and hash alike (search
    compares matches with the exact ones; sets and dict keys of them must work)."""
    a = concept("a", "alpha")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.label = "beta"
    match = Match(a, "alpha", "label")
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.how = "synonym"
    again = Match(concept("a", "alpha"), "alpha", "label")
    assert match == again and hash(match) == hash(again)
    assert len({match, again, Match(a, "alpha", "spelling", "alpha")}) == 2


def test_the_lexicon_is_read_once_and_cannot_be_changed():
    """Every resolver shares the one lexicon read from kg/lexicon.yaml: it is read once and is frozen, so no
    resolver can change how another reads."""
    lexicon = load_lexicon()
    assert load_lexicon() is lexicon
    with pytest.raises(dataclasses.FrozenInstanceError):
        lexicon.fillers = frozenset()


def test_a_resolver_is_built_once_per_graph_for_the_last_four_graphs(graph):
    """resolver_for builds a graph's resolver once and keeps those of up to four graphs."""
    built = resolver_for(graph)
    assert resolver_for(graph) is built
    others = [Graph() for _ in range(3)]
    made = [resolver_for(g) for g in others]
    assert resolver_for(graph) is built  # the built graph and three others: all four kept
    assert all(resolver_for(g) is r for g, r in zip(others, made))


# ------------------------------------------------------------------------------------------------ reading

def test_longer_phrases_are_rewritten_first_then_alphabetically():
    """The lexicon's phrase rewrites are tried longest first (by words), equally long ones in alphabetical
    order of the phrase, so the reading never depends on the order of kg/lexicon.yaml."""
    phrases = [phrase for phrase, _ in load_lexicon().phrases]
    words = [len(p.split()) for p in phrases]
    assert words == sorted(words, reverse=True)
    for n in set(words):
        same = [p for p in phrases if len(p.split()) == n]
        assert same == sorted(same), n
    assert phrases.index("cant feel") < phrases.index("cant")  # "can't feel" -> numb, before "can't" -> cannot


def test_a_spelling_variant_of_several_words_is_read_as_one():
    """A spelling variant may be several words ("physical therapy" -> "physiotherapy"); one-word variants
    are read word by word."""
    lexicon = dataclasses.replace(EMPTY, spellings={"physical therapy": "physiotherapy", "colour": "color"})
    assert Reader(lexicon).words("Physical therapy, colour") == ["physiotherapy", "color"]
    assert Reader(load_lexicon()).words("physical therapy") == ["physiotherapy"]


# ------------------------------------------------------------------------------------------- typing errors

@pytest.mark.parametrize("word", [
    "numbness",   # a word of a concept's wordings
    "sciatika",   # a word of a hidden label (a misspelling kept on purpose: one edit from 'sciatica')
    "unable",     # a word the lexicon rewrites ("unable to" -> "cannot"), of no wording
    "pretty",     # a filler word (of no wording)
    "thigh",      # a body site the article covers
    "fingers",    # a body site it does not
    "never",      # a negation
    "aunt",       # someone else (one edit from 'aint')
    "month",      # a time word (one edit from 'mouth')
])
def test_a_word_the_reader_knows_is_never_corrected(resolver, word):
    """Only unknown words are typing errors: a word of any wording, hidden label or lexicon list, or a time
    word, is read as typed, even when it is one edit from another word."""
    assert resolver._correct([word]) is None


@pytest.mark.parametrize("typed, expected", [
    ("numbnes", "numbness"),   # a word of a concept's wordings
    ("unabel", "unable"),      # a word the lexicon rewrites
    ("prety", "pretty"),       # a filler word
    ("thihg", "thigh"),        # a covered body site
    ("fingres", "fingers"),    # a body site the article does not cover (so it can be refused as such)
    ("nevr", "never"),         # a negation (so it can be refused as such)
    ("gymm", "gym"),           # a word of three letters is a target too
])
def test_a_typing_error_is_corrected_to_any_word_the_reader_knows(resolver, typed, expected):
    """Corrections aim at every word the reader knows (wordings, lexicon rewrites, fillers, body sites,
    negations), so a misspelt site or negation is still read as one."""
    assert resolver._correct([typed]) == [expected]


def test_a_three_letter_word_is_never_corrected(resolver):
    """Words under 4 letters are too short to guess from: 'bck' stays, though 'back' is one edit away."""
    assert resolver._correct(["bck"]) is None


def test_a_reordered_wording_is_not_a_typing_error(resolver):
    """Word order does not matter, and a wording whose words are all known was not mistyped: it matches as
    the synonym it is, with nothing 'read as'."""
    match = resolver.resolve_match("numbness saddle")
    assert (match.concept.id, match.how, match.read_as) == ("saddle-anaesthesia", "synonym", None)


# ----------------------------------------------------------------------------------------- bags of words

def test_two_concepts_with_the_same_words_are_ambiguous():
    """Two concepts whose wordings read as the same bag of words are not told apart by guessing."""
    r = small(concept("a", "sharp pain"), concept("b", "pain sharp"))
    err = unresolved(r, "Sharp pain, sharp!")
    assert err.reason == "ambiguous input matches several concepts equally"
    assert [m.concept.id for m in err.candidates] == ["a", "b"]


def test_a_wording_inside_a_sentence_says_what_it_was_read_as(resolver):
    """README: read_as is the wording an input was read as when that is not the input itself ("I'm worried
    I have cauda equina" -> "cauda equina")."""
    match = resolver.resolve_match("I'm worried I have cauda equina")
    assert (match.concept.id, match.matched, match.how, match.read_as) == (
        "cauda-equina-syndrome", "cauda equina", "synonym", "cauda equina")


# -------------------------------------------------------------------------- a wording inside a sentence

def test_the_concept_accounting_for_most_of_the_input_wins():
    """Of the wordings inside the input, the concept whose wordings cover most of its words is the one it
    names, when the words left over are its own ("burning" is a word of a's "burning ache")."""
    a = concept("a", "stabbing pain", "burning ache")
    b = concept("bbbbbb", "burning")
    match = small(a, b).resolve_match("stabbing pain burning")
    assert (match.concept.id, match.matched, match.how, match.read_as) == (
        "a", "stabbing pain", "label", "stabbing pain")


def test_whole_wordings_of_two_concepts_are_both_read():
    """An input made of whole wordings of two concepts reads both, rather than refusing (cold review, issue 12,
    HAZ-32): the one whose wordings cover more of the input first, the other in ``also`` (of equally wide ones, by
    their wordings in alphabetical order)."""
    a = concept("a", "stabbing pain", "burning ache")
    b = concept("b", "pain burning")
    match = small(a, b).resolve_match("stabbing pain burning")
    assert [(m.concept.id, m.matched) for m in (match, *match.also)] == [("b", "pain burning"), ("a", "stabbing pain")]
    wider = small(concept("a", "stabbing pain"), concept("b", "causalgia", "burning")).resolve_match(
        "burning stabbing pain")
    assert [(m.concept.id, m.matched, m.how) for m in (wider, *wider.also)] == [
        ("a", "stabbing pain", "label"), ("b", "burning", "synonym")]


def test_the_fewest_concepts_covering_the_input_are_read():
    """Of the concepts whose wordings are inside the input, the fewest that cover every word those wordings cover:
    "back pain leg numbness" is back pain and leg numbness, not also the leg pain its words could make."""
    r = small(concept("back", "back pain"), concept("numb", "leg numbness"), concept("legpain", "leg pain"))
    match = r.resolve_match("back pain leg numbness")
    assert sorted(m.concept.id for m in (match, *match.also)) == ["back", "numb"]


def test_two_readings_as_good_as_each_other_are_not_a_choice():
    """When two different sets of concepts would read the input equally, it names several findings: refused and
    listed, the widest wording first."""
    r = small(concept("a", "stabbing pain"), concept("b", "pain burning"), concept("c", "stabbing burning"))
    err = unresolved(r, "stabbing pain burning")
    assert err.reason == "names several findings: give each as its own finding"
    assert {m.concept.id for m in err.candidates} == {"a", "b", "c"}


def test_the_winner_is_shown_by_its_widest_wording_then_its_label():
    """A concept matched inside a sentence is shown by its wording covering most words; of equally wide
    ones, by its label."""
    wider = small(concept("a", "sharp pain", "stabbing thigh pain")).resolve_match("sharp stabbing thigh pain")
    assert (wider.matched, wider.how) == ("stabbing thigh pain", "synonym")
    label = small(concept("a", "sharp pain", "stabbing pain")).resolve_match("sharp stabbing pain")
    assert (label.matched, label.how, label.read_as) == ("sharp pain", "label", "sharp pain")


@pytest.mark.parametrize("synonyms", [("sharp pain", "stabbing pain"), ("stabbing pain", "sharp pain")])
def test_the_wording_shown_does_not_depend_on_the_order_of_the_synonyms(synonyms):
    """Of two equally wide synonyms, the one shown is the same whichever order they were given in."""
    match = small(concept("a", "causalgia", *synonyms)).resolve_match("sharp stabbing pain")
    assert (match.concept.id, match.matched, match.how) == ("a", "stabbing pain", "synonym")


# ----------------------------------------------------------------------------- a word of several findings

def _numbness(*extra: Concept) -> Resolver:
    return small(concept("calf", "calf numbness"), concept("thigh", "thigh numbness"),
                 concept("site", "numbness zone", root="BodySite"), *extra)


def test_a_word_of_several_findings_asks_for_more():
    """An input every word of which is in several findings' wordings ("numbness" with no site) is
    ambiguous: the findings are listed by label, and never a concept of another kind (a body site)."""
    err = unresolved(_numbness(), "numbness")
    assert err.reason == ("ambiguous: it could be any of several findings; say more "
                          "(for example where, or one side or both)")
    assert [m.concept.id for m in err.candidates] == ["calf", "thigh"]


def test_a_word_of_several_concepts_of_any_kind_when_every_kind_is_asked_for():
    """With no root kinds given (roots=None), the wider wordings of every kind are listed."""
    err = unresolved(_numbness(), "numbness", roots=None)
    assert err.reason.startswith("ambiguous: it could be any of several findings")
    assert [m.concept.id for m in err.candidates] == ["calf", "site", "thigh"]


def test_a_word_of_just_one_finding_is_unknown_not_ambiguous():
    """An input found inside only one finding's wording is not 'any of several': it is an unknown finding."""
    r = small(concept("calf", "calf numbness"), concept("site", "numbness zone", root="BodySite"))
    assert unresolved(r, "numbness").reason == "unknown finding or condition"


def test_at_most_eight_of_several_findings_are_listed():
    """The findings an ambiguous word could be are listed by label, the first eight."""
    sites = ["ankle", "back", "calf", "foot", "groin", "heel", "knee", "shin", "thigh", "toe"]
    r = small(*(concept(s, f"{s} numbness") for s in reversed(sites)))
    assert [m.concept.id for m in unresolved(r, "numbness").candidates] == sites[:8]


# -------------------------------------------------------------------------------------------- closest()

def test_closest_lists_the_best_five_best_first():
    """closest() ranks concepts by how like the input their nearest wording looks, best first, five by
    default; a concept is shown by its best wording."""
    r = small(concept("c1", "pains"), concept("c2", "pain", "pain relief"), concept("c3", "pain x"),
              concept("c4", "paint"), concept("c5", "pain y"), concept("c6", "pain z"), concept("c7", "spain"))
    closest = r.closest("pain")
    assert len(closest) == 5
    assert (closest[0].concept.id, closest[0].matched, closest[0].how) == ("c2", "pain", "label")
    assert len(r.closest("pai", limit=7)) == 7


def test_closest_offers_only_concepts_sharing_a_word_when_some_do():
    """When a word of the input is a word of some concepts' wordings, only those are offered (spelling neighbours
    are noise: "pain" is not "paint"); a vague word ("funny", lexicon ``vague``) shares nothing."""
    r = small(concept("c1", "pains"), concept("c2", "pain", "pain relief"), concept("c3", "pain x"),
              concept("c4", "paint"), concept("c5", "pain y"), concept("c6", "pain z"), concept("c7", "spain"))
    assert {m.concept.id for m in r.closest("pain", limit=7)} == {"c1", "c2", "c3", "c5", "c6"}
    lexicon = dataclasses.replace(EMPTY, vague=frozenset({"funny"}))
    r = small(concept("bladder", "cannot pee", "trouble peeing"), concept("elbow", "elbow is a funny shape"),
              lexicon=lexicon)
    assert [m.concept.id for m in r.closest("peeing funny")] == ["bladder"]


def test_closest_of_some_kinds_skips_the_others_but_not_what_shares_their_wording():
    """closest() with root kinds lists only concepts of those kinds, including one sharing a wording with a
    concept of another kind; with none given it lists every kind."""
    site = concept("site", "lower leg", root="BodySite")
    finding = concept("finding", "leg numbness", "lower leg")
    r = small(site, finding)
    assert [m.concept.id for m in r.closest("lower leg", ("ClinicalFinding",))] == ["finding"]
    assert {m.concept.id for m in r.closest("lower leg")} == {"site", "finding"}


# --------------------------------------------------------------------------------------------- search()

def test_search_prefers_a_label_to_a_synonym_to_an_id():
    """A concept found by a phrase is shown by its label rather than a synonym, and a synonym rather than its
    id, wherever those come in alphabetical order."""
    r = small(concept("thigh-ache", "ache in the thigh", "thigh ache all over"),  # label sorts first
              concept("calf-ache", "sharp calf ache", "ache in the calf"),        # synonym sorts first
              concept("ache-foot", "foot pain", "sore foot ache"))                  # id sorts first
    shown = {m.concept.id: (m.matched, m.how) for m in r.search("ache")}
    assert shown == {"thigh-ache": ("ache in the thigh", "label"), "calf-ache": ("sharp calf ache", "label"),
                     "ache-foot": ("sore foot ache", "synonym")}


def test_search_shows_the_first_of_equal_wordings_alphabetically():
    """Of two synonyms containing the phrase, the first in alphabetical order is shown."""
    r = small(concept("a", "causalgia", "pain at night", "pain after running"))
    assert [(m.matched, m.how) for m in r.search("pain")] == [("pain after running", "synonym")]


def test_search_shows_an_exact_match_as_it_matched_and_first():
    """A concept the input names exactly is listed first and shown by the wording typed, though its label
    also contains the phrase; the others follow by label."""
    r = small(concept("z", "burning pain", "pain"), concept("y", "aching pain"))
    assert [(m.concept.id, m.matched, m.how) for m in r.search("pain")] == [
        ("z", "pain", "synonym"), ("y", "aching pain", "label")]


def test_search_never_shows_a_hidden_label():
    """Hidden labels (misspellings) match but are never shown: a concept named exactly by one is shown by its
    label, and a hidden label sharing its wording with another concept's synonym does not hide that one."""
    a = concept("a", "saddle anaesthesia", hidden=("numb bum",))
    b = concept("b", "buttock numbness", "numb bum")
    r = small(a, b)
    assert [(m.concept.id, m.matched) for m in r.search("bum")] == [("b", "numb bum")]
    assert [(m.concept.id, m.matched, m.how) for m in r.search("numb bum")] == [
        ("b", "numb bum", "synonym"), ("a", "saddle anaesthesia", "label")]


def test_search_of_a_hidden_label_in_the_graph_shows_the_label(resolver):
    """'corda equina' is a hidden label of cauda equina syndrome (kg/facts.yaml): it finds the concept,
    shown by its label."""
    assert [(m.concept.id, m.matched, m.how) for m in resolver.search("corda equina")] == [
        ("cauda-equina-syndrome", "cauda equina syndrome", "label")]


def test_search_lists_twenty_by_label():
    """search() lists at most 20 concepts by default, by label."""
    labels = [f"pain {chr(ord('a') + i)}" for i in range(25)]
    r = small(*(concept(f"c{i}", label) for i, label in enumerate(reversed(labels))))
    assert [m.concept.label for m in r.search("pain")] == labels[:20]
    assert len(r.search("pain", limit=25)) == 25


# ---------------------------------------------------------------------------------- concepts_from_graph

def test_concepts_from_the_graph_carry_their_root_and_type(graph):
    """Each clinical concept of the built graph has its root kind and the type of the nearest mskg: class
    above it: a concept under another concept (golfer's elbow under elbow tendinopathy) has that one's."""
    concepts = {c.id: c for c in concepts_from_graph(graph)}
    expected = {
        "sciatica": ("Condition", "condition"),
        "saddle-anaesthesia": ("ClinicalFinding", "symptom"),
        "fever": ("ClinicalFinding", "sign"),
        "elbow": ("BodySite", "body site"),
        "prolonged-sitting": ("Activity", "activity"),
        "golfers-elbow": ("Condition", "condition"),            # under elbow-tendinopathy
        "faecal-incontinence": ("ClinicalFinding", "symptom"),  # under bladder-or-bowel-change
        "hot-swollen-elbow": ("ClinicalFinding", "sign"),       # under elbow-swelling
        "lateral-elbow": ("BodySite", "body site"),             # under elbow
    }
    assert {k: (concepts[k].root, concepts[k].type) for k in expected} == expected
    ces = concepts["cauda-equina-syndrome"]
    assert (ces.label, ces.codes, ces.hidden) == ("cauda equina syndrome", ("192970008",),
                                                  ("cauda equinas", "corda equina"))


def test_only_id_classes_under_a_clinical_root_are_concepts(graph):
    """Concepts are the id: classes under a finding, condition, body site or activity: never an mskg:
    class, a class of another vocabulary, or an id: class of another kind; and one of those does not stop
    the rest being read."""
    concepts = concepts_from_graph(graph)
    assert all(str(c.iri).startswith(str(ID)) for c in concepts)
    assert not {"Symptom", "Sign", "Condition"} & {c.id for c in concepts}
    extended = Graph()
    for triple in graph:
        extended.add(triple)
    extended.add((URIRef("http://example.org/OtherFinding"), RDFS.subClassOf, MSKG.ClinicalFinding))
    extended.add((ID["aaa-some-action"], RDFS.subClassOf, MSKG.Action))
    assert [c.id for c in concepts_from_graph(extended)] == [c.id for c in concepts]


@pytest.mark.parametrize("text, concept", [
    ("numbness in left leg", "leg-numbness"), ("numbness in right leg", "leg-numbness"),
    ("weakness in left leg", "leg-weakness"), ("left leg weakness", "leg-weakness"), ("weak left leg", "leg-weakness"),
    ("sciatica left leg", "sciatica"), ("pain down my left leg", "leg-pain-below-knee"),
    ("left elbow swollen", "elbow-swelling"), ("left tennis elbow", "tennis-elbow"),
])
def test_a_side_is_one_side(resolver, text, concept):
    """The article speaks of one leg or both, never of left or right: a side named is one side. ("left" was an
    unknown word, and a cold review found "numbness in left leg" refused while "right" was understood.)"""
    assert resolver.resolve(text).id == concept
