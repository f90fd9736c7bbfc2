"""A cold clinical review, third round (issue 12, h27): what the second review's fixes left. Each expected value is
written from the article, not read back from the code.

- An input not understood whose readings include a named serious condition ("cancer" beside sciatica: metastatic
  spinal disease; "broken" beside elbow pain: an elbow or a spinal fracture) was answered as settled, "keep moving":
  only the red-flag findings of the screen were considered, never the conditions. The article: "conditions—such as
  cauda equina syndrome, spinal infection, metastatic cancer, or an unstable fracture—where waiting and trying new
  stretches is the wrong priority" (HAZ-32).
- An input not understood that could be a red flag at the answer's own urgency was answered as settled although that
  red flag stops training: "sciatica" with "lost weight" (prompt review either way) said "keep moving". The article's
  red flags are "warning signs that should stop training immediately"; a red-flag presentation never comes out "keep
  training" (HAZ-28, HAZ-32).
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli


def triage(*inputs: str, engine: str = "compiled", fmt: str = "json"):
    args = ["triage", "--engine", engine, "--format", fmt]
    for text in inputs:
        args += ["-f", text]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout) if fmt == "json" else result.stdout


def could_be(data: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(u["input"], [(c["id"], c["urgency"]) for c in u["could_be"]]) for u in data["unsettled"]]


# --- 1. a reading that is a named serious condition counts, as a red-flag finding does

@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("inputs, expected", [
    # metastatic spinal disease: urgent same-day and scan now (rf-metastatic-cancer-with-back-pain, HAZ-29)
    (["sciatica", "cancer"], [("cancer", [("metastatic-spinal-disease", "urgent-same-day")])]),
    (["low back pain", "cancer"], [("cancer", [("metastatic-spinal-disease", "urgent-same-day")])]),
    # "broken" is an elbow fracture or a spinal fracture: "concerning for fracture" (elbow), "raises concern for
    # fracture or unstable injury" (back): urgent same-day either way
    (["elbow pain", "broken"], [("broken", [("elbow-fracture", "urgent-same-day")])]),
    (["sciatica", "broken"], [("broken", [("elbow-fracture", "urgent-same-day")])]),
])
def test_a_named_serious_condition_among_the_readings_unsettles_the_answer(engine, inputs, expected):
    data = triage(*inputs, engine=engine)
    assert could_be(data) == expected
    text = triage(*inputs, engine=engine, fmt="text")
    assert text.startswith("NOT UNDERSTOOD") and "URGENCY: NOT SETTLED" in text
    assert "keep moving" not in text and "Keep active" not in text


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
def test_the_closest_match_of_an_unknown_word_counts_when_it_is_a_serious_condition(engine):
    """"tumour" beside sciatica: its closest match is serious spinal pathology (urgent same-day, scan now)."""
    data = triage("sciatica", "tumour", engine=engine)
    assert could_be(data) == [("tumour", [("serious-spinal-pathology", "urgent-same-day")])]


# --- 2. a red flag at the answer's own urgency still stops training

@pytest.mark.parametrize("engine", ["compiled", "sparql"])
def test_a_reading_that_would_stop_training_unsettles_an_answer_that_keeps_training(engine):
    """"lost weight" beside sciatica: sciatica is prompt review (keep moving, modified); unexplained weight loss is a
    red flag at prompt review that stops training. Until it is answered the answer is not settled."""
    data = triage("sciatica", "lost weight", engine=engine)
    assert (data["urgency"]["id"], data["training"]) == ("prompt-review", "modify")
    assert could_be(data) == [("lost weight", [("unexplained-weight-loss", "prompt-review")])]
    text = triage("sciatica", "lost weight", engine=engine, fmt="text")
    assert "URGENCY: NOT SETTLED" in text and "keep moving" not in text


def test_an_answer_that_already_stops_training_is_not_unsettled_by_a_reading_no_more_urgent():
    """Swollen elbow (prompt review, stop) beside "lost weight" (prompt review, stop): nothing would change."""
    data = triage("markedly swollen elbow", "lost weight")
    assert (data["urgency"]["id"], data["training"]) == ("prompt-review", "stop")
    assert data["unsettled"] == []


# --- 3. falls, slips and collisions people say every day

TRAUMA_QUESTION = "ambiguous: say whether it was a heavy fall, a high-speed accident or a heavy landing from height"


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("text", ["knocked off my bike by a car", "knocked down by a car"])
def test_being_hit_by_a_car_is_significant_trauma(engine, text):
    """"a high-speed accident" (significant trauma: "Use NHS 111 or seek urgent same-day care"). "knocked off my bike
    by a car" was not understood, its closest match the elbow's injury, and the answer read "keep moving"."""
    data = triage(text, "back hurts", engine=engine)
    assert [f["id"] for f in data["findings"]] == ["significant-trauma", "low-back-pain"]
    assert (data["urgency"]["id"], data["training"]) == ("urgent-same-day", "stop")
    assert "rf-significant-trauma" in {f["id"] for f in data["flags"]}


