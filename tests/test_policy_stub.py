"""The shared triage policy on a small made-up rule set, where every branch can be aimed at.

``tests/test_policy.py`` checks the policy against the real graph; here a stub engine answers the data
questions with a handful of rules chosen so that each clause of the policy (the module docstring of
``mskg.queries.triage.policy``) decides the answer on its own: which urgency an action called by two
rules takes, what a red flag silences, the order of recommendations, which curator notes travel to a
recommendation, and that the order in which an engine lists its rules changes nothing.
"""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import URIRef

from mskg.ontology.namespaces import ID
from mskg.queries.triage.policy import TriagePolicy, minimal_trigger_set
from mskg.queries.triage.records import Presentation, RuleResult, Urgency

EX = str(ID)  # the policy names actions by their id in the mskg namespace
LEVELS = {
    "emergency": Urgency("emergency", "Emergency", 4, "", without_safety_net=True),
    "same-day": Urgency("same-day", "Same day", 3, "", without_safety_net=True),
    "prompt": Urgency("prompt", "Prompt", 2, ""),
    "routine": Urgency("routine", "Routine", 1, ""),
    "self-care": Urgency("self-care", "Self-care", 0, ""),
}


def act(name: str) -> URIRef:
    return URIRef(EX + name)


class StubPolicy(TriagePolicy):
    """Answers the data questions from plain dictionaries; ``rules`` returns what it is given."""

    urgencies = LEVELS

    def __init__(self, results, actions, training=(), care=(), notes=None, conditions=None):
        self.results = list(results)
        self.actions = actions  # rule id -> [action name]
        self.training = set(training)
        self.care = set(care)
        self.notes = notes or {}
        self.conditions = conditions or {}

    def rules(self, presentation):
        return self.results

    def not_asked(self, presentation):
        return []

    def actions_of(self, rule):
        return [(act(a), "Advice", None) for a in self.actions[rule.rsplit("/", 1)[-1]]]

    def is_training_modification(self, action):
        return action.rsplit("/", 1)[-1] in self.training

    def care_order(self, action):
        name = action.rsplit("/", 1)[-1]
        return 3 if name.startswith("call-999") else 2 if name.startswith("call-111") else int(name in self.care)

    def superseded_by(self, action):
        return frozenset()

    def region_of(self, action):
        return None

    def condition_text(self, rule):
        return self.conditions.get(rule.rsplit("/", 1)[-1])

    def label(self, iri):
        return "label of " + iri.rsplit("/", 1)[-1]

    def regions(self, presentation):
        return frozenset(), False

    def interpretations_with_values(self, iri):
        return tuple(n if len(n) == 3 else (*n, None) for n in self.notes.get(iri.rsplit("/", 1)[-1], ()))


def rule(rid: str, kind: str, level: str, fires: bool = True) -> RuleResult:
    return RuleResult(URIRef(EX + rid), rid, rid, kind, LEVELS[level], fires, fires, True, (), ())


def answer(policy: StubPolicy):
    return policy.triage(Presentation(()), explain=False)


def recs(result) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [(r.id, r.kind, r.urgency.id, r.rules) for r in result.recommendations]


# ------------------------------------------------------------------------------------------ examples

def test_an_action_called_by_two_fired_rules_takes_the_more_urgent_whichever_comes_first():
    for order in ([0, 1], [1, 0]):
        results = [rule("a-prompt", "EscalationRule", "prompt"), rule("b-same-day", "RedFlag", "same-day")]
        policy = StubPolicy([results[i] for i in order], {"a-prompt": ["see-gp"], "b-same-day": ["see-gp"]})
        (only,) = answer(policy).recommendations
        assert (only.urgency.id, only.kind) == ("same-day", "now")
        assert set(only.rules) == {"a-prompt", "b-same-day"}


def test_a_red_flag_silences_self_care_rules_and_other_rules_training_advice_but_keeps_their_care():
    results = [
        rule("flag", "RedFlag", "same-day"),
        rule("esc", "EscalationRule", "prompt"),
        rule("care", "SelfCareRule", "self-care"),
    ]
    policy = StubPolicy(results, {
        "flag": ["stop-training"],
        # the training modification comes FIRST: the escalation's care action after it must survive
        "esc": ["reduce-load", "see-gp", "ease-off"],
        "care": ["keep-active", "see-gp"],
    }, training={"reduce-load", "ease-off", "keep-active"})
    result = answer(policy)
    assert result.training == "stop"
    assert recs(result) == [
        ("stop-training", "now", "same-day", ("flag",)),
        ("see-gp", "now", "prompt", ("esc",)),
    ]


