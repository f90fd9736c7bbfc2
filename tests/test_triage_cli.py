"""`mskg triage`, `mskg explain` and `mskg search` as a person and a script use them."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.queries.triage.records import DISCLAIMER


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_triage_saddle_numbness_json():
    result = run("triage", "--finding", "saddle numbness", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["findings", "absent", "unresolved", "duration_days", "trend", "regions", "urgency", "training",
                          "flags", "recommendations", "unsettled", "not_asked", "disclaimer"]
    assert data["regions"] == {"reported": ["back-and-leg"], "every_region": False, "said_nowhere": []}
    assert data["findings"] == [{"input": "saddle numbness", "inputs": ["saddle numbness"], "id": "saddle-anaesthesia",
                                 "label": "saddle anaesthesia", "how": "synonym", "read_as": None}]
    assert data["unresolved"] == []
    assert data["urgency"] == {"id": "emergency", "label": "emergency", "rank": 4}
    assert data["training"] == "stop"
    assert data["duration_days"] is None and data["trend"] is None
    flag = data["flags"][0]
    assert (flag["id"], flag["urgency"], flag["minimal_trigger_set"]) == (
        "rf-saddle-anaesthesia", "emergency", ["saddle-anaesthesia"])
    path = flag["explanations"][0]
    assert [n["id"] for n in path["path"]] == ["saddle-anaesthesia", "rf-saddle-anaesthesia", "emergency"]
    assert path["edges"] == ["triggers", "sets urgency"]
    saddle_sentence = ("New numbness or altered feeling around the “saddle” area—often described as numbness “around "
                       "your bottom, genitals, or anus”: this is a classic nerve-warning symptom that needs urgent "
                       "same-day assessment.")
    assert {"quote": saddle_sentence, "section": "Back-pain “red flags” that should pause training and trigger "
            "urgent assessment", "start": 3702, "end": 3906} in path["sources"]
    assert [r["id"] for r in data["recommendations"]][:3] == ["call-999-or-ae", "scan-now", "stop-training"]
    assert all(r["explanations"] for r in data["recommendations"])
    assert {"id": "fever", "label": "fever", "urgency": "urgent-same-day", "red_flag": True,
            "interpretations": []} in data["not_asked"]
    assert data["disclaimer"] == DISCLAIMER
    assert "999" in data["disclaimer"] and "not medical advice" in data["disclaimer"]


def test_triage_text_reads_well():
    result = run("triage", "-f", "low back pain", "-d", "3d")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "URGENCY: SELF-CARE — Keep active and modify training."
    assert lines[1] == "TRAINING: keep moving, with the modifications below."
    assert "Symptoms: for 3 days" in result.output
    assert "When to escalate (safety net):" in result.output
    assert "if symptoms are unchanged or worsening after roughly 4–6 weeks" in result.output
    assert lines[-1] == DISCLAIMER


def test_triage_duration_and_absent_in_json():
    data = json.loads(run("triage", "-f", "tennis elbow", "-d", "2w", "-t", "unchanged", "-a", "fever",
                          "--format", "json").output)
    assert data["duration_days"] == 14 and data["trend"] == "unchanged"
    assert data["absent"] == [{"input": "fever", "inputs": ["fever"], "id": "fever", "label": "fever", "how": "label",
                               "read_as": None}]
    assert data["urgency"]["id"] == "routine-review"
    assert "fever" not in {n["id"] for n in data["not_asked"]}
    gp = next(r for r in data["recommendations"] if r["id"] == "gp-review-elbow")
    assert (gp["timeframe"], gp["kind"], gp["urgency"]) == ("after at least 2 weeks", "now", "routine-review")


@pytest.mark.parametrize("args,message", [
    (["-f", "xyz"], "mskg: not understood: 'xyz': unknown finding or condition\n"
                    "mskg: no finding was understood, so there is nothing to triage\n"),
    (["-f", "numb fingers"], "mskg: not understood: 'numb fingers': the article does not cover this body site "
                             "(fingers): it covers the low back and legs, and the elbow\n  closest matches: "),
    ([], "mskg: no findings given: name at least one finding or condition with --finding\n"),
    (["-f", "fever", "-d", "6x"], "mskg: invalid duration '6x': give a number and a unit, e.g. 48h, 3d, 10 days, "
                                  "6w, 6wks, 2 weeks, a fortnight, 2 months, 1.5 years, 1 week and 3 days, since "
                                  "yesterday\n"),
    (["-f", "fever", "-t", "sideways"], "mskg: invalid trend 'sideways': use improving, unchanged, worsening or "
                                        "rapidly-worsening (also: better, no change, getting worse, getting worse "
                                        "quickly)\n"),
    (["-f", "fever", "-a", "high temperature"], "mskg: reported both present and absent: fever\n"),
    (["-f", "lower back"], "mskg: not understood: 'lower back': not a finding or condition (it is a body site)\n"),
])
def test_bad_input_exits_2_with_a_message_and_nothing_on_stdout(args, message):
    result = CliRunner().invoke(cli, ["triage", *args, "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)


def test_explain_reads_well_to_a_person():
    result = run("explain", "rf-saddle-anaesthesia", "--finding", "saddle numbness")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("“New numbness or altered feeling around the saddle area” FIRES  [red flag → emergency]")
    assert "It calls for: Call 999 or go to A&E now; Scan now; Stop training now and get assessed" in out
    assert "  saddle anaesthesia (symptom) — you reported “saddle numbness”" in out
    assert "  └─ triggers → New numbness or altered feeling around the saddle area (red flag)" in out
    assert "     └─ sets urgency → emergency (urgency level)" in out
    assert "— Back-pain “red flags” that should pause training and trigger urgent assessment, characters 3702–3906" in out
    assert "Minimal trigger set: saddle anaesthesia" in out
    assert "It raises concern for: cauda equina syndrome" in out
    assert "Curator's interpretation (sets urgency):" in out
    assert "https://" not in out  # labels, not IRIs
    assert out.rstrip().endswith(DISCLAIMER)


def test_why_not_distinguishes_absent_from_unknown():
    result = run("explain", "rf-fever-unwell", "-f", "low back pain", "-a", "fever", "--why-not")
    assert result.exit_code == 0
    assert "does NOT fire" in result.output
    assert "  - not reported (ask about it): chills or feeling very unwell" in result.output
    assert "  - reported absent: fever" in result.output


def test_why_not_names_an_unmet_duration_and_trend():
    out = run("explain", "esc-back-not-improving", "-f", "low back pain", "-d", "3w", "--why-not").output
    assert "  - duration: needs at least 28 days (after roughly 4–6 weeks); given 21 days" in out
    assert "  - trend: needs unchanged or worsening; not given (use --trend)" in out


def test_explain_json_and_an_action_target():
    data = json.loads(run("explain", "consider-mri", "-f", "low back pain", "-d", "6w", "-t", "unchanged",
                          "--format", "json").output)
    assert data["rule"]["id"] == "esc-consider-mri" and data["fires"] is True
    assert data["missing"] == []
    ends = {e["path"][-1]["id"] for e in data["explanations"]}
    assert {"routine-review", "tf-mri-about-6-weeks"} <= ends
    assert any([n["id"] for n in e["path"]][-2:] == ["consider-mri", "tf-mri-about-6-weeks"]
               for e in data["explanations"])


def test_explaining_an_action_shows_the_rules_that_fire_first():
    """Cold review (issue 12): an action is explained through every rule calling it; those that fire come first,
    most urgent first, before the ones that do not fire."""
    out = run("explain", "nhs-111-or-urgent-same-day-care", "-f", "fever", "-f", "low back pain").output
    # the rules that do not fire: one line each after the ones that do, not a page each (cold review: ~370 lines)
    assert "does NOT fire" not in out
    head = "Rules that would also call for “Use NHS 111 or seek urgent same-day care” but do not fire for what you " \
           "reported:"
    assert out.index("FIRES") < out.index(head)
    assert "  - Pain after significant trauma (rf-significant-trauma)  [red flag; it would set urgent same-day]" in out
    assert out.count(DISCLAIMER) == 1 and out.rstrip().endswith(DISCLAIMER)
    why_not = run("explain", "nhs-111-or-urgent-same-day-care", "-f", "fever", "-f", "low back pain",
                  "--why-not").output
    assert "“Pain after significant trauma” does NOT fire" in why_not and head not in why_not
    assert "Add --why-not" not in why_not
    assert out.lstrip().startswith("\u201cFeeling very unwell with fever or chills alongside back pain\u201d FIRES")
    data = json.loads(run("explain", "nhs-111-or-urgent-same-day-care", "-f", "fever", "-f", "low back pain",
                          "--format", "json").output)
    fires = [r["fires"] for r in data["rules"]]
    assert fires[0] is True and fires == sorted(fires, reverse=True)
    urgencies = [r["rule"]["urgency"] for r in data["rules"] if r["fires"]]
    assert urgencies == sorted(urgencies, key=["emergency", "urgent-same-day", "prompt-review", "routine-review",
                                               "self-care"].index)


def test_explain_draws_dot_and_mermaid():
    dot = run("explain", "rf-elbow-systemic-illness", "-f", "fever", "-f", "hot swollen elbow", "--format", "dot").output
    assert dot.startswith("// Information, not medical advice")
    assert '"fever" -> "rf-elbow-systemic-illness" [label="triggers"];' in dot
    assert '"hot-swollen-elbow" -> "rf-elbow-systemic-illness" [label="triggers"];' in dot
    mermaid = run("explain", "rf-saddle-anaesthesia", "-f", "saddle numbness", "--format", "mermaid").output
    assert "flowchart LR" in mermaid and '-->|"sets urgency"|' in mermaid


def test_explain_an_unknown_target_exits_2():
    result = CliRunner().invoke(cli, ["explain", "rf-saddle-numbnes", "-f", "fever"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "rf-saddle-anaesthesia" in result.stderr


def test_search_lists_matches_with_types():
    result = run("search", "saddle numbness")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split() == ["saddle", "anaesthesia", "symptom", "saddle-anaesthesia",
                                                     "(matched", "synonym:", "saddle", "numbness)"]
    data = json.loads(run("search", "elbow", "--format", "json").output)
    assert {"tennis-elbow", "elbow-fracture", "elbow"} <= {d["id"] for d in data}
    # the exact name first, then labels holding the word, shortest first; synonym-only matches last
    assert [d["id"] for d in data[:8]] == ["elbow", "elbow-dislocation", "elbow-fracture", "elbow-infection",
                                           "elbow-injury", "elbow-pain", "golfers-elbow", "tennis-elbow"]
    hows = [d["how"] != "label" for d in json.loads(run("search", "elbow", "--limit", "40", "--format", "json").output)]
    assert hows == sorted(hows) and any(hows)  # a synonym-only match ("can't sleep because of my elbow") is last
    none = CliRunner().invoke(cli, ["search", "qqqq"])
    assert none.exit_code == 1 and "no concept matches 'qqqq'" in none.stderr


def test_the_training_line_never_points_at_modifications_that_are_not_there():
    """'keep moving, with the modifications below' only when some are listed (cold review: an elbow injury
    alone and a slipped disc read it over an empty list)."""
    from click.testing import CliRunner

    from mskg.cli.main import cli

    injury = CliRunner().invoke(cli, ["triage", "-f", "elbow injury", "--no-explain"])
    assert "TRAINING: the article gives no training change for what you reported." in injury.stdout
    back = CliRunner().invoke(cli, ["triage", "-f", "low back pain", "--no-explain"])
    assert "TRAINING: keep moving, with the modifications below." in back.stdout


def test_each_fired_flag_quotes_its_own_sentence_even_through_a_broader_finding():
    """Lost bladder sensation reaches 'New bladder or bowel control problems' through the broader bladder or
    bowel change; the flag's quote is still its own bullet, not the 'Scan now when …' sentence (cold review)."""
    from click.testing import CliRunner

    from mskg.cli.main import cli

    out = CliRunner().invoke(cli, ["triage", "-f", "loss of bladder sensation"]).stdout
    block = out[out.index("● New bladder or bowel control problems"):]
    block = block[:block.index("●", 1)]
    assert "“New bladder or bowel control problems (for example, new leakage" in block
    assert "characters 3278–3488" in block and "Scan now when" not in block


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
def test_curator_readings_name_the_property_they_read_or_the_whole_fact(engine):
    """The article's words and the curator's are told apart at the rule they affect: each reading says which
    statement it is about, by the property's label ("has criterion"), or "the whole fact"."""
    def readings(*findings):
        args = ["triage", "--engine", engine, "--format", "json"] + [a for f in findings for a in ("-f", f)]
        data = json.loads(CliRunner().invoke(cli, args).stdout)
        return {flag["id"]: [(i["property"], i["note"][:30]) for i in flag["interpretations"]] for flag in data["flags"]}

    assert readings("pins and needles")["esc-leg-symptoms-prompt-review"] == [
        ("has criterion", "The tier names leg-dominant pa"),
        ("has criterion", "'particularly if it is limitin"),
        ("has criterion", "Someone who reports nerve-root")]
    assert readings("tennis elbow", "fever")["rf-elbow-fever-unwell"] == [
        ("the whole fact", "The article sends fever or fee"),
        ("has criterion", "Someone who reports elbow infe")]
