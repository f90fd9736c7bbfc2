"""The guards that keep a claim tied to its source, and bad input out: each fed exactly what it must refuse.

A guard that is never fed a bad value is a guard no test would miss; each test here plants one.
"""
from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.kg.facts import EvidenceRef
from mskg.kg.provenance import Excerpt, ProvenanceError, ProvenanceProblem, verify
from mskg.ontology.namespaces import ID, MSKG
from mskg.queries.triage.explain import ExplanationError, GraphView
from mskg.queries.triage.records import PresentationError, make_presentation

from .conftest import fact

# ------------------------------------------------------------------ provenance offsets


@pytest.mark.parametrize("delta", [+1, -1])
def test_a_wrong_end_offset_alone_fails(facts, delta):
    """The 0.04 % statistic's quote with its start right and its end one character off."""
    entry = fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]
    start, end = entry["start"], entry["end"]
    entry["end"] = end + delta
    with pytest.raises(ProvenanceError) as err:
        verify(facts)
    assert f"fact 'stat-cauda-equina-rate' (statistics, evidence 1): offsets {start}–{end + delta} do not hold" \
        in str(err.value)


def test_a_wrong_start_offset_alone_fails(facts):
    entry = fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]
    entry["start"] += 1
    with pytest.raises(ProvenanceError, match="stat-cauda-equina-rate.*do not hold"):
        verify(facts)


def test_a_quote_spanning_two_sections_fails(facts, article):
    """A verbatim span that runs from the end of one section into the next heading is refused."""
    first, second = article.sections[0], article.sections[1]
    start, end = first.body_end - 30, second.end
    quote = article.text[start:end]
    assert quote.strip() and first.body_end < end  # the span really crosses the boundary
    entry = fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]
    entry.update(quote=quote, start=start, end=end, section=first.id)
    with pytest.raises(ProvenanceError, match=f"quote at {start}–{end} does not sit inside one section"):
        verify(facts)


def test_the_cauda_equina_figure_is_quoted_exactly(facts, article):
    """The article's own figure, written here by hand: 0.04 % of people with low back pain."""
    excerpts = verify(facts)
    entry = fact(facts, "statistics", "stat-cauda-equina-rate")
    excerpt = excerpts[id(entry["evidence"][0])]
    assert "0.04%" in excerpt.quote
    assert article.text[excerpt.start:excerpt.end] == excerpt.quote
    assert entry["value"] == 0.04


# ------------------------------------------------------------------ the explainer's verbatim check


@pytest.fixture
def fresh_view(graph):
    """A private view (the cached one is shared): tests may corrupt it."""
    return GraphView(graph)


def _saddle_path(view):
    rule = ID["rf-saddle-anaesthesia"]
    return view.path_to_rule(ID["saddle-anaesthesia"], rule) + [(rule, ID["emergency"], MSKG.setsUrgency)]


def test_the_explainer_accepts_the_true_quote(fresh_view):
    explanation = fresh_view.explanation(_saddle_path(fresh_view))
    assert [n.id for n in explanation.path] == ["saddle-anaesthesia", "rf-saddle-anaesthesia", "emergency"]
    assert explanation.edges == ("triggers", "sets urgency")


def test_the_explainer_refuses_a_corrupted_quote_on_a_node(fresh_view):
    node = fresh_view.g.nodes[ID["rf-saddle-anaesthesia"]]
    good = node["excerpts"][0]
    node["excerpts"] = (type(good)(good.quote.replace("numbness", "tingling"), good.section, good.start, good.end),
                        *node["excerpts"][1:])
    with pytest.raises(ExplanationError, match=f"quote at {good.start}-{good.end} is not verbatim in the article"):
        fresh_view.explanation(_saddle_path(fresh_view))


def test_the_explainer_refuses_a_quote_when_the_article_differs(fresh_view):
    fresh_view._article()
    fresh_view.article_text = fresh_view.article_text.replace("saddle", "sadle")
    with pytest.raises(ExplanationError, match="is not verbatim in the article"):
        fresh_view.explanation(_saddle_path(fresh_view))


def test_the_explainer_refuses_a_path_without_any_quote(fresh_view):
    rule = ID["rf-saddle-anaesthesia"]
    for _, _, data in fresh_view.g.edges(data=True):
        data["excerpts"] = ()
    for n in (ID["saddle-anaesthesia"], rule, ID["emergency"]):
        fresh_view.g.nodes[n]["excerpts"] = ()
    with pytest.raises(ExplanationError, match="has no quote from the article"):
        fresh_view.explanation(_saddle_path(fresh_view))


# ------------------------------------------------------------------ contradictions


def test_present_and_absent_together_is_refused(graph):
    with pytest.raises(PresentationError, match="reported both present and absent: fever"):
        make_presentation(graph, ["fever", "low back pain"], ["fever"])
    # the same concept through two wordings is the same contradiction
    with pytest.raises(PresentationError, match="reported both present and absent: saddle-anaesthesia"):
        make_presentation(graph, ["saddle numbness"], ["saddle anaesthesia"])