def test_without_a_red_flag_every_fired_rule_speaks():
    results = [rule("esc", "EscalationRule", "prompt"), rule("care", "SelfCareRule", "self-care")]
    policy = StubPolicy(results, {"esc": ["reduce-load", "see-gp"], "care": ["keep-active", "see-gp"]},
                        training={"reduce-load", "keep-active"})
    result = answer(policy)
    assert result.training == "modify"
    assert recs(result) == [
        ("reduce-load", "now", "prompt", ("esc",)),
        ("see-gp", "now", "prompt", ("esc", "care")),
        ("keep-active", "now", "self-care", ("care",)),
    ]


def test_a_safety_net_takes_the_most_urgent_waiting_rule_and_lists_them_most_urgent_first():
    results = [
        rule("care", "SelfCareRule", "self-care"),
        rule("a-routine", "EscalationRule", "routine", fires=False),
        rule("z-prompt", "EscalationRule", "prompt", fires=False),
        rule("m-prompt", "EscalationRule", "prompt", fires=False),
        rule("unmet-care", "SelfCareRule", "self-care", fires=False),
    ]
    policy = StubPolicy(results, {
        "care": ["keep-active"], "a-routine": ["see-gp"], "z-prompt": ["see-gp"], "m-prompt": ["see-gp"],
        "unmet-care": ["walk"],
    }, conditions={"a-routine": "after 6 weeks", "z-prompt": "if worse", "m-prompt": "if worse"})
    result = answer(policy)
    assert recs(result) == [
        ("keep-active", "now", "self-care", ("care",)),
        ("see-gp", "safety-net", "prompt", ("m-prompt", "z-prompt", "a-routine")),
    ]
    # the conditions in the order of their rules, each once
    assert result.recommendations[1].when == "if worse; or after 6 weeks"


def test_a_fired_rule_turns_a_safety_net_into_a_now_recommendation_in_either_order():
    for results in ([rule("esc", "EscalationRule", "prompt"), rule("later", "EscalationRule", "routine", False)],
                    [rule("later", "EscalationRule", "routine", False), rule("esc", "EscalationRule", "prompt")]):
        policy = StubPolicy(results, {"esc": ["see-gp"], "later": ["see-gp"]})
        assert recs(answer(policy)) == [("see-gp", "now", "prompt", ("esc",))]


def test_an_unmet_red_flag_leaves_only_where_to_seek_care_as_its_safety_net():
    results = [rule("care", "SelfCareRule", "self-care"), rule("flag", "RedFlag", "same-day", fires=False)]
    policy = StubPolicy(results, {"care": ["keep-active"], "flag": ["scan-now", "call-111", "stop-training"]},
                        care={"call-111"}, training={"keep-active", "stop-training"})
    assert recs(answer(policy)) == [
        ("keep-active", "now", "self-care", ("care",)),
        ("call-111", "safety-net", "same-day", ("flag",)),
    ]


def test_care_needed_today_drops_every_safety_net():
    results = [rule("flag", "RedFlag", "same-day"), rule("later", "EscalationRule", "routine", fires=False)]
    policy = StubPolicy(results, {"flag": ["call-111"], "later": ["see-gp"]}, care={"call-111", "see-gp"})
    assert recs(answer(policy)) == [("call-111", "now", "same-day", ("flag",))]
    # at a level with a safety net the same unmet rule is shown
    results = [rule("esc", "EscalationRule", "prompt"), rule("later", "EscalationRule", "routine", fires=False)]
    policy = StubPolicy(results, {"esc": ["call-gp"], "later": ["see-gp"]})
    assert recs(answer(policy)) == [("call-gp", "now", "prompt", ("esc",)),
                                    ("see-gp", "safety-net", "routine", ("later",))]


def test_recommendations_of_one_kind_and_urgency_go_by_their_first_rule_then_label():
    results = [rule("a-rule", "EscalationRule", "prompt"), rule("b-rule", "EscalationRule", "prompt")]
    # labels sort the other way round from the rules: the rule decides
    policy = StubPolicy(results, {"a-rule": ["zz-action"], "b-rule": ["aa-action"]})
    assert [r.id for r in answer(policy).recommendations] == ["zz-action", "aa-action"]
    policy = StubPolicy(results, {"a-rule": ["zz-action", "aa-action"], "b-rule": []})
    assert [r.id for r in answer(policy).recommendations] == ["aa-action", "zz-action"]


