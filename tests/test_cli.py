"""The knowledge-base commands, driven as a user would: exact output, exit codes, files written."""
from __future__ import annotations

import json

from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from mskg.cli.main import cli
from mskg.kg import facts as facts_module
from mskg.kg.build import build_graph


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_lists_the_commands_and_the_notice():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("build", "validate", "stats"):
        assert command in result.output
    assert "Information, not medical advice. In an emergency call 999." in result.output


def test_validate_is_clean():
    result = run("validate")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # every evidence entry of the facts file (a test in test_provenance counts them from the file itself)
    assert lines[0] == "provenance  ok    277 quotes verbatim in the article at their offsets"
    assert lines[1].startswith("shacl       ok    ") and lines[1].endswith("triples conform to the SHACL shapes")
    assert lines[2].startswith("owl         ok    owlready2 loads it: ")
    assert lines[-1] == "mskg validate: clean"


def test_validate_reports_a_corrupted_quote_and_exits_1(monkeypatch):
    text = facts_module.facts_text()
    bad = text.replace("this is a classic nerve-warning symptom", "this is a classic warning symptom", 1)
    assert bad != text
    monkeypatch.setattr(facts_module, "facts_text", lambda: bad)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    assert "provenance  FAIL  1 quote(s) do not hold" in result.output
    assert "fact 'rf-saddle-anaesthesia' (rules, evidence 1): quote is not verbatim in the article" in result.output
    assert "mskg validate: problems found" in result.output


def test_build_writes_the_graph_in_each_format(tmp_path):
    for fmt, ext, rdflib_fmt in (("turtle", "ttl", "turtle"), ("nt", "nt", "nt"), ("json-ld", "jsonld", "json-ld"),
                                 ("xml", "rdf", "xml")):
        out = tmp_path / fmt
        result = run("build", "--out", str(out), "--format", fmt)
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir()) == sorted([f"ontology.{ext}", f"instances.{ext}", "mskg.owl"])
        combined = Graph()
        combined.parse(out / f"ontology.{ext}", format=rdflib_fmt)
        combined.parse(out / f"instances.{ext}", format=rdflib_fmt)
        assert isomorphic(combined, build_graph()), fmt
    assert result.output.splitlines()[-1].endswith("triples (ontology + instances)")


def test_build_with_a_broken_fact_writes_nothing(tmp_path, monkeypatch):
    text = facts_module.facts_text().replace("concern: [spinal-fracture]", "concern: [spinal-fractur]", 1)
    monkeypatch.setattr(facts_module, "facts_text", lambda: text)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", "--out", str(out)])
    assert result.exit_code == 1
    assert "fact 'rf-significant-trauma': refers to 'spinal-fractur' as one of concepts, but it is not defined" in (
        result.output)
    assert "nothing was written." in result.output
    assert not out.exists()


def test_build_rejects_an_unknown_format():
    result = CliRunner().invoke(cli, ["build", "--format", "rdfa"])
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.output


def test_stats_counts_per_class():
    result = run("stats", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    # 15 red flags of the article, plus issue 12's hot-swelling split, three elbow counterparts and the FAQ's
    # rapidly worsening pain
    assert data["classes"]["RedFlag"] == 23  # + swelling after an elbow injury, metastatic cancer with back pain (cold review)
    assert data["classes"]["UrgencyLevel"] == 5
    assert data["classes"]["Statistic"] == 6
    assert data["classes"]["Condition"] == 19  # metastatic disease added (the elbow counterpart's concern)
    assert data["classes"]["BodyRegion"] == 3
    assert data["triples"] == len(build_graph())
    text = run("stats").output
    assert "RedFlag" in text and text.splitlines()[-1].startswith("triples")
