"""The triage policy, checked against expectations computed independently of the engines.

The engines decide which rules a presentation meets; the policy (``mskg.queries.triage.policy``) turns
them into one answer. These properties restate the policy from the README in a few lines of plain code
over the graph and compare it with what the engine returns, on generated presentations:

- a 'now' recommendation's urgency is the highest among the fired rules that call for it (and may:
  after a red flag, self-care rules and non-red-flag training advice stay silent);
- a safety-net recommendation is called for only by rules that have not fired, at their highest urgency;
- recommendations come 'now' first, then most urgent first;
- a minimal trigger set is a smallest set of reported findings meeting every criterion, the first in
  sorted order among those of that size;
- findings reported absent change nothing but the red-flag screen, which leaves out what was reported
  (or anything narrower, or the complaint a reported condition presents with) and what was reported absent (or
  anything broader);
- a rule of a body region is in play only when a finding of that region is reported, or only systemic
  findings are; when care is needed today (a level without a safety net), no safety net is shown.
"""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import RDF, RDFS, URIRef

from mskg.kg.load import load_compiled, load_graph
from mskg.kg.resolve import PRESENTATION_ROOTS
from mskg.ontology.namespaces import ID, MSKG
from mskg.queries.triage.compiled import CompiledTriageEngine
from mskg.queries.triage.policy import minimal_trigger_set
from mskg.queries.triage.records import Presentation, make_presentation

from .strategies import presentations



@pytest.fixture(scope="module")
def engine():
    return CompiledTriageEngine(load_compiled())


@pytest.fixture(scope="module")
def concepts():
    return sorted((c for c in load_compiled().concepts if c.root in PRESENTATION_ROOTS), key=lambda c: c.id)


# ------------------------------------------------------------------ independent readings of the graph