@pytest.mark.parametrize("inputs", [["slipped on a wet floor", "lower back pain"],
                                    ["slipped on the stairs", "back pain"],
                                    ["got tackled hard", "back pain"]])
def test_a_slip_on_the_floor_or_stairs_or_a_tackle_is_asked_about(inputs):
    """A slip or a tackle said without how hard may be "a heavy fall" or a minor one: asked about, never dropped
    (HAZ-36). "slipped on a wet floor" was offered "slipped disc" and the answer was settled "keep moving"."""
    data = triage(*inputs)
    assert [f["id"] for f in data["findings"]] == ["low-back-pain"]
    (unresolved,) = data["unresolved"]
    assert unresolved["reason"].startswith(TRAUMA_QUESTION)
    assert could_be(data) == [(inputs[0], [("significant-trauma", "urgent-same-day")])]


def test_a_finding_said_with_a_slip_on_the_stairs_is_read_and_the_slip_asked_about():
    """"slipped on the stairs and hurt my back" was refused whole: "an unrecognised word never silences what was
    recognised"."""
    data = triage("slipped on the stairs and hurt my back")
    assert [f["id"] for f in data["findings"]] == ["low-back-pain"]
    assert data["unresolved"][0]["reason"].startswith(TRAUMA_QUESTION)
    assert could_be(data) == [("slipped on the stairs and hurt my back", [("significant-trauma", "urgent-same-day")])]


# --- 4. a dislocated elbow said in everyday words

@pytest.mark.parametrize("engine", ["compiled", "sparql"])
def test_an_elbow_that_looks_out_of_place_after_a_fall_is_read(engine):
    """"Visible deformity around the elbow after an impact" is one of the article's elbow alarm features ("more
    concerning for fracture, dislocation"). "elbow looks out of place after a fall" was refused as naming several
    findings (a dislocation and the elbow's injury), with no answer at all."""
    data = triage("elbow looks out of place after a fall", engine=engine)
    assert data["unresolved"] == []
    assert sorted(f["id"] for f in data["findings"]) == ["elbow-dislocation", "elbow-injury"]
    assert (data["urgency"]["id"], data["training"]) == ("urgent-same-day", "stop")
    assert "rf-elbow-deformity" in {f["id"] for f in data["flags"]}
    assert not {"scan-now", "call-999-or-ae"} & {r["id"] for r in data["recommendations"]}


# --- 5. "won't move", "won't straighten": an inability, never an absence

@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("inputs, finding, urgency", [
    # "Severe or rapidly worsening weakness ... in both legs": "Call 999 / go to A&E now"
    (["back pain", "my legs won't move"], "bilateral-leg-weakness", "emergency"),
    (["back pain", "my legs don't move properly"], "bilateral-leg-weakness", "emergency"),
    # "Inability to move the elbow normally straight away" (urgent same-day: HAZ-13)
    (["elbow won't straighten"], "unable-to-move-elbow", "urgent-same-day"),
    (["elbow is stuck and won't straighten"], "unable-to-move-elbow", "urgent-same-day"),
    (["my elbow doesn't bend"], "unable-to-move-elbow", "urgent-same-day"),
])
def test_wont_move_is_an_inability_never_read_as_something_absent(engine, inputs, finding, urgency):
    """"my legs won't move" was refused as "reads as something not present: report it as absent (--absent)", the
    answer beside back pain "could be inability to move the elbow normally": the tool told a person with both legs
    failing to report it absent."""
    data = triage(*inputs, engine=engine)
    assert data["unresolved"] == []
    assert finding in {f["id"] for f in data["findings"]}
    assert (data["urgency"]["id"], data["training"]) == (urgency, "stop")
