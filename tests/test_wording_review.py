"""A cold clinical review of wordings (issue h19): what people say must never lower what the article's words mean.

Each expected value is written from the article, not read back from the code: the urgency of the answer and the
exact findings it was read as.

- One leg's finding on both legs is the article's emergency: "Severe or rapidly worsening weakness, numbness, or
  loss of feeling in both legs (not just one)" and "Call 999 / go to A&E now: ... bilateral severe/worsening
  weakness or numbness"; "Sciatica affecting both legs ... NHS guidance treats this as a reason for immediate
  emergency assessment" (HAZ-34).
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.kg.load import load_compiled


def triage(*inputs: str, engine: str = "compiled", absent: tuple[str, ...] = ()) -> dict:
    args = ["triage", "--engine", engine, "--format", "json"]
    for text in inputs:
        args += ["-f", text]
    for text in absent:
        args += ["--absent", text]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout)


def finding_ids(data: dict) -> list[str]:
    return [f["id"] for f in data["findings"]]


@pytest.fixture(scope="module")
def resolver():
    return load_compiled().resolver


# --- 1. one leg's finding reported on both legs (HAZ-34)

BOTH_LEGS = [
    (["numbness in my left leg", "numbness in my right leg"], "bilateral-leg-numbness", "rf-bilateral-leg-symptoms"),
    (["numbness in my right leg", "numbness in my left leg"], "bilateral-leg-numbness", "rf-bilateral-leg-symptoms"),
    (["weakness in my right leg and now the other leg too"], "bilateral-leg-weakness", "rf-bilateral-leg-symptoms"),
    (["weakness in my right leg", "now the other leg too"], "bilateral-leg-weakness", "rf-bilateral-leg-symptoms"),
    (["weak left leg", "my right leg is getting weaker"], "bilateral-leg-weakness", "rf-bilateral-leg-symptoms"),
    (["tingling in my left leg", "tingling in my right leg"], "bilateral-leg-numbness", "rf-bilateral-leg-symptoms"),
    (["pins and needles in my left foot", "numbness in my right leg"], "bilateral-leg-numbness",
     "rf-bilateral-leg-symptoms"),
    (["numb left leg", "numbness in the other leg"], "bilateral-leg-numbness", "rf-bilateral-leg-symptoms"),
    (["sciatica in my left leg", "sciatica in my right leg"], "bilateral-sciatica", "rf-bilateral-sciatica"),
    (["pain down my left leg below the knee", "pain down my right leg below the knee"], "bilateral-sciatica",
     "rf-bilateral-sciatica"),
]


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("inputs, finding, flag", BOTH_LEGS)
def test_one_legs_finding_on_both_legs_is_the_both_legs_emergency(engine, inputs, finding, flag):
    data = triage(*inputs, engine=engine)
    assert data["unresolved"] == []
    assert finding_ids(data) == [finding]
    assert data["findings"][0]["how"] == "both-sides"
    assert (data["urgency"]["id"], data["training"]) == ("emergency", "stop")
    assert flag in {f["id"] for f in data["flags"]}
    assert data["recommendations"][0]["id"] == "call-999-or-ae"


@pytest.mark.parametrize("inputs, finding, text", [
    (["numbness in my left leg", "numbness in my right leg"], "bilateral-leg-numbness",
     "You reported: numbness in both legs (“numbness in my left leg” and “numbness in my right leg”, read together "
     "as both legs)"),
    (["weakness in my right leg", "now the other leg too"], "bilateral-leg-weakness",
     "You reported: weakness in both legs (“weakness in my right leg” and “now the other leg too”, read together as "
     "both legs)"),
    (["numbness in my left leg", "numbness in both legs"], "bilateral-leg-numbness",
     "You reported: numbness in both legs (“numbness in my left leg” and “numbness in both legs”, read together as "
     "both legs)"),
    # one input naming both legs is one input
    (["weakness in my right leg and now the other leg too"], "bilateral-leg-weakness",
     "You reported: weakness in both legs (“weakness in my right leg and now the other leg too”, with the other leg "
     "reported too, read as both legs)"),
    # one leg said twice is one leg, and both inputs are shown
    (["numbness in my left leg", "numb left foot"], "leg-numbness",
     "You reported: numbness in one leg (“numbness in my left leg” and “numb left foot”)"),
])
def test_every_input_read_into_one_finding_is_shown(inputs, finding, text):
    """Cold review (issue 12): "numbness in my left leg" with "numbness in my right leg", read together as numbness
    in both legs, was shown as understood from the first input only: the second had vanished from what the person
    was told was understood. Every input read into a finding is listed, in the text, the JSON and the batch."""
    data = triage(*inputs)
    assert [(f["id"], f["input"], f["inputs"]) for f in data["findings"]] == [(finding, inputs[0], inputs)]
    assert data["unresolved"] == []
    lines = CliRunner().invoke(cli, ["triage", *[a for i in inputs for a in ("-f", i)]]).stdout.splitlines()
    assert text in lines
    line = json.dumps({"id": "x", "findings": inputs}) + "\n"
    batch = CliRunner().invoke(cli, ["triage", "--batch", "-", "--no-explain"], input=line)
    assert [(f["id"], f["inputs"]) for f in json.loads(batch.stdout)["findings"]] == [(finding, inputs)]


@pytest.mark.parametrize("inputs, finding", [
    (["numbness in my left leg"], "leg-numbness"),
    (["numbness in my left leg", "numb left foot"], "leg-numbness"),  # one side twice: still one leg
    (["mild weakness in one leg"], "leg-weakness"),
])
def test_one_leg_stays_one_leg(inputs, finding):
    data = triage(*inputs)
    assert finding_ids(data) == [finding]
    assert data["urgency"]["id"] == "prompt-review"


MIXED = [
    (["numbness in my left leg", "weakness in my right leg"], ["bilateral-leg-numbness", "bilateral-leg-weakness"]),
    (["sciatica in my left leg", "numbness in my right leg"], ["bilateral-sciatica", "bilateral-leg-numbness"]),
    # a finding that names no side keeps its one-leg reading; the two sided ones are both legs
    (["sciatica", "numbness in my left leg", "weakness in my right leg"],
     ["sciatica", "bilateral-leg-numbness", "bilateral-leg-weakness"]),
]


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("inputs, findings", MIXED)
def test_different_findings_on_each_leg_are_symptoms_in_both_legs(engine, inputs, findings):
    """Cold review (issue 12, HAZ-34): numbness on the left and weakness on the right are "weakness, numbness, or
    loss of feeling in both legs (not just one)" as much as numbness on both sides: 999, not two prompt reviews.
    Numbness and weakness in the same leg stay that leg's."""
    data = triage(*inputs, engine=engine)
    assert finding_ids(data) == findings
    assert (data["urgency"]["id"], data["training"]) == ("emergency", "stop")
    assert data["recommendations"][0]["id"] == "call-999-or-ae"
    same = triage("numbness in my left leg", "weakness in my left leg", engine=engine)
    assert finding_ids(same) == ["leg-numbness", "leg-weakness"] and same["urgency"]["id"] == "prompt-review"