def _graph_facts():
    """What the policy needs, read straight from the graph with rdflib (not through any engine)."""
    g = load_graph()
    rank = {u: int(r) for u, r in g.subject_objects(MSKG.rank)}
    rule_types = {MSKG.RedFlag: "RedFlag", MSKG.EscalationRule: "EscalationRule", MSKG.SelfCareRule: "SelfCareRule"}
    rules = {}
    for t, kind in rule_types.items():
        for rule in g.subjects(RDF.type, t):
            rules[str(rule)[len(str(ID)):]] = {
                "kind": kind, "rank": rank[g.value(rule, MSKG.setsUrgency)],
                "region": str(g.value(rule, MSKG.inRegion)).rsplit("/", 1)[-1],
                "actions": {str(a)[len(str(ID)):] for a in g.objects(rule, MSKG.callsFor)},
                "triggers": {str(f)[len(str(ID)):] for c in g.objects(rule, MSKG.hasCriterion)
                             for f in g.objects(c, MSKG.anyOf)},
                "criteria": [{str(f)[len(str(ID)):] for f in g.objects(c, MSKG.anyOf)}
                             for c in g.objects(rule, MSKG.hasCriterion)],
                "conditional": (rule, MSKG.requiresTrend, None) in g or (rule, MSKG.minDurationDays, None) in g,
            }
    training_mod = {str(a)[len(str(ID)):] for a in g.subjects(RDF.type, None)
                    if any(t == MSKG.TrainingModification for t in g.transitive_objects(
                        next(g.objects(a, RDF.type)), RDFS.subClassOf))}
    broader = {}

    def closure(concept_id: str) -> set[str]:
        if concept_id not in broader:
            broader[concept_id] = {str(b)[len(str(ID)):] for b in g.transitive_objects(ID[concept_id], RDFS.subClassOf)
                                   if str(b).startswith(str(ID))}
        return broader[concept_id]

    labels = {str(s)[len(str(ID)):]: str(o) for s, o in g.subject_objects(URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    regions = {str(s)[len(str(ID)):]: str(o).rsplit("/", 1)[-1] for s, o in g.subject_objects(MSKG.inRegion)}
    findings = {str(s)[len(str(ID)):] for s in g.transitive_subjects(RDFS.subClassOf, MSKG.ClinicalFinding)}
    no_net = {rank[u] for u in g.subjects(MSKG.withoutSafetyNet, None)}
    care = {str(a)[len(str(ID)):] for kind in (MSKG.EmergencyCare, MSKG.UrgentSameDayCare, MSKG.ClinicalReview)
            for cls in g.transitive_subjects(RDFS.subClassOf, kind) for a in g.subjects(RDF.type, cls)}
    ordinary = set().union(*(r["triggers"] for r in rules.values() if r["kind"] == "SelfCareRule"))
    findings -= ordinary  # the screen asks about alarm findings, not the complaints self-care covers
    # actions for one body region (a spinal scan), and actions set aside by another recommended now
    regional = {str(a)[len(str(ID)):] for a in g.subjects(MSKG.inRegion, None) if (None, MSKG.callsFor, a) in g}
    superseded = {}
    for a, other in g.subject_objects(MSKG.supersededBy):
        superseded.setdefault(str(a)[len(str(ID)):], set()).add(str(other)[len(str(ID)):])
    return rules, training_mod, closure, labels, regions, findings, no_net, care, regional, superseded


def in_play(p, regions) -> tuple[set[str], bool]:
    """The regions of what was reported (systemic left out), and whether only systemic findings were."""
    present = {regions[r.concept.id] for r in p.findings} - {"systemic"}
    return present, not present


FACTS = None


def facts():
    global FACTS
    if FACTS is None:
        FACTS = _graph_facts()
    return FACTS


def _run_property(concepts, check, examples: int = 600) -> dict[str, int]:
    """Run ``check`` on generated presentations and return how many were distinct (asserted by callers)."""
    seen: set = set()
    stats = {"distinct": 0, "stop": 0, "safety_net": 0, "absent": 0}

    @settings(max_examples=examples, deadline=None, database=None)
    @given(presentations(concepts, max_findings=5))
    def run(p):
        outcome = check(p)
        key = (frozenset(r.concept.id for r in p.findings), frozenset(r.concept.id for r in p.absent),
               p.duration_days, p.trend)
        if key not in seen:
            seen.add(key)
            stats["distinct"] += 1
            stats["absent"] += bool(p.absent)
            for name in outcome or ():
                stats[name] += 1

    run()
    return stats


# ------------------------------------------------------------------ recommendations

def test_recommendations_follow_the_policy(engine, concepts):
    rules, training_mod, _, _, regions, _, no_net, care, regional, superseded = facts()

    def check(p):
        result = engine.triage(p, explain=False)
        present, every_region = in_play(p, regions)
        assert (set(result.regions), result.every_region) == ({f"region/{r}" for r in present}, every_region)
        for r in result.rules:  # only rules of the regions in play are considered at all
            assert every_region or rules[r.id]["region"] in present | {"systemic"}, (r.id, present)
        stop = result.training == "stop"
        fired = [r for r in result.rules if r.fires]
        waiting = [r for r in result.rules if not r.fires and rules[r.id]["kind"] != "SelfCareRule"]

        def may_call(rule_id: str, action: str) -> bool:
            if stop and rules[rule_id]["kind"] == "SelfCareRule":
                return False
            return not (stop and rules[rule_id]["kind"] != "RedFlag" and action in training_mod)

        now = {}
        for r in fired:
            for action in rules[r.id]["actions"]:
                if may_call(r.id, action):
                    now.setdefault(action, []).append(r.id)
        net = {}
        for r in waiting:
            for action in rules[r.id]["actions"]:
                if rules[r.id]["kind"] == "RedFlag" and action not in care:
                    continue  # a red flag not yet met: its safety net is where to seek care
                if action not in now:
                    net.setdefault(action, []).append(r.id)
        if result.urgency.rank in no_net:  # care is needed today: no weeks-long safety net
            net = {}
        # set aside by another action recommended now ('no routine early scan' beside MRI)
        gone = {a for a in set(now) | set(net) if superseded.get(a, set()) & set(now)}
        now = {a: c for a, c in now.items() if a not in gone}
        net = {a: c for a, c in net.items() if a not in gone}
        if every_region:  # only systemic findings: no action for one body region but where to seek care
            now = {a: c for a, c in now.items() if a not in regional or a in care}
            net = {a: c for a, c in net.items() if a not in regional or a in care}
        got = {rec.id: rec for rec in result.recommendations}
        assert set(got) == set(now) | set(net)
        for action, callers in now.items():
            rec = got[action]
            assert rec.kind == "now" and rec.when is None, action
            assert rec.urgency.rank == max(rules[c]["rank"] for c in callers), (action, callers)
            assert set(rec.rules) == set(callers)
        for action, callers in net.items():
            rec = got[action]
            assert rec.kind == "safety-net", action
            assert rec.urgency.rank == max(rules[c]["rank"] for c in callers), (action, callers)
            assert set(rec.rules) == set(callers)
        order = [(rec.kind != "now", -rec.urgency.rank) for rec in result.recommendations]
        assert order == sorted(order), [(rec.id, rec.kind, rec.urgency.id) for rec in result.recommendations]
        # the overall answer: the most urgent fired rule wins, a red flag stops training
        assert result.urgency.rank == max((rules[r.id]["rank"] for r in fired), default=0)
        assert stop == any(rules[r.id]["kind"] == "RedFlag" for r in fired)
        return [name for name, hit in (("stop", stop), ("safety_net", bool(net))) if hit]

    stats = _run_property(concepts, check)
    assert stats["distinct"] >= 500 and stats["stop"] >= 100 and stats["safety_net"] >= 30, stats


def test_a_now_recommendation_takes_the_most_urgent_caller(graph):
    """Saddle numbness (emergency) with fever (urgent same day): 'stop training' is called by both flags,
    and must carry the emergency, not the lower tier (a planted least-urgent policy passed every test)."""
    from mskg.queries.triage.sparql import engine_for

    result = engine_for(graph).triage(make_presentation(graph, ["saddle numbness", "fever", "low back pain"]),
                                      explain=False)
    recs = {r.id: r for r in result.recommendations}
    assert recs["stop-training"].urgency.id == "emergency"
    assert set(recs["stop-training"].rules) >= {"rf-saddle-anaesthesia", "rf-fever-unwell"}
    assert result.recommendations[0].id == "call-999-or-ae"
    assert [r.kind for r in result.recommendations] == sorted((r.kind for r in result.recommendations),
                                                              key=lambda k: k != "now")


# ------------------------------------------------------------------ minimal trigger sets

matches = st.lists(
    st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.sampled_from(["a", "b", "c", "d", "e"])),
    min_size=1, max_size=10, unique=True)


@settings(max_examples=400, deadline=None, database=None)
@given(matches)
def test_minimal_trigger_sets_are_minimal_and_tie_broken_alphabetically(pairs):
    rows = [(criterion, reported, reported) for criterion, reported in pairs]
    needed = {}
    for criterion, reported in pairs:
        needed.setdefault(criterion, set()).add(reported)
    candidates = sorted(set().union(*needed.values()))
    hitting = [combo for size in range(1, len(candidates) + 1) for combo in itertools.combinations(candidates, size)
               if all(set(combo) & n for n in needed.values())]
    smallest = min(len(c) for c in hitting)
    expected = sorted(c for c in hitting if len(c) == smallest)[0]
    assert minimal_trigger_set(rows) == expected
    assert minimal_trigger_set(list(reversed(rows))) == expected  # input order does not matter


@pytest.mark.parametrize("rows, expected", [
    ([], ()),
    ([("c", "fever", "fever")], ("fever",)),
    # one criterion: any one finding meets it, the first alphabetically is named
    ([("c", "fever", "fever"), ("c", "chills", "chills"), ("c", "feeling-very-unwell", "feeling-very-unwell")],
     ("chills",)),
    # two criteria, one finding meets both: it alone is the minimal set
    ([("c1", "b", "b"), ("c2", "b", "b"), ("c1", "a", "a"), ("c2", "c", "c")], ("b",)),
    # two criteria, no shared finding: one from each, smallest alphabetically
    ([("c1", "z", "z"), ("c1", "y", "y"), ("c2", "x", "x")], ("x", "y")),
])
def test_minimal_trigger_set_examples(rows, expected):
    assert minimal_trigger_set(rows) == expected


# ------------------------------------------------------------------ absent findings and the red-flag screen

def test_absent_findings_change_only_the_screen_and_the_screen_follows_the_hierarchy(engine, concepts):
    rules, _, closure, labels, regions, findings, _, _, _, _ = facts()
    g = load_graph()
    widening = {str(c)[len(str(ID)):] for c in g.subjects(MSKG.screensEveryRegion, None)}

    def check(p):
        present, every_region = in_play(p, regions)
        # significant trauma puts every region's red flags in the screen (the rules stay gated)
        every_region = every_region or bool(set().union(*(closure(r.concept.id) for r in p.findings)) & widening)
        ranks = {}  # red-flag findings of the regions in play: the ranks of those regions' flags, and if alone
        for rule in rules.values():
            if rule["kind"] == "RedFlag" and (every_region or rule["region"] in present):
                for f in rule["triggers"] & findings:
                    if every_region or regions[f] in present | {"systemic"}:
                        alone = not rule["conditional"] and all(closure(f) & c for c in rule["criteria"])
                        ranks.setdefault(f, []).append((rule["rank"], alone))
        # a red flag on its own at its most urgent such flag, else the most urgent flag it can lead to
        red = {f: (any(a for _, a in r), max([k for k, a in r if a] or [k for k, _ in r])) for f, r in ranks.items()}
        result = engine.triage(p, explain=False)
        without = engine.triage(Presentation(p.findings, (), p.duration_days, p.trend), explain=False)
        assert (result.urgency, result.training, [(r.id, r.fires) for r in result.rules]) == \
               (without.urgency, without.training, [(r.id, r.fires) for r in without.rules])
        # what was reported answers the question of anything broader, and of the complaint a reported condition (or
        # a broader one) presents with (tennis elbow: elbow pain), and anything broader than that
        reported_closure = set().union(*(closure(r.concept.id) for r in p.findings))
        reported_closure |= set().union(*(closure(str(c)[len(str(ID)):]) for a in set(reported_closure)
                                          for c in g.objects(ID[a], MSKG.presentsWith)))
        absent = {r.concept.id for r in p.absent}
        expected = [f for f in red if f not in reported_closure and not (closure(f) & absent)]
        expected.sort(key=lambda f: (not red[f][0], -red[f][1], labels[f], f))
        assert [(n.id, n.red_flag, n.urgency.rank) for n in result.not_asked] == [(f, *red[f]) for f in expected]
        return ()

    stats = _run_property(concepts, check, examples=400)
    assert stats["distinct"] >= 300 and stats["absent"] >= 100, stats


@pytest.mark.parametrize("absent, not_screened", [
    # a broader finding reported absent answers the narrower questions too
    (["new bladder or bowel changes"], {"bladder-or-bowel-change", "urinary-retention", "urinary-incontinence",
                                        "faecal-incontinence", "loss-of-bladder-sensation"}),
    # a narrower one does not answer the broader question
    (["urinary retention"], {"urinary-retention"}),
])
def test_the_screen_leaves_out_what_was_reported_absent(graph, engine, absent, not_screened):
    p = make_presentation(load_compiled().resolver, ["low back pain"], absent)
    screened = {n.id for n in engine.triage(p, explain=False).not_asked}
    bladder = {"bladder-or-bowel-change", "urinary-retention", "urinary-incontinence", "faecal-incontinence",
               "loss-of-bladder-sensation"}
    assert screened & bladder == bladder - not_screened


def test_the_screen_leaves_out_what_a_narrower_report_answers(engine):
    p = make_presentation(load_compiled().resolver, ["urinary retention"])
    screened = [n.id for n in engine.triage(p, explain=False).not_asked]
    assert "bladder-or-bowel-change" not in screened and "urinary-retention" not in screened
    assert "urinary-incontinence" in screened and screened[0] != "urinary-retention"


@pytest.mark.parametrize("findings, expected", [
    # where to go first (NHS 111 before a prompt evaluation), then what else to do
    (["hot swollen elbow"], ["nhs-111-or-urgent-same-day-care", "stop-training"]),  # one place to seek care
    (["swollen elbow"], ["prompt-elbow-evaluation", "stop-training"]),
    (["fever", "low back pain"], ["nhs-111-or-urgent-same-day-care", "scan-now", "stop-training"]),
    (["saddle numbness"], ["call-999-or-ae", "scan-now", "stop-training"]),
])
def test_now_actions_put_where_to_seek_care_first(engine, findings, expected):
    result = engine.triage(make_presentation(load_graph(), findings), explain=False)
    assert [r.id for r in result.recommendations if r.kind == "now"] == expected
