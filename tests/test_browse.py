"""Browsing for educators: concept cards, the hierarchy, and exports for graph tools."""
from __future__ import annotations

import io
import json

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Graph

from mskg.cli.main import cli
from mskg.queries.triage.records import DISCLAIMER


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_cauda_equina_syndrome_card():
    result = run("browse", "CES", "--format", "json")
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert (card["id"], card["label"], card["type"]) == ("cauda-equina-syndrome", "cauda equina syndrome", "condition")
    assert card["definition"].startswith("Pressure on the nerves that control the pelvic organs")
    assert {"CES", "cauda equina"} <= set(card["synonyms"])
    assert {(m["system"], m["code"], m["match"]) for m in card["mappings"]} == {
        ("SNOMED CT", "192970008", "exact"), ("ICD-10", "G83.4", "exact"), ("ICD-10-CM", "G83.4", "exact")}
    assert [p["id"] for p in card["parents"]] == ["serious-spinal-pathology"]
    concern = {(r["id"], r["urgency"]) for r in card["incoming"]["raises concern for"]}
    assert concern == {("rf-bladder-bowel-control", "emergency"), ("rf-urinary-retention", "emergency"),
                       ("rf-saddle-anaesthesia", "emergency"), ("rf-bilateral-leg-symptoms", "emergency")}
    features = {r["id"] for r in card["outgoing"]["has feature"]}
    assert {"saddle-anaesthesia", "urinary-retention", "bladder-or-bowel-change"} <= features
    [stat] = card["statistics"]
    assert (stat["value"], stat["unit"], stat["source"]) == (0.04, "percent", "narrative review of serious causes of back pain")
    assert "0.04% for cauda equina syndrome" in stat["quote"] and (stat["start"], stat["end"]) == (2961, 3196)
    assert card["evidence"][0]["quote"].startswith("this can signal pressure on the nerves that control pelvic organs")
    assert card["disclaimer"] == DISCLAIMER


def test_a_card_by_synonym_shows_what_the_finding_triggers():
    out = run("browse", "saddle numbness").stdout
    assert out.startswith("saddle anaesthesia  [symptom]  saddle-anaesthesia\n")
    assert "  triggers:\n    - New numbness or altered feeling around the saddle area [red flag → emergency] (rf-saddle-anaesthesia)" in out
    assert "In the article's words: altered feeling around the saddle area; New numbness or altered feeling" in out
    assert "Also called (everyday and clinical terms added by the curator): altered feeling around my genitals;" in out
    assert "characters 3702–3826" in out
    assert out.rstrip().endswith(DISCLAIMER)


def test_a_red_flag_has_a_card_too():
    card = json.loads(run("browse", "rf-fever-unwell", "--format", "json").stdout)
    assert card["type"] == "red flag"
    # every back red flag also calls for a scan now (the article: "or when the red-flag pattern ... is present")
    assert {r["id"] for r in card["outgoing"]["calls for"]} == {"nhs-111-or-urgent-same-day-care", "stop-training",
                                                                "scan-now"}
    assert card["interpretations"][0]["property"] == "has criterion"


def test_an_unknown_concept_exits_2_with_the_closest():
    result = CliRunner().invoke(cli, ["browse", "tennis knee"])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[:2] == ["mskg: unknown concept: 'tennis knee'", "closest matches:"]
    # the two wordings that share a word with it come first
    assert set(lines[2:4]) == {"  - tennis elbow (tennis-elbow, condition)",
                               "  - leg pain radiating below the knee (leg-pain-below-knee, symptom)"}
    # a typing error is read, not refused
    assert CliRunner().invoke(cli, ["browse", "tenis elbo"]).stdout.startswith("tennis elbow  [condition]")


def test_tree():
    lines = run("tree", "Condition").stdout.splitlines()
    assert lines[0] == "condition  (Condition)"
    i = lines.index("  serious spinal pathology  (serious-spinal-pathology)")
    assert lines[i + 1:i + 6] == ["    cauda equina syndrome  (cauda-equina-syndrome)",
                                  "    metastatic spinal disease  (metastatic-spinal-disease)",
                                  "    significant nerve compression  (spinal-nerve-compression)",
                                  "    spinal fracture  (spinal-fracture)",
                                  "    spinal infection  (spinal-infection)"]
    sub = run("tree", "bladder or bowel changes").stdout.splitlines()
    assert sub[0] == "new bladder or bowel changes  (bladder-or-bowel-change)"
    assert "  urinary retention  (urinary-retention)" in sub


@pytest.mark.parametrize("fmt", ["graphml", "cytoscape", "dot", "mermaid", "turtle"])
def test_exports_parse_and_carry_labels_types_and_evidence(fmt, tmp_path):
    result = run("export", "--format", fmt, "--concept", "cauda-equina-syndrome", "--depth", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    if fmt == "graphml":
        path = tmp_path / "x.graphml"
        path.write_text(out, encoding="utf-8")
        g = nx.read_graphml(path)
        assert g.nodes["cauda-equina-syndrome"]["label"] == "cauda equina syndrome"
        assert g.nodes["stat-cauda-equina-rate"]["type"] == "statistic"
        assert "0.04% for cauda equina syndrome" in g.nodes["stat-cauda-equina-rate"]["evidence"]
        assert "tennis-elbow" not in g
    elif fmt == "cytoscape":
        data = json.loads(out)
        ids = {n["data"]["id"] for n in data["elements"]["nodes"]}
        assert {"cauda-equina-syndrome", "rf-saddle-anaesthesia", "serious-spinal-pathology"} <= ids
    elif fmt == "dot":
        assert out.startswith("// Information, not medical advice")
        assert '"rf-saddle-anaesthesia" -> "cauda-equina-syndrome" [label="raises concern for"];' in out
    elif fmt == "mermaid":
        assert "flowchart LR" in out and '-->|"raises concern for"|' in out
    else:
        g = Graph().parse(data=out, format="turtle")
        from rdflib import SKOS, URIRef

        concept = URIRef("https://w3id.org/mskg/id/cauda-equina-syndrome")
        assert (concept, SKOS.prefLabel, None) in g
        assert (URIRef("https://w3id.org/mskg/id/rf-saddle-anaesthesia"),
                URIRef("https://w3id.org/mskg/ontology#raisesConcernFor"), concept) in g


def test_the_whole_graph_exports_without_scaffolding():
    g = nx.read_graphml(io.StringIO(run("export", "--format", "graphml").stdout))
    types = {d["type"] for _, d in g.nodes(data=True)}
    assert {"red flag", "condition", "symptom", "urgency level", "statistic", "timeframe"} <= types
    assert not types & {"excerpt", "section", "trigger criterion"}