def test_a_side_said_alone_beside_nothing_of_the_legs_is_still_not_understood():
    data = triage("now the other leg too", "low back pain")
    assert finding_ids(data) == ["low-back-pain"]
    assert [u["input"] for u in data["unresolved"]] == ["now the other leg too"]


def test_every_counterpart_is_a_finding_the_graph_names_for_both_legs(resolver):
    """The lexicon's map is justified by the graph's own wordings: each counterpart is what "... both legs" reads as."""
    wordings = {"bilateral-leg-numbness": "numbness in both legs", "bilateral-leg-weakness": "weakness in both legs",
                "bilateral-sciatica": "sciatica affecting both legs"}
    for one_leg, both in resolver.lexicon.both_legs:
        assert resolver.concepts[one_leg].region == "region/back-and-leg"
        assert resolver.resolve(wordings[both]).id == both


# --- 2. a wording that names two findings keeps both (HAZ-35)
# "Arrange prompt clinical review (GP or a spine specialist): leg-dominant pain, pins and needles, or mild weakness on
# one side"; "coughing or sneezing may aggravate it" is only a feature of sciatica (its self-care).

@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("text, findings", [
    ("leg pain aggravated by coughing", ["pain-worse-with-cough-or-sneeze", "leg-dominant-pain"]),
    ("leg pain worse when I cough", ["pain-worse-with-cough-or-sneeze", "leg-dominant-pain"]),
    ("coughing makes my leg pain worse", ["pain-worse-with-cough-or-sneeze", "leg-dominant-pain"]),
    ("pain down my leg below the knee when I sneeze",
     ["pain-worse-with-cough-or-sneeze", "leg-pain-below-knee", "leg-dominant-pain"]),
])
def test_a_wording_naming_leg_pain_and_its_cough_aggravation_keeps_the_leg_pain(engine, text, findings):
    data = triage(text, engine=engine)
    assert data["unresolved"] == []
    assert finding_ids(data) == findings
    assert data["urgency"]["id"] == "prompt-review"
    assert "esc-leg-symptoms-prompt-review" in {f["id"] for f in data["flags"]}
    assert "prompt-clinical-review" in {r["id"] for r in data["recommendations"]}