def test_the_most_urgent_fired_level_wins_and_nothing_fired_is_self_care():
    results = [rule("esc", "EscalationRule", "prompt"), rule("flag", "RedFlag", "emergency", fires=False)]
    assert answer(StubPolicy(results, {"esc": [], "flag": []})).urgency.id == "prompt"
    assert answer(StubPolicy([], {})).urgency.id == "self-care"
    assert answer(StubPolicy([], {})).training == "modify"


def test_curator_notes_travel_to_the_recommendations_they_affect():
    results = [rule("flag", "RedFlag", "same-day"), rule("other", "RedFlag", "same-day", fires=False)]
    notes = {
        "flag": (("sets urgency", "read as same-day"), ("calls for", "the scan is the curator's reading"),
                 ("calls for", "about the scan only", "scan-now")),
        "other": (("calls for", "never shown: this rule did not fire"),),
        "call-111": (("the whole fact", "an action's own note"),),
    }
    policy = StubPolicy(results, {"flag": ["call-111", "scan-now"], "other": ["call-111"]},
                        care={"call-111"}, notes=notes)
    result = answer(policy)
    # a 'calls for' reading about one action (mskg:forValue) travels to that action only (cold review, issue 12)
    assert result.interpretations == {
        "flag": (("sets urgency", "read as same-day"), ("calls for", "the scan is the curator's reading"),
                 ("calls for", "about the scan only")),
        "call-111": (("the whole fact", "an action's own note"), ("calls for", "the scan is the curator's reading")),
        "scan-now": (("calls for", "the scan is the curator's reading"), ("calls for", "about the scan only")),
    }


# ------------------------------------------------------------------------------------------ property

KINDS = ["RedFlag", "EscalationRule", "SelfCareRule"]


@st.composite
def rule_sets(draw):
    n = draw(st.integers(1, 6))
    results, actions = [], {}
    for i in range(n):
        kind = draw(st.sampled_from(KINDS))
        level = "self-care" if kind == "SelfCareRule" else draw(st.sampled_from(["emergency", "same-day",
                                                                                "prompt", "routine"]))
        rid = f"r{i}"
        results.append(rule(rid, kind, level, fires=draw(st.booleans())))
        actions[rid] = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), unique=True, max_size=4))
    training = draw(st.sets(st.sampled_from("abcde")))
    care = draw(st.sets(st.sampled_from("abcde")))
    order = draw(st.permutations(range(n)))
    return results, actions, training, care, order


@settings(max_examples=400, deadline=None)
@given(rule_sets())
def test_the_order_an_engine_lists_its_rules_in_changes_nothing(drawn):
    results, actions, training, care, order = drawn
    one = answer(StubPolicy(results, actions, training, care))
    other = answer(StubPolicy([results[i] for i in order], actions, training, care))
    key = lambda r: (r.id, r.kind, r.urgency.id, frozenset(r.rules))  # noqa: E731
    assert [key(r) for r in one.recommendations] == [key(r) for r in other.recommendations]
    assert (one.urgency, one.training) == (other.urgency, other.training)


# ------------------------------------------------------------------------------ minimal trigger sets

@pytest.mark.parametrize("criteria, expected", [
    ({"c1": {"b", "a"}}, ("a",)),                           # one criterion: the first finding
    ({"c1": {"a"}, "c2": {"b"}}, ("a", "b")),               # every finding needed
    ({"c1": {"a", "b"}, "c2": {"c"}}, ("a", "c")),          # one of the first and the second
    ({"c1": {"a", "b"}, "c2": {"b", "c"}}, ("b",)),         # one finding meets both
    ({"c1": {"d"}, "c2": {"a", "b", "c"}, "c3": {"c", "e"}}, ("c", "d")),
])
def test_minimal_trigger_sets_by_hand(criteria, expected):
    matches = [(c, f, f) for c, found in criteria.items() for f in sorted(found)]
    assert minimal_trigger_set(matches) == expected
    assert minimal_trigger_set([]) == ()
    # the same answer whatever order the matches come in
    for perm in itertools.islice(itertools.permutations(matches), 24):
        assert minimal_trigger_set(list(perm)) == expected


def test_at_one_urgency_where_to_seek_care_comes_first_most_urgent_care_first():
    results = [rule("flag", "RedFlag", "same-day")]
    policy = StubPolicy(results, {"flag": ["a-scan", "b-stop", "see-gp", "call-111", "call-999"]},
                        care={"see-gp"})
    assert [r.id for r in answer(policy).recommendations] == ["call-999", "call-111", "see-gp", "a-scan", "b-stop"]


