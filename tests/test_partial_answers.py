"""Partial answers, never silence: an unrecognised word never removes what was recognised.

Exit status: 0 all understood, 3 partial (the answer on the rest, the rest listed), 2 nothing understood or
malformed input (and with --strict, anything not understood). Every output keeps the 999 line.
"""
from __future__ import annotations

import json

from click.testing import CliRunner
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mskg.cli.main import cli
from mskg.queries.triage.records import DISCLAIMER


def triage(*args: str):
    return CliRunner().invoke(cli, ["triage", *args])


def test_an_emergency_with_an_unknown_phrase_is_still_an_emergency():
    result = triage("-f", "numb bum", "-f", "my elbow feels like jelly", "--format", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["urgency"]["id"] == "emergency" and data["training"] == "stop"
    assert [f["id"] for f in data["findings"]] == ["saddle-anaesthesia"]
    assert data["unresolved"] == [{"input": "my elbow feels like jelly", "reason": "unknown finding or condition",
                                   "absent": False, "candidates": data["unresolved"][0]["candidates"]}]
    assert data["disclaimer"] == DISCLAIMER and "999" in data["disclaimer"]


def test_the_text_view_says_what_was_not_understood_first():
    result = triage("-f", "saddle numbness", "-f", "xyzzy plugh")
    assert result.exit_code == 3
    lines = result.stdout.splitlines()
    assert lines[0] == "NOT UNDERSTOOD — the answer below is on the rest of what you reported only:"
    assert lines[1] == "  ? “xyzzy plugh”: unknown finding or condition"
    assert "URGENCY: EMERGENCY — Call 999 or go to A&E now." in lines
    assert lines[-1] == DISCLAIMER


def test_an_ambiguous_word_is_asked_about_and_offers_its_readings():
    result = triage("-f", "low back pain", "-f", "numbness", "--format", "json")
    assert result.exit_code == 3
    unresolved = json.loads(result.stdout)["unresolved"][0]
    assert unresolved["reason"].startswith("ambiguous")
    offered = {c["id"] for c in unresolved["candidates"]}
    assert {"saddle-anaesthesia", "leg-numbness", "bilateral-leg-numbness"} <= offered


def test_strict_is_all_or_nothing():
    result = triage("-f", "saddle numbness", "-f", "xyzzy plugh", "--strict", "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines()[0] == "mskg: not understood: 'xyzzy plugh': unknown finding or condition"


def test_nothing_understood_exits_2_with_nothing_on_stdout():
    result = triage("-f", "xyzzy plugh", "-f", "frobnicate")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-2:] == [
        "mskg: no finding was understood, so there is nothing to triage",
        "mskg: no answer was given. Information, not medical advice: mskg reports what one patient-facing article "
        "says and does not diagnose or treat. If you think it is an emergency, call 999 or go to A&E now."]


def test_strict_keeps_the_999_line_when_it_gives_no_answer():
    """--strict is all-or-nothing on stdout, but a recognised emergency must not leave the person without
    the 999 line (cold review, issue 12)."""
    result = triage("-f", "saddle numbness", "-f", "gronkle", "--strict")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "mskg: no answer was given. Information, not medical advice: mskg reports what one patient-facing article "
        "says and does not diagnose or treat. If you think it is an emergency, call 999 or go to A&E now.")


def test_a_refusal_carries_the_same_disclaimer_as_an_answer():
    """Every triage output says it is information, not medical advice (h27 cold review: a refusal said only the 999
    line). The refusal's words are the answers' disclaimer, not a second wording of it."""
    from mskg.queries.triage.records import DISCLAIMER

    for args in (("-f", "xyzzy plugh"), ("-f", "low back pain", "--duration", "forever")):
        result = triage(*args)
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.splitlines()[-1] == f"mskg: no answer was given. {DISCLAIMER}"