def test_adding_words_to_leg_pain_never_lowers_its_urgency():
    alone = triage("leg pain")
    assert (finding_ids(alone), alone["urgency"]["id"]) == (["leg-dominant-pain"], "prompt-review")
    for more in ("leg pain aggravated by coughing", "leg pain when coughing", "leg pain worse when I sneeze"):
        assert triage(more)["urgency"]["id"] == "prompt-review", more


def test_coughing_hurts_with_no_leg_is_still_only_the_aggravation():
    data = triage("coughing hurts")
    assert finding_ids(data) == ["pain-worse-with-cough-or-sneeze"]
    assert data["urgency"]["id"] == "self-care"


def test_absent_cough_aggravation_does_not_say_the_leg_pain_is_absent():
    data = triage("low back pain", absent=("leg pain worse when I cough",))
    assert [f["id"] for f in data["absent"]] == ["pain-worse-with-cough-or-sneeze"]


# --- 3. worsening one-leg weakness is one finding, whatever the wording
# "Scan now when there is ... a major/progressive neurological deficit (for example, ... rapidly deteriorating leg
# strength ...)"; "Use NHS 111 or seek urgent same-day care: ... rapidly worsening neurological symptoms"; prompt review
# for "mild weakness on one side that is not rapidly worsening".

@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("text", ["my leg is getting weaker", "weakness in one leg that is getting worse",
                                  "leg weakness worsening", "rapidly worsening weakness in my leg",
                                  "leg weakness is getting worse quickly", "progressive leg weakness"])
def test_worsening_one_leg_weakness_is_progressive_leg_weakness_whatever_the_wording(engine, text):
    data = triage(text, engine=engine)
    assert finding_ids(data) == ["progressive-leg-weakness"]
    assert (data["urgency"]["id"], data["training"]) == ("urgent-same-day", "stop")
    assert "rf-progressive-neuro-deficit" in {f["id"] for f in data["flags"]}
    assert "scan-now" in {r["id"] for r in data["recommendations"]}


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
def test_mild_weakness_in_one_leg_stays_prompt_review(engine):
    data = triage("mild weakness in one leg", engine=engine)
    assert finding_ids(data) == ["leg-weakness"]
    assert data["urgency"]["id"] == "prompt-review"


# --- 4. falls (HAZ-36)
# The article's significant trauma: "a high-speed accident, a heavy fall, or landing heavily from height" (urgent
# same-day: "Use NHS 111 or seek urgent same-day care: ... significant trauma"); the elbow's "a clear traumatic event
# (a fall or direct blow)".

TRAUMA_QUESTION = "ambiguous: say whether it was a heavy fall, a high-speed accident or a heavy landing from height"


@pytest.mark.parametrize("text", ["fell over", "fell off my bike", "I had a fall", "box jump landing",
                                  "fell off my bike yesterday", "I fell over playing football"])
def test_an_unqualified_fall_is_asked_about_never_read_as_significant_trauma_nor_dropped(text):
    result = CliRunner().invoke(cli, ["triage", "-f", text, "-f", "low back pain", "--format", "json"])
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert finding_ids(data) == ["low-back-pain"]
    (unresolved,) = data["unresolved"]
    assert unresolved["input"] == text
    assert unresolved["reason"].startswith(TRAUMA_QUESTION)
    assert unresolved["candidates"][0]["id"] == "significant-trauma"
    assert data["urgency"]["id"] == "self-care"
    screened = {n["id"]: n for n in data["not_asked"]}
    assert screened["significant-trauma"]["urgency"] == "urgent-same-day"


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("text", ["came off my bike at speed", "heavy fall", "landed heavily", "fell heavily",
                                  "high-speed fall"])