def test_an_action_superseded_by_one_recommended_now_is_left_out_but_not_by_a_safety_net():
    class Superseding(StubPolicy):
        def superseded_by(self, action):
            return frozenset({act("consider-mri")}) if action == act("no-early-scan") else frozenset()

    care = rule("care", "SelfCareRule", "self-care")
    mri = {"care": ["no-early-scan", "keep-active"], "six-weeks": ["consider-mri"]}
    fired = Superseding([care, rule("six-weeks", "EscalationRule", "routine")], mri)
    assert [r.id for r in answer(fired).recommendations] == ["consider-mri", "keep-active"]
    waiting = Superseding([care, rule("six-weeks", "EscalationRule", "routine", fires=False)], mri)
    assert [(r.id, r.kind) for r in answer(waiting).recommendations] == [
        ("keep-active", "now"), ("no-early-scan", "now"), ("consider-mri", "safety-net")]


def test_with_only_systemic_findings_a_regional_action_is_left_out_unless_it_is_where_to_seek_care():
    class Regional(StubPolicy):
        def region_of(self, action):
            return "back-and-leg" if action in (act("spinal-scan"), act("spine-review")) else None

        def regions(self, presentation):
            return self.present, not self.present

    results = [rule("flag", "RedFlag", "same-day")]
    actions = {"flag": ["spinal-scan", "spine-review", "call-111", "stop"]}
    only_systemic = Regional(results, actions, care={"spine-review"})
    only_systemic.present = frozenset()
    assert [r.id for r in answer(only_systemic).recommendations] == ["call-111", "spine-review", "stop"]
    with_back = Regional(results, actions, care={"spine-review"})
    with_back.present = frozenset({"back-and-leg"})
    assert [r.id for r in answer(with_back).recommendations] == ["call-111", "spine-review", "spinal-scan", "stop"]


def test_a_safety_net_set_aside_by_an_action_recommended_now_is_gone_without_error():
    class Superseding(StubPolicy):
        def superseded_by(self, action):
            return frozenset({act("call-999")}) if action == act("call-111") else frozenset()

    results = [rule("emergency", "RedFlag", "emergency"), rule("same-day", "EscalationRule", "same-day", False)]
    policy = Superseding(results, {"emergency": ["call-999"], "same-day": ["call-111"]})
    assert recs(answer(policy)) == [("call-999", "now", "emergency", ("emergency",))]


def test_a_red_flag_said_nowhere_keeps_the_advice_of_the_region_that_was_said():
    """A region is one form inside triage, its id "region/<name>" (an action's mskg:inRegion and a concept's region
    alike). The policy compared the regions said, cut to "<name>", with an action's region "region/<name>": beside
    a red flag said with no site (HAZ-33), the elbow's own advice was left out with the back's scan."""
    from mskg.kg.resolve import Concept
    from mskg.queries.triage.records import Reported, Withheld

    class Regional(StubPolicy):
        def region_of(self, action):
            return {"back-scan": "region/back-and-leg", "elbow-advice": "region/elbow-and-forearm"}.get(
                action.rsplit("/", 1)[-1])

        def regions(self, presentation):  # as the engines: each finding's region, in its one form
            present = frozenset(r.concept.region for r in presentation.findings)
            return present, not present

    def reported(name, region, said_nowhere=False):
        concept = Concept(URIRef(EX + name), name, name, (), "symptom", "ClinicalFinding", (), region=region)
        return Reported(name, concept, said_nowhere=said_nowhere)

    policy = Regional([rule("flag", "RedFlag", "same-day")],
                      {"flag": ["call-111", "back-scan", "elbow-advice"]}, care={"call-111"})
    presentation = Presentation((reported("elbow-complaint", "region/elbow-and-forearm"),
                                 reported("severe-pain", "region/back-and-leg", said_nowhere=True)))
    result = policy.triage(presentation, explain=False)
    assert recs(result) == [("call-111", "now", "same-day", ("flag",)), ("elbow-advice", "now", "same-day", ("flag",))]
    assert result.regions == ("region/elbow-and-forearm",) and result.said_nowhere == ("severe-pain",)
    assert result.withheld == {"back-scan": Withheld("back-scan", "label of back-scan", "said-nowhere",
                                                     (("severe-pain", "severe-pain"),), "region/back-and-leg")}
