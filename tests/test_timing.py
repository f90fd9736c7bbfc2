"""Durations and trends as people say them, and the rapidly-worsening trend above worsening."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import RDF, SKOS

from mskg.kg.load import load_compiled
from mskg.kg.resolve import PRESENTATION_ROOTS
from mskg.queries.triage.compiled import CompiledTriageEngine
from mskg.queries.triage.records import Presentation, PresentationError, Reported, parse_duration, parse_trend
from mskg.queries.triage.timing import TRENDS


@pytest.mark.parametrize("text, days", [
    ("48h", 2), ("3d", 3), ("6w", 42), ("1.5w", Decimal("10.5")),
    ("10 days", 10), ("6wks", 42), ("6 wks", 42), ("2 weeks", 14), ("a week", 7), ("one week", 7),
    ("a fortnight", 14), ("fortnight", 14), ("two fortnights", 28),
    ("2 months", 60), ("a month", 30), ("1 year", 365), ("1.5 years", Decimal("547.5")),
    ("since yesterday", 1), ("Since yesterday.", 1), ("a couple of weeks", 14), ("half a day", Decimal("0.5")),
    ("for about 3 weeks", 21), ("3 weeks ago", 21), ("over 6 weeks", 42), ("1 week and 3 days", 10),
    ("2 weeks, 2 days", 16), ("12 hours", Decimal("0.5")), ("0d", 0),
])
def test_durations_as_people_write_them(text, days):
    assert parse_duration(text) == Decimal(days)


@pytest.mark.parametrize("text, message", [
    ("soon", "invalid duration 'soon': give a number and a unit"),
    ("6m", "invalid duration '6m'"),  # minutes or months? never guessed
    ("a few weeks", "invalid duration 'a few weeks'"),  # no invented number
    ("-3d", "invalid duration '-3d': a duration cannot be negative"),
    ("99999999999 years", "invalid duration '99999999999 years': more than 100 years is not plausible"),
    ("1e9 days", "invalid duration '1e9 days'"),
    ("nan days", "invalid duration 'nan days'"),
    ("x" * 200, "invalid duration (too long, 200 characters)"),
])
def test_unreadable_durations_say_what_is_accepted(text, message):
    with pytest.raises(PresentationError) as err:
        parse_duration(text)
    assert str(err.value).startswith(message)
    assert "48h, 3d, 10 days, 6w" in str(err.value)


@pytest.mark.parametrize("text, trend", [
    ("improving", "improving"), ("better", "improving"), ("getting better", "improving"),
    ("unchanged", "unchanged"), ("no change", "unchanged"), ("the same", "unchanged"), ("no better", "unchanged"),
    ("not improving", "unchanged"),
    ("worsening", "worsening"), ("getting worse", "worsening"), ("worse week to week", "worsening"),
    ("rapidly-worsening", "rapidly-worsening"), ("rapidly worsening", "rapidly-worsening"),
    ("getting worse quickly", "rapidly-worsening"), ("Getting worse fast!", "rapidly-worsening"),
])
def test_trends_as_people_say_them(text, trend):
    assert parse_trend(text) == trend


def test_an_unreadable_trend_says_what_is_accepted():
    with pytest.raises(PresentationError, match=r"invalid trend 'sideways': use improving, unchanged, worsening or "
                                                r"rapidly-worsening"):
        parse_trend("sideways")


# ------------------------------------------------------------------ rapidly worsening meets a rule needing worsening

def test_rapidly_worsening_meets_a_rule_that_needs_worsening(graph):
    from mskg.queries.triage.sparql import engine_for

    kb = load_compiled()
    sciatica = next(c for c in kb.concepts if c.id == "sciatica")
    for trend, fires in [("worsening", True), ("rapidly-worsening", True), ("unchanged", False), ("improving", False)]:
        p = Presentation((Reported("sciatica", sciatica),), (), None, trend)
        for engine in (CompiledTriageEngine(kb), engine_for(graph)):
            fired = {r.id for r in engine.triage(p, explain=False).fired}
            assert ("esc-sciatica-worsening" in fired) is fires, (trend, type(engine).__name__)


TREND_ORDER = ("improving", "unchanged", "worsening", "rapidly-worsening")


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=5, unique=True),
       st.sampled_from([None, Decimal(2), Decimal(7), Decimal(14), Decimal(28), Decimal(42)]),
       st.integers(min_value=0, max_value=2))
def test_a_more_worrying_trend_never_lowers_urgency(indices, days, step):
    kb = load_compiled()
    concepts = sorted((c for c in kb.concepts if c.root in PRESENTATION_ROOTS), key=lambda c: c.id)
    findings = tuple({concepts[i % len(concepts)].id: Reported("x", concepts[i % len(concepts)])
                      for i in indices}.values())
    engine = CompiledTriageEngine(kb)
    calmer, worse = TREND_ORDER[step], TREND_ORDER[step + 1]
    before = engine.triage(Presentation(findings, (), days, calmer), explain=False)
    after = engine.triage(Presentation(findings, (), days, worse), explain=False)
    assert after.urgency.rank >= before.urgency.rank, ([f.concept.id for f in findings], calmer, worse)
    assert not (before.training == "stop" and after.training != "stop")


def test_the_trends_are_the_graphs(graph):
    from mskg.ontology.namespaces import MSKG

    labels = {str(graph.value(t, SKOS.prefLabel)) for t in graph.subjects(
        RDF.type, MSKG.Trend)}
    assert labels == {"improving", "unchanged", "worsening", "rapidly worsening"}
    assert TRENDS == TREND_ORDER


# Every unit and number word the reader accepts, with its length in days written out by hand: an hour is
# 1/24 of a day, a month is read as 30 days and a year as 365 (stated in the README).
HOUR = Decimal(1) / Decimal(24)


@pytest.mark.parametrize("unit, days", [
    ("h", HOUR), ("hr", HOUR), ("hrs", HOUR), ("hour", HOUR), ("hours", HOUR),
    ("d", 1), ("day", 1), ("days", 1), ("dy", 1), ("dys", 1),
    ("w", 7), ("wk", 7), ("wks", 7), ("week", 7), ("weeks", 7),
    ("fortnight", 14), ("fortnights", 14),
    ("mo", 30), ("mos", 30), ("mth", 30), ("mths", 30), ("month", 30), ("months", 30),
    ("y", 365), ("yr", 365), ("yrs", 365), ("year", 365), ("years", 365),
])
def test_every_unit_has_its_length(unit, days):
    assert parse_duration(f"3 {unit}") == (3 * Decimal(days)).normalize()
    assert parse_duration(f"3{unit}") == (3 * Decimal(days)).normalize()


@pytest.mark.parametrize("number, value", [
    ("a", 1), ("an", 1), ("one", 1), ("two", 2), ("three", 3), ("four", 4), ("five", 5), ("six", 6),
    ("seven", 7), ("eight", 8), ("nine", 9), ("ten", 10), ("eleven", 11), ("twelve", 12),
    ("a couple of", 2), ("couple of", 2), ("a couple", 2), ("half a", Decimal("0.5")),
])
def test_every_number_word_has_its_value(number, value):
    assert parse_duration(f"{number} weeks") == (7 * Decimal(value)).normalize()


@pytest.mark.parametrize("text", ["since yesterday", "since last night", "a day", "overnight", "Overnight."])
def test_one_day_phrases(text):
    assert parse_duration(text) == 1


def test_the_longest_plausible_duration_is_a_hundred_years():
    assert parse_duration("100 years") == 36500
    with pytest.raises(PresentationError, match="more than 100 years is not plausible"):
        parse_duration("100 years 1 day")


@pytest.mark.parametrize("parse", [parse_duration, parse_trend])
def test_input_of_80_characters_is_read_and_81_refused(parse):
    text = "2 weeks" if parse is parse_duration else "worsening"
    assert parse(text.ljust(80))  # spaces do not count against the words, only against the length
    with pytest.raises(PresentationError, match=r"too long, 81 characters"):
        parse(text.ljust(81))


@pytest.mark.parametrize("text", ["2 weeks and a bit", "about", "weeks", "2 weeks, maybe"])
def test_anything_left_over_or_no_number_is_refused(text):
    with pytest.raises(PresentationError, match="give a number and a unit"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["worse by the hour", "getting worse by the hour"])
def test_a_trend_phrase_containing_a_filler_word_is_read_whole(text):
    assert parse_trend(text) == "rapidly-worsening"