def test_batch_refuses_a_finding_both_present_and_absent_and_goes_on():
    lines = ['{"id": "x", "findings": ["fever"], "absent": ["fever"]}',
             '{"id": "y", "findings": ["saddle numbness"], "absent": ["saddle anaesthesia"]}',
             '{"id": "z", "findings": ["tennis elbow"]}']
    result = CliRunner().invoke(cli, ["triage", "--batch", "-", "--no-explain"], input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "mskg: line 1: reported both present and absent: fever",
        "mskg: line 2: reported both present and absent: saddle-anaesthesia",
        "mskg: triaged 1 presentation(s) (0 partial); 2 bad line(s)",
    ]
    assert [(json.loads(line)["id"], json.loads(line)["line"]) for line in result.stdout.splitlines()] == [("z", 3)]


def test_a_long_wrong_quote_is_named_shortened_in_the_message(facts):
    long_quote = "x" * 95
    fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]["quote"] = long_quote
    with pytest.raises(ProvenanceError) as err:
        verify(facts)
    # 89 characters and an ellipsis: the message stays readable, and says which quote
    assert f"quote is not verbatim in the article: {'x' * 89 + '…'!r}" in str(err.value)
    short = "y" * 90
    fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]["quote"] = short
    with pytest.raises(ProvenanceError) as err:
        verify(facts)
    assert f"quote is not verbatim in the article: {short!r}" in str(err.value)


@pytest.mark.parametrize("quote", ["", "   ", None, 42])
def test_an_empty_or_non_text_quote_is_refused(facts, quote):
    fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]["quote"] = quote
    with pytest.raises(ProvenanceError, match="stat-cauda-equina-rate.*empty quote"):
        verify(facts)


@pytest.mark.parametrize("offset", ["start", "end"])
def test_offsets_must_both_be_integers(facts, offset):
    entry = fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]
    entry[offset] = str(entry[offset])  # one offset of the wrong type is enough to refuse
    with pytest.raises(ProvenanceError, match="no character offsets"):
        verify(facts)


def test_offsets_outside_the_article_say_so(facts, article):
    entry = fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]
    entry["start"], entry["end"] = len(article.text) + 5, len(article.text) + 50
    with pytest.raises(ProvenanceError, match="the article has '<out of range>' there"):
        verify(facts)
    entry["start"], entry["end"] = -3, 10
    with pytest.raises(ProvenanceError, match="the article has '<out of range>' there"):
        verify(facts)


def test_a_quote_ending_exactly_at_its_section_end_is_accepted(facts, article):
    """The last words of a section (end exclusive == the section's end) sit inside it."""
    section = article.sections[3]
    end = section.body_end  # exactly the section's end (its last character, a line break, included)
    start = end - 40
    quote = article.text[start:end]
    entry = fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]
    entry.update(quote=quote, start=start, end=end, section=section.id)
    verify(facts)  # no error
    entry.update(quote=article.text[start:section.body_end + 1], end=section.body_end + 1)
    with pytest.raises(ProvenanceError, match="does not sit inside one section"):
        verify(facts)


@pytest.mark.parametrize("start, end, shown", [
    (0, 12, "text[0:12]"),            # the article's first characters are in range
    (5, 5, "''"),                     # an empty span is in range, and says it holds nothing
    (-1, 10, "out"), (10, 5, "out"),  # a negative start, an end before the start
    (-10, 0, "out"),
    ("len-10", "len", "text[len-10:]"),   # up to the article's last character
    ("len-10", "len+1", "out"),           # one past it
])
def test_the_message_shows_what_the_wrong_offsets_hold(facts, article, start, end, shown):
    n = len(article.text)
    value = lambda v: eval(str(v), {"len": n}) if isinstance(v, str) else v  # noqa: E731
    start, end = value(start), value(end)
    entry = fact(facts, "statistics", "stat-cauda-equina-rate")["evidence"][0]
    entry["start"], entry["end"] = start, end
    expected = "<out of range>" if shown == "out" else article.text[start:end]
    with pytest.raises(ProvenanceError) as err:
        verify(facts)
    assert f"the article has {expected[:89] + ('…' if len(expected) > 90 else '')!r} there" in str(err.value)


def test_excerpts_are_values_sorted_by_position():
    """Excerpts are compared, hashed and sorted (in the explainer and the pages): immutable, by offset."""
    first, second = Excerpt(10, 20, "b", "s"), Excerpt(5, 30, "a", "s")
    assert sorted([first, second]) == [second, first]
    assert len({first, Excerpt(10, 20, "b", "s")}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.start = 0  # type: ignore[misc]
    problem = ProvenanceProblem(EvidenceRef("statistics", "x", "a statistic", {}), "m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.message = "changed"  # type: ignore[misc]