def test_a_fall_with_its_qualifier_is_significant_trauma(engine, text):
    data = triage(text, "low back pain", engine=engine)
    assert finding_ids(data) == ["significant-trauma", "low-back-pain"]
    assert (data["urgency"]["id"], data["training"]) == ("urgent-same-day", "stop")
    assert "rf-significant-trauma" in {f["id"] for f in data["flags"]}


def test_a_fall_on_the_elbow_is_the_elbows_injury():
    data = triage("fell on my elbow")
    assert finding_ids(data) == ["elbow-injury"]
    assert data["urgency"]["id"] == "prompt-review"


# --- 5. elbow pain, severe back pain, calf pain, a pop
# "most sport-related elbow pain is an overload problem that settles with sensible load management"; "If elbow pain
# is not improving after a week or two of rest and self-care, or it affects sleep, work, or training, assessment is
# sensible."

BACK_ADVICE = {"stay-active", "training-reset-7-14-days", "strength-reduce-load", "no-routine-early-imaging",
               "scan-now", "consider-mri", "clinical-assessment-back"}
TENDINOPATHY_ADVICE = {"elbow-relative-rest", "forearm-strap", "elbow-progressive-exercise", "elbow-no-immediate-scan"}


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("text", ["elbow pain", "sore elbow", "my elbow hurts"])
def test_plain_elbow_pain_gets_the_elbows_thresholds_and_screen_not_back_or_tendinopathy_advice(engine, text):
    data = triage(text, engine=engine)
    assert data["unresolved"] == []
    assert finding_ids(data) == ["elbow-pain"]
    assert data["urgency"]["id"] == "self-care"
    assert data["regions"]["reported"] == ["elbow-and-forearm"]
    actions = {r["id"] for r in data["recommendations"]}
    assert {"elbow-clinical-review-week", "gp-review-elbow"} <= actions
    assert not actions & (BACK_ADVICE | TENDINOPATHY_ADVICE)
    screened = {n["id"] for n in data["not_asked"]}
    assert {"elbow-deformity", "unable-to-move-elbow", "hot-swollen-elbow", "elbow-injury"} <= screened
    assert "saddle-anaesthesia" not in screened


def test_elbow_pain_not_improving_after_a_week_is_routine_review():
    result = CliRunner().invoke(cli, ["triage", "-f", "elbow pain", "--duration", "8 days", "--trend", "unchanged",
                                      "--format", "json"])
    data = json.loads(result.stdout)
    assert data["urgency"]["id"] == "routine-review"
    assert "esc-elbow-not-improving-week" in {f["id"] for f in data["flags"]}


def test_hurts_is_pain_and_hurt_my_elbow_is_an_injury(resolver):
    assert resolver.resolve("my elbow hurts").id == "elbow-pain"
    assert resolver.resolve("hurt my elbow").id == "elbow-injury"
    assert resolver.resolve("my elbow hurts on the outside").id == "lateral-elbow-pain"


def test_severe_back_pain_is_back_pain_and_the_screen_asks_about_the_red_flag():
    data = triage("severe back pain")
    assert finding_ids(data) == ["low-back-pain"]
    assert data["urgency"]["id"] == "self-care"
    screened = {n["id"]: n for n in data["not_asked"]}
    assert screened["severe-unrelenting-pain"]["urgency"] == "urgent-same-day"


@pytest.mark.parametrize("text, finding, urgency", [
    ("pain in my calf", "leg-dominant-pain", "prompt-review"),
    ("felt a pop in my elbow", "elbow-injury", "prompt-review"),
    ("pop in my elbow", "elbow-injury", "prompt-review"),
])
def test_calf_pain_and_a_pop_in_the_elbow(text, finding, urgency):
    data = triage(text)
    assert finding_ids(data) == [finding]
    assert data["urgency"]["id"] == urgency