def test_an_unknown_absent_finding_is_listed_and_screened_again():
    result = triage("-f", "low back pain", "-a", "xyzzy", "--format", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["unresolved"][0]["absent"] is True
    assert {"id": "saddle-anaesthesia", "label": "saddle anaesthesia", "urgency": "emergency", "red_flag": True,
            "interpretations": []} in data["not_asked"]


def test_explain_follows_the_same_rules():
    ok = CliRunner().invoke(cli, ["explain", "rf-saddle-anaesthesia", "-f", "numb bum", "-f", "xyzzy",
                                  "--format", "json"])
    assert ok.exit_code == 3
    data = json.loads(ok.stdout)
    assert data["fires"] is True and data["unresolved"][0]["input"] == "xyzzy"
    strict = CliRunner().invoke(cli, ["explain", "rf-saddle-anaesthesia", "-f", "numb bum", "-f", "xyzzy", "--strict"])
    assert strict.exit_code == 2 and strict.stdout == ""
    text = CliRunner().invoke(cli, ["explain", "rf-saddle-anaesthesia", "-f", "numb bum", "-f", "xyzzy"])
    assert text.stdout.startswith("NOT UNDERSTOOD")


def test_a_spelling_correction_is_shown_as_read():
    result = triage("-f", "siatica")
    assert result.exit_code == 0
    assert "You reported: sciatica (read “siatica” as “sciatica”)" in result.stdout
    data = json.loads(triage("-f", "siatica", "--format", "json").stdout)
    assert data["findings"] == [{"input": "siatica", "inputs": ["siatica"], "id": "sciatica", "label": "sciatica",
                                 "how": "spelling", "read_as": "sciatica"}]


# ------------------------------------------------------------------ batch

def batch(text: str | bytes, *args: str):
    return CliRunner().invoke(cli, ["triage", "--batch", "-", "--no-explain", *args], input=text)


def test_batch_gives_partial_lines_and_reports_malformed_ones_without_losing_a_good_line():
    lines = [
        b'{"id": "a", "findings": ["saddle numbness", "xyzzy plugh"]}',      # partial
        b'\xff\xfe not utf-8',                                                # invalid UTF-8
        b'{"id": "c", "findings": ["tennis elbow"], "duration": "2 weeks", "trend": "no better"}',
        b"[" * 5000 + b"]" * 5000,                                            # nested too deeply
        b'{"id": {"x": 1}, "findings": ["fever"]}',                          # wrong type
        b'{"id": "f", "findings": ["' + b"x" * 300 + b'"]}',                 # a field too long
        b'{"id": "g", "findings": ' + b'["fever"' + b', "fever"' * 60 + b"]}",  # too many findings
        b'{"id": "h", "findings": ["fever", "low back pain"], "trend": "getting worse quickly"}',
    ]
    result = batch(b"\n".join(lines) + b"\n")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["id"], d["line"], d["urgency"]["id"]) for d in out] == [
        ("a", 1, "emergency"), ("c", 3, "routine-review"), ("h", 8, "urgent-same-day")]
    assert out[0]["unresolved"][0]["input"] == "xyzzy plugh"
    assert out[2]["trend"] == "rapidly-worsening"
    errors = result.stderr.splitlines()
    assert errors[0] == "mskg: line 2: not valid UTF-8"
    assert errors[1] == "mskg: line 4: not valid JSON here: nested too deeply"
    assert errors[2] == "mskg: line 5: 'id' must be a string or a number"
    assert errors[3].startswith("mskg: line 6: no finding was understood, so there is nothing to triage: too long (300")
    assert errors[4] == "mskg: line 7: 'findings' has 61 items; at most 50"
    assert errors[5] == "mskg: triaged 3 presentation(s) (1 partial); 5 bad line(s)"


def test_batch_exits_3_when_the_only_problem_is_a_partial_line():
    result = batch('{"findings": ["saddle numbness", "xyzzy"]}\n')
    assert result.exit_code == 3
    assert result.stderr == "mskg: triaged 1 presentation(s) (1 partial); 0 bad line(s)\n"


