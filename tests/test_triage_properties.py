"""Safety properties over random presentations (hypothesis), not just examples.

- adding a finding never lowers the urgency;
- a red flag always means training stops and no keep-training advice;
- every fired flag and every recommendation has a path and quotes verbatim in the article;
- removing any finding of a flag's minimal trigger set stops that flag firing.
"""
from __future__ import annotations

from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mskg.kg.load import load_graph
from mskg.kg.resolve import PRESENTATION_ROOTS, resolver_for
from mskg.queries.triage.records import Presentation, Reported
from mskg.queries.triage.sparql import engine_for

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def _concepts():
    resolver = resolver_for(load_graph())
    return tuple(sorted((c for c in resolver.concepts.values() if c.root in PRESENTATION_ROOTS), key=lambda c: c.id))


@lru_cache(maxsize=1)
def _article() -> str:
    from mskg.kg.facts import load_facts
    from mskg.kg.provenance import article_for

    return article_for(load_facts()).text


concept_sets = st.lists(st.sampled_from(range(60)), min_size=1, max_size=5, unique=True)
durations = st.sampled_from([None, "12h", "2d", "6d", "7d", "13d", "14d", "27d", "28d", "41d", "42d", "90d"])
trends = st.sampled_from([None, "improving", "unchanged", "worsening"])


def presentation(indices, duration=None, trend=None) -> Presentation:
    from mskg.queries.triage.records import parse_duration

    concepts = _concepts()
    findings = tuple(Reported(concepts[i % len(concepts)].id, concepts[i % len(concepts)]) for i in indices)
    unique = tuple({r.concept.id: r for r in findings}.values())
    return Presentation(unique, (), parse_duration(duration) if duration else None, trend)


@lru_cache(maxsize=1)
def _compiled():
    from mskg.kg.load import load_compiled

    return load_compiled()


def run(p: Presentation, explain: bool = False):
    return engine_for(load_graph()).triage(p, explain=explain)


@SETTINGS
@given(concept_sets, st.integers(min_value=0, max_value=200), durations, trends)
def test_adding_a_finding_never_lowers_urgency(indices, extra, duration, trend):
    before = run(presentation(indices, duration, trend))
    after = run(presentation(indices + [extra], duration, trend))
    assert after.urgency.rank >= before.urgency.rank, (indices, extra)
    if before.training == "stop":
        assert after.training == "stop"


@SETTINGS
@given(concept_sets, durations, trends)
def test_a_red_flag_means_stop_and_the_most_urgent_wins(indices, duration, trend):
    result = run(presentation(indices, duration, trend))
    fired = result.fired
    assert result.urgency.rank == max((r.urgency.rank for r in fired), default=0)
    if any(r.is_red_flag for r in fired):
        assert result.training == "stop"
        engine = engine_for(load_graph())
        keep_training = [r.id for r in result.recommendations if r.kind == "now" and r.id != "stop-training"
                         and engine.is_training_modification(r.iri)]
        assert keep_training == []
        assert result.urgency.id != "self-care"
    else:
        assert result.training == "modify"


@SETTINGS
@given(concept_sets, durations, trends)
def test_every_flag_and_recommendation_has_a_path_and_verbatim_quotes(indices, duration, trend):
    p = presentation(indices, duration, trend)
    result = run(p, explain=True)
    reported = {r.concept.id for r in p.findings}
    text = _article()
    for rule in result.fired:
        explanations = result.explanations[rule.id]
        assert explanations, rule.id
        for e in explanations:
            assert e.path[0].id in reported
            assert rule.id in [n.id for n in e.path]
            assert e.sources
            assert all(text[s.start:s.end] == s.quote for s in e.sources)
    for rec in result.recommendations:
        assert rec.explanations, rec.id
        for e in rec.explanations:
            assert e.path[0].id in reported
            assert rec.id in [n.id for n in e.path]
            assert all(text[s.start:s.end] == s.quote for s in e.sources)


@SETTINGS
@given(concept_sets, durations, trends)
def test_removing_any_finding_of_a_minimal_trigger_set_stops_the_flag(indices, duration, trend):
    p = presentation(indices, duration, trend)
    result = run(p)
    concepts = {c.id: c for c in _concepts()}
    for rule in result.fired:
        minimal = rule.minimal_triggers
        assert minimal and set(minimal) <= {r.concept.id for r in p.findings}
        # a rule that needs a finding of its own region keeps that context (it is not a trigger of the rule)
        kb_rule = next((r for r in _compiled().rules if r.id == rule.id), None)
        context = tuple(r for r in p.findings if kb_rule is not None and kb_rule.needs_region_finding
                        and _compiled().regions.get(r.concept.id) == kb_rule.region and r.concept.id not in minimal)
        only = Presentation(tuple(Reported(i, concepts[i]) for i in minimal) + context, (), p.duration_days, p.trend)
        assert rule.id in {r.id for r in run(only).fired}
        for dropped in minimal:
            rest = tuple(Reported(i, concepts[i]) for i in minimal if i != dropped)
            if not rest:
                continue  # an empty presentation fires nothing by definition
            smaller = Presentation(rest, (), p.duration_days, p.trend)
            assert rule.id not in {r.id for r in run(smaller).fired}, (rule.id, minimal, dropped)