def test_batch_strict_refuses_a_partial_line():
    result = batch('{"findings": ["saddle numbness", "xyzzy"]}\n{"findings": ["fever"]}\n', "--strict")
    assert result.exit_code == 1
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [2]
    assert result.stderr.splitlines()[0] == "mskg: line 1: not understood (--strict): unknown finding or condition: " \
                                            "'xyzzy'"


def test_a_line_longer_than_the_limit_is_skipped_not_held():
    from mskg.queries.triage.batch import MAX_LINE

    text = '{"findings": ["' + "a" * (MAX_LINE + 10) + '"]}\n{"findings": ["fever"]}\n'
    result = batch(text)
    assert result.stderr.splitlines()[0] == f"mskg: line 1: line too long (more than {MAX_LINE:,} characters)"
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [2]


# ------------------------------------------------------------------ no traceback on any input

@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=4), st.text(max_size=30), st.text(max_size=30))
def test_no_input_gives_a_traceback(findings, duration, trend):
    args = ["triage", "--format", "json"]
    for f in findings:
        args += ["-f", f]
    if duration:
        args += ["-d", duration]
    if trend:
        args += ["-t", trend]
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 2, 3)
    assert "Traceback" not in result.output
    if result.exit_code in (0, 3):
        assert "999" in json.loads(result.stdout)["disclaimer"]


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.binary(max_size=200), max_size=6))
def test_no_batch_input_gives_a_traceback_or_loses_a_good_line(noise):
    good = b'{"id": "good", "findings": ["saddle numbness"]}'
    lines = [good] + [n.replace(b"\n", b" ") for n in noise] + [good]
    result = batch(b"\n".join(lines) + b"\n")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 3)
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids[0] == "good" and ids[-1] == "good"


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
def test_an_unknown_word_whose_closest_match_is_a_red_flag_never_reads_as_keep_training(engine):
    """Cold review (issue 12, HAZ-32): "trouble down below" beside back pain was answered "SELF-CARE — Keep active
    and modify training" although its closest match is saddle anaesthesia, a 999 red flag. The answer on what was
    understood is a floor: it is headed NOT SETTLED with the red flag it could be, and never says keep training."""
    result = triage("-f", "low back pain", "-f", "trouble down below", "--engine", engine, "--format", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["unresolved"][0]["candidates"][0]["id"] == "saddle-anaesthesia"
    assert (data["urgency"]["id"], data["training"]) == ("self-care", "modify")
    assert data["unsettled"] == [{"input": "trouble down below", "could_be": [
        {"id": "saddle-anaesthesia", "label": "saddle anaesthesia", "urgency": "emergency"}]}]
    text = triage("-f", "low back pain", "-f", "trouble down below", "--engine", engine).stdout
    assert "URGENCY: NOT SETTLED — “trouble down below” could be saddle anaesthesia (emergency)." in text
    assert "  On what was understood only: SELF-CARE." in text and "Keep active" not in text
    assert "TRAINING: not settled until what was not understood is answered; if it is a red flag, stop training." \
        in text and "keep moving" not in text


def test_a_settled_answer_is_not_unsettled_by_a_less_urgent_possibility():
    """An emergency already recognised is not 'not settled' because an unknown word may be a lesser red flag,
    and an unknown word reported absent unsettles nothing."""
    data = json.loads(triage("-f", "saddle numbness", "-f", "lost weight", "--format", "json").stdout)
    assert data["urgency"]["id"] == "emergency" and data["unsettled"] == []
    data = json.loads(triage("-f", "low back pain", "--absent", "trouble down below", "--format", "json").stdout)
    assert data["unresolved"][0]["absent"] is True and data["unsettled"] == []
    assert data["urgency"]["id"] == "self-care"


@pytest.mark.parametrize("engine", ["compiled", "sparql"])
@pytest.mark.parametrize("inputs, could_be, urgency", [
    # beside an elbow complaint the back's red flags are not in the screen, and still an unknown wording may be one
    (["tennis elbow", "trouble down below"], "saddle-anaesthesia", "emergency"),
    # an input two readings fit equally is refused as naming several findings: the red flag among them counts
    (["tennis elbow", "numb bum leg pain"], "saddle-anaesthesia", "emergency"),
])
def test_what_an_unknown_wording_could_be_is_judged_against_every_region(engine, inputs, could_be, urgency):
    """Second cold review (issue 12, HAZ-32): beside tennis elbow, "trouble down below" was answered "SELF-CARE —
    Keep active and modify training" again, because only the elbow's red flags were considered. Every region's red
    flags count, and of an input naming several findings the most urgent red flag among them."""
    args = [a for i in inputs for a in ("-f", i)]
    data = json.loads(triage(*args, "--engine", engine, "--format", "json").stdout)
    assert data["urgency"]["id"] == "self-care"
    assert [(u["input"], [c["id"] for c in u["could_be"]]) for u in data["unsettled"]] == [(inputs[1], [could_be])]
    assert data["unsettled"][0]["could_be"][0]["urgency"] == urgency
    text = triage(*args, "--engine", engine).stdout
    assert "Keep active" not in text.split("You reported")[0] and "keep moving" not in text
    assert "  On what was understood only: SELF-CARE." in text


@pytest.mark.parametrize("inputs, kind", [
    (["low back pain", "numbness"], "ambiguous"),  # any of several findings: say more
    (["low back pain", "lost weight"], "ambiguous"),  # the lexicon asks whether the weight loss is unexplained
    (["tennis elbow", "numb bum leg pain"], "several"),  # two sets of findings read it equally: refused
    (["tennis elbow", "pins and needles"], "where"),  # a site-less wording beside the elbow: say where
    (["low back pain", "trouble down below"], "unmatched"),  # the candidates are spelling neighbours
])
def test_an_unresolved_input_carries_the_kind_the_resolver_gave_it(inputs, kind):
    from mskg.kg.load import load_compiled
    from mskg.queries.triage.records import make_presentation

    (item,) = make_presentation(load_compiled().resolver, inputs).unresolved
    assert item.kind == kind


def test_what_an_input_could_be_follows_its_kind_not_the_wording_of_its_reason():
    """Self-review (issue 12): TriageResult.unsettled decided whether every candidate is a reading by matching the
    reason's first words ("ambiguous", "names several findings"): a reworded reason would have silently narrowed
    "could be" to the closest match. The kind is a field. Here the reasons are swapped on purpose: of candidates
    numbness in one leg (not a red flag on its own) then saddle anaesthesia (999), an ambiguous input could be the
    emergency; an unmatched one only its closest match, which is no red flag on its own."""
    from dataclasses import replace

    from mskg.kg.load import load_compiled
    from mskg.queries.triage.compiled import CompiledTriageEngine
    from mskg.queries.triage.records import Unresolved, make_presentation

    kb = load_compiled()
    p = make_presentation(kb.resolver, ["low back pain"])
    candidates = (("leg-numbness", "numbness in one leg"), ("saddle-anaesthesia", "saddle anaesthesia"))
    ambiguous = Unresolved("numb down there", "unknown finding or condition", candidates, kind="ambiguous")
    unmatched = Unresolved("numb down there", "ambiguous input matches several concepts equally", candidates)
    engine = CompiledTriageEngine(kb)
    (could,) = engine.triage(replace(p, unresolved=(ambiguous,)), explain=False).unsettled
    assert (could[0].input, [(s.id, s.urgency.id) for s in could[1]]) == (
        "numb down there", [("saddle-anaesthesia", "emergency")])
    assert engine.triage(replace(p, unresolved=(unmatched,)), explain=False).unsettled == []
